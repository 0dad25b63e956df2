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
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions

try:
    import pypsrp.negotiate
    import spnego
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


class _WinrsNegotiateAuth(HTTPNegotiateAuth):  # type: ignore[misc,valid-type]
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
