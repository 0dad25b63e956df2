"""Hyper-V Replica: replica server settings, replication relationships and their state machine.

Each host keeps its own side of a relationship (``Replication``, by VMId): the primary's side on the
primary host, the replica's side (with the replica VM, which has the same VMId) on the replica host.
Cmdlets act on the side of the host they run on and reach the partner through the world, the way
the Replica service talks to its peer; a partner that is powered off is not reachable.

Replication happens in world time (hvsim.clock): as the world clock advances, each relationship runs a
replication cycle every ReplicationFrequencySec (30, 300 or 900 s) after its initial replication, and the
replica keeps its recovery points (the latest, plus RecoveryHistory hourly ones) at the world time of the
cycle that made them. Nothing runs on the wall clock; ``replicate(world, minutes)`` is a shorthand for
tests (it advances the world clock).

State machine (the side's ``state``; the VM's ReplicationState shows it):
  primary: ReadyForInitialReplication -> (Start-VMInitialReplication) Replicating, or
           WaitingForInitialReplication until a scheduled start time passes;
           Replicating <-> Suspended (Suspend/Resume-VMReplication);
           Replicating -> PreparedForFailover (Start-VMFailover -Prepare, VM off) -> Stop-VMFailover cancels.
  replica: WaitingForInitialReplication -> Replicating with the primary;
           Replicating -> FailedOverWaitingCompletion (Start-VMFailover; latest or a chosen recovery point)
           -> FailedOver (Complete-VMFailover) or back (Stop-VMFailover);
           failed over -> Set-VMReplication -Reverse: this side becomes the primary towards the former
           primary (Replicating after a planned failover, ReadyForInitialReplication after an unplanned one).
  A test failover (Start-VMFailover -AsTest) adds the VM "<name> - Test" on the replica host and changes
  no state; Stop-VMFailover removes it.
"""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import math
import typing

from hvsim.clock import WorldClock
from hvsim.contract import CmdletError, PSEnumValue, PSOutObject, UInt64
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.shapes import shaped
from hvsim.world.filesystem import FsError, VhdInfo, clean_path, leaf_name, parent_of, path_key
from hvsim.world.hyperv import (
    NS,
    REPLICATION_STATES,
    TARGET_UNKNOWN,
    VM,
    Checkpoint,
    HyperVState,
    NetworkAdapter,
    enum,
    host_of,
    hv_error,
    is_installed,
    part_object,
    version_key,
    vm_of_object,
    vms_from,
)
from hvsim.world.directory import REPLICA_SERVICE
from hvsim.world.hyperv_devices import drive_object
from hvsim.world.hyperv_jobs import START_INBAND_INITIAL_REPLICATION, concrete_job
from hvsim.world.vhd import sync_open_files

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

AUTH_TYPES = {"Kerberos": 1, "Certificate": 2}
SERVER_AUTH_TYPES = {"Kerberos": 1, "Certificate": 2, "CertificateAndKerberos": 3}
MODES = {"None": 0, "Primary": 1, "Replica": 2, "TestReplica": 3, "ExtendedReplica": 4}
HEALTH = {"NotApplicable": 0, "Normal": 1, "Warning": 2, "Critical": 3}
FREQUENCIES = (30, 300, 900)
HTTP_RULE = "VIRT-HVRHTTPL-In-TCP-NoScope"
HTTPS_RULE = "VIRT-HVRHTTPSL-In-TCP-NoScope"
NOT_REACHABLE = 0x80072EE2  # WININET timeout: the Replica server did not answer
NOT_AUTHORIZED = 0x80042003
CHANGE_RATE = 4 * 1024**2  # bytes a running VM writes per replication cycle (pending while the replica is away)


@dataclasses.dataclass
class AuthorizationEntry:
    allowed_primary_server: str  # a name or wildcard pattern (*.lab.test)
    storage_location: str
    trust_group: str


@dataclasses.dataclass
class ReplicaServer:
    enabled: bool = False
    allowed_auth: str = "Kerberos"  # Kerberos | Certificate | CertificateAndKerberos
    kerberos_port: int = 80
    certificate_port: int = 443
    certificate_thumbprint: str = ""
    allow_any: bool = True
    default_storage: str = ""
    entries: list[AuthorizationEntry] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Replication:
    """One host's side of a VM's replication."""

    vm_id: str
    mode: str  # Primary | Replica
    primary: str  # the FQDNs of both ends, as Hyper-V shows them
    replica: str
    port: int
    auth: str  # Kerberos | Certificate
    certificate_thumbprint: str = ""
    compression: bool = True
    frequency: int = 300
    recovery_history: int = 0
    vss_frequency: int = 0
    excluded: list[str] = dataclasses.field(default_factory=list)  # VHD paths of this host's VM that do not replicate
    state: str = "ReadyForInitialReplication"
    health: str = "Normal"
    last_replication: str | None = None
    initial_start: str | None = None
    pending_bytes: int = 0
    missed_cycles: int = 0
    successful_cycles: int = 0
    planned: bool = False  # the primary was prepared: a reverse needs no resynchronisation
    # replication cycles in world seconds (hvsim.clock): the next one due, and the last that arrived
    next_cycle: float | None = None
    last_cycle: float | None = None
    # the replica's recovery points: when the last hourly one was kept, how many were kept (every
    # VSSSnapshotFrequencyHour-th is application-consistent), and the Id of the latest when it is not an hourly one
    last_hourly: float | None = None
    hourly_count: int = 0
    latest_point: str | None = None
    failed_over_point: str | None = None
    test_vm_id: str | None = None


@dataclasses.dataclass
class ReplicaState:
    server: ReplicaServer = dataclasses.field(default_factory=ReplicaServer)
    relationships: dict[str, Replication] = dataclasses.field(default_factory=dict)  # by VMId


# -- state access ------------------------------------------------------------------------------

def replica_state(state: HyperVState, create: bool = False) -> ReplicaState:
    """The host's replica state; reads of a host never configured get a default that is not stored."""
    if state.replica is None:
        if not create:
            return ReplicaState()
        state.replica = ReplicaState()
    return typing.cast(ReplicaState, state.replica)


def _side(machine: Machine, vm_id: str) -> Replication | None:
    return replica_state(machine.hyperv).relationships.get(vm_id)


def _sync_vm(machine: Machine, vm_id: str) -> None:
    vm = machine.hyperv.vms.get(vm_id)
    if vm is None:
        return
    side = _side(machine, vm_id)
    vm.replication_state = side.state if side else "Disabled"
    vm.replication_health = side.health if side else "NotApplicable"
    vm.replication_mode = side.mode if side else "None"


def _reachable(machine: Machine | None) -> bool:
    return machine is not None and (machine.platform is None or machine.platform.is_reachable()) \
        and machine.hyperv is not None and is_installed(machine)


def _failure(inv: Invocation, message: str, code: int, category: str = "ConnectionError",
             target: str | None = None) -> CmdletError:
    info = hv_error(inv, message, category, "OperationFailed", target)
    info.hresult = code - 2**32
    return CmdletError(info)


def _targets(inv: Invocation) -> list[VM]:
    for parameter in ("VM", "VMReplication"):
        if inv.get(parameter) is not None:
            return vms_from(inv, parameter=parameter)
    return vms_from(inv, name_parameter="VMName")


def _require_side(inv: Invocation, machine: Machine, vm: VM) -> Replication:
    side = _side(machine, vm.id)
    if side is None:
        raise CmdletError(hv_error(inv, f"Replication is not enabled for virtual machine '{vm.name}'. (Virtual "
                                        f"machine ID {vm.id.upper()})", "InvalidOperation", "InvalidState", vm.name))
    return side


def _wrong_state(inv: Invocation, vm: VM, side: Replication, doing: str) -> CmdletError:
    return CmdletError(hv_error(
        inv, f"Could not {doing} for virtual machine '{vm.name}': the operation is not allowed in the replication "
             f"state '{side.state}' ({side.mode} side). (Virtual machine ID {vm.id.upper()})",
        "InvalidOperation", "InvalidState", vm.name))


def _partner(inv: Invocation, machine: Machine, side: Replication, required: bool = True) -> Machine | None:
    other_name = side.replica if side.mode == "Primary" else side.primary
    other = inv.world.machine(other_name)
    if _reachable(other):
        return other
    if required:
        raise _failure(inv, f"Hyper-V cannot connect to the server '{other_name}': the connection attempt timed out "
                            f"(0x{NOT_REACHABLE:08X}). Check that the server is running and reachable.",
                       NOT_REACHABLE, target=other_name)
    return None


# -- the replica server ------------------------------------------------------------------------

def _rule_for(auth: str) -> str:
    return HTTPS_RULE if auth == "Certificate" else HTTP_RULE


def accepts(world: World, primary: Machine, replica: Machine | None, replica_name: str, auth: str, port: int,
            thumbprint: str) -> tuple[str | None, str]:
    """Why ``replica`` would refuse replication from ``primary`` (None if it accepts), and the storage."""
    if replica is None or not _reachable(replica):
        return (f"Hyper-V cannot connect to the Replica server '{replica_name}' on port {port}: the connection attempt "
                f"timed out (0x{NOT_REACHABLE:08X}).", "")
    server = replica_state(replica.hyperv).server
    name = replica.fqdn
    if not server.enabled:
        return (f"The Replica server '{name}' is not enabled as a Replica server: Hyper-V Replica is not configured to "
                f"receive replication (Set-VMReplicationServer -ReplicationEnabled $true). (0x{NOT_AUTHORIZED:08X})", "")
    if auth not in server.allowed_auth:
        return (f"The Replica server '{name}' does not accept {auth} authentication (it allows "
                f"{server.allowed_auth}). (0x{NOT_AUTHORIZED:08X})", "")
    expected = server.certificate_port if auth == "Certificate" else server.kerberos_port
    if port != expected:
        return (f"Hyper-V cannot connect to the Replica server '{name}' on port {port}: it listens for {auth} "
                f"replication on port {expected} (0x{NOT_REACHABLE:08X}).", "")
    if auth == "Certificate" and not thumbprint:
        return "Certificate-based authentication needs the thumbprint of the primary server's certificate.", ""
    if replica.platform is not None and not replica.platform.allows_inbound_tcp(port):
        # the listener's port must be open: the built-in listener rules are fixed to TCP 80 / 443
        rule = replica.platform.firewall_rules.get(_rule_for(auth))
        why = (f"the rule '{rule.display_name}' is not enabled" if rule is not None and not rule.enabled
               and rule.local_port == str(port) else f"no enabled inbound rule allows TCP port {port}")
        return (f"Hyper-V cannot connect to the Replica server '{name}' on port {port}: the connection attempt timed "
                f"out (0x{NOT_REACHABLE:08X}). The firewall on '{name}' blocks it: {why}.", "")
    if server.allow_any:
        return None, server.default_storage
    for entry in server.entries:
        if any(fnmatch.fnmatch(candidate.lower(), entry.allowed_primary_server.lower())
               for candidate in (primary.fqdn, primary.name)):
            return None, entry.storage_location
    return (f"The Replica server '{name}' is not authorized to accept replication from the primary server "
            f"'{primary.fqdn}': no authorization entry allows it. (0x{NOT_AUTHORIZED:08X})", "")


def _server_object(machine: Machine, server: ReplicaServer) -> PSOutObject:
    return shaped(
        [f"{NS}.VMReplicationServer"],
        {
            "ComputerName": machine.netbios, "ReplicationEnabled": server.enabled,
            "AllowedAuthenticationType": PSEnumValue(f"{NS}.RecoveryAuthenticationType", server.allowed_auth,
                                                     SERVER_AUTH_TYPES[server.allowed_auth]),
            "ReplicationAllowedFromAnyServer": server.allow_any, "DefaultStorageLocation": server.default_storage,
            "KerberosAuthenticationPort": server.kerberos_port, "CertificateAuthenticationPort": server.certificate_port,
            "CertificateThumbprint": server.certificate_thumbprint or None,
            "AuthorizationEntries": [_entry_object(machine, e) for e in server.entries],
            "MonitoringInterval": datetime.timedelta(hours=12), "MonitoringStartTime": datetime.timedelta(hours=15)},
        to_string=f"{NS}.VMReplicationServer")


def _entry_object(machine: Machine, entry: AuthorizationEntry) -> PSOutObject:
    return shaped([f"{NS}.VMReplicationAuthorizationEntry"],
                  {"AllowedPrimaryServer": entry.allowed_primary_server, "ReplicaStorageLocation": entry.storage_location,
                   "TrustGroup": entry.trust_group, "ComputerName": machine.netbios},
                  to_string=f"{NS}.VMReplicationAuthorizationEntry")


@cmdlet("Get-VMReplicationServer")
def get_vm_replication_server(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    yield _server_object(machine, replica_state(state).server)


def _existing_folder(inv: Invocation, machine: Machine, path: str) -> str:
    if not machine.fs.is_dir(path):
        raise CmdletError(hv_error(inv, f"The storage location '{path}' does not exist on '{machine.netbios}'.",
                                   "ObjectNotFound", "ObjectNotFound", path))
    return clean_path(path)


@cmdlet("Set-VMReplicationServer")
def set_vm_replication_server(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    current = replica_state(state).server
    server = dataclasses.replace(current, entries=list(current.entries))
    if inv.has("ReplicationEnabled"):
        server.enabled = bool(inv.get("ReplicationEnabled"))
    if inv.has("AllowedAuthenticationType"):
        text = str(getattr(inv.get("AllowedAuthenticationType"), "name", inv.get("AllowedAuthenticationType")))
        server.allowed_auth = next((k for k in SERVER_AUTH_TYPES if k.lower() == text.lower()), "")
        if not server.allowed_auth:
            raise CmdletError(hv_error(inv, f"Cannot convert value \"{text}\" to type \"{NS}.RecoveryAuthenticationType\"."
                                            f" Specify one of: {', '.join(SERVER_AUTH_TYPES)}", "InvalidArgument",
                                       "InvalidParameter", text))
    if inv.has("ReplicationAllowedFromAnyServer"):
        server.allow_any = bool(inv.get("ReplicationAllowedFromAnyServer"))
    if inv.has("DefaultStorageLocation"):
        server.default_storage = _existing_folder(inv, machine, str(inv.get("DefaultStorageLocation")))
    for parameter, attribute in (("KerberosAuthenticationPort", "kerberos_port"),
                                 ("CertificateAuthenticationPort", "certificate_port")):
        if inv.has(parameter):
            setattr(server, attribute, int(inv.get(parameter)))
    if inv.has("CertificateThumbprint"):
        server.certificate_thumbprint = str(inv.get("CertificateThumbprint") or "").upper()
    if server.enabled and server.allow_any and not server.default_storage:
        raise CmdletError(hv_error(inv, "A default storage location is required when replication is allowed from any "
                                        "authenticated server (-DefaultStorageLocation).", "InvalidArgument",
                                   "InvalidParameter"))
    if server.enabled and "Certificate" in server.allowed_auth and not server.certificate_thumbprint:
        raise CmdletError(hv_error(inv, "Certificate-based authentication needs -CertificateThumbprint of a certificate "
                                        "in the machine's personal store.", "InvalidArgument", "InvalidParameter"))
    replica_state(state, create=True).server = server
    if inv.get("Passthru"):
        yield _server_object(machine, server)


@cmdlet("Get-VMReplicationAuthorizationEntry")
def get_authorization_entry(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    wanted = inv.get("AllowedPrimaryServer")
    found = [e for e in replica_state(state).server.entries
             if wanted is None or e.allowed_primary_server.lower() == str(wanted).lower()]
    found = [e for e in found if inv.get("TrustGroup") is None or e.trust_group.lower() == str(inv.get("TrustGroup")).lower()]
    if wanted is not None and not found:
        inv.write_error(hv_error(inv, f"No authorization entry for the primary server '{wanted}' was found.",
                                 "ObjectNotFound", "ObjectNotFound", str(wanted)))
    for entry in found:
        yield _entry_object(machine, entry)


@cmdlet("New-VMReplicationAuthorizationEntry")
def new_authorization_entry(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    server = replica_state(state, create=True).server
    name = str(inv.get("AllowedPrimaryServer"))
    if any(e.allowed_primary_server.lower() == name.lower() for e in server.entries):
        raise CmdletError(hv_error(inv, f"An authorization entry for the primary server '{name}' already exists.",
                                   "ResourceExists", "ObjectExists", name))
    entry = AuthorizationEntry(name, _existing_folder(inv, machine, str(inv.get("ReplicaStorageLocation"))),
                               str(inv.get("TrustGroup")))
    server.entries.append(entry)
    yield _entry_object(machine, entry)


def _entries_from(inv: Invocation, server: ReplicaServer) -> list[AuthorizationEntry]:
    given = inv.get("VMReplicationAuthorizationEntry")
    if given is not None:
        names = {str(item.properties.get("AllowedPrimaryServer")).lower()
                 for item in (given if isinstance(given, list) else [given]) if isinstance(item, PSOutObject)}
        return [e for e in server.entries if e.allowed_primary_server.lower() in names]
    if inv.get("TrustGroup") is not None and inv.get("AllowedPrimaryServer") is None:
        return [e for e in server.entries if e.trust_group.lower() == str(inv.get("TrustGroup")).lower()]
    name = str(inv.get("AllowedPrimaryServer"))
    found = [e for e in server.entries if e.allowed_primary_server.lower() == name.lower()]
    if not found:
        raise CmdletError(hv_error(inv, f"No authorization entry for the primary server '{name}' was found.",
                                   "ObjectNotFound", "ObjectNotFound", name))
    return found


@cmdlet("Set-VMReplicationAuthorizationEntry")
def set_authorization_entry(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    server = replica_state(state, create=True).server
    for entry in _entries_from(inv, server):
        if inv.has("ReplicaStorageLocation"):
            entry.storage_location = _existing_folder(inv, machine, str(inv.get("ReplicaStorageLocation")))
        if inv.has("TrustGroup"):
            entry.trust_group = str(inv.get("TrustGroup"))
        if inv.get("Passthru"):
            yield _entry_object(machine, entry)


@cmdlet("Remove-VMReplicationAuthorizationEntry")
def remove_authorization_entry(inv: Invocation) -> None:
    _machine, state = host_of(inv)
    server = replica_state(state, create=True).server
    for entry in _entries_from(inv, server):
        server.entries.remove(entry)


# -- enabling and the initial replication -------------------------------------------------------

def _time_text(value: typing.Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _date_time(text: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text) if text else None


def _excluded(inv: Invocation, vm: VM) -> list[str]:
    paths = [str(p) for p in (inv.get("ExcludedVhdPath") or [])]
    for drive in inv.get("ExcludedVhd") or []:
        if isinstance(drive, PSOutObject) and drive.properties.get("Path"):
            paths.append(str(drive.properties["Path"]))
    attached = {path_key(d.path): d.path for d in vm.hard_drives if d.path}
    result = []
    for path in paths:
        if path_key(path) not in attached:
            raise CmdletError(hv_error(inv, f"The virtual hard disk '{path}' is not attached to virtual machine "
                                            f"'{vm.name}'.", "InvalidArgument", "InvalidParameter", path))
        result.append(attached[path_key(path)])
    if len(result) == len(attached):
        raise CmdletError(hv_error(inv, f"At least one virtual hard disk of '{vm.name}' must be replicated.",
                                   "InvalidArgument", "InvalidParameter", vm.name))
    return result


def _chosen_disks(inv: Invocation, vm: VM) -> list[str] | None:
    """-ReplicatedDiskPaths / -ReplicatedDisks as the VM's disks not replicated, or None when neither is given."""
    if not (inv.has("ReplicatedDiskPaths") or inv.has("ReplicatedDisks")):
        return None
    wanted = [str(p) for p in (inv.get("ReplicatedDiskPaths") or [])]
    wanted += [str(d.properties.get("Path")) for d in (inv.get("ReplicatedDisks") or []) if isinstance(d, PSOutObject)]
    attached = {path_key(d.path) for d in vm.hard_drives if d.path}
    for path in wanted:
        if path_key(path) not in attached:
            raise CmdletError(hv_error(inv, f"The virtual hard disk '{path}' is not attached to virtual machine "
                                            f"'{vm.name}'.", "InvalidArgument", "InvalidParameter", path))
    if not wanted:
        raise CmdletError(hv_error(inv, f"At least one virtual hard disk of '{vm.name}' must be replicated.",
                                   "InvalidArgument", "InvalidParameter", vm.name))
    keys = {path_key(p) for p in wanted}
    return [d.path for d in vm.hard_drives if d.path and path_key(d.path) not in keys]


def _check_settings(inv: Invocation, side: Replication) -> None:
    if side.frequency not in FREQUENCIES:
        raise CmdletError(hv_error(inv, f"The replication frequency {side.frequency} seconds is not valid: use 30, 300 "
                                        "or 900.", "InvalidArgument", "InvalidParameter"))
    if not 0 <= side.recovery_history <= 24:
        raise CmdletError(hv_error(inv, f"The number of recovery points {side.recovery_history} is not valid: use 0 to "
                                        "24.", "InvalidArgument", "InvalidParameter"))
    if side.vss_frequency and (not 1 <= side.vss_frequency <= 12 or not side.recovery_history):
        raise CmdletError(hv_error(inv, "Application-consistent snapshots (-VSSSnapshotFrequencyHour 1 to 12) need "
                                        "additional recovery points (-RecoveryHistory).", "InvalidArgument",
                                   "InvalidParameter"))


def _replica_disk(storage: str, vm_id: str, path: str) -> str:
    return f"{storage}\\Hyper-V Replica\\Virtual hard disks\\{vm_id.upper()}\\{leaf_name(path)}"


def _make_replica_vm(primary: Machine, replica: Machine, vm: VM, storage: str, excluded: list[str]) -> VM:
    state = replica.hyperv
    copy = VM(id=vm.id, name=vm.name, generation=vm.generation, version=vm.version,
              path=f"{storage}\\Hyper-V Replica", processor_count=vm.processor_count, startup=vm.startup,
              dynamic_memory=vm.dynamic_memory, minimum=vm.minimum, maximum=vm.maximum, buffer=vm.buffer,
              secure_boot=vm.secure_boot, secure_boot_template=vm.secure_boot_template,
              boot_order=list(vm.boot_order), notes=vm.notes, scsi_controllers=vm.scsi_controllers,
              checkpoint_type=vm.checkpoint_type)
    skipped = {path_key(p) for p in excluded}
    copy.hard_drives = [dataclasses.replace(d, path=_replica_disk(storage, vm.id, d.path))
                        for d in vm.hard_drives if d.path and path_key(d.path) not in skipped]
    copy.dvd_drives = [dataclasses.replace(d, path=None) for d in vm.dvd_drives]
    copy.adapters = [NetworkAdapter(name=a.name, id=a.id, mac_address=a.mac_address, dynamic_mac=a.dynamic_mac,
                                    switch_name=a.switch_name if a.switch_name and state.switch(a.switch_name) else None,
                                    vlan=dataclasses.replace(a.vlan, allowed=list(a.vlan.allowed)),
                                    guest_ip_addresses=list(a.guest_ip_addresses))  # the same guest, once it runs
                     for a in vm.adapters]
    config = f"{copy.path}\\Virtual Machines\\{vm.id.upper()}.vmcx"
    replica.fs.mkdir(parent_of(config) or copy.path)
    replica.fs.write_file(config, 80 * 1024)
    return copy


@cmdlet("Enable-VMReplication")
def enable_vm_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    if inv.get("AsReplica"):
        raise CmdletError(hv_error(inv, "hvsim does not simulate Enable-VMReplication -AsReplica (replica VMs are made "
                                        "by enabling replication on the primary)", "NotImplemented", "NotImplemented"))
    for vm in _targets(inv):
        if _side(machine, vm.id) is not None:
            raise CmdletError(hv_error(inv, f"Replication is already enabled for virtual machine '{vm.name}'.",
                                       "InvalidOperation", "InvalidState", vm.name))
        auth = str(getattr(inv.get("AuthenticationType"), "name", inv.get("AuthenticationType")))
        auth = next((k for k in AUTH_TYPES if k.lower() == auth.lower()), auth)
        if auth not in AUTH_TYPES:
            raise CmdletError(hv_error(inv, f"Cannot convert value \"{auth}\" to type \"{NS}.ReplicationAuthenticationType\"."
                                            " Specify one of: Kerberos, Certificate", "InvalidArgument", "InvalidParameter"))
        name = str(inv.get("ReplicaServerName"))
        replica = inv.world.machine(name)
        side = Replication(vm_id=vm.id, mode="Primary", primary=machine.fqdn, replica=replica.fqdn if replica else name,
                           port=int(inv.get("ReplicaServerPort")), auth=auth,
                           certificate_thumbprint=str(inv.get("CertificateThumbprint") or "").upper(),
                           compression=bool(inv.get("CompressionEnabled", True)),
                           frequency=int(inv.get("ReplicationFrequencySec", 300)),
                           recovery_history=int(inv.get("RecoveryHistory", 0)),
                           vss_frequency=int(inv.get("VSSSnapshotFrequencyHour", 0)), excluded=_excluded(inv, vm))
        _check_settings(inv, side)
        if replica is not None and replica.name == machine.name:
            raise CmdletError(hv_error(inv, "The Replica server cannot be the primary server itself.", "InvalidArgument",
                                       "InvalidParameter", name))
        refusal, storage = accepts(inv.world, machine, replica, name, auth, side.port, side.certificate_thumbprint)
        if refusal is not None:
            code = NOT_REACHABLE if "0x80072EE2" in refusal else NOT_AUTHORIZED
            raise _failure(inv, f"Hyper-V failed to enable replication for virtual machine '{vm.name}': {refusal}", code,
                           "ConnectionError" if code == NOT_REACHABLE else "PermissionDenied", vm.name)
        assert replica is not None
        directory = getattr(inv.world, "directory", None)
        if auth == "Kerberos" and directory is not None and not directory.has_spn(replica, REPLICA_SERVICE):
            raise _failure(inv, f"Hyper-V failed to enable replication for virtual machine '{vm.name}': Hyper-V cannot "
                                f"connect to the Replica server '{replica.fqdn}' over Kerberos: The specified target is "
                                f"unknown or unreachable (0x{TARGET_UNKNOWN:08X}). Its computer account has no "
                                f"'{REPLICA_SERVICE}' service principal name.", TARGET_UNKNOWN, "AuthenticationError",
                           vm.name)
        top = replica.hyperv.host.max_configuration_version
        if version_key(vm.version) > version_key(top):
            raise CmdletError(hv_error(inv, f"Hyper-V failed to enable replication for virtual machine '{vm.name}': the "
                                            f"Replica server '{replica.fqdn}' does not support configuration version "
                                            f"{vm.version} (its highest is {top}).", "InvalidOperation",
                                       "InvalidState", vm.name))
        if vm.id in replica.hyperv.vms:
            raise CmdletError(hv_error(inv, f"Hyper-V failed to enable replication for virtual machine '{vm.name}': a "
                                            f"virtual machine with the same ID already exists on '{replica.fqdn}'.",
                                       "ResourceExists", "ObjectExists", vm.name))
        replica_vm = _make_replica_vm(machine, replica, vm, storage, side.excluded)
        replica.hyperv.vms[vm.id] = replica_vm
        replica_side = dataclasses.replace(side, mode="Replica", state="WaitingForInitialReplication", excluded=[])
        replica_state(state, create=True).relationships[vm.id] = side
        replica_state(replica.hyperv, create=True).relationships[vm.id] = replica_side
        _sync_vm(machine, vm.id)
        _sync_vm(replica, vm.id)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)



def _replicated_drives(vm: VM, side: Replication) -> list[str]:
    skipped = {path_key(p) for p in side.excluded}
    return [d.path for d in vm.hard_drives if d.path and path_key(d.path) not in skipped]


def _hrl_path(path: str) -> str:
    stem = path.rsplit(".", 1)[0]
    return f"{stem}.hrl"


def _initial_copy(inv: Invocation, primary: Machine, replica: Machine, vm: VM, side: Replication) -> None:
    """Copy every replicated disk to the replica VM's paths (identity kept), and start change tracking."""
    replica_vm = replica.hyperv.vms[vm.id]
    targets = {leaf_name(d.path).lower(): d.path for d in replica_vm.hard_drives if d.path}
    held = {key: entry.attached_to for key, entry in primary.fs.files.items()}
    try:
        for path in _replicated_drives(vm, side):
            target = targets.get(leaf_name(path).lower())
            if target is None:
                continue
            primary.fs.get(path).attached_to = None  # a running VM's disk is read through a VSS snapshot
            replica.fs.mkdir(parent_of(target) or target)
            if replica.fs.exists(target):
                replica.fs.remove(target)
            primary.fs.copy(path, replica.fs, target)
            entry = replica.fs.get(target)
            if entry.vhd is not None:
                entry.vhd.parent_path = None  # the replica gets the whole disk, not a chain
                entry.vhd.vhd_type = "Dynamic" if entry.vhd.vhd_type == "Differencing" else entry.vhd.vhd_type
            if not primary.fs.exists(_hrl_path(path)):
                primary.fs.write_file(_hrl_path(path), 1024 * 1024)
    except FsError as exc:
        raise CmdletError(hv_error(inv, f"Initial replication of '{vm.name}' failed: '{exc.path}': "
                                        f"{exc.kind.replace('_', ' ')}.", "WriteError", "OperationFailed", vm.name))
    finally:
        for key, owner in held.items():
            if key in primary.fs.files:
                primary.fs.files[key].attached_to = owner
    sync_open_files(primary, primary.hyperv)


HOUR = 3600.0
EPSILON = 1e-6  # world times are floats (transfers take fractional seconds): compare them with this slack
RECOVERY_POINT_TYPES = ("Replica", "AppConsistentReplica")


def _recovery_points(vm: VM) -> list[Checkpoint]:
    return [c for c in vm.checkpoints.values() if c.snapshot_type in RECOVERY_POINT_TYPES]


def _add_recovery_point(world: World, replica: Machine, side: Replication, at: float) -> None:
    """A replication cycle arrived at world second ``at``: it is the replica's latest recovery point. With
    RecoveryHistory (additional recovery points, Enable-VMReplication), one point an hour is kept besides the
    latest, the newest RecoveryHistory of them; every VSSSnapshotFrequencyHour-th kept point is application-
    consistent. The previous latest point goes unless it was kept as an hourly one."""
    if not side.recovery_history:
        return
    vm = replica.hyperv.vms.get(side.vm_id)
    if vm is None:
        return
    if side.latest_point is not None:
        vm.checkpoints.pop(side.latest_point, None)
        side.latest_point = None
    hourly = side.last_hourly is None or at >= side.last_hourly + HOUR - EPSILON
    app_consistent = hourly and bool(side.vss_frequency) and side.hourly_count % side.vss_frequency == 0
    stamp = world.clock.timestamp(at)
    kind = "AppConsistentReplica" if app_consistent else "Replica"
    label = "Application-consistent Replica" if app_consistent else "Standard Replica"
    point = Checkpoint(id=replica.hyperv.new_id("recovery", vm.name), name=f"{vm.name} - {label} - ({stamp})",
                       parent_id=None, snapshot_type=kind, creation_time=stamp, vm_state="Off", config=vm.settings())
    vm.checkpoints[point.id] = point
    if hourly:
        side.last_hourly = at
        side.hourly_count += 1
    else:
        side.latest_point = point.id
    older = [c for c in _recovery_points(vm) if c.id != point.id]
    for old in older[:max(0, len(older) - side.recovery_history)]:
        del vm.checkpoints[old.id]


def _clear_recovery_points(machine: Machine, vm_id: str) -> None:
    vm = machine.hyperv.vms.get(vm_id)
    if vm is not None:
        vm.checkpoints = {k: c for k, c in vm.checkpoints.items() if c.snapshot_type not in RECOVERY_POINT_TYPES}
    side = _side(machine, vm_id)
    if side is not None:
        side.last_hourly, side.hourly_count, side.latest_point = None, 0, None


def _replicated(world: World, primary: Machine, replica: Machine, side: Replication, at: float | None = None,
                cycles: int = 1) -> None:
    """Replication cycles arrived (the last at world second ``at``, default now): both sides are in step then,
    and the next cycle is due ReplicationFrequencySec later."""
    at = world.clock.now if at is None else at
    other = _side(replica, side.vm_id)
    for record in (side, other):
        if record is not None:
            record.last_replication = world.clock.timestamp(at)
            record.last_cycle = at
            record.next_cycle = at + record.frequency
            record.pending_bytes = 0
            record.health = "Normal"
            record.missed_cycles = 0
            record.successful_cycles += cycles
    if other is not None:
        _add_recovery_point(world, replica, other, at)
    _sync_vm(primary, side.vm_id)
    _sync_vm(replica, side.vm_id)


def _initial_seconds(inv: Invocation, primary: Machine, replica: Machine, vm: VM, side: Replication) -> float:
    """World seconds the initial copy over the network takes: every replicated disk at the link's bandwidth."""
    size = sum(primary.fs.get(path).size for path in _replicated_drives(vm, side) if primary.fs.exists(path))
    return inv.world.transfer_seconds(primary.name, replica.name, size)


def _run_initial(inv: Invocation, primary: Machine, replica: Machine, vm: VM, side: Replication,
                 at: float | None = None) -> None:
    _initial_copy(inv, primary, replica, vm, side)
    other = _side(replica, vm.id)
    side.state = "Replicating"
    side.initial_start = None
    if other is not None:
        other.state = "Replicating"
        _clear_recovery_points(replica, vm.id)
    _replicated(inv.world, primary, replica, side, at)


def _copy_initial(inv: Invocation, machine: Machine, replica: Machine, vm: VM, side: Replication) -> None:
    """The initial copy over the network, now: InitialReplicationInProgress while it takes world time, with a
    Msvm_ConcreteJob of type 94 that reports how far it is (hvsim.world.hyperv_jobs); a copy stopped half way leaves
    the relationship as it was before (no source found for what Windows shows then)."""
    before = side.state
    side.state = "InitialReplicationInProgress"
    _sync_vm(machine, vm.id)
    try:
        with concrete_job(inv, machine, vm, START_INBAND_INITIAL_REPLICATION, "Start Inband Initial Replication",
                          _initial_seconds(inv, machine, replica, vm, side)):
            pass
    except BaseException:
        if side.state == "InitialReplicationInProgress":
            side.state = before
            _sync_vm(machine, vm.id)
        raise
    if side.state != "InitialReplicationInProgress":
        raise _wrong_state(inv, vm, side, "start the initial replication")  # changed while it copied
    _run_initial(inv, machine, replica, vm, side)


@cmdlet("Start-VMInitialReplication")
def start_vm_initial_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    if inv.get("DestinationPath") or inv.get("UseBackup"):
        raise CmdletError(hv_error(inv, "hvsim simulates initial replication over the network (now or at a time), not "
                                        "export to media or from a backup", "NotImplemented", "NotImplemented"))
    for vm in _targets(inv):
        side = _require_side(inv, machine, vm)
        if side.mode != "Primary" or side.state not in ("ReadyForInitialReplication", "WaitingForInitialReplication"):
            raise _wrong_state(inv, vm, side, "start the initial replication")
        replica = _partner(inv, machine, side)
        assert replica is not None
        if inv.get("InitialReplicationStartTime") is not None:
            side.state = "WaitingForInitialReplication"
            side.initial_start = _time_text(inv.get("InitialReplicationStartTime"))
            _sync_vm(machine, vm.id)
        else:
            _copy_initial(inv, machine, replica, vm, side)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)


# -- observing -----------------------------------------------------------------------------------

def replication_object(machine: Machine, vm: VM, side: Replication) -> PSOutObject:
    primary = side.primary
    replica = side.replica
    drives = [d for d in vm.hard_drives if d.path]
    skipped = {path_key(p) for p in side.excluded}
    state = enum("VMReplicationState", REPLICATION_STATES, side.state)
    health = enum("VMReplicationHealthState", HEALTH, side.health)
    mode = enum("VMReplicationMode", MODES, side.mode)
    auth = enum("ReplicationAuthenticationType", AUTH_TYPES, side.auth)
    return part_object("VMReplication", vm, machine, {
        "ReplicationState": state, "State": state, "ReplicationHealth": health, "Health": health,
        "ReplicationMode": mode, "Mode": mode, "ReplicationRelationshipType": PSEnumValue(
            f"{NS}.VMReplicationRelationshipType", "Simple", 0),
        "PrimaryServerName": primary, "PrimaryServer": primary, "ReplicaServerName": replica, "ReplicaServer": replica,
        "CurrentReplicaServerName": replica, "ReplicaServerPort": side.port, "ReplicaPort": side.port,
        "AuthenticationType": auth, "AuthType": auth, "CertificateThumbprint": side.certificate_thumbprint or None,
        "CompressionEnabled": side.compression, "ReplicationFrequencySec": side.frequency,
        "FrequencySec": side.frequency, "RecoveryHistory": side.recovery_history,
        "VSSSnapshotFrequencyHour": side.vss_frequency, "VSSSnapshotReplicationEnabled": bool(side.vss_frequency),
        "LastReplicationTime": side.last_replication, "InitialReplicationStartTime": side.initial_start,
        "ReplicatedDisks": [drive_object(machine, vm, d, False) for d in drives if path_key(d.path) not in skipped],
        "ExcludedDisks": [drive_object(machine, vm, d, False) for d in drives if path_key(d.path) in skipped],
        "AutoResynchronizeEnabled": False, "ReplicateHostKvpItems": True},
        ("VirtualMachineBase",))


def _sides(inv: Invocation) -> typing.Iterator[tuple[Machine, VM, Replication]]:
    machine, state = host_of(inv)
    explicit = any(inv.get(p) is not None for p in ("VM", "VMName"))
    vms = _targets(inv) if explicit else sorted(state.vms.values(), key=lambda v: v.name.lower())
    for vm in vms:
        side = _side(machine, vm.id)
        if side is None:
            if explicit:
                inv.write_error(hv_error(inv, f"Replication is not enabled for virtual machine '{vm.name}'.",
                                         "ObjectNotFound", "ObjectNotFound", vm.name))
            continue
        filters = (("ReplicaServerName", side.replica), ("PrimaryServerName", side.primary),
                   ("ReplicationState", side.state), ("ReplicationHealth", side.health), ("ReplicationMode", side.mode))
        if all(inv.get(p) is None or str(getattr(inv.get(p), "name", inv.get(p))).lower() == str(v).lower()
               for p, v in filters):
            yield machine, vm, side


@cmdlet("Get-VMReplication")
def get_vm_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    for machine, vm, side in _sides(inv):
        yield replication_object(machine, vm, side)


@cmdlet("Measure-VMReplication")
def measure_vm_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    for machine, vm, side in _sides(inv):
        yield part_object("VMReplicationStatistics", vm, machine, {
            "ReplicationState": enum("VMReplicationState", REPLICATION_STATES, side.state),
            "ReplicationHealth": enum("VMReplicationHealthState", HEALTH, side.health),
            "ReplicationMode": enum("VMReplicationMode", MODES, side.mode),
            # no property set for VMReplicationStatistics: the time is a DateTime as in VMReplication's
            "LastReplicationTime": _date_time(side.last_replication), "PendingReplicationSize": UInt64(side.pending_bytes),
            "SuccessfulReplicationCount": side.successful_cycles, "MissedReplicationCount": side.missed_cycles,
            "AverageReplicationSize": UInt64(CHANGE_RATE if side.successful_cycles else 0),
            "PrimaryServerName": side.primary, "ReplicaServerName": side.replica})


# -- changing a relationship ---------------------------------------------------------------------

@cmdlet("Set-VMReplication")
def set_vm_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in _targets(inv):
        side = _require_side(inv, machine, vm)
        if inv.get("Reverse"):
            _reverse(inv, machine, vm, side)
        else:
            _change_settings(inv, machine, vm, side)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, _require_side(inv, machine, vm))


def _change_settings(inv: Invocation, machine: Machine, vm: VM, side: Replication) -> None:
    if side.mode != "Primary":
        raise CmdletError(hv_error(inv, f"The replication settings of '{vm.name}' can be changed on its primary server "
                                        f"'{side.primary}' only.", "InvalidOperation", "InvalidState", vm.name))
    changed = dataclasses.replace(side, excluded=list(side.excluded))
    for parameter, attribute, kind in (("ReplicationFrequencySec", "frequency", int), ("RecoveryHistory",
                                       "recovery_history", int), ("VSSSnapshotFrequencyHour", "vss_frequency", int),
                                       ("CompressionEnabled", "compression", bool), ("ReplicaServerPort", "port", int)):
        if inv.has(parameter):
            setattr(changed, attribute, kind(inv.get(parameter)))
    if inv.get("DisableVSSSnapshotReplication"):
        changed.vss_frequency = 0
    if inv.has("AuthenticationType"):
        text = str(getattr(inv.get("AuthenticationType"), "name", inv.get("AuthenticationType")))
        changed.auth = next((k for k in AUTH_TYPES if k.lower() == text.lower()), text)
    if inv.has("CertificateThumbprint"):
        changed.certificate_thumbprint = str(inv.get("CertificateThumbprint") or "").upper()
    if inv.get("ReplicaServerName") is not None:
        target = inv.world.machine(str(inv.get("ReplicaServerName")))
        if target is None or target is not inv.world.machine(side.replica):
            raise CmdletError(hv_error(inv, f"The Replica server of '{vm.name}' cannot be changed to "
                                            f"'{inv.get('ReplicaServerName')}': remove replication and enable it again.",
                                       "InvalidOperation", "InvalidState", vm.name))
    if inv.has("ReplicatedDiskPaths") or inv.has("ReplicatedDisks"):
        if side.state not in ("ReadyForInitialReplication", "WaitingForInitialReplication"):
            raise _wrong_state(inv, vm, side, "change the replicated disks")
        changed.excluded = _chosen_disks(inv, vm) or []
    _check_settings(inv, changed)
    replica = _partner(inv, machine, side)
    assert replica is not None
    if (changed.auth, changed.port, changed.certificate_thumbprint) != (side.auth, side.port, side.certificate_thumbprint):
        refusal, _storage = accepts(inv.world, machine, replica, side.replica, changed.auth, changed.port,
                                    changed.certificate_thumbprint)
        if refusal is not None:
            raise _failure(inv, f"Hyper-V failed to modify the replication settings of '{vm.name}': {refusal}",
                           NOT_AUTHORIZED, "PermissionDenied", vm.name)
    if changed.excluded != side.excluded:
        replica_vm = replica.hyperv.vms[vm.id]
        storage = replica_vm.path.rsplit("\\Hyper-V Replica", 1)[0]
        skipped = {path_key(p) for p in changed.excluded}
        replica_vm.hard_drives = [dataclasses.replace(d, path=_replica_disk(storage, vm.id, d.path))
                                  for d in vm.hard_drives if d.path and path_key(d.path) not in skipped]
    other = _side(replica, vm.id)
    for record in (side, other):
        if record is not None:
            if record.frequency != changed.frequency and record.next_cycle is not None:
                record.next_cycle = inv.world.clock.now + changed.frequency  # the new schedule starts now
            for attribute in ("frequency", "recovery_history", "vss_frequency", "compression", "port", "auth",
                              "certificate_thumbprint"):
                setattr(record, attribute, getattr(changed, attribute))
    side.excluded = changed.excluded


def _reverse(inv: Invocation, machine: Machine, vm: VM, side: Replication) -> None:
    if side.mode != "Replica" or side.state not in ("FailedOverWaitingCompletion", "FailedOver"):
        raise _wrong_state(inv, vm, side, "reverse replication (fail over to this server first)")
    target_name = str(inv.get("ReplicaServerName") or side.primary)
    target = inv.world.machine(target_name)
    port = int(inv.get("ReplicaServerPort", side.port))
    auth = str(getattr(inv.get("AuthenticationType"), "name", inv.get("AuthenticationType") or side.auth))
    refusal, storage = accepts(inv.world, machine, target, target_name, auth, port, side.certificate_thumbprint)
    if refusal is not None:
        raise _failure(inv, f"Hyper-V failed to reverse replication for virtual machine '{vm.name}': {refusal}",
                       NOT_REACHABLE if "0x80072EE2" in refusal else NOT_AUTHORIZED, "ConnectionError", vm.name)
    assert target is not None
    former = target.hyperv.vms.get(vm.id)
    if former is not None and former.state != "Off":
        raise CmdletError(hv_error(inv, f"Hyper-V failed to reverse replication for virtual machine '{vm.name}': the "
                                        f"virtual machine on '{target.fqdn}' must be turned off.", "InvalidOperation",
                                   "InvalidState", vm.name))
    old_primary = inv.world.machine(side.primary)
    if target is not old_primary:
        if former is not None:
            raise CmdletError(hv_error(inv, f"A virtual machine with the ID of '{vm.name}' already exists on "
                                            f"'{target.fqdn}'.", "ResourceExists", "ObjectExists", vm.name))
    # The reverse carries a whole replication setting (WMI: ReverseReplicationRelationship takes an
    # Msvm_ReplicationSettingData, IncludedDisks among it): the disks given, or those this side replicates now.
    chosen = _chosen_disks(inv, vm)
    excluded = list(side.excluded) if chosen is None else chosen
    sent = {leaf_name(d.path).lower() for d in vm.hard_drives if d.path and d.path not in excluded}
    if former is None:
        target.hyperv.vms[vm.id] = _make_replica_vm(machine, target, vm, storage, excluded)
    in_step = side.planned and target is old_primary
    new_primary = Replication(vm_id=vm.id, mode="Primary", primary=machine.fqdn, replica=target.fqdn, port=port,
                              auth=auth, certificate_thumbprint=side.certificate_thumbprint,
                              compression=side.compression, frequency=side.frequency,
                              recovery_history=side.recovery_history, vss_frequency=side.vss_frequency,
                              excluded=excluded, state="Replicating" if in_step else "ReadyForInitialReplication",
                              last_replication=side.last_replication if in_step else None,
                              last_cycle=inv.world.clock.now if in_step else None,
                              next_cycle=inv.world.clock.now + side.frequency if in_step else None)
    if old_primary is not None and old_primary.name != target.name and old_primary.hyperv.replica is not None:
        replica_state(old_primary.hyperv).relationships.pop(vm.id, None)
    replica_state(machine.hyperv, create=True).relationships[vm.id] = new_primary
    # the replica's own VM keeps disks that do not receive replication (its copies are named by leaf)
    kept = [d.path for d in (former.hard_drives if former else []) if d.path and leaf_name(d.path).lower() not in sent]
    replica_state(target.hyperv, create=True).relationships[vm.id] = dataclasses.replace(
        new_primary, mode="Replica", state="Replicating" if in_step else "WaitingForInitialReplication", excluded=kept)
    _clear_recovery_points(machine, vm.id)
    _clear_recovery_points(target, vm.id)
    for path in [d.path for d in (former.hard_drives if former else []) if d.path]:
        if target.fs.exists(_hrl_path(path)):
            target.fs.remove(_hrl_path(path))
    _sync_vm(machine, vm.id)
    _sync_vm(target, vm.id)


@cmdlet("Suspend-VMReplication")
def suspend_vm_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in _targets(inv):
        side = _require_side(inv, machine, vm)
        if side.state not in ("Replicating", "WaitingForInitialReplication", "ReadyForInitialReplication"):
            raise _wrong_state(inv, vm, side, "suspend replication")
        side.state = "Suspended"
        side.health = "Warning"
        _sync_vm(machine, vm.id)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)


@cmdlet("Resume-VMReplication")
def resume_vm_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in _targets(inv):
        side = _require_side(inv, machine, vm)
        resync = bool(inv.get("Resynchronize"))
        needs_resync = side.state == "WaitingForStartResynchronize" or side.health == "Critical"
        if side.state not in ("Suspended", "WaitingForStartResynchronize") and not (resync and side.state == "Replicating"):
            raise _wrong_state(inv, vm, side, "resume replication")
        if needs_resync and not resync:
            raise CmdletError(hv_error(inv, f"Replication of '{vm.name}' needs resynchronization: run "
                                            "Resume-VMReplication -Resynchronize.", "InvalidOperation", "InvalidState",
                                       vm.name))
        side.state = "Replicating"
        if side.mode == "Primary":
            replica = _partner(inv, machine, side)
            assert replica is not None
            other = _side(replica, vm.id)
            if other is not None:
                other.state = "Replicating"
            _replicated(inv.world, machine, replica, side)
        else:
            side.health = "Normal"
        _sync_vm(machine, vm.id)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)


@cmdlet("Remove-VMReplication")
def remove_vm_replication(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    for vm in _targets(inv):
        side = _require_side(inv, machine, vm)
        if side.test_vm_id:
            _remove_test_vm(machine, side)
        if side.mode == "Primary":
            for path in _replicated_drives(vm, side):
                if machine.fs.exists(_hrl_path(path)):
                    machine.fs.remove(_hrl_path(path))
        _clear_recovery_points(machine, vm.id)
        del replica_state(state).relationships[vm.id]
        _sync_vm(machine, vm.id)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)


# -- failover -----------------------------------------------------------------------------------

def _recovery_point(inv: Invocation, state: HyperVState) -> tuple[VM, str] | None:
    given = inv.get("VMRecoverySnapshot")
    if given is None:
        return None
    item = given[0] if isinstance(given, list) else given
    vm = vm_of_object(state, item) if isinstance(item, PSOutObject) else None
    point_id = str(item.properties.get("Id")).lower() if isinstance(item, PSOutObject) else ""
    if vm is None or point_id not in vm.checkpoints:
        raise CmdletError(hv_error(inv, "The recovery point does not exist on this server.", "ObjectNotFound",
                                   "ObjectNotFound"))
    return vm, point_id


def _test_vm(inv: Invocation, machine: Machine, vm: VM, side: Replication, point: str | None) -> VM:
    state = machine.hyperv
    if side.test_vm_id and side.test_vm_id in state.vms:
        raise CmdletError(hv_error(inv, f"A test failover is already running for '{vm.name}' (virtual machine "
                                        f"'{vm.name} - Test'); stop it with Stop-VMFailover first.",
                                   "InvalidOperation", "InvalidState", vm.name))
    test_id = state.new_id("vm", f"{vm.name} - Test")
    test = dataclasses.replace(vm, id=test_id, name=f"{vm.name} - Test", state="Off", checkpoints={},
                               current_checkpoint=None, replication_state="Disabled",
                               replication_health="NotApplicable", dvd_drives=[], boot_order=list(vm.boot_order),
                               adapters=[dataclasses.replace(a, switch_name=None, id=f"Microsoft:{test_id.upper()}\\"
                                                             f"{a.id.rsplit(chr(92), 1)[-1]}") for a in vm.adapters])
    drives = []
    for drive in vm.hard_drives:
        parent = machine.fs.get(drive.path) if drive.path else None
        if parent is None or parent.vhd is None:
            raise CmdletError(hv_error(inv, f"Test failover of '{vm.name}' failed: the replica disk '{drive.path}' is "
                                            "missing (has the initial replication completed?).", "ObjectNotFound",
                                       "ObjectNotFound", vm.name))
        child = f"{parent.path.rsplit('.', 1)[0]}_{test_id.upper()}.avhdx"
        machine.fs.write_file(child, 4 * 1024**2, VhdInfo(parent.vhd.format, "Differencing", parent.vhd.size,
                                                          parent.path, machine.fs.next_disk_identifier(child),
                                                          parent_identifier=parent.vhd.disk_identifier))
        drives.append(dataclasses.replace(drive, path=child))
    test.hard_drives = drives
    config = f"{vm.path}\\Virtual Machines\\{test_id.upper()}.vmcx"
    machine.fs.write_file(config, 80 * 1024)
    if point is not None:
        test.notes = vm.checkpoints[point].name
    state.vms[test_id] = test
    side.test_vm_id = test_id
    return test


def _remove_test_vm(machine: Machine, side: Replication) -> None:
    state = machine.hyperv
    test = state.vms.pop(side.test_vm_id or "", None)
    side.test_vm_id = None
    if test is None:
        return
    test.state = "Off"  # Stop-VMFailover turns the test VM off before deleting it
    sync_open_files(machine, state)
    for drive in test.hard_drives:
        if drive.path and machine.fs.exists(drive.path):
            machine.fs.remove(drive.path)
    for entry in list(machine.fs.walk_files(f"{test.path}\\Virtual Machines")):
        if test.id.upper() in entry.path.upper():
            machine.fs.remove(entry.path)


@cmdlet("Start-VMFailover")
def start_vm_failover(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    chosen = _recovery_point(inv, state)
    vms = [chosen[0]] if chosen else _targets(inv)
    for vm in vms:
        side = _require_side(inv, machine, vm)
        point = chosen[1] if chosen else None
        if inv.get("Prepare"):
            _prepare(inv, machine, vm, side)
        elif inv.get("AsTest"):
            if side.mode != "Replica" or side.state not in ("Replicating", "Suspended", "FailedOverWaitingCompletion"):
                raise _wrong_state(inv, vm, side, "start a test failover")
            test = _test_vm(inv, machine, vm, side, point)
            if inv.get("Passthru"):
                from hvsim.world.hyperv import vm_object

                yield vm_object(machine, test)
            continue
        else:
            if side.mode != "Replica" or side.state not in ("Replicating", "Suspended", "WaitingForStartResynchronize"):
                raise _wrong_state(inv, vm, side, "fail over")
            if vm.state != "Off":
                raise CmdletError(hv_error(inv, f"The replica virtual machine '{vm.name}' must be off to fail over.",
                                           "InvalidOperation", "InvalidState", vm.name))
            primary = inv.world.machine(side.primary)
            primary_side = _side(primary, vm.id) if primary is not None and _reachable(primary) else None
            side.planned = primary_side is not None and primary_side.state == "PreparedForFailover"
            points = _recovery_points(vm)
            side.failed_over_point = point or (points[-1].id if points else None)
            if side.failed_over_point:
                vm.notes = vm.checkpoints[side.failed_over_point].config.get("notes", vm.notes)
            side.state = "FailedOverWaitingCompletion"
            _sync_vm(machine, vm.id)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)


def _prepare(inv: Invocation, machine: Machine, vm: VM, side: Replication) -> None:
    """-Prepare "starts the planned failover on the primary virtual machine and replicates any pending changes"
    (Start-VMFailover reference): it takes the world time those pending bytes need over the link, like the other
    transfers (hvsim.clock), and checks again afterwards (the world may have changed meanwhile)."""
    _check_prepare(inv, vm, side)
    replica = _partner(inv, machine, side)
    assert replica is not None
    inv.take_time(inv.world.transfer_seconds(machine.name, replica.name, side.pending_bytes))
    _check_prepare(inv, vm, side)
    replica = _partner(inv, machine, side)
    assert replica is not None
    _replicated(inv.world, machine, replica, side)
    side.state = "PreparedForFailover"
    _sync_vm(machine, vm.id)


def _check_prepare(inv: Invocation, vm: VM, side: Replication) -> None:
    if side.mode != "Primary" or side.state != "Replicating":
        raise _wrong_state(inv, vm, side, "prepare a planned failover")
    if vm.state != "Off":
        raise CmdletError(hv_error(inv, f"'{vm.name}' failed to prepare for planned failover: the virtual machine must "
                                        f"be turned off. (Virtual machine ID {vm.id.upper()})", "InvalidOperation",
                                   "InvalidState", vm.name))


@cmdlet("Stop-VMFailover")
def stop_vm_failover(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in _targets(inv):
        side = _require_side(inv, machine, vm)
        if side.test_vm_id:
            _remove_test_vm(machine, side)
        elif side.mode == "Replica" and side.state == "FailedOverWaitingCompletion":
            if vm.state != "Off":
                raise CmdletError(hv_error(inv, f"'{vm.name}' must be turned off to cancel the failover.",
                                           "InvalidOperation", "InvalidState", vm.name))
            side.state = "Replicating"
            side.failed_over_point = None
        elif side.mode == "Primary" and side.state == "PreparedForFailover":
            side.state = "Replicating"
        else:
            raise _wrong_state(inv, vm, side, "stop the failover")
        _sync_vm(machine, vm.id)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)


@cmdlet("Complete-VMFailover")
def complete_vm_failover(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in _targets(inv):
        side = _require_side(inv, machine, vm)
        if side.mode != "Replica" or side.state != "FailedOverWaitingCompletion":
            raise _wrong_state(inv, vm, side, "complete the failover")
        side.state = "FailedOver"
        _clear_recovery_points(machine, vm.id)
        _sync_vm(machine, vm.id)
        if inv.get("Passthru"):
            yield replication_object(machine, vm, side)


# -- time ---------------------------------------------------------------------------------------

def replicate(world: World, minutes: float) -> None:
    """Let ``minutes`` of world time pass (tests' shorthand for ``world.clock.advance``)."""
    world.clock.advance(minutes * 60)


def follow_clock(world: World) -> typing.Callable[[float, float], None]:
    """A world clock listener: the replication cycles due between two readings of the clock run (each at its
    own world time, on its relationship's ReplicationFrequencySec), scheduled initial replications start, and
    relationships whose partner is away fall behind."""

    def listener(previous: float, now: float) -> None:
        with world.lock:
            hosts = [m for m in world.machines.values() if m.hyperv is not None and m.hyperv.replica is not None]
            for machine in hosts:
                if not _reachable(machine):
                    continue
                for side in list(replica_state(machine.hyperv).relationships.values()):
                    _advance(world, machine, side, previous, now)

    return listener


def _scheduled_start(side: Replication) -> float | None:
    """World second of a scheduled initial replication (InitialReplicationStartTime), None when unreadable."""
    try:
        return WorldClock.seconds_of(datetime.datetime.fromisoformat(str(side.initial_start)))
    except ValueError:
        return None


def _advance(world: World, machine: Machine, side: Replication, previous: float, now: float) -> None:
    partner = world.machine(side.replica if side.mode == "Primary" else side.primary)
    up = _reachable(partner)
    if side.mode == "Replica":
        if side.state == "Replicating" and not up:
            since = side.last_cycle if side.last_cycle is not None else previous
            side.health = "Critical" if now - since >= HOUR else "Warning"
            _sync_vm(machine, side.vm_id)
        return
    vm = machine.hyperv.vms.get(side.vm_id)
    if vm is None or partner is None:
        return
    if side.state == "WaitingForInitialReplication" and side.initial_start and up:
        start = _scheduled_start(side)
        if start is None or start <= now:
            side.state = "ReadyForInitialReplication"
            inv = Invocation(name="Start-VMInitialReplication", parameter_set="VMName", params={}, principal=None,
                             world=world)
            begun = now if start is None else max(start, previous)
            _run_initial(inv, machine, partner, vm, side, begun)
            _advance(world, machine, side, begun, now)  # the cycles after it
        return
    other = _side(partner, side.vm_id)
    if side.state != "Replicating" or other is None or other.mode != "Replica" or other.state != "Replicating":
        if side.state == "Replicating":  # the replica failed over without us: replication is broken
            side.health = "Critical"
            _sync_vm(machine, side.vm_id)
        return
    if side.next_cycle is None:
        side.next_cycle = previous + side.frequency
    if side.next_cycle > now:
        return
    cycles = int((now - side.next_cycle) // side.frequency) + 1
    last = side.next_cycle + (cycles - 1) * side.frequency
    if not up:
        side.next_cycle = last + side.frequency
        side.missed_cycles += cycles
        side.pending_bytes += CHANGE_RATE * cycles if vm.state == "Running" else 0
        side.health = "Critical" if side.missed_cycles * side.frequency >= HOUR else "Warning"
        _sync_vm(machine, side.vm_id)
        return
    # the cycles before the last matter only where they keep an hourly recovery point
    first = side.next_cycle
    while other.recovery_history and other.last_hourly is not None:
        due = other.last_hourly + HOUR
        at = first + max(0, math.ceil((due - first) / side.frequency - EPSILON)) * side.frequency
        if at >= last - EPSILON:
            break
        kept = other.last_hourly
        _add_recovery_point(world, partner, other, at)
        if other.last_hourly == kept:  # nothing kept (the replica VM is gone): no further hourly points
            break
    _replicated(world, machine, partner, side, last, cycles)
