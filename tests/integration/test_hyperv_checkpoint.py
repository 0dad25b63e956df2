"""hyperv_checkpoint against hvsim: create, re-run, check mode, diff, apply, remove (one and subtree), bad input."""

from __future__ import annotations

import typing as t

from harness import run_playbook

CHECKPOINT = "winvirt.hyperv.hyperv_checkpoint"


def a_vm(estate: t.Any, machine: str = "hv1") -> str:
    """The name of a VM the estate ships on ``machine``."""
    vms = estate.world.machine(machine).hyperv.vms
    names = sorted(vm.name for vm in (vms.values() if isinstance(vms, dict) else vms))
    assert names, f"the estate has no VM on {machine}"
    return names[0]


def world_checkpoints(estate: t.Any, vm_name: str, machine: str = "hv1") -> list[str]:
    vms = estate.world.machine(machine).hyperv.vms
    vm = next(v for v in (vms.values() if isinstance(vms, dict) else vms) if v.name == vm_name)
    snapshots = vm.checkpoints.values() if isinstance(vm.checkpoints, dict) else vm.checkpoints
    return sorted(s.name for s in snapshots)


def task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, CHECKPOINT: args, "register": "out"}


def test_checkpoint_lifecycle(lab3) -> None:
    vm = a_vm(lab3)
    existing = world_checkpoints(lab3, vm)
    create = [task("create", vm_name=vm, name="before-patch", checkpoint_type="standard")]

    before = lab3.snapshot()
    checked = run_playbook(lab3, create, check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert checked.result("create")["changed"] is True
    assert "before-patch" in checked.result("create")["diff"]["after"]["checkpoints"]
    assert lab3.snapshot() == before, "check mode changed the world"

    first = run_playbook(lab3, create)
    result = first.result("create")
    assert first.rc == 0, first.stdout
    assert result["changed"] is True and result["round_trips"] == 2
    assert result["checkpoint"]["name"] == "before-patch" and result["checkpoint"]["is_current"] is True
    assert world_checkpoints(lab3, vm) == sorted([*existing, "before-patch"])

    again = run_playbook(lab3, create)
    assert again.result("create")["changed"] is False and again.result("create")["round_trips"] == 1

    child = run_playbook(lab3, [task("child", vm_name=vm, name="after-patch")])
    assert child.result("child")["checkpoint"]["parent_name"] == "before-patch"

    applied = run_playbook(lab3, [task("apply", vm_name=vm, name="before-patch", state="applied")], diff=True)
    assert applied.result("apply")["changed"] is True, applied.stdout
    assert applied.result("apply")["diff"]["after"]["current"] == "before-patch"
    assert run_playbook(lab3, [task("apply", vm_name=vm, name="before-patch", state="applied")]).result("apply")[
        "changed"] is False

    subtree = run_playbook(lab3, [task("remove", vm_name=vm, name="before-patch", state="absent", include_children=True)])
    assert subtree.result("remove")["removed"] == ["before-patch", "after-patch"]
    assert world_checkpoints(lab3, vm) == sorted(existing)
    assert run_playbook(lab3, [task("remove", vm_name=vm, name="before-patch", state="absent")]).result("remove")[
        "changed"] is False


def test_production_checkpoint_and_listing(lab3) -> None:
    vm = a_vm(lab3)
    run = run_playbook(lab3, [task("prod", vm_name=vm, name="nightly 'x'; Remove-VM *", checkpoint_type="production"),
                              task("list", vm_name=vm)])
    assert run.rc == 0, run.stdout
    assert "nightly 'x'; Remove-VM *" in world_checkpoints(lab3, vm)
    names = [c["name"] for c in run.result("list")["checkpoints"]]
    assert "nightly 'x'; Remove-VM *" in names
    calls = [c for c in lab3.call_log() if c["command"] == "Set-VM" and c["machine"] == "hv1"]
    assert calls[0]["parameters"]["CheckpointType"] == "ProductionOnly"


def test_bad_input(lab3) -> None:
    vm = a_vm(lab3)
    missing_vm = run_playbook(lab3, [task("novm", vm_name="no-such-vm", name="x")])
    assert missing_vm.rc != 0 and "no VM named 'no-such-vm'" in missing_vm.result("novm")["msg"]
    unknown = run_playbook(lab3, [task("apply", vm_name=vm, name="never-taken", state="applied")])
    assert unknown.rc != 0 and "no checkpoint named 'never-taken'" in unknown.result("apply")["msg"]
    no_name = run_playbook(lab3, [task("absent", vm_name=vm, state="absent")])
    assert no_name.rc != 0 and "name" in no_name.result("absent")["msg"]
