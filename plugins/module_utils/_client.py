# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The remote-execution client: one PSRP runspace pool per host per task.

FOR INTERNAL COLLECTION USE ONLY.

``HostClient.run`` sends a batch of structured commands as ONE pipeline (one WS-Management
Command plus its Receives), one statement per command; ``_batch`` says how each output object and
error maps back to its command (boundary markers only where nothing else can). Every command runs with
ErrorAction Stop (or SilentlyContinue when ``missing_ok``), so the first error ends the batch and
is reported with the command that raised it.
"""

from __future__ import annotations

import time
import traceback
import typing as t
import uuid

from ansible_collections.winvirt.hyperv.plugins.module_utils._batch import failed_statement, layout, split
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._convert import to_plain
from ansible_collections.winvirt.hyperv.plugins.module_utils._deadline import Deadline
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._spnego_auth import (
    SPNEGO_AUTHS, authenticate_first_request, tickets_as_windows)
from ansible_collections.winvirt.hyperv.plugins.module_utils._transient import RETRY_DELAYS, is_transient
from ansible_collections.winvirt.hyperv.plugins.module_utils._winrs import NativeOutput, run_native

try:
    from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError
    from pypsrp.complex_objects import PSInvocationState
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.wsman import WSMan
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import SSLError, Timeout

    PYPSRP_IMPORT_ERROR: str | None = None
except ImportError:
    PYPSRP_IMPORT_ERROR = traceback.format_exc()

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _wire_value(value: t.Any) -> t.Any:
    """pypsrp serialises every int as Int32; send larger numbers as strings, which PowerShell converts."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and not _INT32_MIN <= value <= _INT32_MAX:
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_wire_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _wire_value(item) for key, item in value.items()}
    return value


class HostClient:
    """A connection to one host, opened on first use and closed when the task is done."""

    def __init__(self, options: ConnectionOptions) -> None:
        self.options = options
        # how errors name the host: the hostname option until a module learns the host's own name (an address
        # in the inventory should not be all a failure says about where it happened)
        self.name = options.hostname
        self._wsman: t.Any = None
        self._pool: t.Any = None
        self.round_trips = 0  # batches sent, for tests and the modules' own accounting

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> HostClient:
        return self

    def __exit__(self, *exc_info: t.Any) -> None:
        self.close()

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                pool.close()
            except Exception:  # pylint: disable=broad-except
                pass  # the host may be gone (rebooting); nothing left to clean up on our side
        wsman, self._wsman = self._wsman, None
        if wsman is not None:
            try:
                wsman.close()
            except Exception:  # pylint: disable=broad-except
                pass

    def end_task(self) -> None:
        """The task is done: a per-task client closes its session (one Delete at the host)."""
        self.close()

    def session_auth(self) -> str:
        """How the open session really authenticated: ``kerberos`` or ``ntlm`` for Negotiate (the mechanism
        SPNEGO chose: NTLM when the host was named by address, or the KDC knows no HTTP SPN for the name), else
        the configured auth."""
        auth = self.options.auth
        session = getattr(getattr(self._wsman, "transport", None), "session", None)
        contexts = getattr(getattr(session, "auth", None), "contexts", None) or {}
        for context in contexts.values():
            negotiated = (getattr(context, "negotiated_protocol", None) or "").lower()
            if negotiated in ("kerberos", "ntlm"):
                return negotiated
        return auth

    def _new_wsman(self) -> t.Any:
        opts = self.options
        cert_validation: bool | str = opts.cert_validation
        if opts.cert_validation and opts.ca_trust_path:
            cert_validation = opts.ca_trust_path
        kwargs: dict[str, t.Any] = {}
        if opts.auth == "certificate":
            kwargs.update(certificate_pem=opts.certificate_pem, certificate_key_pem=opts.certificate_key_pem)
        if opts.auth in SPNEGO_AUTHS:
            tickets_as_windows()
        authenticate_first_request()
        return WSMan(
            opts.hostname,
            port=opts.port,
            username=opts.username,
            password=opts.password,
            ssl=opts.ssl,
            auth=opts.auth,
            cert_validation=cert_validation,
            connection_timeout=opts.connection_timeout,
            operation_timeout=opts.operation_timeout,
            read_timeout=opts.read_timeout,
            proxy=opts.proxy,
            no_proxy=opts.proxy is None,
            **kwargs,
        )

    def _open(self) -> t.Any:
        if self._pool is not None:
            return self._pool
        if PYPSRP_IMPORT_ERROR:
            raise HyperVError(self.name, "the Python library pypsrp is not installed on the controller",
                              category="missing library", hint="pip install -r requirements.txt of this collection")
        last: Exception | None = None
        for delay in (0.0, *RETRY_DELAYS):
            if delay:
                time.sleep(delay)
            self._wsman = self._new_wsman()
            pool = RunspacePool(self._wsman, configuration_name="Microsoft.PowerShell")
            try:
                pool.open()
            except Exception as exc:  # pylint: disable=broad-except
                last = exc
                self._wsman = None
                if not is_transient(exc):
                    break
                continue
            self._pool = pool
            return pool
        raise self._transport_error(last, "open a PowerShell session")

    # -- PowerShell batches ------------------------------------------------------------------
    def run(self, commands: t.Sequence[Cmd], *, retry: bool = False,
            deadline: Deadline | None = None) -> list[list[t.Any]]:
        """Run ``commands`` in one round trip; returns each command's output as plain Python.

        ``retry`` re-sends the batch after a transient transport fault; set it only for batches
        that change nothing (reads), never for applies. ``deadline`` bounds the batch (default: the
        connection's ``command_timeout``): when it has not finished by then it is stopped on the host
        and HyperVError (category "timeout") is raised.
        """
        if not commands:
            return []
        attempts = (0.0, *RETRY_DELAYS) if retry else (0.0,)
        last: Exception | None = None
        for delay in attempts:
            if delay:
                time.sleep(delay)
                self.close()
            pool = self._open()
            try:
                return self._invoke(pool, commands, deadline or Deadline(self.options.command_timeout))
            except HyperVError:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                last = exc
                if not is_transient(exc):
                    break
        # the session's connection failed mid-exchange: its authentication (bound to that connection) and the
        # pipeline's state are gone, so the next batch must start a new session rather than reuse this one
        self.close()
        error = self._transport_error(last, commands[0].describe())
        error.not_started = bool(getattr(last, "winvirt_not_started", False))
        raise error

    def _invoke(self, pool: t.Any, commands: t.Sequence[Cmd], deadline: Deadline) -> list[list[t.Any]]:
        marker = f"winvirt-boundary-{uuid.uuid4()}"
        statements = layout(commands)
        ps = PowerShell(pool)
        for index, statement in enumerate(statements):
            if statement.marker_before:
                ps.add_statement()
                ps.add_cmdlet("Write-Output").add_parameter("InputObject", marker)
            if index:
                ps.add_statement()
            command = statement.command
            for link in command.chain():
                ps.add_cmdlet(link.cmdlet)
                for name, value in link.bound_parameters().items():
                    ps.add_parameter(name, _wire_value(value))
                ps.add_parameter("ErrorAction", "SilentlyContinue" if command.missing_ok else "Stop")
            if statement.select:
                ps.add_cmdlet("Select-Object").add_parameter("Property", list(statement.select))
        self.round_trips += 1
        output = self._wait(ps, commands, deadline)
        outcome = split(statements, (to_plain(item) for item in output), marker)
        errors = list(ps.streams.error)
        if ps.had_errors or errors:
            failed = commands[failed_statement(statements, outcome.position, _activity(errors[0] if errors else None))]
            if not failed.missing_ok or ps.had_errors:
                raise self._remote_error(errors, failed)
        return outcome.results

    def _wait(self, ps: t.Any, commands: t.Sequence[Cmd], deadline: Deadline) -> list[t.Any]:
        """Start the pipeline and receive until it ends or the deadline passes (then stop it on the host)."""
        try:
            ps.begin_invoke()
        except Exception as exc:  # pylint: disable=broad-except
            exc.winvirt_not_started = True  # type: ignore[attr-defined]  # the host refused the Command: nothing ran
            raise
        while ps.state == PSInvocationState.RUNNING:
            remaining = deadline.remaining()
            if remaining is not None and remaining <= 0:
                self._stop(ps)
                raise HyperVError(self.name,
                                  f"the command did not finish within {deadline.seconds:g} s and was stopped on the host",
                                  command="; ".join(command.describe() for command in commands), category="timeout",
                                  hint="Raise the task's timeout (or command_timeout) if the host needs longer.")
            wait = self.options.operation_timeout if remaining is None else \
                max(1, min(self.options.operation_timeout, int(remaining + 0.999)))
            progress = _progress(ps)
            started = time.monotonic()
            ps.poll_invoke(timeout=wait)
            if ps.state == PSInvocationState.RUNNING and _progress(ps) == progress:
                deadline.host_waited(wait, time.monotonic() - started)
        return list(ps.output)

    def _stop(self, ps: t.Any) -> None:
        try:
            ps.stop()
        except Exception:  # pylint: disable=broad-except
            self.close()  # the host is not answering: drop the session; the task fails anyway

    # -- native executables ------------------------------------------------------------------
    def run_native(self, program: str, arguments: t.Sequence[str], *, secret_arguments: t.Sequence[int] = (),
                   retry: bool = False) -> NativeOutput:
        """Run a native executable over WinRS; ``secret_arguments`` are indexes masked in errors; ``retry`` only
        for programs that may safely run twice."""
        self.round_trips += 1
        return run_native(self.options, program, arguments, secret_arguments=secret_arguments, retry=retry)

    # -- errors ------------------------------------------------------------------------------
    def _remote_error(self, errors: list[t.Any], command: Cmd) -> HyperVError:
        record = errors[0] if errors else None
        if record is None:
            return HyperVError(self.name, "the command failed without an error record", command=command.describe())
        exception = getattr(record, "exception", None)
        message = _property(exception, "Message") or getattr(record, "message", None) or str(record)
        hresult = _property(exception, "HResult")
        return HyperVError(
            self.name,
            str(message),
            command=command.describe(),
            category=getattr(record, "reason", None) or None,
            code=int(hresult) if isinstance(hresult, int) and hresult not in (0, -2146233087) else None,
            error_id=getattr(record, "fq_error", None),
        )

    def _transport_error(self, exc: Exception | None, doing: str) -> HyperVError:
        host = self.name
        endpoint = self.options.endpoint
        if exc is None:
            return HyperVError(host, f"could not {doing}", command=doing)
        if isinstance(exc, AuthenticationError):
            return HyperVError(host, f"authentication to {endpoint} failed (HTTP 401, auth={self.options.auth}): {exc}",
                               category="authentication failed")
        if isinstance(exc, SSLError):
            return HyperVError(host, f"TLS to {endpoint} failed: {exc}", category="certificate not trusted")
        if isinstance(exc, WinRMTransportError):
            category = "authentication failed" if exc.code == 401 else "WinRM transport"
            return HyperVError(host, f"WinRM at {endpoint} answered HTTP {exc.code}: {exc.response_text[:300]}",
                               category=category)
        if isinstance(exc, WSManFaultError):
            code = exc.code if isinstance(exc.code, int) else None
            return HyperVError(host, f"WinRM fault while trying to {doing}: {exc.reason or exc}", code=code,
                               category="WinRM fault")
        if isinstance(exc, (RequestsConnectionError, Timeout)):
            return HyperVError(host, f"cannot reach WinRM at {endpoint}: {exc}", category="WinRM unreachable",
                               code=0x80338012)
        if type(exc).__name__ == "NTStatusException" or "SpnegoError" in type(exc).__name__:
            return HyperVError(host, f"authentication to {endpoint} failed: {exc}", category="authentication failed")
        return HyperVError(host, f"could not {doing}: {type(exc).__name__}: {exc}")


def _progress(ps: t.Any) -> tuple[int, ...]:
    """How much a pipeline has received so far (to tell an empty Receive from one that brought data)."""
    streams = ps.streams
    return (len(ps.output), len(streams.error), len(streams.warning), len(streams.verbose), len(streams.progress),
            len(streams.information), len(streams.debug))


def _activity(record: t.Any) -> str | None:
    """The command an ErrorRecord names (CategoryInfo.Activity, else its InvocationInfo's command)."""
    if record is None:
        return None
    activity = getattr(record, "activity", None)
    if activity:
        return str(activity)
    invocation = getattr(record, "invocation_info", None)
    command = _property(invocation, "MyCommand")
    return str(command) if command else None


def _property(obj: t.Any, name: str) -> t.Any:
    if obj is None:
        return None
    for bag in ("adapted_properties", "extended_properties"):
        properties = getattr(obj, bag, None) or {}
        if name in properties:
            return properties[name]
    return getattr(obj, name.lower(), None)
