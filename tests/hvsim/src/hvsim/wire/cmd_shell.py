"""A WinRS cmd shell: native command lines, their output streams and exit codes.

How Windows answers (recordings cited in tests/hvsim/DESIGN.md, "The wire"):
- The shell declares InputStreams ``stdin`` and OutputStreams ``stdout stderr``.
- A command runs through ``cmd.exe /c`` unless the Command carries the option
  ``WINRS_SKIP_CMD_SHELL=TRUE``; then WinRS starts the program itself with rsp:Command as the
  application name: ``powershell.exe`` alone is not found, its full path is (no PATH search, no
  extension added, nothing split off the Command), and a program it cannot find fails the Command
  with fault 2147942402 ("The system cannot find the file specified.", provider "Shell cmd plugin").
  The arguments come from the rsp:Arguments elements.
- Output arrives as the process writes it: one rsp:Stream element per write. hvsim's programs write
  line by line, so each line is one element.
- The last Receive lists the data elements of stdout, then of stderr, then the End marker of stdout,
  then of stderr, then CommandState Done with the ExitCode. Output that does not fit in the request's
  MaxEnvelopeSize waits for the next Receive (CommandState Running meanwhile,
  test_winrs_operation_timeout.yml shows a Running answer with output).
"""

from __future__ import annotations

import ntpath
import re
from dataclasses import dataclass, field

from hvsim.contract import Backend, NativeResult, Principal, ProgramNotFound
from hvsim.wire import soap
from hvsim.wire.psrp_shell import ENVELOPE_OVERHEAD, STREAM_OVERHEAD

_LINE = re.compile(rb"[^\n]*\n|[^\n]+")
MAX_CHUNK = 8192  # hvsim's programs write at most this much at once (an hvsim choice)


def chunks(data: bytes) -> list[bytes]:
    """Output as the writes that produced it: a line each, long lines cut at MAX_CHUNK."""
    pieces: list[bytes] = []
    for line in _LINE.findall(data):
        pieces.extend(line[i:i + MAX_CHUNK] for i in range(0, len(line), MAX_CHUNK))
    return pieces


def application_name_found(command: str) -> bool:
    """Can CreateProcess start rsp:Command as an application name? Only a drive-qualified path with its
    extension: a bare name would be looked up in the shell's working directory (the user's profile),
    where no programs are, and a Command that carries arguments names no file at all."""
    drive, _ = ntpath.splitdrive(command)
    return bool(drive) and ntpath.isabs(command) and command.lower().endswith(".exe") and '"' not in command


def file_not_found() -> soap.SoapError:
    return soap.SoapError(soap.ERROR_FILE_NOT_FOUND, "The system cannot find the file specified. ",
                          subcode="w:InternalError", value="s:Receiver")


@dataclass
class CmdShell:
    shell_id: str
    principal: Principal
    backend: Backend
    results: dict[str, NativeResult] = field(default_factory=dict)
    pending: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict)
    closed: bool = False

    def command(self, command_id: str, command: str, arguments: list[str], skip_cmd_shell: bool) -> None:
        line = " ".join([command, *arguments]) if arguments else command
        if skip_cmd_shell and not application_name_found(command):
            raise file_not_found()
        if skip_cmd_shell and " " in command:
            line = " ".join([f'"{command}"', *arguments])  # the process sees its path as one argument
        try:
            self.results[command_id.upper()] = self.backend.run_native(self.principal, line,
                                                                       through_cmd=not skip_cmd_shell)
        except ProgramNotFound:
            raise file_not_found() from None

    def receive(self, command_id: str, max_envelope: int) -> tuple[list[tuple[str, bytes]], int | None] | None:
        """The (stream, write) pairs that fit in one response, and the exit code once all are sent (else None);
        None for a command the shell does not know."""
        key = command_id.upper()
        result = self.results.get(key)
        if result is None:
            return None
        if key not in self.pending:
            self.pending[key] = [("stdout", piece) for piece in chunks(result.stdout)] + \
                                [("stderr", piece) for piece in chunks(result.stderr)]
        queue = self.pending[key]
        room = max_envelope - ENVELOPE_OVERHEAD
        taken: list[tuple[str, bytes]] = []
        while queue and (len(queue[0][1]) + 2) // 3 * 4 + STREAM_OVERHEAD <= room:
            name, piece = queue.pop(0)
            taken.append((name, piece))
            room -= (len(piece) + 2) // 3 * 4 + STREAM_OVERHEAD
        if queue:
            return taken, None
        del self.pending[key], self.results[key]
        return taken, result.exit_code

    def signal(self, command_id: str | None) -> None:
        if command_id:
            self.results.pop(command_id.upper(), None)
            self.pending.pop(command_id.upper(), None)

    def running_commands(self) -> list[str]:
        """Commands not yet received to the end (hvsim's programs finish at once, so these are done but unread)."""
        return list(self.results)

    def close(self) -> None:
        self.closed = True
