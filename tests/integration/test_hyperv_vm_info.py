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
    assert result["round_trips"] == 2, "VMs with their disk files, then the disks' parents"


def test_examples_run(lab3) -> None:
    examples = example_tasks("hyperv_vm_info", disk_dir(lab3))
    run = run_playbook(lab3, examples)
    assert run.rc == 0, run.stdout
    assert [r["status"] for r in run.results].count("failed") == 0


def test_500_vms_arrive_in_several_receives_within_the_envelope_size(lab3) -> None:
    """pypsrp asks for responses of at most 512,000 bytes (MaxEnvelopeSize); hvsim splits a large output
    over several Receives as Windows does, and the module's result is the same."""
    import json

    from hvsim.contract import CommandCall, Failed, Principal
    from hvsim.engine.executor import Engine

    engine = Engine()
    admin = Principal(machine="hv1", user="LAB\\Administrator", auth="kerberos", delegable=False)
    for index in range(500):
        call = CommandCall(name="New-VM", parameters=[("Name", f"fleet-{index:03}"), ("Generation", 2),
                                                      ("NoVHD", True), ("SwitchName", SWITCH)])
        assert not [e for e in engine.run(admin, lab3.world, [[call]], []) if isinstance(e, Failed)]
    lab3.reset_counters()
    result = info(lab3)
    counters = lab3.counters("hv1")
    assert sorted(vm["name"] for vm in result["vms"]) == sorted(vm.name for vm in world_vms(lab3))
    fleet = [vm for vm in result["vms"] if vm["name"].startswith("fleet-")]
    first = fleet[0]
    assert len(fleet) == 500

    def same(vm: dict[str, t.Any]) -> str:
        """The VM's entry as the first copy's: its name and id replaced."""
        text = json.dumps(vm, sort_keys=True).lower()
        return text.replace(vm["name"].lower(), "fleet-000").replace(vm["id"].lower(), first["id"].lower())

    expected = json.loads(json.dumps(first, sort_keys=True).lower())
    differ = {key: (value, expected[key]) for vm in fleet for key, value in json.loads(same(vm)).items()
              if value != expected[key]}
    assert not differ, differ
    assert counters["largest_reply"] <= 512_000 and counters["bytes_out"] > 2 * 512_000, counters
