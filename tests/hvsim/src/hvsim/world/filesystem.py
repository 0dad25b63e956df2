"""A machine's file system: volumes, folders and files (VHD/VHDX files carry their disk metadata).

State only (plus the estate builder and UNC path resolution); the cmdlets acting on it live in
hvsim.world.items (Get-Item, Copy-Item, ...) and hvsim.world.vhd (Get-VHD, New-VHD, ...).

Paths are case-insensitive, ``/`` reads as ``\\``, a trailing ``\\`` is ignored. Files charge their
size to their volume: a volume's ``used`` is what the estate says it holds besides the listed files
(``used_gb``) plus every file written.
"""

from __future__ import annotations

import dataclasses
import ntpath
import typing
import uuid
from dataclasses import dataclass, field

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

GIB = 1024**3
MIB = 1024**2
# every disk identifier is derived from this namespace, so an estate always builds the same world
DISK_ID_NAMESPACE = uuid.UUID("5d7c2f4e-8a61-4c1b-9a0e-2b7f3e9c6d10")


class FsError(Exception):
    """A file system operation that Windows refuses; ``kind`` tells the cmdlet which error to word.

    kinds: not_found, parent_not_found, exists, no_volume, no_space, in_use, not_empty, is_dir,
    is_file, network_path, network_name
    """

    def __init__(self, kind: str, path: str, message: str = "") -> None:
        super().__init__(message or f"{kind}: {path}")
        self.kind = kind
        self.path = path


@dataclass
class Volume:
    letter: str  # "C:"
    size: int  # bytes
    label: str = ""
    used: int = 0  # bytes
    file_system: str = "NTFS"


@dataclass
class VhdInfo:
    format: str  # "VHD" | "VHDX"
    vhd_type: str  # "Fixed" | "Dynamic" | "Differencing"
    size: int  # virtual size, bytes
    parent_path: str | None
    disk_identifier: str  # GUID string; copies keep it (same_as in the estate)
    block_size: int = 33554432
    logical_sector_size: int = 512
    physical_sector_size: int = 4096
    # extension (FILES): the identifier of the parent this differencing disk was made from
    # (Set-VHD -ParentPath checks a new parent against it unless -IgnoreIdMismatch)
    parent_identifier: str | None = None


@dataclass
class FileEntry:
    path: str  # as created (original case), absolute, backslashes
    size: int  # bytes on disk (FileSize)
    vhd: VhdInfo | None = None
    attached_to: str | None = None  # VMId of the VM holding it open (set/cleared by hyperv)
    shared_read: bool = False  # the holder opened it read-only and lets others read (a differencing disk's parent)


# -- paths ---------------------------------------------------------------------------------------

def clean_path(path: str) -> str:
    """``d:/x//y\\`` -> ``D:\\x\\y`` (original case kept, the drive letter upper-cased); UNC kept as UNC."""
    text = path.replace("/", "\\").strip()
    if text.startswith("\\\\"):
        rest = "\\".join(part for part in text[2:].split("\\") if part)
        return "\\\\" + ntpath.normpath(rest) if rest else "\\\\"
    if len(text) >= 2 and text[1] == ":":
        drive = text[0].upper() + ":"
        rest = [part for part in text[2:].split("\\") if part and part != "."]
        parts: list[str] = []
        for part in rest:
            if part == "..":
                if parts:
                    parts.pop()
            else:
                parts.append(part)
        return drive + ("\\" + "\\".join(parts) if parts else "")
    return text.rstrip("\\")


def path_key(path: str) -> str:
    return clean_path(path).lower()


def parent_of(path: str) -> str | None:
    """The folder holding ``path``; None for a volume root (``C:``)."""
    clean = clean_path(path)
    if "\\" not in clean:
        return None
    return clean.rsplit("\\", 1)[0]


def leaf_name(path: str) -> str:
    clean = clean_path(path)
    return clean.rsplit("\\", 1)[-1] if "\\" in clean else clean + "\\"


def is_unc(path: str) -> bool:
    return path.replace("/", "\\").startswith("\\\\")


def disk_identifier(machine: str, path: str, serial: int = 0) -> str:
    """A deterministic disk identifier (upper-case GUID, as Get-VHD shows it)."""
    name = f"{machine.lower()}:{path_key(path)}" + (f"#{serial}" if serial else "")
    return str(uuid.uuid5(DISK_ID_NAMESPACE, name)).upper()


def format_of(path: str) -> str | None:
    """'VHD' or 'VHDX' from the file name extension; None for anything else."""
    extension = ntpath.splitext(path)[1].lower()
    return {".vhd": "VHD", ".avhd": "VHD", ".vhdx": "VHDX", ".avhdx": "VHDX"}.get(extension)


# -- the file system -----------------------------------------------------------------------------

@dataclass
class FileSystem:
    volumes: dict[str, Volume] = field(default_factory=dict)  # "C:" -> Volume
    folders: dict[str, str] = field(default_factory=dict)  # lower-case path -> path as created
    files: dict[str, FileEntry] = field(default_factory=dict)  # lower-case path -> file
    machine: str = ""  # owner's short name (disk identifiers of new disks derive from it)
    serial: int = 0  # counts disks created at run time (their identifiers stay deterministic)

    # -- questions --------------------------------------------------------------------------
    def volume_of(self, path: str) -> Volume | None:
        clean = clean_path(path)
        if len(clean) < 2 or clean[1] != ":":
            return None
        return self.volumes.get(clean[:2].upper())

    def is_dir(self, path: str) -> bool:
        key = path_key(path)
        if len(key) == 2 and key[1] == ":":
            return key.upper() in self.volumes
        return key in self.folders

    def is_file(self, path: str) -> bool:
        return path_key(path) in self.files

    def exists(self, path: str) -> bool:
        return self.is_file(path) or self.is_dir(path)

    def get(self, path: str) -> FileEntry | None:
        return self.files.get(path_key(path))

    def display_path(self, path: str) -> str:
        """The path with the case it was created with (as Windows reports it)."""
        key = path_key(path)
        if key in self.files:
            return self.files[key].path
        if key in self.folders:
            return self.folders[key]
        return clean_path(path)

    def list_dir(self, path: str) -> list[str]:
        """Names of the files and folders directly inside ``path`` (like os.listdir), folders first."""
        prefix = path_key(path) + "\\"
        folders = sorted((leaf_name(p) for k, p in self.folders.items()
                          if k.startswith(prefix) and "\\" not in k[len(prefix):]), key=str.lower)
        files = sorted((leaf_name(f.path) for k, f in self.files.items()
                        if k.startswith(prefix) and "\\" not in k[len(prefix):]), key=str.lower)
        return folders + files

    def walk_files(self, path: str) -> list[FileEntry]:
        """Every file at or below ``path``."""
        key = path_key(path)
        return [f for k, f in self.files.items() if k == key or k.startswith(key + "\\")]

    def free_space(self, volume_or_path: str) -> int:
        volume = self.volume_of(volume_or_path)
        if volume is None:
            return 0
        return max(volume.size - volume.used, 0)

    # -- changes ----------------------------------------------------------------------------
    def _require_volume(self, path: str) -> Volume:
        volume = self.volume_of(path)
        if volume is None:
            raise FsError("no_volume", clean_path(path))
        return volume

    def mkdir(self, path: str) -> None:
        """Create the folder and its parents (an existing folder is fine)."""
        clean = clean_path(path)
        self._require_volume(clean)
        parent = parent_of(clean)
        if parent is None:
            return
        if path_key(clean) in self.files:
            raise FsError("is_file", clean)
        self.mkdir(parent)
        self.folders.setdefault(path_key(clean), clean)

    def write_file(self, path: str, size: int | bytes = 0, vhd: VhdInfo | None = None) -> FileEntry:
        """Create or replace a file (parent folders are created); its size is charged to its volume.

        ``size`` may be bytes (the content; only its length is kept).
        """
        clean = clean_path(path)
        length = len(size) if isinstance(size, (bytes, bytearray)) else int(size)
        volume = self._require_volume(clean)
        if self.is_dir(clean):
            raise FsError("is_dir", clean)
        old = self.files.get(path_key(clean))
        refund = old.size if old is not None else 0
        if length - refund > self.free_space(clean):
            raise FsError("no_space", clean)
        parent = parent_of(clean)
        if parent is not None:
            self.mkdir(parent)
        volume.used += length - refund
        entry = FileEntry(path=old.path if old is not None else clean, size=length, vhd=vhd)
        self.files[path_key(clean)] = entry
        return entry

    def resize_file(self, path: str, size: int) -> None:
        """Change a file's size on disk (a disk that grew or shrank), charging the difference."""
        entry = self.get(path)
        if entry is None:
            raise FsError("not_found", clean_path(path))
        delta = size - entry.size
        if delta > self.free_space(path):
            raise FsError("no_space", entry.path)
        volume = self._require_volume(entry.path)
        volume.used += delta
        entry.size = size

    def remove(self, path: str, recurse: bool = False) -> None:
        """Delete a file, or a folder (with ``recurse`` also one that has content)."""
        clean = clean_path(path)
        key = path_key(clean)
        if key in self.files:
            entry = self.files[key]
            if entry.attached_to:
                raise FsError("in_use", entry.path)
            del self.files[key]
            self._require_volume(clean).used -= entry.size
            return
        if not self.is_dir(clean):
            raise FsError("not_found", clean)
        if parent_of(clean) is None:
            raise FsError("is_dir", clean)  # a volume root cannot be deleted
        inside = [k for k in (*self.folders, *self.files) if k.startswith(key + "\\")]
        if inside and not recurse:
            raise FsError("not_empty", self.display_path(clean))
        busy = [f for f in self.walk_files(clean) if f.attached_to]
        if busy:
            raise FsError("in_use", busy[0].path)
        for entry in self.walk_files(clean):
            del self.files[path_key(entry.path)]
            self._require_volume(clean).used -= entry.size
        for folder in [k for k in self.folders if k == key or k.startswith(key + "\\")]:
            del self.folders[folder]

    def copy(self, src: str, dst_fs: FileSystem, dst_path: str) -> None:
        """Copy a file or folder (recursively) to ``dst_path`` on ``dst_fs``; disks keep their identity."""
        source = clean_path(src)
        target = clean_path(dst_path)
        if self.is_file(source):
            entry = self.files[path_key(source)]
            if entry.attached_to and not entry.shared_read:
                raise FsError("in_use", entry.path)
            if dst_fs.is_dir(target):
                raise FsError("is_dir", target)
            parent = parent_of(target)
            if parent is not None and not dst_fs.is_dir(parent):
                raise FsError("parent_not_found", target)
            vhd = dataclasses.replace(entry.vhd) if entry.vhd is not None else None
            dst_fs.write_file(target, entry.size, vhd)
            return
        if not self.is_dir(source):
            raise FsError("not_found", source)
        files = self.walk_files(source)
        busy = [f for f in files if f.attached_to and not f.shared_read]
        if busy:
            raise FsError("in_use", busy[0].path)
        needed = sum(f.size for f in files)
        if dst_fs.volume_of(target) is None:
            raise FsError("no_volume", target)
        if needed > dst_fs.free_space(target):
            raise FsError("no_space", target)
        dst_fs.mkdir(target)
        key = path_key(source)
        for folder in [p for k, p in self.folders.items() if k.startswith(key + "\\")]:
            dst_fs.mkdir(target + folder[len(source):])
        for entry in files:
            vhd = dataclasses.replace(entry.vhd) if entry.vhd is not None else None
            dst_fs.write_file(target + entry.path[len(source):], entry.size, vhd)

    def move(self, src: str, dst: str) -> None:
        """Rename/move a file or folder on this file system (across volumes: copy, then delete)."""
        source = clean_path(src)
        target = clean_path(dst)
        if not self.exists(source):
            raise FsError("not_found", source)
        if self.exists(target):
            raise FsError("exists", target)
        parent = parent_of(target)
        if parent is None or not self.is_dir(parent):
            raise FsError("parent_not_found", target)
        same_volume = source[:2].upper() == target[:2].upper()
        if not same_volume:
            self.copy(source, self, target)
            self.remove(source, recurse=True)
            return
        if self.is_file(source):
            entry = self.files.pop(path_key(source))
            if entry.attached_to:
                self.files[path_key(source)] = entry
                raise FsError("in_use", entry.path)
            entry.path = target
            self.files[path_key(target)] = entry
            return
        if any(f.attached_to for f in self.walk_files(source)):
            raise FsError("in_use", source)
        key = path_key(source)
        moved_folders = {k: p for k, p in self.folders.items() if k == key or k.startswith(key + "\\")}
        for k, p in moved_folders.items():
            del self.folders[k]
            new = target + p[len(source):]
            self.folders[path_key(new)] = new
        for entry in self.walk_files(source):
            del self.files[path_key(entry.path)]
            entry.path = target + entry.path[len(source):]
            self.files[path_key(entry.path)] = entry

    def fill_volume(self, volume: str) -> None:
        """Fault injection: the volume has no free space left."""
        found = self.volume_of(volume if ":" in volume else volume + ":")
        if found is None:
            raise ValueError(f"no volume {volume} on {self.machine}")
        found.used = max(found.used, found.size)

    def next_disk_identifier(self, path: str) -> str:
        """An identifier for a disk created at run time (deterministic: counts creations)."""
        self.serial += 1
        return disk_identifier(self.machine, path, self.serial)


# -- UNC paths -----------------------------------------------------------------------------------

def resolve(world: World, machine: Machine, path: str) -> tuple[Machine, str]:
    """``\\\\server\\share\\rest`` -> (the server, its local path) via its SMB shares (or ``X$``
    administrative shares); a local path -> (machine, path). Raises FsError(network_path |
    network_name) when the server or share is not there."""
    if not is_unc(path):
        return machine, clean_path(path)
    parts = [p for p in path.replace("/", "\\")[2:].split("\\") if p]
    if len(parts) < 2:
        raise FsError("network_name", path)
    server = world.machine(parts[0])
    if server is None or server.role == "appliance":
        raise FsError("network_path", path)
    share = parts[1]
    rest = parts[2:]
    if len(share) == 2 and share[1] == "$" and share[0].isalpha():
        root = share[0].upper() + ":"
        if server.fs is None or root not in server.fs.volumes:
            raise FsError("network_name", path)
        return server, clean_path(root + "\\" + "\\".join(rest))
    shares = getattr(server.smb, "shares", {}) if server.smb is not None else {}
    found = shares.get(share.lower())
    if found is None:
        raise FsError("network_name", path)
    return server, clean_path(found.path + ("\\" + "\\".join(rest) if rest else ""))


# -- the estate's `fs:` section ------------------------------------------------------------------

def _vhd_from_spec(machine: Machine, path: str, spec: dict[str, typing.Any], same_as: str | None) -> VhdInfo:
    fmt = str(spec.get("format") or format_of(path) or "VHDX").upper()
    vhd_type = str(spec.get("type", "Dynamic")).capitalize()
    if same_as:
        owner, _, other = same_as.partition(":")
        identifier = disk_identifier(owner, other)
    else:
        identifier = disk_identifier(machine.name, path)
    parent = spec.get("parent")
    return VhdInfo(
        format=fmt,
        vhd_type=vhd_type,
        size=int(float(spec.get("size_gb", 0)) * GIB) or int(spec.get("size_bytes", 0)),
        parent_path=clean_path(parent) if parent else None,
        disk_identifier=identifier,
        block_size=0 if vhd_type == "Fixed" else (2 * MIB if fmt == "VHD" else 32 * MIB),
        logical_sector_size=512,
        physical_sector_size=512 if fmt == "VHD" else 4096,
        parent_identifier=disk_identifier(machine.name, parent) if parent else None,
    )


def build(machine: Machine, spec: dict[str, typing.Any], world: World) -> FileSystem:
    """The machine's file system from its ``fs:`` section (volumes, folders, files)."""
    fs = FileSystem(machine=machine.name)
    volumes = spec.get("volumes") or {"C:": {"size_gb": 256, "used_gb": 40, "label": ""}}
    for letter, info in volumes.items():
        name = clean_path(str(letter))[:2].upper()
        info = info or {}
        fs.volumes[name] = Volume(
            letter=name,
            size=int(float(info.get("size_gb", 256)) * GIB),
            label=str(info.get("label", "")),
            used=int(float(info.get("used_gb", 0)) * GIB),
            file_system=str(info.get("file_system", "NTFS")),
        )
    for folder in spec.get("folders", []):
        fs.mkdir(str(folder))
    for item in spec.get("files", []):
        path = str(item["path"])
        size = int(float(item.get("size_mb", 0)) * MIB) or int(item.get("size_bytes", 0))
        vhd = _vhd_from_spec(machine, path, item["vhd"], item.get("same_as")) if item.get("vhd") else None
        fs.write_file(path, size, vhd)
    return fs
