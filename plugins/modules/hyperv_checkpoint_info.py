#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_checkpoint_info
short_description: Report the checkpoints of the virtual machines of a Hyper-V host
version_added: 0.1.0
description:
  - Lists the VMs of a host (all, one by its exact name, or those matching a wildcard pattern) with their
    checkpoint type and every checkpoint (standard, production, and Replica's recovery points on a replica server),
    which one the VM runs from, and the tree (each checkpoint's parent).
  - Reads everything in one round trip, whatever the number of VMs and checkpoints. Changes nothing.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  vm_name:
    description:
      - The exact name of the VM. V(*), V(?), V([) and V(]) are ordinary characters here.
      - A VM of that name that does not exist gives an empty O(ignore:vms) list, not a failure.
      - Mutually exclusive with O(vm_name_pattern). Neither lists every VM of the host.
    type: str
  vm_name_pattern:
    description:
      - A wildcard pattern as C(Get-VM -Name) takes it (V(*), V(?), V([abc])), for example V(web*).
    type: str
  name:
    description:
      - Report only the checkpoints called exactly this (checkpoint names can repeat within a VM).
      - The VMs are listed all the same, with an empty O(ignore:checkpoints) list where none has the name.
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_checkpoint
  - module: winvirt.hyperv.hyperv_vm_info
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: The checkpoints of web1
  winvirt.hyperv.hyperv_checkpoint_info:
    vm_name: web1
  register: web1_checkpoints

- name: Show which checkpoint web1 runs from
  ansible.builtin.debug:
    msg: "{{ web1_checkpoints.vms[0].checkpoints | selectattr('is_current') | map(attribute='name') | list }}"

- name: Every VM of the host that has a checkpoint called baseline
  winvirt.hyperv.hyperv_checkpoint_info:
    name: baseline
  register: baselines
"""

RETURN = r"""
vms:
  description: The VMs found, by name, each with its checkpoints.
  returned: always
  type: list
  elements: dict
  contains:
    vm_name:
      description: The VM name.
      type: str
      sample: web1
    vm_id:
      description: The VM Id.
      type: str
      sample: 03a69d9b-2c2e-5fce-b016-ee7f605dedac
    vm_state:
      description: The power state of the VM as Hyper-V names it.
      type: str
      sample: Running
    checkpoint_type:
      description: The checkpoint type set on the VM (C(Standard), C(Production), C(ProductionOnly), C(Disabled)).
      type: str
      sample: Production
    checkpoints:
      description: The VM's checkpoints (those called O(name) when it is set), each with its parent.
      type: list
      elements: dict
      contains:
        name:
          description: Checkpoint name.
          type: str
          sample: baseline
        id:
          description: Checkpoint Id.
          type: str
          sample: ac593803-8e00-5867-bb74-1b7b0514b523
        parent_id:
          description: The Id of the parent checkpoint, null at the root of the tree.
          type: str
          sample: null
        parent_name:
          description: The name of the parent checkpoint, null at the root.
          type: str
          sample: null
        snapshot_type:
          description: The SnapshotType Hyper-V reports (C(Standard), C(Recovery), C(Replica), C(AppConsistentReplica), ...).
          type: str
          sample: Standard
        creation_time:
          description: When it was taken.
          type: str
          sample: '2026-11-01T08:00:00Z'
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
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.winvirt.hyperv.plugins.module_utils import _name_filter as names
from ansible_collections.winvirt.hyperv.plugins.module_utils._checkpoint import info_commands, info_listing
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, name_problem


def main() -> None:
    module = HyperVModule({**names.argument_spec("vm_name", "vm_name_pattern"), "name": {"type": "str"}},
                          mutually_exclusive=[("vm_name", "vm_name_pattern")], supports_check_mode=True)
    fail_on_problems(module, "hyperv_checkpoint_info", [
        *names.problems(module.params, "vm_name", "vm_name_pattern"),
        *[p for p in [name_problem("name", module.params["name"])] if p]])
    wanted = names.from_params(module.params, "vm_name", "vm_name_pattern")
    client = module.client()
    try:
        vm_rows, snapshot_rows = client.run(info_commands(wanted.parameters, wanted.patterns), retry=True)
    except HyperVError as err:
        module.fail_hyperv(err)
    module.exit_json(changed=False, vms=info_listing(vm_rows, snapshot_rows, module.params["name"]),
                     round_trips=module.round_trips)


if __name__ == "__main__":
    main()
