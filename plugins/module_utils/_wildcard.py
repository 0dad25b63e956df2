# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PowerShell's wildcard rules, for names the controller matches itself (the VMs a migration selects).

FOR INTERNAL COLLECTION USE ONLY.

The rules of PowerShell's WildcardPattern (src/System.Management.Automation/engine/regex.cs in PowerShell's
source): ``*`` any run of characters, ``?`` exactly one, ``[abc]`` / ``[a-c]`` one character of a set (no
negation: ``[!a]`` is the set ``!``, ``a``), a backtick makes the next character literal (``web`[1`]`` is the name
``web[1]``), case ignored; a pattern with an unclosed ``[`` is invalid. A name is a pattern only when it holds an
unescaped ``* ? [ ]`` (WildcardPattern.ContainsWildcardCharacters). Python's fnmatch differs on all but ``*`` and
``?``: ``[!a]`` negates there, and it knows no escape character.
"""

from __future__ import annotations

import re

_ESCAPE = "`"
_SPECIAL = "*?[]"


class WildcardError(ValueError):
    """The pattern is not a valid PowerShell wildcard pattern."""


def is_pattern(name: str) -> bool:
    """True when ``name`` holds an unescaped ``* ? [ ]``."""
    index = 0
    while index < len(name):
        if name[index] in _SPECIAL:
            return True
        index += 2 if name[index] == _ESCAPE else 1
    return False


def _set_members(pattern: str, index: int) -> tuple[str, int]:
    """The regular-expression members of the set opening at ``pattern[index - 1]``, and the index of its ``]``."""
    members: list[str] = []
    end = len(pattern)
    while index < end and pattern[index] != "]":
        if pattern[index] == _ESCAPE and index + 1 < end:
            index += 1
        if index + 2 < end and pattern[index + 1] == "-" and pattern[index + 2] != "]":
            members.append(f"{re.escape(pattern[index])}-{re.escape(pattern[index + 2])}")
            index += 3
            continue
        members.append(re.escape(pattern[index]))
        index += 1
    if index >= end:
        raise WildcardError(f"'{pattern}' is not a valid wildcard pattern: a '[' is not closed by ']' "
                            "(write `[ for a literal bracket)")
    return "".join(members), index


def to_regex(pattern: str) -> re.Pattern[str]:
    """The compiled, case-insensitive regular expression that matches exactly what ``pattern`` matches."""
    out: list[str] = []
    index, end = 0, len(pattern)
    while index < end:
        char = pattern[index]
        if char == _ESCAPE and index + 1 < end:
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            members, index = _set_members(pattern, index + 1)
            out.append(f"[{members}]" if members else "(?!)")
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def matches(pattern: str, name: str) -> bool:
    """Whether ``name`` matches ``pattern`` as Get-VM -Name would match it."""
    return to_regex(pattern).fullmatch(name) is not None
