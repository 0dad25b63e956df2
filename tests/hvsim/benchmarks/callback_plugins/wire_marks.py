"""Read the estate's counters at each task's start and end, so a benchmark can tell the tasks of one play apart."""

from __future__ import annotations

import json
import os
import time
import urllib.request

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: wire_marks
type: aggregate
short_description: hvsim counters at task boundaries, for tests/hvsim/benchmarks/wire.py
description:
  - At each play's and task's start and after each task result, reads hvsim's admin API (C(BENCH_ADMIN_URL)/counters) and
    appends one JSON object to the file named by C(BENCH_MARKS).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "wire_marks"
    CALLBACK_NEEDS_ENABLED = True

    def _mark(self, event: str, task: str, host: str = "") -> None:
        path, admin = os.environ.get("BENCH_MARKS"), os.environ.get("BENCH_ADMIN_URL")
        if not path or not admin:
            return
        with urllib.request.urlopen(admin + "/counters", timeout=30) as response:  # noqa: S310 - loopback admin API
            counters = json.loads(response.read())
        record = {"event": event, "task": task, "host": host, "time": time.monotonic(), "counters": counters}
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(record) + "\n")

    def v2_playbook_on_play_start(self, play) -> None:
        self._mark("play", play.get_name())

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        self._mark("start", task.get_name())

    def v2_runner_on_ok(self, result) -> None:
        self._mark("end", result.task_name, result._host.get_name())

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._mark("end", result.task_name, result._host.get_name())

    def v2_playbook_on_stats(self, stats) -> None:
        self._mark("stats", "")
