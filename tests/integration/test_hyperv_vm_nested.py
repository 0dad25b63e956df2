"""hyperv_vm's nested-virtualization and enhanced-session settings against hvsim: the outer VM of a nested lab
(virtualization extensions exposed, MAC address spoofing on its adapter) and a Linux guest's HvSocket transport,
with Hyper-V's off-only rules."""

from __future__ import annotations

import typing as t

from harness import run_playbook

VM = "winvirt.hyperv.hyperv_vm"
ADAPTER = {"name": "LAN", "switch": "vNet-LAN50", "mac_address_spoofing": True}


def task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, VM: args, "register": "out"}


def world_vm(estate: t.Any, name: str) -> t.Any:
    vms = estate.world.machine("hv1").hyperv.vms
    return next(vm for vm in (vms.values() if isinstance(vms, dict) else vms) if vm.name == name)


def test_outer_vm_of_a_nested_lab(lab3) -> None:
    nested = dict(name="nested-hv", generation=2, memory={"startup_mb": 8192, "dynamic": False},
                  expose_virtualization_extensions=True, network_adapters=[ADAPTER], state="running")
    before = lab3.snapshot()
    checked = run_playbook(lab3, [task("nested", **nested)], check=True)
    assert checked.rc == 0 and checked.result("nested")["changed"] is True, checked.stdout
    assert lab3.snapshot() == before, "check mode changed the world"

    made = run_playbook(lab3, [task("nested", **nested)])
    result = made.result("nested")
    assert made.rc == 0, made.stdout
    vm = world_vm(lab3, "nested-hv")
    assert vm.expose_virtualization_extensions is True and vm.state == "Running"
    assert [a.mac_address_spoofing for a in vm.adapters] == [True]
    assert result["vm"]["expose_virtualization_extensions"] is True
    assert result["vm"]["network_adapters"][0]["mac_address_spoofing"] is True
    again = run_playbook(lab3, [task("nested", **nested)])
    assert again.result("nested")["changed"] is False, again.result("nested").get("changes")

    # spoofing changes on the running VM; exposing the extensions needs it off, like Hyper-V
    off = run_playbook(lab3, [task("spoof", name="nested-hv", network_adapters=[{**ADAPTER, "mac_address_spoofing": False}])])
    assert off.rc == 0 and vm.adapters[0].mac_address_spoofing is False and vm.state == "Running", off.stdout
    before = lab3.snapshot()
    refused = run_playbook(lab3, [task("hide", name="nested-hv", expose_virtualization_extensions=False)])
    assert refused.rc != 0 and "virtualization extensions" in refused.result("hide")["msg"]
    assert "allow_restart" in refused.result("hide")["msg"]
    assert lab3.snapshot() == before
    allowed = run_playbook(lab3, [task("hide", name="nested-hv", expose_virtualization_extensions=False,
                                       allow_restart=True)])
    assert allowed.rc == 0, allowed.stdout
    assert vm.expose_virtualization_extensions is False and vm.state == "Running"


def test_linux_guest_enhanced_session_transport(lab3) -> None:
    made = run_playbook(lab3, [task("linux", name="linux-esm", generation=2, enhanced_session_transport_type="hvsocket")])
    assert made.rc == 0, made.stdout
    vm = world_vm(lab3, "linux-esm")
    assert vm.enhanced_session_transport == "HvSocket"
    assert made.result("linux")["vm"]["enhanced_session_transport_type"] == "hvsocket"
    again = run_playbook(lab3, [task("linux", name="linux-esm", enhanced_session_transport_type="hvsocket")])
    assert again.result("linux")["changed"] is False

    started = run_playbook(lab3, [task("start", name="linux-esm", state="running")])
    assert started.rc == 0, started.stdout
    refused = run_playbook(lab3, [task("vmbus", name="linux-esm", enhanced_session_transport_type="vmbus")])
    assert refused.rc != 0 and "allow_restart" in refused.result("vmbus")["msg"]
    assert vm.enhanced_session_transport == "HvSocket"
