"""icacls.exe on a machine's local paths, acting on the NTFS entries hvsim.world.smb keeps per folder.

``icacls <path>`` lists the entries that apply (inherited ones marked ``(I)``); ``/grant[:r] account:perm ...``
adds rights (``:r`` replaces the account's explicit entries), ``/remove[:g|:d] account ...`` drops them.
A folder without explicit entries starts from the ones it inherits, as Windows copies inherited ACEs when an
ACL is first written. Every entry is shown with ``(OI)(CI)``: hvsim's NTFS entries always inherit downwards.
"""

from __future__ import annotations

import re
import typing

from hvsim.contract import NativeResult, Principal
from hvsim.engine.api import native
from hvsim.world.filesystem import clean_path, path_key
from hvsim.world.smb import NtfsEntry, SmbState, account_exists

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

RIGHTS = {"F": "FullControl", "M": "Modify", "RX": "ReadAndExecute", "R": "Read", "W": "Write"}
SHORT = {name: short for short, name in RIGHTS.items()}
# which right includes which (a grant of a right already held changes nothing)
INCLUDES = {"FullControl": {"FullControl", "Modify", "ReadAndExecute", "Read", "Write"},
            "Modify": {"Modify", "ReadAndExecute", "Read", "Write"}, "ReadAndExecute": {"ReadAndExecute", "Read"},
            "Read": {"Read"}, "Write": {"Write"}}
INHERITANCE = ("OI", "CI", "IO", "NP", "I")
SUMMARY = "Successfully processed {ok} files; Failed processing {failed} files\n"
CANONICAL = {"administrators": "BUILTIN\\Administrators", "builtin\\administrators": "BUILTIN\\Administrators",
             "users": "BUILTIN\\Users", "builtin\\users": "BUILTIN\\Users", "system": "NT AUTHORITY\\SYSTEM",
             "nt authority\\system": "NT AUTHORITY\\SYSTEM", "everyone": "Everyone",
             "authenticated users": "NT AUTHORITY\\Authenticated Users",
             "nt authority\\authenticated users": "NT AUTHORITY\\Authenticated Users", "creator owner": "CREATOR OWNER"}


class IcaclsError(Exception):
    def __init__(self, text: str, exit_code: int = 1) -> None:
        super().__init__(text)
        self.text = text
        self.exit_code = exit_code


def _result(stdout: str, stderr: str = "", exit_code: int = 0) -> NativeResult:
    return NativeResult(stdout=stdout.replace("\n", "\r\n").encode(), stderr=stderr.replace("\n", "\r\n").encode(),
                        exit_code=exit_code)


def canonical(world: World, account: str) -> str:
    """The name Windows shows for ``account`` (``lab\\hv2$`` -> ``LAB\\HV2$``, ``administrators`` -> BUILTIN\\...)."""
    text = account.strip()
    known = CANONICAL.get(text.lower())
    if known:
        return known
    head, _, user = text.rpartition("\\")
    domain = world.domain
    if head and domain is not None and head.upper() in (domain.netbios.upper(), domain.dns_name.upper()):
        return f"{domain.netbios}\\{user.upper() if user.endswith('$') else user}"
    return text


def _same(a: str, b: str, world: World) -> bool:
    return canonical(world, a).lower() == canonical(world, b).lower()


def _flags(entry: NtfsEntry, inherited: bool) -> str:
    deny = "(DENY)" if not entry.allow else ""
    return ("(I)" if inherited else "") + "(OI)(CI)" + deny + f"({SHORT.get(entry.rights, entry.rights)})"


def _listing(machine: Machine, shown: str) -> str:
    smb: SmbState = machine.smb
    inherited = path_key(shown) not in smb.ntfs
    entries = smb.ntfs_entries(shown)
    pad = " " * (len(shown) + 1)
    lines = [f"{shown if i == 0 else pad[:-1]} {e.account}:{_flags(e, inherited)}" for i, e in enumerate(entries)]
    return "\n".join(lines or [shown]) + "\n\n"


def _parse_grant(text: str) -> tuple[str, str]:
    """``LAB\\HV2$:(OI)(CI)F`` -> (account, FileSystemRights name)."""
    account, colon, perm = text.rpartition(":")
    if not colon or not account:
        raise IcaclsError(f'Invalid parameter "{text}"\n', 87)
    tokens = re.findall(r"\(([^)]*)\)|([A-Za-z]+)", perm)
    if "".join(f"({a})" if a else b for a, b in tokens) != perm:
        raise IcaclsError(f'Invalid parameter "{text}"\n', 87)
    rights = [a or b for a, b in tokens if (a or b).upper() not in INHERITANCE]
    if len(rights) != 1 or rights[0].upper() not in RIGHTS:
        raise IcaclsError(f'Invalid parameter "{text}"\n', 87)
    return account, RIGHTS[rights[0].upper()]


def _explicit(smb: SmbState, shown: str) -> list[NtfsEntry]:
    key = path_key(shown)
    if key not in smb.ntfs:
        smb.ntfs[key] = [NtfsEntry(e.account, e.rights, e.allow) for e in smb.ntfs_entries(shown)]
    return smb.ntfs[key]


def _grant(world: World, entries: list[NtfsEntry], account: str, rights: str, replace: bool) -> None:
    mine = [e for e in entries if e.allow and _same(e.account, account, world)]
    if replace:
        for entry in mine:
            entries.remove(entry)
        mine = []
    if any(rights in INCLUDES[e.rights] for e in mine if e.rights in INCLUDES):
        return
    for entry in [e for e in mine if e.rights in INCLUDES[rights]]:
        entries.remove(entry)
    entries.append(NtfsEntry(canonical(world, account), rights))


def _apply(world: World, machine: Machine, shown: str, switch: str, values: list[str]) -> None:
    if not values:
        raise IcaclsError(f'Invalid parameter "{switch}"\n', 87)
    kind, _, option = switch.lower().lstrip("/").partition(":")
    if kind == "grant":
        grants = [_parse_grant(value) for value in values]
        for account, _rights in grants:
            if not account_exists(world, machine, account):
                raise IcaclsError(f"{account}: No mapping between account names and security IDs was done.\n")
        entries = _explicit(machine.smb, shown)
        for account, rights in grants:
            _grant(world, entries, account, rights, replace=option == "r")
        return
    for account in values:
        if not account_exists(world, machine, account):
            raise IcaclsError(f"{account}: No mapping between account names and security IDs was done.\n")
    entries = _explicit(machine.smb, shown)
    for entry in [e for e in entries if any(_same(e.account, a, world) for a in values)]:
        if option == "" or (option == "g" and entry.allow) or (option == "d" and not entry.allow):
            entries.remove(entry)


@native("icacls.exe")
def icacls(principal: Principal, world: typing.Any, argv: list[str]) -> NativeResult:
    """icacls <path> [/grant[:r] account:perm ...] [/remove[:g|:d] account ...] [/T] [/C] [/Q]."""
    machine = world.machines[principal.machine]
    if not argv:
        return _result("", "Invalid parameter \"\"\n", 87)
    path, rest = argv[0], argv[1:]
    quiet = any(a.lower() == "/q" for a in rest)
    actions: list[tuple[str, list[str]]] = []
    for argument in rest:
        lowered = argument.lower()
        if lowered in ("/t", "/c", "/q", "/l"):
            continue
        if lowered.split(":", 1)[0] in ("/grant", "/remove"):
            if lowered not in ("/grant", "/grant:r", "/remove", "/remove:g", "/remove:d"):
                return _result("", f'Invalid parameter "{argument}"\n', 87)
            actions.append((argument, []))
        elif actions:
            actions[-1][1].append(argument)
        else:
            return _result("", f'Invalid parameter "{argument}"\n', 87)
    local = clean_path(path)
    if machine.smb is None or not machine.fs.exists(local):
        return _result(SUMMARY.format(ok=0, failed=1), f"{path}: The system cannot find the file specified.\n", 1)
    shown = machine.fs.display_path(local)
    if not actions:
        return _result(_listing(machine, shown) + SUMMARY.format(ok=1, failed=0))
    try:
        for switch, values in actions:
            _apply(world, machine, shown, switch, values)
    except IcaclsError as err:
        if err.exit_code == 87:
            return _result("", err.text, 87)
        return _result(SUMMARY.format(ok=0, failed=1), err.text, err.exit_code)
    return _result(("" if quiet else f"processed file: {shown}\n") + SUMMARY.format(ok=1, failed=0))
