"""The client's deadline counts the host's OperationTimeout waits, however fast the answers came."""

from __future__ import annotations

import time

from ansible_collections.winvirt.hyperv.plugins.module_utils._deadline import Deadline


def test_no_deadline_never_expires() -> None:
    deadline = Deadline(None)
    deadline.host_waited(10_000, 0.0)
    assert deadline.remaining() is None and not deadline.expired


def test_empty_receives_count_the_time_the_host_says_it_waited() -> None:
    deadline = Deadline(30)
    deadline.host_waited(20, 0.01)  # a simulator in world time answers at once
    assert 9 < deadline.remaining() <= 10.01 and not deadline.expired
    deadline.host_waited(11, 0.0)
    assert deadline.expired


def test_a_receive_that_really_took_its_time_is_not_counted_twice() -> None:
    deadline = Deadline(30)
    started = time.monotonic()
    time.sleep(0.05)
    deadline.host_waited(0.05, time.monotonic() - started)  # Windows: the wait was real
    assert deadline.elapsed() < 0.2
