"""Instrumentation, not behaviour: the bytes and HTTP exchanges that cross a listener's socket, per machine.

A connection's reader and writer are wrapped so every byte the HTTP handler consumes or sends is counted as
it passes (request line, headers and body, as sent: encrypted bodies stay encrypted, so what is counted is
what a packet capture of plain HTTP would show; over HTTPS it is the HTTP inside TLS, without TLS records
or the handshake). Each answered request is one exchange of a kind:

- ``auth``:  no WS-Management message was handled: a 401 challenge, or an authentication leg with an
             empty body (pypsrp's NTLM/Kerberos set-up before message encryption, MS-WSMV 2.2.9.1.1);
- ``wsman``: a SOAP envelope reached the WS-Management dispatcher (answered 200 or with a fault);
- ``other``: anything else (404, 503, a malformed request).

A WS-Management exchange is also counted under its action (the last segment of wsa:Action: Create, Command,
Send, Receive, Signal, Delete, ...).

Counts are committed before the bytes are written, so a client that has read its answer always finds its
exchange counted (a benchmark reads the counters between tasks).
"""

from __future__ import annotations

import typing

EXCHANGE_KINDS = ("auth", "wsman", "other")


class HttpRecorder(typing.Protocol):
    """What accounting needs from the backend (hvsim.server.Simulation.record_http)."""

    def __call__(self, machine: str, *, connections: int = 0, exchange: str | None = None, action: str | None = None,
                 request_bytes: int = 0, response_bytes: int = 0) -> None: ...


def _ignore(machine: str, *, connections: int = 0, exchange: str | None = None, action: str | None = None,
            request_bytes: int = 0, response_bytes: int = 0) -> None:
    return None


def recorder_of(backend: object) -> HttpRecorder:
    """The backend's ``record_http``, or a recorder that ignores everything (a backend may not count)."""
    return typing.cast(HttpRecorder, getattr(backend, "record_http", _ignore))


class CountingReader:
    """A handler's ``rfile``: counts the bytes the handler consumes (not what sits in the read buffer)."""

    def __init__(self, stream: typing.BinaryIO, count: typing.Callable[[int], None]) -> None:
        self._stream = stream
        self._count = count

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._count(len(data))
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._stream.read1(size)  # type: ignore[attr-defined]
        self._count(len(data))
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self._stream.readline(size)
        self._count(len(data))
        return data

    def readinto(self, buffer: typing.Any) -> int:
        size = self._stream.readinto(buffer)  # type: ignore[attr-defined]
        self._count(size or 0)
        return size  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> typing.Any:  # close, closed, fileno, ...
        return getattr(self._stream, name)


class CountingWriter:
    """A handler's ``wfile``: counts each write before it reaches the socket."""

    def __init__(self, stream: typing.Any, count: typing.Callable[[int], None]) -> None:
        self._stream = stream
        self._count = count

    def write(self, data: bytes) -> int:
        self._count(len(data))
        return typing.cast(int, self._stream.write(data))

    def __getattr__(self, name: str) -> typing.Any:  # flush, close, closed, ...
        return getattr(self._stream, name)
