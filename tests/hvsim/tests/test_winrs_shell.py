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


def run(estate: typing.Any, line: str, *, skip_cmd_shell: bool) -> tuple[int, bytes, bytes]:
    protocol = winrm.Protocol(f"http://{estate.address('dc1')}:{estate.http_port}/wsman", transport="ntlm",
                              username="LAB\\Administrator", password="Passw0rd!", message_encryption="always")
    shell = protocol.open_shell()
    try:
        command = protocol.run_command(shell, line, skip_cmd_shell=skip_cmd_shell)
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

    run(lab3, line, skip_cmd_shell=True)
    direct = last_native(lab3)
    assert direct["shell"] == "none" and direct["argv"] == [["setspn.exe", "-Q", "x%OS:W=w%y/h&whoami"]]


def test_a_missing_program_without_cmd_exe_is_a_fault(lab3: typing.Any) -> None:
    code, _, stderr = run(lab3, "nothere.exe /x", skip_cmd_shell=False)
    assert code == 9009 and b"is not recognized" in stderr
    with pytest.raises((WinRMError, WinRMTransportError)) as raised:
        run(lab3, "nothere.exe /x", skip_cmd_shell=True)
    assert "2147942402" in str(raised.value) or "cannot find the file" in str(raised.value)


def test_passwords_are_masked_in_the_call_log_however_quoted(lab3: typing.Any) -> None:
    run(lab3, 'setspn.exe -Q "/password:two words secret"', skip_cmd_shell=True)
    record = last_native(lab3)
    assert "secret" not in str(record) and "words" not in str(record)
    assert record["argv"] == [["setspn.exe", "-Q", "/password:***"]]
