"""A machine's SMB shares with share permissions, the NTFS permissions of their folders, and the access
check a UNC path goes through; cmdlets Get-SmbShare, New-SmbShare, Remove-SmbShare, Grant-/Revoke-
SmbShareAccess, Get-SmbShareAccess, Set-SmbShare (description); icacls.exe is in hvsim.world.icacls.

Access to ``\\\\server\\share\\path`` needs both: a share permission (Full or Change to write, any to
read; NoAccess denies) and an NTFS permission on the path (FullControl or Modify to write). NTFS
entries are kept per folder (``SmbState.ntfs``) and inherited by everything below; the nearest folder
with entries wins. Every volume root starts with Administrators and SYSTEM FullControl, Users
ReadAndExecute. A share the estate declares also grants its share accounts the matching NTFS right
on its folder (the lab's administrators set both); New-SmbShare leaves NTFS as it is, as Windows does.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field

from hvsim.contract import CmdletError, ErrorInfo, PSEnumValue, PSOutObject, UInt32
from hvsim.engine import wildcard
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.directory import dn_key
from hvsim.world.filesystem import clean_path, path_key
from hvsim.world.shapes import shaped

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

SMB_NS = "ROOT/Microsoft/Windows/SMB"
CIM = "Microsoft.Management.Infrastructure.CimInstance"
GENERATED = "Microsoft.PowerShell.Cmdletization.GeneratedTypes.SmbShare"
SHARE_RIGHTS = {"Full": 0, "Change": 1, "Read": 2, "Custom": 3}
NTFS_WRITE = ("FullControl", "Modify", "Write")
NTFS_READ = (*NTFS_WRITE, "ReadAndExecute", "Read")
WELL_KNOWN = ("everyone", "builtin\\administrators", "builtin\\users", "nt authority\\system",
              "nt authority\\authenticated users", "creator owner", "nt authority\\network service")
DEFAULT_NTFS = (("BUILTIN\\Administrators", "FullControl"), ("NT AUTHORITY\\SYSTEM", "FullControl"),
                ("BUILTIN\\Users", "ReadAndExecute"))


@dataclass
class Share:
    name: str
    path: str
    description: str = ""
    full_access: list[str] = field(default_factory=list)
    change_access: list[str] = field(default_factory=list)
    read_access: list[str] = field(default_factory=list)
    no_access: list[str] = field(default_factory=list)
    special: bool = False  # administrative shares: C$, ADMIN$, IPC$
    temporary: bool = False
    encrypt_data: bool = False
    continuously_available: bool = False


@dataclass
class NtfsEntry:
    account: str
    rights: str  # FileSystemRights name: FullControl, Modify, ReadAndExecute, Read, Write
    allow: bool = True


@dataclass
class SmbState:
    shares: dict[str, Share] = field(default_factory=dict)  # lower-case name -> share
    ntfs: dict[str, list[NtfsEntry]] = field(default_factory=dict)  # lower-case folder path -> explicit entries

    def share(self, name: str) -> Share | None:
        return self.shares.get(name.lower())

    def ntfs_entries(self, path: str) -> list[NtfsEntry]:
        """The entries that apply to ``path``: its own, else the nearest folder above it with entries."""
        key = path_key(path)
        while True:
            if key in self.ntfs:
                return self.ntfs[key]
            if "\\" not in key:
                return [NtfsEntry(account, rights) for account, rights in DEFAULT_NTFS]
            key = key.rsplit("\\", 1)[0]


# -- who is who -----------------------------------------------------------------------------------

def identities(world: World, account: str, server: Machine) -> set[str]:
    """The lower-case names (the account and its groups) ``account`` has when it reaches ``server``.

    ``account``: "LAB\\user" (domain), "LAB\\HV1$" (a computer account), "user" or "HOST\\user" (a local
    account; it gets in only if the server has a local account of that name: pass-through auth).
    """
    domain = world.domain
    names = {"everyone"}
    head, _, user = account.rpartition("\\")
    if domain is not None and head.upper() in (domain.netbios.upper(), domain.dns_name.upper()):
        names |= {f"{domain.netbios}\\{user}".lower(), "nt authority\\authenticated users",
                  f"{domain.netbios}\\domain users".lower()}
        if user.endswith("$"):
            names.add(f"{domain.netbios}\\domain computers".lower())
        elif user.lower() in {admin.lower() for admin in domain.admins}:
            names |= {f"{domain.netbios}\\domain admins".lower(), "builtin\\administrators", "builtin\\users"}
        return names | {f"{domain.netbios}\\{group}".lower() for group in _directory_groups(world, user)}
    if user.lower() in {local.lower() for local in server.local_accounts}:
        names |= {f"{server.netbios}\\{user}".lower(), user.lower(), "builtin\\administrators", "builtin\\users",
                  "nt authority\\authenticated users"}
    return names


def _directory_groups(world: World, user: str) -> set[str]:
    """The names of the directory groups ``user`` (a sAMAccountName) is a member of, nested groups included."""
    directory = getattr(world, "directory", None)
    objects = getattr(directory, "objects", None) or {}
    wanted = user.lower()
    found = next((o for o in objects.values() if o.sam_account_name.lower() in (wanted, wanted + "$")), None)
    if found is None:
        return set()
    member_dns, groups = {dn_key(found.dn)}, set()
    while True:
        joined = [o for o in objects.values() if o.object_class == "group" and o.sam_account_name not in groups
                  and any(dn_key(m) in member_dns for m in o.members)]
        if not joined:
            return groups
        for group in joined:
            groups.add(group.sam_account_name)
            member_dns.add(dn_key(group.dn))


def _normal(account: str) -> str:
    lowered = account.strip().lower()
    return {"administrators": "builtin\\administrators", "users": "builtin\\users",
            "authenticated users": "nt authority\\authenticated users", "system": "nt authority\\system"}.get(
        lowered, lowered)


def _holds(names: set[str], accounts: list[str]) -> bool:
    return any(_normal(account) in names for account in accounts)


def share_allows(share: Share, names: set[str], write: bool) -> bool:
    if _holds(names, share.no_access):
        return False
    if write:
        return _holds(names, share.full_access + share.change_access)
    return _holds(names, share.full_access + share.change_access + share.read_access)


def ntfs_allows(smb: SmbState, path: str, names: set[str], write: bool) -> bool:
    entries = smb.ntfs_entries(path)
    if any(not e.allow and _normal(e.account) in names for e in entries):
        return False
    wanted = NTFS_WRITE if write else NTFS_READ
    return any(e.allow and e.rights in wanted and _normal(e.account) in names for e in entries)


def can_access(world: World, server: Machine, share_name: str, local_path: str, account: str, write: bool) -> bool:
    """Share and NTFS permissions both allow ``account`` to read (or write) ``local_path`` via the share."""
    smb = server.smb
    share = smb.share(share_name) if smb is not None else None
    if share is None:
        is_admin_share = len(share_name) == 2 and share_name.endswith("$")
        return is_admin_share and "builtin\\administrators" in identities(world, account, server)
    names = identities(world, account, server)
    return share_allows(share, names, write) and ntfs_allows(smb, local_path, names, write)


def account_exists(world: World, server: Machine, account: str) -> bool:
    """Whether Windows could map ``account`` to a SID on ``server``."""
    normal = _normal(account)
    if normal in WELL_KNOWN or normal.startswith("builtin\\") or normal.startswith("nt authority\\"):
        return True
    head, _, user = account.rpartition("\\")
    domain = world.domain
    if domain is not None and server.domain and head.upper() in (domain.netbios.upper(), domain.dns_name.upper()):
        directory = world.directory
        lookup = getattr(directory, "account_exists", None)
        return bool(lookup(user)) if callable(lookup) else True
    if head and head.upper() not in (server.netbios, "."):
        return False
    return user.lower() in {name.lower() for name in server.local_accounts}


# -- the estate's `smb:` section ------------------------------------------------------------------

def _admin_shares(machine: Machine) -> dict[str, Share]:
    shares = {"admin$": Share("ADMIN$", "C:\\Windows", "Remote Admin", ["BUILTIN\\Administrators"], special=True),
              "ipc$": Share("IPC$", "", "Remote IPC", ["Everyone"], special=True)}
    for letter in sorted(getattr(machine.fs, "volumes", {}) or {}):
        name = f"{letter[0].upper()}$"
        shares[name.lower()] = Share(name, f"{letter[0].upper()}:\\", "Default share", ["BUILTIN\\Administrators"],
                                     special=True)
    return shares


def _ntfs_for_share(share: Share) -> list[NtfsEntry]:
    entries = [NtfsEntry(account, rights) for account, rights in DEFAULT_NTFS]
    entries += [NtfsEntry(a, "FullControl") for a in share.full_access if _normal(a) != "builtin\\administrators"]
    entries += [NtfsEntry(a, "Modify") for a in share.change_access]
    entries += [NtfsEntry(a, "ReadAndExecute") for a in share.read_access]
    entries += [NtfsEntry(a, "FullControl", allow=False) for a in share.no_access]
    return entries


def build(machine: Machine, spec: dict[str, typing.Any], world: World) -> SmbState:
    """Shares from the ``smb:`` section: ``shares: [{name, path, description, full_access, change_access,
    read_access, no_access}]`` and ``ntfs: {folder: [{account, rights, allow}]}`` (explicit NTFS entries)."""
    del world
    state = SmbState(shares=_admin_shares(machine))
    for item in spec.get("shares") or []:
        share = Share(name=str(item["name"]), path=clean_path(str(item["path"])),
                      description=str(item.get("description", "")),
                      full_access=[str(a) for a in item.get("full_access") or []],
                      change_access=[str(a) for a in item.get("change_access") or []],
                      read_access=[str(a) for a in item.get("read_access") or []],
                      no_access=[str(a) for a in item.get("no_access") or []])
        if not (share.full_access or share.change_access or share.read_access):
            share.read_access = ["Everyone"]
        state.shares[share.name.lower()] = share
        state.ntfs[path_key(share.path)] = _ntfs_for_share(share)
    for folder, entries in (spec.get("ntfs") or {}).items():
        state.ntfs[path_key(str(folder))] = [NtfsEntry(str(e["account"]), str(e.get("rights", "FullControl")),
                                                       bool(e.get("allow", True))) for e in entries or []]
    return state


# -- cmdlets --------------------------------------------------------------------------------------

def _machine(inv: Invocation) -> Machine:
    return inv.world.machines[inv.principal.machine]


def _as_list(value: typing.Any) -> list[typing.Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _name_of(value: typing.Any) -> str:
    if isinstance(value, PSOutObject):
        return str(value.properties.get("Name", ""))
    return str(value)


def _wild(pattern: str, name: str) -> bool:
    return wildcard.matches(pattern, name)


def share_object(share: Share) -> PSOutObject:
    """An MSFT_SmbShare instance: the class's properties in its MOF order (Microsoft Learn, "MSFT_SmbShare class",
    ClassVersion 30), then the PSComputerName every CIM cmdlet adds. Values hvsim does not model (Volume,
    SecurityDescriptor, ...) carry their type's default."""
    return shaped(
        [f"{CIM}#{SMB_NS}/MSFT_SmbShare", f"{CIM}#MSFT_SmbShare", CIM],
        {
            "Name": share.name,
            "ScopeName": "*",
            "Scoped": False,
            "ShareType": PSEnumValue(f"{GENERATED}.ShareType", "FileSystemDirectory", 0),
            "Special": share.special,
            "Temporary": share.temporary,
            "ShadowCopy": False,
            "Path": share.path,
            "Volume": None,
            "Description": share.description,
            "ConcurrentUserLimit": UInt32(0),
            "CurrentUsers": UInt32(0),
            "SecurityDescriptor": None,
            "EncryptData": share.encrypt_data,
            "FolderEnumerationMode": PSEnumValue(f"{GENERATED}.FolderEnumerationMode", "Unrestricted", 1),
            "CachingMode": PSEnumValue(f"{GENERATED}.CachingMode", "Manual", 1),
            "ContinuouslyAvailable": share.continuously_available,
            "CATimeout": UInt32(0),
            "ShareState": PSEnumValue(f"{GENERATED}.ShareState", "Online", 1),
            "SmbInstance": PSEnumValue(f"{GENERATED}.SmbInstance", "Default", 0),
            "AvailabilityType": PSEnumValue(f"{GENERATED}.AvailabilityType", "NonClustered", 0),
            "PSComputerName": None,
        },
        to_string=share.name)


def _ace_object(share: Share, account: str, right: str, deny: bool = False) -> PSOutObject:
    """An MSFT_SmbShareAccessControlEntry instance: Name, ScopeName, AccountName, AccessControlType (Allow 0,
    Deny 1), AccessRight (Full 0, Change 1, Read 2, Custom 3) in the class's MOF order (Microsoft Learn,
    "MSFT_SmbShareAccessControlEntry class", ClassVersion 7), then PSComputerName."""
    return shaped(
        [f"{CIM}#{SMB_NS}/MSFT_SmbShareAccessControlEntry", f"{CIM}#MSFT_SmbShareAccessControlEntry", CIM],
        {
            "Name": share.name,
            "ScopeName": "*",
            "AccountName": account,
            "AccessControlType": PSEnumValue(f"{GENERATED}.ShareAccessControlType", "Deny" if deny else "Allow",
                                             1 if deny else 0),
            "AccessRight": PSEnumValue(f"{GENERATED}.ShareAccessRight", right, SHARE_RIGHTS[right]),
            "PSComputerName": None,
        },
        to_string=account)


def access_objects(share: Share) -> list[PSOutObject]:
    rows = [_ace_object(share, a, "Full", deny=True) for a in share.no_access]
    rows += [_ace_object(share, a, "Full") for a in share.full_access]
    rows += [_ace_object(share, a, "Change") for a in share.change_access]
    rows += [_ace_object(share, a, "Read") for a in share.read_access]
    return rows


def _win32_error(cmdlet_name: str, code: int, message: str, target: str, category: str = "NotSpecified") -> ErrorInfo:
    return ErrorInfo(message=message, category=category, fqid=f"Windows System Error {code},{cmdlet_name}",
                     exception_type="Microsoft.Management.Infrastructure.CimException",
                     hresult=-2146233088, target=target, reason="CimException")


def _not_found(cmdlet_name: str, name: str) -> ErrorInfo:
    return ErrorInfo(
        message=f"No MSFT_SMBShare objects found with property 'Name' equal to '{name}'.  Verify the value of the "
                "property and retry.",
        category="ObjectNotFound", fqid=f"CmdletizationQuery_NotFound_Name,{cmdlet_name}",
        exception_type="Microsoft.PowerShell.Cmdletization.Cim.CimJobException", hresult=-2146233088,
        target=name, reason="MSFT_SMBShare")


def _named_shares(inv: Invocation) -> list[Share]:
    """The shares -Name (or -InputObject) selects; a literal name not there is a non-terminating error."""
    smb: SmbState = _machine(inv).smb
    if inv.has("InputObject"):
        names = [_name_of(v) for v in _as_list(inv.get("InputObject"))]
    else:
        names = [str(n) for n in _as_list(inv.get("Name"))] or ["*"]
    found: list[Share] = []
    for pattern in names:
        matched = [s for s in sorted(smb.shares.values(), key=lambda s: s.name.lower()) if _wild(pattern, s.name)]
        if not matched and not wildcard.contains_wildcard(pattern):
            inv.write_error(_not_found(inv.name, pattern))
        found += [s for s in matched if s not in found]
    return found


def _confirm(inv: Invocation, action: str, target: str) -> None:
    """These cmdlets ask before acting (ConfirmImpact High) unless -Force; a remote session cannot answer."""
    if inv.get("Force"):
        return
    raise CmdletError(ErrorInfo(
        message=("A command that prompts the user failed because the host program or the command type does not "
                 "support user interaction. The host was attempting to request confirmation with the following "
                 f"message: Are you sure you want to perform this action?\r\nPerforming operation '{action}' on "
                 f"Target '{target}'."),
        category="ResourceUnavailable", fqid=f"HostException,{inv.name}",
        exception_type="System.Management.Automation.Host.HostException", target=target, reason="HostException"))


@cmdlet("Get-SmbShare")
def get_smb_share(inv: Invocation) -> typing.Iterator[PSOutObject]:
    for share in _named_shares(inv):
        yield share_object(share)


def _check_accounts(inv: Invocation, machine: Machine, accounts: list[str]) -> None:
    for account in accounts:
        if not account_exists(inv.world, machine, account):
            raise CmdletError(_win32_error(inv.name, 1332, "No mapping between account names and security IDs was "
                                                           "done.", account))


# MS-FSCC 2.1.6: a share name has at most 80 characters, none of " \ / [ ] : | < > + = ; , * ? or 0x00-0x1F
_INVALID_SHARE_NAME = re.compile(r'["\\/\[\]:|<>+=;,*?\x00-\x1f]')


@cmdlet("New-SmbShare")
def new_smb_share(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine = _machine(inv)
    smb: SmbState = machine.smb
    name, path = str(inv.get("Name")), str(inv.get("Path"))
    if _INVALID_SHARE_NAME.search(name) or not name or len(name) > 80:  # MS-FSCC 2.1.6 "Share name"
        raise CmdletError(_win32_error(inv.name, 123, "The filename, directory name, or volume label syntax is "
                                       "incorrect.", name, "InvalidArgument"))
    if smb.share(name) is not None:
        raise CmdletError(_win32_error(inv.name, 2118, "The name has already been shared.", name, "ResourceExists"))
    if not machine.fs.is_dir(path):
        raise CmdletError(_win32_error(inv.name, 2, "The system cannot find the file specified.", path,
                                       "ObjectNotFound"))
    lists = {key: [str(a) for a in _as_list(inv.get(param))] for key, param in (
        ("full_access", "FullAccess"), ("change_access", "ChangeAccess"), ("read_access", "ReadAccess"),
        ("no_access", "NoAccess"))}
    _check_accounts(inv, machine, [a for accounts in lists.values() for a in accounts])
    share = Share(name=name, path=machine.fs.display_path(path), description=str(inv.get("Description") or ""),
                  temporary=bool(inv.get("Temporary")), encrypt_data=bool(inv.get("EncryptData")),
                  continuously_available=bool(inv.get("ContinuouslyAvailable")), **lists)
    if not (share.full_access or share.change_access or share.read_access):
        share.read_access = ["Everyone"]
    smb.shares[name.lower()] = share
    yield share_object(share)


@cmdlet("Remove-SmbShare")
def remove_smb_share(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine = _machine(inv)
    for share in _named_shares(inv):
        _confirm(inv, "Remove-Share", f"*,{share.name}")
        del machine.smb.shares[share.name.lower()]
        if inv.get("PassThru"):
            yield share_object(share)


@cmdlet("Set-SmbShare")
def set_smb_share(inv: Invocation) -> None:
    """The description of a share (the other settings hvsim keeps are given at creation)."""
    for share in _named_shares(inv):
        _confirm(inv, "Modify", f"*,{share.name}")
        if inv.has("Description"):
            share.description = str(inv.get("Description") or "")
        if inv.has("EncryptData"):
            share.encrypt_data = bool(inv.get("EncryptData"))


@cmdlet("Get-SmbShareAccess")
def get_smb_share_access(inv: Invocation) -> typing.Iterator[PSOutObject]:
    for share in _named_shares(inv):
        yield from access_objects(share)


def _drop(share: Share, account: str) -> None:
    for accounts in (share.full_access, share.change_access, share.read_access, share.no_access):
        for existing in [a for a in accounts if _normal(a) == _normal(account)]:
            accounts.remove(existing)


@cmdlet("Grant-SmbShareAccess")
def grant_smb_share_access(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine = _machine(inv)
    right = str(inv.get("AccessRight") or "Read")
    right = next((r for r in SHARE_RIGHTS if r.lower() == right.lower()), right)
    if right not in ("Full", "Change", "Read"):
        raise CmdletError(_win32_error(inv.name, 87, "The parameter is incorrect.", right, "InvalidArgument"))
    accounts = [str(a) for a in _as_list(inv.get("AccountName"))]
    _check_accounts(inv, machine, accounts)
    for share in _named_shares(inv):
        _confirm(inv, "Grant-Access", f"*,{share.name}")
        for account in accounts:
            _drop(share, account)
            {"Full": share.full_access, "Change": share.change_access, "Read": share.read_access}[right].append(
                account)
        yield from access_objects(share)


@cmdlet("Revoke-SmbShareAccess")
def revoke_smb_share_access(inv: Invocation) -> typing.Iterator[PSOutObject]:
    accounts = [str(a) for a in _as_list(inv.get("AccountName"))]
    for share in _named_shares(inv):
        _confirm(inv, "Revoke-Access", f"*,{share.name}")
        for account in accounts:
            _drop(share, account)
        yield from access_objects(share)
