"""WinRS commands with and without cmd.exe (WINRS_SKIP_CMD_SHELL), through the real pywinrm client."""

from __future__ import annotations

import os
import typing

import pytest
import winrm
from winrm.exceptions import WinRMError, WinRMTransportError

from hvsim.runner import start_estate

BLOCK = 30 + os.getpid() % 25


@pytest.fixture(name="lab3", scope="module")
def fixture_lab3() -> typing.Iterator[typing.Any]:
    estate = start_estate("lab3", block=BLOCK, admin_port=0)
    try:
        yield estate
    finally:
        estate.stop()


SETSPN = "C:\\Windows\\System32\\setspn.exe"


def run(estate: typing.Any, line: str, *, skip_cmd_shell: bool, arguments: tuple[str, ...] = ()) -> tuple[int, bytes, bytes]:
    """``line`` is rsp:Command: a whole command line for cmd.exe, or the program's path without it (WinRS
    then starts it as the application name, with ``arguments`` as rsp:Arguments)."""
    protocol = winrm.Protocol(f"http://{estate.address('dc1')}:{estate.http_port}/wsman", transport="ntlm",
                              username="LAB\\Administrator", password="Passw0rd!", message_encryption="always")
    shell = protocol.open_shell()
    try:
        command = protocol.run_command(shell, line, list(arguments), skip_cmd_shell=skip_cmd_shell)
        stdout, stderr, code = protocol.get_command_output(shell, command)
        protocol.cleanup_command(shell, command)
    finally:
        protocol.close_shell(shell)
    return code, stdout, stderr


def last_native(estate: typing.Any) -> dict[str, typing.Any]:
    return [record for record in estate.call_log() if "native" in record][-1]


def test_cmd_exe_expands_and_splits_but_a_direct_start_does_not(lab3: typing.Any) -> None:
    line = 'setspn.exe -Q "x%OS:W=w%y/h"&whoami'
    run(lab3, line, skip_cmd_shell=False)
    through_cmd = last_native(lab3)
    assert through_cmd["shell"] == "cmd"
    assert through_cmd["argv"] == [["setspn.exe", "-Q", "xwindows_NTy/h"], ["whoami"]]

    run(lab3, SETSPN, skip_cmd_shell=True, arguments=("-Q", '"x%OS:W=w%y/h"&whoami'))
    direct = last_native(lab3)
    assert direct["shell"] == "none" and direct["argv"] == [[SETSPN, "-Q", "x%OS:W=w%y/h&whoami"]]


def test_a_missing_program_without_cmd_exe_is_a_fault(lab3: typing.Any) -> None:
    code, _, stderr = run(lab3, "nothere.exe /x", skip_cmd_shell=False)
    assert code == 9009 and b"is not recognized" in stderr
    with pytest.raises((WinRMError, WinRMTransportError)) as raised:
        run(lab3, "C:\\Windows\\System32\\nothere.exe", skip_cmd_shell=True, arguments=("/x",))
    assert "2147942402" in str(raised.value) or "cannot find the file" in str(raised.value)
    with pytest.raises((WinRMError, WinRMTransportError)):  # no PATH search: a bare name is not found
        run(lab3, "setspn.exe", skip_cmd_shell=True, arguments=("-Q", "x/h"))
    with pytest.raises((WinRMError, WinRMTransportError)):  # rsp:Command names the program, not a line
        run(lab3, f"{SETSPN} -Q x/h", skip_cmd_shell=True)


def test_passwords_are_masked_in_the_call_log_however_quoted(lab3: typing.Any) -> None:
    run(lab3, SETSPN, skip_cmd_shell=True, arguments=("-Q", '"/password:two words secret"'))
    record = last_native(lab3)
    assert "secret" not in str(record) and "words" not in str(record)
    assert record["argv"] == [[SETSPN, "-Q", "/password:***"]]
