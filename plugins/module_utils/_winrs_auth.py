# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Negotiate and Kerberos for the WinRS channel (pywinrm), done as the PSRP channel does them.

FOR INTERNAL COLLECTION USE ONLY.

pywinrm's own Kerberos needs pykerberos and a ticket cache, and its negotiate is NTLM only. The PSRP
channel authenticates with pypsrp's HTTPNegotiateAuth (pyspnego: Kerberos from a password or a ticket
cache, NTLM when no ticket can be had). The WinRS channel gets the same auth object, and pywinrm's
SPNEGO message encryption (MS-WSMV 2.2.9.1.1) wraps with its context, so one task authenticates one way.
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions

try:
    from pypsrp.negotiate import HTTPNegotiateAuth
except ImportError:  # reported by the PSRP channel (HostClient) and by _winrs when pywinrm is missing
    HTTPNegotiateAuth = object

SPNEGO_AUTHS = ("negotiate", "kerberos")


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
    session = transport.build_session()
    session.auth = _WinrsNegotiateAuth(username=options.username, password=options.password,
                                       auth_provider=options.auth, service="WSMAN", wrap_required=not options.ssl)
    if not options.ssl:
        transport.auth_method = "kerberos"  # selects pywinrm's SPNEGO message format, whichever mech was chosen
        transport.setup_encryption(session)
