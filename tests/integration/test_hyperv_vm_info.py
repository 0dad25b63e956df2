"""hyperv_vm_info against hvsim: every VM, a pattern, disks with parent chains, adapters with VLANs."""

from __future__ import annotations

import typing as t

from harness import run_playbook
from test_hyperv_vm import SWITCH, disk_dir, example_tasks, world_vms

INFO = "winvirt.hyperv.hyperv_vm_info"


def info(estate: t.Any, **args: t.Any) -> dict[str, t.Any]:
    run = run_playbook(estate, [{"name": "info", INFO: args, "register": "out"}])
    assert run.rc == 0, run.stdout
    return run.result("info")


def test_lists_every_vm_of_the_host(lab3) -> None:
    before = lab3.snapshot()
    result = info(lab3)
    # VMs, then their disk files, then the parents of differencing disks (ws1 in lab3)
    assert result["changed"] is False and result["round_trips"] <= 3
    assert sorted(vm["name"] for vm in result["vms"]) == sorted(vm.name for vm in world_vms(lab3))
    assert lab3.snapshot() == before


def test_reports_disk_chain_adapters_and_vlans(lab3) -> None:
    folder = disk_dir(lab3)
    base, child = f"{folder}\\it-info-base.vhdx", f"{folder}\\it-info-child.vhdx"
    made = run_playbook(lab3, [
        {"name": "base", "winvirt.hyperv.hyperv_vhd": {"path": base, "size": "1GB"}},
        {"name": "vm", "winvirt.hyperv.hyperv_vm": {
            "name": "it-info", "disks": [{"path": child, "type": "differencing", "parent_path": base}],
            "network_adapters": [{"name": "Trunk", "switch": SWITCH,
                                  "vlan": {"mode": "trunk", "allowed": ["10-12", "20"], "native_id": 10}}]}},
    ])
    assert made.rc == 0, made.stdout
    result = info(lab3, name="it-inf*")
    assert [vm["name"] for vm in result["vms"]] == ["it-info"]
    vm = result["vms"][0]
    assert [link["path"].lower() for link in vm["disks"][0]["chain"]] == [child.lower(), base.lower()]
    assert vm["network_adapters"][0]["vlan"] == {"mode": "trunk", "id": None, "allowed": [10, 11, 12, 20], "native_id": 10}
    assert vm["checkpoints"] == [] and vm["replication_state"] is not None
    assert result["round_trips"] == 3, "VMs, then the disk files, then their parents"


def test_examples_run(lab3) -> None:
    examples = example_tasks("hyperv_vm_info", disk_dir(lab3))
    run = run_playbook(lab3, examples)
    assert run.rc == 0, run.stdout
    assert [r["status"] for r in run.results].count("failed") == 0
