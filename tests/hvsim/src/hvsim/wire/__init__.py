"""hvsim's wire: WinRM (WS-Management over HTTP/HTTPS) for every machine of an estate.

``WireServer(backend, [(machine, address)], http_port, https_port, cert_dir)`` listens on each
machine's loopback address; ``start()``/``stop()``; ``ca_pem_path`` is the CA clients must trust
for HTTPS; ``faults`` injects wire faults.
"""

from __future__ import annotations

import pathlib
import ssl

from hvsim.contract import Backend
from hvsim.wire.auth import publish_accounts
from hvsim.wire.certs import issue_certificates
from hvsim.wire.faults import FaultTable
from hvsim.wire.listener import Listener
from hvsim.wire.shells import ShellTable

__all__ = ["WireServer"]


class WireServer:
    def __init__(self, backend: Backend, listeners: list[tuple[str, str]], *, http_port: int = 5985,
                 https_port: int = 5986, cert_dir: pathlib.Path) -> None:
        for _, address in listeners:
            if not address.startswith("127."):
                raise ValueError(f"hvsim listens on loopback addresses only, not {address}")
        self.backend = backend
        self.faults = FaultTable()
        names = [name for name, _ in listeners]
        machines = getattr(getattr(backend, "world", None), "machines", {})
        fqdns = [machines[name].fqdn for name in names if name in machines]
        self.certificates = issue_certificates(cert_dir, [*names, *fqdns, "localhost"], [a for _, a in listeners])
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.certificates.server_pem, self.certificates.server_key)
        tls.load_verify_locations(self.certificates.ca_pem)
        tls.verify_mode = ssl.CERT_OPTIONAL
        self.listeners: list[Listener] = []
        try:
            for machine, address in listeners:
                shells = ShellTable(backend)  # shells are per machine, shared by its HTTP and HTTPS listeners
                self.listeners.append(Listener(machine, address, http_port, backend, shells, None, self.faults))
                self.listeners.append(Listener(machine, address, https_port, backend, shells, tls, self.faults))
        except OSError:
            self.stop()  # an address in use: release the ones already bound, so the caller can try another block
            raise

    @property
    def ca_pem_path(self) -> pathlib.Path:
        return self.certificates.ca_pem

    def start(self) -> None:
        publish_accounts(self.backend.accounts())
        for listener in self.listeners:
            listener.start()

    def stop(self) -> None:
        for listener in self.listeners:
            listener.stop()
