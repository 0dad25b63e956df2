# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checkpoints (snapshots) of one VM: what to read and what to change (pure planning, no I/O).

FOR INTERNAL COLLECTION USE ONLY.

Checkpoints are found by exact name. Removal and restore address the checkpoint by its Id
(``Get-VMSnapshot -Id | Remove-VMSnapshot``), so names with wildcard characters mean themselves.
The checkpoint type is a setting of the VM (Set-VM -CheckpointType), not of Checkpoint-VM: a
checkpoint of another type than the VM's is taken by switching the VM's type around the one call.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import belongs_to

# Our choice -> the VM's CheckpointType value. "production" means production or fail (ProductionOnly),
# never a silent fall back to a standard checkpoint.
CHECKPOINT_TYPES = {"standard": "Standard", "production": "ProductionOnly"}
_VM_PROPERTIES = ["Name", "Id", "State", "CheckpointType", "ParentSnapshotId", "ParentSnapshotName"]
_SNAPSHOT_PROPERTIES = ["Name", "Id", "ParentSnapshotId", "ParentSnapshotName", "SnapshotType", "CreationTime", "State"]


@dataclasses.dataclass(frozen=True)
class CheckpointSpec:
    vm_name: str
    name: str | None
    state: str = "present"  # present | absent | applied
    checkpoint_type: str | None = None  # standard | production | None (the VM's own setting)
    include_children: bool = False


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    name: str
    id: str
    parent_id: str | None
    parent_name: str | None
    snapshot_type: str
    creation_time: str | None
    vm_state: str | None

    def to_result(self, current_id: str | None) -> dict[str, t.Any]:
        return {
            "name": self.name,
            "id": self.id,
            "parent_name": self.parent_name,
            "snapshot_type": self.snapshot_type,
            "creation_time": self.creation_time,
            "vm_state": self.vm_state,
            "includes_memory": (self.vm_state or "").lower() in ("running", "paused", "saved"),
            "is_current": self.id == current_id,
        }


@dataclasses.dataclass
class VmCheckpoints:
    vm_name: str
    vm_state: str
    checkpoint_type: str
    current_id: str | None
    checkpoints: list[Checkpoint]

    def named(self, name: str) -> list[Checkpoint]:
        return [c for c in self.checkpoints if c.name == name]

    def descendants(self, checkpoint: Checkpoint) -> list[Checkpoint]:
        found: list[Checkpoint] = []
        frontier = [checkpoint.id]
        while frontier:
            parent = frontier.pop()
            for child in self.checkpoints:
                if child.parent_id == parent:
                    found.append(child)
                    frontier.append(child.id)
        return found

    def listing(self) -> list[dict[str, t.Any]]:
        return [c.to_result(self.current_id) for c in self.checkpoints]


@dataclasses.dataclass
class CheckpointPlan:
    changes: list[str]
    commands: list[Cmd]
    errors: list[str]
    restore_type: Cmd | None = None  # undoes a temporary Set-VM -CheckpointType if the batch fails
    removed: list[str] = dataclasses.field(default_factory=list)


def read_commands(spec: CheckpointSpec) -> list[Cmd]:
    return [
        Cmd("Get-VM", {"Name": spec.vm_name}, select=_VM_PROPERTIES, missing_ok=True),
        Cmd("Get-VMSnapshot", {"VMName": spec.vm_name}, select=_SNAPSHOT_PROPERTIES, missing_ok=True),
    ]


def info_commands(selector: dict[str, str], patterns: bool) -> list[Cmd]:
    """hyperv_checkpoint_info's batch: the VMs ``selector`` picks (every VM when empty) and, piped from them, all
    their checkpoints with the VM's Id: two lists whatever the number of VMs."""
    return [
        Cmd("Get-VM", dict(selector), select=_VM_PROPERTIES, missing_ok=True, patterns=patterns),
        Cmd("Get-VM", dict(selector), missing_ok=True, patterns=patterns, piped=[Cmd("Get-VMSnapshot")],
            select=["VMId", *_SNAPSHOT_PROPERTIES]),
    ]


def info_listing(vm_rows: list[t.Any], snapshot_rows: list[t.Any], name: str | None) -> list[dict[str, t.Any]]:
    """Each VM (by name, then Id) with its checkpoints; ``name`` keeps only checkpoints of exactly that name."""
    listing = []
    for row in sorted((r for r in vm_rows if isinstance(r, dict)), key=lambda r: (str(r.get("Name")).lower(), str(r.get("Id")))):
        vm = vm_checkpoints(row, snapshot_rows)
        listing.append({"vm_name": vm.vm_name, "vm_id": _text(row.get("Id")), "vm_state": vm.vm_state,
                        "checkpoint_type": vm.checkpoint_type,
                        "checkpoints": [{**c.to_result(vm.current_id), "parent_id": c.parent_id}
                                        for c in vm.checkpoints if name is None or c.name == name]})
    return listing


def listing_command(spec: CheckpointSpec) -> list[Cmd]:
    """Appended to the apply batch: VM and checkpoints as they are afterwards."""
    return read_commands(spec)


def _text(value: t.Any) -> str | None:
    return None if value in (None, "") else str(value)


class DuplicateVmError(ValueError):
    """More than one VM has the name (Hyper-V identifies VMs by Id, so names can repeat)."""


def parse_checkpoints(spec: CheckpointSpec, vm_rows: list[t.Any], snapshot_rows: list[t.Any]) -> VmCheckpoints | None:
    vms = [row for row in vm_rows if row.get("Name") == spec.vm_name]
    if not vms:
        return None
    if len(vms) > 1:
        ids = ", ".join(str(row.get("Id")) for row in vms)
        raise DuplicateVmError(f"the host has {len(vms)} VMs named '{spec.vm_name}' (Ids {ids}); rename all but one "
                               "(Rename-VM) so the name says which VM is meant")
    return vm_checkpoints(vms[0], snapshot_rows)


def vm_checkpoints(vm: dict[str, t.Any], snapshot_rows: list[t.Any]) -> VmCheckpoints:
    """One VM's Get-VM row and the Get-VMSnapshot rows of that VM (rows of other VMs, by VMId, are left out)."""
    checkpoints = [
        Checkpoint(
            name=str(row.get("Name")),
            id=str(row.get("Id")),
            parent_id=_text(row.get("ParentSnapshotId")),
            parent_name=_text(row.get("ParentSnapshotName")),
            snapshot_type=str(row.get("SnapshotType") or ""),
            creation_time=_text(row.get("CreationTime")),
            vm_state=_text(row.get("State")),
        )
        for row in snapshot_rows if belongs_to(row, _text(vm.get("Id")))
    ]
    return VmCheckpoints(str(vm.get("Name")), str(vm.get("State") or ""), str(vm.get("CheckpointType") or ""),
                         _text(vm.get("ParentSnapshotId")), checkpoints)


def _by_id(checkpoint: Checkpoint) -> Cmd:
    return Cmd("Get-VMSnapshot", {"Id": checkpoint.id})


def plan_checkpoint(spec: CheckpointSpec, vm: VmCheckpoints) -> CheckpointPlan:
    if spec.name is None:
        return CheckpointPlan([], [], [])
    matches = vm.named(spec.name)
    if len(matches) > 1 and spec.state != "present":
        return CheckpointPlan([], [], [f"VM '{vm.vm_name}' has {len(matches)} checkpoints named '{spec.name}'; "
                                       "rename or remove the duplicates in Hyper-V Manager first"])
    if spec.state == "present":
        return CheckpointPlan([], [], []) if matches else _plan_create(spec, vm)
    if not matches:
        if spec.state == "absent":
            return CheckpointPlan([], [], [])
        names = ", ".join(f"'{c.name}'" for c in vm.checkpoints) or "none"
        return CheckpointPlan([], [], [f"VM '{vm.vm_name}' has no checkpoint named '{spec.name}' to apply "
                                       f"(its checkpoints: {names})"])
    target = matches[0]
    if spec.state == "applied":
        if target.id == vm.current_id:
            return CheckpointPlan([], [], [])
        restore = _by_id(target).pipe(Cmd("Restore-VMSnapshot", {"Confirm": False}))
        return CheckpointPlan([f"apply checkpoint '{target.name}' to VM '{vm.vm_name}' (state since then is lost)"],
                              [restore], [])
    children = vm.descendants(target)
    remove_params: dict[str, t.Any] = {"Confirm": False}
    removed = [target.name]
    if spec.include_children:
        remove_params["IncludeAllChildSnapshots"] = True
        removed += [c.name for c in children]
        what = f"remove checkpoint '{target.name}' and its {len(children)} child checkpoint(s)" if children else \
            f"remove checkpoint '{target.name}'"
    else:
        what = f"remove checkpoint '{target.name}'" + (" (its children are kept and merged)" if children else "")
    return CheckpointPlan([what], [_by_id(target).pipe(Cmd("Remove-VMSnapshot", remove_params))], [], removed=removed)


def _plan_create(spec: CheckpointSpec, vm: VmCheckpoints) -> CheckpointPlan:
    checkpoint = Cmd("Checkpoint-VM", {"Name": vm.vm_name, "SnapshotName": spec.name})
    if spec.checkpoint_type is None:
        if vm.checkpoint_type.lower() == "disabled":
            return CheckpointPlan([], [], [f"checkpoints are disabled on VM '{vm.vm_name}' (CheckpointType Disabled); "
                                           "set checkpoint_type to standard or production"])
        return CheckpointPlan([f"create checkpoint '{spec.name}' of VM '{vm.vm_name}'"], [checkpoint], [])
    wanted = CHECKPOINT_TYPES[spec.checkpoint_type]
    description = f"create {spec.checkpoint_type} checkpoint '{spec.name}' of VM '{vm.vm_name}'"
    if vm.checkpoint_type == wanted:
        return CheckpointPlan([description], [checkpoint], [])
    switch = Cmd("Set-VM", {"Name": vm.vm_name, "CheckpointType": wanted})
    restore = Cmd("Set-VM", {"Name": vm.vm_name, "CheckpointType": vm.checkpoint_type})
    return CheckpointPlan([description], [switch, checkpoint, restore], [], restore_type=restore)
