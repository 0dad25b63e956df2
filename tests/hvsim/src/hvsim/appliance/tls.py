"""The appliance's server certificate, issued by the estate CA that hvsim.wire.certs made (so ca.pem trusts it)."""

from __future__ import annotations

import pathlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hvsim.wire.certs import sign_server_certificate


def issue_appliance_certificate(cert_dir: pathlib.Path, names: list[str], address: str) -> tuple[pathlib.Path, pathlib.Path]:
    """``appliance-<address>.pem``/``.key`` for ``names`` and ``address``, signed by ``cert_dir``'s ca.pem/ca.key."""
    ca_cert = x509.load_pem_x509_certificate((cert_dir / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((cert_dir / "ca.key").read_bytes(), password=None)
    cert, key = sign_server_certificate(ca_cert, ca_key, names, [address])
    cert_path = cert_dir / f"appliance-{address}.pem"
    key_path = cert_dir / f"appliance-{address}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
