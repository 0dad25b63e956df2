"""The emulated Citrix App Layering appliance (ELM) of an estate's ``role: appliance`` machine.

Two HTTPS servers on the machine's loopback address, with a certificate from the estate CA:
- ``MANAGEMENT_PORT`` (443): SOAP ``/Unidesk.Web/API.asmx`` (Login, Logout, RegisterAgent);
- ``CONNECTOR_PORT`` (3512): the Hyper-V connector's JSON API (``/api/Configurations``, ``/verify``,
  ``/api/Agents``).
``start_appliance(world, machine, cert_dir)`` starts both; ``.stop()`` stops them; ``.state`` holds
what the appliance remembers and ``.snapshot()`` gives it as data to compare.
"""

from __future__ import annotations

import http.server
import json
import pathlib
import ssl
import threading
import typing

from hvsim.appliance.connector_api import handle_json
from hvsim.appliance.soap import SOAP_PATH, handle_soap
from hvsim.appliance.state import ApplianceState
from hvsim.appliance.tls import issue_appliance_certificate

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

MANAGEMENT_PORT = 443
CONNECTOR_PORT = 3512
SESSION_HEADER = "SessionToken"

__all__ = ["Appliance", "start_appliance", "MANAGEMENT_PORT", "CONNECTOR_PORT", "SESSION_HEADER"]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: typing.Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet: tests read the state, not a log."""

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _dispatch(self, method: str) -> None:
        body = self._body()
        token = self.headers.get(SESSION_HEADER)
        appliance = self.server.appliance
        if self.server.kind == "management":
            if method != "POST" or self.path.split("?")[0] != SOAP_PATH:
                self._send(404, b"Not Found", "text/plain")
                return
            self._send(200, handle_soap(appliance.state, body, token), "text/xml; charset=utf-8")
            return
        status, data = handle_json(appliance.world, appliance.state, method, self.path, token, body)
        self._send(status, b"" if data is None else json.dumps(data).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802  pylint: disable=invalid-name
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802  pylint: disable=invalid-name
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802  pylint: disable=invalid-name
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802  pylint: disable=invalid-name
        self._dispatch("DELETE")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, appliance: Appliance, kind: str, address: str, port: int, tls: ssl.SSLContext) -> None:
        self.appliance = appliance
        self.kind = kind
        super().__init__((address, port), _Handler)
        # the handshake runs in the request's thread, so a silent client cannot stall accept()
        self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: typing.Any, client_address: typing.Any) -> None:
        """A client that gives up on the TLS handshake (an untrusted certificate) is not the appliance's error."""


class Appliance:
    def __init__(self, world: World, machine: Machine, cert_dir: pathlib.Path) -> None:
        if not machine.address.startswith("127."):
            raise ValueError(f"hvsim listens on loopback addresses only, not {machine.address}")
        self.world = world
        self.machine = machine
        self.state = ApplianceState()
        cert, key = issue_appliance_certificate(cert_dir, [machine.fqdn, machine.name], machine.address)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        self._servers = [_Server(self, "management", machine.address, MANAGEMENT_PORT, tls),
                         _Server(self, "connector", machine.address, CONNECTOR_PORT, tls)]
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        return self.machine.address

    def start(self) -> Appliance:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=f"appliance-{self.machine.name}-{server.kind}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def snapshot(self) -> dict[str, typing.Any]:
        return self.state.snapshot()


def start_appliance(world: World, machine: Machine, *, cert_dir: pathlib.Path) -> Appliance:
    return Appliance(world, machine, cert_dir).start()
