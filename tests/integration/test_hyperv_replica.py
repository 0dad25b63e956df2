"""hyperv_replica_server and hyperv_replica against hvsim: enabling with an excluded VHD, idempotence, check mode,
refusals before anything changes, planned failover and failback, test failover, unplanned failover."""

from __future__ import annotations

import typing as t

from harness import run_playbook, run_playbook_file

from hvsim.world.filesystem import VhdInfo
from hvsim.world.hyperv import Drive
from hvsim.world.hyperv_replica import replica_state, replicate

REPLICA = "winvirt.hyperv.hyperv_replica"
SERVER = "winvirt.hyperv.hyperv_replica_server"
DISKS = "D:\\Hyper-V\\Virtual Hard Disks"
BACKUP = f"{DISKS}\\app1-backup.vhdx"


def add_backup_disk(estate: t.Any) -> None:
    """app1 gets a second disk (a backup target that should not replicate)."""
    with estate.world.lock:
        hv1 = estate.world.machine("hv1")
        info = VhdInfo("VHDX", "Dynamic", 100 * 1024**3, None, hv1.fs.next_disk_identifier(BACKUP))
        hv1.fs.write_file(BACKUP, 1024**3, info)
        vm(estate, "app1").hard_drives.append(Drive("SCSI", 0, 1, BACKUP))


def vm(estate: t.Any, name: str, machine: str = "hv1") -> t.Any:
    return next((v for v in estate.world.machine(machine).hyperv.vms.values() if v.name == name), None)


def server_task(estate: t.Any, machine: str, title: str = "server", **args: t.Any) -> dict[str, t.Any]:
    args.setdefault("default_storage_location", "D:\\Replica" if machine == "hv2" else "D:\\Hyper-V")
    return {"name": title, SERVER: {"hostname": estate.address(machine), **args}, "register": "out"}


def replica_task(estate: t.Any, title: str, source: str = "hv1", target: str = "hv2", **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, REPLICA: {"hostname": estate.address(source), "destination": {"hostname": estate.address(target)},
                                     "name": "app1", **args}, "register": "out"}


def enable_task(estate: t.Any, **args: t.Any) -> dict[str, t.Any]:
    return replica_task(estate, "enable", exclude_vhds=[BACKUP], **args)


def prepared(estate: t.Any, **args: t.Any) -> None:
    """hv2 (and hv1, for reversals) as replica servers, app1 replicating hv1 -> hv2."""
    add_backup_disk(estate)
    run = run_playbook(estate, [server_task(estate, "hv2", "server hv2"), server_task(estate, "hv1", "server hv1"),
                                enable_task(estate, **args)])
    assert run.rc == 0, run.stdout
    assert vm(estate, "app1").replication_state == "Replicating"


def test_enable_with_an_excluded_vhd_check_mode_and_idempotence(lab3: t.Any) -> None:
    add_backup_disk(lab3)
    tasks = [server_task(lab3, "hv2"), enable_task(lab3)]
    before = lab3.snapshot()
    checked = run_playbook(lab3, tasks[:1], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert checked.result("server")["changed"] is True
    assert "open the firewall rule 'Hyper-V Replica HTTP Listener (TCP-In)'" in checked.result("server")["changes"]
    assert checked.result("server")["diff"]["after"]["enabled"] is True
    assert lab3.snapshot() == before, "check mode changed the world"
    assert run_playbook(lab3, tasks[:1]).result("server")["changed"] is True
    before = lab3.snapshot()
    checked = run_playbook(lab3, tasks[1:], check=True)
    assert checked.rc == 0 and checked.result("enable")["changed"] is True, checked.stdout
    assert checked.result("enable")["changes"][0].startswith("enable replication of app1 from hv1.lab.test to hv2")
    assert lab3.snapshot() == before, "check mode changed the world"

    first = run_playbook(lab3, tasks)
    assert first.rc == 0, first.stdout
    hv2 = lab3.world.machine("hv2")
    assert hv2.platform.firewall_rules["VIRT-HVRHTTPL-In-TCP-NoScope"].enabled
    assert first.result("server")["server"]["default_storage_location"] == "D:\\Replica"
    result = first.result("enable")
    assert result["changed"] is True and result["status"]["state"] == "Replicating"
    assert result["status"]["replica_server"] == "hv2.lab.test" and result["status"]["health"] == "Normal"
    replica = vm(lab3, "app1", "hv2")
    assert replica is not None and replica.id == vm(lab3, "app1").id
    assert [d.path.rsplit("\\", 1)[-1] for d in replica.hard_drives] == ["app1.vhdx"], "the backup disk stays home"
    assert hv2.fs.is_file(replica.hard_drives[0].path)
    assert vm(lab3, "app1").replication_state == "Replicating"
    assert result["hosts"]["primary"]["settings"]["replicated_vhds"] == [f"{DISKS}\\app1.vhdx"]

    again = run_playbook(lab3, tasks)
    assert again.result("server")["changed"] is False and again.result("enable")["changed"] is False
    assert again.result("enable")["round_trips"] == 2, "one read per host"

    changed = run_playbook(lab3, [enable_task(lab3, frequency=30, recovery_points=2)], diff=True)
    assert changed.result("enable")["changed"] is True
    assert changed.result("enable")["diff"]["after"]["replica"]["settings"]["frequency"] == 30
    assert lab3.world.machine("hv2").hyperv.replica.relationships[replica.id].frequency == 30

    removed = run_playbook(lab3, [replica_task(lab3, "remove", state="absent")])
    assert removed.result("remove")["changed"] is True, removed.stdout
    assert vm(lab3, "app1").replication_state == "Disabled" and vm(lab3, "app1", "hv2").replication_state == "Disabled"
    assert run_playbook(lab3, [replica_task(lab3, "remove", state="absent")]).result("remove")["changed"] is False


def test_replica_server_disabled_or_firewall_closed_is_named_before_anything_changes(lab3: t.Any) -> None:
    add_backup_disk(lab3)
    before = lab3.snapshot()
    disabled = run_playbook(lab3, [enable_task(lab3)])
    assert disabled.rc != 0 and disabled.status("enable") == "failed"
    message = disabled.result("enable")["msg"]
    assert "replica server hv2.lab.test is disabled" in message and "hyperv_replica_server" in message
    assert disabled.result("enable")["changed"] is False
    assert lab3.snapshot() == before

    closed = run_playbook(lab3, [server_task(lab3, "hv2", manage_firewall=False), enable_task(lab3)])
    message = closed.result("enable")["msg"]
    assert closed.rc != 0 and "firewall on hv2.lab.test is closed" in message
    assert "Hyper-V Replica HTTP Listener (TCP-In)" in message
    assert vm(lab3, "app1").replication_state == "Disabled" and vm(lab3, "app1", "hv2") is None

    unauthorized = run_playbook(lab3, [server_task(lab3, "hv2", allow_any_server=False, authorization_entries=[
        {"primary_server": "*.other.test", "storage_location": "D:\\Replica"}]), enable_task(lab3)])
    assert "does not authorize the primary hv1.lab.test" in unauthorized.result("enable")["msg"]
    assert vm(lab3, "app1", "hv2") is None


def test_a_replica_server_on_another_port_gets_that_port_opened(lab3: t.Any) -> None:
    """The built-in listener rules are fixed to TCP 80/443: for Kerberos on 8080 the module creates its own rule for
    8080 (and leaves the HTTP rule closed), and replication reaches the server through it."""
    add_backup_disk(lab3)
    hv2 = lab3.world.machine("hv2")
    own = "WinVirt-HyperV-Replica-Kerberos-In-TCP"
    run = run_playbook(lab3, [server_task(lab3, "hv2", kerberos_port=8080), enable_task(lab3, replica_port=8080)])
    assert run.rc == 0, run.stdout
    assert "create the firewall rule 'Hyper-V Replica Kerberos Listener, configured port (TCP-In)' for TCP 8080" in \
        run.result("server")["changes"]
    rule = hv2.platform.firewall_rules[own]
    assert rule.enabled and rule.local_port == "8080" and rule.direction == "Inbound" and rule.action == "Allow"
    assert not hv2.platform.firewall_rules["VIRT-HVRHTTPL-In-TCP-NoScope"].enabled, "port 80 stays closed"
    assert vm(lab3, "app1").replication_state == "Replicating"
    again = run_playbook(lab3, [server_task(lab3, "hv2", kerberos_port=8080)])
    assert again.result("server")["changed"] is False, again.result("server")

    with lab3.world.lock:  # someone closes it: hvsim's reachability checks the port, and the preflight says so
        rule.enabled = False
    refused = run_playbook(lab3, [replica_task(lab3, "again", state="absent"),
                                  enable_task(lab3, replica_port=8080)])
    assert refused.rc != 0 and "closed for replication on TCP port 8080" in refused.result("enable")["msg"]

    back = run_playbook(lab3, [server_task(lab3, "hv2", kerberos_port=80)])
    assert back.rc == 0, back.stdout
    assert own not in hv2.platform.firewall_rules and hv2.platform.firewall_rules["VIRT-HVRHTTPL-In-TCP-NoScope"].enabled


def test_planned_failover_needs_the_vm_off_then_reverses_and_fails_back(lab3: t.Any) -> None:
    prepared(lab3)
    with lab3.world.lock:
        vm(lab3, "app1").state = "Running"
    before = lab3.snapshot()
    refused = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover")])
    assert refused.rc != 0 and "allow_shutdown" in refused.result("failover")["msg"]
    assert lab3.snapshot() == before, "a refused failover changes nothing"

    checked = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover", allow_shutdown=True)],
                           check=True)
    assert checked.result("failover")["changed"] is True and lab3.snapshot() == before

    moved = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover", allow_shutdown=True)])
    result = moved.result("failover")
    assert moved.rc == 0 and result["changed"] is True, moved.stdout
    assert vm(lab3, "app1", "hv2").state == "Running" and vm(lab3, "app1").state == "Off"
    assert result["status"]["primary_server"] == "hv2.lab.test" and result["status"]["replica_server"] == "hv1.lab.test"
    assert result["status"]["state"] == "Replicating" and result["status"]["running_on"] == "hv2.lab.test"
    assert vm(lab3, "app1").replication_state == "Replicating"
    again = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover", allow_shutdown=True)])
    assert again.result("failover")["changed"] is False

    back = run_playbook(lab3, [replica_task(lab3, "failback", source="hv2", target="hv1", action="planned_failover",
                                            allow_shutdown=True)])
    assert back.rc == 0, back.stdout
    assert vm(lab3, "app1").state == "Running" and vm(lab3, "app1", "hv2").state == "Off"
    assert back.result("failback")["status"]["primary_server"] == "hv1.lab.test"
    assert [d.path for d in vm(lab3, "app1").hard_drives] == [f"{DISKS}\\app1.vhdx", BACKUP]


def test_a_planned_failover_sends_the_pending_changes_in_world_time(lab3: t.Any) -> None:
    """Start-VMFailover -Prepare replicates the pending changes first: that transfer takes world time (hvsim.clock)."""
    prepared(lab3)
    pending = 25 * 1024**3
    with lab3.world.lock:
        app1 = vm(lab3, "app1")
        app1.state = "Off"
        replica_state(lab3.world.machine("hv1").hyperv).relationships[app1.id].pending_bytes = pending
    started = lab3.world.clock.now
    moved = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover")])
    assert moved.rc == 0, moved.stdout
    assert vm(lab3, "app1", "hv2").state == "Running"
    assert lab3.world.clock.now - started >= lab3.world.transfer_seconds("hv1", "hv2", pending) - 1e-6


def test_test_failover_runs_beside_replication_and_cleanup_removes_only_the_test_vm(lab3: t.Any) -> None:
    prepared(lab3)
    started = run_playbook(lab3, [replica_task(lab3, "test", action="test_failover")])
    assert started.rc == 0, started.stdout
    test_vm = vm(lab3, "app1 - Test", "hv2")
    assert test_vm is not None and test_vm.state == "Running"
    assert vm(lab3, "app1", "hv2").state == "Off" and vm(lab3, "app1").replication_state == "Replicating"
    last = started.result("test")["status"]["last_replication_time"]
    replicate(lab3.world, 10)
    again = run_playbook(lab3, [replica_task(lab3, "test", action="test_failover")])
    assert again.result("test")["changed"] is False
    assert again.result("test")["status"]["last_replication_time"] > last, "replication kept going"

    cleaned = run_playbook(lab3, [replica_task(lab3, "cleanup", action="test_failover_cleanup")])
    assert cleaned.result("cleanup")["changed"] is True
    assert {v.name for v in lab3.world.machine("hv2").hyperv.vms.values()} == {"app1"}
    assert vm(lab3, "app1", "hv2").replication_state == "Replicating"
    assert run_playbook(lab3, [replica_task(lab3, "cleanup", action="test_failover_cleanup")]).result(
        "cleanup")["changed"] is False


def test_unplanned_failover_with_the_primary_down_uses_the_chosen_recovery_point(lab3: t.Any) -> None:
    prepared(lab3, recovery_points=3)
    replicate(lab3.world, 60)
    status = run_playbook(lab3, [enable_task(lab3, recovery_points=3)]).result("enable")["status"]
    points = status["recovery_points"]
    assert len(points) == 2, status
    lab3.set_power("hv1", False)
    failed = run_playbook(lab3, [replica_task(lab3, "dr", action="unplanned_failover", recovery_point=points[0]["name"])])
    result = failed.result("dr")
    assert failed.rc == 0 and result["changed"] is True, failed.stdout
    replica = vm(lab3, "app1", "hv2")
    assert replica.state == "Running" and replica.replication_state == "FailedOver"
    relationship = lab3.world.machine("hv2").hyperv.replica.relationships[replica.id]
    assert relationship.failed_over_point == points[0]["id"]
    assert result["hosts"]["primary"] is None and "not reachable" in failed.stdout + failed.stderr + str(result)
    again = run_playbook(lab3, [replica_task(lab3, "dr", action="unplanned_failover", recovery_point=points[0]["name"])])
    assert again.result("dr")["changed"] is False

    lab3.set_power("hv1", True)
    reversed_run = run_playbook(lab3, [replica_task(lab3, "dr", action="unplanned_failover", reverse=True,
                                                    allow_shutdown=True)])
    assert reversed_run.rc == 0, reversed_run.stdout
    assert vm(lab3, "app1", "hv2").replication_state == "Replicating"
    assert reversed_run.result("dr")["status"]["replica_server"] == "hv1.lab.test"


def test_world_time_makes_recovery_points_to_choose_by_time(lab3: t.Any) -> None:
    """Hours of world time (POST /clock): the replica keeps one recovery point an hour since the initial
    replication plus the latest cycle's, each named and dated by the world clock; an unplanned failover to the
    point chosen by its time takes that point."""
    prepared(lab3, recovery_points=4)
    clock = lab3.world.clock
    with lab3.world.lock:
        app1 = vm(lab3, "app1")
        initial = replica_state(lab3.world.machine("hv2").hyperv).relationships[app1.id].last_cycle
    lab3.advance_clock(3 * 3600 + 100)
    latest = initial + (clock.now - initial) // 300 * 300  # the default frequency: a cycle every 300 s
    expected = [initial + k * 3600 for k in range(4)] + ([latest] if latest != initial + 3 * 3600 else [])
    status = run_playbook(lab3, [enable_task(lab3, recovery_points=4)]).result("enable")["status"]
    points = status["recovery_points"]
    assert [p["name"] for p in points] == [f"app1 - Standard Replica - ({clock.timestamp(at)})" for at in expected]
    assert status["last_replication_time"].startswith(clock.timestamp(latest)), status
    chosen = next(p for p in points if p["name"].endswith(f"({clock.timestamp(initial + 3600)})"))
    lab3.set_power("hv1", False)
    failed = run_playbook(lab3, [replica_task(lab3, "dr", action="unplanned_failover", recovery_point=chosen["name"])])
    assert failed.rc == 0, failed.stdout
    replica = vm(lab3, "app1", "hv2")
    assert lab3.world.machine("hv2").hyperv.replica.relationships[replica.id].failed_over_point == chosen["id"]


def test_drill_playbook_then_planned_failover_and_failback_playbooks(lab3: t.Any) -> None:
    before = lab3.snapshot()
    checked = run_playbook_file(lab3, "replica_drill.yml", check=True)
    assert lab3.snapshot() == before, "check mode changed the world"
    assert checked.result("Make the replica host a replica server (with its firewall rule)")["changed"] is True
    assert checked.rc == 0, checked.stdout
    drill = run_playbook_file(lab3, "replica_drill.yml")
    assert drill.rc == 0, drill.stdout + drill.stderr
    verified = drill.result("Verify the test VMs run on the replica host")["vms"]
    assert {v["name"]: v["state"] for v in verified}["app1 - Test"] == "Running"
    assert {v.name for v in lab3.world.machine("hv2").hyperv.vms.values()} == {"app1"}, "the drill cleaned up"
    assert vm(lab3, "app1").replication_state == "Replicating"

    over = run_playbook_file(lab3, "replica_failover.yml")
    assert over.rc == 0, over.stdout + over.stderr
    assert vm(lab3, "app1", "hv2").state == "Running" and vm(lab3, "app1").state == "Off"
    back = run_playbook_file(lab3, "replica_failover.yml", extra_vars={"replica_primary": "hv2", "replica_target": "hv1"})
    assert back.rc == 0, back.stdout + back.stderr
    assert vm(lab3, "app1").state == "Running" and vm(lab3, "app1", "hv2").state == "Off"
    assert lab3.world.machine("hv1").hyperv.replica.relationships[vm(lab3, "app1").id].mode == "Primary"


def test_migrate_via_replica_between_hosts_incompatible_for_live_migration(lab3: t.Any) -> None:
    with lab3.world.lock:  # both hosts allow migrations, with different authentication types
        for name, auth in (("hv1", "CredSSP"), ("hv2", "Kerberos")):
            settings = lab3.world.machine(name).hyperv.host
            settings.migration_enabled, settings.migration_auth = True, auth
    live = run_playbook(lab3, [{"name": "live", "winvirt.hyperv.hyperv_live_migration": {
        "name": ["legacy1"], "destination": {"hostname": lab3.address("hv2")}}, "register": "out"}])
    assert live.rc != 0 and vm(lab3, "legacy1") is not None
    legacy_id = vm(lab3, "legacy1").id

    moved = run_playbook_file(lab3, "replica_migrate.yml")
    assert moved.rc == 0, moved.stdout + moved.stderr
    assert vm(lab3, "legacy1") is None
    arrived = vm(lab3, "legacy1", "hv2")
    assert arrived is not None and arrived.id == legacy_id and arrived.state == "Running"
    assert arrived.replication_state == "Disabled" and lab3.world.machine("hv2").fs.is_file(arrived.hard_drives[0].path)
    again = run_playbook_file(lab3, "replica_migrate.yml")
    assert again.rc == 0 and all(not r["result"].get("changed") for r in again.results), again.stdout


def test_the_role_registers_the_replica_spns_kerberos_needs(lab3: t.Any) -> None:
    """hv3 has no Hyper-V SPNs in lab3: replicating to it over Kerberos fails with 0x80090303 until the role's
    SPN step (hyperv_spn through the ActiveDirectory cmdlets on dc1) registers them (requirement D9)."""
    with lab3.world.lock:
        vm(lab3, "app1").version = "10.0"  # hv3 (Server 2022) runs configuration version 10.0 at most
    pair = {"replica_primary": "hv1", "replica_target": "hv3", "replica_target_storage": "D:\\Replica",
            "replica_primary_storage": "", "replica_create_storage": True}  # hv3 has no D:\\Replica yet
    without = run_playbook_file(lab3, "replica_drill.yml", extra_vars={**pair, "replica_manage_spns": False})
    assert without.rc != 0 and "0x80090303" in without.stdout, without.stdout
    assert "Hyper-V Replica Service/hv3.lab.test" not in lab3.world.directory.computer("hv3").spns

    run = run_playbook_file(lab3, "replica_drill.yml", extra_vars={
        **pair, "replica_manage_spns": True,
        "replica_spn_options": {"backend": "powershell", "hostname": lab3.address("dc1")}})
    assert run.rc == 0, run.stdout + run.stderr
    assert "Hyper-V Replica Service/hv3.lab.test" in lab3.world.directory.computer("hv3").spns
    assert vm(lab3, "app1", "hv3") is not None and vm(lab3, "app1").replication_state != "Disabled"
