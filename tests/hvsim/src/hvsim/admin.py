"""The loopback admin API: look at the world, ask reachability questions, inject faults, read counters.

GET  /world                       the whole world as JSON
GET  /counters                    per-machine counters
POST /counters/reset
GET  /reachable?src=A&dst=B       A, B: "hv1" (management OS), "hv1/vm1" (a VM), "lan" (an untagged LAN device)
POST /faults   {"machine": "hv1", "kind": "drop|delay|reset|lost|http503|disk_full|clear", "seconds": 2, "count": 1,
                "volume": "C:", "after": 0}   after: requests let through first (a fault at step N)
POST /power    {"machine": "hv1", "state": "off|on"}
POST /clock    {"seconds": 600}   world time passes (replication cycles run, waiting cmdlets finish);
                                  answers {"now": seconds since the estate's epoch}
"""

from __future__ import annotations

import json
import threading
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

if typing.TYPE_CHECKING:
    from hvsim.runner import RunningEstate


class AdminServer:
    def __init__(self, estate: RunningEstate, address: str, port: int) -> None:
        if not address.startswith("127."):
            raise ValueError(f"the admin API binds only to loopback addresses, not {address}")
        handler = _handler_for(estate)
        self._server = ThreadingHTTPServer((address, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hvsim-admin", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(estate: RunningEstate) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: typing.Any) -> None:  # noqa: A002 - stdlib signature
            return

        def _send(self, status: int, body: typing.Any) -> None:
            payload = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _body(self) -> dict[str, typing.Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            url = urlparse(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            try:
                if url.path == "/world":
                    self._send(200, estate.snapshot())
                elif url.path == "/counters":
                    self._send(200, estate.all_counters())
                elif url.path == "/reachable":
                    self._send(200, {"reachable": estate.reachable(query["src"], query["dst"])})
                else:
                    self._send(404, {"error": f"no such path {url.path}"})
            except (KeyError, ValueError) as exc:
                self._send(400, {"error": str(exc)})

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            url = urlparse(self.path)
            try:
                body = self._body()
                if url.path == "/counters/reset":
                    estate.reset_counters()
                    self._send(200, {"ok": True})
                elif url.path == "/faults":
                    estate.inject_fault(**body)
                    self._send(200, {"ok": True})
                elif url.path == "/clock":
                    self._send(200, {"now": estate.advance_clock(float(body["seconds"]))})
                elif url.path == "/power":
                    estate.set_power(body["machine"], body["state"] == "on")
                    self._send(200, {"ok": True})
                else:
                    self._send(404, {"error": f"no such path {url.path}"})
            except (KeyError, ValueError, TypeError) as exc:
                self._send(400, {"error": str(exc)})

    return Handler
