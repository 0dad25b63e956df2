"""HTTP(S) listeners: one per machine address and port, POST /wsman, keep-alive connections.

Each TCP connection keeps its own authentication state (Negotiate and CredSSP are connection
based), so the handler object (one per connection in http.server) holds it.
"""

from __future__ import annotations

import http.server
import socket
import socketserver
import ssl
import threading
import time
import typing

from hvsim.contract import Backend
from hvsim.wire import auth, soap
from hvsim.wire.accounting import CountingReader, CountingWriter, recorder_of
from hvsim.wire.faults import FaultTable
from hvsim.wire.shells import ShellTable


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], machine: str, backend: Backend, shells: ShellTable,
                 ssl_context: ssl.SSLContext | None, faults: FaultTable) -> None:
        self.machine = machine
        self.backend = backend
        self.shells = shells
        self.ssl_context = ssl_context
        self.faults = faults
        self.authenticator = auth.Authenticator(backend, machine, https=ssl_context is not None)
        self.record_http = recorder_of(backend)
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without http.server's socket.getfqdn() of the address (a reverse DNS lookup that can stall
        for seconds on a loopback address)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: typing.Any, client_address: typing.Any) -> None:
        """Dropped, refused and half-open connections are part of the simulation, not errors."""
        import sys  # pylint: disable=import-outside-toplevel

        if isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    def setup(self) -> None:
        self.auth_state = auth.ConnectionAuth()
        # HTTP.sys sends each response at once; without TCP_NODELAY, Nagle's algorithm and the client's
        # delayed ACK hold the last segment of a response for ~40 ms per exchange.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.server.backend.is_reachable(self.server.machine):
            # powered off or rebooting: drop the connection before a byte is read
            self.request.close()
            raise ConnectionAbortedError("machine unreachable")
        if self.server.ssl_context is not None:
            self.request.settimeout(30)
            self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()
        record, machine = self.server.record_http, self.server.machine
        record(machine, connections=1)
        self.rfile = CountingReader(self.rfile, lambda size: record(machine, request_bytes=size))
        self.wfile = CountingWriter(self.wfile, lambda size: record(machine, response_bytes=size))
        self.exchange_kind = "other"
        self.wsman_action = ""

    def handle_one_request(self) -> None:
        self.exchange_kind = "other"  # do_POST says "auth" or "wsman" once it knows
        self.wsman_action = ""  # and _dispatch which WS-Management action the envelope asked for
        super().handle_one_request()

    def send_response(self, code: int, message: str | None = None) -> None:
        """Every answer passes here (http.server's own errors too): one exchange, counted before it is sent."""
        action = (self.wsman_action or "(unparsed)") if self.exchange_kind == "wsman" else None
        self.server.record_http(self.server.machine, exchange=self.exchange_kind, action=action)
        super().send_response(code, message)

    def log_message(self, format: str, *args: typing.Any) -> None:  # pylint: disable=redefined-builtin
        return  # quiet; the call log and counters record what matters

    # -- HTTP --------------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        machine = self.server.machine
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if not self.server.backend.is_reachable(machine):
            self.close_connection = True
            self.connection.close()
            return
        fault = self.server.faults.take(machine)
        if fault is not None:
            if fault.kind in ("drop", "reset"):
                self._reset()
                return
            if fault.kind == "http503":
                self._send(503, b"Service Unavailable", "text/plain")
                return
            if fault.kind == "slow":
                self.delay = fault.seconds  # the request is handled at once; its answer comes late
            if fault.kind == "lost":
                self.lose_answer = True  # the request is handled at once; its answer never leaves
        if self.path.split("?")[0].lower() != "/wsman":
            self._send(404, b"", "text/plain")
            return
        header = self.headers.get("Authorization")
        client_address = self.client_address[0]
        if header:
            certificate = None
            if isinstance(self.connection, ssl.SSLSocket):
                certificate = self.connection.getpeercert(binary_form=True)
            outcome = self.server.authenticator.authenticate(header, self.auth_state, client_address, certificate)
            if outcome.status != 200:
                self.exchange_kind = "auth"
                self._send(401, b"", "text/plain", outcome.headers)
                return
            extra_headers = outcome.headers
        elif self.auth_state.principal is not None and self.auth_state.kind not in ("basic", "certificate"):
            extra_headers = []
        else:
            self.exchange_kind = "auth"
            self._send(401, b"", "text/plain", auth.challenge_headers(self.server.ssl_context is not None))
            return
        if not body:
            self.exchange_kind = "auth"
            self._send(200, b"", "application/soap+xml;charset=UTF-8", extra_headers)
            return
        content_type = self.headers.get("Content-Type", "")
        state = self.auth_state
        if auth.is_encrypted(content_type):
            if state.context is None or state.encryption_protocol is None:
                self._send(400, b"", "text/plain")
                return
            try:
                body = auth.unwrap(state.context, body, content_type)
            except Exception:  # pylint: disable=broad-except
                self._send(400, b"", "text/plain")
                return
        elif state.encryption_protocol is not None:
            # A default listener has AllowUnencrypted=false: plain SOAP over HTTP is refused.
            self.exchange_kind = "auth"
            self._send(401, b"", "text/plain", auth.challenge_headers(False))
            return
        self.exchange_kind = "wsman"
        status, reply = self._dispatch(body)
        self.server.backend.record_wire(machine, 1, len(body), len(reply))
        if state.encryption_protocol is not None and state.context is not None:
            wrapped_type, wrapped = auth.wrap(state.context, state.encryption_protocol, reply)
            self._send(status, wrapped, wrapped_type, extra_headers)
        else:
            self._send(status, reply, "application/soap+xml;charset=UTF-8", extra_headers)

    def _dispatch(self, body: bytes) -> tuple[int, bytes]:
        principal = self.auth_state.principal
        assert principal is not None
        request: soap.Request | None = None
        try:
            request = soap.parse_request(body)
            self.wsman_action = request.action.rsplit("/", 1)[-1]
            address = self.server.server_address[0]
            envelope = self.server.shells.handle(request, principal, str(address))
            return 200, soap.to_bytes(envelope)
        except soap.SoapError as error:
            record_fault = getattr(self.server.backend, "record_fault", None)
            if record_fault is not None:
                record_fault(self.server.machine, error.code)
            return 500, soap.fault(error, self.server.machine, request.message_id if request else "")

    def _reset(self) -> None:
        """Close the connection with a TCP reset (SO_LINGER 0), no answer sent."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        self.connection.close()

    def _send(self, status: int, body: bytes, content_type: str, headers: list[tuple[str, str]] | None = None) -> None:
        delay, self.delay = getattr(self, "delay", 0.0), 0.0
        if delay:
            time.sleep(delay)
        lose, self.lose_answer = getattr(self, "lose_answer", False), False
        if lose:
            self._reset()
            return
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


class Listener:
    """One HTTP or HTTPS endpoint of one machine, served on a daemon thread."""

    def __init__(self, machine: str, address: str, port: int, backend: Backend, shells: ShellTable,
                 ssl_context: ssl.SSLContext | None, faults: FaultTable) -> None:
        self.server = _Server((address, port), machine, backend, shells, ssl_context, faults)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                       name=f"hvsim-{machine}-{port}", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for serve_forever, which never ran otherwise
            self.server.shutdown()
        self.server.server_close()
