"""Planning of checkpoint create / apply / remove."""

from __future__ import annotations

from ansible_collections.winvirt.hyperv.plugins.module_utils._checkpoint import (
    CheckpointSpec,
    parse_checkpoints,
    plan_checkpoint,
    read_commands,
)

VM_ROWS = [{"Name": "web1", "State": "Running", "CheckpointType": "Production", "ParentSnapshotId": "b",
            "ParentSnapshotName": "b"}]
SNAPSHOTS = [
    {"Name": "a", "Id": "a", "ParentSnapshotId": None, "ParentSnapshotName": None, "SnapshotType": "Standard",
     "CreationTime": "2026-01-01T00:00:00", "State": "Running"},
    {"Name": "b", "Id": "b", "ParentSnapshotId": "a", "ParentSnapshotName": "a", "SnapshotType": "Standard",
     "CreationTime": "2026-01-02T00:00:00", "State": "Off"},
    {"Name": "c [x]", "Id": "c", "ParentSnapshotId": "b", "ParentSnapshotName": "b", "SnapshotType": "Standard",
     "CreationTime": "2026-01-03T00:00:00", "State": "Off"},
]


def vm(spec: CheckpointSpec, snapshots=None, vm_rows=None):
    return parse_checkpoints(spec, VM_ROWS if vm_rows is None else vm_rows, SNAPSHOTS if snapshots is None else snapshots)


def test_read_is_one_batch_of_vm_and_snapshots() -> None:
    commands = read_commands(CheckpointSpec("web1", "x"))
    assert [c.cmdlet for c in commands] == ["Get-VM", "Get-VMSnapshot"]
    assert all(c.missing_ok for c in commands)


def test_missing_vm_is_none() -> None:
    assert parse_checkpoints(CheckpointSpec("web1", "x"), [{"Name": "web10"}], []) is None


def test_listing_marks_current_and_memory() -> None:
    listing = vm(CheckpointSpec("web1", None)).listing()
    assert [(c["name"], c["is_current"], c["includes_memory"]) for c in listing] == [
        ("a", False, True), ("b", True, False), ("c [x]", False, False)]


def test_create_uses_the_vm_type_and_is_idempotent_by_name() -> None:
    spec = CheckpointSpec("web1", "new")
    plan = plan_checkpoint(spec, vm(spec))
    assert [(c.cmdlet, c.parameters) for c in plan.commands] == [
        ("Checkpoint-VM", {"Name": "web1", "SnapshotName": "new"})]
    existing = CheckpointSpec("web1", "a", checkpoint_type="standard")
    assert plan_checkpoint(existing, vm(existing)).commands == []


def test_standard_checkpoint_switches_the_vm_type_around_the_call() -> None:
    spec = CheckpointSpec("web1", "new", checkpoint_type="standard")
    plan = plan_checkpoint(spec, vm(spec))
    assert [(c.cmdlet, c.parameters.get("CheckpointType")) for c in plan.commands] == [
        ("Set-VM", "Standard"), ("Checkpoint-VM", None), ("Set-VM", "Production")]
    assert plan.restore_type.parameters == {"Name": "web1", "CheckpointType": "Production"}


def test_production_never_falls_back() -> None:
    spec = CheckpointSpec("web1", "new", checkpoint_type="production")
    plan = plan_checkpoint(spec, vm(spec))
    assert plan.commands[0].parameters["CheckpointType"] == "ProductionOnly"


def test_disabled_checkpoints_need_a_type() -> None:
    rows = [dict(VM_ROWS[0], CheckpointType="Disabled")]
    spec = CheckpointSpec("web1", "new")
    assert "disabled" in plan_checkpoint(spec, vm(spec, vm_rows=rows)).errors[0]


def test_apply_pipes_the_exact_checkpoint_by_id() -> None:
    spec = CheckpointSpec("web1", "c [x]", state="applied")
    plan = plan_checkpoint(spec, vm(spec))
    (cmd,) = plan.commands
    assert [(link.cmdlet, link.parameters) for link in cmd.chain()] == [
        ("Get-VMSnapshot", {"Id": "c"}), ("Restore-VMSnapshot", {"Confirm": False})]


def test_apply_current_checkpoint_is_a_no_op_and_unknown_is_an_error() -> None:
    spec = CheckpointSpec("web1", "b", state="applied")
    assert plan_checkpoint(spec, vm(spec)).commands == []
    missing = CheckpointSpec("web1", "zzz", state="applied")
    error = plan_checkpoint(missing, vm(missing)).errors[0]
    assert "'a', 'b', 'c [x]'" in error


def test_remove_one_or_the_subtree() -> None:
    spec = CheckpointSpec("web1", "a", state="absent")
    plan = plan_checkpoint(spec, vm(spec))
    assert plan.removed == ["a"] and "merged" in plan.changes[0]
    assert "IncludeAllChildSnapshots" not in plan.commands[0].piped[0].parameters
    tree = CheckpointSpec("web1", "a", state="absent", include_children=True)
    plan = plan_checkpoint(tree, vm(tree))
    assert plan.removed == ["a", "b", "c [x]"]
    assert plan.commands[0].piped[0].parameters == {"Confirm": False, "IncludeAllChildSnapshots": True}


def test_remove_missing_is_ok_and_duplicates_are_refused() -> None:
    spec = CheckpointSpec("web1", "gone", state="absent")
    assert plan_checkpoint(spec, vm(spec)).commands == []
    twins = [*SNAPSHOTS, dict(SNAPSHOTS[0], Id="z")]
    dup = CheckpointSpec("web1", "a", state="absent")
    assert "2 checkpoints named 'a'" in plan_checkpoint(dup, vm(dup, snapshots=twins)).errors[0]
