"""Names are exact (issue 16): a name with * ? [ ] selects only the object of exactly that name, never others.

hvsim matches -Name / -VMName as PowerShell's WildcardPattern does (hvsim.engine.wildcard), so each of these
removed or changed other objects before the modules escaped their names."""

from __future__ import annotations

import copy
import typing as t
import uuid

from harness import run_playbook
from test_hyperv_replica import prepared, replica_task, vm

SHARE = "winvirt.hyperv.hyperv_smb_share"


def share_task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, SHARE: args, "register": "out"}


def test_a_share_pattern_removes_no_other_share(lab3: t.Any) -> None:
    smb = lab3.world.machine("fs1").smb
    before = sorted(smb.shares)
    run = run_playbook(lab3, [share_task("absent", name="V*", state="absent")], host="fs1")
    assert run.rc == 0 and run.result("absent")["changed"] is False, run.stdout
    assert sorted(smb.shares) == before and smb.share("VM") is not None


def test_a_share_pattern_grants_nothing_on_another_share(lab3: t.Any) -> None:
    layers = lab3.world.machine("fs1").smb.share("Layers")
    access = (list(layers.full_access), list(layers.change_access), list(layers.read_access))
    run_playbook(lab3, [share_task("grant", name="L*", path="E:\\Shares\\Layers", read_access=["LAB\\Domain Users"])],
                 host="fs1")
    assert (layers.full_access, layers.change_access, layers.read_access) == access


def test_a_replication_pattern_removes_no_other_replication(lab3: t.Any) -> None:
    prepared(lab3)
    for pattern in ("app*", "*", "[a]pp1"):
        run = run_playbook(lab3, [replica_task(lab3, "remove", name=pattern, state="absent")])
        assert run.result("remove")["changed"] is False, run.stdout
        assert vm(lab3, "app1").replication_state == "Replicating", pattern
        assert vm(lab3, "app1", "hv2").replication_state != "Disabled", pattern
    removed = [c for c in lab3.call_log() if c.get("command") == "Remove-VMReplication"]
    assert removed == []


def test_a_vm_pattern_touches_no_vm(lab3: t.Any) -> None:
    before = lab3.snapshot()
    run = run_playbook(lab3, [
        {"name": "vm", "winvirt.hyperv.hyperv_vm": {"name": "web*", "state": "absent"}, "register": "out"},
        {"name": "checkpoint", "winvirt.hyperv.hyperv_checkpoint": {"vm_name": "web*", "name": "c1", "state": "absent"},
         "register": "out", "ignore_errors": True},
        {"name": "switch", "winvirt.hyperv.hyperv_switch": {"name": "*", "state": "absent"}, "register": "out"},
    ])
    assert run.result("vm")["changed"] is False and run.result("switch")["changed"] is False, run.stdout
    assert run.result("checkpoint")["changed"] is False
    assert lab3.snapshot() == before


def _duplicate(estate: t.Any, name: str, machine: str = "hv1") -> None:
    """A second VM of the same name (Hyper-V allows that: VMs are identified by Id)."""
    with estate.world.lock:
        state = estate.world.machine(machine).hyperv
        original = next(v for v in state.vms.values() if v.name == name)
        twin = copy.deepcopy(original)
        twin.id = str(uuid.uuid4())
        twin.hard_drives = []
        twin.checkpoints = {}
        state.vms[twin.id] = twin


def test_a_name_of_two_vms_is_refused(lab3: t.Any) -> None:
    _duplicate(lab3, "web1")
    before = lab3.snapshot()
    run = run_playbook(lab3, [
        {"name": "checkpoint", "winvirt.hyperv.hyperv_checkpoint": {"vm_name": "web1", "name": "c1"},
         "register": "out", "ignore_errors": True},
        {"name": "vm", "winvirt.hyperv.hyperv_vm": {"name": "web1", "state": "stopped"}, "register": "out",
         "ignore_errors": True},
    ])
    for task in ("checkpoint", "vm"):
        result = run.result(task)
        assert run.status(task) == "failed" and "2 VMs named 'web1'" in result["msg"], (task, result)
    assert lab3.snapshot() == before


def test_vm_info_keeps_its_documented_patterns(lab3: t.Any) -> None:
    run = run_playbook(lab3, [{"name": "info", "winvirt.hyperv.hyperv_vm_info": {"name": "w*1"}, "register": "out"}])
    assert sorted(vm["name"] for vm in run.result("info")["vms"]) == ["web1", "ws1"], run.stdout


def test_a_replica_name_of_two_vms_is_refused(lab3: t.Any) -> None:
    _duplicate(lab3, "app1")
    before = lab3.snapshot()
    run = run_playbook(lab3, [{**replica_task(lab3, "remove", state="absent"), "ignore_errors": True}])
    assert run.status("remove") == "failed" and "2 VMs named 'app1'" in run.result("remove")["msg"], run.stdout
    assert lab3.snapshot() == before


def _duplicate_switch(estate: t.Any, name: str, machine: str = "hv1") -> str:
    """A second switch of the same name (Hyper-V identifies switches by Id), kept in hvsim's store under its Id."""
    with estate.world.lock:
        state = estate.world.machine(machine).hyperv
        original = state.switch(name)
        twin = copy.deepcopy(original)
        twin.id = str(uuid.uuid4())
        twin.notes = "the twin"
        state.switches[twin.id] = twin
        return str(original.id)


def test_a_name_of_two_switches_is_refused(lab3: t.Any) -> None:
    run_playbook(lab3, [{"name": "create", "winvirt.hyperv.hyperv_switch": {"name": "Twin", "switch_type": "private"}}])
    first = _duplicate_switch(lab3, "Twin")
    before = lab3.snapshot()
    run = run_playbook(lab3, [
        {"name": "notes", "winvirt.hyperv.hyperv_switch": {"name": "Twin", "notes": "changed"}, "register": "out",
         "ignore_errors": True},
        {"name": "absent", "winvirt.hyperv.hyperv_switch": {"name": "Twin", "state": "absent"}, "register": "out",
         "ignore_errors": True},
    ])
    for task in ("notes", "absent"):
        result = run.result(task)
        assert run.status(task) == "failed" and result["changed"] is False, (task, result)
        assert "2 switches named 'Twin'" in result["msg"] and first in result["msg"], result["msg"]
        assert result["msg"].startswith(lab3.world.machine("hv1").address + ":"), result["msg"]
    assert lab3.snapshot() == before


def test_a_migration_name_two_vms_share_is_refused(lab3: t.Any) -> None:
    from test_hyperv_live_migration import enable_migrations, move

    enable_migrations(lab3)
    _duplicate(lab3, "app1")
    ids = sorted(v.id for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1")
    before = lab3.snapshot()
    for name in ("app1", "app*"):
        run = run_playbook(lab3, [{**move(lab3, "hv2", name=[name]), "ignore_errors": True}], auth="credssp")
        result = run.result("move")
        assert run.status("move") == "failed" and result["changed"] is False and result["moved"] == [], result
        assert "2 VMs named 'app1'" in result["msg"] and all(i in result["msg"] for i in ids), result["msg"]
    storage = run_playbook(lab3, [{"name": "move", "register": "out", "ignore_errors": True,
                                   "winvirt.hyperv.hyperv_live_migration": {"name": ["app1"], "mode": "storage",
                                                                            "destination_path": "E:\\VMs"}}])
    assert storage.status("move") == "failed" and "2 VMs named 'app1'" in storage.result("move")["msg"], storage.stdout
    assert lab3.snapshot() == before
