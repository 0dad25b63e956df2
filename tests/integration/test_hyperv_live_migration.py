"""hyperv_live_migration against hvsim: a shared-nothing move, re-run, check mode, preflight and switch_map."""

from __future__ import annotations

import typing as t

from harness import run_playbook

MIGRATE = "winvirt.hyperv.hyperv_live_migration"
DISKS = "D:\\Hyper-V\\Virtual Hard Disks"


def enable_migrations(estate: t.Any, auth: str = "Kerberos") -> None:
    with estate.world.lock:
        for name in ("hv1", "hv2", "hv3"):
            estate.world.machine(name).hyperv.host.migration_enabled = True
            estate.world.machine(name).hyperv.host.migration_auth = auth


def connect_app1_to_lab_private(estate: t.Any) -> None:
    """hv3 has no "Lab Private" switch: app1 on it cannot move there as it is."""
    with estate.world.lock:
        next(v for v in estate.world.machine("hv1").hyperv.vms.values() if v.name == "app1").adapters[0].switch_name = \
            "Lab Private"


def vm_names(estate: t.Any, machine: str) -> set[str]:
    return {vm.name for vm in estate.world.machine(machine).hyperv.vms.values()}


def move(estate: t.Any, destination: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": "move", MIGRATE: {"destination": {"hostname": estate.address(destination)}, **args},
            "register": "out"}


def test_shared_nothing_move_rerun_and_check_mode(lab3: t.Any) -> None:
    enable_migrations(lab3)
    before = lab3.snapshot()
    checked = run_playbook(lab3, [move(lab3, "hv2", name=["app1"])], check=True, auth="credssp")
    assert checked.rc == 0, checked.stdout
    result = checked.result("move")
    assert result["changed"] is True and result["moved"] == ["app1"] and result["bytes_moved"] == 21000 * 1024**2
    assert lab3.snapshot() == before, "check mode moved nothing"

    first = run_playbook(lab3, [move(lab3, "hv2", name=["app1"])], diff=True, auth="credssp")
    assert first.rc == 0, first.stdout
    assert first.result("move")["changed"] is True and first.result("move")["moved"] == ["app1"]
    assert "app1" in vm_names(lab3, "hv2") and "app1" not in vm_names(lab3, "hv1")
    assert lab3.world.machine("hv2").fs.is_file(f"{DISKS}\\app1.vhdx")
    assert not lab3.world.machine("hv1").fs.exists(f"{DISKS}\\app1.vhdx")
    assert first.result("move")["duration"] >= 0

    again = run_playbook(lab3, [move(lab3, "hv2", name=["app1"])], auth="credssp")
    assert again.rc == 0, again.stdout
    assert again.result("move")["changed"] is False and again.result("move")["unchanged"] == ["app1"]


def test_preflight_lists_every_problem_with_its_fix(lab3: t.Any) -> None:
    connect_app1_to_lab_private(lab3)
    before = lab3.snapshot()
    failed = run_playbook(lab3, [move(lab3, "hv3", name=["app1"])], auth="credssp")
    assert failed.rc != 0
    result = failed.result("move")
    # migrations are off on both hosts, hv3 lacks a switch, and app1's configuration version is above hv3's: all in
    # one run (the version comes from hv3's own Get-VMHostSupportedVersion, Compare-VM cannot run yet)
    fixes = [p["fix"] for p in result["problems"]]
    assert len(fixes) == 4 and "hyperv_host on hv1.lab.test" in fixes[0] and "hyperv_host on hv3.lab.test" in fixes[1], fixes
    assert "switch_map" in fixes[2] and "4 problem(s)" in result["msg"]
    assert "configuration version 12.0" in result["problems"][3]["what"] and "roles/replica" in fixes[3]
    assert "127." not in result["msg"], "hosts are named as they call themselves, not by address"
    assert lab3.snapshot() == before


def test_vhd_paths_that_rename_a_disk_fail_before_any_host_is_asked(lab3: t.Any) -> None:
    enable_migrations(lab3)
    before = lab3.snapshot()
    task = move(lab3, "hv2", name=["app1"], destination_path="D:\\VMs\\app1",
                vhd_paths={f"{DISKS}\\app1.vhdx": "D:\\VMs\\app1\\app1-data.vhdx"})
    failed = run_playbook(lab3, [task], auth="credssp")
    assert failed.rc != 0
    problems = failed.result("move")["problems"]
    assert len(problems) == 1 and "'app1.vhdx'" in problems[0]["what"] and "folder" in problems[0]["fix"], problems
    assert lab3.call_log() == [] and lab3.snapshot() == before


def test_kerberos_from_the_controller_needs_delegation_or_credssp(lab3: t.Any) -> None:
    enable_migrations(lab3)
    failed = run_playbook(lab3, [move(lab3, "hv2", name=["app1"])], auth="ntlm")
    assert failed.rc != 0
    assert "0x8009030E" in failed.result("move")["msg"] and "hyperv_spn" in failed.result("move")["msg"]
    # the hosts are named as they call themselves (the inventory's hv1 / hv1.lab.test), not by address
    assert "hv1.lab.test cannot start a migration to hv2.lab.test" in failed.result("move")["msg"]
    assert "127." not in failed.result("move")["msg"]
    assert "app1" in vm_names(lab3, "hv1")


def register_spns(estate: t.Any, hosts: list[str], peers: list[str] | None = None) -> t.Any:
    """hyperv_spn through the ActiveDirectory cmdlets on dc1 (the powershell back end)."""
    args: dict[str, t.Any] = {"backend": "powershell", "hostname": estate.address("dc1"), "hosts": hosts}
    if peers:
        args["delegation"] = {"peers": peers}
    run = run_playbook(estate, [{"name": "spn", "winvirt.hyperv.hyperv_spn": args, "register": "out"}])
    assert run.rc == 0, run.stdout
    return run.result("spn")


def test_kerberos_needs_spns_then_delegation_and_hyperv_spn_provides_both(lab3: t.Any) -> None:
    """lab3's hv3 has no Hyper-V SPNs: 0x80090303; with them, a Kerberos session from the controller still needs
    constrained delegation on hv1 (0x8009030E); hyperv_spn gives both, then the move works (requirement E)."""
    enable_migrations(lab3)
    with lab3.world.lock:  # app1 at hv3's configuration version, so only authentication stands in the way
        next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1").version = "10.0"
    task = [move(lab3, "hv3", name=["app1"])]
    unknown = run_playbook(lab3, task, auth="negotiate")
    assert unknown.rc != 0
    problems = unknown.result("move")["problems"]
    assert "0x80090303" in problems[0]["what"] and "hyperv_spn" in problems[0]["fix"], problems

    assert register_spns(lab3, ["hv3"])["changed"] is True
    spns = lab3.world.directory.computer("hv3").spns
    assert "Microsoft Virtual System Migration Service/hv3.lab.test" in spns
    no_delegation = run_playbook(lab3, task, auth="negotiate")
    problems = no_delegation.result("move")["problems"]
    assert "0x8009030E" in problems[0]["what"] and "hyperv_spn" in problems[0]["fix"], problems

    register_spns(lab3, ["hv1", "hv3"], peers=["hv1", "hv3"])
    assert "Microsoft Virtual System Migration Service/hv3.lab.test" in lab3.world.directory.computer("hv1").delegate_to
    moved = run_playbook(lab3, task, auth="negotiate")
    assert moved.rc == 0, moved.stdout
    assert "app1" in vm_names(lab3, "hv3") and "app1" not in vm_names(lab3, "hv1")
    assert register_spns(lab3, ["hv1", "hv3"], peers=["hv1", "hv3"])["changed"] is False


def test_missing_switch_fails_listing_it_and_switch_map_fixes_it(lab3: t.Any) -> None:
    enable_migrations(lab3)
    connect_app1_to_lab_private(lab3)
    register_spns(lab3, ["hv3"])  # lab3's hv3 has no Hyper-V SPNs yet
    with lab3.world.lock:  # app1 at hv3's configuration version, so only the switch stands in the way
        next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1").version = "10.0"
    failed = run_playbook(lab3, [move(lab3, "hv3", name=["app1"])], auth="credssp")
    assert failed.rc != 0
    problems = failed.result("move")["problems"]
    assert len(problems) == 1 and "'Lab Private'" in problems[0]["what"] and "switch_map" in problems[0]["fix"]
    assert "app1" in vm_names(lab3, "hv1")

    mapped = run_playbook(lab3, [move(lab3, "hv3", name=["app1"], switch_map={"Lab Private": "vNet-LAN50"})], auth="credssp")
    assert mapped.rc == 0, mapped.stdout
    app1 = next(v for v in lab3.world.machine("hv3").hyperv.vms.values() if v.name == "app1")
    assert app1.adapters[0].switch_name == "vNet-LAN50" and "app1" not in vm_names(lab3, "hv1")


def test_storage_move_on_the_source(lab3: t.Any) -> None:
    task = {"name": "move", MIGRATE: {"name": ["web1"], "mode": "storage", "destination_path": "D:\\VMs\\web1"},
            "register": "out"}
    first = run_playbook(lab3, [task], auth="credssp")
    assert first.rc == 0, first.stdout
    web1 = next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "web1")
    assert web1.hard_drives[0].path == "D:\\VMs\\web1\\web1.vhdx" and web1.state == "Running"
    again = run_playbook(lab3, [task], auth="credssp")
    assert again.rc == 0 and again.result("move")["changed"] is False, again.stdout


def test_a_storage_move_plans_the_parents_hyperv_moves_with_the_disks(lab3: t.Any) -> None:
    """Move-VMStorage -RetainVhdCopiesOnSource copies ws1's base image beside its disk: the check-mode plan lists
    that parent and counts its bytes, as the shared-nothing plan does."""
    base, store = f"{DISKS}\\base-2025.vhdx", "D:\\VMs\\ws1"
    task = {"name": "move", MIGRATE: {"name": ["ws1"], "mode": "storage", "destination_path": store},
            "register": "out"}
    hv1 = lab3.world.machine("hv1")
    before = lab3.snapshot()
    checked = run_playbook(lab3, [task], auth="credssp", check=True)
    assert checked.rc == 0, checked.stdout
    result = checked.result("move")
    assert result["plan"][0]["parents"] == [{"path": base, "destination_path": f"{store}\\base-2025.vhdx",
                                             "bytes": 11000 * 1024**2, "copied_by": "Move-VMStorage"}]
    assert result["plan"][0]["bytes"] == result["bytes_moved"] == (900 + 11000) * 1024**2
    assert lab3.snapshot() == before

    moved = run_playbook(lab3, [task], auth="credssp")
    assert moved.rc == 0, moved.stdout
    assert moved.result("move")["bytes_moved"] == (900 + 11000) * 1024**2
    assert hv1.fs.get(f"{store}\\ws1.vhdx").vhd.parent_path == f"{store}\\base-2025.vhdx"
    assert hv1.fs.is_file(base), "-RetainVhdCopiesOnSource keeps the source's copy for its other children"


def give_ws1_a_data_disk_at_hv3s_version(estate: t.Any) -> None:
    """ws1 runs on a differencing disk over base-2025.vhdx (which hv3 lacks); give it a second, ordinary disk."""
    from hvsim.world.filesystem import VhdInfo
    from hvsim.world.hyperv import Drive

    with estate.world.lock:
        hv1 = estate.world.machine("hv1")
        path = f"{DISKS}\\ws1-data.vhdx"
        hv1.fs.write_file(path, 64 * 1024**2, VhdInfo("VHDX", "Dynamic", 10 * 1024**3, None, "DATA-DISK-ID"))
        ws1 = next(v for v in hv1.hyperv.vms.values() if v.name == "ws1")
        ws1.hard_drives.append(Drive("SCSI", 0, 1, path))
        ws1.version = "10.0"


def test_hyperv_moves_a_missing_parent_and_the_plan_shows_its_bytes(lab3: t.Any) -> None:
    """hv1 runs Windows Server 2025: Move-VM takes ws1's parent along (-RetainVhdCopiesOnSource keeps the
    source's base image for its other children); a different file where the parent goes is never overwritten."""
    enable_migrations(lab3)
    register_spns(lab3, ["hv3"])
    give_ws1_a_data_disk_at_hv3s_version(lab3)
    base = f"{DISKS}\\base-2025.vhdx"
    hv1, hv3 = lab3.world.machine("hv1"), lab3.world.machine("hv3")
    with lab3.world.lock:  # a different disk where the parent would go: never overwritten
        hv3.fs.write_file(base, 5 * 1024**2, __import__("dataclasses").replace(hv1.fs.get(base).vhd, disk_identifier="OTHER"))
    refused = run_playbook(lab3, [move(lab3, "hv3", name=["ws1"])], auth="credssp")
    assert refused.rc != 0
    problems = refused.result("move")["problems"]
    assert len(problems) == 1, problems  # one problem, one fix (Compare-VM's finding about the file is not repeated)
    assert "different disk" in problems[0]["what"] and "never overwritten" in problems[0]["what"]
    assert "hv3.lab.test" in problems[0]["fix"] and "merge" not in problems[0]["fix"].lower()
    assert hv3.fs.get(base).vhd.disk_identifier == "OTHER" and "ws1" in vm_names(lab3, "hv1")

    with lab3.world.lock:
        hv3.fs.remove(base)
    before = lab3.snapshot()
    checked = run_playbook(lab3, [move(lab3, "hv3", name=["ws1"])], auth="credssp", check=True)
    assert checked.rc == 0, checked.stdout
    result = checked.result("move")
    assert result["bytes_moved"] == (900 + 64 + 11000) * 1024**2, "the disks and the parent copy"
    assert result["plan"][0]["bytes"] == result["bytes_moved"]
    assert result["plan"][0]["parents"] == [{"path": base, "destination_path": base, "bytes": 11000 * 1024**2,
                                             "copied_by": "Move-VM"}]
    assert lab3.snapshot() == before

    moved = run_playbook(lab3, [move(lab3, "hv3", name=["ws1"])], auth="credssp")
    assert moved.rc == 0, moved.stdout
    ws1 = next(v for v in hv3.hyperv.vms.values() if v.name == "ws1")
    assert ws1.state == "Running" and len(ws1.hard_drives) == 2
    assert hv3.fs.get(base).vhd.disk_identifier == hv1.fs.get(base).vhd.disk_identifier, "the same disk, moved"
    assert hv1.fs.is_file(base), "the parent stays on the source for its other children"
    assert hv3.fs.get(f"{DISKS}\\ws1.vhdx").vhd.parent_path == base
    calls = lab3.call_log()
    assert not [c for c in calls if c["command"] == "Copy-Item"], "Hyper-V moved the parent; nothing copied it first"
    move_vm = [c for c in calls if c["command"] == "Move-VM"]
    assert len(move_vm) == 1 and move_vm[0]["parameters"].get("RetainVhdCopiesOnSource") is True


def test_a_windows_server_2012_source_gets_its_parent_copied_first(lab3: t.Any) -> None:
    """Windows Server 2012 leaves parents behind: the module copies the missing chain to the same path first."""
    enable_migrations(lab3)
    register_spns(lab3, ["hv3"])
    give_ws1_a_data_disk_at_hv3s_version(lab3)
    base = f"{DISKS}\\base-2025.vhdx"
    hv1, hv3 = lab3.world.machine("hv1"), lab3.world.machine("hv3")
    with lab3.world.lock:
        hv1.os_version = "6.2.9200"
    checked = run_playbook(lab3, [move(lab3, "hv3", name=["ws1"])], auth="credssp", check=True)
    assert checked.rc == 0, checked.stdout
    assert checked.result("move")["plan"][0]["parents"][0]["copied_by"] == "Copy-Item before the move"
    moved = run_playbook(lab3, [move(lab3, "hv3", name=["ws1"])], auth="credssp")
    assert moved.rc == 0, moved.stdout
    assert hv3.fs.get(base).vhd.disk_identifier == hv1.fs.get(base).vhd.disk_identifier, "the same disk, copied"
    assert hv1.fs.is_file(base) and hv3.fs.get(f"{DISKS}\\ws1.vhdx").vhd.parent_path == base
    calls = lab3.call_log()
    copies = [c for c in calls if c["command"] == "Copy-Item"]
    assert len(copies) == 1 and copies[0]["machine"] == "hv1" and copies[0]["parameters"]["LiteralPath"] == base
    move_vm = [c for c in calls if c["command"] == "Move-VM"]
    assert "RetainVhdCopiesOnSource" not in move_vm[0]["parameters"]


def test_a_long_live_migration_takes_world_time_and_timeout_stops_it(lab3: t.Any) -> None:
    """40 GB over the default 1 Gbit/s link take 320 s of world time: the module's Receives are answered
    with OperationTimeout while it runs, and timeout 30 stops it on the host; the VM stays on the source."""
    from harness import connection_defaults

    enable_migrations(lab3)
    with lab3.world.lock:
        app1 = next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1")
        app1.startup = 40 * 1000**3 - lab3.world.machine("hv1").fs.get(f"{DISKS}\\app1.vhdx").size
        app1.state = "Running"
        started = lab3.world.clock.now
    connection = {**connection_defaults(lab3, "hv1", "credssp"), "operation_timeout": 5, "read_timeout": 15}
    failed = run_playbook(lab3, [move(lab3, "hv2", name=["app1"], timeout=30)], connection=connection)
    assert failed.rc != 0
    result = failed.result("move")
    assert "timeout (30 s) reached" in result["msg"] and "stopped on the host" in result["msg"], result["msg"]
    assert "'app1' is on the source host" in result["msg"] and result["moved"] == [] and result["changed"] is False
    assert "app1" in vm_names(lab3, "hv1") and "app1" not in vm_names(lab3, "hv2")
    assert app1.state == "Running"
    assert not lab3.world.machine("hv2").fs.exists(f"{DISKS}\\app1.vhdx")
    waited = lab3.world.clock.now - started
    assert 20 <= waited <= 40, waited
    assert lab3.counters("hv1")["operation_timeouts"] >= 4

    done = run_playbook(lab3, [move(lab3, "hv2", name=["app1"], timeout=900)], connection=connection)
    assert done.rc == 0, done.stdout
    assert "app1" in vm_names(lab3, "hv2")
    assert lab3.world.clock.now - started >= 320


def test_a_lost_answer_after_the_move_reports_the_vm_where_it_is(lab3: t.Any) -> None:
    """The answer to the Receive that completes the move comes after the client's read timeout (issue: tasks
    reported moved: [] while the VM was on the destination): the task fails, saying the move completed,
    with changed true and the VM in moved; a re-run converges."""
    from harness import connection_defaults

    enable_migrations(lab3)
    with lab3.world.lock:
        app1 = next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1")
        app1.startup = 40 * 1000**3 - lab3.world.machine("hv1").fs.get(f"{DISKS}\\app1.vhdx").size
        app1.state = "Running"
        started = lab3.world.clock.now
    fired: list[float] = []

    def slow_last_answer(_previous: float, now: float) -> None:
        if not fired and now >= started + 315:  # the next Receive completes the 320 s move
            fired.append(now)
            lab3.inject_fault("hv1", "slow", seconds=12, count=1)

    lab3.world.clock.on_advance(slow_last_answer)
    connection = {**connection_defaults(lab3, "hv1", "credssp"), "operation_timeout": 5, "read_timeout": 10}
    failed = run_playbook(lab3, [move(lab3, "hv2", name=["app1"], timeout=900)], connection=connection)
    assert fired and failed.rc != 0
    result = failed.result("move")
    assert result["changed"] is True and result["moved"] == ["app1"], result
    assert "the move of 'app1' completed: 'app1' is on the destination host" in result["msg"], result["msg"]
    assert "app1" in vm_names(lab3, "hv2") and "app1" not in vm_names(lab3, "hv1")

    again = run_playbook(lab3, [move(lab3, "hv2", name=["app1"])], auth="credssp")
    assert again.rc == 0 and again.result("move")["changed"] is False, again.stdout
