"""hyperv_switch's entry point with a scripted host: check mode, the refusal, the apply batch."""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_switch

CONNECTION = {"hostname": "192.0.2.11", "username": "Administrator", "password": "x", "auth": "ntlm"}

READ = {
    "Get-VMSwitch": [{"Name": "vNet-LAN50", "SwitchType": "External", "NetAdapterInterfaceDescription": "Intel NIC",
                      "AllowManagementOS": True, "Notes": "", "IovEnabled": False, "BandwidthReservationMode": "Absolute"}],
    "Get-VMNetworkAdapter": [{"Name": "vNet-LAN50", "VMName": None, "SwitchName": "vNet-LAN50", "IsManagementOs": True,
                              "MacAddress": "00155D000001"}],
    "Get-VMNetworkAdapterVlan": [{"OperationMode": "Untagged", "AccessVlanId": 0}],
    "Get-NetAdapter": [{"Name": "Ethernet", "InterfaceDescription": "Intel NIC", "ifIndex": 4, "MacAddress": "00-11-22-33-44-55"},
                       {"Name": "vEthernet (vNet-LAN50)", "InterfaceDescription": "Hyper-V Virtual Ethernet Adapter",
                        "ifIndex": 9, "MacAddress": "00-15-5D-00-00-01"}],
    "Get-NetIPAddress": [{"IPAddress": "192.0.2.11", "InterfaceAlias": "vEthernet (vNet-LAN50)", "InterfaceIndex": 9}],
}


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    batches: list[list[str]] = []

    def run(self: HostClient, commands: t.Sequence[t.Any], *, retry: bool = False) -> list[list[t.Any]]:
        self.round_trips += 1
        batches.append([c.cmdlet for c in commands])
        answers = dict(READ)
        if any(c.cmdlet == "Set-VMNetworkAdapterVlan" for c in commands):
            answers["Get-VMNetworkAdapterVlan"] = [{"OperationMode": "Access", "AccessVlanId": 20}]
        return [list(answers.get(c.cmdlet, [])) for c in commands]

    monkeypatch.setattr(HostClient, "run", run)
    return batches


def invoke(args: dict[str, t.Any], capsys: pytest.CaptureFixture[str]) -> dict[str, t.Any]:
    with patch_module_args({**CONNECTION, **args}), pytest.raises(SystemExit):
        hyperv_switch.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_reads_once_and_reports_the_change(host, capsys) -> None:
    result = invoke({"name": "vNet-LAN50", "management_vlan": {"id": 20}, "accept_management_cutoff": True,
                     "_ansible_check_mode": True, "_ansible_diff": True}, capsys)
    assert result["changed"] is True and result["round_trips"] == 1 and len(host) == 1
    assert result["diff"]["before"]["management_vlan"] == {"mode": "untagged", "id": None}
    assert result["diff"]["after"]["management_vlan"] == {"mode": "access", "id": 20}


def test_refusal_names_the_address_and_interface(host, capsys) -> None:
    result = invoke({"name": "vNet-LAN50", "management_vlan": {"id": 20}}, capsys)
    assert result["failed"] is True
    assert "192.0.2.11" in result["msg"] and "vEthernet (vNet-LAN50)" in result["msg"]
    assert result["management_connection"]["over_this_switch"] is True
    assert len(host) == 1


def test_apply_is_one_more_round_trip_and_reports_what_the_host_says(host, capsys) -> None:
    result = invoke({"name": "vNet-LAN50", "management_vlan": {"id": 20}, "accept_management_cutoff": True}, capsys)
    assert result["changed"] is True and result["round_trips"] == 2
    assert host[1] == ["Set-VMNetworkAdapterVlan", "Get-VMSwitch", "Get-VMNetworkAdapterVlan"]
    assert result["switch"]["management_vlan"] == {"mode": "access", "id": 20}


@pytest.mark.parametrize("vlan", [{"id": 0}, {"id": 4095}, {"mode": "untagged", "id": 20}, {}])
def test_bad_vlan_fails_before_connecting(host, capsys, vlan) -> None:
    result = invoke({"name": "vNet-LAN50", "management_vlan": vlan}, capsys)
    assert result["failed"] is True and "management_vlan.id" in result["msg"]
    assert host == []
