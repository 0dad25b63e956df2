"""Hyper-V Replica in the world, through the engine: server settings, enabling (and what refuses it),
initial replication, observation, test / planned / unplanned failover, reversal and removal."""

from __future__ import annotations

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


def test_the_world_clock_makes_recovery_points_as_time_passes(world: typing.Any) -> None:
    """POST /clock's path: world time passing runs replication every 5 minutes, so a test can choose
    among several recovery points; the oldest expire beyond RecoveryHistory."""
    replicating(world, RecoveryHistory=4)
    first = ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1")])
    world.clock.advance(4 * 60)
    assert len(ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1")])) == len(first) == 1, "no cycle yet"
    world.clock.advance(16 * 60)
    points = ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1")])
    assert len(points) == 5 and all(p.properties["SnapshotType"].name == "Replica" for p in points)
    times = [p.properties["CreationTime"] for p in points]
    assert len(set(map(str, times))) == 5, "each point has its own time"
    world.clock.advance(24 * 3600)
    assert len(ok(world, "hv2", [c("Get-VMSnapshot", VMName="app1")])) == 5, "RecoveryHistory + the latest"


def test_get_vm_reports_each_sides_replication_mode(world: typing.Any) -> None:
    """Get-VM's ReplicationMode (VMReplicationMode) follows the relationship, as Get-VMReplication's does."""
    assert ok(world, "hv1", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "None"
    replicating(world)
    assert ok(world, "hv1", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "Primary"
    assert ok(world, "hv2", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "Replica"
    ok(world, "hv1", [c("Remove-VMReplication", VMName="app1")])
    assert ok(world, "hv1", [c("Get-VM", Name="app1")])[0].properties["ReplicationMode"].name == "None"
