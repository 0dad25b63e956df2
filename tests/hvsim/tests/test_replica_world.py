"""Hyper-V Replica in the world, through the engine: server settings, enabling (and what refuses it),
initial replication, observation, test / planned / unplanned failover, reversal and removal."""

from __future__ import annotations

import datetime
import typing

import pytest

from hvsim.contract import CommandCall, Failed, Output, Principal
from hvsim.engine.executor import Engine
from hvsim.estate import build_world
from hvsim.runner import estate_spec
from hvsim.server import load_world_modules
from hvsim.world.filesystem import VhdInfo
from hvsim.world.hyperv import Drive
from hvsim.world.hyperv_replica import replicate
from hvsim.world.shapes import typed

DISKS = "D:\\Hyper-V\\Virtual Hard Disks"
BACKUP = f"{DISKS}\\app1-backup.vhdx"


@pytest.fixture()
def world() -> typing.Any:
    load_world_modules()
    built = build_world(estate_spec("lab3"))
    hv1 = built.machine("hv1")
    hv1.fs.write_file(BACKUP, 1024**3, VhdInfo("VHDX", "Dynamic", 100 * 1024**3, None,
                                                hv1.fs.next_disk_identifier(BACKUP)))
    vm(built, "app1").hard_drives.append(Drive("SCSI", 0, 1, BACKUP))
    return built


def c(name: str, **params: typing.Any) -> CommandCall:
    return CommandCall(name=name, parameters=list(params.items()))


def run(world: typing.Any, machine: str, *statements: list[CommandCall]) -> list[typing.Any]:
    principal = Principal(machine=machine, user="LAB\\Administrator", auth="kerberos", delegable=False)
    return list(Engine().run(principal, world, [list(s) for s in statements], []))


def ok(world: typing.Any, machine: str, *statements: list[CommandCall]) -> list[typing.Any]:
    events = run(world, machine, *statements)
    assert not [e for e in events if isinstance(e, Failed)], events
    return [e.value for e in events if isinstance(e, Output)]


def failure(world: typing.Any, machine: str, *statements: list[CommandCall]) -> str:
    events = run(world, machine, *statements)
    failed = [e for e in events if isinstance(e, Failed)]
    assert failed, events
    return str(failed[-1].info.message)


def vm(world: typing.Any, name: str, machine: str = "hv1") -> typing.Any:
    return next(v for v in world.machine(machine).hyperv.vms.values() if v.name == name)


def enable_server(world: typing.Any, machine: str = "hv2", storage: str = "D:\\Replica") -> None:
    ok(world, machine, [c("Set-VMReplicationServer", ReplicationEnabled=True, AllowedAuthenticationType="Kerberos",
                          ReplicationAllowedFromAnyServer=True, DefaultStorageLocation=storage)],
       [c("Enable-NetFirewallRule", Name="VIRT-HVRHTTPL-In-TCP-NoScope")])


def enable(world: typing.Any, **extra: typing.Any) -> None:
    ok(world, "hv1", [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv2.lab.test", ReplicaServerPort=80,
                        AuthenticationType="Kerberos", ExcludedVhdPath=[BACKUP], **extra)])


def replicating(world: typing.Any, **extra: typing.Any) -> None:
    enable_server(world)
    enable(world, **extra)
    ok(world, "hv1", [c("Start-VMInitialReplication", VMName="app1")])


def test_replica_server_settings_and_reads_change_nothing(world: typing.Any) -> None:
    server = ok(world, "hv2", [c("Get-VMReplicationServer")])[0].properties
    assert server["ReplicationEnabled"] is False and world.machine("hv2").hyperv.replica is None
    refused = failure(world, "hv2", [c("Set-VMReplicationServer", ReplicationEnabled=True, ErrorAction="Stop")])
    assert "default storage location" in refused
    refused = failure(world, "hv2", [c("Set-VMReplicationServer", ReplicationEnabled=True,
                                       DefaultStorageLocation="D:\\Nowhere", ErrorAction="Stop")])
    assert "does not exist" in refused
    enable_server(world)
    server = ok(world, "hv2", [c("Get-VMReplicationServer")])[0].properties
    assert server["ReplicationEnabled"] is True and server["DefaultStorageLocation"] == "D:\\Replica"
    assert server["AllowedAuthenticationType"].name == "Kerberos" and server["KerberosAuthenticationPort"] == 80
    ok(world, "hv2", [c("Set-VMReplicationServer", ReplicationAllowedFromAnyServer=False)],
       [c("New-VMReplicationAuthorizationEntry", AllowedPrimaryServer="*.lab.test", ReplicaStorageLocation="D:\\Replica",
          TrustGroup="lab")])
    entries = ok(world, "hv2", [c("Get-VMReplicationAuthorizationEntry")])
    assert [e.properties["AllowedPrimaryServer"] for e in entries] == ["*.lab.test"]


def test_enable_refuses_before_anything_changes(world: typing.Any) -> None:
    hv2 = world.machine("hv2")
    message = failure(world, "hv1", [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv2.lab.test",
                                       ReplicaServerPort=80, AuthenticationType="Kerberos", ErrorAction="Stop")])
    assert "not enabled as a Replica server" in message
    ok(world, "hv2", [c("Set-VMReplicationServer", ReplicationEnabled=True, DefaultStorageLocation="D:\\Replica")])
    message = failure(world, "hv1", [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv2",
                                       ReplicaServerPort=80, AuthenticationType="Kerberos", ErrorAction="Stop")])
    assert "Hyper-V Replica HTTP Listener (TCP-In)" in message and "firewall" in message
    ok(world, "hv2", [c("Enable-NetFirewallRule", Name="VIRT-HVRHTTPL-In-TCP-NoScope")],
       [c("Set-VMReplicationServer", ReplicationAllowedFromAnyServer=False)])
    message = failure(world, "hv1", [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv2",
                                       ReplicaServerPort=80, AuthenticationType="Kerberos", ErrorAction="Stop")])
    assert "not authorized" in message and "hv1.lab.test" in message
    assert vm(world, "app1").replication_state == "Disabled" and len(hv2.hyperv.vms) == 0


def test_a_listener_on_another_port_needs_that_port_open(world: typing.Any) -> None:
    """The built-in listener rules are fixed to TCP 80/443: with Kerberos on 8080, the HTTP rule being on does not
    let replication in; an inbound rule for 8080 does."""
    enable_server(world)  # the HTTP listener rule (TCP 80) is enabled
    ok(world, "hv2", [c("Set-VMReplicationServer", KerberosAuthenticationPort=8080)])
    message = failure(world, "hv1", [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv2.lab.test",
                                       ReplicaServerPort=8080, AuthenticationType="Kerberos", ErrorAction="Stop")])
    assert "no enabled inbound rule allows TCP port 8080" in message
    ok(world, "hv2", [c("New-NetFirewallRule", Name="custom", DisplayName="Replica 8080", Direction="Inbound",
                        Protocol="TCP", LocalPort=["8080"], Action="Allow")])
    ok(world, "hv1", [c(
        "Enable-VMReplication", VMName="app1", ReplicaServerName="hv2.lab.test", ReplicaServerPort=8080,
        AuthenticationType="Kerberos", ExcludedVhdPath=[BACKUP])])
    assert vm(world, "app1").replication_state != "Disabled"


def test_enable_and_initial_replication_copy_only_the_included_disk(world: typing.Any) -> None:
    enable_server(world)
    enable(world, ReplicationFrequencySec=30, RecoveryHistory=2)
    primary, replica = vm(world, "app1"), vm(world, "app1", "hv2")
    assert replica.id == primary.id and replica.state == "Off"
    assert primary.replication_state == "ReadyForInitialReplication"
    assert replica.replication_state == "WaitingForInitialReplication"
    assert [d.path for d in replica.hard_drives] == [
        f"D:\\Replica\\Hyper-V Replica\\Virtual hard disks\\{primary.id.upper()}\\app1.vhdx"]
    ok(world, "hv1", [c("Start-VMInitialReplication", VMName="app1")])
    copied = world.machine("hv2").fs.get(replica.hard_drives[0].path)
    assert copied.vhd.disk_identifier == world.machine("hv1").fs.get(f"{DISKS}\\app1.vhdx").vhd.disk_identifier
    assert world.machine("hv1").fs.exists(f"{DISKS}\\app1.hrl"), "change tracking beside the VHD"
    assert not world.machine("hv1").fs.exists(f"{DISKS}\\app1-backup.hrl")
    info = ok(world, "hv1", [c("Get-VMReplication", VMName="app1")])[0].properties
    assert info["ReplicationState"].name == "Replicating" and info["ReplicationMode"].name == "Primary"
    assert info["ReplicaServerName"] == "hv2.lab.test" and info["ReplicationFrequencySec"] == 30
    assert [d.properties["Path"] for d in info["ExcludedDisks"]] == [BACKUP] and info["LastReplicationTime"]
    assert [d.properties["Path"] for d in info["ReplicatedDisks"]] == [f"{DISKS}\\app1.vhdx"]
    on_replica = ok(world, "hv2", [c("Get-VMReplication")])[0].properties
    assert on_replica["ReplicationMode"].name == "Replica" and on_replica["ReplicationState"].name == "Replicating"
    assert failure(world, "hv1", [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv2",
                                    ReplicaServerPort=80, AuthenticationType="Kerberos", ErrorAction="Stop")])


def test_settings_change_on_both_sides_and_replication_runs_in_world_time(world: typing.Any) -> None:
    replicating(world, RecoveryHistory=2)
    ok(world, "hv1", [c("Set-VMReplication", VMName="app1", ReplicationFrequencySec=900, CompressionEnabled=False)])
    assert ok(world, "hv2", [c("Get-VMReplication", VMName="app1")])[0].properties["ReplicationFrequencySec"] == 900
    refused = failure(world, "hv1", [c("Set-VMReplication", VMName="app1", ReplicationFrequencySec=60,
                                       ErrorAction="Stop")])
    assert "30, 300 or 900" in refused
    before = ok(world, "hv1", [c("Get-VMReplication", VMName="app1")])[0].properties["LastReplicationTime"]
    replicate(world, 60)
    replicate(world, 60)
    replicate(world, 60)
    after = ok(world, "hv1", [c("Measure-VMReplication", VMName="app1")])[0].properties
    assert after["LastReplicationTime"] > before and after["PendingReplicationSize"] == 0
    points = ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1")])
    assert len(points) == 3 and all(p.properties["SnapshotType"].name == "Replica" for p in points)
    vm(world, "app1").state = "Running"
    world.machine("hv2").platform.set_powered(False)
    replicate(world, 120)
    measured = ok(world, "hv1", [c("Measure-VMReplication", VMName="app1")])[0].properties
    assert measured["ReplicationHealth"].name == "Critical" and measured["PendingReplicationSize"] > 0
    world.machine("hv2").platform.set_powered(True)
    replicate(world, 5)
    assert vm(world, "app1").replication_health == "Critical", "no cycle is due yet: the frequency is 900 s"
    replicate(world, 10)
    assert vm(world, "app1").replication_health == "Normal"


def test_suspend_resume_and_resynchronize(world: typing.Any) -> None:
    replicating(world)
    ok(world, "hv1", [c("Suspend-VMReplication", VMName="app1")])
    assert vm(world, "app1").replication_state == "Suspended"
    ok(world, "hv1", [c("Resume-VMReplication", VMName="app1")])
    assert vm(world, "app1").replication_state == "Replicating"
    ok(world, "hv1", [c("Resume-VMReplication", VMName="app1", Resynchronize=True)])
    assert vm(world, "app1").replication_health == "Normal"


def test_test_failover_adds_a_test_vm_and_replication_goes_on(world: typing.Any) -> None:
    replicating(world)
    ok(world, "hv2", [c("Start-VMFailover", VMName="app1", AsTest=True)])
    test_vm = vm(world, "app1 - Test", "hv2")
    assert test_vm.id != vm(world, "app1").id and test_vm.hard_drives[0].path.endswith(".avhdx")
    ok(world, "hv2", [c("Start-VM", Name="app1 - Test")])
    assert test_vm.state == "Running" and vm(world, "app1", "hv2").state == "Off"
    before = vm(world, "app1", "hv2").replication_state
    replicate(world, 10)
    assert before == vm(world, "app1").replication_state == "Replicating"
    assert "already running" in failure(world, "hv2", [c("Start-VMFailover", VMName="app1", AsTest=True,
                                                         ErrorAction="Stop")])
    ok(world, "hv2", [c("Stop-VMFailover", VMName="app1")])
    names = {v.name for v in world.machine("hv2").hyperv.vms.values()}
    assert names == {"app1"}
    assert not world.machine("hv2").fs.exists(test_vm.hard_drives[0].path)


def test_planned_failover_reverse_and_failback(world: typing.Any) -> None:
    replicating(world)
    enable_server(world, "hv1", "D:\\Hyper-V")
    vm(world, "app1").state = "Running"
    message = failure(world, "hv1", [c("Start-VMFailover", VMName="app1", Prepare=True, ErrorAction="Stop")])
    assert "must be turned off" in message
    ok(world, "hv1", [c("Stop-VM", Name="app1", Force=True)], [c("Start-VMFailover", VMName="app1", Prepare=True)])
    assert vm(world, "app1").replication_state == "PreparedForFailover"
    ok(world, "hv2", [c("Start-VMFailover", VMName="app1")], [c("Set-VMReplication", VMName="app1", Reverse=True)],
       [c("Start-VM", Name="app1")])
    assert vm(world, "app1", "hv2").state == "Running"
    info = ok(world, "hv2", [c("Get-VMReplication", VMName="app1")])[0].properties
    assert info["ReplicationMode"].name == "Primary" and info["ReplicaServerName"] == "hv1.lab.test"
    assert info["ReplicationState"].name == "Replicating", "a planned failover needs no resynchronisation"
    assert ok(world, "hv1", [c("Get-VMReplication", VMName="app1")])[0].properties["ReplicationMode"].name == "Replica"
    # failback: the same steps the other way
    ok(world, "hv2", [c("Stop-VM", Name="app1", Force=True)], [c("Start-VMFailover", VMName="app1", Prepare=True)])
    ok(world, "hv1", [c("Start-VMFailover", VMName="app1")], [c("Set-VMReplication", VMName="app1", Reverse=True)],
       [c("Start-VM", Name="app1")])
    assert vm(world, "app1").state == "Running" and vm(world, "app1").replication_state == "Replicating"
    assert ok(world, "hv1", [c("Get-VMReplication", VMName="app1")])[0].properties["ReplicaServerName"] == "hv2.lab.test"


def test_reverse_is_refused_while_the_former_primary_does_not_accept_replication(world: typing.Any) -> None:
    replicating(world)
    ok(world, "hv1", [c("Start-VMFailover", VMName="app1", Prepare=True)])
    ok(world, "hv2", [c("Start-VMFailover", VMName="app1")])
    message = failure(world, "hv2", [c("Set-VMReplication", VMName="app1", Reverse=True, ErrorAction="Stop")])
    assert "not enabled as a Replica server" in message
    assert vm(world, "app1", "hv2").replication_state == "FailedOverWaitingCompletion"


def test_unplanned_failover_from_a_chosen_recovery_point(world: typing.Any) -> None:
    replicating(world, RecoveryHistory=3)
    vm(world, "app1").notes = "v2"
    replicate(world, 60)
    points = ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1")])
    assert len(points) == 2
    world.machine("hv1").platform.set_powered(False)
    chosen = points[0].properties["Name"]
    ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1", Name=chosen), c("Start-VMFailover")],
       [c("Start-VM", Name="app1")], [c("Complete-VMFailover", VMName="app1")])
    replica = vm(world, "app1", "hv2")
    assert replica.state == "Running" and replica.replication_state == "FailedOver"
    assert not replica.checkpoints, "completing the failover removes the recovery points"
    # the primary comes back: reverse, then a new initial replication
    world.machine("hv1").platform.set_powered(True)
    enable_server(world, "hv1", "D:\\Hyper-V")
    ok(world, "hv1", [c("Stop-VM", Name="app1", TurnOff=True)])
    ok(world, "hv2", [c("Set-VMReplication", VMName="app1", Reverse=True)])
    assert vm(world, "app1", "hv2").replication_state == "ReadyForInitialReplication"
    ok(world, "hv2", [c("Start-VMInitialReplication", VMName="app1")])
    assert vm(world, "app1").replication_state == "Replicating"


def test_remove_replication_on_both_sides(world: typing.Any) -> None:
    replicating(world)
    ok(world, "hv1", [c("Remove-VMReplication", VMName="app1")])
    ok(world, "hv2", [c("Remove-VMReplication", VMName="app1")])
    assert vm(world, "app1").replication_state == "Disabled"
    assert vm(world, "app1", "hv2").replication_state == "Disabled"
    assert not world.machine("hv1").fs.exists(f"{DISKS}\\app1.hrl")
    assert ok(world, "hv1", [c("Get-VMReplication")]) == []


def test_the_replica_server_must_support_the_configuration_version(world: typing.Any) -> None:
    enable_server(world, "hv3", "D:\\Hyper-V")
    world.directory.computer("hv3").spns.append("Hyper-V Replica Service/hv3.lab.test")  # lab3 leaves hv3 without
    message = failure(world, "hv1", [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv3.lab.test",
                                       ReplicaServerPort=80, AuthenticationType="Kerberos", ErrorAction="Stop")])
    assert "does not support configuration version 12.0" in message
    assert vm(world, "app1").replication_state == "Disabled"



def test_kerberos_replication_needs_the_replica_servers_spn(world: typing.Any) -> None:
    """lab3's hv3 has no Hyper-V SPNs: 0x80090303 until its account holds Hyper-V Replica Service/hv3."""
    enable_server(world, "hv3", "D:\\Hyper-V")
    vm(world, "app1").version = "10.0"
    enabling = [c("Enable-VMReplication", VMName="app1", ReplicaServerName="hv3.lab.test", ReplicaServerPort=80,
                  AuthenticationType="Kerberos", ErrorAction="Stop")]
    assert "0x80090303" in failure(world, "hv1", enabling)
    assert vm(world, "app1").replication_state == "Disabled"
    world.directory.computer("hv3").spns.append("Hyper-V Replica Service/hv3.lab.test")
    ok(world, "hv1", enabling)
    assert vm(world, "app1").replication_state != "Disabled"


def points_on_replica(world: typing.Any) -> list[tuple[str, str, str]]:
    """(Name, CreationTime, SnapshotType) of app1's recovery points on hv2, as Get-VMSnapshot reports them."""
    return [(p.properties["Name"], p.properties["CreationTime"].isoformat(), p.properties["SnapshotType"].name)
            for p in ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1")])]


def test_the_world_clock_makes_recovery_points_as_time_passes(world: typing.Any) -> None:
    """POST /clock's path: world time passing runs the replication cycles; the replica keeps the latest point
    and one an hour, the oldest expiring beyond RecoveryHistory."""
    replicating(world, RecoveryHistory=4)
    assert [t for _n, t, _k in points_on_replica(world)] == ["2026-11-01T08:00:00"], "the initial replication's"
    world.clock.advance(4 * 60)
    assert len(points_on_replica(world)) == 1, "no cycle yet"
    world.clock.advance(16 * 60)
    assert [t for _n, t, _k in points_on_replica(world)] == ["2026-11-01T08:00:00", "2026-11-01T08:20:00"]
    world.clock.advance(24 * 3600)
    times = [t for _n, t, _k in points_on_replica(world)]
    assert times == ["2026-11-02T05:00:00", "2026-11-02T06:00:00", "2026-11-02T07:00:00", "2026-11-02T08:00:00",
                     "2026-11-02T08:20:00"], "RecoveryHistory hourly points + the latest"


@pytest.mark.parametrize(("frequency", "cycles", "latest"), [(30, 126, "2026-11-01T09:02:30"),
                                                            (300, 13, "2026-11-01T09:00:00")])
def test_replication_cycles_follow_the_frequency_and_points_carry_world_time(world: typing.Any, frequency: int,
                                                                          cycles: int, latest: str) -> None:
    """An hour and 150 s of world time: a cycle every ReplicationFrequencySec (the initial replication is the
    first), LastReplicationTime the last cycle's world time, recovery points kept hourly plus the latest."""
    replicating(world, RecoveryHistory=4, ReplicationFrequencySec=frequency)
    world.clock.advance(3600 + 150)
    measured = ok(world, "hv1", [c("Measure-VMReplication", VMName="app1")])[0].properties
    assert measured["SuccessfulReplicationCount"] == cycles
    # a DateTime, as PowerShell sends VMReplication.LastReplicationTime (Nullable<DateTime>), not text
    assert measured["LastReplicationTime"] == datetime.datetime.fromisoformat(latest)
    assert ok(world, "hv2", [c("Get-VMReplication", VMName="app1")])[0].properties["LastReplicationTime"] == \
        datetime.datetime.fromisoformat(latest)
    expected = ["2026-11-01T08:00:00", "2026-11-01T09:00:00"] + ([latest] if latest.endswith("02:30") else [])
    points = points_on_replica(world)
    assert [t for _n, t, _k in points] == expected
    assert [n for n, _t, _k in points] == [f"app1 - Standard Replica - ({t})" for t in expected]


def test_recovery_history_and_application_consistent_points(world: typing.Any) -> None:
    """RecoveryHistory 2 keeps two hourly points besides the latest; VSSSnapshotFrequencyHour 2 makes every
    second hourly point (from the initial replication on) application-consistent."""
    replicating(world, RecoveryHistory=2, VSSSnapshotFrequencyHour=2)
    assert points_on_replica(world)[0][2] == "AppConsistentReplica"
    world.clock.advance(5 * 3600)
    assert [(t, k) for _n, t, k in points_on_replica(world)] == [
        ("2026-11-01T11:00:00", "Replica"), ("2026-11-01T12:00:00", "AppConsistentReplica"),
        ("2026-11-01T13:00:00", "Replica")]


def test_failover_to_a_recovery_point_chosen_by_its_time(world: typing.Any) -> None:
    replicating(world, RecoveryHistory=3)
    world.clock.advance(2 * 3600 + 600)
    name = next(n for n, t, _k in points_on_replica(world) if t == "2026-11-01T09:00:00")
    world.machine("hv1").platform.set_powered(False)
    ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1", Name=name), c("Start-VMFailover")])
    replica = vm(world, "app1", "hv2")
    chosen = replica.checkpoints[world.machine("hv2").hyperv.replica.relationships[replica.id].failed_over_point]
    assert chosen.name == name and chosen.creation_time == "2026-11-01T09:00:00"


def test_get_vm_reports_each_sides_replication_mode(world: typing.Any) -> None:
    """Get-VM's ReplicationMode (VMReplicationMode) follows the relationship, as Get-VMReplication's does."""
    assert ok(world, "hv1", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "None"
    replicating(world)
    assert ok(world, "hv1", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "Primary"
    assert ok(world, "hv2", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "Replica"
    ok(world, "hv1", [c("Remove-VMReplication", VMName="app1")])
    assert ok(world, "hv1", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "None"


def test_a_scheduled_initial_replication_starts_at_its_world_time(world: typing.Any) -> None:
    """Start-VMInitialReplication -InitialReplicationStartTime: the copy starts when the world clock reaches it."""
    enable_server(world)
    enable(world, RecoveryHistory=1)
    ok(world, "hv1", [c("Start-VMInitialReplication", VMName="app1",
                        InitialReplicationStartTime=datetime.datetime(2026, 11, 1, 10, 0, 0))])
    world.clock.advance(3600)
    assert vm(world, "app1").replication_state == "WaitingForInitialReplication"
    world.clock.advance(3600 + 60)
    info = ok(world, "hv1", [c("Get-VMReplication", VMName="app1")])[0].properties
    assert info["ReplicationState"].name == "Replicating" and info["LastReplicationTime"] == \
        datetime.datetime(2026, 11, 1, 10, 0, 0)
    assert [t for _n, t, _k in points_on_replica(world)] == ["2026-11-01T10:00:00"]


def test_hourly_points_from_a_fractional_world_time(world: typing.Any) -> None:
    """Transfers take fractional world seconds, so cycles fall between whole seconds: still one point an hour."""
    world.clock.advance(123.4567)
    replicating(world, RecoveryHistory=3, ReplicationFrequencySec=30)
    world.clock.advance(3 * 3600 + 10)
    assert [t for _n, t, _k in points_on_replica(world)] == [
        "2026-11-01T08:02:03", "2026-11-01T09:02:03", "2026-11-01T10:02:03", "2026-11-01T11:02:03"]


def _vm_jobs(world: typing.Any, vm_id: str, machine: str = "hv1") -> list[dict[str, typing.Any]]:
    """The jobs Msvm_AffectedJobElement associates with the VM's Msvm_ComputerSystem (as hyperv_replica_info reads)."""
    system = c("Get-CimInstance", Namespace="root\\virtualization\\v2", ClassName="Msvm_ComputerSystem",
               Filter=f"Name = '{vm_id.upper()}'")
    follow = c("Get-CimAssociatedInstance", Association="Msvm_AffectedJobElement", ResultClassName="Msvm_ConcreteJob")
    return [dict(o.properties) for o in ok(world, machine, [system, follow])]


def test_the_initial_copy_is_a_concrete_job_with_its_percent(world: typing.Any) -> None:
    """Msvm_ConcreteJob (JobType 94, Start Inband Initial Replication) on the primary while the initial copy takes world
    time, associated with the VM by Msvm_AffectedJobElement; the relationship is InitialReplicationInProgress
    meanwhile; Completed at 100 percent afterwards, listed until TimeBeforeRemoval (five minutes) has passed."""
    import threading  # pylint: disable=import-outside-toplevel

    enable_server(world)
    enable(world)
    app1 = vm(world, "app1")
    assert _vm_jobs(world, app1.id) == []
    results: list[typing.Any] = []

    def copy() -> None:
        world.clock.driven(threading.get_ident())  # a client waits on this pipeline, as over the wire
        results.append(run(world, "hv1", [c("Start-VMInitialReplication", VMName="app1", ErrorAction="Stop")]))

    copier = threading.Thread(target=copy)
    copier.start()
    while world.clock.remaining(copier.ident) is None:
        copier.join(0.01)
    total = world.clock.remaining(copier.ident)
    assert total > 0
    world.clock.advance(total / 4)
    [job] = _vm_jobs(world, app1.id)
    assert (job["JobType"], job["JobState"]) == (94, 4) and 24 <= job["PercentComplete"] <= 25
    [state] = ok(world, "hv1", [c("Get-VMReplication", VMName="app1")])
    assert state.properties["ReplicationState"].name == "InitialReplicationInProgress"
    assert _vm_jobs(world, vm(world, "web1").id) == [], "another VM has no job"
    world.clock.advance(total)
    copier.join(5)
    assert not [e for e in results[0] if isinstance(e, Failed)], results[0]
    [job] = _vm_jobs(world, app1.id)
    assert (job["JobState"], job["PercentComplete"]) == (7, 100)
    assert vm(world, "app1").replication_state == "Replicating"
    world.clock.advance(300)
    assert _vm_jobs(world, app1.id) == []


def test_cim_filters_and_associations_hvsim_does_not_model_are_refused(world: typing.Any) -> None:
    assert "WQL filters other than" in failure(world, "hv1", [c(
        "Get-CimInstance", Namespace="root\\virtualization\\v2", ClassName="Msvm_ComputerSystem",
        Filter="Name LIKE 'A%'")])
    assert "the association msvm_settingsdefinestate" in failure(world, "hv1", [
        c("Get-CimInstance", Namespace="root\\virtualization\\v2", ClassName="Msvm_ComputerSystem"),
        c("Get-CimAssociatedInstance", Association="Msvm_SettingsDefineState", ResultClassName="Msvm_ConcreteJob")])


def test_date_time_properties_go_as_date_times_never_as_text() -> None:
    """PowerShell's serializer writes a DateTime property as <DT> whatever the world keeps: a property declared
    DateTime (or Nullable<DateTime>) is typed so, and a value that is no date is an hvsim bug, not a string."""
    assert typed("LastReplicationTime", "2026-11-01T09:00:00", "System.Nullable<System.DateTime>") == \
        datetime.datetime(2026, 11, 1, 9, 0, 0)
    assert typed("LastReplicationTime", None, "System.Nullable<System.DateTime>") is None
    with pytest.raises(ValueError, match="is not a System.DateTime"):
        typed("CreationTime", "yesterday", "System.DateTime")
