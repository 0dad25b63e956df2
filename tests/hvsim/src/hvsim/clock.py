"""The world clock: simulated seconds since the estate's epoch, shared by every machine.

World time passes in two ways, never by itself:
- the admin API (``POST /clock {"seconds": N}``) or a test calls ``advance(N)``;
- a client waits on a long-running cmdlet: a cmdlet that takes world time calls ``wait(seconds)``
  (its pipeline thread blocks), and each WS-Management Receive on that pipeline lets up to its
  OperationTimeout of world time pass (``pass_for``). A Receive that ends before the cmdlet is done
  answers with the OperationTimeout fault, as Windows does, but at once: waiting is world time,
  not real time, so a test of a five-minute live migration takes milliseconds.

``time_scale`` (real seconds per world second, default 0) makes a Receive also sleep for the world
time it lets pass, for demonstrations or timing-sensitive tests; the estate file sets it as
``clock: {time_scale: 0.01}``.

A cmdlet run outside a WS-Management session (a test calling the engine directly) has no client
waiting on it: it finishes at once and the clock does not move. The wire marks its pipeline threads
with ``driven()``.

Listeners (``on_advance``) run under the caller's lock after each advance; Hyper-V Replica uses one
to run its replication cycles.

``timestamp()`` is the world time as a date (EPOCH plus the seconds passed): what the world's objects
record as their creation time (checkpoints' CreationTime), the same on every machine.
"""

from __future__ import annotations

import datetime
import threading
import time
import typing

Listener = typing.Callable[[float, float], None]  # (previous, now) in world seconds
EPOCH = datetime.datetime(2026, 11, 1, 8, 0, 0)  # world time 0 (any fixed date: results stay deterministic)


class Stopped(Exception):
    """The pipeline waiting on the clock was stopped (Signal terminate / Ctrl-C)."""


class WorldClock:
    def __init__(self, lock: threading.RLock | None = None, time_scale: float = 0.0) -> None:
        self.lock = lock or threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.now = 0.0
        self.time_scale = time_scale
        self._waiters: dict[int, list[typing.Any]] = {}  # thread id -> [until, stopped]
        self._listeners: list[Listener] = []
        self._driven: set[int] = set()  # threads whose waits pass only as clients wait (wire pipelines)

    def timestamp(self, at: float | None = None) -> str:
        """The world time (or world second ``at``) as an ISO 8601 date and time (whole seconds), EPOCH plus
        the seconds passed."""
        with self.lock:
            seconds = self.now if at is None else at
        return (EPOCH + datetime.timedelta(seconds=int(seconds))).isoformat()

    @staticmethod
    def seconds_of(moment: datetime.datetime) -> float:
        """World seconds of a date and time (a naive one is taken as world time; an aware one drops its zone)."""
        return (moment.replace(tzinfo=None) - EPOCH).total_seconds()

    def driven(self, thread_id: int, on: bool = True) -> None:
        """Mark a pipeline thread whose waits end only as Receives (or the admin API) let time pass."""
        with self.lock:
            if on:
                self._driven.add(thread_id)
            else:
                self._driven.discard(thread_id)

    def on_advance(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of world time pass for everything in the world."""
        if seconds < 0:
            raise ValueError("the world clock does not run backwards")
        with self._changed:
            previous = self.now
            self.now += seconds
            for listener in self._listeners:
                listener(previous, self.now)
            self._changed.notify_all()

    def wait(self, seconds: float) -> None:
        """Block the calling (pipeline) thread until ``seconds`` of world time have passed.

        Must be called holding ``lock`` (cmdlets run under the world lock); the lock is released while
        waiting. Raises ``Stopped`` when the pipeline is stopped first.
        """
        ident = threading.get_ident()
        if ident not in self._driven:
            return
        with self._changed:
            entry = [self.now + seconds, False]
            self._waiters[ident] = entry
            try:
                while self.now < entry[0] and not entry[1]:
                    self._changed.wait(timeout=1.0)
                if entry[1]:
                    raise Stopped()
            finally:
                self._waiters.pop(ident, None)

    def remaining(self, thread_id: int | None) -> float | None:
        """World seconds until the thread's wait ends, or None when it is not waiting on the clock."""
        with self.lock:
            entry = self._waiters.get(thread_id) if thread_id is not None else None
            return None if entry is None else max(0.0, entry[0] - self.now)

    def pass_for(self, thread_id: int | None, seconds: float) -> bool:
        """A client waits up to ``seconds`` on the thread's long-running cmdlet; True when the wait ends
        within them (world time then advances only as far as needed)."""
        remaining = self.remaining(thread_id)
        if remaining is None:
            return True
        step = min(seconds, remaining)
        if self.time_scale > 0:
            time.sleep(step * self.time_scale)
        self.advance(step)
        return remaining <= seconds

    def stop(self, thread_id: int | None) -> None:
        """Stop the thread's wait (the pipeline was signalled to stop)."""
        with self._changed:
            entry = self._waiters.get(thread_id) if thread_id is not None else None
            if entry is not None:
                entry[1] = True
                self._changed.notify_all()
