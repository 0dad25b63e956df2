"""Byte and exchange accounting (hvsim.wire.accounting): the counters hold exactly what crossed the socket."""

from __future__ import annotations

import os
import socket
import typing

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvsim.runner import start_estate

BLOCK = 100 + os.getpid() % 30
PORT = 16985

HTTP_COUNTERS = ("tcp_connections", "http_exchanges_auth", "http_exchanges_wsman", "http_exchanges_other",
                 "http_request_bytes", "http_response_bytes")


@pytest.fixture(scope="module")
def lab3() -> typing.Iterator[typing.Any]:
    estate = start_estate("lab3", block=BLOCK, http_port=PORT, https_port=PORT + 1, admin_port=0)
    try:
        yield estate
    finally:
        estate.stop()


def _http(estate: typing.Any) -> dict[str, int]:
    counters = estate.counters("hv1")
    return {name: counters[name] for name in HTTP_COUNTERS}


class _Responses:
    """Whole HTTP responses (headers, then Content-Length bytes of body) from a socket, exactly as received."""

    def __init__(self, stream: socket.socket) -> None:
        self.stream = stream
        self.pending = b""

    def _fill(self, until: typing.Callable[[], bool]) -> None:
        while not until():
            chunk = self.stream.recv(65536)
            assert chunk, f"connection closed mid-response: {self.pending!r}"
            self.pending += chunk

    def next(self) -> bytes:
        self._fill(lambda: b"\r\n\r\n" in self.pending)
        head = self.pending.split(b"\r\n\r\n", 1)[0]
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        size = len(head) + 4 + length
        self._fill(lambda: len(self.pending) >= size)
        response, self.pending = self.pending[:size], self.pending[size:]
        return response


def test_known_requests_are_counted_to_the_byte(lab3: typing.Any) -> None:
    lab3.reset_counters()
    unauthenticated = (b"POST /wsman HTTP/1.1\r\nHost: hv1\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
                       b"Content-Length: 5\r\n\r\nhello")
    not_post = b"GET /wsman HTTP/1.1\r\nHost: hv1\r\nContent-Length: 0\r\n\r\n"
    with socket.create_connection((lab3.address("hv1"), PORT), timeout=10) as stream:
        responses = _Responses(stream)
        stream.sendall(unauthenticated)
        first = responses.next()
        stream.sendall(not_post)
        second = responses.next()
        assert not responses.pending
    assert first.startswith(b"HTTP/1.1 401 ") and b"WWW-Authenticate: Negotiate" in first
    assert second.startswith(b"HTTP/1.1 501 ")
    assert _http(lab3) == {
        "tcp_connections": 1,
        "http_exchanges_auth": 1,  # the 401 challenge
        "http_exchanges_wsman": 0,
        "http_exchanges_other": 1,  # http.server's own 501 for GET
        "http_request_bytes": len(unauthenticated) + len(not_post),
        "http_response_bytes": len(first) + len(second),
    }
    assert lab3.counters("hv1")["wsman_actions"] == {}, "no envelope reached the dispatcher"


def test_two_requests_in_one_segment_are_two_exchanges(lab3: typing.Any) -> None:
    """Bytes are counted as the handler consumes them: the second request, already in the read buffer while the
    first is answered, is counted with its own exchange."""
    lab3.reset_counters()
    request = b"POST /wsman HTTP/1.1\r\nHost: hv1\r\nContent-Length: 0\r\n\r\n"
    with socket.create_connection((lab3.address("hv1"), PORT), timeout=10) as stream:
        responses = _Responses(stream)
        stream.sendall(request * 2)
        answers = [responses.next(), responses.next()]
        assert not responses.pending
    counters = _http(lab3)
    assert counters["http_exchanges_auth"] == 2 and counters["tcp_connections"] == 1
    assert counters["http_request_bytes"] == 2 * len(request)
    assert counters["http_response_bytes"] == sum(len(answer) for answer in answers)


def test_an_ntlm_session_splits_auth_legs_from_wsman_messages(lab3: typing.Any) -> None:
    lab3.reset_counters()
    wsman = WSMan(lab3.address("hv1"), port=PORT, ssl=False, auth="ntlm", username="LAB\\Administrator",
                  password="Passw0rd!", encryption="always", connection_timeout=5, read_timeout=10)
    with wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-VM").add_parameter("Name", "web1")
        ps.invoke()
    counters = lab3.counters("hv1")
    # every SOAP envelope the dispatcher handled is one WS-Management exchange; the NTLM handshake is not
    assert counters["http_exchanges_wsman"] == counters["wsman_messages"] >= 4
    assert counters["http_exchanges_auth"] >= 2 and counters["http_exchanges_other"] == 0
    # on the socket: headers and the MS-WSMV encryption framing on top of the SOAP envelopes
    assert counters["http_request_bytes"] > counters["bytes_in"]
    assert counters["http_response_bytes"] > counters["bytes_out"]
    assert counters["tcp_connections"] >= 1
    # each WS-Management exchange under its action: the pool's Create and Delete, the pipeline's Command, Receives
    actions = counters["wsman_actions"]
    assert sum(actions.values()) == counters["http_exchanges_wsman"]
    assert actions["Create"] == actions["Command"] == actions["Delete"] == 1 and actions["Receive"] >= 2, actions
