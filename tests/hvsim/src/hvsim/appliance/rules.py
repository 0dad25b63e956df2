"""The appliance's own checks of a Hyper-V connector configuration's fields (what SAVE refuses).

Written apart from the collection's offline rules on purpose: the tests hold one against the other.
Messages are the appliance's; each names the field it is about.
"""

from __future__ import annotations

import re
import typing

FIELDS = ("name", "agent", "templateVm", "cpus", "memoryMb", "switch", "generation", "diskFormat",
          "offloadCompositing", "storagePath", "uncPath", "layerCacheSizeGb")
REQUIRED = ("name", "agent", "switch", "generation", "diskFormat", "storagePath")
_DRIVE_PATH = re.compile(r"^[A-Za-z]:\\")
_UNC_PATH = re.compile(r"^\\\\[^\\]+\\[^\\]+")

Problem = dict[str, str]


def _problem(name: str, message: str) -> Problem:
    return {"field": name, "message": message}


def check_fields(config: dict[str, typing.Any]) -> list[Problem]:
    """Every problem with the fields of ``config`` (the JSON body of a configuration)."""
    problems = [_problem(name, f"{name} is required.") for name in REQUIRED if config.get(name) in (None, "")]
    problems += [_problem(name, f"Unknown field {name}.") for name in config if name not in (*FIELDS, "id")]
    generation = config.get("generation")
    disk_format = str(config.get("diskFormat") or "").upper()
    offload = bool(config.get("offloadCompositing"))
    if generation not in (None, 1, 2):
        problems.append(_problem("generation", "Generation must be 1 or 2."))
    if disk_format and disk_format not in ("VHD", "VHDX"):
        problems.append(_problem("diskFormat", "Disk format must be VHD or VHDX."))
    if generation == 2 and not offload:
        problems.append(_problem("offloadCompositing", "Generation 2 virtual machines require Offload Compositing."))
    if generation == 2 and disk_format == "VHD":
        problems.append(_problem("diskFormat", "Generation 2 virtual machines support only the VHDX disk format."))
    if disk_format == "VHDX" and not offload:
        problems.append(_problem("diskFormat", "The VHDX disk format requires Offload Compositing."))
    if not 1 <= int(config.get("cpus") or 0) <= 64:
        problems.append(_problem("cpus", "Number of CPUs must be between 1 and 64."))
    if int(config.get("memoryMb") or 0) < 1024:
        problems.append(_problem("memoryMb", "Memory must be at least 1024 MB."))
    if int(config.get("layerCacheSizeGb") or 0) < 0:
        problems.append(_problem("layerCacheSizeGb", "Layer disk cache size must be 0 (off) or more."))
    storage = str(config.get("storagePath") or "")
    if storage and not (_DRIVE_PATH.match(storage) or _UNC_PATH.match(storage)):
        problems.append(_problem("storagePath", "Storage path must be a local path (C:\\...) or a UNC path "
                                                "(\\\\server\\share\\...)."))
    unc = str(config.get("uncPath") or "")
    if unc and not _UNC_PATH.match(unc):
        problems.append(_problem("uncPath", "UNC path must have the form \\\\server\\share\\..."))
    if unc and _UNC_PATH.match(storage) and storage.rstrip("\\").lower() != unc.rstrip("\\").lower():
        problems.append(_problem("storagePath", "Storage path and UNC path must be the same location."))
    return problems
