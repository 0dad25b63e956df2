"""Run a real ansible-playbook against a running hvsim estate and measure it: the estate's wire counters at each
task's start and end (callback_plugins/wire_marks.py), the controller CPU of every process the run started, and
its wall time."""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import pathlib
import resource
import signal
import subprocess
import sys
import tempfile
import time
import typing

import yaml

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import harness  # noqa: E402  pylint: disable=wrong-import-position

# What a task costs on the wire, summed over every machine of the estate (hvsim.server.MachineCounters).
WIRE = ("http_exchanges_auth", "http_exchanges_wsman", "http_exchanges_other", "http_request_bytes",
        "http_response_bytes", "tcp_connections", "pipelines", "wsman_messages", "runspace_pools_opened")
# A helper process (a persistent session) may outlive ansible-playbook by this much before it is called a leftover.
LINGER_SECONDS = 20.0
PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    """Processes a run starts that detach themselves (ansible-connection daemonizes) become our children when their
    parent exits, so their CPU time reaches RUSAGE_CHILDREN once we reap them (Linux prctl(2))."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


_become_subreaper()


@dataclasses.dataclass
class Cost:
    """Wire counters summed over the estate's machines, and the wall time between two marks."""

    counters: dict[str, int]
    seconds: float = 0.0

    def __getitem__(self, name: str) -> int:
        return self.counters.get(name, 0)

    def actions(self) -> dict[str, int]:
        """WS-Management exchanges by action (Create, Command, Send, Receive, Signal, Delete)."""
        return {name.split(":", 1)[1]: count for name, count in sorted(self.counters.items())
                if name.startswith("action:") and count}

    @property
    def exchanges(self) -> int:
        return self["http_exchanges_auth"] + self["http_exchanges_wsman"] + self["http_exchanges_other"]


def _total(per_machine: dict[str, dict[str, typing.Any]]) -> dict[str, int]:
    """The counters of WIRE summed over the machines, and the WS-Management exchanges by action as "action:<name>"."""
    total = {name: sum(counters.get(name, 0) for counters in per_machine.values()) for name in WIRE}
    for counters in per_machine.values():
        for action, count in (counters.get("wsman_actions") or {}).items():
            total[f"action:{action}"] = total.get(f"action:{action}", 0) + count
    return total


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after.get(name, 0) - before.get(name, 0) for name in {*before, *after}}


@dataclasses.dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    results: list[dict[str, typing.Any]]
    marks: list[dict[str, typing.Any]]
    final: dict[str, int]  # the estate's counters once every process of the run had exited
    cpu_seconds: float  # user + system CPU of ansible-playbook and everything it started
    wall_seconds: float
    leftovers: list[str]  # processes still alive LINGER_SECONDS after ansible-playbook exited (then ended)

    def cost(self, task: str) -> Cost:
        """From ``task``'s start to its last result."""
        start = next(m for m in self.marks if m["event"] == "start" and m["task"] == task)
        end = [m for m in self.marks if m["event"] == "end" and m["task"] == task][-1]
        return Cost(_delta(_total(start["counters"]), _total(end["counters"])), end["time"] - start["time"])

    def whole(self) -> Cost:
        return Cost(dict(self.final), self.wall_seconds)

    def play_end(self, play: str) -> Cost:
        """What crossed the wire after ``play``'s last task result and before the next play (or the end of the run):
        closing what the play left open."""
        index = next(i for i, m in enumerate(self.marks) if m["event"] == "play" and m["task"] == play)
        following = next((m for m in self.marks[index + 1:] if m["event"] == "play"), None)
        ends = [m for m in self.marks[index:self.marks.index(following) if following else None] if m["event"] == "end"]
        after = _total(following["counters"]) if following else self.final
        return Cost(_delta(_total(ends[-1]["counters"]), after)) if ends else Cost(_delta(after, after))

    def status(self, task: str) -> str:
        return next(r["status"] for r in reversed(self.results) if r["task"] == task)

    def result(self, task: str) -> dict[str, typing.Any]:
        return typing.cast(dict[str, typing.Any], next(r["result"] for r in reversed(self.results) if r["task"] == task))

    def failures(self) -> list[str]:
        return [f"{r['task']} on {r['host']}: {r['result'].get('msg', r['result'])}"
                for r in self.results if r["status"] not in ("ok", "skipped")]


def _children() -> list[int]:
    """Our own child processes (adopted orphans included), from /proc."""
    mine = os.getpid()
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == mine:
            found.append(int(entry.name))
    return found


def _reap(before: set[int], deadline: float) -> list[str]:
    """Wait for the processes the run left behind (detached helpers, adopted by us) to exit: reaping them adds their
    CPU to RUSAGE_CHILDREN. Those still alive at ``deadline`` are ended by their pid and named. Children we had
    before the run (a Samba DC) are left alone."""
    leftovers: list[str] = []
    while True:
        remaining = [pid for pid in _children() if pid not in before]
        for pid in list(remaining):
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    remaining.remove(pid)
            except ChildProcessError:
                remaining.remove(pid)
        if not remaining:
            return leftovers
        if time.monotonic() < deadline:
            time.sleep(0.05)
            continue
        for pid in remaining:
            try:
                leftovers.append(pathlib.Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip())
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + 5


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(estate: typing.Any, plays: list[dict[str, typing.Any]], *, inventory: dict[str, typing.Any] | None = None,
        forks: int = 5, environment: dict[str, str] | None = None) -> Run:
    """Run ``plays`` (an inventory of ``localhost`` only unless ``inventory`` is given) and measure the run."""
    with tempfile.TemporaryDirectory(prefix="hvsim-bench-") as name:
        workdir = pathlib.Path(name)
        (workdir / "tmp").mkdir()
        (workdir / "pc").mkdir()
        playbook, hosts, marks, capture = (workdir / "play.yml", workdir / "hosts.yml", workdir / "marks.jsonl",
                                           workdir / "results.jsonl")
        playbook.write_text(yaml.safe_dump(plays, sort_keys=False))
        hosts.write_text(yaml.safe_dump(inventory or {"all": {"hosts": {"localhost": {"ansible_connection": "local"}}}}))
        capture.write_text("")
        marks.write_text("")
        extra = {
            "ANSIBLE_CALLBACK_PLUGINS": os.pathsep.join([str(harness.CALLBACKS), str(HERE / "callback_plugins")]),
            "ANSIBLE_CALLBACKS_ENABLED": "capture,wire_marks",
            "ANSIBLE_FORKS": str(forks),
            "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": str(workdir / "pc"),
            "BENCH_MARKS": str(marks),
            "BENCH_ADMIN_URL": estate.admin.url,
            **(environment or {}),
        }
        env = harness._environment(capture, workdir, extra, estate)  # pylint: disable=protected-access
        binary = pathlib.Path(sys.executable).parent / "ansible-playbook"
        estate.reset_counters()
        children_before = set(_children())
        cpu_before = _cpu()
        started = time.monotonic()
        completed = subprocess.run([str(binary), "-i", str(hosts), str(playbook)], capture_output=True, text=True,
                                   env=env, cwd=workdir, timeout=900, check=False)
        wall = time.monotonic() - started
        leftovers = _reap(children_before, time.monotonic() + LINGER_SECONDS)
        cpu = _cpu() - cpu_before
        final = _total(estate.all_counters())
        return Run(completed.returncode, completed.stdout, completed.stderr,
                   [json.loads(line) for line in capture.read_text().splitlines() if line.strip()],
                   [json.loads(line) for line in marks.read_text().splitlines() if line.strip()],
                   final, cpu, wall, leftovers)
