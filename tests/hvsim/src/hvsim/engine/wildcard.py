"""PowerShell's WildcardPattern: how cmdlets match a -Name that accepts wildcards.

Source: PowerShell, src/System.Management.Automation/engine/regex.cs (WildcardPattern, its parser):
``*`` any run of characters, ``?`` exactly one, ``[abc]`` / ``[a-c]`` one of a set, the backtick
escapes the next character (so ``web`[1`]`` is the literal name ``web[1]``); an unclosed ``[`` is a
WildcardPatternException. ``ContainsWildcardCharacters`` is true for an unescaped ``* ? [ ]``: only
then does a cmdlet treat a name as a pattern (no error when nothing matches). Cmdlets match with
IgnoreCase.

Which parameters take wildcards: Microsoft's generated help marks most Hyper-V parameters "Supports
wildcards: False", yet documents wildcard use in its examples (Start-VM: ``Start-VM -Name Test*``
"starts all virtual machines whose names start with Test"; Get-VMNetworkAdapter -VMName: "The
asterisk, *, is the wildcard"); SmbShare cmdlets are CDXML queries whose -Name globs. hvsim applies
WildcardPattern to every -Name / -VMName that selects existing Hyper-V or SMB objects.
"""

from __future__ import annotations

import functools
import re

ESCAPE = "`"
_SPECIAL = "*?[]"


class WildcardPatternError(ValueError):
    """PowerShell's WildcardPatternException: the pattern is not valid."""


def contains_wildcard(pattern: str) -> bool:
    """WildcardPattern.ContainsWildcardCharacters: an unescaped * ? [ or ]."""
    i = 0
    while i < len(pattern):
        if pattern[i] in _SPECIAL:
            return True
        if pattern[i] == ESCAPE:
            i += 1
        i += 1
    return False


def escape(name: str) -> str:
    """WildcardPattern.Escape: a backtick before each * ? [ ] and backtick."""
    return "".join(ESCAPE + char if char in _SPECIAL + ESCAPE else char for char in name)


def unescape(pattern: str) -> str:
    """WildcardPattern.Unescape: the name a pattern without wildcards stands for."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        if char == ESCAPE and not escaped:
            escaped = True
            continue
        if escaped and char not in _SPECIAL + ESCAPE:
            out.append(ESCAPE)
        out.append(char)
        escaped = False
    if escaped:
        out.append(ESCAPE)
    return "".join(out)


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == ESCAPE and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[":
            i += 1
            members: list[str] = []
            while i < n and pattern[i] != "]":
                if pattern[i] == ESCAPE and i + 1 < n:
                    i += 1
                if i + 2 < n and pattern[i + 1] == "-" and pattern[i + 2] != "]":
                    members.append(f"{re.escape(pattern[i])}-{re.escape(pattern[i + 2])}")
                    i += 3
                    continue
                members.append(re.escape(pattern[i]))
                i += 1
            if i >= n:
                raise WildcardPatternError(f"The specified wildcard character pattern is not valid: {pattern}")
            out.append("[" + "".join(members) + "]" if members else "(?!)")
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def matches(pattern: str, name: str) -> bool:
    """WildcardPattern(pattern, IgnoreCase).IsMatch(name)."""
    return _compile(pattern).fullmatch(name) is not None
