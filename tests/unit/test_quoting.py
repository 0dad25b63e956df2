"""The one quoting function against an independent parser of what Windows does with the line."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.winvirt.hyperv.plugins.module_utils._quoting import (
    UnquotableArgumentError,
    build_command_line,
    quote_argument,
)
from hvsim.cmdline import command_line_to_argv, split_cmd_commands

PROGRAM = r"C:\Program Files\Citrix\Agent\Citrix.AppLayering.Agent.Service.exe"


def windows_sees(line: str) -> list[list[str]]:
    """What cmd.exe and then the program make of ``line``: one argv per command cmd.exe runs."""
    return [command_line_to_argv(command) for command in split_cmd_commands(line)]


argument = st.text(alphabet=st.characters(blacklist_characters="\0\r\n", blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=400, deadline=None)
@given(st.lists(argument, max_size=6))
def test_any_arguments_survive_cmd_and_argv_parsing(arguments: list[str]) -> None:
    assert windows_sees(build_command_line(PROGRAM, arguments)) == [[PROGRAM, *arguments]]


@pytest.mark.parametrize(
    "hostile",
    [
        "x'; Remove-VM *",
        'a" & calc.exe & "',
        "& del /q C:\\*",
        "%COMSPEC%",
        "| shutdown /s",
        'trailing\\',
        'quote\\"inside',
        "",
        "^^^",
        "!PATH!",
    ],
)
def test_hostile_values_stay_one_argument(hostile: str) -> None:
    line = build_command_line("setspn.exe", ["-S", hostile])
    assert windows_sees(line) == [["setspn.exe", "-S", hostile]]


@pytest.mark.parametrize("bad", ["line\nbreak", "carriage\rreturn", "nul\0byte"])
def test_line_breaks_and_nul_are_refused(bad: str) -> None:
    with pytest.raises(UnquotableArgumentError):
        build_command_line("setspn.exe", [bad])


def test_simple_arguments_are_left_bare() -> None:
    assert quote_argument("-L") == "-L"
    assert build_command_line("setspn.exe", ["-L", "hv1"]) == "setspn.exe -L hv1"


def test_program_with_spaces_is_quoted_and_cmd_escaped() -> None:
    line = build_command_line(PROGRAM, ["registerwithelm"])
    assert line.startswith('^"C:\\Program Files')
    with pytest.raises(UnquotableArgumentError):
        build_command_line('bad"program.exe', [])
