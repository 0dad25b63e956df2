# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Native executables (setspn.exe, the App Layering agent, icacls.exe) over WinRS, started without cmd.exe.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._quoting import (
    UnquotableArgumentError,
    build_command_line,
    quote_argument,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._spnego_auth import SPNEGO_AUTHS, use_spnego
from ansible_collections.winvirt.hyperv.plugins.module_utils._transient import RETRY_DELAYS, is_transient

try:
    import winrm

    PYWINRM_IMPORT_ERROR: str | None = None
except ImportError:
    PYWINRM_IMPORT_ERROR = traceback.format_exc()

# negotiate and kerberos: pywinrm builds the session, the auth is the PSRP channel's (_spnego_auth.use_spnego)
_TRANSPORTS = {"negotiate": "ntlm", "ntlm": "ntlm", "kerberos": "ntlm", "credssp": "credssp",
               "certificate": "certificate", "basic": "basic"}


_FILE_NOT_FOUND = "2147942402"  # 0x80070002: WinRS could not start the program (no cmd.exe to say 9009)


@dataclasses.dataclass(frozen=True)
class NativeOutput:
    rc: int
    stdout: str
    stderr: str


def masked_command_line(program: str, arguments: t.Sequence[str], secret_arguments: t.Sequence[int]) -> str:
    """The command line as it may appear in logs and errors: secrets replaced by ********."""
    shown = [("********" if index in secret_arguments else argument) for index, argument in enumerate(arguments)]
    return " ".join([quote_argument(program), *(quote_argument(argument) for argument in shown)])


def _protocol(options: ConnectionOptions) -> t.Any:
    kwargs: dict[str, t.Any] = {
        "transport": _TRANSPORTS[options.auth],
        "username": options.username,
        "password": options.password,
        "server_cert_validation": "validate" if options.cert_validation else "ignore",
        "read_timeout_sec": options.read_timeout,
        "operation_timeout_sec": options.operation_timeout,
        "proxy": options.proxy,
    }
    if options.ca_trust_path:
        kwargs["ca_trust_path"] = options.ca_trust_path
    if options.auth == "certificate":
        kwargs.update(cert_pem=options.certificate_pem, cert_key_pem=options.certificate_key_pem)
    if options.auth in SPNEGO_AUTHS:
        kwargs["message_encryption"] = "never"  # use_spnego sets it up with its own context
    protocol = winrm.Protocol(options.endpoint, **kwargs)
    if options.auth in SPNEGO_AUTHS:
        use_spnego(protocol.transport, options)
    return protocol


def _run_once(options: ConnectionOptions, program: str, arguments: t.Sequence[str]) -> tuple[bytes, bytes, int]:
    protocol = _protocol(options)
    shell_id = protocol.open_shell()
    try:
        # WinRS starts rsp:Command as the application name (a full path; no PATH search), with the
        # arguments from rsp:Arguments (pypsrp recording test_winrs_no_cmd_shell.yml).
        quoted = [quote_argument(argument) for argument in arguments]
        command_id = protocol.run_command(shell_id, program, quoted, skip_cmd_shell=True)
        stdout, stderr, rc = protocol.get_command_output(shell_id, command_id)
        # No Signal terminate for the finished command: deleting the shell ends its commands and frees their
        # resources (MS-WSMV 3.1.4.4.1), so the Signal would only cost one more round trip.
    finally:
        try:
            protocol.close_shell(shell_id)
        except Exception:  # pylint: disable=broad-except  # WinRS drops an idle shell by itself
            pass
    return stdout, stderr, rc


def run_native(
    options: ConnectionOptions, program: str, arguments: t.Sequence[str], *, secret_arguments: t.Sequence[int] = (),
    retry: bool = False,
) -> NativeOutput:
    """Run ``program`` with ``arguments`` (each quoted by the one quoting function) and wait for it.

    WINRS_SKIP_CMD_SHELL makes WinRS start the program itself, so no cmd.exe expands %VARIABLES% or
    splits the line at ``&`` (cmd.exe expands ``%NAME:a=b%`` before it removes carets, so escaping
    for it cannot be made safe). ``retry`` runs the program again after a transient transport fault:
    only for programs that may safely run twice (a listing, ``icacls /grant:r``)."""
    shown = masked_command_line(program, arguments, secret_arguments)
    if PYWINRM_IMPORT_ERROR:
        raise HyperVError(options.hostname, "the Python library pywinrm is not installed on the controller",
                          command=shown, category="missing library", hint="pip install -r requirements.txt of this collection")
    try:
        build_command_line(program, arguments)  # refuses what no command line can carry (NUL, line breaks)
    except UnquotableArgumentError as exc:
        raise HyperVError(options.hostname, f"{exc}: no Windows command line can carry it, so nothing was run",
                          command=shown, category="invalid argument",
                          hint="change the value (Windows allows no double quote in a path)") from None
    delays = (0.0, *RETRY_DELAYS) if retry else (0.0,)
    for attempt, delay in enumerate(delays, start=1):
        time.sleep(delay)
        try:
            stdout, stderr, rc = _run_once(options, program, arguments)
            break
        except Exception as exc:  # pylint: disable=broad-except
            if attempt < len(delays) and is_transient(exc):
                continue
            text = str(exc)
            for index in secret_arguments:
                if arguments[index]:
                    text = text.replace(arguments[index], "********")
            if _FILE_NOT_FOUND in text:
                raise HyperVError(options.hostname, f"the program {program} was not found", command=shown,
                                  category="not found", hint="check the program's path on that host") from None
            raise HyperVError(options.hostname, f"{type(exc).__name__}: {text}", command=shown) from None
    return NativeOutput(rc=rc, stdout=stdout.decode("utf-8", errors="replace"), stderr=stderr.decode("utf-8", errors="replace"))
