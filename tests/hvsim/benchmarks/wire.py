"""Benchmark: what a task costs on the wire and on the controller, against hvsim estates (prints markdown; not a test).

    .venv/bin/python tests/hvsim/benchmarks/wire.py [--doc docs/benchmarks.md] [--quick]

Real ansible-playbook runs: per module operation the HTTP exchanges (authentication legs and WS-Management),
request and response bytes as they cross hvsim's sockets (headers included; hvsim.wire.accounting), PSRP
pipelines and TCP connections, each for the play's first task to its hosts (cold) and for the next (warm);
controller CPU per task against ansible.builtin.ping in the same run; a read by each auth; pipelines against
the number of VMs; fleet converge for 5/10/20/40 hosts with forks 10. Targets: issue 17. ``--doc`` replaces the
generated section of that file; ``--quick`` skips the fleets and Kerberos.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import os
import pathlib
import sys
import tempfile
import typing

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import _plays  # noqa: E402  pylint: disable=wrong-import-position
import _scenarios as sc  # noqa: E402  pylint: disable=wrong-import-position
import _report  # noqa: E402  pylint: disable=wrong-import-position
from _plays import Cost  # noqa: E402  pylint: disable=wrong-import-position

from hvsim.estate import fleet  # noqa: E402  pylint: disable=wrong-import-position
from hvsim.runner import start_estate  # noqa: E402  pylint: disable=wrong-import-position

FLEET_SIZES = (5, 10, 20, 40)
FLEET_FORKS = _report.FLEET_FORKS
VM_COUNTS = (10, 200)
BEGIN, END = "<!-- bench:begin (tests/hvsim/benchmarks/wire.py writes this part) -->", "<!-- bench:end -->"


def started(spec: typing.Any) -> typing.Any:
    """An estate on a loopback block of its own (the next free one, as tests/integration/conftest.py does)."""
    first = 100 + os.getpid() % 150
    for offset in range(60):
        try:
            return start_estate(spec, block=100 + (first - 100 + offset) % 150, admin_port=0)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    raise RuntimeError("no free loopback address block")


def checked(run: _plays.Run, what: str) -> _plays.Run:
    for leftover in run.leftovers:
        print(f"warning: {what} left a process running {_plays.LINGER_SECONDS} s after it ended: {leftover}",
              file=sys.stderr)
    if run.rc != 0 or run.failures():
        raise SystemExit(f"{what} failed (rc {run.rc}):\n" + "\n".join(run.failures() or [run.stdout[-3000:]]))
    return run


@dataclasses.dataclass
class Measured:
    operation: sc.Operation
    cold: Cost
    warm: Cost
    play_end: Cost


def measure_operations(estate: typing.Any) -> list[Measured]:
    """One playbook, a play per operation (each play starts cold: a session ends with its play)."""
    sc.prepare_lab3(estate)
    plays = []
    for operation in sc.operations(estate):
        if operation.setup:
            plays.append(sc.local_play(estate, operation.setup, name=f"{operation.key} setup"))
        plays.append(sc.local_play(estate, operation.tasks(), auth=operation.auth, name=operation.key))
    run = checked(_plays.run(estate, plays), "the operations")
    return [Measured(operation, run.cost(f"{operation.key} cold"), run.cost(f"{operation.key} warm"),
                     run.play_end(operation.key)) for operation in sc.operations(estate)]


def measure_auths(estate: typing.Any) -> dict[str, Cost | str]:
    """The first read of a play over Basic and certificate auth (HTTPS)."""
    auths = ("basic", "certificate")
    plays = [sc.local_play(estate, [{"name": f"read {auth}", sc.VM_INFO: {"name": "web1"}}],
                           connection=sc.https_connection(estate, auth), name=auth) for auth in auths]
    run = checked(_plays.run(estate, plays), "the reads over HTTPS")
    return {auth: run.cost(f"read {auth}") for auth in auths}


def measure_kerberos() -> Cost | str:
    """A read over Kerberos: lab3 with a Samba AD DC as its KDC (tests/integration/samba_dc.py), by FQDN."""
    import samba_dc  # pylint: disable=import-outside-toplevel  (tests/integration, on the path through _plays)

    reason = samba_dc.unavailable_reason()
    if reason:
        return f"not measured: {reason}"
    with tempfile.TemporaryDirectory(prefix="samba-dc-") as name:
        dc = samba_dc.start_samba_dc(pathlib.Path(name))
        try:
            estate = started("lab3")
            try:
                samba_dc.kerberize(dc, estate)
                play = sc.local_play(estate, [{"name": "read kerberos", sc.VM_INFO: {"name": "web1"}}], auth="kerberos",
                                     name="kerberos")
                return checked(_plays.run(estate, [play]), "the read over Kerberos").cost("read kerberos")
            finally:
                estate.stop()
        finally:
            dc.stop()


@dataclasses.dataclass
class CpuCost:
    task: float  # controller CPU seconds a task adds to a play
    ping: float
    wall_task: float
    wall_ping: float


def measure_cpu(estate: typing.Any) -> CpuCost:
    count = sc.CPU_TASKS
    base = checked(_plays.run(estate, sc.cpu_plays(estate, {"name": "none", sc.PING: {}}, 0)), "cpu base")
    reads = checked(_plays.run(estate, sc.cpu_plays(estate, {"name": "read", sc.VM_INFO: {"name": "web1"}}, count)),
                    "cpu reads")
    pings = checked(_plays.run(estate, sc.cpu_plays(estate, {"name": "ping", sc.PING: {}}, count)), "cpu pings")
    return CpuCost((reads.cpu_seconds - base.cpu_seconds) / count, (pings.cpu_seconds - base.cpu_seconds) / count,
                   (reads.wall_seconds - base.wall_seconds) / count, (pings.wall_seconds - base.wall_seconds) / count)


def measure_vm_counts() -> dict[int, Cost]:
    costs = {}
    for count in VM_COUNTS:
        estate = started(fleet(1, count))
        try:
            play = sc.local_play(estate, [{"name": "read all", sc.VM_INFO: {}}], host="hv001")
            costs[count] = checked(_plays.run(estate, [play]), f"vm_info over {count} VMs").cost("read all")
        finally:
            estate.stop()
    return costs


@dataclasses.dataclass
class FleetRun:
    hosts: int
    wall: float
    cpu: float
    total: Cost


def measure_fleets() -> list[FleetRun]:
    runs = []
    for hosts in FLEET_SIZES:
        estate = started(fleet(hosts, 2))
        try:
            play, inventory = sc.fleet_play(hosts)
            run = checked(_plays.run(estate, [play], inventory=inventory(estate), forks=FLEET_FORKS), f"fleet {hosts}")
            runs.append(FleetRun(hosts, run.wall_seconds, run.cpu_seconds, run.whole()))
        finally:
            estate.stop()
    return runs


def sessions_seen(measured: list[Measured]) -> bool:
    """Whether a session outlived a task: some warm task opened no TCP connection and sent no auth leg."""
    return any(row.warm["tcp_connections"] == 0 and row.warm["http_exchanges_auth"] == 0 for row in measured)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--doc", type=pathlib.Path, help="replace the generated section of this markdown file")
    parser.add_argument("--quick", action="store_true", help="skip the fleets and Kerberos")
    arguments = parser.parse_args()
    lab3 = started("lab3")
    try:
        operations = measure_operations(lab3)
        auths = measure_auths(lab3)
        cpu = measure_cpu(lab3)
    finally:
        lab3.stop()
    vm_counts = measure_vm_counts()
    fleets = [] if arguments.quick else measure_fleets()
    auths["kerberos"] = "not measured (--quick)" if arguments.quick else measure_kerberos()  # last: it sets up a KDC
    text = _report.report(operations, auths, cpu, vm_counts, fleets, sessions=sessions_seen(operations))
    print(text)
    if arguments.doc:
        document = arguments.doc.read_text(encoding="utf-8")
        head, _, rest = document.partition(BEGIN)
        _, _, tail = rest.partition(END)
        arguments.doc.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    main()
