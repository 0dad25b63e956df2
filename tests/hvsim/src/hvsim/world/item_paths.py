"""Where an item cmdlet's path points: the file system (``C:\\...``, ``\\\\server\\share\\...``), the registry
(``HKLM:\\...``, ``Registry::HKEY_LOCAL_MACHINE\\...``) or WSMan (``WSMan:\\localhost\\...``), and the output
objects PowerShell's providers make for items there.

A UNC path is resolved to the file server's local path (hvsim.world.filesystem.resolve) and checked
against the share and NTFS permissions (hvsim.world.smb.can_access) for the identity the session can
present there: its own user on the same machine, or when the session holds delegable credentials
(CredSSP), or when the directory allows delegation (``world.directory.may_delegate(session, from, to, "cifs")``);
otherwise the second hop has no credentials and access is denied.
"""

from __future__ import annotations

import datetime
import fnmatch
import typing
from dataclasses import dataclass

from hvsim.contract import CmdletError, ErrorInfo, Int64, PSEnumValue, PSOutObject, Principal
from hvsim.world import pserrors
from hvsim.world.filesystem import FileEntry, FsError, clean_path, is_unc, leaf_name, parent_of, path_key, resolve
from hvsim.world.platform import WSMAN_NAMES
from hvsim.world.platform_types import DIRECTORY_TYPE, FILE_TYPE, REGISTRY_KEY_TYPE, WSMAN_LEAF_TYPE
from hvsim.world.registry import RegistryKey, is_registry_path, long_name, split_path
from hvsim.world.shapes import shaped
from hvsim.world.smb import can_access

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

FS_PROVIDER = "Microsoft.PowerShell.Core\\FileSystem"
REG_PROVIDER = "Microsoft.PowerShell.Core\\Registry"
WSMAN_PROVIDER = "Microsoft.WSMan.Management\\WSMan"
FILE_TIME = datetime.datetime(2025, 1, 6, 6, 0, tzinfo=datetime.timezone.utc)  # items carry no clock


@dataclass
class Location:
    provider: str  # "FileSystem" | "Registry" | "WSMan"
    raw: str  # the path as given (error messages quote it)
    machine: typing.Any  # the Machine holding the item (the file server for a UNC path)
    path: str  # local file path | registry path ("HKLM\\SOFTWARE\\...") | WSMan key ("localhost\\client")
    unc_root: str | None = None  # "\\\\fs1\\VM" when reached through a share
    local_root: str | None = None  # the share's local folder ("E:\\Shares\\VM")
    share: str | None = None

    def shown(self, local: str) -> str:
        """A local path as the caller sees it (through the share when the caller used one)."""
        if self.unc_root is None or self.local_root is None:
            return local
        rest = local[len(self.local_root):] if path_key(local).startswith(path_key(self.local_root)) else ""
        return self.unc_root + ("\\" + rest.lstrip("\\") if rest.strip("\\") else "")

    def child(self, local: str) -> Location:
        return Location(self.provider, self.shown(local), self.machine, local, self.unc_root, self.local_root,
                        self.share)


def has_wildcard(path: str) -> bool:
    return any(char in path for char in "*?[")


def wsman_key(path: str) -> str | None:
    """``WSMan:\\localhost\\Client`` -> ``localhost\\client``; None when not a WSMan path."""
    text = path.replace("/", "\\").strip()
    lowered = text.lower()
    for prefix in ("microsoft.wsman.management\\wsman::", "wsman::", "wsman:"):
        if lowered.startswith(prefix):
            return lowered[len(prefix):].strip("\\")
    return None


def unc_identity(world: World, principal: Principal, server: Machine) -> str | None:
    """The account a session can present to ``server`` for SMB (None: no credentials for the second hop)."""
    if server.name == principal.machine or principal.delegable:
        return principal.user
    directory = getattr(world, "directory", None)
    source = world.machines.get(principal.machine)
    if directory is not None and source is not None and directory.may_delegate(principal, source, server, "cifs"):
        return principal.user
    return None


def locate(world: World, principal: Principal, cmdlet_name: str, raw: str, write: bool = False) -> Location:
    """Where ``raw`` points; raises CmdletError (drive not found, network path, access denied)."""
    machine = world.machines[principal.machine]
    key = wsman_key(raw)
    if key is not None:
        return Location("WSMan", raw, machine, key)
    if is_registry_path(raw):
        hive, rest = split_path(raw)
        return Location("Registry", raw, machine, hive.upper() + ("\\" + rest if rest else ""))
    text = raw.replace("/", "\\").strip()
    if text.lower().startswith(FS_PROVIDER.lower() + "::"):
        text = text[len(FS_PROVIDER) + 2:]
    if is_unc(text):
        return _locate_unc(world, principal, cmdlet_name, text, write)
    if len(text) >= 2 and text[1] == ":" and (len(text) == 2 or text[2] == "\\"):
        if machine.fs.volume_of(text) is None:
            raise CmdletError(pserrors.drive_not_found(cmdlet_name, text))
        return Location("FileSystem", raw, machine, clean_path(text))
    if ":" in text.split("\\", 1)[0]:
        raise CmdletError(pserrors.drive_not_found(cmdlet_name, text))
    home = f"C:\\Users\\{principal.user.rsplit(chr(92), 1)[-1]}\\Documents"
    return Location("FileSystem", raw, machine, clean_path(home + "\\" + text))


def _locate_unc(world: World, principal: Principal, cmdlet_name: str, text: str, write: bool) -> Location:
    try:
        server, local = resolve(world, world.machines[principal.machine], text)
    except FsError as err:
        raise CmdletError(pserrors.network_error(cmdlet_name, text, err.kind)) from None
    if server.platform is not None and not server.platform.is_reachable():
        raise CmdletError(pserrors.network_error(cmdlet_name, text, "network_path"))
    parts = [p for p in text[2:].split("\\") if p]
    share = parts[1]
    identity = unc_identity(world, principal, server)
    if identity is None or not can_access(world, server, share, local, identity, write):
        raise CmdletError(pserrors.access_denied(cmdlet_name, text))
    root_local = clean_path(local if len(parts) == 2 else _share_root(local, len(parts) - 2))
    return Location("FileSystem", text, server, local, "\\\\" + "\\".join(parts[:2]), root_local, share)


def _share_root(local: str, depth: int) -> str:
    root = local
    for _ in range(depth):
        root = parent_of(root) or root
    return root


# -- expanding wildcards --------------------------------------------------------------------------

def expand(location: Location) -> list[Location]:
    """The items a (leaf-)wildcard path names, sorted; a path without wildcards is returned as is."""
    if not has_wildcard(location.path):
        return [location]
    parent = parent_of(location.path) if location.provider == "FileSystem" else location.path.rsplit("\\", 1)[0]
    pattern = location.path.rsplit("\\", 1)[-1].lower()
    if parent is None:
        return []
    return [location.child(parent + "\\" + name) for name in child_names(location.child(parent))
            if fnmatch.fnmatchcase(name.lower(), pattern)]


def child_names(location: Location) -> list[str]:
    if location.provider == "FileSystem":
        return location.machine.fs.list_dir(location.path)
    if location.provider == "Registry":
        return location.machine.platform.registry.subkeys(location.path)
    return [WSMAN_NAMES.get(name, name) for name in wsman_children(location.machine.platform.wsman, location.path)]


def exists(location: Location) -> bool:
    if location.provider == "FileSystem":
        return bool(location.machine.fs.exists(location.path))
    if location.provider == "Registry":
        return bool(location.machine.platform.registry.key_exists(location.path))
    return wsman_kind(location.machine.platform.wsman, location.path) is not None


def is_container(location: Location) -> bool:
    if location.provider == "FileSystem":
        return bool(location.machine.fs.is_dir(location.path))
    if location.provider == "Registry":
        return True
    return wsman_kind(location.machine.platform.wsman, location.path) == "container"


# -- WSMan tree -----------------------------------------------------------------------------------

def wsman_kind(wsman: dict[str, str], key: str) -> str | None:
    """"leaf", "container" or None. The drive root ("") and every prefix of a leaf are containers."""
    key = key.lower().strip("\\")
    if key in wsman:
        return "leaf"
    if key == "" or any(k.startswith(key + "\\") for k in wsman):
        return "container"
    return None


def wsman_children(wsman: dict[str, str], key: str) -> list[str]:
    key = key.lower().strip("\\")
    prefix = key + "\\" if key else ""
    names: list[str] = []
    for existing in sorted(wsman):
        if existing.startswith(prefix):
            head = existing[len(prefix):].split("\\", 1)[0]
            if head not in names:
                names.append(head)
    return names


def wsman_display(key: str) -> str:
    return "\\".join(WSMAN_NAMES.get(part, part) for part in key.lower().split("\\") if part)


# -- output objects -------------------------------------------------------------------------------

def _ps_common(provider: str, ps_path: str, parent: str | None, child: str, drive: str | None,
               container: bool) -> dict[str, typing.Any]:
    return {"PSPath": f"{provider}::{ps_path}", "PSParentPath": f"{provider}::{parent}" if parent is not None else "",
            "PSChildName": child, "PSDrive": drive, "PSProvider": provider, "PSIsContainer": container}


def fs_object(location: Location) -> PSOutObject:
    fs = location.machine.fs
    local = fs.display_path(location.path)
    shown = location.shown(local)
    entry: FileEntry | None = fs.get(location.path)
    name = leaf_name(shown) if "\\" in shown.strip("\\") else shown
    parent = parent_of(shown) if not shown.startswith("\\\\") or shown.count("\\") > 3 else None
    drive = None if shown.startswith("\\\\") else shown[0].upper()
    common = _ps_common(FS_PROVIDER, shown, parent, name, drive, entry is None)
    times = {field: FILE_TIME for field in ("CreationTime", "CreationTimeUtc", "LastWriteTime", "LastWriteTimeUtc",
                                            "LastAccessTime", "LastAccessTimeUtc")}
    if entry is None:
        return shaped(
            [DIRECTORY_TYPE, "System.IO.FileSystemInfo", "System.MarshalByRefObject"],
            {"Name": name, "FullName": shown, "Parent": leaf_name(parent) if parent else None,
             "Root": shown[:3] if drive else "\\\\" + "\\".join(shown[2:].split("\\")[:2]), "Exists": True,
             "Mode": "d-----", "Attributes": PSEnumValue("System.IO.FileAttributes", "Directory", 16),
             "Extension": "", **times, **common},
            to_string=shown)
    extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return shaped(
        [FILE_TYPE, "System.IO.FileSystemInfo", "System.MarshalByRefObject"],
        {"Name": name, "FullName": shown, "Length": Int64(entry.size), "Extension": extension,
         "BaseName": name[:len(name) - len(extension)] if extension else name,
         "DirectoryName": parent, "Directory": parent, "IsReadOnly": False, "Exists": True,
         "Mode": "-a----", "Attributes": PSEnumValue("System.IO.FileAttributes", "Archive", 32),
         **times, **common},
        to_string=shown)


def registry_value(kind: str, value: typing.Any) -> typing.Any:
    """A value as PowerShell returns it: DWORD as Int32, QWORD as Int64, REG_EXPAND_SZ expanded."""
    if kind == "DWord":
        return value - 2**32 if value >= 2**31 else value
    if kind == "QWord":
        return Int64(value - 2**64 if value >= 2**63 else value)
    if kind == "ExpandString":
        return str(value).replace("%SystemRoot%", "C:\\Windows").replace("%windir%", "C:\\Windows")
    return value


def _registry_common(key: RegistryKey) -> dict[str, typing.Any]:
    long = long_name(key.name)
    parent = long.rsplit("\\", 1)[0] if "\\" in long else None
    return _ps_common(REG_PROVIDER, long, parent, long.rsplit("\\", 1)[-1], key.name.split("\\", 1)[0].upper(), True)


def registry_key_object(location: Location) -> PSOutObject:
    registry = location.machine.platform.registry
    key = registry.get_key(location.path)
    assert key is not None
    long = long_name(key.name)
    return shaped(
        [REGISTRY_KEY_TYPE, "System.MarshalByRefObject"],
        {"Name": long, "SubKeyCount": len(registry.subkeys(location.path)), "ValueCount": len(key.values),
         "Property": list(key.values), "View": "Default", "Handle": None, **_registry_common(key)},
        to_string=long)


def registry_properties_object(location: Location, names: list[str] | None) -> PSOutObject:
    """Get-ItemProperty's PSCustomObject: the key's values (all, or ``names``) plus the PS* properties."""
    key = location.machine.platform.registry.get_key(location.path)
    assert key is not None
    properties: dict[str, typing.Any] = {}
    for name, (kind, value) in key.values.items():
        if names is None or any(fnmatch.fnmatchcase(name.lower(), n.lower()) for n in names):
            properties[name or "(default)"] = registry_value(kind, value)
    common = _registry_common(key)
    common.pop("PSIsContainer")
    return PSOutObject(type_names=["System.Management.Automation.PSCustomObject"],
                       properties={**properties, **common})


def wsman_object(location: Location) -> PSOutObject:
    wsman = location.machine.platform.wsman
    key = location.path.lower().strip("\\")
    shown = wsman_display(key)
    parent = shown.rsplit("\\", 1)[0] if "\\" in shown else None
    name = shown.rsplit("\\", 1)[-1] if shown else "WSMan"
    if wsman_kind(wsman, key) == "leaf":
        common = _ps_common(WSMAN_PROVIDER, shown, parent, name, "WSMan", False)
        return shaped([WSMAN_LEAF_TYPE, "Microsoft.WSMan.Management.WSManConfigElement"],
                      {"Name": name, "Value": wsman[key], "Type": "System.String", "SourceOfValue": "", **common},
                      to_string=name)
    common = _ps_common(WSMAN_PROVIDER, shown, parent, name, "WSMan", True)
    return PSOutObject(type_names=["Microsoft.WSMan.Management.WSManConfigContainerElement",
                                   "Microsoft.WSMan.Management.WSManConfigElement"],
                       properties={"Name": name, "TypeNameOfElement": "Container", "Keys": [], **common},
                       to_string=name)


def item_object(location: Location) -> PSOutObject:
    if location.provider == "FileSystem":
        return fs_object(location)
    if location.provider == "Registry":
        return registry_key_object(location)
    return wsman_object(location)


def fs_error(cmdlet_name: str, err: FsError, shown: str) -> ErrorInfo:
    """A FsError worded as PowerShell words it."""
    kind = err.kind
    if kind == "not_found":
        return pserrors.path_not_found(cmdlet_name, shown)
    if kind == "parent_not_found":
        return pserrors.io_error(cmdlet_name, "NewItemIOError", f"Could not find a part of the path '{shown}'.", shown,
                                 pserrors.E_PATH_NOT_FOUND, "WriteError", "System.IO.DirectoryNotFoundException")
    if kind == "no_space":
        return pserrors.io_error(cmdlet_name, "NewItemIOError", "There is not enough space on the disk.", shown,
                                 pserrors.E_DISK_FULL)
    if kind == "in_use":
        fqid = {"Copy-Item": "CopyFileInfoItemIOError", "Move-Item": "MoveFileInfoItemIOError"}.get(
            cmdlet_name, "RemoveFileSystemItemIOError")
        return pserrors.io_error(cmdlet_name, fqid,
                                 f"The process cannot access the file '{shown}' because it is being used by another "
                                 "process.", shown, pserrors.E_SHARING_VIOLATION)
    if kind == "exists":
        return pserrors.io_error(cmdlet_name, "MoveFileInfoItemIOError",
                                 "Cannot create a file when that file already exists.", shown,
                                 pserrors.E_ALREADY_EXISTS)
    if kind in ("network_path", "network_name"):
        return pserrors.network_error(cmdlet_name, shown, kind)
    if kind == "no_volume":
        return pserrors.drive_not_found(cmdlet_name, shown)
    return pserrors.io_error(cmdlet_name, "ItemIOError", f"The operation on '{shown}' failed ({kind}).", shown)
