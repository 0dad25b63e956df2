"""WinRM authentication on one TCP connection: Basic, Negotiate (Kerberos with the host's keytab where the
estate has a KDC, see hvsim.kerberos; NTLM), CredSSP,
and MS-WSMV message encryption (multipart/encrypted) with the negotiated context.

pyspnego's NTLM acceptor verifies passwords from the file named by NTLM_USER_FILE; the estate's
accounts are written there when a listener starts.
"""

from __future__ import annotations

import base64
import os
import re
import struct
import tempfile
import threading
import typing
from dataclasses import dataclass, field

import spnego
from spnego.exceptions import SpnegoError

from hvsim.contract import AccountSecret, AuthKind, Backend, Principal
from hvsim.kerberos import acceptor, delegated_credentials

_USER_FILE_LOCK = threading.Lock()
_USER_FILE_LINES: set[str] = set()
_USER_FILE_PATH: str | None = None

BOUNDARY = "Encrypted Boundary"
PROTOCOL_SPNEGO = "application/HTTP-SPNEGO-session-encrypted"
PROTOCOL_CREDSSP = "application/HTTP-CredSSP-session-encrypted"
CERTIFICATE_SCHEME = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"


def publish_accounts(accounts: list[AccountSecret]) -> None:
    """Make the estate's accounts known to pyspnego's NTLM acceptor (process-wide NTLM_USER_FILE)."""
    global _USER_FILE_PATH  # pylint: disable=global-statement
    with _USER_FILE_LOCK:
        for account in accounts:
            _USER_FILE_LINES.add(f"{account.domain}:{account.username}:{account.password}")
        if _USER_FILE_PATH is None:
            handle, _USER_FILE_PATH = tempfile.mkstemp(prefix="hvsim-ntlm-", suffix=".txt")
            os.close(handle)
        with open(_USER_FILE_PATH, "w", encoding="utf-8") as stream:
            stream.write("\n".join(sorted(_USER_FILE_LINES)) + "\n")
        os.environ["NTLM_USER_FILE"] = _USER_FILE_PATH


@dataclass
class ConnectionAuth:
    """Authentication state of one keep-alive TCP connection."""

    context: typing.Any = None  # a pyspnego acceptor (in progress or complete)
    kind: AuthKind | None = None
    principal: Principal | None = None
    encryption_protocol: str | None = None  # set when the session wraps messages

    def reset(self) -> None:
        self.context = None
        self.kind = None
        self.principal = None
        self.encryption_protocol = None


@dataclass
class AuthOutcome:
    status: int  # 200 to go on with the request, 401 to stop here
    headers: list[tuple[str, str]] = field(default_factory=list)
    principal: Principal | None = None
    reason: str = ""


def challenge_headers(https: bool) -> list[tuple[str, str]]:
    headers = [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "Kerberos"), ("WWW-Authenticate", "CredSSP")]
    if https:
        headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
    return headers


def split_user(name: str) -> tuple[str, str]:
    """``DOMAIN\\user`` / ``user@domain`` / ``user`` -> (domain, user)."""
    if "\\" in name:
        domain, user = name.split("\\", 1)
        return domain, user
    if "@" in name:
        user, domain = name.split("@", 1)
        return domain, user
    return "", name


class Authenticator:
    """Checks credentials for one machine's listener."""

    def __init__(self, backend: Backend, machine: str, https: bool) -> None:
        self.backend = backend
        self.machine = machine
        self.https = https

    def authenticate(self, header: str, state: ConnectionAuth, client_address: str,
                     client_certificate: bytes | None = None) -> AuthOutcome:
        if header.strip().lower() == CERTIFICATE_SCHEME:
            return self._certificate(client_certificate, state)
        scheme, _, token = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            return self._basic(token.strip(), state, client_address)
        if scheme in ("negotiate", "kerberos"):
            return self._negotiate(token.strip(), state, client_address)
        if scheme == "credssp":
            return self._credssp(token.strip(), state, client_address)
        return AuthOutcome(401, challenge_headers(self.https), reason=f"unsupported auth scheme {scheme}")

    # -- client certificate (HTTPS only) ------------------------------------------------------
    def _certificate(self, der: bytes | None, state: ConnectionAuth) -> AuthOutcome:
        if not self.https or not der:
            return AuthOutcome(401, challenge_headers(self.https), reason="no client certificate")
        principal = self.backend.certificate_user(self.machine, der)
        if principal is None:
            return AuthOutcome(401, challenge_headers(self.https), reason="the certificate maps to no local account")
        state.kind, state.principal = "certificate", principal
        return AuthOutcome(200, principal=principal)

    # -- Basic -------------------------------------------------------------------------------
    def _basic(self, token: str, state: ConnectionAuth, client_address: str) -> AuthOutcome:
        if not self.https:
            # A default WinRM listener refuses Basic over HTTP (AllowUnencrypted=false).
            return AuthOutcome(401, challenge_headers(self.https), reason="Basic over HTTP is refused")
        try:
            username, _, password = base64.b64decode(token).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return AuthOutcome(401, challenge_headers(self.https), reason="malformed Basic header")
        domain, user = split_user(username)
        if not self._password_ok(domain, user, password):
            return AuthOutcome(401, challenge_headers(self.https), reason="wrong user name or password")
        principal = self.backend.authorize(self.machine, domain, user, "basic", False, client_address)
        if principal is None:
            return AuthOutcome(401, challenge_headers(self.https), reason="access denied")
        state.kind, state.principal = "basic", principal
        return AuthOutcome(200, principal=principal)

    def _password_ok(self, domain: str, user: str, password: str) -> bool:
        for account in self.backend.accounts():
            if account.username.lower() != user.lower() or account.password != password:
                continue
            if account.domain.lower() == domain.lower() or (not domain and not account.domain):
                return True
        return False

    # -- Negotiate / NTLM --------------------------------------------------------------------
    def _negotiate(self, token: str, state: ConnectionAuth, client_address: str) -> AuthOutcome:
        try:
            in_token = base64.b64decode(token)
        except ValueError:
            return AuthOutcome(401, challenge_headers(self.https), reason="malformed Negotiate token")
        if state.context is None or state.context.complete:
            state.reset()
            state.kind = "ntlm" if in_token.startswith(b"NTLMSSP\x00") else "negotiate"
            state.context = self._acceptor(in_token)
        try:
            out_token = state.context.step(in_token)
        except SpnegoError as exc:
            state.reset()
            return AuthOutcome(401, challenge_headers(self.https), reason=f"logon failure: {exc}")
        headers = [("WWW-Authenticate", f"Negotiate {base64.b64encode(out_token).decode()}")] if out_token else []
        if not state.context.complete:
            return AuthOutcome(401, headers, reason="negotiating")
        client_principal = state.context.client_principal or ""
        domain, user = split_user(client_principal)
        # what really happened: the mechanism SPNEGO chose, Kerberos only with a ticket the estate's KDC issued
        # (an estate without a KDC accepts NTLM alone, so its Negotiate sessions are NTLM, as Windows' would be)
        negotiated = (getattr(state.context, "negotiated_protocol", None) or "").lower()
        if negotiated in ("kerberos", "ntlm"):
            state.kind = negotiated
        kind = typing.cast(AuthKind, state.kind)
        principal = self.backend.authorize(self.machine, domain, user, kind, False, client_address,
                                           client_principal=client_principal,
                                           credentials=delegated_credentials(state.context) if kind == "kerberos" else None)
        if principal is None:
            state.reset()
            return AuthOutcome(401, challenge_headers(self.https), reason="access denied")
        state.principal = principal
        state.encryption_protocol = None if self.https else PROTOCOL_SPNEGO
        return AuthOutcome(200, headers, principal=principal)

    def _acceptor(self, first_token: bytes) -> typing.Any:
        realm_of = getattr(self.backend, "realm", None)
        return acceptor(realm_of() if callable(realm_of) else None, self.machine, first_token)

    # -- CredSSP -----------------------------------------------------------------------------
    def _credssp(self, token: str, state: ConnectionAuth, client_address: str) -> AuthOutcome:
        try:
            in_token = base64.b64decode(token)
        except ValueError:
            return AuthOutcome(401, challenge_headers(self.https), reason="malformed CredSSP token")
        if state.context is None or state.context.complete or state.kind != "credssp":
            state.reset()
            state.kind = "credssp"
            state.context = spnego.server(protocol="credssp", options=spnego.NegotiateOptions.wrapping_winrm)
        try:
            out_token = state.context.step(in_token)
        except SpnegoError as exc:
            state.reset()
            return AuthOutcome(401, challenge_headers(self.https), reason=f"logon failure: {exc}")
        headers = [("WWW-Authenticate", f"CredSSP {base64.b64encode(out_token).decode()}")] if out_token else []
        if not state.context.complete:
            return AuthOutcome(401, headers, reason="negotiating")
        domain, user = split_user(state.context.client_principal or "")
        principal = self.backend.authorize(self.machine, domain, user, "credssp", True, client_address)
        if principal is None:
            state.reset()
            return AuthOutcome(401, challenge_headers(self.https), reason="access denied")
        state.principal = principal
        state.encryption_protocol = None if self.https else PROTOCOL_CREDSSP
        return AuthOutcome(200, headers, principal=principal)


# -- MS-WSMV message encryption ----------------------------------------------------------------
def is_encrypted(content_type: str) -> bool:
    return content_type.lower().startswith(("multipart/encrypted", "multipart/x-multi-encrypted"))


def unwrap(context: typing.Any, body: bytes, content_type: str) -> bytes:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    boundary = match.group(1) if match else BOUNDARY
    parts = [part for part in re.split(rb"--\s*" + re.escape(boundary.encode()) + rb"(?:--)?\r\n", body) if part]
    message = b""
    for index in range(0, len(parts) - 1, 2):
        header, payload = parts[index].strip(), parts[index + 1]
        expected = int(header.split(b"Length=")[1].split(b"\r\n")[0])
        payload = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
        header_length = struct.unpack("<i", payload[:4])[0]
        signature = payload[4:4 + header_length]
        data = payload[4 + header_length:]
        plain = context.unwrap_winrm(signature, data)
        if len(plain) != expected:
            raise ValueError(f"decrypted length {len(plain)} != {expected}")
        message += plain
    return message


def wrap(context: typing.Any, protocol: str, message: bytes) -> tuple[str, bytes]:
    """Encrypt a response body; returns (Content-Type, body)."""
    chunks = [message]
    content_type = "multipart/encrypted"
    if protocol == PROTOCOL_CREDSSP and len(message) > 16384:
        chunks = [message[i:i + 16384] for i in range(0, len(message), 16384)]
        content_type = "multipart/x-multi-encrypted"
    body = b""
    for chunk in chunks:
        result = context.wrap_winrm(chunk)
        length = len(chunk) + result.padding_length
        body += (f"--{BOUNDARY}\r\n\tContent-Type: {protocol}\r\n\tOriginalContent: "
                 f"type=application/soap+xml;charset=UTF-8;Length={length}\r\n--{BOUNDARY}\r\n"
                 "\tContent-Type: application/octet-stream\r\n").encode()
        body += struct.pack("<i", len(result.header)) + result.header + result.data
    body += f"--{BOUNDARY}--\r\n".encode()
    return f'{content_type};protocol="{protocol}";boundary="{BOUNDARY}"', body
