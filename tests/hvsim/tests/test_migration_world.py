"""Compare-VM, Move-VM and Move-VMStorage through the engine: what moves, and what a refused move leaves alone."""

from __future__ import annotations

import typing

import pytest

from hvsim.contract import CommandCall, Failed, Output, Principal
from hvsim.engine.executor import Engine
from hvsim.estate import build_world
from hvsim.runner import estate_spec
from hvsim.server import load_world_modules
from hvsim.snapshot import to_data
from hvsim.world.hyperv_migration import ACCESS_DENIED
from hvsim.world.smb import NtfsEntry

CREDSSP = Principal(machine="hv1", user="LAB\\Administrator", auth="credssp", delegable=True)
KERBEROS = Principal(machine="hv1", user="LAB\\Administrator", auth="kerberos", delegable=False)
MIGRATION_SERVICE = "Microsoft Virtual System Migration Service"
DISKS = "D:\\Hyper-V\\Virtual Hard Disks"


@pytest.fixture()
def world() -> typing.Any:
    load_world_modules()
    built = build_world(estate_spec("lab3"))
    for name in ("hv1", "hv2", "hv3"):
        built.machine(name).hyperv.host.migration_enabled = True
        built.machine(name).hyperv.host.migration_auth = "Kerberos"
    # lab3 leaves hv3 without Hyper-V SPNs (test_missing_spns_then_delegation shows why that matters)
    hv3 = built.machine("hv3")
    built.directory.computer("hv3").spns += [f"{MIGRATION_SERVICE}/{hv3.netbios}", f"{MIGRATION_SERVICE}/{hv3.fqdn}"]
    return built


def c(name: str, **params: typing.Any) -> CommandCall:
    return CommandCall(name=name, parameters=list(params.items()))


def run(world: typing.Any, call: CommandCall, principal: Principal = CREDSSP) -> list[typing.Any]:
    return list(Engine().run(principal, world, [[call]], []))


def outputs(events: list[typing.Any]) -> list[typing.Any]:
    assert not [e for e in events if isinstance(e, Failed)], events
    return [e.value for e in events if isinstance(e, Output)]


def failure(events: list[typing.Any]) -> str:
    failed = [e for e in events if isinstance(e, Failed)]
    assert failed, events
    return str(failed[-1].info.message)


def vm_on(world: typing.Any, machine: str, name: str) -> typing.Any:
    return next((v for v in world.machine(machine).hyperv.vms.values() if v.name == name), None)


def test_shared_nothing_move_of_a_vm_that_is_off(world: typing.Any) -> None:
    app1 = vm_on(world, "hv1", "app1")
    moved = outputs(run(world, c("Move-VM", Name="app1", DestinationHost="hv2.lab.test", IncludeStorage=True,
                                 Passthru=True, ErrorAction="Stop")))
    assert moved[0].properties["ComputerName"] == "HV2"
    assert vm_on(world, "hv1", "app1") is None and vm_on(world, "hv2", "app1") is app1 and app1.state == "Off"
    disk = f"{DISKS}\\app1.vhdx"
    assert world.machine("hv2").fs.get(disk).vhd.size == 80 * 1024**3 and not world.machine("hv1").fs.exists(disk)
    assert app1.hard_drives[0].path == disk


def test_a_running_vm_keeps_running_and_its_files_are_held_on_the_destination(world: typing.Any) -> None:
    web1 = vm_on(world, "hv1", "web1")
    identity = world.machine("hv1").fs.get(f"{DISKS}\\web1.vhdx").vhd.disk_identifier
    outputs(run(world, c("Move-VM", Name="web1", DestinationHost="hv2", IncludeStorage=True,
                         DestinationStoragePath="D:\\VMs\\web1", ErrorAction="Stop")))
    entry = world.machine("hv2").fs.get("D:\\VMs\\web1\\web1.vhdx")
    assert web1.state == "Running" and entry.attached_to == web1.id and entry.vhd.disk_identifier == identity
    assert web1.path == "D:\\VMs\\web1" and web1.hard_drives[0].path == "D:\\VMs\\web1\\web1.vhdx"
    assert not world.machine("hv1").fs.exists(f"{DISKS}\\web1.vhdx")


def test_per_vhd_destinations(world: typing.Any) -> None:
    outputs(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", VirtualMachinePath="D:\\Hyper-V",
                         Vhds=[{"SourceFilePath": f"{DISKS}\\app1.vhdx", "DestinationFilePath": "D:\\Data\\app1.vhdx"}],
                         ErrorAction="Stop")))
    assert vm_on(world, "hv2", "app1").hard_drives[0].path == "D:\\Data\\app1.vhdx"


def test_per_vhd_destinations_keep_the_file_name(world: typing.Any) -> None:
    """Move-VM -Vhds: "The virtual hard disk name must be identical in both entries"."""
    before = to_data(world)
    message = failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", VirtualMachinePath="D:\\Hyper-V",
                                   Vhds=[{"SourceFilePath": f"{DISKS}\\app1.vhdx",
                                          "DestinationFilePath": "D:\\Data\\renamed.vhdx"}], ErrorAction="Stop")))
    assert "file names must be identical" in message and to_data(world) == before


def test_a_differencing_disk_moves_when_the_destination_has_its_parent(world: typing.Any) -> None:
    base = f"{DISKS}\\base-2025.vhdx"
    outputs(run(world, c("Move-VM", Name="ws1", DestinationHost="hv2", IncludeStorage=True, RetainVhdCopiesOnSource=True,
                         ErrorAction="Stop")))
    child = world.machine("hv2").fs.get(f"{DISKS}\\ws1.vhdx")
    assert child.vhd.parent_path == base and world.machine("hv2").fs.get(base).attached_to == vm_on(world, "hv2", "ws1").id
    assert world.machine("hv1").fs.get(base).attached_to is None, "the parent stays on the source, released"


def test_the_sources_parents_go_unless_retained(world: typing.Any) -> None:
    """RetainVhdCopiesOnSource: "whether the read-only VHDs on the source host should be removed after the
    migration is completed" (Msvm_VirtualSystemMigrationSettingData); without it, they are."""
    outputs(run(world, c("Move-VM", Name="ws1", DestinationHost="hv2", IncludeStorage=True, ErrorAction="Stop")))
    assert not world.machine("hv1").fs.exists(f"{DISKS}\\base-2025.vhdx")


def test_hyperv_moves_a_missing_parent_with_the_vm_since_2012_r2(world: typing.Any) -> None:
    """hv1 (Windows Server 2025) copies ws1's parent to hv3 beside the moved disk; the source keeps its copy."""
    base = f"{DISKS}\\base-2025.vhdx"
    ws1 = vm_on(world, "hv1", "ws1")
    ws1.version = "10.0"  # hv3's highest
    identity = world.machine("hv1").fs.get(base).vhd.disk_identifier
    report = outputs(run(world, c("Compare-VM", Name="ws1", DestinationHost="hv3", IncludeStorage=True,
                                  DestinationStoragePath="D:\\VMs\\ws1", RetainVhdCopiesOnSource=True)))[0]
    assert report.properties["Incompatibilities"] == []
    outputs(run(world, c("Move-VM", Name="ws1", DestinationHost="hv3", IncludeStorage=True,
                         DestinationStoragePath="D:\\VMs\\ws1", RetainVhdCopiesOnSource=True, ErrorAction="Stop")))
    hv3 = world.machine("hv3")
    child, parent = hv3.fs.get("D:\\VMs\\ws1\\ws1.vhdx"), hv3.fs.get("D:\\VMs\\ws1\\base-2025.vhdx")
    assert child.vhd.parent_path == "D:\\VMs\\ws1\\base-2025.vhdx" and parent.vhd.disk_identifier == identity
    assert parent.attached_to == ws1.id and ws1.state == "Running"
    assert world.machine("hv1").fs.is_file(base) and not world.machine("hv1").fs.exists(f"{DISKS}\\ws1.vhdx")


def test_a_different_file_where_the_parent_would_go_refuses_the_move(world: typing.Any) -> None:
    vm_on(world, "hv1", "ws1").version = "10.0"
    world.machine("hv3").fs.write_file(f"{DISKS}\\base-2025.vhdx", 1024, None)
    before = to_data(world)
    message = failure(run(world, c("Move-VM", Name="ws1", DestinationHost="hv3", IncludeStorage=True,
                                   RetainVhdCopiesOnSource=True, ErrorAction="Stop")))
    assert f"The file '{DISKS}\\base-2025.vhdx' already exists on 'HV3'" in message and to_data(world) == before


def test_a_windows_server_2012_source_leaves_the_parent_and_refuses_a_move_without_it(world: typing.Any) -> None:
    world.machine("hv1").os_version = "6.2.9200"
    vm_on(world, "hv1", "ws1").adapters[0].switch_name = "Lab Private"  # a switch hv3 does not have
    before = to_data(world)
    message = failure(run(world, c("Move-VM", Name="ws1", DestinationHost="hv3", IncludeStorage=True,
                                   ErrorAction="Stop")))
    assert "base-2025.vhdx" in message and "does not exist on the destination" in message
    assert "Could not find Ethernet switch 'Lab Private'" in message, "every obstacle is named at once"
    assert to_data(world) == before


def test_compare_vm_lists_every_incompatibility(world: typing.Any) -> None:
    vm_on(world, "hv1", "app1").processor_count = 24
    vm_on(world, "hv1", "app1").adapters[0].switch_name = "Lab Private"
    report = outputs(run(world, c("Compare-VM", Name="app1", DestinationHost="hv3", IncludeStorage=True)))[0]
    found = {e.properties["MessageId"]: e.properties["Message"] for e in report.properties["Incompatibilities"]}
    assert found[33012] == "Could not find Ethernet switch 'Lab Private'."
    assert "12.0" in found[24004] and "24 virtual processors" in found[24003]
    clean = outputs(run(world, c("Compare-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True)))[0]
    assert clean.properties["Incompatibilities"] == []


def test_the_destination_must_have_room(world: typing.Any) -> None:
    world.machine("hv2").fs.fill_volume("D:")
    before = to_data(world)
    message = failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True,
                                   ErrorAction="Stop")))
    assert "not enough space on volume D:" in message and to_data(world) == before


def test_a_vm_already_on_the_destination_is_refused(world: typing.Any) -> None:
    outputs(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True, ErrorAction="Stop")))
    back = Principal(machine="hv2", user="LAB\\Administrator", auth="credssp", delegable=True)
    app1 = vm_on(world, "hv2", "app1")
    world.machine("hv1").hyperv.vms[app1.id] = app1  # a stale copy left on the source
    message = failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv1", IncludeStorage=True,
                                   ErrorAction="Stop"), back))
    assert "already exists on 'HV1'" in message


def test_kerberos_from_a_third_machine_needs_delegation_or_credssp(world: typing.Any) -> None:
    before = to_data(world)
    events = run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True, ErrorAction="Stop"),
                 KERBEROS)
    assert "0x8009030E" in failure(events) and events[-1].info.hresult == 0x8009030E - 2**32
    assert to_data(world) == before
    on_host = Principal(machine="hv1", user="LAB\\Administrator", auth="kerberos", delegable=False,
                        client_address=world.machine("hv1").address)
    outputs(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True, ErrorAction="Stop"),
                on_host))


def test_missing_spns_then_delegation(world: typing.Any) -> None:
    """0x80090303 until the destination has its migration SPN; 0x8009030E until the source may delegate."""
    directory = world.directory
    hv1, hv3 = world.machine("hv1"), world.machine("hv3")
    next(vm for vm in hv1.hyperv.vms.values() if vm.name == "app1").version = "10.0"  # what hv3 (2022) runs
    directory.computer("hv3").spns = [s for s in directory.computer("hv3").spns if not s.startswith(MIGRATION_SERVICE)]
    move = c("Move-VM", Name="app1", DestinationHost="hv3", IncludeStorage=True,
             DestinationStoragePath="D:\\Hyper-V\\app1", ErrorAction="Stop")
    assert "0x80090303" in failure(run(world, move, KERBEROS))
    directory.computer("hv3").spns.append(f"{MIGRATION_SERVICE}/{hv3.fqdn}")
    assert "0x8009030E" in failure(run(world, move, KERBEROS))
    directory.computer("hv1").delegate_to.append(f"{MIGRATION_SERVICE}/{hv3.fqdn}")
    ntlm = Principal(machine="hv1", user="LAB\\Administrator", auth="ntlm", delegable=False)
    assert "0x8009030E" in failure(run(world, move, ntlm)), "Kerberos-only delegation needs a Kerberos session"
    outputs(run(world, move, KERBEROS))
    assert any(vm.name == "app1" for vm in hv3.hyperv.vms.values())
    assert not any(vm.name == "app1" for vm in hv1.hyperv.vms.values())


def test_credssp_migration_auth_needs_a_credssp_session(world: typing.Any) -> None:
    for name in ("hv1", "hv2"):
        world.machine(name).hyperv.host.migration_auth = "CredSSP"
    message = failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True,
                                   ErrorAction="Stop"), KERBEROS))
    assert "0x8009030D" in message
    outputs(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True, ErrorAction="Stop")))


def test_hosts_must_allow_migrations_and_agree_on_auth(world: typing.Any) -> None:
    world.machine("hv2").hyperv.host.migration_enabled = False
    assert "'HV2' is not configured to allow migrations" in failure(
        run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True, ErrorAction="Stop")))
    world.machine("hv2").hyperv.host.migration_enabled = True
    world.machine("hv2").hyperv.host.migration_auth = "CredSSP"
    assert "does not match" in failure(
        run(world, c("Move-VM", Name="app1", DestinationHost="hv2", IncludeStorage=True, ErrorAction="Stop")))
    assert "0x8007274C" in failure(
        run(world, c("Move-VM", Name="app1", DestinationHost="nowhere", IncludeStorage=True, ErrorAction="Stop")))


def test_without_storage_a_vm_on_local_disks_cannot_move(world: typing.Any) -> None:
    message = failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", ErrorAction="Stop")))
    assert "only a VM whose files are on an SMB share" in message
    assert vm_on(world, "hv1", "app1") is not None


def test_vm_only_move_of_a_vm_on_a_share(world: typing.Any) -> None:
    app1 = vm_on(world, "hv1", "app1")
    app1.path = "\\\\fs1\\VM\\app1"
    app1.hard_drives[0].path = "\\\\fs1\\VM\\app1\\app1.vhdx"
    grant_share_to_hosts(world)
    outputs(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", ErrorAction="Stop")))
    assert vm_on(world, "hv2", "app1").hard_drives[0].path == "\\\\fs1\\VM\\app1\\app1.vhdx"


def grant_share_to_hosts(world: typing.Any, rights: str = "FullControl") -> None:
    fs1 = world.machine("fs1")
    fs1.smb.shares["vm"].full_access += ["LAB\\HV1$", "LAB\\HV2$"]
    fs1.smb.ntfs["e:\\shares\\vm"] += [NtfsEntry("LAB\\HV1$", rights), NtfsEntry("LAB\\HV2$", rights)]


def test_vm_only_move_needs_the_destination_account_to_write_the_files(world: typing.Any) -> None:
    app1 = vm_on(world, "hv1", "app1")
    app1.path = "\\\\fs1.lab.test\\VM\\app1"
    app1.hard_drives[0].path = "\\\\fs1.lab.test\\VM\\app1\\app1.vhdx"
    report = outputs(run(world, c("Compare-VM", Name="app1", DestinationHost="hv2")))[0]
    problems = [(e.properties["MessageId"], e.properties["Message"]) for e in report.properties["Incompatibilities"]]
    assert len(problems) == 2 and all(i == ACCESS_DENIED and "'LAB\\HV2$'" in m and "0x80070005" in m
                                      for i, m in problems), problems
    assert "'\\\\fs1.lab.test\\VM\\app1\\app1.vhdx'" in problems[1][1]
    assert "General access denied error" in failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv2",
                                                                 ErrorAction="Stop")))
    assert vm_on(world, "hv1", "app1") is app1
    grant_share_to_hosts(world, rights="ReadAndExecute")  # the share lets them in, NTFS only to read
    assert "0x80070005" in failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", ErrorAction="Stop")))
    world.machine("fs1").smb.ntfs["e:\\shares\\vm"].append(NtfsEntry("LAB\\HV2$", "FullControl"))
    outputs(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", ErrorAction="Stop")))
    assert vm_on(world, "hv2", "app1") is app1


def test_a_vm_only_move_to_a_share_that_is_gone_is_refused(world: typing.Any) -> None:
    app1 = vm_on(world, "hv1", "app1")
    app1.path = "\\\\fs1\\Gone\\app1"
    app1.hard_drives[0].path = "\\\\fs1\\Gone\\app1\\app1.vhdx"
    assert "0x80070043" in failure(run(world, c("Move-VM", Name="app1", DestinationHost="hv2", ErrorAction="Stop")))


def test_move_vm_storage_on_one_host(world: typing.Any) -> None:
    web1 = vm_on(world, "hv1", "web1")
    run(world, c("Move-VMStorage", Name="web1", DestinationStoragePath="C:\\VMs\\web1", ErrorAction="Stop"))
    fs = world.machine("hv1").fs
    assert web1.hard_drives[0].path == "C:\\VMs\\web1\\web1.vhdx" and web1.state == "Running"
    assert fs.get("C:\\VMs\\web1\\web1.vhdx").attached_to == web1.id and not fs.exists(f"{DISKS}\\web1.vhdx")


def _jobs(world: typing.Any, machine: str = "hv1") -> list[dict[str, typing.Any]]:
    call = c("Get-CimInstance", Namespace="root\\virtualization\\v2", ClassName="Msvm_MigrationJob", ErrorAction="Stop")
    return [dict(o.properties) for o in outputs(list(Engine().run(CREDSSP, world, [[call]], [])))]


def test_a_move_in_progress_is_a_migration_job_with_its_percent(world: typing.Any) -> None:
    """Msvm_MigrationJob (root\\virtualization\\v2) on the source while Move-VM takes world time, then Completed at
    100 percent, listed until TimeBeforeRemoval (five minutes) has passed."""
    import threading  # pylint: disable=import-outside-toplevel

    app1 = vm_on(world, "hv1", "app1")
    assert _jobs(world) == []
    results: list[typing.Any] = []

    def move() -> None:
        world.clock.driven(threading.get_ident())  # a client waits on this pipeline, as over the wire
        results.append(run(world, c("Move-VM", Name="app1", DestinationHost="hv2.lab.test", IncludeStorage=True,
                                    ErrorAction="Stop")))

    mover = threading.Thread(target=move)
    mover.start()
    while world.clock.remaining(mover.ident) is None:
        mover.join(0.01)
    total = world.clock.remaining(mover.ident)
    world.clock.advance(total / 2)
    [job] = _jobs(world)
    assert job["JobState"] == 4 and 49 <= job["PercentComplete"] <= 50 and job["MigrationType"] == 32771
    assert job["VirtualSystemName"] == app1.id.upper() and job["DestinationHost"] == "hv2.lab.test"
    assert vm_on(world, "hv1", "app1") is app1, "still on the source while it moves"
    world.clock.advance(total)
    mover.join(5)
    outputs(results[0])
    [job] = _jobs(world)
    assert (job["JobState"], job["PercentComplete"]) == (7, 100) and vm_on(world, "hv2", "app1") is app1
    world.clock.advance(300)
    assert _jobs(world) == []
