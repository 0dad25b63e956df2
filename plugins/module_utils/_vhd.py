# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Virtual hard disk files: the facts about VHD/VHDX every module shares (pure, no I/O).

FOR INTERNAL COLLECTION USE ONLY.

The format of a disk is its file extension (Hyper-V refuses a .vhdx that is not VHDX), sizes are
bytes, and a disk's parent chain is read with Get-VHD, one level per round trip.
"""

from __future__ import annotations

import dataclasses
import ntpath
import typing as t

from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

VHD_TYPES = ("fixed", "dynamic", "differencing")
VHD_PROPERTIES = ["Path", "VhdFormat", "VhdType", "Size", "FileSize", "MinimumSize", "ParentPath", "Attached"]
GIB = 1024**3
# Hyper-V's limits: a VHD holds at most 2040 GB, a VHDX 64 TB.
MAX_SIZE = {"vhd": 2040 * GIB, "vhdx": 64 * 1024**4}


def disk_format(path: str) -> str | None:
    """'vhd' or 'vhdx' from the file name; None for anything else."""
    extension = ntpath.splitext(path)[1].lower()
    return {".vhd": "vhd", ".vhdx": "vhdx", ".avhd": "vhd", ".avhdx": "vhdx"}.get(extension)


def same_path(left: str | None, right: str | None) -> bool:
    """Windows paths are case-insensitive and may be written with either slash."""
    if left is None or right is None:
        return left is right
    return normalize_path(left) == normalize_path(right)


def normalize_path(path: str) -> str:
    return ntpath.normpath(path.replace("/", "\\")).rstrip("\\").lower()


def parse_size(value: t.Any, what: str) -> int:
    """A size given as bytes (int) or text with a unit ('40GB', '512 MB'); units are binary (1 GB = 1024 MB)."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: not a size: {value!r}")
    if isinstance(value, int):
        size = value
    else:
        try:
            size = human_to_bytes(str(value).strip().upper())
        except ValueError as exc:
            raise ValueError(f"{what}: not a size: {value!r} (write it like 40GB, 512MB or a number of bytes)") from exc
    if size <= 0:
        raise ValueError(f"{what} must be greater than 0, not {value!r}")
    return size


def size_problems(path: str, size: int) -> list[str]:
    problems = []
    fmt = disk_format(path)
    if fmt and size > MAX_SIZE[fmt]:
        problems.append(f"{path}: {size} bytes is more than a {fmt.upper()} can hold ({MAX_SIZE[fmt] // GIB} GB)")
    if size % 512:
        problems.append(f"{path}: the size must be a multiple of 512 bytes, not {size}")
    return problems


@dataclasses.dataclass(frozen=True)
class VhdFile:
    """One disk file as Get-VHD reports it."""

    path: str
    vhd_format: str  # vhd | vhdx
    vhd_type: str  # fixed | dynamic | differencing
    size: int
    file_size: int | None
    minimum_size: int | None
    parent_path: str | None
    attached: bool | None

    def to_result(self) -> dict[str, t.Any]:
        return {
            "path": self.path,
            "format": self.vhd_format,
            "type": self.vhd_type,
            "size": self.size,
            "file_size": self.file_size,
            "minimum_size": self.minimum_size,
            "parent_path": self.parent_path,
            "attached": self.attached,
        }


def _optional_int(value: t.Any) -> int | None:
    return None if value in (None, "") else int(value)


def parse_vhd(row: dict[str, t.Any]) -> VhdFile:
    return VhdFile(
        path=str(row.get("Path")),
        vhd_format=str(row.get("VhdFormat") or disk_format(str(row.get("Path"))) or "").lower(),
        vhd_type=str(row.get("VhdType") or "").lower(),
        size=int(row.get("Size") or 0),
        file_size=_optional_int(row.get("FileSize")),
        minimum_size=_optional_int(row.get("MinimumSize")),
        parent_path=str(row["ParentPath"]) if row.get("ParentPath") else None,
        attached=row.get("Attached") if isinstance(row.get("Attached"), bool) else None,
    )


def get_vhd(paths: t.Sequence[str]) -> Cmd:
    """Get-VHD for files that may not exist (a missing file yields no row, not an error)."""
    return Cmd("Get-VHD", {"Path": list(paths)}, select=VHD_PROPERTIES, missing_ok=True)


def index_vhds(rows: t.Iterable[dict[str, t.Any]]) -> dict[str, VhdFile]:
    """Parsed Get-VHD rows by normalized path."""
    found: dict[str, VhdFile] = {}
    for row in rows:
        if isinstance(row, dict) and row.get("Path"):
            vhd = parse_vhd(row)
            found[normalize_path(vhd.path)] = vhd
    return found


def missing_parents(known: dict[str, VhdFile]) -> list[str]:
    """Parent paths named by known disks that have not been read yet (the next level of the chains)."""
    wanted: list[str] = []
    for vhd in known.values():
        if vhd.parent_path and normalize_path(vhd.parent_path) not in known and vhd.parent_path not in wanted:
            wanted.append(vhd.parent_path)
    return wanted


MAX_CHAIN_DEPTH = 16


def read_chains(run: t.Callable[..., list[list[t.Any]]], known: dict[str, VhdFile]) -> None:
    """Read the parents of ``known`` disks with ``run`` (HostClient.run), one level per round trip."""
    asked: set[str] = set()
    for _level in range(MAX_CHAIN_DEPTH):
        wanted = [p for p in missing_parents(known) if normalize_path(p) not in asked]
        if not wanted:
            return
        asked.update(normalize_path(p) for p in wanted)
        known.update(index_vhds(run([get_vhd(wanted)], retry=True)[0]))


def chain(path: str, known: dict[str, VhdFile]) -> list[dict[str, t.Any]]:
    """The disk at ``path`` and its parents, leaf first; a parent that could not be read ends the chain
    with an entry whose ``missing`` is true."""
    links: list[dict[str, t.Any]] = []
    seen: set[str] = set()
    current: str | None = path
    while current is not None:
        key = normalize_path(current)
        if key in seen:
            break  # a loop in the chain; Hyper-V would refuse such a disk, we just stop
        seen.add(key)
        vhd = known.get(key)
        if vhd is None:
            links.append({"path": current, "missing": True})
            break
        links.append({**vhd.to_result(), "missing": False})
        current = vhd.parent_path
    return links


def folder_commands(folder: str) -> list[Cmd]:
    """Whether ``folder`` exists, and the files directly in it (hyperv_vhd_info picks the disks by extension)."""
    return [Cmd("Test-Path", {"LiteralPath": folder, "PathType": "Container"}),
            Cmd("Get-ChildItem", {"LiteralPath": folder, "File": True}, select=["FullName"], missing_ok=True)]


def disk_files(rows: t.Iterable[t.Any]) -> list[str]:
    """The VHD/VHDX/AVHD/AVHDX files of a Get-ChildItem listing, by name."""
    found = [str(row["FullName"]) for row in rows if isinstance(row, dict) and row.get("FullName")]
    return sorted((path for path in found if disk_format(path)), key=str.lower)


def report(path: str, known: dict[str, VhdFile]) -> dict[str, t.Any]:
    """hyperv_vhd_info's entry for ``path``: the disk, whether it is missing, and its chain (leaf first)."""
    vhd = known.get(normalize_path(path))
    if vhd is None:
        return {"path": path, "missing": True, "chain": []}
    return {**vhd.to_result(), "missing": False, "chain": chain(path, known)}


def new_vhd(path: str, vhd_type: str, size: int | None, parent_path: str | None) -> Cmd:
    """New-VHD for a fixed or dynamic disk of ``size`` bytes, or a differencing disk of ``parent_path``."""
    params: dict[str, t.Any] = {"Path": path}
    if vhd_type == "differencing":
        params.update(Differencing=True, ParentPath=parent_path)
        if size is not None:
            params["SizeBytes"] = size
    else:
        params["SizeBytes"] = size
        params["Fixed" if vhd_type == "fixed" else "Dynamic"] = True
    return Cmd("New-VHD", params, select=VHD_PROPERTIES)


def new_vhd_commands(path: str, vhd_type: str, size: int | None, parent_path: str | None) -> list[Cmd]:
    """The disk's folder (New-VHD does not create folders; ``-Force`` leaves an existing one as it is), then the disk."""
    commands = []
    folder = path.replace("/", "\\").rsplit("\\", 1)[0]
    if folder and not folder.endswith(":") and not (folder.startswith("\\\\") and folder.count("\\") <= 3):
        commands.append(Cmd("New-Item", {"ItemType": "Directory", "Path": folder, "Force": True}, select=["FullName"]))
    return [*commands, new_vhd(path, vhd_type, size, parent_path)]


def describe_new(path: str, vhd_type: str, size: int | None, parent_path: str | None) -> str:
    if vhd_type == "differencing":
        return f"create differencing disk '{path}' of parent '{parent_path}'"
    return f"create {vhd_type} disk '{path}' of {format_size(size or 0)}"


def format_size(size: int) -> str:
    for unit, factor in (("TB", 1024**4), ("GB", GIB), ("MB", 1024**2)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"
