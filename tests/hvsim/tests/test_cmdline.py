"""The simulator's reading of a Windows command line, as cmd.exe and CommandLineToArgvW read it."""

from __future__ import annotations

import pytest

from hvsim.cmdline import cmd_exe_commands, command_line_to_argv, expand_percent, split_cmd_commands


@pytest.mark.parametrize(
    ("line", "argv"),
    [
        ('setspn.exe -S "Hyper-V Replica Service/hv1" hv1', ["setspn.exe", "-S", "Hyper-V Replica Service/hv1", "hv1"]),
        (r'a.exe "C:\Program Files\x\\" next', ["a.exe", "C:\\Program Files\\x\\", "next"]),
        (r'a.exe "say \"hi\""', ["a.exe", 'say "hi"']),
        ("a.exe   spaced   out", ["a.exe", "spaced", "out"]),
        # Microsoft's table of examples, "Parsing C command-line arguments"
        ('p "a b c" d e', ["p", "a b c", "d", "e"]),
        (r'p "ab\"c" "\\" d', ["p", 'ab"c', "\\", "d"]),
        (r'p a\\\b d"e f"g h', ["p", r"a\\\b", "de fg", "h"]),
        (r'p a\\\"b c d', ["p", r"a\"b", "c", "d"]),
        (r'p a\\\\"b c" d e', ["p", r"a\\b c", "d", "e"]),
        ('p a"b"" c d', ["p", 'ab" c d']),
        # CommandLineToArgvW: argv[0] ends at the closing quote, backslashes in it are literal
        (r'"C:\Program Files\x\" y', ["C:\\Program Files\\x\\", "y"]),
        # ... and leading white space makes argv[0] empty
        (" a.exe b", ["", "a.exe", "b"]),
    ],
)
def test_command_line_to_argv(line: str, argv: list[str]) -> None:
    assert command_line_to_argv(line) == argv


def test_cmd_separators_split_only_outside_quotes() -> None:
    assert split_cmd_commands('a.exe "x & y" & b.exe') == ['a.exe "x & y"', "b.exe"]
    assert split_cmd_commands("a.exe x && b.exe || c.exe | d.exe") == ["a.exe x", "b.exe", "c.exe", "d.exe"]


def test_caret_escapes_outside_quotes_only() -> None:
    assert split_cmd_commands("echo a^&b & echo c") == ["echo a&b", "echo c"]
    assert split_cmd_commands('echo "a^&b"') == ['echo "a^&b"']


def test_redirections_are_taken_out_of_the_command() -> None:
    assert split_cmd_commands("a.exe x >out.txt y") == ["a.exe x  y"]
    assert split_cmd_commands('a.exe x 2>"e r.txt" <in.txt') == ["a.exe x"]
    assert split_cmd_commands('a.exe "x>y"') == ['a.exe "x>y"']
    assert split_cmd_commands("a.exe x^>y") == ["a.exe x>y"]


@pytest.mark.parametrize(
    ("line", "expanded"),
    [
        ("%OS%", "Windows_NT"),
        ("%os%", "Windows_NT"),  # names are case-insensitive
        ("x%OS:W=w%y", "xwindows_NTy"),  # replacement is case-insensitive too
        ("%SystemRoot:s=%", "C:\\Window"),
        ("%SystemRoot:*\\=%", "Windows"),
        ("%OS:~0,3%", "Win"),
        ("%OS:~-2%", "NT"),
        ("%NOPE%", "%NOPE%"),  # undefined: left as written
        ("%NOPE%OS%", "%NOPEWindows_NT"),  # ... and the scan resumes at its second %
        ("100%", "100%"),
        ("^%OS%^", "^Windows_NT^"),  # carets do not stop phase 1
        ("^%OS^%", "^%OS^%"),  # ... the caret is part of the name "OS^"
        ('"%OS%"', '"Windows_NT"'),  # nor do quotes
    ],
)
def test_percent_expansion(line: str, expanded: str) -> None:
    assert expand_percent(line) == expanded


def test_a_caret_escaped_substitution_still_runs_a_second_command() -> None:
    """The issue-16 finding, reproduced: carets before % and & do not survive %VAR:old=new%."""
    line = r"icacls.exe E:\Shares\VM /grant:r x^%SystemRoot:s=^%^&whoami:(OI)(CI)F"
    assert cmd_exe_commands(line) == [["icacls.exe", "E:\\Shares\\VM", "/grant:r", "xC:\\Window^"], ["whoami:(OI)(CI)F"]]
