"""The EXAMPLES of the modules not covered by their own tests run as written against lab3 (requirement: module
docs render with examples that the integration tests actually run)."""

from __future__ import annotations

import importlib
import typing as t

import yaml

from harness import run_playbook

from hvsim.world.directory import ADObject


def examples(module: str) -> list[dict[str, t.Any]]:
    """The module's EXAMPLES as tasks, each registering its result."""
    source = importlib.import_module(f"ansible_collections.winvirt.hyperv.plugins.modules.{module}")
    tasks = yaml.safe_load(source.EXAMPLES)
    assert isinstance(tasks, list) and tasks
    return [{"register": "out", **task} for task in tasks]


def assert_all_ran(run: t.Any, count: int) -> None:
    assert run.rc == 0, run.stdout
    assert [r["status"] for r in run.results].count("failed") == 0 and len(run.results) == count, run.stdout


def test_switch_examples(lab3: t.Any) -> None:
    tasks = examples("hyperv_switch")
    run = run_playbook(lab3, tasks)
    assert_all_ran(run, len(tasks))
    switches = lab3.world.machine("hv1").hyperv.switches
    assert switches["Lab Internal"].notes == "lab only" and "Isolated" not in switches
    assert lab3.world.machine("hv1").platform.net_adapters["vEthernet (vNet-LAN50)"].vlan_id == 20


def test_checkpoint_examples(lab3: t.Any) -> None:
    tasks = examples("hyperv_checkpoint")
    run = run_playbook(lab3, tasks)
    assert_all_ran(run, len(tasks))
    web1 = next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "web1")
    assert sorted(c.name for c in web1.checkpoints.values()) == ["baseline"], "before-patch went with its child"
    assert run.result("List the checkpoints of a VM")["changed"] is False


def test_host_info_examples(lab3: t.Any) -> None:
    tasks = examples("hyperv_host_info")
    before = lab3.snapshot()
    run = run_playbook(lab3, tasks)
    assert_all_ran(run, len(tasks))
    assert run.result("Read the host")["facts"]["computer_name"] == "HV1"
    assert lab3.snapshot() == before, "reading the host changes nothing"


def test_smb_share_examples(lab3: t.Any) -> None:
    directory = lab3.world.directory
    with lab3.world.lock:  # the groups the second example names, in the DC when lab3 has one
        directory.refresh()
        before = directory.snapshot()
        for group in ("HyperVHosts", "HyperVAdmins"):
            dn = f"CN={group},CN=Users,{directory.base_dn}"
            directory.objects[dn.lower()] = ADObject(dn=dn, sam_account_name=group, object_class="group",
                                                     user_account_control=0, description="winvirt example group")
        directory.write_back(before)
    tasks = examples("hyperv_smb_share")
    for task in tasks:
        task["winvirt.hyperv.hyperv_smb_share"]["hostname"] = lab3.address("fs1")
    run = run_playbook(lab3, tasks)
    assert_all_ran(run, len(tasks))
    assert lab3.world.machine("fs1").smb.share("VM") is None and lab3.world.machine("fs1").fs.is_dir("E:\\Shares\\VM")
