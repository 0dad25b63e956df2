"""Name resolution for the simulated domain without /etc/hosts or DNS (test runs only).

The harness puts this directory on PYTHONPATH and names the estate's machines in HVSIM_HOSTS
(``{"hv1.lab.test": "127.42.0.11", ...}``), so a controller that connects to ``hv1.lab.test`` reaches the
simulated host on loopback and asks the KDC for ``HTTP/hv1.lab.test``, as on a real domain.
"""

import json
import os
import socket

_HOSTS = {name.lower(): address for name, address in json.loads(os.environ.get("HVSIM_HOSTS") or "{}").items()}

if _HOSTS:
    _getaddrinfo = socket.getaddrinfo

    def _mapped_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else host
        address = _HOSTS.get(str(name).lower().rstrip(".")) if name else None
        return _getaddrinfo(address or host, *args, **kwargs)

    socket.getaddrinfo = _mapped_getaddrinfo
