"""An endpoint that is not LDAP fails with a clear message, not ldap3's internal KeyError (issue 16)."""

from __future__ import annotations

import socket
import threading
import typing as t

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._ldap_connection import LdapOptions, connect


# A well-formed BER message whose operation is one a server never sends (an LDAP-ish service of another kind):
# ldap3's decoder looks its tag up in a table and raised KeyError (1, 3) out of the module.
REPLY = bytes([0x30, 0x05, 0x02, 0x01, 0x01, 0x63, 0x00])


@pytest.fixture(name="http_like_server")
def fixture_http_like_server() -> t.Iterator[int]:
    """A loopback TCP server answering every request with an HTTP error page (a web server on port 389)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(4096)
                    conn.sendall(REPLY)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_a_server_that_is_not_ldap_is_named(http_like_server: int) -> None:
    options = LdapOptions(server="127.0.0.1", port=http_like_server, encryption="starttls", cert_validation=False,
                          ca_path=None, tls_server_name=None, username="LAB\\admin", password="x", base_dn=None, timeout=3)
    with pytest.raises(HyperVError) as raised:
        connect(options)
    text = str(raised.value)
    assert "127.0.0.1" in text and "did not answer in LDAP" in text, text
