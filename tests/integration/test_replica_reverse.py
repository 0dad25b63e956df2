"""Hyper-V Replica across reversals: the replicated-disk set survives failover and failback (or is chosen when
reversing), suspend and resume, and the hosts named by their current roles."""

from __future__ import annotations

import typing as t

from harness import run_playbook
from test_hyperv_replica import BACKUP, DISKS, enable_task, prepared, replica_task, vm

from hvsim.world.hyperv_replica import replica_state


def side(estate: t.Any, machine: str) -> t.Any:
    relationships = replica_state(estate.world.machine(machine).hyperv).relationships
    app1 = vm(estate, "app1", machine)
    return relationships.get(app1.id) if app1 else None


def replicated_paths(estate: t.Any, machine: str) -> list[str]:
    """The disks of app1 on ``machine`` that its side of the relationship replicates (world state)."""
    found = side(estate, machine)
    skipped = {p.lower() for p in found.excluded}
    return [d.path for d in vm(estate, "app1", machine).hard_drives if d.path and d.path.lower() not in skipped]


def test_failback_keeps_the_disk_excluded_at_enable_time(lab3: t.Any) -> None:
    prepared(lab3)
    over = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover", allow_shutdown=True)])
    assert over.rc == 0, over.stdout
    back = run_playbook(lab3, [replica_task(lab3, "failback", source="hv2", target="hv1", action="planned_failover",
                                            allow_shutdown=True)])
    assert back.rc == 0, back.stdout
    assert side(lab3, "hv1").mode == "Primary"
    assert replicated_paths(lab3, "hv1") == [f"{DISKS}\\app1.vhdx"], "the backup disk must not replicate again"
    assert back.result("failback")["status"]["state"] == "Replicating"

    again = run_playbook(lab3, [enable_task(lab3)])
    result = again.result("enable")
    assert again.rc == 0 and result["changed"] is False, (result.get("msg"), result.get("changes"))


def test_reversing_can_choose_the_replicated_disks(lab3: t.Any) -> None:
    prepared(lab3)
    over = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover", allow_shutdown=True)])
    assert over.rc == 0, over.stdout
    # failing back, the user lists what replicates from hv1 from then on: the backup disk too, on purpose
    back = run_playbook(lab3, [replica_task(lab3, "failback", source="hv2", target="hv1", action="planned_failover",
                                            allow_shutdown=True, include_vhds=[f"{DISKS}\\app1.vhdx", BACKUP])])
    assert back.rc == 0, back.stdout
    assert replicated_paths(lab3, "hv1") == [f"{DISKS}\\app1.vhdx", BACKUP]
    calls = [c for c in lab3.call_log() if c["command"] == "Set-VMReplication" and c["parameters"].get("Reverse")]
    assert sorted(calls[-1]["parameters"]["ReplicatedDiskPaths"]) == sorted([f"{DISKS}\\app1.vhdx", BACKUP])


def test_suspend_and_resume(lab3: t.Any) -> None:
    prepared(lab3)
    before = lab3.snapshot()
    checked = run_playbook(lab3, [replica_task(lab3, "suspend", action="suspend")], check=True)
    assert checked.result("suspend")["changed"] is True and lab3.snapshot() == before

    suspended = run_playbook(lab3, [replica_task(lab3, "suspend", action="suspend")])
    assert suspended.rc == 0, suspended.stdout
    assert side(lab3, "hv1").state == "Suspended" and vm(lab3, "app1").replication_state == "Suspended"
    assert suspended.result("suspend")["status"]["state"] == "Suspended"
    again = run_playbook(lab3, [replica_task(lab3, "suspend", action="suspend")])
    assert again.rc == 0 and again.result("suspend")["changed"] is False

    resumed = run_playbook(lab3, [replica_task(lab3, "resume", action="resume")])
    assert resumed.rc == 0 and resumed.result("resume")["changed"] is True, resumed.stdout
    assert side(lab3, "hv1").state == "Replicating"


def test_results_name_the_hosts_by_their_roles_now(lab3: t.Any) -> None:
    prepared(lab3)
    over = run_playbook(lab3, [replica_task(lab3, "failover", action="planned_failover", allow_shutdown=True)],
                        diff=True)
    result = over.result("failover")
    assert over.rc == 0, over.stdout
    # the task connected to hv1; after the failover with reverse hv2 is the primary and hv1 the replica
    assert result["hosts"]["primary"]["host"] == "hv2.lab.test" and result["hosts"]["primary"]["mode"] == "Primary"
    assert result["hosts"]["replica"]["host"] == "hv1.lab.test" and result["hosts"]["replica"]["mode"] == "Replica"
    assert result["diff"]["before"]["primary"]["host"] == "hv1.lab.test"
    # a read-only run connected to the replica (hv1) still names hv2 the primary
    seen = run_playbook(lab3, [replica_task(lab3, "status", source="hv1", target="hv2", action="resume")])
    assert seen.result("status")["hosts"]["primary"]["host"] == "hv2.lab.test", seen.result("status")["hosts"]


def test_a_missing_storage_folder_is_refused_before_anything_or_created_when_asked(lab3: t.Any) -> None:
    from test_hyperv_replica import server_task

    hv2 = lab3.world.machine("hv2")
    before = lab3.snapshot()
    refused = run_playbook(lab3, [server_task(lab3, "hv2", default_storage_location="D:\\Nowhere")])
    result = refused.result("server")
    assert refused.rc != 0 and "D:\\Nowhere does not exist" in result["msg"] and result["changed"] is False
    assert lab3.snapshot() == before, "nothing changes: the server stays disabled and the firewall closed"
    assert not replica_state(hv2.hyperv).server.enabled

    created = run_playbook(lab3, [server_task(lab3, "hv2", default_storage_location="D:\\Nowhere",
                                              create_storage_location=True)])
    assert created.rc == 0, created.stdout
    assert hv2.fs.is_dir("D:\\Nowhere") and replica_state(hv2.hyperv).server.enabled
    assert "create the folder D:\\Nowhere" in created.result("server")["changes"]
