#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_smb_share
short_description: Manage an SMB share for Hyper-V storage, with its share permissions and Full Control on its folder
version_added: 0.1.0
description:
  - Create, change and remove an SMB share on a Windows file server, for example C(\\fs1\VM) for the
    configuration files and virtual hard disks of Hyper-V VMs (Hyper-V over SMB 3.0).
  - A VM whose files are on a share can be live migrated without its storage (winvirt.hyperv.hyperv_live_migration
    O(winvirt.hyperv.hyperv_live_migration#module:mode=vm_only)); the destination host opens the files as its computer
    account, so every Hyper-V host's computer account (C(DOMAIN\HOST$), or a group holding them) and the Hyper-V
    administrators need Full Control on the share (O(full_access)) and on the folder (O(ntfs_full_control)).
    Otherwise the move fails with C(General access denied error (0x80070005)).
  - Creates the folder when it is missing. Grants Full Control on the folder with C(icacls.exe) over WinRS, inherited
    by everything in it (C((OI)(CI)F)).
  - Reads the share, its permissions and whether the folder exists in one round trip, and the folder's permissions
    (when O(ntfs_full_control) is set) with one C(icacls) call.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description: The name of the share.
    type: str
    required: true
  path:
    description:
      - The local path of the folder the share points to on the server, for example V(E:\\Shares\\VM).
      - Required with O(state=present). Windows cannot move a share to another folder; the module refuses an existing
        share that points elsewhere.
    type: str
  state:
    description:
      - V(present) creates or changes the share, V(absent) removes it.
      - Removing a share never removes its folder or the files in it.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: The description of the share.
    type: str
  full_access:
    description:
      - Accounts (V(DOMAIN\\name), V(DOMAIN\\HOST$) for a computer account, V(BUILTIN\\Administrators)) given Full access
        to the share.
      - An account listed here but with another share right gets this one.
    type: list
    elements: str
  change_access:
    description: Accounts given Change access to the share.
    type: list
    elements: str
  read_access:
    description: Accounts given Read access to the share.
    type: list
    elements: str
  exclusive:
    description:
      - Revoke the share access of every account not listed in O(full_access), O(change_access) or O(read_access).
      - Deny entries (set with C(Block-SmbShareAccess)) are left as they are.
      - A new share created without any account grants Everyone Read, as Windows does.
    type: bool
    default: false
  ntfs_full_control:
    description:
      - Accounts given Full Control on the folder, inherited by its subfolders and files (C(icacls /grant:r account:(OI)(CI)F)).
      - An account that already has inherited or explicit Full Control there is left alone; other NTFS entries are
        never removed.
    type: list
    elements: str
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the server.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change, in check mode).
    support: full
notes:
  - Connect to the file server itself (O(hostname) is the file server).
  - An account Windows cannot map to a SID fails the task with its name. Share permissions are applied one account per
    command, so what was applied before the failing account stays; run the task again once the name is fixed.
  - Hyper-V over SMB also needs constrained delegation from each host's computer account to C(cifs) on the file server
    when VMs are created or moved from a remote session (winvirt.hyperv.hyperv_spn O(winvirt.hyperv.hyperv_spn#module:delegation.file_servers)).
seealso:
  - module: winvirt.hyperv.hyperv_live_migration
  - module: winvirt.hyperv.hyperv_spn
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Share E:\Shares\VM for the Hyper-V hosts hv1 and hv2 (share and folder permissions)
  winvirt.hyperv.hyperv_smb_share:
    hostname: fs1.lab.test
    name: VM
    path: E:\Shares\VM
    description: Hyper-V VM storage
    full_access: ['LAB\Domain Admins', 'LAB\HV1$', 'LAB\HV2$']
    ntfs_full_control: ['LAB\HV1$', 'LAB\HV2$']

- name: Only the Hyper-V hosts group and the administrators on the share
  winvirt.hyperv.hyperv_smb_share:
    hostname: fs1.lab.test
    name: VM
    path: E:\Shares\VM
    full_access: ['LAB\HyperVHosts', 'LAB\HyperVAdmins']
    exclusive: true
    ntfs_full_control: ['LAB\HyperVHosts', 'LAB\HyperVAdmins']

- name: Remove the share (the folder and its files stay)
  winvirt.hyperv.hyperv_smb_share:
    hostname: fs1.lab.test
    name: VM
    state: absent
"""

RETURN = r"""
share:
  description: The share after the task (as it would be, in check mode); null when absent.
  returned: always
  type: dict
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
    full_access:
      description: Accounts with Full share access.
      type: list
      elements: str
      sample:
        - LAB\Domain Admins
        - LAB\HV1$
        - LAB\HV2$
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
    ntfs_full_control:
      description: Accounts with Full Control on the folder and everything in it (when O(ntfs_full_control) is set).
      type: list
      elements: str
      sample:
        - BUILTIN\Administrators
        - NT AUTHORITY\SYSTEM
        - LAB\HV1$
        - LAB\HV2$
changes:
  description: What was (or in check mode would be) changed, in words.
  returned: always
  type: list
  elements: str
  sample: ["grant 'LAB\\HV2$' Full access to the share"]
round_trips:
  description: Round trips the task needed (PowerShell batches and icacls calls).
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._smb_share import (
    ICACLS,
    RIGHTS,
    Ace,
    ShareFacts,
    SharePlan,
    ShareSpec,
    full_control_accounts,
    full_control_after,
    icacls_grant_arguments,
    icacls_list_arguments,
    parse_icacls,
    parse_share,
    plan_share,
    read_commands,
    same_share,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import (
    fail_on_problems,
    name_problem,
    path_problem,
    problems_of,
    share_name_problem,
)

_UNKNOWN_ACCOUNT = "No mapping between account names and security IDs"


def argument_spec() -> dict[str, t.Any]:
    return {
        "name": {"type": "str", "required": True},
        "path": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "description": {"type": "str"},
        "full_access": {"type": "list", "elements": "str"},
        "change_access": {"type": "list", "elements": "str"},
        "read_access": {"type": "list", "elements": "str"},
        "exclusive": {"type": "bool", "default": False},
        "ntfs_full_control": {"type": "list", "elements": "str"},
    }


def spec_from_params(params: dict[str, t.Any]) -> ShareSpec:
    return ShareSpec(name=params["name"], state=params["state"], path=params["path"], description=params["description"],
                     access={option: params[option] for option, _right in RIGHTS}, exclusive=params["exclusive"],
                     ntfs_full_control=params["ntfs_full_control"])


class ShareTask:
    def __init__(self, module: HyperVModule) -> None:
        self.module = module
        self.spec = spec_from_params(module.params)
        self.client = module.client()
        self.host = module.connection_options().hostname
        self.before: tuple[ShareFacts | None, bool] = (None, False)  # the share and whether its folder existed, as read
        self.before_aces: list[Ace] | None = None  # the folder's entries as read (None: not listed)

    def fail(self, msg: str, **result: t.Any) -> t.NoReturn:
        self.module.fail_json(msg=msg, round_trips=self.module.round_trips, **result)

    def folder_aces(self, path: str, **result: t.Any) -> list[Ace]:
        try:
            output = self.client.run_native(ICACLS, icacls_list_arguments(path), retry=True)
        except HyperVError as err:
            self.module.fail_hyperv(err, round_trips=self.module.round_trips, **result)
        if output.rc != 0:
            self.fail(f"{self.host}: 'icacls {path}' failed (exit code {output.rc}): {(output.stderr or output.stdout).strip()}")
        return parse_icacls(output.stdout, path)

    def run(self) -> None:
        spec = self.spec
        try:
            results = self.client.run(read_commands(spec), retry=True)
        except HyperVError as err:
            self.module.fail_hyperv(err)
        current = parse_share(results[0], results[1])
        folder_exists = bool(results[2] and results[2][0]) if spec.path else False
        listed = spec.state == "present" and bool(spec.ntfs_full_control) and folder_exists
        aces = self.folder_aces(spec.path) if listed and spec.path else None
        plan = plan_share(spec, current, folder_exists, aces)
        self.before = (current, folder_exists)
        self.before_aces = aces
        full_control = full_control_after(aces, plan) if spec.ntfs_full_control else None
        after = plan.after.to_result(full_control) if plan.after else None
        result: dict[str, t.Any] = {"changed": bool(plan.changes), "changes": plan.changes, "share": after}
        if plan.errors:
            self.fail(f"{self.host}: " + "; ".join(plan.errors), changed=False, changes=[], share=None)
        if self.module._diff:
            before = current.to_result(full_control_accounts(aces or []) if spec.ntfs_full_control else None) \
                if current else {}
            result["diff"] = {"before": before, "after": after or {}}
        if not plan.changes or self.module.check_mode:
            self.module.exit_json(round_trips=self.module.round_trips, **result)
        self.apply(plan, result)

    def after_failure(self, plan: SharePlan, err: HyperVError) -> dict[str, t.Any]:
        """What a failed batch really changed: the share and its folder read again, compared with the first read."""
        applied = plan.applied_before(err.command)
        try:
            results = self.client.run(read_commands(self.spec), retry=True)
        except HyperVError:  # unknown: the batch may have gone through up to its failed command
            return {"changed": True, "changes": plan.changes if applied is None else applied}
        now = parse_share(results[0], results[1])
        folder_now = bool(results[2] and results[2][0]) if self.spec.path else False
        current, folder_before = self.before
        changed = not same_share(now, current) or folder_now != folder_before
        shown = now.to_result(None) if now else None
        return {"changed": changed, "changes": (plan.changes if applied is None else applied) if changed else [],
                "share": shown}

    def after_icacls_failure(self, plan: SharePlan, path: str, share_now: ShareFacts | None) -> dict[str, t.Any]:
        """What was really applied when the share batch went through and icacls then failed: the share part
        (New-Item, share cmdlets) and whatever the folder's Full Control entries say now."""
        share_changes = plan.changes[:len(plan.commands)]  # the icacls grants are planned after every command
        try:
            listing = self.client.run_native(ICACLS, icacls_list_arguments(path), retry=True)
            now = full_control_accounts(parse_icacls(listing.stdout, path)) if listing.rc == 0 else None
        except HyperVError:
            now = None
        ntfs_changed = now is None or sorted(now) != sorted(full_control_accounts(self.before_aces or []))
        changes = plan.changes if ntfs_changed else share_changes
        return {"changed": bool(changes), "changes": changes,
                "share": share_now.to_result(now) if share_now else None}

    def apply(self, plan: SharePlan, result: dict[str, t.Any]) -> None:
        spec = self.spec
        try:
            applied = self.client.run([*plan.commands, *read_commands(ShareSpec(spec.name))])
        except HyperVError as err:
            result.update(self.after_failure(plan, err))
            account = plan.account_of(err.command)
            if account is not None and _UNKNOWN_ACCOUNT.lower() in err.message.lower():
                self.fail(f"{self.host}: the account '{account}' is not known to {self.host} ({err.message}); "
                          "changes before it were applied", error=err.to_result(), **result)
            self.module.fail_hyperv(err, round_trips=self.module.round_trips, **result)
        if plan.ntfs_grants and spec.path:
            try:  # /grant:r replaces the account's entry, so running it twice is the same as once
                output = self.client.run_native(ICACLS, icacls_grant_arguments(spec.path, plan.ntfs_grants), retry=True)
            except HyperVError as err:
                self.module.fail_hyperv(err, round_trips=self.module.round_trips, msg_detail="the share part was applied; "
                                        "run the task again to finish", **result)
            if output.rc != 0:
                result.update(self.after_icacls_failure(plan, spec.path, parse_share(applied[-2], applied[-1])))
                self.fail(f"{self.host}: granting Full Control on '{spec.path}' with icacls failed (exit code "
                          f"{output.rc}): {(output.stderr or output.stdout).strip()}", **result)
        after = parse_share(applied[-2], applied[-1])
        full_control = None
        if spec.ntfs_full_control and spec.path and spec.state == "present":
            full_control = full_control_accounts(self.folder_aces(spec.path, **result))
        result["share"] = after.to_result(full_control) if after else None
        if "diff" in result:
            result["diff"]["after"] = result["share"] or {}
        self.module.exit_json(round_trips=self.module.round_trips, **result)


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True, required_if=[("state", "present", ["path"])])
    fail_on_problems(module, "hyperv_smb_share", problems_of(name_problem("name", module.params["name"]),
                                                             # a share of such a name cannot exist: absent holds
                                                             share_name_problem("name", module.params["name"])
                                                             if module.params["state"] == "present" else None,
                                                             path_problem("path", module.params["path"], unc=False)))
    ShareTask(module).run()


if __name__ == "__main__":
    main()
