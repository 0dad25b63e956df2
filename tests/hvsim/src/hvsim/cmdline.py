"""How a simulated Windows machine reads a WinRS command line: cmd.exe first, then the program.

cmd.exe: outside double quotes a caret escapes the next character, ``"`` toggles quoting, and an
unescaped ``&``, ``&&``, ``||`` or ``|`` separates commands. The program then splits its command
line with the Microsoft C runtime rules (CommandLineToArgvW, post-2008 behaviour).
"""

from __future__ import annotations

_SEPARATORS = ("&&", "||", "&", "|")


def split_cmd_commands(line: str) -> list[str]:
    """Apply cmd.exe's caret escapes and split at unescaped command separators."""
    commands: list[str] = []
    current: list[str] = []
    in_quotes = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "^" and not in_quotes and i + 1 < len(line):
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
        current.append(char)
        i += 1
    commands.append("".join(current).strip(" \t"))
    return [command for command in commands if command]


def command_line_to_argv(line: str) -> list[str]:
    """CommandLineToArgvW: argv[0] by its own rule, the rest with backslash/quote rules."""
    i, n = 0, len(line)
    while i < n and line[i] in " \t":
        i += 1
    if i >= n:
        return []
    if line[i] == '"':
        end = line.find('"', i + 1)
        end = n if end < 0 else end
        argv = [line[i + 1 : end]]
        i = end + 1
    else:
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
