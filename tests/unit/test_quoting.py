"""The one quoting function against an independent parser of what Windows does with the line.

Native programs are started without cmd.exe (WINRS_SKIP_CMD_SHELL), so the line reaches the program
through CreateProcess and is split by CommandLineToArgvW's rules (hvsim.cmdline.command_line_to_argv)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.winvirt.hyperv.plugins.module_utils._quoting import (
    UnquotableArgumentError,
    build_command_line,
    quote_argument,
)
from hvsim.cmdline import cmd_exe_commands, command_line_to_argv

PROGRAM = r"C:\Program Files\Citrix\Agent\Citrix.AppLayering.Agent.Service.exe"

argument = st.text(alphabet=st.characters(blacklist_characters="\0\r\n", blacklist_categories=("Cs",)), max_size=40)
# Characters with a meaning to CommandLineToArgvW or to cmd.exe, dense, so the generator hits their combinations.
hostile_argument = st.text(alphabet=st.sampled_from(list(' \t"\\%^&|<>()!*?[]`$\'-/:=~;,\u201c\u201d\u2018\u2019') + ["a", "S"]),
                           max_size=30)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(argument, hostile_argument), max_size=6))
def test_any_arguments_survive_command_line_to_argv(arguments: list[str]) -> None:
    assert command_line_to_argv(build_command_line(PROGRAM, arguments)) == [PROGRAM, *arguments]


@settings(max_examples=300, deadline=None)
@given(hostile_argument)
def test_quote_argument_round_trips_alone(value: str) -> None:
    assert command_line_to_argv("x.exe " + quote_argument(value)) == ["x.exe", value]


@pytest.mark.parametrize(
    "hostile",
    [
        "x'; Remove-VM *",
        'a" & calc.exe & "',
        "& del /q C:\\*",
        "%COMSPEC%",
        "x%SystemRoot:s=%&whoami",
        "Pa%SystemRoot:s=%&powershell -c calc;#",
        "x%OS:W=w%y",
        "| shutdown /s",
        'trailing\\',
        'quote\\"inside',
        "",
        "^^^",
        "!PATH!",
        "-L",
        " leading space",
    ],
)
def test_hostile_values_stay_one_argument(hostile: str) -> None:
    line = build_command_line("setspn.exe", ["-S", hostile])
    assert command_line_to_argv(line) == ["setspn.exe", "-S", hostile]
    assert "^" not in line.replace(hostile, "")  # nothing is escaped for a cmd.exe that is not there


def test_the_line_must_not_go_through_cmd_exe() -> None:
    """Why WINRS_SKIP_CMD_SHELL: cmd.exe expands %VAR% in the quoted line, so it would not be one argument."""
    line = build_command_line("icacls.exe", ["E:\\Shares\\VM", "/grant:r", "x%OS:W=w%y:(OI)(CI)F"])
    assert cmd_exe_commands(line) == [["icacls.exe", "E:\\Shares\\VM", "/grant:r", "xwindows_NTy:(OI)(CI)F"]]


@pytest.mark.parametrize("bad", ["line\nbreak", "carriage\rreturn", "nul\0byte"])
def test_line_breaks_and_nul_are_refused(bad: str) -> None:
    with pytest.raises(UnquotableArgumentError):
        build_command_line("setspn.exe", [bad])


def test_simple_arguments_are_left_bare() -> None:
    assert quote_argument("-L") == "-L"
    assert build_command_line("setspn.exe", ["-L", "hv1"]) == "setspn.exe -L hv1"


def test_program_with_spaces_is_quoted() -> None:
    line = build_command_line(PROGRAM, ["registerwithelm"])
    assert line == f'"{PROGRAM}" registerwithelm'
    assert command_line_to_argv(line) == [PROGRAM, "registerwithelm"]
    with pytest.raises(UnquotableArgumentError):
        build_command_line('bad"program.exe', [])


def test_run_native_refuses_an_uncarriable_program_with_a_clear_host_error() -> None:
    """A double quote in the program path (the connector's agent_executable) raised UnquotableArgumentError out of
    the module, a traceback; it is a HyperVError naming the host and the command, before anything is sent."""
    from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
    from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
    from ansible_collections.winvirt.hyperv.plugins.module_utils._winrs import run_native

    options = ConnectionOptions(hostname="hv1.lab.test", port=9, username="u", password="p", auth="ntlm", ssl=False,
                                cert_validation=True, ca_trust_path=None, certificate_pem=None, certificate_key_pem=None,
                                connection_timeout=1, operation_timeout=1, read_timeout=2, proxy=None)
    with pytest.raises(HyperVError) as raised:
        run_native(options, 'C:\\atk\\x"y.exe', ["/a"])
    assert raised.value.host == "hv1.lab.test" and "double quote" in raised.value.message
    assert raised.value.command and "x" in raised.value.command
