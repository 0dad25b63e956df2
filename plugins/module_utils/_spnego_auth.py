# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Negotiate and Kerberos for both channels, PSRP (pypsrp) and WinRS (pywinrm), done the same way.

FOR INTERNAL COLLECTION USE ONLY.

- Tickets as Windows gets them: a Windows logon's TGT is forwardable, so the service ticket a host receives
  can be the evidence for constrained delegation (S4U2Proxy, MS-SFU 3.2.5.2.2), and SSPI forwards the TGT
  itself only to hosts trusted for delegation (ok-as-delegate). pyspnego gets a forwardable TGT from a
  password only when asked for delegation; ``ContextReq.delegate_policy`` is exactly the Windows behaviour
  (forwardable tickets, the TGT forwarded only where ok-as-delegate allows), so both channels ask for it.
- pywinrm's own Kerberos needs pykerberos and a ticket cache, and its negotiate is NTLM only. The WinRS
  channel gets pypsrp's HTTPNegotiateAuth instead, and pywinrm's SPNEGO message encryption (MS-WSMV
  2.2.9.1.1) wraps with its context, so one task authenticates one way.
- The first request already authenticates. pypsrp and pywinrm send an anonymous request first and start
  Negotiate on its 401; the auth scheme is known here (the ``auth`` option), so the first request carries the
  first token: "A user agent that wishes to authenticate itself with an origin server -- usually, but not
  necessarily, after receiving a 401 (Unauthorized) -- can do so by including an Authorization header field
  with the request" (RFC 7235 4.2; MS-N2HT, the Negotiate HTTP scheme: the server answers 401 "if an
  acceptable Authorization header has not been sent"). NTLM then takes two exchanges instead of three, Kerberos one instead of two. Over HTTPS
  the anonymous request stays: the channel binding token (RFC 5929) needs the server's certificate, which
  only a connection made before the first token is built can give.
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions

try:
    import pypsrp.negotiate
    import pypsrp.wsman
    import spnego
    from pypsrp._utils import get_hostname
    from pypsrp.negotiate import HTTPNegotiateAuth
except ImportError:  # reported by the PSRP channel (HostClient) and by _winrs when pywinrm is missing
    HTTPNegotiateAuth = object

SPNEGO_AUTHS = ("negotiate", "kerberos")


class _SpnegoAsWindows:
    """pyspnego as pypsrp.negotiate sees it, asking for tickets as Windows does (see the module docstring)."""

    def __getattr__(self, name: str) -> t.Any:
        return getattr(spnego, name)

    @staticmethod
    def client(*args: t.Any, context_req: t.Any = None, **kwargs: t.Any) -> t.Any:
        wanted = spnego.ContextReq.default if context_req is None else context_req
        return spnego.client(*args, context_req=wanted | spnego.ContextReq.delegate_policy, **kwargs)


def tickets_as_windows() -> None:
    """Make pypsrp's Negotiate auth ask for forwardable tickets (idempotent; this process only)."""
    if HTTPNegotiateAuth is not object and not isinstance(pypsrp.negotiate.spnego, _SpnegoAsWindows):
        pypsrp.negotiate.spnego = _SpnegoAsWindows()


class FirstRequestNegotiateAuth(HTTPNegotiateAuth):  # type: ignore[misc,valid-type]
    """pypsrp's Negotiate auth, with the first token on the first request to a host over HTTP (see the module
    docstring); a 401 carrying the server's token continues that context, any other 401 starts over the way
    pypsrp does."""

    _HEADER = "Negotiate"  # what WinRM offers first (pypsrp picks Negotiate, then Kerberos, then NTLM)

    def __call__(self, request: t.Any) -> t.Any:
        request = super().__call__(request)
        host = get_hostname(request.url)
        if host not in self.contexts and str(request.url).lower().startswith("http:"):
            context_req = spnego.ContextReq.default
            if self.delegate:
                context_req |= spnego.ContextReq.delegate
            context = pypsrp.negotiate.spnego.client(  # as pypsrp makes it (tickets_as_windows applies)
                self.username, self.password, hostname=self.hostname_override or host, service=self.service,
                context_req=context_req, protocol=self.auth_provider,
                options=spnego.NegotiateOptions.wrapping_winrm if self.wrap_required else 0,
            )
            context.response_auth_header = self._HEADER.lower()  # pypsrp's encryption picks its MIME protocol by it
            self.contexts[host] = context
            self._set_auth_token(request, context.step(), self._HEADER)
        return request

    def response_hook(self, response: t.Any, **kwargs: t.Any) -> t.Any:
        context = self.contexts.get(get_hostname(response.url))
        in_token = self._get_auth_token(response, self._regex)
        if context is None or context.complete or not in_token:
            return super().response_hook(response, **kwargs)
        if response.status_code != 401:
            context.step(in_token)  # Kerberos: the server's AP-REP arrives with the 200 (mutual authentication)
            return response
        out_token = context.step(in_token)
        while out_token is not None:
            response.content  # pylint: disable=pointless-statement  # read it, so the connection can be reused
            response.raw.release_conn()
            request = response.request.copy()
            self._set_auth_token(request, out_token, self._HEADER)
            response = response.connection.send(request, **kwargs)
            in_token = self._get_auth_token(response, self._regex)
            if context.complete or not in_token:
                break
            out_token = context.step(in_token)
        return response


def authenticate_first_request() -> None:
    """Make pypsrp's WSMan use FirstRequestNegotiateAuth for negotiate, kerberos and ntlm (idempotent; this
    process only)."""
    if HTTPNegotiateAuth is not object and pypsrp.wsman.HTTPNegotiateAuth is not FirstRequestNegotiateAuth:
        pypsrp.wsman.HTTPNegotiateAuth = FirstRequestNegotiateAuth


class _WinrsNegotiateAuth(FirstRequestNegotiateAuth):
    """pypsrp's requests auth with the two calls pywinrm's Encryption makes for SPNEGO sessions."""

    def wrap_winrm(self, host: str, message: bytes) -> tuple[bytes, bytes]:
        wrapped = self.contexts[host].wrap_winrm(message)
        return wrapped.data, wrapped.header

    def unwrap_winrm(self, host: str, message: bytes, signature: bytes) -> bytes:
        return t.cast(bytes, self.contexts[host].unwrap_winrm(signature, message))


def use_spnego(transport: t.Any, options: ConnectionOptions) -> None:
    """Give pywinrm's transport (built with message_encryption="never") the PSRP channel's auth and, over
    HTTP, authenticate now and encrypt every message with that context."""
    tickets_as_windows()
    session = transport.build_session()
    session.auth = _WinrsNegotiateAuth(username=options.username, password=options.password,
                                       auth_provider=options.auth, service="WSMAN", wrap_required=not options.ssl)
    if not options.ssl:
        transport.auth_method = "kerberos"  # selects pywinrm's SPNEGO message format, whichever mech was chosen
        transport.setup_encryption(session)
