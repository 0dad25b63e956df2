"""Planning of virtual switch changes, including the B5 management cutoff guard."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._switch import (
    HostNetwork,
    NetAdapter,
    SwitchSpec,
    SwitchState,
    Vlan,
    VmAdapter,
    ambiguity,
    parse_network,
    parse_switch,
    plan_switch,
    read_commands,
)

NIC = NetAdapter("Ethernet", "Intel(R) Ethernet Connection", 4, "001122334455")
NIC2 = NetAdapter("Ethernet 2", "Intel(R) Ethernet Connection #2", 5, "001122334466")
VETH = NetAdapter("vEthernet (vNet-LAN50)", "Hyper-V Virtual Ethernet Adapter", 9, "00155D000001")
MGMT = VmAdapter("vNet-LAN50", None, "vNet-LAN50", True, "00155D000001")
VM_NIC = VmAdapter("Network Adapter", "web1", "vNet-LAN50", False, "00155D000002")


def network(interface: str | None = "vEthernet (vNet-LAN50)", adapters=(MGMT, VM_NIC)) -> HostNetwork:
    return HostNetwork(list(adapters), [NIC, NIC2, VETH], "192.0.2.11", interface)


def external(**changes) -> SwitchState:
    state = SwitchState("vNet-LAN50", "external", NIC.description, True, "", False, "absolute", Vlan("untagged"),
                        net_adapter_name="Ethernet")
    return dataclasses.replace(state, **changes)


def cmdlets(plan) -> list[str]:
    return [cmd.cmdlet for cmd in plan.commands]


def test_create_external_switch_shares_the_nic_with_the_management_os_by_default() -> None:
    spec = SwitchSpec("vNet-LAN50", switch_type="external", net_adapter_name="Ethernet 2")
    plan = plan_switch(spec, None, network())
    assert not plan.errors
    (cmd,) = plan.commands
    assert cmd.cmdlet == "New-VMSwitch"
    assert cmd.parameters == {"Name": "vNet-LAN50", "NetAdapterName": "Ethernet 2", "AllowManagementOS": True}
    assert plan.after.switch_type == "external" and plan.after.management_vlan == Vlan("untagged")


@pytest.mark.parametrize(("switch_type", "value"), [("internal", "Internal"), ("private", "Private")])
def test_create_internal_and_private_switches(switch_type: str, value: str) -> None:
    plan = plan_switch(SwitchSpec("lab", switch_type=switch_type, notes="x"), None, network())
    assert [c.parameters for c in plan.commands] == [{"Name": "lab", "SwitchType": value, "Notes": "x"}]
    assert plan.after.allow_management_os is (switch_type == "internal")


def test_create_needs_a_type_and_an_existing_nic() -> None:
    assert "set switch_type" in plan_switch(SwitchSpec("x"), None, network()).errors[0]
    plan = plan_switch(SwitchSpec("x", switch_type="external", net_adapter_name="Wifi"), None, network())
    assert "no network adapter named 'Wifi'" in plan.errors[0] and "Ethernet 2" in plan.errors[0]


def test_unchanged_switch_plans_nothing() -> None:
    spec = SwitchSpec("vNet-LAN50", switch_type="external", net_adapter_name="Ethernet", allow_management_os=True,
                      management_vlan=Vlan("untagged"))
    plan = plan_switch(spec, external(), network())
    assert plan.changes == [] and plan.errors == []


def test_vlan_on_the_adapter_carrying_the_connection_is_refused_and_says_why() -> None:
    spec = SwitchSpec("vNet-LAN50", management_vlan=Vlan("access", 20))
    plan = plan_switch(spec, external(), network())
    assert plan.connection_over_switch is True
    assert len(plan.errors) == 1
    assert "192.0.2.11" in plan.errors[0] and "vEthernet (vNet-LAN50)" in plan.errors[0]
    assert "accept_management_cutoff" in plan.errors[0]


def test_vlan_with_cutoff_accepted_is_planned_last() -> None:
    spec = SwitchSpec("vNet-LAN50", management_vlan=Vlan("access", 20), notes="lab", accept_management_cutoff=True)
    plan = plan_switch(spec, external(), network())
    assert plan.errors == []
    assert cmdlets(plan) == ["Set-VMSwitch", "Set-VMNetworkAdapterVlan"]
    assert plan.commands[-1].parameters == {"ManagementOS": True, "VMNetworkAdapterName": "vNet-LAN50",
                                            "Access": True, "VlanId": 20}
    assert plan.risks_connection
    assert any("untagged devices" in w for w in plan.warnings)


def test_vlan_is_safe_when_the_connection_uses_another_nic() -> None:
    spec = SwitchSpec("vNet-LAN50", management_vlan=Vlan("access", 20))
    plan = plan_switch(spec, external(), network(interface="Ethernet 2"))
    assert plan.errors == [] and plan.connection_over_switch is False
    assert cmdlets(plan) == ["Set-VMNetworkAdapterVlan"]


def test_unknown_connection_path_is_refused_too() -> None:
    spec = SwitchSpec("vNet-LAN50", management_vlan=Vlan("access", 20))
    plan = plan_switch(spec, external(), network(interface=None))
    assert plan.connection_over_switch is None
    assert "was not found on any interface" in plan.errors[0]


def test_back_to_untagged_is_also_a_connection_change() -> None:
    spec = SwitchSpec("vNet-LAN50", management_vlan=Vlan("untagged"))
    plan = plan_switch(spec, external(management_vlan=Vlan("access", 20)), network())
    assert plan.errors and cmdlets(plan) == ["Set-VMNetworkAdapterVlan"]
    assert plan.commands[0].parameters["Untagged"] is True


def test_removing_the_connection_switch_is_refused_but_a_private_one_is_not() -> None:
    assert plan_switch(SwitchSpec("vNet-LAN50", state="absent"), external(), network()).errors
    private = SwitchState("vNet-LAN50", "private", None, False, "", False, "absolute", None)
    plan = plan_switch(SwitchSpec("vNet-LAN50", state="absent"), private, network(adapters=[VM_NIC]))
    assert plan.errors == [] and cmdlets(plan) == ["Remove-VMSwitch"]
    assert "web1" in plan.warnings[0]


def test_absent_switch_that_does_not_exist_is_ok() -> None:
    plan = plan_switch(SwitchSpec("gone", state="absent"), None, network())
    assert plan.changes == [] and plan.errors == []


def test_external_to_internal_in_place_and_guarded() -> None:
    spec = SwitchSpec("vNet-LAN50", switch_type="internal")
    plan = plan_switch(spec, external(), network(interface="Ethernet 2"))
    assert plan.errors == []
    assert plan.commands[0].parameters == {"Name": "vNet-LAN50", "SwitchType": "Internal"}
    assert plan_switch(spec, external(), network()).errors


def test_taking_away_management_os_is_guarded() -> None:
    spec = SwitchSpec("vNet-LAN50", allow_management_os=False)
    assert plan_switch(spec, external(), network()).errors
    plan = plan_switch(dataclasses.replace(spec, accept_management_cutoff=True), external(), network())
    assert plan.commands[0].parameters == {"Name": "vNet-LAN50", "AllowManagementOS": False}
    assert plan.after.management_vlan is None


def test_creation_only_settings_need_recreate_and_reconnect_vms() -> None:
    spec = SwitchSpec("vNet-LAN50", minimum_bandwidth_mode="weight")
    refused = plan_switch(spec, external(), network(interface="Ethernet 2"))
    assert "recreate: true" in refused.errors[0] and refused.changes == []
    plan = plan_switch(dataclasses.replace(spec, recreate=True), external(management_vlan=Vlan("access", 20)),
                       network(interface="Ethernet 2"))
    assert plan.errors == []
    assert cmdlets(plan) == ["Remove-VMSwitch", "New-VMSwitch", "Set-VMNetworkAdapterVlan", "Connect-VMNetworkAdapter"]
    assert plan.commands[1].parameters["MinimumBandwidthMode"] == "Weight"
    assert plan.commands[1].parameters["NetAdapterName"] == "Ethernet"
    assert plan.commands[3].parameters == {"VMName": "web1", "Name": "Network Adapter", "SwitchName": "vNet-LAN50"}


def test_new_external_switch_on_the_connection_nic_without_management_os_is_refused() -> None:
    spec = SwitchSpec("new", switch_type="external", net_adapter_name="Ethernet 2", allow_management_os=False)
    plan = plan_switch(spec, None, network(interface="Ethernet 2"))
    assert "takes the address away" in plan.errors[0]
    shared = plan_switch(dataclasses.replace(spec, allow_management_os=True), None, network(interface="Ethernet 2"))
    assert shared.errors == [] and "briefly interrupts" in shared.warnings[0]


def test_management_adapter_with_another_name_is_pointed_out() -> None:
    renamed = VmAdapter("Mgmt", None, "vNet-LAN50", True, "00155D000001")
    spec = SwitchSpec("vNet-LAN50", management_vlan=Vlan("access", 20), accept_management_cutoff=True)
    plan = plan_switch(spec, external(), network(adapters=[renamed]))
    assert "management_adapter_name" in plan.errors[0] and "Mgmt" in plan.errors[0]


def test_vlan_on_a_private_switch_is_an_error() -> None:
    private = SwitchState("p", "private", None, False, "", False, "absolute", None)
    plan = plan_switch(SwitchSpec("p", management_vlan=Vlan("access", 20)), private, network())
    assert "no management OS adapter" in plan.errors[0]


def test_parsing_reads_exact_names_and_maps_the_nic_by_description() -> None:
    spec = SwitchSpec("lab[1]")
    commands = read_commands(spec, "192.0.2.11")
    assert [c.cmdlet for c in commands][-1] == "Get-NetIPAddress"
    results = [
        [{"Name": "lab1", "SwitchType": "Internal"},
         {"Name": "lab[1]", "SwitchType": "External", "NetAdapterInterfaceDescription": NIC.description,
          "AllowManagementOS": True, "Notes": None, "IovEnabled": False, "BandwidthReservationMode": "Absolute"}],
        [{"Name": "lab[1]", "VMName": None, "SwitchName": "lab[1]", "IsManagementOs": True, "MacAddress": "00155D000009"}],
        [{"OperationMode": "Access", "AccessVlanId": 20}],
        [{"Name": "Ethernet", "InterfaceDescription": NIC.description, "ifIndex": 4, "MacAddress": "00-11-22-33-44-55"},
         {"Name": "vEthernet (lab[1])", "InterfaceDescription": "Hyper-V Virtual Ethernet Adapter", "ifIndex": 9,
          "MacAddress": "00-15-5D-00-00-09"}],
        [{"IPAddress": "192.0.2.11", "InterfaceAlias": "vEthernet (lab[1])", "InterfaceIndex": 9}],
    ]
    net = parse_network(results, "192.0.2.11")
    state = parse_switch(spec, results[0], results[2], net)
    assert state.switch_type == "external" and state.net_adapter_name == "Ethernet"
    assert state.management_vlan == Vlan("access", 20)
    assert plan_switch(SwitchSpec("lab[1]", state="absent"), state, net).connection_over_switch is True


def test_a_name_two_switches_share_is_ambiguous_without_regard_to_case() -> None:
    spec = SwitchSpec(name="Lab")
    rows = [{"Name": "Lab", "Id": "id-1"}, {"Name": "LAB", "Id": "id-2"}, {"Name": "Lab2", "Id": "id-3"}]
    message = ambiguity(spec, rows, "hv1.lab.test")
    assert message is not None and message.startswith("hv1.lab.test: the host has 2 switches named 'Lab'")
    assert "id-1, id-2" in message and "id-3" not in message
    assert ambiguity(spec, rows[:1] + rows[2:], "hv1.lab.test") is None
