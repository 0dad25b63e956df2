# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv_vhd's plan: one disk file, desired vs. what Get-VHD reports -> changes (pure, no I/O).

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import (
    VhdFile,
    describe_new,
    disk_format,
    format_size,
    get_vhd,
    new_vhd_commands,
    normalize_path,
    same_path,
    size_problems,
)


@dataclasses.dataclass(frozen=True)
class VhdSpec:
    path: str
    state: str = "present"  # present | absent
    vhd_type: str | None = None  # fixed | dynamic | differencing; None: dynamic for a new disk, any for an existing one
    size: int | None = None
    parent_path: str | None = None
    convert_from: str | None = None
    remove_source: bool = False
    allow_shrink: bool = False
    delete_file: bool = False


@dataclasses.dataclass
class VhdPlan:
    changes: list[str]
    commands: list[Cmd]
    errors: list[str]
    after: dict[str, t.Any] | None  # the disk as the plan leaves it (Get-VHD shape of VhdFile.to_result)


def spec_problems(spec: VhdSpec) -> list[str]:
    """What is wrong with the options before any host is asked."""
    problems = []
    for label, path in (("path", spec.path), ("parent_path", spec.parent_path), ("convert_from", spec.convert_from)):
        if path and disk_format(path) is None:
            problems.append(f"{label} '{path}' must end in .vhd or .vhdx")
    if spec.size is not None:
        problems.extend(size_problems(spec.path, spec.size))
    if spec.vhd_type == "differencing" and not spec.parent_path and not spec.convert_from:
        problems.append("type differencing needs parent_path")
    if spec.parent_path and spec.vhd_type not in (None, "differencing"):
        problems.append(f"parent_path is only for type differencing, not {spec.vhd_type}")
    if spec.parent_path and disk_format(spec.parent_path) != disk_format(spec.path):
        problems.append("a differencing disk has the format of its parent: "
                        f"'{spec.path}' and '{spec.parent_path}' differ")
    if spec.convert_from and same_path(spec.convert_from, spec.path):
        problems.append("convert_from writes a new file; it must differ from path")
    if spec.convert_from and spec.parent_path:
        problems.append("convert_from and parent_path cannot be used together")
    return problems


def read_commands(spec: VhdSpec) -> list[Cmd]:
    paths = [p for p in (spec.path, spec.parent_path, spec.convert_from) if p]
    commands = [get_vhd(paths)]
    if spec.state == "absent":
        commands.append(Cmd("Get-VM", select=["VMName", "Path"], missing_ok=True, piped=[Cmd("Get-VMHardDiskDrive")]))
    return commands


def _predicted(spec: VhdSpec, vhd_type: str, size: int | None, parent: VhdFile | None) -> dict[str, t.Any]:
    return {"path": spec.path, "format": disk_format(spec.path), "type": vhd_type,
            "size": size if size is not None else (parent.size if parent else None), "file_size": None,
            "minimum_size": None, "parent_path": spec.parent_path, "attached": False}


def plan_vhd(spec: VhdSpec, known: dict[str, VhdFile], attached: list[dict[str, t.Any]] | None = None) -> VhdPlan:
    current = known.get(normalize_path(spec.path))
    if spec.state == "absent":
        return _plan_absent(spec, current, attached or [])
    if current is None:
        return _plan_new(spec, known)
    return _plan_existing(spec, current, known)


def _plan_absent(spec: VhdSpec, current: VhdFile | None, attached: list[dict[str, t.Any]]) -> VhdPlan:
    if current is None:
        return VhdPlan([], [], [], None)
    users = sorted({str(row.get("VMName")) for row in attached if same_path(str(row.get("Path") or ""), current.path)})
    if users:
        return VhdPlan([], [], [f"'{current.path}' is attached to VM {', '.join(users)}; detach it first"], current.to_result())
    if not spec.delete_file:
        return VhdPlan([], [], [f"state=absent deletes '{current.path}'; set delete_file: true to confirm"], current.to_result())
    return VhdPlan([f"delete '{current.path}'"], [Cmd("Remove-Item", {"LiteralPath": current.path})], [], None)


def _plan_new(spec: VhdSpec, known: dict[str, VhdFile]) -> VhdPlan:
    if spec.convert_from:
        source = known.get(normalize_path(spec.convert_from))
        if source is None:
            return VhdPlan([], [], [f"neither '{spec.path}' nor convert_from '{spec.convert_from}' exists"], None)
        params: dict[str, t.Any] = {"Path": source.path, "DestinationPath": spec.path}
        vhd_type = spec.vhd_type or source.vhd_type
        if spec.vhd_type and spec.vhd_type != source.vhd_type:
            params["VHDType"] = spec.vhd_type.capitalize()
        if spec.remove_source:
            params["DeleteSource"] = True
        words = f"convert '{source.path}' ({source.vhd_format.upper()}, {source.vhd_type}) to '{spec.path}' " \
                f"({(disk_format(spec.path) or '').upper()}, {vhd_type})" + (" and delete the source" if spec.remove_source else "")
        after = {**source.to_result(), "path": spec.path, "format": disk_format(spec.path), "type": vhd_type, "file_size": None}
        return VhdPlan([words], [Cmd("Convert-VHD", params)], [], after)
    vhd_type = spec.vhd_type or ("differencing" if spec.parent_path else "dynamic")
    parent = known.get(normalize_path(spec.parent_path)) if spec.parent_path else None
    if vhd_type == "differencing" and parent is None:
        return VhdPlan([], [], [f"parent '{spec.parent_path}' does not exist on the host"], None)
    if vhd_type != "differencing" and spec.size is None:
        return VhdPlan([], [], [f"'{spec.path}' does not exist; give size to create it"], None)
    if parent is not None and spec.size is not None and spec.size < parent.size:
        return VhdPlan([], [], [f"a differencing disk cannot be smaller than its parent ({format_size(parent.size)})"], None)
    return VhdPlan([describe_new(spec.path, vhd_type, spec.size, spec.parent_path)],
                   new_vhd_commands(spec.path, vhd_type, spec.size, spec.parent_path), [],
                   _predicted(spec, vhd_type, spec.size, parent))


def _plan_existing(spec: VhdSpec, current: VhdFile, known: dict[str, VhdFile]) -> VhdPlan:
    errors: list[str] = []
    changes: list[str] = []
    commands: list[Cmd] = []
    after = current.to_result()
    if spec.vhd_type and spec.vhd_type != current.vhd_type:
        errors.append(f"'{current.path}' is a {current.vhd_type} disk, not {spec.vhd_type}; a disk's type does not change "
                      "in place: write a new file with convert_from")
    if spec.parent_path and current.vhd_type == "differencing" and not same_path(spec.parent_path, current.parent_path):
        if normalize_path(spec.parent_path) not in known:
            errors.append(f"new parent '{spec.parent_path}' does not exist on the host")
        else:
            changes.append(f"point '{current.path}' at parent '{spec.parent_path}' (was '{current.parent_path}')")
            commands.append(Cmd("Set-VHD", {"Path": current.path, "ParentPath": spec.parent_path}))
            after["parent_path"] = spec.parent_path
    if spec.size is not None and spec.size != current.size:
        errors.extend(_resize_problems(spec, current))
        if not errors:
            verb = "grow" if spec.size > current.size else "shrink"
            changes.append(f"{verb} '{current.path}' from {format_size(current.size)} to {format_size(spec.size)}")
            commands.append(Cmd("Resize-VHD", {"Path": current.path, "SizeBytes": spec.size}))
            after["size"] = spec.size
    if errors:
        return VhdPlan([], [], errors, current.to_result())
    return VhdPlan(changes, commands, [], after)


def _resize_problems(spec: VhdSpec, current: VhdFile) -> list[str]:
    size = spec.size or 0
    if size > current.size:
        return []
    if not spec.allow_shrink:
        return [f"'{current.path}' is {format_size(current.size)}, more than the {format_size(size)} asked; "
                "shrinking needs allow_shrink: true"]
    if current.vhd_format != "vhdx":
        return [f"only VHDX disks can shrink; '{current.path}' is {current.vhd_format.upper()}"]
    if current.minimum_size is not None and size < current.minimum_size:
        return [f"'{current.path}' cannot shrink below {format_size(current.minimum_size)} "
                "(the end of its last partition; shrink the partition in the guest first)"]
    return []
