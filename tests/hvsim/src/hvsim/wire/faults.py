"""Wire faults injected by tests: dropped connections, HTTP 503, slow answers.

``slow``: the request is handled at once and its answer is sent ``seconds`` late (a slow network or an
overloaded host): what it changes has happened even when the client gave up waiting.
``lost``: the request is handled, then the connection is reset instead of the answer (the host acted; the
client cannot tell whether it did: a TCP reset between a host and the controller at the worst moment).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("drop", "reset", "http503", "slow", "lost")
ALIASES = {"delay": "slow"}  # the admin API's documented name for a slow answer


@dataclass
class Fault:
    kind: str
    seconds: float
    remaining: int
    skip: int = 0  # requests to let through untouched first (a fault at step N of a task)


class FaultTable:
    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def set(self, machine: str, kind: str, seconds: float = 0.0, count: int = 1, after: int = 0) -> None:
        kind = ALIASES.get(kind, kind)
        if kind not in KINDS:
            raise ValueError(f"unknown wire fault {kind!r}; known: {', '.join(KINDS)}")
        with self._lock:
            self._faults[machine] = Fault(kind, seconds, count, after)

    def clear(self, machine: str | None = None) -> None:
        with self._lock:
            if machine is None:
                self._faults.clear()
            else:
                self._faults.pop(machine, None)

    def take(self, machine: str) -> Fault | None:
        """The fault to apply to the next request to ``machine`` (counts down)."""
        with self._lock:
            fault = self._faults.get(machine)
            if fault is None:
                return None
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._faults[machine]
            return fault
