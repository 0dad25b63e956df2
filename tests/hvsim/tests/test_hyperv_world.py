"""The Hyper-V part of the world through the engine: what each cmdlet changes, and what it refuses."""

from __future__ import annotations

import typing

import pytest

from hvsim.contract import CommandCall, Failed, Output, Principal, WarningEvent
from hvsim.engine.executor import Engine
from hvsim.estate import build_world
from hvsim.runner import estate_spec
from hvsim.server import load_world_modules

PRINCIPAL = Principal(machine="hv1", user="LAB\\Administrator", auth="kerberos", delegable=False)
DISKS = "D:\\Hyper-V\\Virtual Hard Disks"


@pytest.fixture()
def world() -> typing.Any:
    load_world_modules()
    return build_world(estate_spec("lab3"))


def c(name: str, **params: typing.Any) -> CommandCall:
    return CommandCall(name=name, parameters=list(params.items()))


def run(world: typing.Any, *statements: list[CommandCall]) -> list[typing.Any]:
    return list(Engine().run(PRINCIPAL, world, [list(s) for s in statements], []))


def outputs(events: list[typing.Any]) -> list[typing.Any]:
    assert not [e for e in events if isinstance(e, Failed)], events
    return [e.value for e in events if isinstance(e, Output)]


def vm(world: typing.Any, name: str) -> typing.Any:
    return next(v for v in world.machine("hv1").hyperv.vms.values() if v.name == name)


def test_the_estate_builds_hosts_switches_and_vms(world: typing.Any) -> None:
    hv1 = world.machine("hv1")
    assert {v.name for v in hv1.hyperv.vms.values()} == {"web1", "app1", "ws1", "legacy1"}
    assert vm(world, "app1").state == "Off" and vm(world, "web1").adapters[0].vlan.access_id == 20
    assert "vEthernet (vNet-LAN50)" in hv1.platform.net_adapters
    assert hv1.platform.net_adapters["Ethernet"].bound_switch == "vNet-LAN50"
    assert hv1.fs.get(f"{DISKS}\\base-2025.vhdx").attached_to == vm(world, "ws1").id, "a running VM holds its parent"


def test_new_vm_power_and_off_only_settings(world: typing.Any) -> None:
    made = outputs(run(world, [c("New-VM", Name="x'; Remove-VM *", Generation=2, NoVHD=True,
                                 MemoryStartupBytes="2147483648", Path="D:\\Hyper-V")]))
    created = vm(world, "x'; Remove-VM *")
    assert made[0].properties["Id"] == created.id and created.startup == 2 * 1024**3
    assert world.machine("hv1").fs.is_file(f"D:\\Hyper-V\\x'; Remove-VM *\\Virtual Machines\\{created.id.upper()}.vmcx")
    assert len(world.machine("hv1").hyperv.vms) == 5, "the name is data: no VM was removed"
    outputs(run(world, [c("Get-VM", Id=created.id), c("Start-VM")]))
    assert created.state == "Running"
    refused = run(world, [c("Get-VM", Id=created.id), c("Set-VMProcessor", Count=4, ErrorAction="Stop")])
    assert isinstance(refused[-1], Failed) and "current state" in refused[-1].info.message
    assert created.processor_count == 1
    again = run(world, [c("Get-VM", Id=created.id), c("Start-VM")])
    assert isinstance(again[0], WarningEvent)
    outputs(run(world, [c("Get-VM", Id=created.id), c("Stop-VM", Force=True)],
                [c("Get-VM", Id=created.id), c("Set-VMProcessor", Count=4)]))
    assert created.state == "Off" and created.processor_count == 4


def test_missing_vm_is_a_non_terminating_error(world: typing.Any) -> None:
    events = run(world, [c("Get-VM", Name="nope", ErrorAction="SilentlyContinue")], [c("Write-Output", InputObject="m")])
    assert [type(e).__name__ for e in events] == ["Output"]
    stopped = run(world, [c("Get-VM", Name="nope", ErrorAction="Stop")])
    assert stopped[0].info.fqid == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"


def test_vhd_create_resize_and_refusals(world: typing.Any) -> None:
    fs = world.machine("hv1").fs
    outputs(run(world, [c("New-VHD", Path=f"{DISKS}\\new.vhdx", SizeBytes=10 * 1024**3, Dynamic=True)]))
    assert fs.get(f"{DISKS}\\new.vhdx").vhd.size == 10 * 1024**3
    outputs(run(world, [c("Resize-VHD", Path=f"{DISKS}\\new.vhdx", SizeBytes=20 * 1024**3)]))
    assert fs.get(f"{DISKS}\\new.vhdx").vhd.size == 20 * 1024**3
    exists = run(world, [c("New-VHD", Path=f"{DISKS}\\new.vhdx", SizeBytes=1024**3)])
    assert isinstance(exists[0], Failed) and "exists" in exists[0].info.message
    busy = run(world, [c("Convert-VHD", Path=f"{DISKS}\\web1.vhdx", DestinationPath=f"{DISKS}\\web1.vhd")])
    assert isinstance(busy[0], Failed) and "in use" in busy[0].info.message
    child = outputs(run(world, [c("New-VHD", Path=f"{DISKS}\\child.vhdx", ParentPath=f"{DISKS}\\base-2025.vhdx",
                                  Differencing=True)]))
    assert child[0].properties["ParentPath"] == f"{DISKS}\\base-2025.vhdx"


def test_checkpoints_move_disks_to_differencing_files_and_merge_back(world: typing.Any) -> None:
    fs = world.machine("hv1").fs
    app1 = vm(world, "app1")
    outputs(run(world, [c("Checkpoint-VM", Name="app1", SnapshotName="one")]))
    disk = app1.hard_drives[0].path
    assert disk.lower().endswith(".avhdx") and fs.get(disk).vhd.parent_path == f"{DISKS}\\app1.vhdx"
    outputs(run(world, [c("Get-VM", Name="app1"), c("Set-VMProcessor", Count=8)]))
    snapshot = outputs(run(world, [c("Get-VMSnapshot", VMName="app1", Name="one")]))[0]
    outputs(run(world, [c("Get-VMSnapshot", Id=snapshot.properties["Id"]), c("Restore-VMSnapshot", Confirm=False)]))
    assert app1.processor_count == 4
    outputs(run(world, [c("Get-VMSnapshot", VMName="app1"), c("Remove-VMSnapshot")]))
    assert app1.checkpoints == {} and app1.hard_drives[0].path == f"{DISKS}\\app1.vhdx"
    assert not [f for f in fs.files if f.endswith(".avhdx")]


def test_checkpoints_are_created_at_world_time(world: typing.Any) -> None:
    """CreationTime is the world clock's (hvsim.clock), not a per-host counter: the same on every host."""
    world.clock.advance(2 * 3600 + 90)
    outputs(run(world, [c("Checkpoint-VM", Name="app1", SnapshotName="later")]))
    snapshot = outputs(run(world, [c("Get-VMSnapshot", VMName="app1", Name="later")]))[0]
    # the estate's epoch (08:00) plus the world time that passed
    assert str(snapshot.properties["CreationTime"]) == "2026-11-01 10:01:30", snapshot.properties["CreationTime"]


def test_switches_bind_nics_and_give_the_host_an_adapter(world: typing.Any) -> None:
    hv1 = world.machine("hv1")
    outputs(run(world, [c("New-VMSwitch", Name="Storage", NetAdapterName="Ethernet 3", AllowManagementOS=True)]))
    assert hv1.platform.net_adapters["vEthernet (Storage)"].ipv4 == ["10.0.60.11/24"]
    taken = run(world, [c("New-VMSwitch", Name="Again", NetAdapterName="Ethernet 3")])
    assert isinstance(taken[0], Failed) and "already bound" in taken[0].info.message
    outputs(run(world, [c("Remove-VMSwitch", Name="Storage", Force=True)]))
    assert hv1.platform.net_adapters["Ethernet 3"].ipv4 == ["10.0.60.11/24"]
    assert "vEthernet (Storage)" not in hv1.platform.net_adapters


def test_generation_2_refuses_a_vhd_and_takes_it_once_converted(world: typing.Any) -> None:
    outputs(run(world, [c("New-VHD", Path=f"{DISKS}\\spare.vhd", SizeBytes=1024**3, Dynamic=True)]))
    refused = run(world, [c("Get-VM", Name="web1"), c("Add-VMHardDiskDrive", Path=f"{DISKS}\\spare.vhd")])
    assert isinstance(refused[-1], Failed) and "generation 2" in refused[-1].info.message
    swapped = run(world, [c("Get-VM", Name="web1"), c("Get-VMHardDiskDrive"), c("Set-VMHardDiskDrive", Path=f"{DISKS}\\spare.vhd")])
    assert isinstance(swapped[-1], Failed) and "generation 2" in swapped[-1].info.message
    assert vm(world, "web1").hard_drives[0].path == f"{DISKS}\\web1.vhdx", "Set-VMHardDiskDrive -Path is held to it too"
    outputs(run(world, [c("Convert-VHD", Path=f"{DISKS}\\spare.vhd", DestinationPath=f"{DISKS}\\spare.vhdx")]))
    outputs(run(world, [c("Get-VM", Name="web1"), c("Add-VMHardDiskDrive", Path=f"{DISKS}\\spare.vhdx")]))
    assert vm(world, "web1").hard_drives[-1].path == f"{DISKS}\\spare.vhdx"


def test_a_host_restart_applies_the_vms_automatic_stop_and_start_actions(world: typing.Any) -> None:
    outputs(run(world, [c("Set-VM", Name="app1", AutomaticStartAction="Start")],
                [c("Get-VM", Name="ws1"), c("Stop-VM", Force=True)],
                [c("Set-VM", Name="ws1", AutomaticStopAction="ShutDown", AutomaticStartAction="Nothing")],
                [c("Get-VM", Name="ws1"), c("Start-VM")]))
    world.machine("hv1").platform.begin_restart()
    states = {name: vm(world, name).state for name in ("web1", "app1", "ws1", "legacy1")}
    assert states == {"web1": "Running",  # Save + StartIfRunning: saved, then resumed
                      "app1": "Running",  # off, but Start: started with the host
                      "ws1": "Off",  # ShutDown + Nothing: stays off
                      "legacy1": "Off"}  # off and StartIfRunning: stays off


def test_applying_a_checkpoint_of_a_running_vm(world: typing.Any) -> None:
    web1 = vm(world, "web1")
    outputs(run(world, [c("Checkpoint-VM", Name="web1", SnapshotName="running")]))
    taken = next(ch for ch in web1.checkpoints.values() if ch.name == "running")
    outputs(run(world, [c("Get-VMSnapshot", Id=taken.id), c("Restore-VMSnapshot", Confirm=False)]))
    assert web1.state == "Off", "lab3's checkpoints are production checkpoints: applied, the VM is off"
    fs = world.machine("hv1").fs
    assert fs.get(web1.hard_drives[0].path).vhd.parent_path == f"{DISKS}\\web1.vhdx", "a new child of the frozen disk"
    assert not fs.exists(f"{DISKS}\\web1_{taken.id.upper()}.avhdx"), "the discarded changes are gone"


def test_adapters_show_the_guests_addresses_only_while_the_vm_runs(world: typing.Any) -> None:
    """IPAddresses is what the guest reports (Msvm_GuestNetworkAdapterConfiguration through the Data Exchange
    integration service): web1 runs and reports two; app1 is off, so nothing, until it runs."""
    web1 = outputs(run(world, [c("Get-VMNetworkAdapter", VMName="web1")]))[0].properties
    assert web1["IPAddresses"] == ["10.0.20.21", "fe80::215:5dff:fe0b:21"]
    assert outputs(run(world, [c("Get-VMNetworkAdapter", VMName="app1")]))[0].properties["IPAddresses"] == []
    outputs(run(world, [c("Start-VM", Name="app1")]))
    assert outputs(run(world, [c("Get-VMNetworkAdapter", VMName="app1")]))[0].properties["IPAddresses"] == ["10.0.0.41"]
    host_side = outputs(run(world, [c("Get-VMNetworkAdapter", ManagementOS=True)]))
    assert host_side and all(adapter.properties["IPAddresses"] == [] for adapter in host_side)
