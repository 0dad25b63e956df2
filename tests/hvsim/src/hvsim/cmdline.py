"""How a simulated Windows machine reads a command line: cmd.exe's phases, then the program's argv.

A WinRS command runs through ``cmd.exe /c`` unless the client asks for WINRS_SKIP_CMD_SHELL; then
the line goes straight to CreateProcess and only the program's own parsing applies.

cmd.exe (command-line context, not a batch file), in this order:

1. Percent expansion, before anything else, blind to carets and quotes: ``%NAME%`` becomes the
   variable's value (names are case-insensitive); ``%NAME:old=new%`` replaces every occurrence of
   ``old`` (case-insensitive; ``*old`` replaces through the first one); ``%NAME:~start,length%``
   takes a substring. An undefined variable is left as written and the scan resumes at its second
   ``%``. Sources: Microsoft, "set (environment variable)" (substitution and substring syntax),
   https://learn.microsoft.com/windows-server/administration/windows-commands/set_1 and "cmd",
   https://learn.microsoft.com/windows-server/administration/windows-commands/cmd ; the order of
   phases and the undefined-variable rule are not documented by Microsoft: they follow the
   measured description in "How does the Windows Command Interpreter (CMD.EXE) parse scripts?"
   (Stack Overflow question 4094699, phase 1 "command line" context). Delayed ``!VAR!`` expansion is
   off unless ``cmd /v:on`` (Microsoft "cmd" docs), which WinRS does not pass.
2. Special characters: outside double quotes a caret escapes the next character and is removed;
   ``"`` toggles quoting (quotes are kept in the text); an unescaped ``&``, ``&&``, ``||`` or ``|``
   separates commands; ``<``, ``>``, ``>>`` (optionally after a handle digit, ``2>``) redirect and,
   with their file name, are removed from the command. Source: Microsoft, "Command shell overview"
   and "Using command redirection operators",
   https://learn.microsoft.com/previous-versions/windows/it-pro/windows-xp/bb490982(v=technet.10) .

The program then splits its command line as CommandLineToArgvW does
(https://learn.microsoft.com/windows/win32/api/shellapi/nf-shellapi-commandlinetoargvw): argv[0]
up to the next space, or between quotes with no escapes; after it, 2n backslashes + ``"`` give n
backslashes and toggle quoting, 2n+1 backslashes + ``"`` give n backslashes and a literal quote,
backslashes not before a quote are literal, spaces and tabs outside quotes separate arguments. Inside
quotes a doubled ``""`` is one literal quote (the Microsoft C runtime rule, "Parsing C command-line
arguments", https://learn.microsoft.com/cpp/c-language/parsing-c-command-line-arguments ).
"""

from __future__ import annotations

import typing

_SEPARATORS = ("&&", "||", "&", "|")

#: The variables every Windows Server process inherits (values as on a default installation).
DEFAULT_ENVIRONMENT: dict[str, str] = {
    "SystemRoot": "C:\\Windows",
    "windir": "C:\\Windows",
    "SystemDrive": "C:",
    "OS": "Windows_NT",
    "ComSpec": "C:\\Windows\\system32\\cmd.exe",
    "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
    "Path": "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;"
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
    "ProgramFiles": "C:\\Program Files",
    "ProgramData": "C:\\ProgramData",
    "TEMP": "C:\\Windows\\TEMP",
    "TMP": "C:\\Windows\\TEMP",
    "PROCESSOR_ARCHITECTURE": "AMD64",
    "NUMBER_OF_PROCESSORS": "4",
}


def _lookup(environment: typing.Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in environment.items() if key.lower() == wanted), None)


def _replace_insensitive(value: str, old: str, new: str) -> str:
    if not old:
        return value
    through_first = old.startswith("*")
    old = old[1:] if through_first else old
    if not old:
        return value
    lowered, needle = value.lower(), old.lower()
    if through_first:
        index = lowered.find(needle)
        return value if index < 0 else new + value[index + len(old):]
    out, i = [], 0
    while True:
        index = lowered.find(needle, i)
        if index < 0:
            out.append(value[i:])
            return "".join(out)
        out.append(value[i:index] + new)
        i = index + len(old)


def _substring(value: str, spec: str) -> str | None:
    start_text, _, length_text = spec.partition(",")
    try:
        start = int(start_text)
        length = int(length_text) if length_text else None
    except ValueError:
        return None
    if start < 0:
        start = max(len(value) + start, 0)
    if length is None:
        return value[start:]
    end = start + length if length >= 0 else len(value) + length
    return value[start:max(end, start)]


def _expand_reference(reference: str, environment: typing.Mapping[str, str]) -> str | None:
    """The text ``%reference%`` expands to, or None when it stays as written."""
    name, colon, modifier = reference.partition(":")
    if not name:
        return None
    value = _lookup(environment, name)
    if value is None:
        return None
    if not colon:
        return value
    if modifier.startswith("~"):
        return _substring(value, modifier[1:])
    old, equals, new = modifier.partition("=")
    if not equals:
        return None
    return _replace_insensitive(value, old, new)


def expand_percent(line: str, environment: typing.Mapping[str, str] = DEFAULT_ENVIRONMENT) -> str:
    """cmd.exe phase 1 on the command line: %VAR%, %VAR:old=new% and %VAR:~n,m% expansion."""
    out: list[str] = []
    i = 0
    while i < len(line):
        if line[i] != "%":
            out.append(line[i])
            i += 1
            continue
        end = line.find("%", i + 1)
        if end < 0:
            out.append(line[i:])
            break
        expanded = _expand_reference(line[i + 1:end], environment)
        if expanded is None:
            out.append(line[i:end])  # "%name" stays; the scan resumes at the second %
            i = end
            continue
        out.append(expanded)
        i = end + 1
    return "".join(out)


def _skip_redirection(line: str, i: int) -> int:
    """Index after a redirection operator at ``i`` and its target (a word, possibly quoted)."""
    i += 2 if line.startswith(">>", i) else 1
    if i < len(line) and line[i] == "&":  # 2>&1
        i += 1
    while i < len(line) and line[i] in " \t":
        i += 1
    in_quotes = False
    while i < len(line):
        char = line[i]
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char in " \t&|<>":
            break
        elif char == "^" and not in_quotes:
            i += 1
        i += 1
    return i


def split_cmd_commands(line: str) -> list[str]:
    """cmd.exe phase 2: carets, quotes, redirections removed, split at unescaped separators."""
    commands: list[str] = []
    current: list[str] = []
    in_quotes = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "^" and not in_quotes:
            if i + 1 < len(line):
                current.append(line[i + 1])
            i += 2
            continue
        if char == '"':
            in_quotes = not in_quotes
            current.append(char)
            i += 1
            continue
        if not in_quotes:
            separator = next((sep for sep in _SEPARATORS if line.startswith(sep, i)), None)
            if separator:
                commands.append("".join(current).strip(" \t"))
                current = []
                i += len(separator)
                continue
            if char in "<>":
                if current and current[-1].isdigit() and (len(current) == 1 or current[-2] in " \t"):
                    current.pop()  # a handle number: 2>file
                i = _skip_redirection(line, i)
                continue
        current.append(char)
        i += 1
    commands.append("".join(current).strip(" \t"))
    return [command for command in commands if command]


def cmd_exe_commands(line: str, environment: typing.Mapping[str, str] = DEFAULT_ENVIRONMENT) -> list[list[str]]:
    """What ``cmd.exe /c line`` runs: one argv per command, in order."""
    return [argv for argv in (command_line_to_argv(command) for command in split_cmd_commands(expand_percent(line, environment)))
            if argv]


def command_line_to_argv(line: str) -> list[str]:
    """CommandLineToArgvW: argv[0] by its own rule, the rest with backslash/quote rules."""
    i, n = 0, len(line)
    if not line.strip(" \t"):
        return []
    if line[0] in " \t":
        argv = [""]  # the documented rule: leading white space makes argv[0] empty
    elif line[i] == '"':
        end = line.find('"', i + 1)
        end = n if end < 0 else end
        argv = [line[i + 1 : end]]
        i = end + 1
    else:  # argv[0] unquoted: up to the next space or tab
        start = i
        while i < n and line[i] not in " \t":
            i += 1
        argv = [line[start:i]]
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            return argv
        arg: list[str] = []
        in_quotes = False
        while i < n:
            char = line[i]
            if char == "\\":
                start = i
                while i < n and line[i] == "\\":
                    i += 1
                count = i - start
                if i < n and line[i] == '"':
                    arg.append("\\" * (count // 2))
                    if count % 2:
                        arg.append('"')
                        i += 1
                else:
                    arg.append("\\" * count)
                continue
            if char == '"':
                if in_quotes and i + 1 < n and line[i + 1] == '"':
                    arg.append('"')
                    i += 2
                    continue
                in_quotes = not in_quotes
                i += 1
                continue
            if char in " \t" and not in_quotes:
                break
            arg.append(char)
            i += 1
        argv.append("".join(arg))
