"""Benchmark: WinRM round trips per task, for a first run (changes) and a re-run (no change). Prints a table.

    .venv/bin/python tests/hvsim/benchmarks/round_trips.py

Each module reads a host in one batch and applies a change in one more where the cmdlets allow it; this shows
the numbers against the simulated lab3 estate (real ansible-playbook, real pypsrp).
"""

from __future__ import annotations

import pathlib
import sys
import typing

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from harness import run_playbook  # noqa: E402  pylint: disable=wrong-import-position

from hvsim.runner import start_estate  # noqa: E402  pylint: disable=wrong-import-position

DISKS = "D:\\Hyper-V\\Virtual Hard Disks"
VM = {"name": "bench1", "generation": 2, "processor_count": 2, "memory": {"startup_mb": 2048},
      "disks": [{"path": f"{DISKS}\\bench1.vhdx"}], "state": "running",
      "network_adapters": [{"name": "LAN", "switch": "vNet-LAN50", "vlan": {"mode": "access", "id": 20}}]}
TASKS: list[tuple[str, str, dict[str, typing.Any]]] = [
    ("hyperv_vhd", "create a disk", {"path": f"{DISKS}\\bench1.vhdx", "size": "10GB"}),
    ("hyperv_vm", "create a running VM with disk, NIC, VLAN", VM),
    ("hyperv_switch", "create an internal switch", {"name": "bench-int", "switch_type": "internal"}),
    ("hyperv_checkpoint", "take a checkpoint", {"vm_name": "bench1", "name": "c1"}),
    ("hyperv_host", "host and migration settings", {"enhanced_session_mode": True,
                                                    "live_migration": {"enabled": True, "authentication": "kerberos"}}),
    ("hyperv_vm_info", "report every VM with disk chains", {}),
    ("hyperv_host_info", "report the host", {}),
]


def main() -> None:
    estate = start_estate("lab3", block=203, admin_port=0)
    try:
        tasks = [{"name": f"{module} {n}", f"winvirt.hyperv.{module}": args, "register": "out"}
                 for n in (1, 2) for module, _what, args in TASKS]
        run = run_playbook(estate, tasks)
        print(f"{'module':<20} {'task':<42} {'first run':>10} {'re-run':>8}")
        for module, what, _args in TASKS:
            first, again = run.result(f"{module} 1"), run.result(f"{module} 2")
            print(f"{module:<20} {what:<42} {first.get('round_trips', '?'):>10} {again.get('round_trips', '?'):>8}")
    finally:
        estate.stop()


if __name__ == "__main__":
    main()
