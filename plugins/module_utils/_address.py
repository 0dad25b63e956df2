# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IP address the controller connects to for a host name (the address the host sees us use).

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import ipaddress
import socket


def connection_address(hostname: str) -> str | None:
    """``hostname`` itself if it is an IP address, else what the controller resolves it to (None if nothing)."""
    try:
        return str(ipaddress.ip_address(hostname.strip("[]")))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(hostname, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return None
    for family in (socket.AF_INET, socket.AF_INET6):
        for info in infos:
            if info[0] == family:
                return str(info[4][0])
    return None
