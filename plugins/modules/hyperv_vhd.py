#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_vhd
short_description: Create, resize, convert and delete VHD/VHDX files on a Hyper-V host, and report their parent chains
version_added: 0.1.0
description:
  - Create a fixed, dynamic or differencing virtual hard disk; grow it (or shrink a VHDX when asked); point a
    differencing disk at a moved parent; write a converted copy in the other format or type; delete it.
  - Every run returns the disk and its parent chain, so the module also answers "what is this disk built on".
  - Reads in one round trip (plus one per further level of a differencing chain) and applies in one more.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  path:
    description: The disk file on the host; its extension (.vhd or .vhdx) is its format.
    type: str
    required: true
  state:
    description:
      - V(present) creates the disk if it does not exist and brings an existing one to O(size) and O(parent_path).
      - V(absent) deletes the file, but only with O(delete_file=true), and never while a VM on the host has it attached.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - The kind of disk. A new disk is V(dynamic) unless O(parent_path) makes it V(differencing).
      - The type of an existing disk does not change in place; a different value fails (convert with O(convert_from)).
    type: str
    choices: [fixed, dynamic, differencing]
  size:
    description:
      - The virtual size, like V(40GB) or V(512MB) (binary units), or a number of bytes.
      - A larger size grows an existing disk; a smaller one shrinks it only with O(allow_shrink=true), only a VHDX,
        and not below the end of its last partition.
    type: str
  parent_path:
    description:
      - The parent of a differencing disk. For an existing differencing disk a different parent re-links it
        (Set-VHD), for example after the parent was moved.
    type: str
  convert_from:
    description:
      - When O(path) does not exist, write it as a converted copy of this disk (Convert-VHD), in the format of
        O(path)'s extension and of O(type) (default the source's type). Nothing happens once O(path) exists.
    type: str
  remove_source:
    description: With O(convert_from), delete the source file once the copy is written.
    type: bool
    default: false
  allow_shrink:
    description: Allow O(size) below the current size.
    type: bool
    default: false
  delete_file:
    description: Confirms that O(state=absent) deletes the file.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the host.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change, in check mode).
    support: full
notes:
  - Only the disks attached to VMs of this host are checked before a delete; a disk that is the parent of another
    differencing disk is not detected and deleting it breaks that child.
seealso:
  - module: winvirt.hyperv.hyperv_vm
  - module: winvirt.hyperv.hyperv_vm_info
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: A 40 GB dynamic VHDX
  winvirt.hyperv.hyperv_vhd:
    path: C:\VMs\disks\data.vhdx
    size: 40GB

- name: A differencing disk on a base image
  winvirt.hyperv.hyperv_vhd:
    path: C:\VMs\disks\web1.vhdx
    parent_path: C:\VMs\base\ws2025.vhdx
  register: child

- name: Show the chain
  ansible.builtin.debug:
    msg: "{{ child.vhd.chain | map(attribute='path') | list }}"

- name: Grow it to 60 GB
  winvirt.hyperv.hyperv_vhd:
    path: C:\VMs\disks\data.vhdx
    size: 60GB

- name: Convert an old VHD to a VHDX and drop the old file
  winvirt.hyperv.hyperv_vhd:
    path: C:\VMs\disks\legacy.vhdx
    convert_from: C:\VMs\disks\legacy.vhd
    remove_source: true

- name: Delete a disk
  winvirt.hyperv.hyperv_vhd:
    path: C:\VMs\disks\data.vhdx
    state: absent
    delete_file: true
"""

RETURN = r"""
vhd:
  description: The disk after the task (as the plan leaves it, in check mode); null when it does not exist.
  returned: always
  type: dict
  contains:
    path:
      description: The file.
      type: str
      sample: D:\Hyper-V\Virtual Hard Disks\ws1.vhdx
    format:
      description: vhd or vhdx.
      type: str
      sample: vhdx
    type:
      description: fixed, dynamic or differencing.
      type: str
      sample: differencing
    size:
      description: Virtual size in bytes.
      type: int
      sample: 42949672960
    file_size:
      description: Size of the file in bytes (null in check mode for a new file).
      type: int
      sample: 943718400
    minimum_size:
      description: The smallest size the disk can shrink to, in bytes, if Hyper-V knows it.
      type: int
      sample: 943718400
    parent_path:
      description: The parent of a differencing disk.
      type: str
      sample: D:\Hyper-V\Virtual Hard Disks\base-2025.vhdx
    attached:
      description: Whether the disk is attached (to a VM or mounted).
      type: bool
      sample: true
    chain:
      description:
        - The disk and its parents, leaf first, each like RV(vhd) plus C(missing) (true for a parent that
          cannot be read, which ends the chain).
      type: list
      elements: dict
      sample:
        - path: D:\Hyper-V\Virtual Hard Disks\ws1.vhdx
          format: vhdx
          type: differencing
          size: 42949672960
          file_size: 943718400
          minimum_size: 943718400
          parent_path: D:\Hyper-V\Virtual Hard Disks\base-2025.vhdx
          attached: true
          missing: false
        - path: D:\Hyper-V\Virtual Hard Disks\base-2025.vhdx
          format: vhdx
          type: dynamic
          size: 42949672960
          file_size: 11534336000
          minimum_size: 11534336000
          parent_path: null
          attached: true
          missing: false
changes:
  description: What was (or would be) done, in words.
  returned: always
  type: list
  elements: str
  sample:
    - create dynamic disk 'D:\Hyper-V\Virtual Hard Disks\data.vhdx' of 40 GB
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import (
    VHD_TYPES,
    VhdFile,
    chain,
    get_vhd,
    index_vhds,
    normalize_path,
    parse_size,
    read_chains,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd_plan import VhdSpec, plan_vhd, read_commands, spec_problems
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, path_problem, problems_of


def argument_spec() -> dict[str, t.Any]:
    return {
        "path": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "type": {"type": "str", "choices": list(VHD_TYPES)},
        "size": {"type": "str"},
        "parent_path": {"type": "str"},
        "convert_from": {"type": "str"},
        "remove_source": {"type": "bool", "default": False},
        "allow_shrink": {"type": "bool", "default": False},
        "delete_file": {"type": "bool", "default": False},
    }


def _with_chain(vhd: dict[str, t.Any] | None, known: dict[str, VhdFile]) -> dict[str, t.Any] | None:
    if vhd is None:
        return None
    links = chain(vhd["path"], known)
    if links and links[0].get("missing"):  # a disk check mode would create: the plan's view, then its parents
        parent = vhd.get("parent_path")
        links = [{**vhd, "missing": False}, *(chain(parent, known) if parent else [])]
    return {**vhd, "chain": links}


def _after_apply(client: t.Any, spec: VhdSpec, before: t.Any) -> AfterApply[t.Any]:
    """Whether a failed apply changed the disk, read back from the host (the batch may have run although its answer
    was lost)."""
    return AfterApply(subject="the task may have changed the host",
                      read=lambda: index_vhds(client.run(read_commands(spec), retry=True)[0]).get(normalize_path(spec.path)),
                      before=before, changed_detail="the disk was changed before the failure")


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True)
    params = module.params
    fail_on_problems(module, "hyperv_vhd", problems_of(path_problem("path", params["path"]),
                                                       path_problem("parent_path", params["parent_path"])))
    try:
        size = parse_size(params["size"], "size") if params["size"] is not None else None
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    spec = VhdSpec(path=params["path"], state=params["state"], vhd_type=params["type"], size=size,
                   parent_path=params["parent_path"], convert_from=params["convert_from"],
                   remove_source=params["remove_source"], allow_shrink=params["allow_shrink"],
                   delete_file=params["delete_file"])
    problems = spec_problems(spec)
    if problems:
        module.fail_json(msg="hyperv_vhd: " + "; ".join(problems), problems=problems)
    client = module.client()
    try:
        rows = client.run(read_commands(spec), retry=True)
        known = index_vhds(rows[0])
        read_chains(client.run, known)
    except HyperVError as err:
        module.fail_hyperv(err)
    plan = plan_vhd(spec, known, rows[1] if spec.state == "absent" else None)
    if plan.errors:
        module.fail_json(msg=f"{client.options.hostname}: " + " ".join(plan.errors), problems=plan.errors,
                         vhd=_with_chain(plan.after, known), round_trips=module.round_trips)
    before = known.get(normalize_path(spec.path))
    result: dict[str, t.Any] = {"changed": bool(plan.commands), "changes": plan.changes}
    after = plan.after
    if plan.commands and not module.check_mode:
        reread = [] if spec.state == "absent" else [get_vhd([spec.path])]
        try:
            applied = client.run([*plan.commands, *reread])
        except HyperVError as err:
            module.fail_after_apply(err, _after_apply(client, spec, before), changes=plan.changes)
        if reread:
            fresh = index_vhds(applied[-1])
            known.update(fresh)
            after = next(iter(fresh.values())).to_result() if fresh else None
    if module._diff:
        result["diff"] = {"before": before.to_result() if before else {"path": spec.path, "state": "absent"},
                          "after": after if after else {"path": spec.path, "state": "absent"}}
    module.exit_json(vhd=_with_chain(after, known), round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
