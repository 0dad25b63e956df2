# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A HostClient whose runspace pool lives in the session helper and outlives the task.

FOR INTERNAL COLLECTION USE ONLY.

The modules' action plugin (plugins/plugin_utils/_action.py) starts (or finds) the helper, a
``winvirt.hyperv.psrp_session`` connection served by ``ansible-connection``, and gives the module its socket (``_ansible_socket``). Each
batch goes to the helper as data (``_session_wire``); the helper runs it with a HostClient of its own
keyed by the full connection options, so consecutive tasks to one host share one authenticated
RunspacePool. The helper closes it after its idle timeout and when the play ends.

When the helper cannot be reached before a request was sent (it just timed out, or the socket is
gone), the client falls back to a per-task HostClient for the rest of the task: nothing was sent, so
nothing can run twice. Native programs (WinRS) run from the module as before: one shell per call,
no pool to keep.
"""

from __future__ import annotations

import dataclasses
import os
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._deadline import Deadline
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._session_channel import HelperChannel, HelperUnreachable
from ansible_collections.winvirt.hyperv.plugins.module_utils._session_wire import (
    WireError,
    batch_request,
    parse_reply,
    session_request,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._winrs import NativeOutput, run_native


def _absolute(options: ConnectionOptions) -> ConnectionOptions:
    """File paths as the helper must see them: it runs in ``/``, not in the module's directory."""
    paths = {name: os.path.abspath(value) for name in ("ca_trust_path", "certificate_pem", "certificate_key_pem")
             if (value := getattr(options, name))}
    return dataclasses.replace(options, **paths) if paths else options


class SessionClient:
    """HostClient's interface (run, run_native, close, session_auth, name, options, round_trips) over the helper."""

    def __init__(self, options: ConnectionOptions, channel: HelperChannel) -> None:
        self.options = options
        self.name = options.hostname
        self.channel = channel
        self.round_trips = 0
        self.fallback: HostClient | None = None  # set when the helper could not be reached

    def _local(self) -> HostClient:
        if self.fallback is None:
            self.fallback = HostClient(self.options)
        self.fallback.name = self.name
        return self.fallback

    def _call(self, method: str, payload: str, doing: str) -> dict[str, t.Any]:
        try:
            return parse_reply(self.channel.call(method, payload))
        except (WireError, OSError, ValueError) as exc:
            if isinstance(exc, HelperUnreachable):
                raise
            self.channel.close()
            self.channel.unreachable = "the helper failed during a request"
            raise HyperVError(self.name, f"the session helper (socket {self.channel.socket_path}) failed while trying to {doing}: "
                              f"{exc}", command=doing, category="session helper",
                              hint="Run the play again; if it recurs, turn sessions off (hyperv_sessions: false or "
                                   "HYPERV_SESSIONS=false) and report the problem.") from None

    # -- HostClient's interface ------------------------------------------------------------
    def run(self, commands: t.Sequence[Cmd], *, retry: bool = False,
            deadline: Deadline | None = None) -> list[list[t.Any]]:
        if not commands:
            return []
        if self.fallback is not None:
            return self._local().run(commands, retry=retry, deadline=deadline)
        payload = batch_request(_absolute(self.options), self.name, commands, retry=retry,
                                deadline_seconds=deadline.remaining() if deadline is not None else None)
        self.round_trips += 1
        try:
            reply = self._call("run_batch", payload, commands[0].describe())
        except HelperUnreachable:
            self.round_trips -= 1
            return self._local().run(commands, retry=retry, deadline=deadline)
        if deadline is not None:
            deadline.host_waited(float(reply.get("host_waited") or 0.0), 0.0)  # the helper saw the host wait this long
        return t.cast("list[list[t.Any]]", reply["results"])

    def run_native(self, program: str, arguments: t.Sequence[str], *, secret_arguments: t.Sequence[int] = (),
                   retry: bool = False) -> NativeOutput:
        self.round_trips += 1
        return run_native(self.options, program, arguments, secret_arguments=secret_arguments, retry=retry)

    def session_auth(self) -> str:
        if self.fallback is not None:
            return self.fallback.session_auth()
        try:
            return str(self._call("session_auth", session_request(_absolute(self.options), self.name),
                                  "read the session's authentication")["auth"])
        except HelperUnreachable:
            return self.options.auth

    def close(self) -> None:
        """Drop this host's session (a restart made it useless); the next run opens a new one."""
        if self.fallback is not None:
            self.fallback.close()
            return
        try:
            self._call("drop_session", session_request(_absolute(self.options), self.name), "close the session")
        except (HelperUnreachable, HyperVError):
            pass  # nothing to drop: the helper is gone, and its sessions with it

    def end_task(self) -> None:
        """The task is done: the session stays for the next task (a fallback client is closed)."""
        if self.fallback is not None:
            self.fallback.close()
