# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Windows command-line quoting function for native executables run over WinRS.

FOR INTERNAL COLLECTION USE ONLY.

WinRS hands the command line to cmd.exe, which then starts the program; the program splits it
with the Microsoft C runtime rules (CommandLineToArgvW). So each argument is quoted for those
rules first, then every cmd.exe metacharacter is escaped with a caret, which keeps cmd.exe from
expanding %VARIABLES% or running a second command (``& calc``).
"""

from __future__ import annotations

import typing as t

_NEEDS_QUOTES = frozenset(' \t\v"')
_CMD_METACHARACTERS = frozenset('()%!^"<>&|')
_FORBIDDEN = frozenset("\0\r\n")


class UnquotableArgumentError(ValueError):
    """An argument cmd.exe cannot carry (NUL or a line break)."""


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


def _escape_for_cmd(text: str) -> str:
    return "".join("^" + char if char in _CMD_METACHARACTERS else char for char in text)


def build_command_line(program: str, arguments: t.Sequence[str]) -> str:
    """The command line for ``program`` with ``arguments``, safe to pass through cmd.exe."""
    for value in (program, *arguments):
        if _FORBIDDEN.intersection(value):
            raise UnquotableArgumentError(f"an argument cannot contain NUL or a line break: {value!r}")
    parts = [_quote_program(program), *(quote_argument(argument) for argument in arguments)]
    return _escape_for_cmd(" ".join(parts))
