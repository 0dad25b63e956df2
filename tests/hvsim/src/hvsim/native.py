"""Native executables over WinRS: through cmd.exe (the default) or started directly (WINRS_SKIP_CMD_SHELL)."""

from __future__ import annotations

import ntpath
import typing

from hvsim.cmdline import cmd_exe_commands, command_line_to_argv
from hvsim.contract import NativeResult, Principal, ProgramNotFound
from hvsim.engine.api import NATIVE_REGISTRY

NOT_RECOGNIZED_EXIT_CODE = 9009  # what cmd.exe returns for an unknown command


def commands_of(command_line: str, *, through_cmd: bool = True) -> list[list[str]]:
    """The argv of every process the line starts: cmd.exe's phases first, or CreateProcess alone."""
    if through_cmd:
        return cmd_exe_commands(command_line)
    argv = command_line_to_argv(command_line)
    return [argv] if argv else []


def _implementation(program: str) -> typing.Any:
    key = ntpath.basename(program).lower()
    implementation = NATIVE_REGISTRY.get(key) or NATIVE_REGISTRY.get(key.removesuffix(".exe"))
    if implementation is None and not key.endswith(".exe"):
        implementation = NATIVE_REGISTRY.get(key + ".exe")
    return implementation


def run_command_line(principal: Principal, world: typing.Any, command_line: str, *, through_cmd: bool = True) -> NativeResult:
    """Run every command the line starts; the last exit code wins."""
    stdout, stderr = bytearray(), bytearray()
    exit_code = 0
    for argv in commands_of(command_line, through_cmd=through_cmd):
        implementation = _implementation(argv[0])
        if implementation is None:
            if not through_cmd:
                raise ProgramNotFound(argv[0])
            stderr += (
                f"'{argv[0]}' is not recognized as an internal or external command,\r\n"
                "operable program or batch file.\r\n"
            ).encode()
            exit_code = NOT_RECOGNIZED_EXIT_CODE
            continue
        with world.lock:
            result = implementation(principal, world, argv[1:])
        stdout += result.stdout
        stderr += result.stderr
        exit_code = result.exit_code
    return NativeResult(stdout=bytes(stdout), stderr=bytes(stderr), exit_code=exit_code)
