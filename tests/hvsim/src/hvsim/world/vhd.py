"""Virtual hard disk files: Get-VHD, New-VHD, Resize-VHD, Convert-VHD, Set-VHD, Test-VHD, and which
files a VM holds open.

A VHD/VHDX is a FileEntry with VhdInfo (hvsim.world.filesystem). Paths may be local or UNC
(\\\\server\\share\\...), resolved through the file server's shares.
"""

from __future__ import annotations

import typing

from hvsim.contract import CmdletError, ErrorInfo, PSEnumValue, PSOutObject, UInt32, UInt64
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.shapes import shaped
from hvsim.world.filesystem import MIB, FileEntry, FsError, VhdInfo, clean_path, format_of, parent_of, resolve
from hvsim.world.pserrors import virtualization_error

if typing.TYPE_CHECKING:
    from hvsim.world.hyperv import HyperVState
    from hvsim.world.model import Machine

VHD_MAX = 2040 * 1024**3
VHDX_MAX = 64 * 1024**4
VHD_TYPE = {"Unknown": 0, "Fixed": 2, "Dynamic": 3, "Differencing": 4}
VHD_FORMAT = {"Unknown": 0, "VHD": 2, "VHDX": 3, "VHDSet": 4}
MODULE = "Microsoft.Vhd.PowerShell.Cmdlets"


def _error(inv: Invocation, message: str, category: str = "InvalidArgument", target: str | None = None) -> ErrorInfo:
    return virtualization_error(inv.name, inv.name.replace("-", ""), category, message, target, MODULE)


def _fs_error(inv: Invocation, exc: FsError) -> ErrorInfo:
    words = {
        "not_found": ("The system cannot find the file specified. (0x80070002)", "ObjectNotFound"),
        "parent_not_found": ("The system cannot find the path specified. (0x80070003)", "ObjectNotFound"),
        "exists": ("The file exists. (0x80070050)", "ResourceExists"),
        "no_volume": ("The system cannot find the path specified. (0x80070003)", "ObjectNotFound"),
        "no_space": ("There is not enough space on the disk. (0x80070070)", "ResourceUnavailable"),
        "in_use": ("The process cannot access the file because it is being used by another process. (0x80070020)",
                   "ResourceBusy"),
        "network_path": ("The network path was not found. (0x80070035)", "ObjectNotFound"),
        "network_name": ("The network name cannot be found. (0x80070043)", "ObjectNotFound"),
    }
    message, category = words.get(exc.kind, (str(exc), "InvalidOperation"))
    return _error(inv, f"Failed to access '{exc.path}'.\n{message}", category, exc.path)


def _locate(inv: Invocation, path: str) -> tuple[Machine, str]:
    machine = inv.world.machines[inv.principal.machine]
    try:
        return resolve(inv.world, machine, path)
    except FsError as exc:
        raise CmdletError(_fs_error(inv, exc)) from None


def vhd_object(requested: str, entry: FileEntry, session_machine: Machine) -> PSOutObject:
    """Get-VHD's object: a UNC path as asked for, a local one as the file system spells it."""
    shown_path = clean_path(requested) if requested.startswith("\\\\") else entry.path
    info = typing.cast(VhdInfo, entry.vhd)
    return shaped(
        ["Microsoft.Vhd.PowerShell.VirtualHardDisk"],
        {
            "ComputerName": session_machine.netbios, "Path": shown_path,
            "VhdFormat": PSEnumValue("Microsoft.Vhd.PowerShell.VhdFormat", info.format, VHD_FORMAT[info.format]),
            "VhdType": PSEnumValue("Microsoft.Vhd.PowerShell.VhdType", info.vhd_type, VHD_TYPE[info.vhd_type]),
            "FileSize": UInt64(entry.size), "Size": UInt64(info.size),
            "MinimumSize": UInt64(min(info.size, _round_up(entry.size, MIB))) if entry.size > 16 * MIB else None,
            "LogicalSectorSize": UInt32(info.logical_sector_size), "PhysicalSectorSize": UInt32(info.physical_sector_size),
            "BlockSize": UInt32(info.block_size), "ParentPath": info.parent_path, "DiskIdentifier": info.disk_identifier,
            "FragmentationPercentage": 0 if info.vhd_type != "Fixed" else None, "Alignment": 1,
            "Attached": entry.attached_to is not None, "DiskNumber": None, "IsPMEMCompatible": False,
            "AddressAbstractionType": PSEnumValue(
                "Microsoft.Virtualization.Client.Management.VirtualHardDiskPmemAddressAbstractionType", "None", 0),
        },
        to_string=shown_path)


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def _vhd_entry(inv: Invocation, path: str, write_errors: bool = True) -> tuple[Machine, str, FileEntry] | None:
    owner, local = _locate(inv, path)
    entry = owner.fs.get(local)
    if entry is None:
        if write_errors:
            inv.write_error(_error(inv, f"Getting the mounted storage instance for the path '{path}' failed.\n"
                                        "The system cannot find the file specified.", "ObjectNotFound", path))
        return None
    if entry.vhd is None:
        if write_errors:
            inv.write_error(_error(inv, f"The file '{path}' is not a virtual hard disk file.\nThe file or directory "
                                        "is corrupted and unreadable. (0x80070570)", "InvalidData", path))
        return None
    return owner, local, entry


@cmdlet("Get-VHD")
def get_vhd(inv: Invocation) -> typing.Iterator[PSOutObject]:
    session = inv.world.machines[inv.principal.machine]
    paths = inv.get("Path")
    if paths is None and inv.get("VMId") is not None:
        from hvsim.world.hyperv import host_of

        _machine, state = host_of(inv)
        paths = []
        for vm_id in inv.get("VMId"):
            vm = state.vms.get(str(vm_id).lower())
            if vm is not None:
                paths.extend(d.path for d in vm.hard_drives if d.path)
    for path in paths or []:
        found = _vhd_entry(inv, path)
        if found is not None:
            _owner, _local, entry = found
            yield vhd_object(path, entry, session)


def _size_for(info: VhdInfo) -> int:
    """Bytes a new file takes on disk."""
    if info.vhd_type == "Fixed":
        return info.size + (512 if info.format == "VHD" else 4 * MIB)
    return 4 * MIB if info.format == "VHDX" else 64 * 1024


@cmdlet("New-VHD")
def new_vhd(inv: Invocation) -> typing.Iterator[PSOutObject]:
    for path in inv.get("Path"):
        yield _new_vhd(inv, path)


def _new_vhd(inv: Invocation, path: str) -> PSOutObject:
    session = inv.world.machines[inv.principal.machine]
    owner, local = _locate(inv, path)
    fmt = format_of(local)
    if fmt is None:
        raise CmdletError(_error(inv, f"Failed to create the virtual hard disk.\nThe file name '{path}' does not have a "
                                      "supported extension (.vhd or .vhdx).", "InvalidArgument", path))
    if owner.fs.exists(local):
        raise CmdletError(_error(inv, f"Failed to create the virtual hard disk.\nThe system failed to create '{path}'. "
                                      "The file exists. (0x80070050)", "ResourceExists", path))
    folder = parent_of(local)
    if folder is None or not owner.fs.is_dir(folder):
        raise CmdletError(_error(inv, f"Failed to create the virtual hard disk.\nThe system failed to create '{path}'. "
                                      "The system cannot find the path specified. (0x80070003)", "ObjectNotFound", path))
    if inv.get("Differencing") or inv.parameter_set.startswith("Differencing"):
        parent_path = inv.get("ParentPath")
        found = _vhd_entry(inv, parent_path, write_errors=False)
        if found is None:
            raise CmdletError(_error(inv, f"Failed to create the virtual hard disk.\nThe parent virtual disk "
                                          f"'{parent_path}' cannot be found. (0x80070002)", "ObjectNotFound", parent_path))
        parent = typing.cast(VhdInfo, found[2].vhd)
        if parent.format != fmt:
            raise CmdletError(_error(inv, f"Failed to create the virtual hard disk.\nThe format of the parent "
                                          f"'{parent_path}' ({parent.format}) does not match the differencing disk's "
                                          f"({fmt}).", "InvalidArgument", path))
        info = VhdInfo(format=fmt, vhd_type="Differencing", size=parent.size, parent_path=clean_path(parent_path),
                       disk_identifier=owner.fs.next_disk_identifier(local),
                       block_size=2 * MIB if fmt == "VHD" else 2 * MIB, parent_identifier=parent.disk_identifier,
                       physical_sector_size=parent.physical_sector_size, logical_sector_size=parent.logical_sector_size)
    else:
        size = inv.get("SizeBytes")
        limit = VHD_MAX if fmt == "VHD" else VHDX_MAX
        if size is None or size < 3 * MIB or size > limit or size % 512:
            raise CmdletError(_error(inv, f"Failed to create the virtual hard disk.\nThe size {size} is not valid for a "
                                          f"{fmt} file: it must be a multiple of 512 bytes between 3 MB and "
                                          f"{limit // 1024**3} GB.", "InvalidArgument", path))
        vhd_type = "Fixed" if inv.get("Fixed") else "Dynamic"
        info = VhdInfo(format=fmt, vhd_type=vhd_type, size=int(size), parent_path=None,
                       disk_identifier=owner.fs.next_disk_identifier(local),
                       block_size=0 if vhd_type == "Fixed" else (2 * MIB if fmt == "VHD" else 32 * MIB),
                       logical_sector_size=512, physical_sector_size=512 if fmt == "VHD" else 4096)
        if inv.get("BlockSizeBytes"):
            info.block_size = int(inv.get("BlockSizeBytes"))
    if info.vhd_type == "Fixed":  # a fixed disk is written out in full (zeroed) before New-VHD returns
        inv.take_time(inv.world.transfer_seconds(owner.name, owner.name, info.size))
        if owner.fs.exists(local):
            raise CmdletError(_error(inv, f"Failed to create the virtual hard disk.\nThe system failed to create "
                                          f"'{path}'. The file exists. (0x80070050)", "ResourceExists", path))
    try:
        entry = owner.fs.write_file(local, _size_for(info), info)
    except FsError as exc:
        raise CmdletError(_fs_error(inv, exc)) from None
    return vhd_object(path, entry, session)


def _require_detached(inv: Invocation, entry: FileEntry, path: str, online_ok: bool = False) -> None:
    if entry.attached_to is not None and not online_ok:
        raise CmdletError(_error(inv, f"The virtual disk '{path}' is in use by a virtual machine (ID "
                                      f"{entry.attached_to.upper()}) and cannot be changed while it is running.\n"
                                      "The process cannot access the file because it is being used by another "
                                      "process. (0x80070020)", "ResourceBusy", path))


@cmdlet("Resize-VHD")
def resize_vhd(inv: Invocation) -> typing.Iterator[PSOutObject]:
    for path in inv.get("Path"):
        shown = _resize_vhd(inv, path)
        if inv.get("Passthru") and shown is not None:
            yield shown


def _resize_vhd(inv: Invocation, path: str) -> PSOutObject | None:
    found = _vhd_entry(inv, path, write_errors=False)
    if found is None:
        raise CmdletError(_error(inv, f"Failed to resize the virtual disk.\nThe system cannot find the file '{path}'.",
                                 "ObjectNotFound", path))
    owner, local, entry = found
    info = typing.cast(VhdInfo, entry.vhd)
    online = info.format == "VHDX" and entry.attached_to is not None
    _require_detached(inv, entry, path, online_ok=online)
    if info.vhd_type == "Differencing":
        raise CmdletError(_error(inv, "Failed to resize the virtual disk.\nThe requested operation is not supported "
                                      "for a differencing virtual disk.", "InvalidOperation", path))
    wanted = int(inv.get("SizeBytes") if inv.get("SizeBytes") is not None else info.size)
    if inv.get("ToMinimumSize"):
        wanted = min(info.size, _round_up(entry.size, MIB))
    if wanted < info.size:
        minimum = min(info.size, _round_up(entry.size, MIB))
        if info.format == "VHD":
            raise CmdletError(_error(inv, "Failed to resize the virtual disk.\nShrinking is supported for VHDX files "
                                          "only.", "InvalidArgument", path))
        if wanted < minimum:
            raise CmdletError(_error(inv, f"Failed to resize the virtual disk.\nThe size specified for '{path}' is too "
                                          f"small. The minimum size of the virtual disk is {minimum} bytes.",
                                     "InvalidArgument", path))
    limit = VHD_MAX if info.format == "VHD" else VHDX_MAX
    if wanted > limit or wanted % 512:
        raise CmdletError(_error(inv, f"Failed to resize the virtual disk.\nThe size {wanted} is not valid.",
                                 "InvalidArgument", path))
    if info.vhd_type == "Fixed":
        try:
            owner.fs.resize_file(local, entry.size + wanted - info.size)
        except FsError as exc:
            raise CmdletError(_fs_error(inv, exc)) from None
    info.size = wanted
    return vhd_object(path, entry, inv.world.machines[inv.principal.machine])


@cmdlet("Convert-VHD")
def convert_vhd(inv: Invocation) -> typing.Iterator[PSOutObject]:
    path, destination = inv.get("Path"), inv.get("DestinationPath")
    found = _vhd_entry(inv, path, write_errors=False)
    if found is None:
        raise CmdletError(_error(inv, f"Failed to convert the virtual disk.\nThe system cannot find the file '{path}'.",
                                 "ObjectNotFound", path))
    owner, local, entry = found
    _require_detached(inv, entry, path)
    target_owner, target = _locate(inv, destination)
    fmt = format_of(target)
    if fmt is None:
        raise CmdletError(_error(inv, f"Failed to convert the virtual disk.\n'{destination}' does not have a .vhd or "
                                      ".vhdx extension.", "InvalidArgument", destination))
    if target_owner.fs.exists(target):
        raise CmdletError(_error(inv, f"Failed to convert the virtual disk.\nThe file '{destination}' already exists. "
                                      "(0x80070050)", "ResourceExists", destination))
    source = typing.cast(VhdInfo, entry.vhd)
    vhd_type = str(inv.get("VHDType") or ("Dynamic" if source.vhd_type == "Differencing" else source.vhd_type))
    vhd_type = next((t for t in ("Fixed", "Dynamic", "Differencing") if t.lower() == vhd_type.lower()), vhd_type)
    if fmt == "VHD" and source.size > VHD_MAX:
        raise CmdletError(_error(inv, f"Failed to convert the virtual disk.\nThe disk is {source.size} bytes; a VHD "
                                      "file holds at most 2040 GB.", "InvalidArgument", destination))
    info = VhdInfo(format=fmt, vhd_type=vhd_type, size=source.size,
                   parent_path=source.parent_path if vhd_type == "Differencing" else None,
                   disk_identifier=target_owner.fs.next_disk_identifier(target),
                   block_size=0 if vhd_type == "Fixed" else (2 * MIB if fmt == "VHD" else 32 * MIB),
                   logical_sector_size=512, physical_sector_size=512 if fmt == "VHD" else 4096,
                   parent_identifier=source.parent_identifier if vhd_type == "Differencing" else None)
    data = entry.size if source.vhd_type != "Fixed" else 16 * MIB
    on_disk = info.size + (512 if fmt == "VHD" else 4 * MIB) if vhd_type == "Fixed" else data
    try:
        written = target_owner.fs.write_file(target, on_disk, info)
        if inv.get("DeleteSource"):
            owner.fs.remove(local)
    except FsError as exc:
        raise CmdletError(_fs_error(inv, exc)) from None
    if inv.get("Passthru"):
        yield vhd_object(destination, written, inv.world.machines[inv.principal.machine])


@cmdlet("Set-VHD")
def set_vhd(inv: Invocation) -> None:
    path = inv.get("Path")
    found = _vhd_entry(inv, path, write_errors=False)
    if found is None:
        raise CmdletError(_error(inv, f"Failed to set the properties of '{path}'.\nThe system cannot find the file "
                                      "specified.", "ObjectNotFound", path))
    _owner, _local, entry = found
    info = typing.cast(VhdInfo, entry.vhd)
    parent_path = inv.get("ParentPath")
    if parent_path is not None:
        _require_detached(inv, entry, path)
        if info.vhd_type != "Differencing":
            raise CmdletError(_error(inv, f"'{path}' is not a differencing virtual disk; it has no parent to set.",
                                     "InvalidArgument", path))
        parent = _vhd_entry(inv, parent_path, write_errors=False)
        if parent is None:
            raise CmdletError(_error(inv, f"The parent virtual disk '{parent_path}' cannot be found.", "ObjectNotFound",
                                     parent_path))
        identifier = typing.cast(VhdInfo, parent[2].vhd).disk_identifier
        if info.parent_identifier and identifier != info.parent_identifier and not inv.get("IgnoreIdMismatch"):
            raise CmdletError(_error(inv, f"Failed to set new parent for the virtual disk '{path}'.\nThe identifier of "
                                          f"'{parent_path}' does not match the identifier the differencing disk was "
                                          "created from. Use -IgnoreIdMismatch only if you are sure.",
                                     "InvalidArgument", path))
        info.parent_path = clean_path(parent_path)
        info.parent_identifier = identifier
    if inv.get("PhysicalSectorSizeBytes"):
        info.physical_sector_size = int(inv.get("PhysicalSectorSizeBytes"))


@cmdlet("Test-VHD")
def test_vhd(inv: Invocation) -> typing.Iterator[bool]:
    for path in inv.get("Path") or []:
        found = _vhd_entry(inv, path)
        if found is None:
            yield False
            continue
        info = typing.cast(VhdInfo, found[2].vhd)
        if info.parent_path:
            parent = _vhd_entry(inv, info.parent_path, write_errors=False)
            yield parent is not None
        else:
            yield True


# -- files a VM holds open -------------------------------------------------------------------------

def sync_open_files(machine: Machine, state: HyperVState) -> None:
    """Mark every local disk (and its parent chain) of a VM that is not off as held by that VM."""
    fs = machine.fs
    for entry in fs.files.values():
        if entry.vhd is not None or entry.path.lower().endswith(".iso"):
            entry.attached_to, entry.shared_read = None, False
    for vm in state.vms.values():
        if vm.state == "Off":
            continue
        # the drives are open for writing; parents and ISOs are open read-only, shared for reading
        paths = [(d.path, False) for d in vm.hard_drives if d.path] + [(d.path, True) for d in vm.dvd_drives if d.path]
        seen: set[str] = set()
        while paths:
            path, read_only = paths.pop()
            entry = fs.get(path) if not path.startswith("\\\\") else None
            if entry is None or path.lower() in seen:
                continue
            seen.add(path.lower())
            entry.attached_to, entry.shared_read = vm.id, read_only
            if entry.vhd is not None and entry.vhd.parent_path:
                paths.append((entry.vhd.parent_path, True))
