#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_smb_share_info
short_description: Report the SMB shares of a Windows file server or Hyper-V host with their share permissions
version_added: 0.1.0
description:
  - Lists the SMB shares of a machine (all, one by its exact name, or those matching a wildcard pattern) with their
    folder, description and share permissions (full, change, read and denied accounts), in the form
    M(winvirt.hyperv.hyperv_smb_share) takes them.
  - Reads everything in one round trip, whatever the number of shares. Changes nothing.
  - NTFS permissions of the shared folders are not read (that takes one C(icacls) call per folder); M(winvirt.hyperv.hyperv_smb_share)
    with O(winvirt.hyperv.hyperv_smb_share#module:ntfs_full_control) in check mode reports them for one share.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description:
      - The exact name of the share. V(*), V(?), V([) and V(]) are ordinary characters here.
      - A share of that name that does not exist gives an empty O(ignore:shares) list, not a failure.
      - Mutually exclusive with O(name_pattern). Neither lists every share of the machine, including those Windows
        makes itself (V(ADMIN$), V(C$), V(IPC$)) when it has them.
    type: str
  name_pattern:
    description:
      - A wildcard pattern as C(Get-SmbShare -Name) takes it (V(*), V(?), V([abc])), for example V(VM*).
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_smb_share
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: The VM share of the file server
  winvirt.hyperv.hyperv_smb_share_info:
    name: VM
  register: vm_share

- name: Show who has Full access to it
  ansible.builtin.debug:
    msg: "{{ vm_share.shares | map(attribute='full_access') | flatten }}"

- name: Every share
  winvirt.hyperv.hyperv_smb_share_info:
  register: all_shares
"""

RETURN = r"""
shares:
  description: The shares found, by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The share name.
      type: str
      sample: VM
    path:
      description: The local path of its folder.
      type: str
      sample: E:\Shares\VM
    description:
      description: The share description.
      type: str
      sample: Hyper-V VM storage
    special:
      description: Whether Windows made the share itself (administrative shares such as V(ADMIN$) and V(C$)).
      type: bool
      sample: false
    full_access:
      description: Accounts with Full share access.
      type: list
      elements: str
      sample:
        - LAB\Domain Admins
    change_access:
      description: Accounts with Change share access.
      type: list
      elements: str
      sample: []
    read_access:
      description: Accounts with Read share access.
      type: list
      elements: str
      sample: []
    no_access:
      description: Accounts denied access to the share.
      type: list
      elements: str
      sample: []
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.winvirt.hyperv.plugins.module_utils import _name_filter as names
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._smb_share import info_commands, info_listing
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems


def main() -> None:
    module = HyperVModule(names.argument_spec(), mutually_exclusive=[("name", "name_pattern")], supports_check_mode=True)
    fail_on_problems(module, "hyperv_smb_share_info", names.problems(module.params))
    wanted = names.from_params(module.params)
    client = module.client()
    try:
        share_rows, access_rows = client.run(info_commands(wanted.parameters, wanted.patterns), retry=True)
    except HyperVError as err:
        module.fail_hyperv(err)
    module.exit_json(changed=False, shares=info_listing(share_rows, access_rows), round_trips=module.round_trips)


if __name__ == "__main__":
    main()
