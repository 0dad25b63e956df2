"""Real Kerberos for a domain estate: the Samba DC is the KDC, each host accepts tickets with its exported
keytab, and a session's second hop is what the KDC grants (S4U2Proxy, S4U2Self).

What Windows does, and where it is written down:
- Negotiate (SPNEGO, RFC 4178; MS-SPNG) picks Kerberos when the client gets a ticket for the SPN it asked
  for (``HTTP/<name>`` for WinRM, MS-WSMV 2.2.9.1.1) and NTLM otherwise, e.g. for a connection by IP address
  (no ``HTTP/<address>`` SPN): "Kerberos authentication is used when connecting by name, NTLM when by IP"
  (about_Remote_Troubleshooting, "How to use an IP address in a remote command").
- Constrained delegation (MS-SFU): a Kerberos session's forwardable service ticket is the evidence for
  S4U2Proxy to a service listed in the account's msDS-AllowedToDelegateTo; a session that did not use Kerberos
  (NTLM) needs S4U2Self first, which yields a forwardable ticket only with protocol transition
  (TRUSTED_TO_AUTH_FOR_DELEGATION). The KDC refuses otherwise, and Windows reports the refusal as
  SEC_E_NO_CREDENTIALS (0x8009030E).
- A ticket for an SPN no account holds: the KDC answers KDC_ERR_S_PRINCIPAL_UNKNOWN and Windows' SSPI reports
  SEC_E_TARGET_UNKNOWN (0x80090303, "The specified target is unknown or unreachable"). MIT krb5 (and so
  gssapi/pyspnego) reports "Server not found in Kerberos database"; ``windows_code`` maps it as Windows does.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import threading
import typing

SEC_E_TARGET_UNKNOWN = 0x80090303
SEC_E_NO_CREDENTIALS = 0x8009030E
SEC_E_LOGON_DENIED = 0x8009030C

# MIT krb5 error codes (krb5/krb5_err.et, KRB5KDC_ERR_* = -1765328384 + KDC error number)
_KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN = -1765328377  # KDC error 7
_KRB5KDC_ERR_BADOPTION = -1765328371  # KDC error 13
_KRB5KDC_ERR_POLICY = -1765328372  # KDC error 12

_ENV_LOCK = threading.Lock()


@dataclasses.dataclass
class Realm:
    """A KDC and the keytabs of the estate's domain members (machine name -> keytab path)."""

    name: str  # LAB.TEST
    kdc_address: str
    krb5_conf: pathlib.Path
    keytabs: dict[str, pathlib.Path] = dataclasses.field(default_factory=dict)
    ccache_dir: pathlib.Path | None = None

    def activate(self) -> None:
        """Point this process's krb5 at the realm (a private krb5.conf; /etc is never touched)."""
        with _ENV_LOCK:
            os.environ["KRB5_CONFIG"] = str(self.krb5_conf)

    def account(self, machine: str) -> str:
        return f"{machine.upper()}$@{self.name}"

    def host_credentials(self, machine: str, usage: str = "both") -> typing.Any:
        """The host's own credentials: accept with its keytab, get its TGT from the same keys (for S4U)."""
        import gssapi  # pylint: disable=import-outside-toplevel

        keytab = self.keytabs[machine]
        name = gssapi.Name(self.account(machine), gssapi.NameType.kerberos_principal)
        store = {"keytab": f"FILE:{keytab}", "client_keytab": f"FILE:{keytab}",
                 "ccache": f"MEMORY:hvsim-{id(self)}-{machine}"}
        return gssapi.Credentials(name=name, usage=usage, store=store)


def write_krb5_conf(path: pathlib.Path, realm: str, kdc_address: str) -> None:
    """A krb5.conf that needs no DNS: the KDC by address, host names never canonicalized."""
    domain = realm.lower()
    path.write_text(
        "[libdefaults]\n"
        f" default_realm = {realm}\n"
        " dns_lookup_kdc = false\n dns_lookup_realm = false\n rdns = false\n"
        " dns_canonicalize_hostname = false\n forwardable = true\n"
        f"[realms]\n {realm} = {{\n  kdc = {kdc_address}\n }}\n"
        f"[domain_realm]\n .{domain} = {realm}\n {domain} = {realm}\n",
        encoding="utf-8")


def _offers_kerberos(first_token: bytes) -> bool:
    """Whether the client's first token is (or offers, in SPNEGO's mechTypes) Kerberos rather than only NTLM."""
    from spnego._context import GSSMech  # pylint: disable=import-outside-toplevel
    from spnego._spnego import NegTokenInit, unpack_token  # pylint: disable=import-outside-toplevel

    if first_token.startswith(b"NTLMSSP\x00"):
        return False
    try:
        token = unpack_token(first_token)
    except Exception:  # pylint: disable=broad-except
        return True  # a raw Kerberos AP-REQ
    if not isinstance(token, NegTokenInit):
        return True
    kerberos = {GSSMech.kerberos.value, GSSMech._ms_kerberos.value}  # pylint: disable=protected-access
    return any(oid in kerberos for oid in token.mech_types or [])


def acceptor(realm: Realm | None, machine: str, first_token: bytes = b"") -> typing.Any:
    """A Negotiate acceptor for WinRM on ``machine``: Kerberos with the host's keytab when the estate has a
    realm, the machine a keytab and the client offers Kerberos; NTLM otherwise (the fallback Windows takes for
    a client that got no ticket, e.g. one connecting by address)."""
    import spnego  # pylint: disable=import-outside-toplevel

    options = spnego.NegotiateOptions.wrapping_winrm
    if realm is None or machine not in realm.keytabs:
        return spnego.server(protocol="negotiate", options=options)
    from spnego._context import GSSMech  # pylint: disable=import-outside-toplevel
    from spnego._gss import GSSAPIProxy  # pylint: disable=import-outside-toplevel

    contexts: dict[typing.Any, typing.Any] = {}
    if _offers_kerberos(first_token):
        contexts[GSSMech.kerberos] = GSSAPIProxy(usage="accept", protocol="kerberos", options=options,
                                                 _gssapi_credential=realm.host_credentials(machine))
    contexts[GSSMech.ntlm] = spnego.server(protocol="ntlm", options=options)
    for context in contexts.values():
        context._is_wrapped = True  # pylint: disable=protected-access  # as NegotiateProxy does for its own
    return spnego.server(protocol="negotiate", options=options, _negotiate_contexts=contexts)


def delegated_credentials(context: typing.Any) -> typing.Any:
    """The proxy credential of a Kerberos session (the client's forwardable ticket, MS-SFU), or None."""
    inner = getattr(context, "_context", context)  # NegotiateProxy -> the chosen mech's proxy
    gss_context = getattr(inner, "_context", None)
    return getattr(gss_context, "delegated_creds", None)


def windows_code(error: Exception) -> int:
    """The SSPI status Windows reports for a krb5 failure (see the module docstring)."""
    minor = getattr(error, "min_code", None)
    text = str(error)
    if minor is not None and minor & 0xFFFFFFFF == _KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN & 0xFFFFFFFF or \
            "not found in Kerberos database" in text:
        return SEC_E_TARGET_UNKNOWN
    return SEC_E_NO_CREDENTIALS


def second_hop(realm: Realm, source: str, client: str, delegated: typing.Any, service: str, target_fqdn: str) -> int | None:
    """Ask the KDC for a ticket to ``service/target_fqdn`` on behalf of ``client`` from host ``source``:
    S4U2Proxy with the session's forwardable ticket (a Kerberos session), S4U2Self + S4U2Proxy otherwise.
    None when granted, else the SSPI status Windows would report."""
    import gssapi  # pylint: disable=import-outside-toplevel
    from gssapi.exceptions import GSSError  # pylint: disable=import-outside-toplevel

    try:
        credentials = delegated
        if credentials is None:
            own = realm.host_credentials(source)
            user = client if "@" in client else f"{client.split(chr(92))[-1]}@{realm.name}"
            credentials = own.impersonate(gssapi.Name(user, gssapi.NameType.kerberos_principal))
        target = gssapi.Name(f"{service}@{target_fqdn}", gssapi.NameType.hostbased_service)
        gssapi.SecurityContext(name=target, creds=credentials, usage="initiate").step()
    except GSSError as exc:
        return windows_code(exc)
    return None
