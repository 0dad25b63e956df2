"""A machine's Windows platform: features, services, network adapters, firewall, WSMan/CredSSP, restarts.

State (``PlatformState``) plus the estate builder; the cmdlets acting on it are in
hvsim.world.platform_cmdlets (features, restarts, CIM, services, adapters, IP addresses) and
hvsim.world.platform_security (firewall rules, WSMan CredSSP).

A restart is modelled without timestamps in the state: ``begin_restart`` finishes everything that
waited for it at once (pending features, the services they bring, a new boot time) and makes the
machine unreachable for ``reboot_seconds`` (``_down_until``, a time.monotonic() deadline that
hvsim.snapshot.to_data skips). Nobody can look at the machine while it is down, so finishing the
work at the start of the window is indistinguishable from finishing it at the end.

Feature states are stored as the tool of the OS words them: Server Manager InstallState names on a
server (Installed, Available, InstallPending, UninstallPending, Removed), DISM FeatureState names on
a client OS (Enabled, Disabled, EnablePending, DisablePending).
"""

from __future__ import annotations

import datetime
import hashlib
import time
import typing
import uuid
from dataclasses import dataclass, field

from hvsim.world import features as catalog
from hvsim.world.registry import Registry, new_registry

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

INSTALLED = ("Installed", "Enabled")
PENDING_INSTALL = ("InstallPending", "EnablePending")
PENDING_REMOVE = ("UninstallPending", "DisablePending")
# Component Based Servicing keeps this key while a feature change waits for a restart (DESIGN.md cites the source)
CBS_REBOOT_PENDING = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending"
DEFAULT_BOOT = "2025-01-06T06:00:00+00:00"
ID_NAMESPACE = uuid.UUID("0f3c9a52-6d1e-4b7a-9c85-3e2d1a4b5c6d")

# WSMan: leaves every machine has (lower-case path without the drive -> value)
WSMAN_DEFAULTS: dict[str, str] = {
    "localhost\\maxenvelopesizekb": "500",
    "localhost\\maxtimeoutms": "60000",
    "localhost\\maxbatchitems": "32000",
    "localhost\\client\\networkdelayms": "5000",
    "localhost\\client\\urlprefix": "wsman",
    "localhost\\client\\allowunencrypted": "false",
    "localhost\\client\\trustedhosts": "",
    "localhost\\client\\auth\\basic": "true",
    "localhost\\client\\auth\\digest": "true",
    "localhost\\client\\auth\\kerberos": "true",
    "localhost\\client\\auth\\negotiate": "true",
    "localhost\\client\\auth\\certificate": "true",
    "localhost\\client\\auth\\credssp": "false",
    "localhost\\service\\maxconcurrentoperationsperuser": "1500",
    "localhost\\service\\allowunencrypted": "false",
    "localhost\\service\\allowremoteaccess": "true",
    "localhost\\service\\auth\\basic": "false",
    "localhost\\service\\auth\\kerberos": "true",
    "localhost\\service\\auth\\negotiate": "true",
    "localhost\\service\\auth\\certificate": "false",
    "localhost\\service\\auth\\credssp": "false",
    "localhost\\service\\auth\\cbthardeninglevel": "Relaxed",
    "localhost\\shell\\allowremoteshellaccess": "true",
    "localhost\\shell\\maxmemorypershellmb": "2147483647",
    "localhost\\shell\\maxshellsperuser": "2147483647",
}
# original-case names of WSMan path segments (the provider shows them so)
WSMAN_NAMES: dict[str, str] = {
    name.lower(): name for name in (
        "localhost", "MaxEnvelopeSizekb", "MaxTimeoutms", "MaxBatchItems", "Client", "Service", "Shell", "Auth",
        "NetworkDelayms", "URLPrefix", "AllowUnencrypted", "TrustedHosts", "Basic", "Digest", "Kerberos",
        "Negotiate", "Certificate", "CredSSP", "MaxConcurrentOperationsPerUser", "AllowRemoteAccess",
        "CbtHardeningLevel", "AllowRemoteShellAccess", "MaxMemoryPerShellMB", "MaxShellsPerUser", "Listener",
        "Plugin", "DefaultPorts", "HTTP", "HTTPS",
    )
}


@dataclass
class NetAdapter:
    name: str  # "Ethernet", "vEthernet (External)"
    description: str  # InterfaceDescription
    mac: str  # "00-15-5D-0A-00-11"
    ipv4: list[str]  # CIDR strings, e.g. ["10.0.0.11/24"]
    interface_index: int
    status: str = "Up"
    link_speed: str = "10 Gbps"
    virtual: bool = False  # a Hyper-V management OS adapter (owned by hyperv)
    vlan_id: int = 0  # management OS VLAN (virtual adapters)
    bound_switch: str | None = None  # for a physical NIC: the external switch bound to it


@dataclass
class Service:
    name: str
    display_name: str
    status: str  # ServiceControllerStatus name: Running, Stopped, ...
    start_type: str  # ServiceStartMode name: Automatic, Manual, Disabled
    service_type: str = "Win32OwnProcess"


@dataclass
class FirewallRule:
    name: str  # the rule's Name (ID), e.g. "VIRT-HVRHTTPL-In-TCP-NoScope"
    display_name: str
    group: str  # DisplayGroup
    enabled: bool
    direction: str = "Inbound"
    action: str = "Allow"
    profile: str = "Any"
    protocol: str = "TCP"
    local_port: str = "Any"
    description: str = ""


# rules a feature brings (disabled unless said otherwise), and rules every machine has
FEATURE_RULES: dict[str, tuple[FirewallRule, ...]] = {
    "Hyper-V": (
        FirewallRule("VIRT-HVRHTTPL-In-TCP-NoScope", "Hyper-V Replica HTTP Listener (TCP-In)", "Hyper-V Replica HTTP",
                     False, local_port="80", description="Inbound rule for Hyper-V Replica listener to accept HTTP "
                                                         "connection for replication. [TCP]"),
        FirewallRule("VIRT-HVRHTTPSL-In-TCP-NoScope", "Hyper-V Replica HTTPS Listener (TCP-In)",
                     "Hyper-V Replica HTTPS", False, local_port="443",
                     description="Inbound rule for Hyper-V Replica listener to accept HTTPS connection for "
                                 "replication. [TCP]"),
        FirewallRule("VIRT-MIGL-In-TCP-NoScope", "Hyper-V (MIG-TCP-In)", "Hyper-V", True, local_port="6600",
                     description="Inbound rule for Hyper-V to allow planned failover of virtual machines. [TCP]"),
    ),
    "FS-FileServer": (
        FirewallRule("FPS-SMB-In-TCP", "File and Printer Sharing (SMB-In)", "File and Printer Sharing", True,
                     local_port="445",
                     description="Inbound rule for File and Printer Sharing to allow Server Message Block "
                                 "transmission and reception via Named Pipes. [TCP 445]"),
    ),
}
BASE_RULES = (
    FirewallRule("WINRM-HTTP-In-TCP", "Windows Remote Management (HTTP-In)", "Windows Remote Management", True,
                 local_port="5985", description="Inbound rule for Windows Remote Management via WS-Management. "
                                                "[TCP 5985]"),
    FirewallRule("RemoteDesktop-UserMode-In-TCP", "Remote Desktop - User Mode (TCP-In)", "Remote Desktop", False,
                 local_port="3389", description="Inbound rule for the Remote Desktop service to allow RDP traffic. "
                                                "[TCP 3389]"),
    FirewallRule("FPS-ICMP4-ERQ-In", "File and Printer Sharing (Echo Request - ICMPv4-In)",
                 "File and Printer Sharing", False, protocol="ICMPv4",
                 description="Echo Request messages are sent as ping requests to other nodes."),
)


def _feature_services(feature: str) -> tuple[str, ...]:
    server = catalog.SERVER_FEATURES.get(feature)
    if server is not None:
        return server.services
    client = catalog.CLIENT_FEATURES.get(feature)
    return client.services if client is not None else ()


@dataclass
class PlatformState:
    machine: str = ""
    is_client_os: bool = False
    registry: Registry = field(default_factory=Registry)
    wsman: dict[str, str] = field(default_factory=lambda: dict(WSMAN_DEFAULTS))
    net_adapters: dict[str, NetAdapter] = field(default_factory=dict)  # by name
    features: dict[str, str] = field(default_factory=dict)  # feature -> state (see the module docstring)
    services: dict[str, Service] = field(default_factory=dict)  # lower-case name -> service
    firewall_rules: dict[str, FirewallRule] = field(default_factory=dict)  # by Name
    certificate_mappings: dict[str, str] = field(default_factory=dict)  # SHA-1 thumbprint (upper hex) -> user
    hardware: dict[str, typing.Any] = field(default_factory=dict)  # manufacturer, model, logical_processors, ...
    virtualization_capable: bool = True  # the CPU exposes what the hypervisor needs
    powered: bool = True
    boot_count: int = 0
    reboot_seconds: float = 3.0
    first_boot: str = DEFAULT_BOOT  # ISO time of the boot the estate starts in
    _down_until: float = field(default=0.0, repr=False, compare=False)
    _restart_hooks: list[typing.Callable[[], None]] = field(default_factory=list, repr=False, compare=False)
    _machine: typing.Any = field(default=None, repr=False, compare=False)  # the Machine (hyperv.installed sync)

    # -- reachability and power --------------------------------------------------------------
    def allows_inbound_tcp(self, port: int) -> bool:
        """Whether Windows Firewall lets a TCP connection to ``port`` in: an enabled inbound Allow rule for TCP (or
        any protocol) whose local ports include it, and no enabled inbound Block rule that does (a block rule wins,
        Microsoft Learn "Windows Firewall rules": "block rules take precedence over allow rules")."""
        def covers(rule: FirewallRule) -> bool:
            if not rule.enabled or rule.direction != "Inbound" or rule.protocol.upper() not in ("TCP", "ANY", "6"):
                return False
            ports = [p.strip() for p in str(rule.local_port).split(",")]
            for item in ports:
                low, _, high = item.partition("-")
                if item.lower() == "any" or (low.isdigit() and int(low) <= port <= int(high or low)):
                    return True
            return False
        matching = [rule for rule in self.firewall_rules.values() if covers(rule)]
        return any(r.action == "Allow" for r in matching) and not any(r.action == "Block" for r in matching)

    def is_reachable(self) -> bool:
        """False while powered off or inside a restart window."""
        return self.powered and time.monotonic() >= self._down_until

    def set_powered(self, on: bool) -> None:
        """Power off (unreachable) or on (boots at once: pending work finishes, a new boot time)."""
        if on and not self.powered:
            self.powered = True
            self._boot()
        elif not on:
            self.powered = False

    def begin_restart(self) -> None:
        """Restart-Computer: finish what waited for a restart; unreachable for ``reboot_seconds``."""
        for hook in self._restart_hooks:
            hook()
        self._boot()
        self._down_until = time.monotonic() + self.reboot_seconds

    def on_restart(self, hook: typing.Callable[[], None]) -> None:
        """Call ``hook`` whenever the machine restarts (Hyper-V applies its VMs' automatic stop/start actions)."""
        self._restart_hooks.append(hook)

    def _boot(self) -> None:
        self.boot_count += 1
        for name, state in list(self.features.items()):
            if state in PENDING_INSTALL:
                self.features[name] = "Installed" if state == "InstallPending" else "Enabled"
            elif state in PENDING_REMOVE:
                self.features[name] = "Available" if state == "UninstallPending" else "Disabled"
        self.sync()

    def last_boot_time(self) -> datetime.datetime:
        """Deterministic: the estate's first boot plus an hour per restart since."""
        return datetime.datetime.fromisoformat(self.first_boot) + datetime.timedelta(hours=self.boot_count)

    # -- features ----------------------------------------------------------------------------
    def feature_state(self, name: str) -> str | None:
        """The stored state of a feature (Server Manager or DISM name on a client), or None if unknown here."""
        for key, state in self.features.items():
            if key.lower() == name.lower():
                return state
        known = catalog.CLIENT_FEATURES if self.is_client_os else catalog.SERVER_FEATURES
        if any(key.lower() == name.lower() for key in known):
            return "Disabled" if self.is_client_os else "Available"
        return None

    def feature_installed(self, name: str) -> bool:
        return self.feature_state(name) in INSTALLED

    def hyperv_installed(self) -> bool:
        """The Hyper-V role runs (installed and restarted since)."""
        return self.feature_installed("Microsoft-Hyper-V" if self.is_client_os else "Hyper-V")

    def module_available(self, module: str) -> bool:
        """Whether a PowerShell module is on the machine (the engine asks before running a cmdlet)."""
        if module == "ServerManager":
            return not self.is_client_os
        server, client = catalog.MODULE_FEATURES.get(module, (None, None))
        if server is None and client is None:
            return True
        wanted = client if self.is_client_os else server
        return wanted is not None and self.feature_installed(wanted)

    def sync(self) -> None:
        """Services and firewall rules follow the installed features; Hyper-V's ``installed`` too."""
        installed = [name for name, state in self.features.items() if state in INSTALLED]
        role_services = {svc for name in installed for svc in _feature_services(name)}
        every_role_service = {svc.lower() for name in (*catalog.SERVER_FEATURES, *catalog.CLIENT_FEATURES)
                              for svc in _feature_services(name)}
        for key in [k for k in self.services if k in every_role_service]:
            if not any(key == svc.lower() for svc in role_services):
                del self.services[key]
        for svc in sorted(role_services):
            if svc.lower() not in self.services:
                self.services[svc.lower()] = _service_from_def(svc)
        for name in installed:
            hyperv_name = "Hyper-V" if name == "Microsoft-Hyper-V" else name
            for rule in FEATURE_RULES.get(hyperv_name, ()):
                self.firewall_rules.setdefault(rule.name, FirewallRule(**vars(rule)))
        hyperv = getattr(self._machine, "hyperv", None)
        if hyperv is not None and hasattr(hyperv, "installed"):
            hyperv.installed = self.hyperv_installed()
        if any(state in (*PENDING_INSTALL, *PENDING_REMOVE) for state in self.features.values()):
            self.registry.create_key(CBS_REBOOT_PENDING)
        else:
            self.registry.delete_key(CBS_REBOOT_PENDING)

    # -- network -----------------------------------------------------------------------------
    def next_interface_index(self) -> int:
        """An interface index no adapter uses yet (for adapters Hyper-V creates)."""
        return max((a.interface_index for a in self.net_adapters.values()), default=9) + 1

    def adapter(self, name: str) -> NetAdapter | None:
        for adapter in self.net_adapters.values():
            if adapter.name.lower() == name.lower():
                return adapter
        return None

    # -- WSMan and certificates --------------------------------------------------------------
    def auth_enabled(self, kind: str, role: str = "service") -> bool:
        """WSMan:\\localhost\\<role>\\Auth\\<kind> is "true" (e.g. the CredSSP server role)."""
        return self.wsman.get(f"localhost\\{role}\\auth\\{kind}".lower(), "false").lower() == "true"

    def certificate_mapping(self, der: bytes) -> str | None:
        """The local account a client certificate maps to (by SHA-1 or SHA-256 thumbprint), or None."""
        for digest in (hashlib.sha1(der).hexdigest().upper(), hashlib.sha256(der).hexdigest().upper()):
            if digest in self.certificate_mappings:
                return self.certificate_mappings[digest]
        return None


def _service_from_def(name: str) -> Service:
    spec = catalog.SERVICE_DEFS.get(name.lower())
    if spec is None:
        return Service(name, name, "Running", "Automatic")
    return Service(spec.name, spec.display_name, spec.status, spec.start_type, spec.service_type)


# -- the estate's `platform:` section -------------------------------------------------------------

def _mac(machine: str, name: str) -> str:
    digest = hashlib.sha1(f"{machine}/{name}".encode()).digest()
    return "00-15-5D-" + "-".join(f"{byte:02X}" for byte in digest[:3])


def _adapters(machine: Machine, spec: list[dict[str, typing.Any]]) -> dict[str, NetAdapter]:
    items = spec or [{"name": "Ethernet"}]
    adapters: dict[str, NetAdapter] = {}
    for number, item in enumerate(items):
        name = str(item["name"])
        default_description = "Microsoft Hyper-V Network Adapter" + (f" #{number + 1}" if number else "")
        adapters[name] = NetAdapter(
            name=name,
            description=str(item.get("description") or default_description),
            mac=str(item.get("mac") or _mac(machine.name, name)).upper().replace(":", "-"),
            ipv4=[str(ip) for ip in item.get("ipv4") or []],
            interface_index=int(item.get("interface_index", 10 + number)),
            status=str(item.get("status", "Up")),
            link_speed=str(item.get("link_speed", "10 Gbps")),
        )
    return adapters


def _with_parents(names: typing.Iterable[str], client: bool) -> list[str]:
    result: list[str] = []
    for name in names:
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in chain:
            chain.append(current)
            current = feature_parent(current, client)
        for item in reversed(chain):
            if item not in result:
                result.append(item)
    return result


def feature_parent(name: str, client: bool) -> str | None:
    table: dict[str, typing.Any] = catalog.CLIENT_FEATURES if client else catalog.SERVER_FEATURES
    feature = table.get(name)
    return feature.parent if feature is not None else None


def _features(machine: Machine, spec: dict[str, typing.Any]) -> dict[str, str]:
    client = machine.is_client_os
    installed = "Enabled" if client else "Installed"
    pending = "EnablePending" if client else "InstallPending"
    names = list(spec.get("optional_features") or []) if client else list(spec.get("features") or [])
    if not client:  # DISM names on a server stand for their Server Manager features
        by_dism = {f.dism: f.name for f in catalog.SERVER_FEATURES.values() if f.dism}
        names += [by_dism.get(str(n), str(n)) for n in spec.get("optional_features") or []]
    defaults = catalog.CLIENT_DEFAULTS if client else catalog.SERVER_DEFAULTS
    result = {name: installed for name in _with_parents([*defaults, *map(str, names)], client)}
    for name in _with_parents(map(str, spec.get("pending_features") or []), client):
        result.setdefault(name, pending)
    return result


def _services(spec: typing.Any) -> dict[str, Service]:
    services = {name.lower(): _service_from_def(name) for name in catalog.BASE_SERVICES}
    items = spec.items() if isinstance(spec, dict) else ((item["name"], item) for item in spec or [])
    for name, item in items:
        base = services.get(str(name).lower()) or _service_from_def(str(name))
        item = item or {}
        services[str(name).lower()] = Service(
            name=base.name, display_name=str(item.get("display_name", base.display_name)),
            status=str(item.get("status", base.status)), start_type=str(item.get("start_type", base.start_type)),
            service_type=base.service_type)
    return services


def _firewall(spec: list[dict[str, typing.Any]]) -> dict[str, FirewallRule]:
    rules = {rule.name: FirewallRule(**vars(rule)) for rule in BASE_RULES}
    for item in spec or []:
        rule = FirewallRule(name=str(item["name"]), display_name=str(item.get("display_name", item["name"])),
                            group=str(item.get("group", "")), enabled=bool(item.get("enabled", True)))
        for key in ("direction", "action", "profile", "protocol", "local_port", "description"):
            if key in item:
                setattr(rule, key, str(item[key]))
        rules[rule.name] = rule
    return rules


def _wsman(spec: dict[str, typing.Any]) -> dict[str, str]:
    wsman = dict(WSMAN_DEFAULTS)
    for path, value in (spec or {}).items():
        key = str(path).replace("/", "\\").lower().removeprefix("wsman:\\").strip("\\")
        wsman[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return wsman


def _certificates(spec: typing.Any) -> dict[str, str]:
    items = spec.items() if isinstance(spec, dict) else ((i["thumbprint"], i["user"]) for i in spec or [])
    return {str(thumbprint).replace(":", "").replace(" ", "").upper(): str(user) for thumbprint, user in items}


def build(machine: Machine, spec: dict[str, typing.Any], world: World) -> PlatformState:
    """The machine's platform from its ``platform:`` section.

    Keys (all optional): features (Server Manager names, installed), optional_features (DISM names,
    enabled; a client OS's features), pending_features (installed, waiting for a restart),
    net_adapters [{name, description, mac, ipv4: [CIDR], interface_index, status, link_speed}],
    services ({name: {status, start_type, display_name}}), firewall_rules [{name, display_name, group,
    enabled, ...}], registry (see hvsim.world.registry.new_registry), wsman ({path: value}),
    certificate_mappings ({sha1 thumbprint: local user}), hardware ({manufacturer, model,
    logical_processors, memory_gb}), virtualization (false: the CPU cannot run Hyper-V),
    reboot_seconds (default 3), last_boot (ISO time).
    """
    del world  # the platform needs nothing from the rest of the estate to start
    state = PlatformState(
        machine=machine.name,
        is_client_os=machine.is_client_os,
        registry=new_registry(machine, spec.get("registry")),
        wsman=_wsman(spec.get("wsman") or {}),
        net_adapters=_adapters(machine, spec.get("net_adapters") or []),
        features=_features(machine, spec),
        services=_services(spec.get("services")),
        firewall_rules=_firewall(spec.get("firewall_rules") or []),
        certificate_mappings=_certificates(spec.get("certificate_mappings")),
        hardware=dict(spec.get("hardware") or {}),
        virtualization_capable=bool(spec.get("virtualization", True)),
        reboot_seconds=float(spec.get("reboot_seconds", 3)),
        first_boot=str(spec.get("last_boot", DEFAULT_BOOT)),
    )
    state._machine = machine  # pylint: disable=protected-access
    state.sync()
    return state


def stable_guid(*parts: str) -> str:
    """A deterministic GUID for ids Windows makes up (DeviceID, InterfaceGuid, ...)."""
    return "{" + str(uuid.uuid5(ID_NAMESPACE, "/".join(parts))).upper() + "}"


# the cmdlets register when these are imported (hvsim.server imports every hvsim.world module anyway)
# pylint: disable-next=wrong-import-position,cyclic-import,unused-import
from hvsim.world import module_cmdlets, platform_cmdlets, platform_security  # noqa: E402,F401
