# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host as a Hyper-V Replica server: what to read, what it accepts, and the plan to configure it.

FOR INTERNAL COLLECTION USE ONLY. Reads and plans are pure (commands in, facts out) so they are
testable without a host; hyperv_replica_server and hyperv_replica share them.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

# The listener rules Windows ships with the Hyper-V role (Name -> what the user sees). They are fixed to TCP 80 and
# 443, so a replica server listening on another port gets a rule of the collection's own (named below) instead.
HTTP_RULE = "VIRT-HVRHTTPL-In-TCP-NoScope"
HTTPS_RULE = "VIRT-HVRHTTPSL-In-TCP-NoScope"
OWN_KERBEROS_RULE = "WinVirt-HyperV-Replica-Kerberos-In-TCP"
OWN_CERTIFICATE_RULE = "WinVirt-HyperV-Replica-Certificate-In-TCP"
OWN_RULE_GROUP = "winvirt.hyperv"
RULE_NAMES = {HTTP_RULE: "Hyper-V Replica HTTP Listener (TCP-In)", HTTPS_RULE: "Hyper-V Replica HTTPS Listener (TCP-In)",
              OWN_KERBEROS_RULE: "Hyper-V Replica Kerberos Listener, configured port (TCP-In)",
              OWN_CERTIFICATE_RULE: "Hyper-V Replica Certificate Listener, configured port (TCP-In)"}
# authentication -> (the built-in rule, its port, the collection's rule for any other port)
LISTENERS = {"kerberos": (HTTP_RULE, 80, OWN_KERBEROS_RULE), "certificate": (HTTPS_RULE, 443, OWN_CERTIFICATE_RULE)}
# module choice -> Hyper-V's RecoveryAuthenticationType
AUTHENTICATION = {"kerberos": "Kerberos", "certificate": "Certificate", "both": "CertificateAndKerberos"}
SERVER_PROPERTIES = ["ReplicationEnabled", "AllowedAuthenticationType", "ReplicationAllowedFromAnyServer",
                     "DefaultStorageLocation", "KerberosAuthenticationPort", "CertificateAuthenticationPort",
                     "CertificateThumbprint"]


@dataclasses.dataclass(frozen=True)
class AuthorizationEntry:
    primary_server: str
    storage_location: str
    trust_group: str

    def to_result(self) -> dict[str, str]:
        return {"primary_server": self.primary_server, "storage_location": self.storage_location,
                "trust_group": self.trust_group}


@dataclasses.dataclass(frozen=True)
class ServerFacts:
    enabled: bool = False
    authentication: str = "kerberos"  # a key of AUTHENTICATION
    kerberos_port: int = 80
    certificate_port: int = 443
    certificate_thumbprint: str | None = None
    allow_any_server: bool = True
    default_storage_location: str | None = None
    authorization_entries: tuple[AuthorizationEntry, ...] = ()
    firewall: tuple[tuple[str, bool], ...] = ()  # (rule Name, enabled) of the listener rules
    rule_ports: tuple[tuple[str, str], ...] = ()  # (rule Name, LocalPort) of the collection's own listener rules

    def rule_enabled(self, name: str) -> bool | None:
        return next((enabled for rule, enabled in self.firewall if rule == name), None)

    def rule_port(self, name: str) -> str | None:
        return next((port for rule, port in self.rule_ports if rule == name), None)

    def to_result(self) -> dict[str, t.Any]:
        return {
            "enabled": self.enabled, "authentication": self.authentication, "kerberos_port": self.kerberos_port,
            "certificate_port": self.certificate_port, "certificate_thumbprint": self.certificate_thumbprint,
            "allow_any_server": self.allow_any_server, "default_storage_location": self.default_storage_location,
            "authorization_entries": [e.to_result() for e in self.authorization_entries],
            "firewall": {RULE_NAMES.get(rule, rule): enabled for rule, enabled in self.firewall},
        }


def server_read_commands() -> list[Cmd]:
    """Four commands: the server settings, its authorization entries, the listener firewall rules, and the ports of
    the collection's own listener rules."""
    own = [OWN_KERBEROS_RULE, OWN_CERTIFICATE_RULE]
    return [Cmd("Get-VMReplicationServer", select=SERVER_PROPERTIES),
            Cmd("Get-VMReplicationAuthorizationEntry", missing_ok=True,
                select=["AllowedPrimaryServer", "ReplicaStorageLocation", "TrustGroup"]),
            Cmd("Get-NetFirewallRule", {"Name": [HTTP_RULE, HTTPS_RULE, *own]}, missing_ok=True,
                select=["Name", "Enabled"]),
            Cmd("Get-NetFirewallRule", {"Name": own}, missing_ok=True, piped=[Cmd("Get-NetFirewallPortFilter")],
                select=["InstanceID", "LocalPort"])]


SERVER_ROWS = len(server_read_commands())


def _rows(value: t.Any) -> list[dict[str, t.Any]]:
    return [row for row in value or [] if isinstance(row, dict)]


def _enabled(value: t.Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _ports(value: t.Any) -> str:
    return ",".join(str(p) for p in value) if isinstance(value, list) else str(value or "")


def parse_server(rows: t.Sequence[t.Any]) -> ServerFacts:
    """ServerFacts from the output of ``server_read_commands`` (four lists)."""
    server = next(iter(_rows(rows[0])), {})
    auth = str(server.get("AllowedAuthenticationType") or "Kerberos")
    return ServerFacts(
        enabled=_enabled(server.get("ReplicationEnabled")),
        authentication=next((k for k, v in AUTHENTICATION.items() if v.lower() == auth.lower()), "kerberos"),
        kerberos_port=int(server.get("KerberosAuthenticationPort") or 80),
        certificate_port=int(server.get("CertificateAuthenticationPort") or 443),
        certificate_thumbprint=server.get("CertificateThumbprint") or None,
        allow_any_server=_enabled(server.get("ReplicationAllowedFromAnyServer", True)),
        default_storage_location=server.get("DefaultStorageLocation") or None,
        authorization_entries=tuple(AuthorizationEntry(str(r.get("AllowedPrimaryServer")),
                                                       str(r.get("ReplicaStorageLocation") or ""),
                                                       str(r.get("TrustGroup") or "")) for r in _rows(rows[1])),
        firewall=tuple(sorted((str(r.get("Name")), _enabled(r.get("Enabled"))) for r in _rows(rows[2]))),
        rule_ports=tuple(sorted((str(r.get("InstanceID")), _ports(r.get("LocalPort")))
                                for r in _rows(rows[3] if len(rows) > 3 else []))),
    )


def listener_rule(authentication: str, port: int | None = None) -> str:
    """The firewall rule a replica server needs open for primaries using ``authentication`` (kerberos/certificate)
    on ``port``: the built-in rule on its own port (80 / 443), else the collection's rule."""
    built_in, default, own = LISTENERS["certificate" if authentication == "certificate" else "kerberos"]
    return built_in if port in (None, default) else own


def acceptance_problems(server: ServerFacts, host: str, primary_names: t.Sequence[str], authentication: str,
                        port: int) -> list[str]:
    """Why ``host`` (as a replica server) would refuse replication from a primary known by ``primary_names``,
    with the fix for each; empty when it accepts."""
    problems: list[str] = []
    if not server.enabled:
        return [f"the replica server {host} is disabled: Hyper-V Replica is not enabled on it (configure it with "
                "winvirt.hyperv.hyperv_replica_server, state=present)"]
    if authentication == "kerberos" and server.authentication == "certificate" or \
            authentication == "certificate" and server.authentication == "kerberos":
        problems.append(f"the replica server {host} does not accept {authentication} authentication (it allows "
                        f"{server.authentication}; set authentication on winvirt.hyperv.hyperv_replica_server)")
    expected = server.certificate_port if authentication == "certificate" else server.kerberos_port
    if port != expected:
        problems.append(f"the replica server {host} listens for {authentication} replication on port {expected}, "
                        f"not {port}")
    rule = listener_rule(authentication, expected)
    if server.rule_enabled(rule) is False or (rule in (OWN_KERBEROS_RULE, OWN_CERTIFICATE_RULE)
                                              and server.rule_port(rule) not in (None, str(expected))):
        problems.append(f"the firewall on {host} is closed for replication on TCP port {expected}: the rule "
                        f"'{RULE_NAMES[rule]}' is not enabled for that port (winvirt.hyperv.hyperv_replica_server "
                        "opens it)")
    if not server.allow_any_server and not any(
            fnmatch.fnmatch(name.lower(), entry.primary_server.lower())
            for entry in server.authorization_entries for name in primary_names if name):
        problems.append(f"the replica server {host} does not authorize the primary {primary_names[0]}: add an "
                        "authorization entry for it, or allow any authenticated server")
    return problems


# -- configuring a replica server ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class ServerSpec:
    state: str  # present | absent
    authentication: str = "kerberos"
    kerberos_port: int = 80
    certificate_port: int = 443
    certificate_thumbprint: str | None = None
    allow_any_server: bool = True
    default_storage_location: str | None = None
    authorization_entries: tuple[AuthorizationEntry, ...] | None = None  # None: leave the entries alone
    manage_firewall: bool = True
    create_storage_location: bool = False  # create a storage folder that does not exist (else refuse)


def storage_folders(spec: ServerSpec) -> list[str]:
    """The storage folders the task names (default location and the entries'), each once."""
    folders = [spec.default_storage_location] if spec.default_storage_location else []
    folders += [entry.storage_location for entry in spec.authorization_entries or ()]
    return list(dict.fromkeys(folders))


def folder_checks(spec: ServerSpec) -> list[Cmd]:
    """One Test-Path per storage folder, in the order of ``storage_folders``."""
    return [Cmd("Test-Path", {"LiteralPath": folder, "PathType": "Container"}) for folder in storage_folders(spec)]


def missing_folders(spec: ServerSpec, rows: t.Sequence[t.Any]) -> list[str]:
    """The storage folders the Test-Path rows of ``folder_checks`` found missing."""
    return [folder for folder, found in zip(storage_folders(spec), rows) if not (found and found[0] is True)]


@dataclasses.dataclass
class ServerPlan:
    after: ServerFacts
    commands: list[Cmd] = dataclasses.field(default_factory=list)
    changes: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)


def _same_path(left: str | None, right: str | None) -> bool:
    return (left or "").rstrip("\\").lower() == (right or "").rstrip("\\").lower()


def plan_server(spec: ServerSpec, current: ServerFacts, missing: t.Collection[str] = (), host: str = "the host") -> ServerPlan:
    """The commands that make ``current`` what ``spec`` asks for (none when it already is).

    ``missing`` are storage folders the host does not have: created with create_storage_location, else refused
    before anything changes (Hyper-V takes only a folder that exists).
    """
    if spec.state == "absent":
        return _plan_disable(spec, current)
    plan = ServerPlan(after=current)
    thumbprint = (spec.certificate_thumbprint or current.certificate_thumbprint or "").upper() or None
    storage = spec.default_storage_location or current.default_storage_location
    if spec.authentication != "kerberos" and not thumbprint:
        plan.errors.append(f"authentication={spec.authentication} needs certificate_thumbprint")
    if spec.allow_any_server and not storage:
        plan.errors.append("allow_any_server=true needs default_storage_location")
    if not spec.allow_any_server and not (spec.authorization_entries or current.authorization_entries):
        plan.errors.append("allow_any_server=false needs at least one of authorization_entries")
    if plan.errors:
        return plan
    parameters: dict[str, t.Any] = {}
    wanted = {"ReplicationEnabled": (True, current.enabled, "enable the replica server"),
              "AllowedAuthenticationType": (AUTHENTICATION[spec.authentication], AUTHENTICATION[current.authentication],
                                            f"authentication {current.authentication} -> {spec.authentication}"),
              "ReplicationAllowedFromAnyServer": (spec.allow_any_server, current.allow_any_server,
                                                  f"allow any authenticated server {current.allow_any_server} -> "
                                                  f"{spec.allow_any_server}"),
              "KerberosAuthenticationPort": (spec.kerberos_port, current.kerberos_port,
                                             f"Kerberos port {current.kerberos_port} -> {spec.kerberos_port}"),
              "CertificateAuthenticationPort": (spec.certificate_port, current.certificate_port,
                                                f"certificate port {current.certificate_port} -> {spec.certificate_port}")}
    for name, (value, now, text) in wanted.items():
        if value != now:
            parameters[name] = value
            plan.changes.append(text)
    if spec.certificate_thumbprint and thumbprint != (current.certificate_thumbprint or "").upper():
        parameters["CertificateThumbprint"] = thumbprint
        plan.changes.append(f"certificate thumbprint -> {thumbprint}")
    if spec.default_storage_location and not _same_path(spec.default_storage_location, current.default_storage_location):
        parameters["DefaultStorageLocation"] = spec.default_storage_location
        plan.changes.append(f"default storage location {current.default_storage_location} -> "
                            f"{spec.default_storage_location}")
    entries = current.authorization_entries
    entry_commands: list[Cmd] = []
    if spec.authorization_entries is not None:
        entries = spec.authorization_entries
        entry_commands = _plan_entries(spec.authorization_entries, current.authorization_entries, plan.changes)
    folders = [parameters["DefaultStorageLocation"]] if "DefaultStorageLocation" in parameters else []
    folders += [c.parameters["ReplicaStorageLocation"] for c in entry_commands if "ReplicaStorageLocation" in c.parameters]
    absent = {folder.rstrip("\\").lower() for folder in missing}
    to_create = [folder for folder in dict.fromkeys(folders) if folder.rstrip("\\").lower() in absent]
    if to_create and not spec.create_storage_location:
        plan.errors.append(f"the storage folder{'s' if len(to_create) > 1 else ''} {', '.join(to_create)} "
                           f"{'do' if len(to_create) > 1 else 'does'} not exist on {host} and Hyper-V stores replicas "
                           "only in a folder that exists: create it first, or set create_storage_location: true")
        return plan
    plan.commands += [Cmd("New-Item", {"ItemType": "Directory", "Path": folder}, select=["FullName"])
                      for folder in to_create]
    plan.changes += [f"create the folder {folder}" for folder in to_create]
    if parameters:
        plan.commands.append(Cmd("Set-VMReplicationServer", {**parameters, "Force": True}))
    plan.commands += entry_commands
    firewall = dict(current.firewall)
    ports = dict(current.rule_ports)
    if spec.manage_firewall:
        needed = {"kerberos": ["kerberos"], "certificate": ["certificate"], "both": ["kerberos", "certificate"]}
        for listener in needed[spec.authentication]:
            port = spec.certificate_port if listener == "certificate" else spec.kerberos_port
            plan.commands += _plan_listener_rule(listener, port, firewall, ports, plan.changes)
    plan.after = ServerFacts(enabled=True, authentication=spec.authentication, kerberos_port=spec.kerberos_port,
                             certificate_port=spec.certificate_port, certificate_thumbprint=thumbprint,
                             allow_any_server=spec.allow_any_server, default_storage_location=storage,
                             authorization_entries=tuple(entries), firewall=tuple(sorted(firewall.items())),
                             rule_ports=tuple(sorted(ports.items())))
    return plan


def _plan_listener_rule(listener: str, port: int, firewall: dict[str, bool], ports: dict[str, str],
                        changes: list[str]) -> list[Cmd]:
    """Open ``port`` for the ``listener`` (kerberos/certificate): the built-in rule when it is that rule's port, else
    the collection's own rule (created, moved to the port, enabled), which goes once the port is the default again.
    ``firewall`` and ``ports`` are updated to the result."""
    built_in, default, own = LISTENERS[listener]
    commands: list[Cmd] = []
    if port == default:
        if firewall.get(built_in) is False:
            commands.append(Cmd("Enable-NetFirewallRule", {"Name": built_in}))
            changes.append(f"open the firewall rule '{RULE_NAMES[built_in]}'")
            firewall[built_in] = True
        if own in firewall:
            commands.append(Cmd("Remove-NetFirewallRule", {"Name": own}))
            changes.append(f"remove the firewall rule '{RULE_NAMES[own]}' (the listener is back on TCP {default})")
            del firewall[own]
            ports.pop(own, None)
        return commands
    if own not in firewall:
        commands.append(Cmd("New-NetFirewallRule", {
            "Name": own, "DisplayName": RULE_NAMES[own], "Group": OWN_RULE_GROUP, "Direction": "Inbound",
            "Protocol": "TCP", "LocalPort": [str(port)], "Action": "Allow", "Enabled": "True",
            "Description": f"Inbound rule for the Hyper-V Replica {listener} listener on its configured port "
                           "(created by winvirt.hyperv.hyperv_replica_server)."}, select=["Name"]))
        changes.append(f"create the firewall rule '{RULE_NAMES[own]}' for TCP {port}")
    else:
        if ports.get(own) != str(port):
            commands.append(Cmd("Set-NetFirewallRule", {"Name": own, "LocalPort": [str(port)]}))
            changes.append(f"move the firewall rule '{RULE_NAMES[own]}' to TCP {port}")
        if firewall.get(own) is False:
            commands.append(Cmd("Enable-NetFirewallRule", {"Name": own}))
            changes.append(f"open the firewall rule '{RULE_NAMES[own]}'")
    firewall[own] = True
    ports[own] = str(port)
    return commands


def _plan_entries(wanted: t.Sequence[AuthorizationEntry], current: t.Sequence[AuthorizationEntry],
                  changes: list[str]) -> list[Cmd]:
    commands: list[Cmd] = []
    existing = {entry.primary_server.lower(): entry for entry in current}
    for entry in wanted:
        have = existing.pop(entry.primary_server.lower(), None)
        if have is None:
            commands.append(Cmd("New-VMReplicationAuthorizationEntry", {
                "AllowedPrimaryServer": entry.primary_server, "ReplicaStorageLocation": entry.storage_location,
                "TrustGroup": entry.trust_group}))
            changes.append(f"authorize primary {entry.primary_server} (storage {entry.storage_location})")
        elif not _same_path(have.storage_location, entry.storage_location) or have.trust_group != entry.trust_group:
            commands.append(Cmd("Set-VMReplicationAuthorizationEntry", {
                "AllowedPrimaryServer": entry.primary_server, "ReplicaStorageLocation": entry.storage_location,
                "TrustGroup": entry.trust_group}))
            changes.append(f"change the authorization of {entry.primary_server}")
    for entry in existing.values():
        commands.append(Cmd("Remove-VMReplicationAuthorizationEntry", {"AllowedPrimaryServer": entry.primary_server}))
        changes.append(f"remove the authorization of {entry.primary_server}")
    return commands


def _plan_disable(spec: ServerSpec, current: ServerFacts) -> ServerPlan:
    plan = ServerPlan(after=dataclasses.replace(current, enabled=False))
    if current.enabled:
        plan.commands.append(Cmd("Set-VMReplicationServer", {"ReplicationEnabled": False, "Force": True}))
        plan.changes.append("disable the replica server")
    if spec.manage_firewall:
        firewall = dict(current.firewall)
        for rule, enabled in current.firewall:
            if enabled:
                plan.commands.append(Cmd("Disable-NetFirewallRule", {"Name": rule}))
                plan.changes.append(f"close the firewall rule '{RULE_NAMES.get(rule, rule)}'")
                firewall[rule] = False
        plan.after = dataclasses.replace(plan.after, firewall=tuple(sorted(firewall.items())))
    return plan
