"""Native executables in a WinRS cmd shell: cmd.exe parsing, then the registered program."""

from __future__ import annotations

import ntpath
import typing

from hvsim.cmdline import command_line_to_argv, split_cmd_commands
from hvsim.contract import NativeResult, Principal
from hvsim.engine.api import NATIVE_REGISTRY

NOT_RECOGNIZED_EXIT_CODE = 9009  # what cmd.exe returns for an unknown command


def _program_key(program: str) -> str:
    name = ntpath.basename(program).lower()
    return name


def run_command_line(principal: Principal, world: typing.Any, command_line: str) -> NativeResult:
    """Run every command cmd.exe would run for ``command_line``; the last exit code wins."""
    stdout, stderr = bytearray(), bytearray()
    exit_code = 0
    for command in split_cmd_commands(command_line):
        argv = command_line_to_argv(command)
        if not argv:
            continue
        key = _program_key(argv[0])
        implementation = NATIVE_REGISTRY.get(key) or NATIVE_REGISTRY.get(key.removesuffix(".exe"))
        if implementation is None and not key.endswith(".exe"):
            implementation = NATIVE_REGISTRY.get(key + ".exe")
        if implementation is None:
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
