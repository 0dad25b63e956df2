# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Windows command-line quoting function for native executables run over WinRS.

FOR INTERNAL COLLECTION USE ONLY.

The collection starts native programs over WinRS without cmd.exe (WINRS_SKIP_CMD_SHELL): the line
goes to CreateProcess and the program splits it with CommandLineToArgvW's rules
(https://learn.microsoft.com/windows/win32/api/shellapi/nf-shellapi-commandlinetoargvw): 2n
backslashes before a quote are n backslashes and a quote that toggles quoting, 2n+1 backslashes
before a quote are n backslashes and a literal quote, other backslashes are literal. So arguments
are quoted for those rules only. Nothing is escaped for cmd.exe, because no cmd.exe reads the line:
carets cannot stop cmd.exe's %VAR:old=new% expansion, which runs before carets are removed, so the
only safe cmd.exe is none.
"""

from __future__ import annotations

import typing as t

_NEEDS_QUOTES = frozenset(' \t\v"')
_FORBIDDEN = frozenset("\0\r\n")


class UnquotableArgumentError(ValueError):
    """An argument a Windows command line cannot carry (NUL, a line break, a quote in the program)."""


def quote_argument(argument: str) -> str:
    """Quote one argument so CommandLineToArgvW gives it back unchanged."""
    if argument and not _NEEDS_QUOTES.intersection(argument):
        return argument
    quoted = ['"']
    backslashes = 0
    for char in argument:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            quoted.append("\\" * (2 * backslashes + 1) + '"')
        else:
            quoted.append("\\" * backslashes + char)
        backslashes = 0
    quoted.append("\\" * (2 * backslashes) + '"')
    return "".join(quoted)


def _quote_program(program: str) -> str:
    # argv[0] is split differently: up to the next space, or between quotes with no escapes.
    if '"' in program:
        raise UnquotableArgumentError(f"a program path cannot contain a double quote: {program!r}")
    return f'"{program}"' if (not program or _NEEDS_QUOTES.intersection(program)) else program


def build_command_line(program: str, arguments: t.Sequence[str]) -> str:
    """The command line for ``program`` with ``arguments``, for CreateProcess (never for cmd.exe)."""
    for value in (program, *arguments):
        if _FORBIDDEN.intersection(value):
            raise UnquotableArgumentError(f"an argument cannot contain NUL or a line break: {value!r}")
    parts = [_quote_program(program), *(quote_argument(argument) for argument in arguments)]
    return " ".join(parts)
