# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long a command may still run: a deadline that counts the host's own waiting.

FOR INTERNAL COLLECTION USE ONLY.

A WS-Management Receive that the host answers with the OperationTimeout fault is the host saying "I
waited OperationTimeout seconds and nothing came". Windows answers it after that time; a simulator
running in world time answers at once. The deadline counts whichever is longer, so ``timeout``
means the same on both: elapsed = wall-clock time + the part of each empty Receive's
OperationTimeout that the wall clock did not see.
"""

from __future__ import annotations

import time


class Deadline:
    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._started = time.monotonic()
        self._credited = 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self._started + self._credited

    def remaining(self) -> float | None:
        return None if self.seconds is None else self.seconds - self.elapsed()

    @property
    def expired(self) -> bool:
        remaining = self.remaining()
        return remaining is not None and remaining <= 0

    @property
    def host_wait_credit(self) -> float:
        """Seconds counted for the host's waiting beyond what the wall clock saw (a session helper sends it back)."""
        return self._credited

    def host_waited(self, operation_timeout: float, wall_seconds: float) -> None:
        """An empty Receive: the host waited ``operation_timeout``; ``wall_seconds`` of it were seen here."""
        self._credited += max(0.0, operation_timeout - wall_seconds)
