# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A connection to the session helper: ansible-connection's JSON-RPC framing over its unix socket.

FOR INTERNAL COLLECTION USE ONLY. Light on purpose: the action plugin probes helpers with it in every task.
"""

from __future__ import annotations

import json
import socket
import typing as t

from ansible.module_utils.connection import recv_data, request_builder, send_data

from ansible_collections.winvirt.hyperv.plugins.module_utils._session_wire import WireError, hello_request, parse_reply


class HelperUnreachable(Exception):
    """The helper did not answer the hello (gone, ending, busy or of another version): no request was sent."""


HELLO_SECONDS = 10.0  # a helper busy with another connection (an async task of the same host) is not waited for


class HelperChannel:
    """The module's one connection to the helper, for the whole task (every client of the task shares it).

    It opens with a ``hello`` the helper must answer: the answer proves the helper accepted this connection
    (a connection still waiting in the socket's backlog of a helper that is just ending would be reset
    unanswered), and while a connection is open ansible-connection does not run its idle timer. A hello that
    fails means no request was sent, so the task can safely use a connection of its own instead.
    """

    def __init__(self, socket_path: str, hello_seconds: float = HELLO_SECONDS) -> None:
        self.socket_path = socket_path
        self.hello_seconds = hello_seconds
        self._sock: socket.socket | None = None
        self.unreachable: str | None = None  # why the helper could not be used, once that is known

    def open(self) -> None:
        if self._sock is not None:
            return
        if self.unreachable is not None:
            raise HelperUnreachable(self.unreachable)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.hello_seconds)
            sock.connect(self.socket_path)
            self._sock = sock
            parse_reply(self._exchange("hello", hello_request()))
            sock.settimeout(None)  # batches are bounded by their own deadline, in the helper
        except Exception as exc:  # pylint: disable=broad-except  # nothing was sent but the hello
            self.close()
            self.unreachable = f"{type(exc).__name__}: {exc}"
            raise HelperUnreachable(self.unreachable) from None

    def call(self, method: str, payload: str) -> t.Any:
        self.open()
        return self._exchange(method, payload)

    def _exchange(self, method: str, payload: str) -> t.Any:
        """One JSON-RPC request and its response (ansible-connection's framing); the result text."""
        if self._sock is None:
            raise HelperUnreachable("the channel is not open")
        request = request_builder(method, payload)
        send_data(self._sock, json.dumps(request).encode("utf-8"))
        raw = recv_data(self._sock)
        if raw is None:
            raise WireError("the session helper closed the connection without an answer")
        response = json.loads(raw.decode("utf-8", errors="replace"))
        if response.get("id") != request["id"]:
            raise WireError("the session helper answered another request")
        if "error" in response:
            error = response["error"] or {}
            raise WireError(str(error.get("data") or error.get("message") or error))
        return response.get("result")

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass
