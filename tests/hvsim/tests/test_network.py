"""hvsim.world.network: the management interface and who reaches whom (layer 2 with VLANs)."""

from __future__ import annotations

import ipaddress
import types

import pytest

import hvsim.estate
import hvsim.runner
from hvsim.world.model import World
from hvsim.world.network import endpoint_can_reach, management_interface, management_subnet


@pytest.fixture(name="lab3")
def fixture_lab3() -> World:
    world = hvsim.estate.build_world(hvsim.runner.estate_spec("lab3"))
    if world.machines["hv1"].hyperv is None or not world.machines["hv1"].hyperv.switches:
        pytest.skip("hvsim.world.hyperv has not built the estate's switches yet")
    return world


def vm(name: str, switch: str, vlan: int = 0, state: str = "Running") -> types.SimpleNamespace:
    """A VM as hvsim.world.hyperv keeps it, reduced to what the network model reads."""
    mode = "Access" if vlan else "Untagged"
    adapter = types.SimpleNamespace(switch_name=switch, vlan=types.SimpleNamespace(mode=mode, access_id=vlan))
    return types.SimpleNamespace(name=name, state=state, adapters=[adapter])


def test_management_network_and_interface(lab3: World) -> None:
    assert management_subnet(lab3) == ipaddress.ip_network("10.0.0.0/24")
    assert management_interface(lab3, lab3.machines["hv1"]).name == "vEthernet (vNet-LAN50)"
    assert management_interface(lab3, lab3.machines["fs1"]).name == "Ethernet"
    lab3.networks = [{"name": "management", "subnet": "10.0.60.0/24"}]  # type: ignore[attr-defined]
    assert management_interface(lab3, lab3.machines["fs1"]).name == "Ethernet 2"


def test_untagged_lan(lab3: World) -> None:
    assert endpoint_can_reach(lab3, "lan", "hv1") and endpoint_can_reach(lab3, "hv1", "hv3")
    assert endpoint_can_reach(lab3, "lan", "fs1") and endpoint_can_reach(lab3, "hv2", "dc1")
    assert endpoint_can_reach(lab3, "hv1/ws1", "lan") and endpoint_can_reach(lab3, "hv1/ws1", "hv2")
    # web1 is on access VLAN 20, the uplink carries untagged frames only
    assert not endpoint_can_reach(lab3, "hv1/web1", "lan") and not endpoint_can_reach(lab3, "hv1/web1", "hv1")
    assert not endpoint_can_reach(lab3, "hv1/app1", "lan")  # Off
    assert not endpoint_can_reach(lab3, "hv1/nope", "lan") and not endpoint_can_reach(lab3, "nas9", "lan")


def test_vlan_across_hosts_needs_the_management_os_on_the_vlan(lab3: World) -> None:
    lab3.machines["hv2"].hyperv.vms["x"] = vm("lab-hv2", "vNet-LAN50", 20)
    assert not endpoint_can_reach(lab3, "hv1/web1", "hv2/lab-hv2")
    lab3.machines["hv1"].platform.net_adapters["vEthernet (vNet-LAN50)"].vlan_id = 20
    # hv1's uplink now carries VLAN 20: web1 meets hv1's management OS, not yet hv2's VM
    assert endpoint_can_reach(lab3, "hv1/web1", "hv1") and endpoint_can_reach(lab3, "hv1/web1", "lan") is False
    assert not endpoint_can_reach(lab3, "hv1/web1", "hv2/lab-hv2")
    lab3.machines["hv2"].platform.net_adapters["vEthernet (vNet-LAN50)"].vlan_id = 20
    assert endpoint_can_reach(lab3, "hv1/web1", "hv2/lab-hv2") and endpoint_can_reach(lab3, "hv2/lab-hv2", "hv1")
    # the price: untagged devices no longer reach the hosts' management OS
    assert not endpoint_can_reach(lab3, "lan", "hv1") and not endpoint_can_reach(lab3, "lan", "hv2")
    assert not endpoint_can_reach(lab3, "hv1/ws1", "hv1")


def test_private_switch_and_power(lab3: World) -> None:
    hv1 = lab3.machines["hv1"]
    hv1.hyperv.vms["y"] = vm("probe", "Lab Private")
    legacy = next(v for v in hv1.hyperv.vms.values() if v.name == "legacy1")
    assert not endpoint_can_reach(lab3, "hv1/probe", "hv1/legacy1")  # legacy1 is Off
    legacy.state = "Running"
    assert endpoint_can_reach(lab3, "hv1/probe", "hv1/legacy1")
    assert not endpoint_can_reach(lab3, "hv1/probe", "lan") and not endpoint_can_reach(lab3, "hv1/probe", "hv1")
    lab3.machines["hv2"].platform.set_powered(False)
    assert not endpoint_can_reach(lab3, "lan", "hv2")
    hv1.platform.net_adapters["Ethernet"].status = "Disconnected"
    assert not endpoint_can_reach(lab3, "lan", "hv1") and endpoint_can_reach(lab3, "hv1/probe", "hv1/legacy1")
