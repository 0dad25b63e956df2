"""Benchmark: how fast an estate is ready and how much memory a fleet takes (prints a table; not a test).

    .venv/bin/python tests/hvsim/benchmarks/estates.py [--hosts 50] [--vms 10]

Targets (issue 4): lab3 ready in under 3 s; a 50-host fleet in one process under 300 MB RSS.
"""

from __future__ import annotations

import argparse
import resource
import time

from hvsim.estate import fleet
from hvsim.runner import start_estate


def rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, spec: object, block: int) -> tuple[str, float, int, float]:
    started = time.perf_counter()
    estate = start_estate(spec, block=block, http_port=25985, https_port=25986, admin_port=0)  # type: ignore[arg-type]
    ready = time.perf_counter() - started
    machines = len(estate.world.machines)
    estate.stop()
    return name, ready, machines, rss_mb()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--vms", type=int, default=10)
    arguments = parser.parse_args()
    rows = [measure("lab3", "lab3", 201),
            measure(f"fleet {arguments.hosts}x{arguments.vms}", fleet(arguments.hosts, arguments.vms), 202)]
    print(f"{'estate':<20} {'ready (s)':>10} {'machines':>9} {'peak RSS (MB)':>14}")
    for name, ready, machines, rss in rows:
        print(f"{name:<20} {ready:>10.2f} {machines:>9} {rss:>14.1f}")
    print("targets: lab3 ready < 3 s; 50-host fleet < 300 MB RSS")


if __name__ == "__main__":
    main()
