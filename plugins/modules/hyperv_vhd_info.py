#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_vhd_info
short_description: Report VHD and VHDX files on a Hyper-V host with their differencing parent chains
version_added: 0.1.0
description:
  - Reports virtual hard disk files (given by path, or every disk file directly in a folder) as C(Get-VHD) sees
    them, each with its parent chain down to the base disk; a parent that cannot be read ends the chain and is
    marked missing, so a broken chain shows where it breaks.
  - One round trip reads the disks (one more lists O(folder) first), plus one per further level of differencing
    chains, whatever the number of disks. Changes nothing.
  - The disks attached to VMs are reported, with their chains, by M(winvirt.hyperv.hyperv_vm_info).
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  path:
    description:
      - Disk files to report, as absolute paths (V(D:\\Hyper-V\\Virtual Hard Disks\\web1.vhdx)) or UNC paths.
      - Each path is one file; a file that does not exist (or is no disk) is reported with RV(disks[].missing=true),
        not as a failure.
    type: list
    elements: str
    default: []
  folder:
    description:
      - Also report every C(.vhd), C(.vhdx), C(.avhd) and C(.avhdx) file directly in this folder (not in its subfolders).
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_vhd
  - module: winvirt.hyperv.hyperv_vm_info
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: A differencing disk and its chain
  winvirt.hyperv.hyperv_vhd_info:
    path:
      - C:\Hyper-V\Virtual Hard Disks\ws1.vhdx
  register: ws1_disk

- name: Every disk in the host's disk folder
  winvirt.hyperv.hyperv_vhd_info:
    folder: C:\Hyper-V\Virtual Hard Disks
  register: disks

- name: The disks whose parent chain is broken
  ansible.builtin.debug:
    msg: "{{ item.path }}"
  loop: "{{ disks.disks }}"
  when: item.chain | selectattr('missing') | list | length > 0
"""

RETURN = r"""
disks:
  description: The disks asked for by O(path), in that order, then those of O(folder), by name.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
      sample: D:\Hyper-V\Virtual Hard Disks\ws1.vhdx
    missing:
      description: True when the file does not exist or is not a disk; the other fields are then left out.
      type: bool
      sample: false
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
      description: Size of the file in bytes.
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
        - The disk and its parents, leaf first, each like the disk itself plus C(missing) (true for a parent that
          cannot be read, which ends the chain); empty for a missing disk.
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
folder_exists:
  description: Whether O(folder) exists (as a folder).
  returned: when O(folder) is set
  type: bool
  sample: true
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, path_problem
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import (
    disk_files,
    folder_commands,
    get_vhd,
    index_vhds,
    normalize_path,
    read_chains,
    report,
)


def main() -> None:
    module = HyperVModule({"path": {"type": "list", "elements": "str", "default": []}, "folder": {"type": "str"}},
                          required_one_of=[("path", "folder")], supports_check_mode=True)
    paths: list[str] = module.params["path"]
    folder: str | None = module.params["folder"]
    fail_on_problems(module, "hyperv_vhd_info", [p for p in [*(path_problem("path", v) for v in paths),
                                                             path_problem("folder", folder)] if p])
    result: dict[str, t.Any] = {"changed": False}
    client = module.client()
    try:
        wanted = list(paths)
        if folder is not None:
            exists, files = client.run(folder_commands(folder), retry=True)
            result["folder_exists"] = bool(exists and exists[0] is True)
            seen = {normalize_path(p) for p in wanted}
            wanted += [p for p in disk_files(files) if normalize_path(p) not in seen]
        known = index_vhds(client.run([get_vhd(wanted)], retry=True)[0]) if wanted else {}
        read_chains(client.run, known)
    except HyperVError as err:
        module.fail_hyperv(err)
    module.exit_json(disks=[report(path, known) for path in wanted], round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
