"""The first request authenticates: no anonymous request (and its 401) before Negotiate starts, on the PSRP and the
WinRS channel (_spnego_auth.FirstRequestNegotiateAuth). Counted as the requests cross a TCP proxy in front of hv1."""

from __future__ import annotations

import json
import socket
import threading
import typing as t

import pytest
from harness import connection_defaults, run_playbook

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._winrs import run_native

HOST_INFO = "winvirt.hyperv.hyperv_host_info"


class Exchange(t.NamedTuple):
    authorization: str
    body: int
    status: int


class CountingProxy:
    """Forwards HTTP/1.1 from a loopback port to one listener and records each exchange."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.exchanges: list[Exchange] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _message(stream: t.BinaryIO) -> tuple[bytes, bytes] | None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            byte = stream.read(1)
            if not byte:
                return None
            head += byte
        lines = head.decode("latin-1").split("\r\n")
        length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0)
        return head, stream.read(length) if length else b""

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        from_client, from_server = client.makefile("rb"), upstream.makefile("rb")
        with client, upstream:
            while (request := self._message(from_client)) is not None:
                upstream.sendall(request[0] + request[1])
                response = self._message(from_server)
                if response is None:
                    return
                client.sendall(response[0] + response[1])
                lines = request[0].decode("latin-1").split("\r\n")
                authorization = next((line.split(":", 1)[1].strip().split(" ")[0] for line in lines
                                      if line.lower().startswith("authorization:")), "")
                self.exchanges.append(Exchange(authorization, len(request[1]), int(response[0].split(b" ")[1])))


@pytest.fixture
def hv1_proxy(lab3: t.Any) -> t.Iterator[CountingProxy]:
    proxy = CountingProxy((lab3.address("hv1"), lab3.http_port))
    yield proxy
    proxy.close()


def test_psrp_over_ntlm_authenticates_with_its_first_request(lab3: t.Any, hv1_proxy: CountingProxy) -> None:
    connection = {**connection_defaults(lab3, "hv1", "negotiate"), "hostname": "127.0.0.1", "port": hv1_proxy.port}
    run = run_playbook(lab3, [{"name": "facts", HOST_INFO: {}}], connection=connection)
    assert run.status("facts") == "ok", run.stdout
    first, second = hv1_proxy.exchanges[:2]
    assert first.authorization == "Negotiate" and first.status == 401  # NTLM's challenge, not an anonymous 401
    assert second.authorization == "Negotiate" and second.status == 200
    assert [e.status for e in hv1_proxy.exchanges].count(401) == 1
    assert [e.body for e in hv1_proxy.exchanges[:2]] == [0, 0]  # the two NTLM legs; every later request is WSMan
    assert all(e.body for e in hv1_proxy.exchanges[2:])


def test_winrs_over_ntlm_authenticates_with_its_first_request(lab3: t.Any, hv1_proxy: CountingProxy) -> None:
    defaults = connection_defaults(lab3, "hv1", "negotiate")
    options = ConnectionOptions(hostname="127.0.0.1", port=hv1_proxy.port, username=defaults["username"],
                                password=defaults["password"], auth="negotiate", ssl=False, cert_validation=True,
                                ca_trust_path=None, certificate_pem=None, certificate_key_pem=None,
                                connection_timeout=10, operation_timeout=20, read_timeout=30, proxy=None)
    output = run_native(options, "C:\\Windows\\System32\\setspn.exe", ["-L", "hv1"])
    assert output.rc == 0, output
    assert hv1_proxy.exchanges[0].authorization == "Negotiate"
    assert [e.status for e in hv1_proxy.exchanges].count(401) == 1


@pytest.mark.samba
def test_kerberos_needs_no_401_at_all(lab3_kerberos: t.Any) -> None:
    proxy = CountingProxy((lab3_kerberos.address("hv1"), lab3_kerberos.http_port))
    try:
        defaults = connection_defaults(lab3_kerberos, "hv1", "kerberos")
        connection = {**defaults, "port": proxy.port}
        run = run_playbook(lab3_kerberos, [{"name": "facts", HOST_INFO: {}}], connection=connection,
                           environment={"HVSIM_HOSTS": json.dumps({defaults["hostname"]: "127.0.0.1"})})
        assert run.status("facts") == "ok", run.stdout
        assert [e.status for e in proxy.exchanges].count(401) == 0
        assert proxy.exchanges[0].authorization == "Negotiate" and proxy.exchanges[0].body == 0
        assert all(e.body for e in proxy.exchanges[1:])
    finally:
        proxy.close()
