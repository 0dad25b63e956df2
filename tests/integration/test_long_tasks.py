"""Long tasks with async: a live migration and the replica wait started with ``async``/``poll: 0`` and waited for with
``async_status``, the move's progress read from the host meanwhile (hyperv_migration_info: Msvm_MigrationJob), and the
live_migration role reporting progress while it polls. hvsim's world clock makes the moves take world time; a
time_scale makes that world time also pass in real time, so a move is still running while the play polls."""

from __future__ import annotations

import pathlib
import typing as t

from harness import run_playbook, run_playbook_file
from test_hyperv_live_migration import enable_migrations, vm_names
from test_hyperv_replica import REPLICA, server_task, vm

MIGRATE = "winvirt.hyperv.hyperv_live_migration"
PROGRESS = "winvirt.hyperv.hyperv_migration_info"
REPLICA_INFO = "winvirt.hyperv.hyperv_replica_info"


def slow_world(estate: t.Any, scale: float = 0.2) -> None:
    """Each world second also takes ``scale`` real seconds while a client waits on a long cmdlet."""
    with estate.world.lock:
        estate.world.clock.time_scale = scale


def test_a_live_migration_with_async_async_status_and_progress(lab3: t.Any) -> None:
    enable_migrations(lab3)
    slow_world(lab3)
    started_at = lab3.world.clock.now
    run = run_playbook(lab3, [
        {"name": "start", MIGRATE: {"name": ["web1"], "destination": {"hostname": lab3.address("hv2")}, "timeout": 3600},
         "async": 3900, "poll": 0, "register": "job"},
        {"name": "progress", PROGRESS: {"name": "web1"}, "register": "progress",
         "until": "progress.jobs | selectattr('state', 'equalto', 'running') | list | length > 0",
         "retries": 60, "delay": 1},
        {"name": "wait", "ansible.builtin.async_status": {"jid": "{{ job.ansible_job_id }}"}, "register": "done",
         "until": "done.finished", "retries": 120, "delay": 1},
        {"name": "after", PROGRESS: {"name": "web1"}, "register": "after"},
    ], auth="credssp")
    assert run.rc == 0, run.stdout + run.stderr
    assert run.result("start")["ansible_job_id"] and run.result("start").get("finished", 0) == 0

    [running] = [job for job in run.result("progress")["jobs"] if job["state"] == "running"]
    web1 = next(v for v in lab3.world.machine("hv2").hyperv.vms.values() if v.name == "web1")
    assert running["vm_id"] == web1.id.lower() and running["destination"] == "hv2.lab.test"
    assert 0 <= running["percent_complete"] < 100 and running["migration_type"] == "virtual_system_and_storage"

    done = run.result("wait")
    assert done["finished"] == 1 and done["changed"] is True and done["moved"] == ["web1"], done
    assert "web1" in vm_names(lab3, "hv2") and "web1" not in vm_names(lab3, "hv1") and web1.state == "Running"
    [completed] = run.result("after")["jobs"]
    assert (completed["state"], completed["percent_complete"]) == ("completed", 100)
    assert lab3.world.clock.now - started_at >= completed["elapsed_seconds"] > 0, "the move took world time"


def test_the_replica_wait_with_async(lab3: t.Any) -> None:
    """app1's initial copy (21 GB at 1 Gbit/s: about three minutes of world time) with wait and async, its progress read
    from the primary while the task waits (hyperv_replica_info: Msvm_ConcreteJob), then Replicating."""
    slow_world(lab3, 0.1)
    run = run_playbook(lab3, [
        server_task(lab3, "hv2", "server hv2"),
        {"name": "enable", REPLICA: {"hostname": lab3.address("hv1"), "destination": {"hostname": lab3.address("hv2")},
                                     "name": "app1", "wait": True, "wait_timeout": 1800},
         "async": 2100, "poll": 0, "register": "job"},
        # how far the copy is, as the primary's Hyper-V job for it says (Msvm_ConcreteJob), while the task waits
        {"name": "progress", REPLICA_INFO: {"vm_name": "app1"}, "register": "progress",
         "until": "progress.replications | map(attribute='progress') | select | selectattr('state', 'equalto', "
                  "'running') | list | length > 0", "retries": 120, "delay": 1},
        {"name": "wait", "ansible.builtin.async_status": {"jid": "{{ job.ansible_job_id }}"}, "register": "done",
         "until": "done.finished", "retries": 300, "delay": 1},
        {"name": "after", REPLICA_INFO: {"vm_name": "app1"}, "register": "after"},
    ])
    assert run.rc == 0, run.stdout + run.stderr
    [copying] = run.result("progress")["replications"]
    assert copying["state"] == "InitialReplicationInProgress" and copying["mode"] == "Primary"
    assert copying["progress"]["job"] == "initial_replication" and 0 <= copying["progress"]["percent_complete"] < 100
    assert copying["progress"]["state"] == "running"
    done = run.result("wait")
    assert done["changed"] is True and done["status"]["state"] == "Replicating", done
    [after] = run.result("after")["replications"]
    assert after["state"] == "Replicating" and after["progress"] is None
    assert vm(lab3, "app1").replication_state == "Replicating" and vm(lab3, "app1").replication_mode == "Primary"
    assert vm(lab3, "app1", "hv2").replication_mode == "Replica"


def test_the_live_migration_role_reports_progress_while_it_polls(lab3: t.Any) -> None:
    """The shipped playbook moves app1 (off, 21 GB of disk: about three minutes of world time at 1 Gbit/s) through the
    role, which starts it with async and reports the host's percentage complete at each poll."""
    slow_world(lab3, 0.05)
    run = run_playbook_file(lab3, "live_migration.yml", extra_vars={"live_migration_poll_interval": 1})
    assert run.rc == 0, run.stdout + run.stderr
    assert "app1" in vm_names(lab3, "hv2") and "app1" not in vm_names(lab3, "hv1")
    reports = [item["msg"] for record in run.results if record["task"] == "Report the progress"
               for item in record["result"].get("results", [record["result"]]) if "msg" in item]
    assert reports and all(msg.startswith("app1 -> hv2.lab.test: ") for msg in reports), run.stdout
    assert any(" % (running, " in msg for msg in reports), reports


def test_the_replica_role_waits_for_the_initial_copy_and_reports_progress(lab3: t.Any) -> None:
    """The drill playbook with replica_wait: app1's initial copy (about three minutes of world time) runs with async and
    the role reports the primary's percentage at each poll; the drill runs once app1 replicates."""
    slow_world(lab3, 0.1)
    run = run_playbook_file(lab3, "replica_drill.yml", extra_vars={"replica_wait": True, "replica_poll_interval": 1})
    assert run.rc == 0, run.stdout + run.stderr
    reports = [item["msg"] for record in run.results if record["task"] == "Report the progress"
               for item in record["result"].get("results", [record["result"]]) if "msg" in item]
    assert reports and all(msg.startswith("app1: ") for msg in reports), run.stdout
    assert any(" % of the initial replication copied (running, " in msg for msg in reports), reports
    percents = [int(msg.split(": ", 1)[1].split(" ", 1)[0]) for msg in reports]
    assert percents == sorted(percents) and percents[-1] < 100, percents
    assert vm(lab3, "app1").replication_state == "Replicating" and vm(lab3, "app1", "hv2").replication_mode == "Replica"


def test_migration_info_examples(lab3: t.Any) -> None:
    """hyperv_migration_info's EXAMPLES as written: web1 moves in the background, its progress read, the move waited
    for."""
    from test_examples import assert_all_ran, examples  # pylint: disable=import-outside-toplevel

    enable_migrations(lab3)
    slow_world(lab3, 0.05)
    tasks = examples("hyperv_migration_info")
    run = run_playbook(lab3, tasks, auth="credssp")
    assert_all_ran(run, len(tasks))
    assert "web1" in vm_names(lab3, "hv2") and run.result("Wait for the move")["moved"] == ["web1"]
    assert all(job["vm_name"] == "web1" for job in run.result("How far the move is")["jobs"])


def test_an_async_move_outlives_the_play_that_started_it(lab3: t.Any, tmp_path: t.Any) -> None:
    """The move starts with poll: 0 in one play and is waited for in the next: the end of the first play (which closes
    the hosts' session helpers) must not cut the move off."""
    import yaml  # pylint: disable=import-outside-toplevel

    from harness import connection_defaults, run_inventory  # pylint: disable=import-outside-toplevel

    enable_migrations(lab3)
    slow_world(lab3)
    defaults = {"group/winvirt.hyperv.hyperv": connection_defaults(lab3, "hv1", "credssp")}
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False, "module_defaults": defaults}
    playbook = tmp_path / "two_plays.yml"
    playbook.write_text(yaml.safe_dump([
        {**play, "name": "start", "tasks": [
            {"name": "start", MIGRATE: {"name": ["web1"], "destination": {"hostname": lab3.address("hv2")}},
             "async": 900, "poll": 0, "register": "job"},
            {"name": "keep the job id", "ansible.builtin.set_fact": {"move_job": "{{ job.ansible_job_id }}"}}]},
        {**play, "name": "wait", "tasks": [
            {"name": "wait", "ansible.builtin.async_status": {"jid": "{{ move_job }}"}, "register": "done",
             "until": "done.finished", "retries": 120, "delay": 1}]},
    ]))
    run = run_inventory(lab3, [pathlib.Path("localhost,")], tmp_path, playbook=playbook)
    assert run.rc == 0, run.stdout + run.stderr
    assert run.result("wait")["moved"] == ["web1"], run.result("wait")
    assert "web1" in vm_names(lab3, "hv2") and "web1" not in vm_names(lab3, "hv1")
