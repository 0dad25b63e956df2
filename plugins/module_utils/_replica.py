# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What hyperv_replica reads from each of its two hosts, in one round trip per host, and how it is parsed.

FOR INTERNAL COLLECTION USE ONLY. The decisions are in _replica_plan.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_server import (
    ServerFacts,
    SERVER_ROWS,
    parse_server,
    server_read_commands,
)

REPLICATION_PROPERTIES = [
    "ReplicationState", "ReplicationHealth", "ReplicationMode", "PrimaryServerName", "ReplicaServerName",
    "ReplicaServerPort", "AuthenticationType", "CertificateThumbprint", "CompressionEnabled", "ReplicationFrequencySec",
    "RecoveryHistory", "VSSSnapshotFrequencyHour", "LastReplicationTime", "InitialReplicationStartTime"]
RECOVERY_POINT_TYPES = ("Replica", "AppConsistentReplica")


def test_vm_name(name: str) -> str:
    """The name Hyper-V gives the VM a test failover creates."""
    return f"{name} - Test"


@dataclasses.dataclass(frozen=True)
class VmFacts:
    name: str
    id: str
    state: str
    disks: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Side:
    """One host's side of a VM's replication, as Get-VMReplication shows it."""

    mode: str  # Primary | Replica
    state: str
    health: str
    primary: str
    replica: str
    port: int
    authentication: str  # kerberos | certificate
    certificate_thumbprint: str | None
    compression: bool
    frequency: int
    recovery_history: int
    vss_frequency: int
    last_replication: str | None
    initial_replication_start: str | None
    replicated_disks: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class RecoveryPoint:
    name: str
    id: str
    kind: str  # Replica | AppConsistentReplica
    created: str

    def to_result(self) -> dict[str, t.Any]:
        return {"name": self.name, "id": self.id, "app_consistent": self.kind == "AppConsistentReplica",
                "created": self.created}


@dataclasses.dataclass(frozen=True)
class ReplicaHost:
    """One of the module's two hosts, with the VM, its replication and the host's replica server settings."""

    name: str  # what the task connected to
    fqdn: str
    netbios: str
    server: ServerFacts
    vm: VmFacts | None
    test_vm: VmFacts | None
    side: Side | None
    pending_bytes: int | None
    recovery_points: tuple[RecoveryPoint, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.fqdn, self.netbios, self.name) if n)

    def is_named(self, name: str | None) -> bool:
        """Whether ``name`` (as Hyper-V reports a server: FQDN or NetBIOS) is this host."""
        if not name:
            return False
        wanted = name.lower()
        return any(wanted == n.lower() or wanted.split(".")[0] == n.lower().split(".")[0] for n in self.names
                   if not n.replace(".", "").isdigit())


def host_read_commands(vm: str) -> list[Cmd]:
    """Everything the module needs from one host, in one batch."""
    return [
        Cmd("Get-VMHost", select=["ComputerName", "FullyQualifiedDomainName"]),
        *server_read_commands(),
        Cmd("Get-VM", {"Name": [vm, test_vm_name(vm)]}, missing_ok=True, select=["Name", "Id", "State"]),
        Cmd("Get-VMHardDiskDrive", {"VMName": vm}, missing_ok=True, select=["Path"]),
        Cmd("Get-VMReplication", {"VMName": vm}, missing_ok=True, select=REPLICATION_PROPERTIES),
        Cmd("Get-VMReplication", {"VMName": vm}, missing_ok=True,
            piped=[Cmd("Select-Object", {"ExpandProperty": "ReplicatedDisks"})], select=["Path"]),
        Cmd("Measure-VMReplication", {"VMName": vm}, missing_ok=True, select=["PendingReplicationSize"]),
        Cmd("Get-VMSnapshot", {"VMName": vm}, missing_ok=True, select=["Name", "Id", "SnapshotType", "CreationTime"]),
    ]


def _rows(value: t.Any) -> list[dict[str, t.Any]]:
    return [row for row in value or [] if isinstance(row, dict)]


def _text(value: t.Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _side(row: dict[str, t.Any] | None, disks: list[dict[str, t.Any]]) -> Side | None:
    if not row or str(row.get("ReplicationMode") or "None") == "None":
        return None
    return Side(
        mode=str(row.get("ReplicationMode")), state=str(row.get("ReplicationState")),
        health=str(row.get("ReplicationHealth")), primary=str(row.get("PrimaryServerName") or ""),
        replica=str(row.get("ReplicaServerName") or ""), port=int(row.get("ReplicaServerPort") or 0),
        authentication=str(row.get("AuthenticationType") or "Kerberos").lower(),
        certificate_thumbprint=_text(row.get("CertificateThumbprint")),
        compression=bool(row.get("CompressionEnabled")), frequency=int(row.get("ReplicationFrequencySec") or 0),
        recovery_history=int(row.get("RecoveryHistory") or 0),
        vss_frequency=int(row.get("VSSSnapshotFrequencyHour") or 0),
        last_replication=_text(row.get("LastReplicationTime")),
        initial_replication_start=_text(row.get("InitialReplicationStartTime")),
        replicated_disks=tuple(str(d["Path"]) for d in disks if d.get("Path")))


def rows_named(vm: str, rows: t.Sequence[t.Any]) -> list[dict[str, t.Any]]:
    """The VMs named exactly ``vm`` in the output of ``host_read_commands`` (Hyper-V allows several)."""
    return [row for row in _rows(rows[1 + SERVER_ROWS]) if row.get("Name") == vm]


def parse_host(connected_to: str, vm: str, rows: t.Sequence[t.Any]) -> ReplicaHost:
    """A ReplicaHost from the output of ``host_read_commands``."""
    host = next(iter(_rows(rows[0])), {})
    server_rows = rows[1:1 + SERVER_ROWS]
    vm_rows, disk_rows, replication, replicated, measure, snapshots = rows[1 + SERVER_ROWS:7 + SERVER_ROWS]
    vms = {str(r.get("Name")): r for r in _rows(vm_rows)}

    def facts(name: str, disks: tuple[str, ...] = ()) -> VmFacts | None:
        row = vms.get(name)
        return VmFacts(name, str(row.get("Id") or ""), str(row.get("State") or ""), disks) if row else None

    measured = next(iter(_rows(measure)), None)
    return ReplicaHost(
        name=connected_to, fqdn=str(host.get("FullyQualifiedDomainName") or ""),
        netbios=str(host.get("ComputerName") or ""), server=parse_server(server_rows),
        vm=facts(vm, tuple(str(r["Path"]) for r in _rows(disk_rows) if r.get("Path"))), test_vm=facts(test_vm_name(vm)),
        side=_side(next(iter(_rows(replication)), None), _rows(replicated)),
        pending_bytes=int(measured.get("PendingReplicationSize") or 0) if measured else None,
        recovery_points=tuple(
            RecoveryPoint(str(r.get("Name")), str(r.get("Id")), str(r.get("SnapshotType")), str(r.get("CreationTime")))
            for r in _rows(snapshots) if str(r.get("SnapshotType")) in RECOVERY_POINT_TYPES))


def host_status(host: ReplicaHost | None) -> dict[str, t.Any] | None:
    """One host's view of the VM and its replication, for the result."""
    if host is None:
        return None
    side = host.side
    return {
        "host": host.fqdn or host.name,
        "vm_state": host.vm.state if host.vm else None,
        "mode": side.mode if side else None,
        "state": side.state if side else "Disabled",
        "health": side.health if side else None,
        "primary_server": side.primary if side else None,
        "replica_server": side.replica if side else None,
        "last_replication_time": side.last_replication if side else None,
        "pending_size": host.pending_bytes,
        "recovery_points": [p.to_result() for p in host.recovery_points],
        "test_vm": host.test_vm.name if host.test_vm else None,
        "settings": settings_result(side),
    }


def settings_result(side: Side | None) -> dict[str, t.Any] | None:
    """A replication's settings under hyperv_replica's option names."""
    if side is None:
        return None
    return {"port": side.port, "authentication": side.authentication, "compression": side.compression,
            "frequency": side.frequency, "recovery_points": side.recovery_history,
            "app_consistent_frequency": side.vss_frequency, "replicated_vhds": list(side.replicated_disks)}


def info_commands(selector: dict[str, str], patterns: bool) -> list[Cmd]:
    """hyperv_replica_info's batch on one host: its name, its replica server settings, and the replication, replicated
    disks, pending size and recovery points of the VMs ``selector`` picks (every VM when empty; rows carry VMId):
    the same lists whatever the number of VMs."""
    by_vm_name = {"VMName": value for value in selector.values()}
    return [
        Cmd("Get-VMHost", select=["ComputerName", "FullyQualifiedDomainName"]),
        *server_read_commands(),
        Cmd("Get-VMReplication", dict(by_vm_name), missing_ok=True, patterns=patterns,
            select=["VMName", "VMId", *REPLICATION_PROPERTIES]),
        Cmd("Get-VMReplication", dict(by_vm_name), missing_ok=True, patterns=patterns,
            piped=[Cmd("Select-Object", {"ExpandProperty": "ReplicatedDisks"})], select=["VMId", "Path"]),
        Cmd("Measure-VMReplication", dict(by_vm_name), missing_ok=True, patterns=patterns,
            select=["VMId", "PendingReplicationSize"]),
        Cmd("Get-VM", dict(selector), missing_ok=True, patterns=patterns, piped=[Cmd("Get-VMSnapshot")],
            select=["VMId", "Name", "Id", "SnapshotType", "CreationTime"]),
    ]


def _of_vm(rows: t.Any, vm_id: str) -> list[dict[str, t.Any]]:
    return [row for row in _rows(rows) if str(row.get("VMId") or "").lower() == vm_id.lower()]


def info_result(rows: t.Sequence[t.Any]) -> dict[str, t.Any]:
    """The host, its replica server settings and each replicated VM (by name) from the output of ``info_commands``."""
    host = next(iter(_rows(rows[0])), {})
    server = parse_server(rows[1:1 + SERVER_ROWS])
    replication, replicated, measured, snapshots = rows[1 + SERVER_ROWS:5 + SERVER_ROWS]
    entries = []
    for row in sorted(_rows(replication), key=lambda r: (str(r.get("VMName")).lower(), str(r.get("VMId")))):
        vm_id = str(row.get("VMId") or "")
        side = _side(row, _of_vm(replicated, vm_id))
        if side is None:
            continue
        measure = next(iter(_of_vm(measured, vm_id)), None)
        points = [RecoveryPoint(str(r.get("Name")), str(r.get("Id")), str(r.get("SnapshotType")), str(r.get("CreationTime")))
                  for r in _of_vm(snapshots, vm_id) if str(r.get("SnapshotType")) in RECOVERY_POINT_TYPES]
        entries.append({
            "vm_name": str(row.get("VMName")), "vm_id": vm_id, "mode": side.mode, "state": side.state,
            "health": side.health, "primary_server": side.primary, "replica_server": side.replica,
            "last_replication_time": side.last_replication,
            "pending_size": int(measure.get("PendingReplicationSize") or 0) if measure else None,
            "recovery_points": [p.to_result() for p in points], "settings": settings_result(side)})
    return {"host": str(host.get("FullyQualifiedDomainName") or host.get("ComputerName") or ""),
            "server": server.to_result(), "replications": entries}


def hosts_by_role(connected: ReplicaHost | None, destination: ReplicaHost | None) -> dict[str, t.Any]:
    """Both hosts' views keyed by the role each has now (after a failback the connection host can be either).

    A host whose side is the primary is ``primary``; without a primary side, a host whose side is a replica is
    ``replica``; without replication, the roles the task gives them (connection host primary, destination replica).
    """
    pair = [connected, destination]
    modes = [h.side.mode if h is not None and h.side is not None else None for h in pair]
    if modes[1] == "Primary" or (modes[0] == "Replica" and modes[1] != "Replica"):
        pair.reverse()
    return {"primary": host_status(pair[0]), "replica": host_status(pair[1])}


def status(primary: ReplicaHost | None, replica: ReplicaHost | None) -> dict[str, t.Any]:
    """The replication as a whole: seen from whichever host is its primary now, with the replica's recovery points."""
    hosts = [h for h in (primary, replica) if h is not None]
    current = next((h for h in hosts if h.side and h.side.mode == "Primary"), None) or \
        next((h for h in hosts if h.side), None)
    other = next((h for h in hosts if h is not current and h.side), None)
    if current is None or current.side is None:
        return {"state": "Disabled", "health": None, "primary_server": None, "replica_server": None,
                "last_replication_time": None, "pending_size": None, "recovery_points": [], "running_on": _running(hosts)}
    points = other.recovery_points if other is not None and current.side.mode == "Primary" else current.recovery_points
    return {"state": current.side.state, "health": current.side.health, "primary_server": current.side.primary,
            "replica_server": current.side.replica, "last_replication_time": current.side.last_replication,
            "pending_size": current.pending_bytes, "recovery_points": [p.to_result() for p in points],
            "running_on": _running(hosts)}


def _running(hosts: list[ReplicaHost]) -> str | None:
    return next((h.fqdn or h.name for h in hosts if h.vm is not None and h.vm.state == "Running"), None)
