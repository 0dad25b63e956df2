#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_checkpoint
short_description: Create, apply, remove and list checkpoints of a Hyper-V virtual machine
version_added: 0.1.0
description:
  - Create a standard or production checkpoint of a VM, apply (restore) one, remove one or a whole
    subtree, and list the VM's checkpoints.
  - Checkpoints are found by their exact name, so a task is idempotent by name.
  - Reads the VM in one round trip and applies the change in one more.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  vm_name:
    description: The virtual machine.
    type: str
    required: true
  name:
    description:
      - The checkpoint name.
      - Required for O(state=absent) and O(state=applied). Without it the module changes nothing and lists the
        VM's checkpoints.
    type: str
  state:
    description:
      - V(present) creates the checkpoint unless one of that name exists.
      - V(absent) removes it (and with O(include_children=true) every checkpoint below it).
      - V(applied) restores the VM to the checkpoint unless the VM already runs from it (the checkpoint is the
        parent of the VM's current state). Whatever changed in the VM since that checkpoint is lost.
    type: str
    choices: [present, absent, applied]
    default: present
  checkpoint_type:
    description:
      - The kind of checkpoint to create. Not set means the VM's own checkpoint type setting.
      - V(standard) saves the VM's memory state too when it is running. V(production) uses VSS (or a file system
        freeze) inside the guest and never saves memory; the task fails rather than fall back to a standard checkpoint.
      - The VM's own checkpoint type setting is switched for the one call and put back in the same round trip.
    type: str
    choices: [standard, production]
  include_children:
    description: With O(state=absent), remove the checkpoint's whole subtree rather than merging its children up.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the host.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change, in check mode).
    support: full
seealso:
  - module: winvirt.hyperv.hyperv_vm
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Take a standard checkpoint (with memory state if the VM runs)
  winvirt.hyperv.hyperv_checkpoint:
    vm_name: web1
    name: before-patch
    checkpoint_type: standard

- name: Take a production checkpoint
  winvirt.hyperv.hyperv_checkpoint:
    vm_name: web1
    name: nightly
    checkpoint_type: production

- name: Go back to it
  winvirt.hyperv.hyperv_checkpoint:
    vm_name: web1
    name: before-patch
    state: applied

- name: Remove a checkpoint and everything below it
  winvirt.hyperv.hyperv_checkpoint:
    vm_name: web1
    name: before-patch
    state: absent
    include_children: true

- name: List the checkpoints of a VM
  winvirt.hyperv.hyperv_checkpoint:
    vm_name: web1
  register: listing
"""

RETURN = r"""
checkpoint:
  description: The named checkpoint after the task; null when it does not exist (or would not, in check mode).
  returned: when O(name) is set
  type: dict
  contains:
    name:
      description: Checkpoint name.
      type: str
      sample: before-patch
    id:
      description: Checkpoint Id; null for one that check mode would create.
      type: str
      sample: 8e539170-d6c2-5a4c-b63e-a5d441272bdb
    parent_name:
      description: Name of the parent checkpoint, null at the root.
      type: str
      sample: null
    snapshot_type:
      description: The SnapshotType Hyper-V reports.
      type: str
      sample: Recovery
    creation_time:
      description: When it was taken.
      type: str
      sample: '2026-11-01T08:02:00Z'
    vm_state:
      description: The VM state the checkpoint captured.
      type: str
      sample: 'Off'
    includes_memory:
      description: Whether the checkpoint holds the VM's memory state (taken of a running, paused or saved VM).
      type: bool
      sample: false
    is_current:
      description: Whether the VM runs from this checkpoint.
      type: bool
      sample: true
checkpoints:
  description: Every checkpoint of the VM after the task (before it, in check mode), each like RV(checkpoint).
  returned: always
  type: list
  elements: dict
  sample:
    - name: before-patch
      id: 8e539170-d6c2-5a4c-b63e-a5d441272bdb
      parent_name: null
      snapshot_type: Recovery
      creation_time: '2026-11-01T08:02:00Z'
      vm_state: 'Off'
      includes_memory: false
      is_current: true
removed:
  description: Names of the checkpoints removed (or that would be).
  returned: when O(state=absent)
  type: list
  elements: str
  sample:
    - before-patch
changes:
  description: What was (or would be) done, in words.
  returned: always
  type: list
  elements: str
  sample:
    - create checkpoint 'before-patch' of VM 'ws1'
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._checkpoint import (
    CHECKPOINT_TYPES,
    CheckpointSpec,
    DuplicateVmError,
    VmCheckpoints,
    listing_command,
    parse_checkpoints,
    plan_checkpoint,
    read_commands,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, name_problem, problems_of


def argument_spec() -> dict[str, t.Any]:
    return {
        "vm_name": {"type": "str", "required": True},
        "name": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent", "applied"], "default": "present"},
        "checkpoint_type": {"type": "str", "choices": list(CHECKPOINT_TYPES)},
        "include_children": {"type": "bool", "default": False},
    }


def _named(vm: VmCheckpoints, name: str | None) -> dict[str, t.Any] | None:
    if name is None:
        return None
    found = vm.named(name)
    return found[0].to_result(vm.current_id) if found else None


def _diff_view(vm: VmCheckpoints) -> dict[str, t.Any]:
    current = next((c.name for c in vm.checkpoints if c.id == vm.current_id), None)
    return {"checkpoints": sorted(c.name for c in vm.checkpoints), "current": current}


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True,
                          required_if=[("state", "absent", ["name"]), ("state", "applied", ["name"])])
    fail_on_problems(module, "hyperv_checkpoint", problems_of(name_problem("vm_name", module.params["vm_name"]),
                                                              name_problem("name", module.params["name"])))
    params = module.params
    spec = CheckpointSpec(params["vm_name"], params["name"], params["state"], params["checkpoint_type"],
                          params["include_children"])
    client = module.client()
    try:
        rows = client.run(read_commands(spec), retry=True)
    except HyperVError as err:
        module.fail_hyperv(err)
    try:
        vm = parse_checkpoints(spec, rows[0], rows[1])
    except DuplicateVmError as exc:
        module.fail_json(msg=f"{client.options.hostname}: {exc}", round_trips=module.round_trips)
    if vm is None:
        module.fail_json(msg=f"{client.options.hostname}: there is no VM named '{spec.vm_name}'", round_trips=module.round_trips)
    plan = plan_checkpoint(spec, vm)
    if plan.errors:
        module.fail_json(msg=" ".join(plan.errors), checkpoints=vm.listing(), round_trips=module.round_trips)
    result: dict[str, t.Any] = {"changed": bool(plan.commands), "changes": plan.changes, "checkpoints": vm.listing()}
    if spec.state == "absent":
        result["removed"] = plan.removed
    before = _diff_view(vm)
    if not plan.commands or module.check_mode:
        if spec.name is not None:
            result["checkpoint"] = _planned_checkpoint(spec, vm, bool(plan.commands))
        if module._diff:
            result["diff"] = {"before": before, "after": _planned_diff(spec, vm, before, plan.removed, bool(plan.commands))}
        module.exit_json(round_trips=module.round_trips, **result)
    try:
        applied = client.run([*plan.commands, *listing_command(spec)])
    except HyperVError as err:
        if plan.restore_type is not None:
            try:
                client.run([plan.restore_type])
            except HyperVError as undo:
                module.warn(f"could not put the VM's checkpoint type back to '{vm.checkpoint_type}': {undo}")
        module.fail_after_apply(err, _after_apply(client, spec, before, plan.changes), changes=plan.changes)
    after = parse_checkpoints(spec, applied[-2], applied[-1]) or vm
    result["checkpoints"] = after.listing()
    if spec.name is not None:
        result["checkpoint"] = _named(after, spec.name)
    if module._diff:
        result["diff"] = {"before": before, "after": _diff_view(after)}
    module.exit_json(round_trips=module.round_trips, **result)


def _after_apply(client: t.Any, spec: CheckpointSpec, before: dict[str, t.Any], changes: list[str]) -> AfterApply[t.Any]:
    """A failed apply (or one whose answer was lost) may have gone through: read the VM's checkpoints again and say
    ``changed`` and what they are now."""
    def read() -> VmCheckpoints | None:
        rows = client.run(read_commands(spec), retry=True)
        return parse_checkpoints(spec, rows[0], rows[1])

    def view(now: VmCheckpoints | None) -> dict[str, t.Any]:
        return _diff_view(now) if now is not None else {"checkpoints": [], "current": None}

    def report(now: VmCheckpoints | None, changed: bool) -> dict[str, t.Any]:
        shown: dict[str, t.Any] = {"changes": changes if changed else [],
                                   "checkpoints": now.listing() if now is not None else []}
        if changed:
            shown["diff"] = {"before": before, "after": view(now)}
        return shown

    return AfterApply(subject="the checkpoint may have been changed", read=read, before=before, view=view,
                      report=report, reread_errors=(DuplicateVmError,),
                      changed_detail="the change went through on the host before the task failed; run the task again "
                                     "to confirm")


def _planned_checkpoint(spec: CheckpointSpec, vm: VmCheckpoints, changing: bool) -> dict[str, t.Any] | None:
    """The named checkpoint as it is, or as the plan would leave it (check mode)."""
    existing = _named(vm, spec.name)
    if not changing:
        return existing
    if spec.state == "absent":
        return None
    if spec.state == "applied":
        return dict(existing or {}, is_current=True)
    parent = next((c.name for c in vm.checkpoints if c.id == vm.current_id), None)
    kind = spec.checkpoint_type or vm.checkpoint_type.lower()
    return {"name": spec.name, "id": None, "parent_name": parent, "snapshot_type": kind, "creation_time": None,
            "vm_state": vm.vm_state, "includes_memory": kind == "standard" and vm.vm_state.lower() in ("running", "paused"),
            "is_current": True}


def _planned_diff(spec: CheckpointSpec, vm: VmCheckpoints, before: dict[str, t.Any], removed: list[str],
                  changing: bool) -> dict[str, t.Any]:
    if not changing or spec.name is None:
        return before
    names = list(before["checkpoints"])
    if spec.state == "present":
        return {"checkpoints": sorted([*names, spec.name]), "current": spec.name}
    if spec.state == "applied":
        return {"checkpoints": names, "current": spec.name}
    for name in removed:
        if name in names:
            names.remove(name)
    current = before["current"] if before["current"] not in removed else None
    return {"checkpoints": names, "current": current}


if __name__ == "__main__":
    main()
