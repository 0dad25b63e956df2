"""The simulator's reading of a Windows command line, as CommandLineToArgvW and cmd.exe read it."""

from __future__ import annotations

import pytest

from hvsim.cmdline import command_line_to_argv, split_cmd_commands


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ('setspn.exe -S "Hyper-V Replica Service/hv1" hv1', ["setspn.exe", "-S", "Hyper-V Replica Service/hv1", "hv1"]),
        (r'a.exe "C:\Program Files\x\\" next', ["a.exe", "C:\\Program Files\\x\\", "next"]),
        (r'a.exe "say \"hi\""', ["a.exe", 'say "hi"']),
        ("a.exe   spaced   out", ["a.exe", "spaced", "out"]),
    ],
)
def test_command_line_to_argv(line: str, argv: list[str]) -> None:
    assert command_line_to_argv(line) == argv


def test_cmd_separators_split_only_outside_quotes() -> None:
    assert split_cmd_commands('a.exe "x & y" & b.exe') == ['a.exe "x & y"', "b.exe"]


def test_caret_escapes_outside_quotes() -> None:
    assert split_cmd_commands("echo a^&b & echo c") == ["echo a&b", "echo c"]
