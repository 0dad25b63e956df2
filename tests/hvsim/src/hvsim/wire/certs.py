"""A throw-away certificate authority and one server certificate for every machine of the estate."""

from __future__ import annotations

import datetime
import ipaddress
import pathlib
import typing
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass
class CertificateFiles:
    ca_pem: pathlib.Path
    server_pem: pathlib.Path
    server_key: pathlib.Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def sign_server_certificate(ca_cert: x509.Certificate, ca_key: typing.Any, names: list[str],
                            addresses: list[str]) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A TLS server certificate (and its key) for ``names`` and ``addresses``, signed by the CA."""
    now = datetime.datetime.now(datetime.timezone.utc)
    server_key = _key()
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dict.fromkeys(names)]
    alt_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in dict.fromkeys(addresses)]
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0] if names else "hvsim"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return server_cert, server_key


def issue_certificates(cert_dir: pathlib.Path, names: list[str], addresses: list[str]) -> CertificateFiles:
    """A CA (``ca.pem``) and a server certificate valid for every name and address (``server.pem``/``server.key``)."""
    cert_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = _key()
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("hvsim estate CA"))
        .issuer_name(_name("hvsim estate CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_cert, server_key = sign_server_certificate(ca_cert, ca_key, names, addresses)
    files = CertificateFiles(cert_dir / "ca.pem", cert_dir / "server.pem", cert_dir / "server.key")
    files.ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_pem.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (cert_dir / "ca.key").write_bytes(ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    return files


def issue_client_certificate(cert_dir: pathlib.Path, user: str) -> tuple[pathlib.Path, pathlib.Path]:
    """A client-authentication certificate for ``user`` signed by the estate CA (for certificate auth tests)."""
    ca_cert = x509.load_pem_x509_certificate((cert_dir / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((cert_dir / "ca.key").read_bytes(), password=None)
    now = datetime.datetime.now(datetime.timezone.utc)
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(user))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"),
                                                                   _utf8_der(f"{user}@localhost"))]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    cert_path = cert_dir / f"client-{user}.pem"
    key_path = cert_dir / f"client-{user}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _utf8_der(text: str) -> bytes:
    raw = text.encode("utf-8")
    return bytes([0x0C, len(raw)]) + raw
