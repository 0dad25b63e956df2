# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual switches: what to read, how to compare, what to change (pure planning, no I/O).

FOR INTERNAL COLLECTION USE ONLY.

The one thing here that is not bookkeeping: the management OS adapter of a
switch may be the path the controller reaches the host over. A change to that adapter (a VLAN,
taking it away, unbinding the switch from its NIC, removing the switch) can cut the controller off
the host, so such changes are refused unless the user accepts the cutoff. Whether the connection
runs over the adapter is read, not guessed: the address the controller connects to
(Get-NetIPAddress) is bound to an interface (Get-NetAdapter), and that interface either is the
switch's vEthernet adapter (same MAC address as the management OS VMNetworkAdapter) or it is not.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import parent_adapter_id

SWITCH_TYPES = ("external", "internal", "private")
BANDWIDTH_MODES = ("default", "weight", "absolute", "none")
_SWITCH_PROPERTIES = ["Name", "Id", "SwitchType", "NetAdapterInterfaceDescription", "AllowManagementOS", "Notes",
                      "IovEnabled", "BandwidthReservationMode"]
_ADAPTER_PROPERTIES = ["Name", "Id", "VMName", "SwitchName", "IsManagementOs", "MacAddress"]
_VLAN_PROPERTIES = ["OperationMode", "AccessVlanId"]
_NET_ADAPTER_PROPERTIES = ["Name", "InterfaceDescription", "ifIndex", "MacAddress", "Status"]


@dataclasses.dataclass(frozen=True)
class Vlan:
    mode: str  # "untagged" or "access"
    vlan_id: int | None = None

    def describe(self) -> str:
        return f"access VLAN {self.vlan_id}" if self.mode == "access" else "untagged"

    def to_result(self) -> dict[str, t.Any]:
        return {"mode": self.mode, "id": self.vlan_id}


@dataclasses.dataclass(frozen=True)
class SwitchSpec:
    """What the user asked for; None means "leave as it is" (or Hyper-V's default on creation)."""

    name: str
    state: str = "present"
    switch_type: str | None = None
    net_adapter_name: str | None = None
    allow_management_os: bool | None = None
    management_adapter_name: str | None = None
    management_vlan: Vlan | None = None
    notes: str | None = None
    enable_iov: bool | None = None
    minimum_bandwidth_mode: str | None = None
    recreate: bool = False
    accept_management_cutoff: bool = False
    management_vlan_cutoff: str = "fail"  # fail | skip: a management VLAN the cutoff refuses fails, or is left out

    @property
    def vnic_name(self) -> str:
        """Hyper-V names the management OS adapter of a new switch after the switch."""
        return self.management_adapter_name or self.name


@dataclasses.dataclass(frozen=True)
class VmAdapter:
    name: str
    vm_name: str | None
    switch_name: str | None
    is_management_os: bool
    mac: str  # upper case hex, no separators
    id: str = ""


@dataclasses.dataclass(frozen=True)
class NetAdapter:
    name: str
    description: str
    if_index: int | None
    mac: str


@dataclasses.dataclass
class HostNetwork:
    """The host's adapters, and where the address the controller connects to lives."""

    adapters: list[VmAdapter]
    net_adapters: list[NetAdapter]
    connection_address: str | None
    connection_interface: str | None  # InterfaceAlias the connection address is bound to, if found

    def net_adapter(self, name: str) -> NetAdapter | None:
        return next((item for item in self.net_adapters if item.name.lower() == name.lower()), None)

    def management_adapters(self, switch_name: str) -> list[VmAdapter]:
        return [a for a in self.adapters if a.is_management_os and (a.switch_name or "").lower() == switch_name.lower()]

    def vm_adapters(self, switch_name: str) -> list[VmAdapter]:
        return [a for a in self.adapters if not a.is_management_os and (a.switch_name or "").lower() == switch_name.lower()]

    def interface_of(self, vnic: VmAdapter) -> str | None:
        """The NetAdapter (vEthernet) name of a management OS adapter: by MAC, else Hyper-V's default name."""
        for adapter in self.net_adapters:
            if vnic.mac and adapter.mac == vnic.mac:
                return adapter.name
        default = f"vEthernet ({vnic.name})"
        return default if self.net_adapter(default) else None


@dataclasses.dataclass
class SwitchState:
    name: str
    switch_type: str
    net_adapter_description: str | None
    allow_management_os: bool
    notes: str
    iov_enabled: bool
    bandwidth_mode: str
    management_vlan: Vlan | None
    net_adapter_name: str | None = None

    def to_result(self) -> dict[str, t.Any]:
        return {
            "name": self.name,
            "switch_type": self.switch_type,
            "net_adapter_name": self.net_adapter_name,
            "net_adapter_description": self.net_adapter_description,
            "allow_management_os": self.allow_management_os,
            "notes": self.notes,
            "iov_enabled": self.iov_enabled,
            "minimum_bandwidth_mode": self.bandwidth_mode,
            "management_vlan": self.management_vlan.to_result() if self.management_vlan else None,
        }


@dataclasses.dataclass
class Change:
    description: str
    commands: list[Cmd]
    risks_connection: bool = False  # may cut the controller off if the connection runs over the switch


@dataclasses.dataclass
class SwitchPlan:
    changes: list[Change]
    errors: list[str]
    warnings: list[str]
    connection_over_switch: bool | None  # None: the connection address was not found on the host
    after: SwitchState | None

    @property
    def commands(self) -> list[Cmd]:
        # Changes that may cut the connection go last, so nothing else is lost with the connection.
        ordered = [c for c in self.changes if not c.risks_connection] + [c for c in self.changes if c.risks_connection]
        return [cmd for change in ordered for cmd in change.commands]

    @property
    def risks_connection(self) -> bool:
        return any(change.risks_connection for change in self.changes)


# -- reading ------------------------------------------------------------------------------------

def read_commands(spec: SwitchSpec, connection_address: str | None) -> list[Cmd]:
    """One batch: the switch, every VM/management adapter, the host's NICs and the connection address."""
    commands = [
        Cmd("Get-VMSwitch", {"Name": spec.name}, select=_SWITCH_PROPERTIES, missing_ok=True),
        Cmd("Get-VMNetworkAdapter", {"All": True}, select=_ADAPTER_PROPERTIES),
        Cmd("Get-VMNetworkAdapterVlan", {"ManagementOS": True, "VMNetworkAdapterName": spec.vnic_name},
            select=_VLAN_PROPERTIES, missing_ok=True),
        Cmd("Get-NetAdapter", {}, select=_NET_ADAPTER_PROPERTIES),
    ]
    if connection_address:
        commands.append(Cmd("Get-NetIPAddress", {"IPAddress": connection_address},
                            select=["IPAddress", "InterfaceAlias", "InterfaceIndex"], missing_ok=True))
    return commands


def listing_commands(selector: dict[str, str], patterns: bool) -> list[Cmd]:
    """One batch for hyperv_switch_info: the switches ``selector`` picks (every one when empty), every VM and
    management OS adapter, the VLANs of all management OS adapters (each names its adapter in ParentAdapter) and
    the host's NICs; the same four lists whatever the number of switches."""
    return [
        Cmd("Get-VMSwitch", selector, select=_SWITCH_PROPERTIES, missing_ok=True, patterns=patterns),
        Cmd("Get-VMNetworkAdapter", {"All": True}, select=_ADAPTER_PROPERTIES),
        Cmd("Get-VMNetworkAdapterVlan", {"ManagementOS": True}, select=[*_VLAN_PROPERTIES, "ParentAdapter"],
            missing_ok=True),
        Cmd("Get-NetAdapter", {}, select=_NET_ADAPTER_PROPERTIES),
    ]


def _mac(value: t.Any) -> str:
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


def _text(value: t.Any) -> str:
    return "" if value is None else str(value)


def parse_vlan(rows: list[dict[str, t.Any]]) -> Vlan | None:
    if not rows:
        return None
    mode = _text(rows[0].get("OperationMode")).lower()
    if mode == "access":
        return Vlan("access", int(rows[0].get("AccessVlanId") or 0))
    if mode == "untagged":
        return Vlan("untagged")
    return Vlan(mode or "untagged")


def parse_network(results: list[list[t.Any]], connection_address: str | None) -> HostNetwork:
    adapters = [
        VmAdapter(name=_text(row.get("Name")), vm_name=row.get("VMName") or None, switch_name=row.get("SwitchName") or None,
                  is_management_os=bool(row.get("IsManagementOs")), mac=_mac(row.get("MacAddress")),
                  id=_text(row.get("Id")))
        for row in results[1]
    ]
    net_adapters = [
        NetAdapter(name=_text(row.get("Name")), description=_text(row.get("InterfaceDescription")),
                   if_index=row.get("ifIndex"), mac=_mac(row.get("MacAddress")))
        for row in results[3]
    ]
    interface = None
    if connection_address and len(results) > 4 and results[4]:
        interface = _text(results[4][0].get("InterfaceAlias")) or None
    return HostNetwork(adapters, net_adapters, connection_address, interface)


def same_name_ids(spec: SwitchSpec, switch_rows: list[t.Any]) -> list[str]:
    """The Ids of the switches ``-Name spec.name`` acts on (Hyper-V compares names without regard to case and
    identifies switches by Id, so several may share a name)."""
    return [_text(row.get("Id")) for row in switch_rows if _text(row.get("Name")).lower() == spec.name.lower()]


def ambiguity(spec: SwitchSpec, switch_rows: list[t.Any], host: str) -> str | None:
    """Why the task must not act on ``spec.name``: more than one switch has that name (None if one or none)."""
    ids = same_name_ids(spec, switch_rows)
    if len(ids) < 2:
        return None
    return (f"{host}: the host has {len(ids)} switches named '{spec.name}' (Ids {', '.join(ids)}); hyperv_switch "
            "finds switches by name and would act on all of them. Rename all but one (Rename-VMSwitch -VMSwitch "
            "(Get-VMSwitch -Id <Id>) -NewName <name>) and run the task again. Nothing was changed.")


def parse_switch(spec: SwitchSpec, switch_rows: list[t.Any], vlan_rows: list[t.Any],
                 network: HostNetwork) -> SwitchState | None:
    """The switch named exactly ``spec.name`` (Get-VMSwitch -Name treats [ ] * ? as wildcards)."""
    rows = [row for row in switch_rows if _text(row.get("Name")) == spec.name]
    return switch_state(rows[0], vlan_rows, network) if rows else None


def switch_state(row: dict[str, t.Any], vlan_rows: list[t.Any], network: HostNetwork) -> SwitchState:
    """A Get-VMSwitch row as a SwitchState; ``vlan_rows`` is the Get-VMNetworkAdapterVlan of its management OS adapter."""
    description = row.get("NetAdapterInterfaceDescription") or None
    nic = next((n for n in network.net_adapters if description and n.description == description), None)
    switch_type = _text(row.get("SwitchType")).lower()
    allow = bool(row.get("AllowManagementOS"))
    return SwitchState(
        name=_text(row.get("Name")),
        switch_type=switch_type,
        net_adapter_description=description,
        net_adapter_name=nic.name if nic else None,
        allow_management_os=_has_management_os(switch_type, allow),
        notes=_text(row.get("Notes")),
        iov_enabled=bool(row.get("IovEnabled")),
        bandwidth_mode=_text(row.get("BandwidthReservationMode")).lower() or "absolute",
        management_vlan=(parse_vlan(vlan_rows) or Vlan("untagged")) if _has_management_os(switch_type, allow) else None,
    )


def listing(results: list[list[t.Any]]) -> list[dict[str, t.Any]]:
    """hyperv_switch_info's entries from the output of ``listing_commands``, by name (then Id).

    A switch's management_vlan is that of its management OS adapter named after it (the one Hyper-V creates with
    the switch, and the one hyperv_switch sets), else of its first one; every adapter is listed with its own VLAN.
    """
    network = parse_network([results[0], results[1], [], results[3]], None)
    vlan_of = {key.lower(): row for row in results[2] if isinstance(row, dict) and (key := parent_adapter_id(row))}
    entries = []
    for row in sorted(results[0], key=lambda r: (_text(r.get("Name")).lower(), _text(r.get("Id")))):
        name = _text(row.get("Name"))
        vnics = network.management_adapters(name)
        own = next((v for v in vnics if v.name == name), vnics[0] if vnics else None)
        own_vlan = [vlan_of[own.id.lower()]] if own and own.id.lower() in vlan_of else []
        entry = switch_state(row, own_vlan, network).to_result()
        entry["id"] = _text(row.get("Id"))
        entry["management_adapters"] = [
            {"name": v.name, "vlan": (parse_vlan([vlan_of[v.id.lower()]]) if v.id.lower() in vlan_of
                                      else Vlan("untagged")).to_result()} for v in vnics]
        entry["vm_adapters"] = sorted(({"vm_name": a.vm_name, "name": a.name} for a in network.vm_adapters(name)),
                                      key=lambda a: ((a["vm_name"] or "").lower(), a["name"].lower()))
        entries.append(entry)
    return entries


# -- planning -----------------------------------------------------------------------------------

def connection_over_switch(spec: SwitchSpec, network: HostNetwork) -> bool | None:
    """True if the connection address is bound to a management OS adapter of this switch.

    None when the address was not found on any interface of the host (behind NAT or a proxy, or
    the host name resolved to another address than the host has): then nobody knows, and risky
    changes are refused just the same.
    """
    if not network.connection_interface:
        return None
    for vnic in network.management_adapters(spec.name):
        if (network.interface_of(vnic) or "").lower() == network.connection_interface.lower():
            return True
    return False


def _vlan_commands(adapter_name: str, vlan: Vlan) -> list[Cmd]:
    params: dict[str, t.Any] = {"ManagementOS": True, "VMNetworkAdapterName": adapter_name}
    if vlan.mode == "access":
        params.update(Access=True, VlanId=vlan.vlan_id)
    else:
        params["Untagged"] = True
    return [Cmd("Set-VMNetworkAdapterVlan", params)]


def _new_switch_command(spec: SwitchSpec, switch_type: str) -> Cmd:
    params: dict[str, t.Any] = {"Name": spec.name}
    if switch_type == "external":
        params["NetAdapterName"] = spec.net_adapter_name
        params["AllowManagementOS"] = True if spec.allow_management_os is None else spec.allow_management_os
    else:
        params["SwitchType"] = switch_type.capitalize()
    if spec.notes is not None:
        params["Notes"] = spec.notes
    if spec.enable_iov is not None:
        params["EnableIov"] = spec.enable_iov
    if spec.minimum_bandwidth_mode is not None:
        params["MinimumBandwidthMode"] = spec.minimum_bandwidth_mode.capitalize()
    return Cmd("New-VMSwitch", params)


def _has_management_os(switch_type: str, allow_management_os: bool) -> bool:
    return switch_type == "internal" or (switch_type == "external" and allow_management_os)


def _cutoff_refusal(spec: SwitchSpec, over: bool | None, network: HostNetwork, what: str) -> str:
    address = network.connection_address or "the host name"
    if over:
        why = (f"the controller reaches this host at {address}, which is bound to {network.connection_interface}, "
               f"the management OS adapter of switch '{spec.name}'")
    else:
        why = (f"the address the controller connects to ({address}) was not found on any interface of the host, "
               f"so it cannot be shown that the connection does not run over switch '{spec.name}'")
    return (f"Refusing to {what}: {why}. The change can cut the controller (and untagged devices on the LAN) off "
            "from the host's management OS. Connect over another NIC, or set "
            "accept_management_cutoff: true if the host stays reachable another way (for example the controller is "
            "on the same VLAN, or the host has a second NIC).")


def _skipped_vlan(refusal: str, vlan: Vlan) -> str:
    """The warning of a management VLAN left out (management_vlan_cutoff: skip) instead of a refusal."""
    return (f"{refusal.replace('Refusing to ', 'Not going to ', 1)} The management OS adapter stays as it is, so VMs "
            f"on {vlan.describe()} on this host cannot reach VMs on other hosts until it carries the VLAN too.")


def plan_switch(spec: SwitchSpec, current: SwitchState | None, network: HostNetwork) -> SwitchPlan:
    over = connection_over_switch(spec, network) if current else False
    if spec.state == "absent":
        return _plan_absent(spec, current, network, over)
    if current is None:
        return _plan_create(spec, network)
    return _plan_update(spec, current, network, over)


def _plan_absent(spec: SwitchSpec, current: SwitchState | None, network: HostNetwork, over: bool | None) -> SwitchPlan:
    if current is None:
        return SwitchPlan([], [], [], False, None)
    risky = _has_management_os(current.switch_type, current.allow_management_os)
    change = Change(f"remove switch '{spec.name}'", [Cmd("Remove-VMSwitch", {"Name": spec.name, "Force": True})],
                    risks_connection=risky)
    errors: list[str] = []
    warnings: list[str] = []
    vms = sorted({a.vm_name or "" for a in network.vm_adapters(spec.name)})
    if vms:
        warnings.append(f"switch '{spec.name}' is removed while VMs are connected to it: {', '.join(vms)}; "
                        "their adapters are left disconnected")
    if risky and over is not False and not spec.accept_management_cutoff:
        errors.append(_cutoff_refusal(spec, over, network, f"remove switch '{spec.name}'"))
    return SwitchPlan([change], errors, warnings, over, None)


def _plan_create(spec: SwitchSpec, network: HostNetwork) -> SwitchPlan:
    errors: list[str] = []
    warnings: list[str] = []
    switch_type = spec.switch_type or ("external" if spec.net_adapter_name else None)
    if switch_type is None:
        return SwitchPlan([], [f"switch '{spec.name}' does not exist: set switch_type (and net_adapter_name for an "
                               "external switch) to create it"], [], False, None)
    if switch_type == "external" and not spec.net_adapter_name:
        errors.append("an external switch needs net_adapter_name (the physical NIC to bind it to)")
    allow = True if spec.allow_management_os is None else spec.allow_management_os
    if switch_type != "external" and spec.net_adapter_name:
        errors.append(f"net_adapter_name is only valid for an external switch, not a {switch_type} one")
    if switch_type == "external" and spec.net_adapter_name and not network.net_adapter(spec.net_adapter_name):
        names = ", ".join(sorted(n.name for n in network.net_adapters)) or "none"
        errors.append(f"the host has no network adapter named '{spec.net_adapter_name}' (it has: {names})")
    changes = [Change(f"create {switch_type} switch '{spec.name}'", [_new_switch_command(spec, switch_type)])]
    risky_nic = (switch_type == "external" and spec.net_adapter_name and network.connection_interface
                 and network.connection_interface.lower() == spec.net_adapter_name.lower())
    if risky_nic and not allow and not spec.accept_management_cutoff:
        errors.append(
            f"Refusing to bind switch '{spec.name}' to '{spec.net_adapter_name}' without the management OS: the "
            f"controller reaches this host at {network.connection_address} on that NIC, and binding it to a switch "
            "that the management OS does not share takes the address away. Set allow_management_os: "
            "true, connect over another NIC, or set accept_management_cutoff: true.")
    elif risky_nic:
        warnings.append(f"'{spec.net_adapter_name}' carries the connection to this host; creating the switch moves its "
                        f"IP configuration to vEthernet ({spec.name}) and briefly interrupts the connection")
    vlan = spec.management_vlan if spec.management_vlan and spec.management_vlan.mode != "untagged" else None
    planned_vlan = spec.management_vlan
    if vlan and not _has_management_os(switch_type, allow):
        errors.append(f"management_vlan needs a management OS adapter, which a {switch_type} switch"
                      f"{'' if switch_type != 'external' else ' with allow_management_os: false'} does not have")
    elif vlan:
        risky = bool(risky_nic)
        refusal = _cutoff_refusal(spec, True, network, f"put the management OS of new switch '{spec.name}' on "
                                  f"{vlan.describe()}") if risky and not spec.accept_management_cutoff else None
        if refusal and spec.management_vlan_cutoff == "skip":
            warnings.append(_skipped_vlan(refusal, vlan))
            planned_vlan = None
        else:
            if refusal:
                errors.append(refusal)
            changes.append(Change(f"set the management OS adapter '{spec.name}' to {vlan.describe()}",
                                  _vlan_commands(spec.name, vlan), risks_connection=risky))
    after = SwitchState(spec.name, switch_type, None, _has_management_os(switch_type, allow), spec.notes or "",
                        bool(spec.enable_iov), spec.minimum_bandwidth_mode or "absolute",
                        (planned_vlan or Vlan("untagged")) if _has_management_os(switch_type, allow) else None,
                        net_adapter_name=spec.net_adapter_name)
    return SwitchPlan(changes, errors, warnings, bool(risky_nic), after)


def _plan_update(spec: SwitchSpec, current: SwitchState, network: HostNetwork, over: bool | None) -> SwitchPlan:
    errors: list[str] = []
    warnings: list[str] = []
    changes: list[Change] = []
    after = dataclasses.replace(current)
    want_type = spec.switch_type or ("external" if spec.net_adapter_name and current.switch_type != "external"
                                     else current.switch_type)

    recreate_reasons = []
    if spec.enable_iov is not None and spec.enable_iov != current.iov_enabled:
        recreate_reasons.append(f"SR-IOV {'on' if spec.enable_iov else 'off'}")
    if spec.minimum_bandwidth_mode is not None and spec.minimum_bandwidth_mode != current.bandwidth_mode:
        recreate_reasons.append(f"minimum bandwidth mode {current.bandwidth_mode} -> {spec.minimum_bandwidth_mode}")
    if recreate_reasons:
        return _plan_recreate(spec, current, network, over, want_type, recreate_reasons)

    set_params: dict[str, t.Any] = {}
    risky_set = False
    if want_type != current.switch_type or (
        want_type == "external" and spec.net_adapter_name
        and (current.net_adapter_name or "").lower() != spec.net_adapter_name.lower()
    ):
        if want_type == "external":
            if not spec.net_adapter_name:
                errors.append(f"turning switch '{spec.name}' into an external switch needs net_adapter_name")
            elif not network.net_adapter(spec.net_adapter_name):
                names = ", ".join(sorted(n.name for n in network.net_adapters)) or "none"
                errors.append(f"the host has no network adapter named '{spec.net_adapter_name}' (it has: {names})")
            set_params["NetAdapterName"] = spec.net_adapter_name
            after.net_adapter_name = spec.net_adapter_name
        else:
            set_params["SwitchType"] = want_type.capitalize()
            after.net_adapter_name = None
            after.net_adapter_description = None
        after.switch_type = want_type
        risky_set = current.switch_type == "external"
    if want_type == "external":
        want_allow = current.allow_management_os if spec.allow_management_os is None else spec.allow_management_os
        if want_allow != current.allow_management_os or "NetAdapterName" in set_params:
            set_params["AllowManagementOS"] = want_allow
            risky_set = risky_set or (current.allow_management_os and not want_allow)
        after.allow_management_os = want_allow
    else:
        if spec.allow_management_os is not None and spec.allow_management_os != (want_type == "internal"):
            errors.append(f"allow_management_os applies to external switches only; a {want_type} switch "
                          f"{'always has' if want_type == 'internal' else 'never has'} a management OS adapter")
        after.allow_management_os = want_type == "internal"
    if spec.notes is not None and spec.notes != current.notes:
        set_params["Notes"] = spec.notes
        after.notes = spec.notes
    if set_params:
        description = ", ".join(f"{key}={value}" for key, value in set_params.items())
        changes.append(Change(f"change switch '{spec.name}': {description}",
                              [Cmd("Set-VMSwitch", {"Name": spec.name, **set_params})], risks_connection=risky_set))
        if risky_set and over is not False and not spec.accept_management_cutoff:
            errors.append(_cutoff_refusal(spec, over, network, f"change switch '{spec.name}' ({description})"))

    has_vnic = _has_management_os(after.switch_type, after.allow_management_os)
    after.management_vlan = (current.management_vlan or Vlan("untagged")) if has_vnic else None
    if spec.management_vlan is not None:
        vnics = network.management_adapters(spec.name)
        named = [v for v in vnics if v.name == spec.vnic_name]
        if not has_vnic:
            if spec.management_vlan.mode != "untagged":
                errors.append(f"switch '{spec.name}' has no management OS adapter to put on a VLAN "
                              "(allow_management_os is false, or it is a private switch)")
        elif vnics and not named:
            errors.append(f"switch '{spec.name}' has no management OS adapter named '{spec.vnic_name}'; its management "
                          f"OS adapters are: {', '.join(v.name for v in vnics)}. Set management_adapter_name.")
        elif spec.management_vlan != (current.management_vlan or Vlan("untagged")) and (
                (over if named else False) is not False and not spec.accept_management_cutoff
                and spec.management_vlan_cutoff == "skip"):
            warnings.append(_skipped_vlan(_cutoff_refusal(spec, over, network, f"put the management OS adapter "
                                                          f"'{spec.vnic_name}' on {spec.management_vlan.describe()}"),
                                          spec.management_vlan))
        elif spec.management_vlan != (current.management_vlan or Vlan("untagged")):
            vnic_over = over if named else False
            change = Change(f"set the management OS adapter '{spec.vnic_name}' from "
                            f"{(current.management_vlan or Vlan('untagged')).describe()} to {spec.management_vlan.describe()}",
                            _vlan_commands(spec.vnic_name, spec.management_vlan), risks_connection=vnic_over is not False)
            changes.append(change)
            after.management_vlan = spec.management_vlan
            if vnic_over is not False and not spec.accept_management_cutoff:
                errors.append(_cutoff_refusal(spec, vnic_over, network, f"put the management OS adapter "
                                              f"'{spec.vnic_name}' on {spec.management_vlan.describe()}"))
            elif spec.management_vlan.mode == "access":
                warnings.append(f"the management OS of this host on switch '{spec.name}' now carries "
                                f"{spec.management_vlan.describe()}: untagged devices on that LAN can no longer reach it "
                                "through this switch")
    return SwitchPlan(changes, errors, warnings, over, after)


def _plan_recreate(spec: SwitchSpec, current: SwitchState, network: HostNetwork, over: bool | None,
                   want_type: str, reasons: list[str]) -> SwitchPlan:
    what = "; ".join(reasons)
    if not spec.recreate:
        return SwitchPlan([], [f"switch '{spec.name}' must be removed and created again for: {what} (Hyper-V sets these "
                               "only when a switch is created). Set recreate: true to do that; connected VM adapters are "
                               "reconnected afterwards."], [], over, None)
    merged = dataclasses.replace(
        spec,
        switch_type=want_type,
        net_adapter_name=spec.net_adapter_name or current.net_adapter_name,
        allow_management_os=current.allow_management_os if spec.allow_management_os is None else spec.allow_management_os,
        notes=current.notes if spec.notes is None else spec.notes,
    )
    create = _plan_create(dataclasses.replace(merged, management_vlan=None), network)
    commands = [Cmd("Remove-VMSwitch", {"Name": spec.name, "Force": True}), *create.commands]
    vlan = spec.management_vlan or current.management_vlan
    has_vnic = _has_management_os(want_type, bool(merged.allow_management_os))
    if vlan and vlan.mode != "untagged" and has_vnic:
        commands.extend(_vlan_commands(spec.name, vlan))
    for adapter in network.vm_adapters(spec.name):
        commands.append(Cmd("Connect-VMNetworkAdapter", {"VMName": adapter.vm_name, "Name": adapter.name,
                                                         "SwitchName": spec.name}))
    risky = _has_management_os(current.switch_type, current.allow_management_os)
    errors = list(create.errors)
    if risky and over is not False and not spec.accept_management_cutoff:
        errors.append(_cutoff_refusal(spec, over, network, f"recreate switch '{spec.name}' ({what})"))
    after = create.after
    if after is not None:
        after.management_vlan = (vlan or Vlan("untagged")) if has_vnic else None
    change = Change(f"recreate switch '{spec.name}' ({what})", commands, risks_connection=risky)
    return SwitchPlan([change], errors, create.warnings, over, after)


def verify_commands(spec: SwitchSpec) -> list[Cmd]:
    """Appended to the apply batch: the switch and its management OS VLAN as they are afterwards."""
    return [
        Cmd("Get-VMSwitch", {"Name": spec.name}, select=_SWITCH_PROPERTIES, missing_ok=True),
        Cmd("Get-VMNetworkAdapterVlan", {"ManagementOS": True, "VMNetworkAdapterName": spec.vnic_name},
            select=["OperationMode", "AccessVlanId"], missing_ok=True),
    ]
