# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An SMB share with its share permissions and Full Control on its folder: read, plan, icacls.

FOR INTERNAL COLLECTION USE ONLY.

The plan is data: the PowerShell commands (New-Item, New-SmbShare, Set-SmbShare, Grant-/Revoke-
SmbShareAccess, Remove-SmbShare) and the accounts icacls.exe grants Full Control on the folder, with the
changes in words. Each share permission is its own command, so a refused account is named by the command
that failed.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

RIGHTS = (("full_access", "Full"), ("change_access", "Change"), ("read_access", "Read"))
ICACLS = "C:\\Windows\\System32\\icacls.exe"  # WinRS without cmd.exe starts programs by full path only
FULL_CONTROL_GRANT = "(OI)(CI)F"
_BUILTIN = {"administrators": "builtin\\administrators", "users": "builtin\\users", "system": "nt authority\\system",
            "authenticated users": "nt authority\\authenticated users"}
_ACE = re.compile(r"^(?P<account>.+?):(?P<flags>(?:\([^)]*\))+)$")


def account_key(account: str) -> str:
    """Accounts compare case-insensitively; a bare built-in name is its BUILTIN/NT AUTHORITY name."""
    lowered = account.strip().lower()
    return _BUILTIN.get(lowered, lowered)


def same_path(a: str, b: str) -> bool:
    return a.replace("/", "\\").rstrip("\\").lower() == b.replace("/", "\\").rstrip("\\").lower()


@dataclasses.dataclass
class ShareSpec:
    name: str
    state: str = "present"
    path: str | None = None
    description: str | None = None
    access: dict[str, list[str] | None] = dataclasses.field(default_factory=dict)  # full/change/read_access
    exclusive: bool = False
    ntfs_full_control: list[str] | None = None

    def wanted(self) -> list[tuple[str, str]]:
        """(account, share right) for every listed account, in option order."""
        return [(account, right) for option, right in RIGHTS for account in self.access.get(option) or []]


@dataclasses.dataclass
class ShareFacts:
    name: str
    path: str
    description: str
    access: list[tuple[str, str, str]]  # (account, Allow|Deny, Full|Change|Read|Custom)

    def right_of(self, account: str) -> str | None:
        key = account_key(account)
        return next((r for a, kind, r in self.access if kind == "Allow" and account_key(a) == key), None)

    def to_result(self, full_control: list[str] | None = None) -> dict[str, t.Any]:
        lists = {option: [a for a, kind, r in self.access if kind == "Allow" and r == right] for option, right in RIGHTS}
        result = {"name": self.name, "path": self.path, "description": self.description, **lists,
                  "no_access": [a for a, kind, _r in self.access if kind == "Deny"]}
        if full_control is not None:
            result["ntfs_full_control"] = full_control
        return result


@dataclasses.dataclass(frozen=True)
class Ace:
    account: str
    flags: tuple[str, ...]  # ("OI", "CI", "F"), ("I", "OI", "CI", "RX"), ("OI", "CI", "DENY", "F") ...

    @property
    def gives_full_control(self) -> bool:
        """An allowed Full Control that reaches the folder, its subfolders and files."""
        return "DENY" not in self.flags and "F" in self.flags and {"OI", "CI"} <= set(self.flags) \
            and "IO" not in self.flags


@dataclasses.dataclass
class SharePlan:
    commands: list[Cmd] = dataclasses.field(default_factory=list)
    accounts: list[str | None] = dataclasses.field(default_factory=list)  # the account each command is about
    ntfs_grants: list[str] = dataclasses.field(default_factory=list)  # accounts icacls grants Full Control
    changes: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)
    after: ShareFacts | None = None

    def add(self, command: Cmd, change: str, account: str | None = None) -> None:
        self.commands.append(command)
        self.accounts.append(account)
        self.changes.append(change)

    def applied_before(self, described: str | None) -> list[str] | None:
        """The changes of the commands before the one ``HostClient`` reports as failed (a batch stops at its first
        error); None when the failed command is not one of the plan's."""
        for index, command in enumerate(self.commands):
            if command.describe() == described:
                return self.changes[:index]
        return None

    def account_of(self, described: str | None) -> str | None:
        """The account of the command that ``HostClient`` reports as failed (by its description)."""
        return next((a for c, a in zip(self.commands, self.accounts) if c.describe() == described), None)


# -- reading --------------------------------------------------------------------------------------

def read_commands(spec: ShareSpec) -> list[Cmd]:
    commands = [
        Cmd("Get-SmbShare", {"Name": spec.name}, select=["Name", "Path", "Description"], missing_ok=True),
        Cmd("Get-SmbShareAccess", {"Name": spec.name}, select=["AccountName", "AccessControlType", "AccessRight"],
            missing_ok=True),
    ]
    if spec.path:
        commands.append(Cmd("Test-Path", {"LiteralPath": spec.path, "PathType": "Container"}))
    return commands


def same_share(a: ShareFacts | None, b: ShareFacts | None) -> bool:
    """Whether two reads show the same share (access rows in any order)."""
    if a is None or b is None:
        return a is b
    return (a.name, a.path, a.description, sorted(a.access)) == (b.name, b.path, b.description, sorted(b.access))


def parse_share(shares: list[t.Any], access: list[t.Any]) -> ShareFacts | None:
    if not shares:
        return None
    share = shares[0]
    rows = [(str(row.get("AccountName")), str(row.get("AccessControlType")), str(row.get("AccessRight")))
            for row in access or []]
    return ShareFacts(name=str(share.get("Name")), path=str(share.get("Path") or ""),
                      description=str(share.get("Description") or ""), access=rows)


def info_commands(selector: dict[str, str], patterns: bool) -> list[Cmd]:
    """hyperv_smb_share_info's batch: the shares ``selector`` picks (every share when empty) and, piped from them,
    their access entries, each naming its share: two lists whatever the number of shares."""
    return [
        Cmd("Get-SmbShare", dict(selector), select=["Name", "Path", "Description", "Special"], missing_ok=True,
            patterns=patterns),
        Cmd("Get-SmbShare", dict(selector), missing_ok=True, patterns=patterns, piped=[Cmd("Get-SmbShareAccess")],
            select=["Name", "AccountName", "AccessControlType", "AccessRight"]),
    ]


def info_listing(share_rows: list[t.Any], access_rows: list[t.Any]) -> list[dict[str, t.Any]]:
    """Each share (by name) as hyperv_smb_share reports it, plus whether Windows made it (``special``: ADMIN$, C$)."""
    listing = []
    for row in sorted((r for r in share_rows if isinstance(r, dict)), key=lambda r: str(r.get("Name")).lower()):
        mine = [a for a in access_rows if isinstance(a, dict) and str(a.get("Name")).lower() == str(row.get("Name")).lower()]
        facts = parse_share([row], mine)
        if facts is not None:
            listing.append({**facts.to_result(), "special": bool(row.get("Special"))})
    return listing


def icacls_list_arguments(path: str) -> list[str]:
    return [path]


def icacls_grant_arguments(path: str, accounts: t.Sequence[str]) -> list[str]:
    """``/grant:r`` replaces what the account had on the folder with Full Control for it and everything below."""
    return [path, "/grant:r", *(f"{account}:{FULL_CONTROL_GRANT}" for account in accounts)]


def parse_icacls(output: str, path: str) -> list[Ace]:
    """The entries of ``icacls <path>``: the first line starts with the path, the others are indented."""
    aces = []
    for number, line in enumerate(output.replace("\r\n", "\n").split("\n")):
        text = line.strip()
        if number == 0 and text.lower().startswith(path.rstrip("\\").lower()):
            text = text[len(path.rstrip("\\")):].strip()
        if not text or text.startswith("Successfully processed"):
            continue
        match = _ACE.match(text)
        if match:
            flags = tuple(flag.upper() for flag in re.findall(r"\(([^)]*)\)", match.group("flags")))
            aces.append(Ace(match.group("account"), flags))
    return aces


def full_control_accounts(aces: t.Iterable[Ace]) -> list[str]:
    found: list[str] = []
    for ace in aces:
        if ace.gives_full_control and account_key(ace.account) not in {account_key(a) for a in found}:
            found.append(ace.account)
    return found


# -- planning -------------------------------------------------------------------------------------

def validate(spec: ShareSpec) -> list[str]:
    errors = []
    seen: dict[str, str] = {}
    for option, _right in RIGHTS:
        for account in spec.access.get(option) or []:
            other = seen.setdefault(account_key(account), option)
            if other != option:
                errors.append(f"'{account}' is listed in both {other} and {option}; give each account one share right")
    if spec.exclusive and not spec.wanted():
        errors.append("exclusive needs at least one account in full_access, change_access or read_access "
                      "(it would remove every share permission)")
    return errors


def plan_share(spec: ShareSpec, current: ShareFacts | None, folder_exists: bool,
               folder_aces: list[Ace] | None) -> SharePlan:
    """What to run for ``spec``; ``folder_aces`` is None when the folder was not listed (missing, or not needed)."""
    plan = SharePlan(errors=validate(spec))
    if plan.errors:
        return plan
    if spec.state == "absent":
        if current is not None:
            plan.add(Cmd("Remove-SmbShare", {"Name": current.name, "Force": True}),
                     f"remove the share '{current.name}' (the folder '{current.path}' and its files stay)")
        return plan
    path = folder_path(spec)
    if current is not None and not same_path(current.path, path):
        plan.errors.append(f"the share '{current.name}' points to '{current.path}', not '{path}'; Windows cannot move a "
                           "share: remove it (state=absent) and create it again")
        return plan
    if not folder_exists:
        plan.add(Cmd("New-Item", {"Path": path, "ItemType": "Directory", "Force": True}), f"create the folder '{path}'")
    if current is None:
        _plan_new_share(spec, path, plan)
    else:
        _plan_existing_share(spec, current, plan)
    _plan_ntfs(spec, path, folder_aces, plan)
    return plan


def folder_path(spec: ShareSpec) -> str:
    return (spec.path or "").replace("/", "\\")


def _plan_new_share(spec: ShareSpec, path: str, plan: SharePlan) -> None:
    wanted = spec.wanted()
    parameters: dict[str, t.Any] = {"Name": spec.name, "Path": path}
    if spec.description is not None:
        parameters["Description"] = spec.description
    first = wanted[0] if wanted else None
    if first is not None:
        parameters[f"{first[1]}Access"] = [first[0]]
    plan.add(Cmd("New-SmbShare", parameters), f"create the share '{spec.name}' on '{path}'", first[0] if first else None)
    for account, right in wanted[1:]:
        plan.add(_grant(spec.name, account, right), f"grant '{account}' {right} access to the share", account)
    access = [(a, "Allow", r) for a, r in wanted] or [("Everyone", "Allow", "Read")]  # Windows' default
    plan.after = ShareFacts(spec.name, path, spec.description or "", access)


def _grant(name: str, account: str, right: str) -> Cmd:
    return Cmd("Grant-SmbShareAccess", {"Name": name, "AccountName": [account], "AccessRight": right, "Force": True})


def _plan_existing_share(spec: ShareSpec, current: ShareFacts, plan: SharePlan) -> None:
    after = dataclasses.replace(current, access=list(current.access))
    if spec.description is not None and spec.description != current.description:
        plan.add(Cmd("Set-SmbShare", {"Name": current.name, "Description": spec.description, "Force": True}),
                 f"set the description of the share '{current.name}' to '{spec.description}'")
        after.description = spec.description
    wanted = spec.wanted()
    for account, right in wanted:
        have = current.right_of(account)
        if have == right:
            continue
        plan.add(_grant(current.name, account, right),
                 f"grant '{account}' {right} access to the share" + (f" (was {have})" if have else ""), account)
        after.access = [row for row in after.access if not (row[1] == "Allow" and account_key(row[0]) == account_key(account))]
        after.access.append((account, "Allow", right))
    if spec.exclusive:
        keep = {account_key(a) for a, _r in wanted}
        for account, kind, right in current.access:
            if kind == "Allow" and account_key(account) not in keep:
                plan.add(Cmd("Revoke-SmbShareAccess", {"Name": current.name, "AccountName": [account], "Force": True}),
                         f"revoke the {right} access of '{account}' to the share", account)
                after.access = [row for row in after.access if row != (account, kind, right)]
    plan.after = after


def _plan_ntfs(spec: ShareSpec, path: str, folder_aces: list[Ace] | None, plan: SharePlan) -> None:
    if not spec.ntfs_full_control:
        return
    have = {account_key(a) for a in full_control_accounts(folder_aces or [])}
    for account in spec.ntfs_full_control:
        if account_key(account) not in have and account not in plan.ntfs_grants:
            plan.ntfs_grants.append(account)
            plan.changes.append(f"grant '{account}' Full Control on the folder '{path}' and everything in it (icacls)")


def full_control_after(folder_aces: list[Ace] | None, plan: SharePlan) -> list[str]:
    """Every account with Full Control on the folder and everything in it, once the plan is applied."""
    have = full_control_accounts(folder_aces or [])
    return have + [a for a in plan.ntfs_grants if account_key(a) not in {account_key(h) for h in have}]
