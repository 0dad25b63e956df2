# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which transport faults are worth another try, and how long to wait between tries: one table for both channels.

FOR INTERNAL COLLECTION USE ONLY.

pypsrp (the PowerShell channel) and pywinrm (the native-exe channel) both send over requests, and both raise an
exception with the HTTP status as ``code`` for an unexpected answer; the classification below holds for both.
"""

from __future__ import annotations

try:
    from requests.exceptions import ChunkedEncodingError, SSLError, Timeout
    from requests.exceptions import ConnectionError as RequestsConnectionError

    TRANSIENT_TYPES: tuple[type[BaseException], ...] = (RequestsConnectionError, Timeout, ChunkedEncodingError,
                                                        ConnectionResetError)
    NEVER_TRANSIENT: tuple[type[BaseException], ...] = (SSLError,)  # a subclass of ConnectionError: not a blip
except ImportError:  # requests comes with pypsrp and pywinrm; without them nothing is sent, so nothing is retried
    TRANSIENT_TYPES, NEVER_TRANSIENT = (ConnectionResetError,), ()

# seconds to wait before each further try
RETRY_DELAYS = (0.5, 1.0, 2.0)
# a busy or restarting WinRM service (or a proxy in front of it) answers with one of these
TRANSIENT_HTTP_STATUS = (502, 503, 504)


def is_transient(exc: BaseException | None) -> bool:
    """A dropped or reset connection, a timeout, or a busy server: worth another try. Authentication and TLS
    failures never are."""
    if exc is None or isinstance(exc, NEVER_TRANSIENT) or type(exc).__name__ == "AuthenticationError":
        return False
    if isinstance(exc, TRANSIENT_TYPES):
        return True
    return getattr(exc, "code", None) in TRANSIENT_HTTP_STATUS and type(exc).__name__ == "WinRMTransportError"
