# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of option values that need no host: each returns the problem in words, or None.

FOR INTERNAL COLLECTION USE ONLY.

Run before anything is read or changed, so bad input never leaves half a change behind (a relative
path used to create folders in the remote session's working directory before the task failed).
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils import _wildcard as wildcard

_DRIVE_PATH = re.compile(r"^[A-Za-z]:\\")
_UNC_PATH = re.compile(r"^\\\\[^\\/]+\\[^\\/]+")
_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")
# Characters no Windows file or folder name may hold: < > : " / \ | ? * and the control characters 1-31
# (learn.microsoft.com/windows/win32/fileio/naming-a-file, "Naming Conventions"); ':' is fine only after the drive.
_RESERVED_IN_NAME = re.compile(r'[<>:"|?*\x00-\x1f]')


def name_problem(option: str, value: str | None) -> str | None:
    """A name that is empty or only white space (Hyper-V would make "New Virtual Machine", or a blank name)."""
    if value is not None and not value.strip():
        return f"{option} must not be empty or only spaces (got {value!r})"
    if value is not None and value != value.strip():
        return f"{option} must not start or end with spaces (got {value!r})"
    return None


# Characters no share name may hold, and its longest length (MS-FSCC 2.1.6 "Share name")
_RESERVED_IN_SHARE_NAME = re.compile(r'["\\/\[\]:|<>+=;,*?\x00-\x1f]')
_SHARE_NAME_LENGTH = 80


def share_name_problem(option: str, value: str | None) -> str | None:
    """A share name Windows refuses (checked before the share's folder is made)."""
    if value is None:
        return None
    reserved = _RESERVED_IN_SHARE_NAME.search(value)
    if reserved:
        return (f"{option} holds {reserved.group()!r}, which Windows does not allow in a share name "
                f'(" \\ / [ ] : | < > + = ; , * ? and control characters): {value!r}')
    if len(value) > _SHARE_NAME_LENGTH:
        return f"{option} is {len(value)} characters long; a share name has at most {_SHARE_NAME_LENGTH}"
    return None


def path_problem(option: str, value: str | None, *, unc: bool = True) -> str | None:
    """A Windows path must be absolute: ``D:\\...`` or (where allowed) ``\\\\server\\share\\...``."""
    if value is None:
        return None
    path = value.replace("/", "\\")
    if _DRIVE_PATH.match(path) or (unc and _UNC_PATH.match(path)):
        return _segment_problem(option, value, path)
    shapes = "a drive path such as D:\\Hyper-V" + (" or a UNC path such as \\\\fs1\\VM" if unc else "")
    return f"{option} must be an absolute path ({shapes}), not {value!r}"


def _segment_problem(option: str, value: str, path: str) -> str | None:
    """A folder or file name in the path that Windows refuses, or silently changes (so a re-run never converges)."""
    segments = path[2:].split("\\") if path.startswith("\\\\") else path[3:].split("\\")
    for segment in segments:
        reserved = _RESERVED_IN_NAME.search(segment)
        if reserved:
            return (f"{option} holds {reserved.group()!r}, which Windows does not allow in a file or folder name "
                    f'(< > : " | ? * and control characters): {value!r}')
        if segment not in (".", "..") and segment != segment.rstrip(" ."):
            return (f"{option} has a name ending in a space or a period, which Windows drops from file and folder "
                    f"names (the path would never match what the host reports): {value!r}")
    return None


def pattern_problem(option: str, value: str | None) -> str | None:
    """A name pattern PowerShell would refuse (an unclosed ``[``)."""
    if value is None or not wildcard.is_pattern(value):
        return None
    try:
        wildcard.to_regex(value)
    except wildcard.WildcardError as err:
        return f"{option}: {err}"
    return None


def port_problem(option: str, value: int | None) -> str | None:
    if value is not None and not 1 <= value <= 65535:
        return f"{option} must be a TCP port from 1 to 65535, not {value}"
    return None


def thumbprint_problem(option: str, value: str | None) -> str | None:
    """A certificate thumbprint is 40 hexadecimal digits (SHA-1), as Get-ChildItem Cert:\\ shows it."""
    if value is not None and not _THUMBPRINT.match(value):
        return f"{option} must be 40 hexadecimal digits (a certificate's SHA-1 thumbprint), not {value!r}"
    return None


def problems_of(*found: str | None) -> list[str]:
    return [problem for problem in found if problem]


def fail_on_problems(module: t.Any, subject: str, problems: t.Sequence[str]) -> None:
    """Fail the task with every problem at once, before any remote call."""
    if problems:
        module.fail_json(msg=f"{subject}: " + "; ".join(problems), problems=list(problems))
