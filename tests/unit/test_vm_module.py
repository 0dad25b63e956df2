"""hyperv_vm, hyperv_vm_info and hyperv_vhd entry points with a scripted host: batches, round trips, check mode."""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import VM_NAME_PARAMETER
from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_vhd, hyperv_vm, hyperv_vm_info

CONNECTION = {"hostname": "hv1", "username": "Administrator", "password": "Passw0rd!", "auth": "ntlm"}
MB = 1024**2


class Host:
    """A host with one VM 'web1' (or none), answering each cmdlet of a batch from that state."""

    def __init__(self) -> None:
        self.vm: dict[str, t.Any] | None = {"Name": "web1", "Id": "ID1", "State": "Running", "Generation": 2,
                                            "ProcessorCount": 2, "Notes": "", "Version": "12.0"}
        self.batches: list[list[str]] = []
        self.fail_on: str | None = None
        self.vhds: dict[str, dict[str, t.Any]] = {}

    def answer(self, command: t.Any) -> list[t.Any]:
        last = command.chain()[-1].cmdlet
        first = command.cmdlet
        if last == self.fail_on:
            raise HyperVError("hv1", f"{last} failed", command=command.describe())
        if first == "New-VM":
            self.vm = {"Name": command.parameters["Name"], "Id": "NEW", "State": "Off", "Generation": 2, "ProcessorCount": 1}
            return [dict(self.vm)]
        if first == "Get-VHD":
            return [self.vhds[p] for p in command.parameters["Path"] if p in self.vhds]
        if first == "New-VHD":
            self.vhds[command.parameters["Path"]] = {"Path": command.parameters["Path"], "VhdType": "Dynamic",
                                                     "VhdFormat": "VHDX", "Size": command.parameters["SizeBytes"]}
            return []
        if first == "Get-VMSwitch":
            return [{"Name": "vNet-LAN50"}]
        if last == "Get-VHD" or self.vm is None:
            return []
        if first != "Get-VM" and VM_NAME_PARAMETER.get(first) not in command.parameters:
            return []
        parameters = command.chain()[-1].parameters
        effects = {"Set-VMProcessor": {"ProcessorCount": parameters.get("Count")}, "Stop-VM": {"State": "Off"},
                   "Start-VM": {"State": "Running"}, "Set-VM": parameters}
        if last in effects:
            self.vm.update(effects[last])
            return []
        if last in ("Get-VM", "Where-Object"):
            return [dict(self.vm)]
        if last == "Get-VMMemory":
            return [{"VMId": self.vm["Id"], "Startup": 2048 * MB, "DynamicMemoryEnabled": False}]
        return []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        host = self

        def run(self: HostClient, commands: t.Sequence[t.Any], *, retry: bool = False) -> list[list[t.Any]]:
            self.round_trips += 1
            host.batches.append([" | ".join(link.cmdlet for link in c.chain()) for c in commands])
            return [host.answer(c) for c in commands]

        monkeypatch.setattr(HostClient, "run", run)


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> Host:
    scripted = Host()
    scripted.install(monkeypatch)
    return scripted


def invoke(module: t.Any, args: dict[str, t.Any], capsys: pytest.CaptureFixture[str]) -> dict[str, t.Any]:
    with patch_module_args({**CONNECTION, **args}), pytest.raises(SystemExit):
        module.main()
    return t.cast(dict[str, t.Any], json.loads(capsys.readouterr().out))


def test_unchanged_vm_takes_one_round_trip(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(hyperv_vm, {"name": "web1", "processor_count": 2, "state": "running"}, capsys)
    assert result["changed"] is False and result["round_trips"] == 1 and result["changes"] == []
    assert result["vm"]["processor_count"] == 2 and result["vm"]["memory"]["startup_mb"] == 2048


def test_change_applies_and_rereads_in_one_more_round_trip(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(hyperv_vm, {"name": "web1", "processor_count": 4, "allow_restart": True, "_ansible_diff": True}, capsys)
    assert result["changed"] is True and result["round_trips"] == 2
    assert host.batches[1][:3] == ["Get-VM | Stop-VM", "Get-VM | Set-VMProcessor", "Get-VM | Start-VM"]
    assert host.batches[1][3] == "Get-VM", "the result is read back in the apply batch"
    assert result["vm"]["processor_count"] == 4 and result["vm"]["state"] == "Running"
    assert result["diff"]["before"]["processor_count"] == 2 and result["diff"]["after"]["processor_count"] == 4


def test_check_mode_reads_only(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    args = {"name": "web1", "notes": "new", "_ansible_check_mode": True, "_ansible_diff": True}
    result = invoke(hyperv_vm, args, capsys)
    assert result["changed"] is True and len(host.batches) == 1 and host.vm is not None and host.vm["Notes"] == ""
    assert result["diff"]["after"]["notes"] == "new" and result["vm"]["notes"] == "new"


def test_offline_change_without_allow_restart_fails_before_applying(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(hyperv_vm, {"name": "web1", "processor_count": 8}, capsys)
    assert result["failed"] is True and "allow_restart" in result["msg"] and result["msg"].startswith("hv1:")
    assert len(host.batches) == 1 and host.vm is not None and host.vm["ProcessorCount"] == 2


def test_bad_input_fails_before_connecting(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(hyperv_vm, {"name": "web1", "memory": {"startup_mb": -4}}, capsys)
    assert result["failed"] is True and "at least 32" in result["msg"] and host.batches == []


def test_failed_apply_returns_the_vm_to_its_prior_state(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    host.fail_on = "Set-VMProcessor"
    result = invoke(hyperv_vm, {"name": "web1", "processor_count": 4, "allow_restart": True}, capsys)
    assert result["failed"] is True and "Set-VMProcessor failed" in result["msg"]
    assert host.batches[-2] == ["Get-VM | Start-VM"]
    assert host.batches[-1][0] == "Get-VM"  # read back: what the failure left
    assert result["changed"] is True and "stopped for the change and started again" in result["msg"]


def test_create_reports_the_new_vm(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    host.vm = None
    result = invoke(hyperv_vm, {"name": "vm-ü", "disks": [{"path": "C:\\d.vhdx", "size": "1GB"}]}, capsys)
    assert result["changed"] is True and result["round_trips"] == 2, result
    assert host.batches[1][0] == "New-VM" and result["vm"]["name"] == "vm-ü" and result["vm"]["id"] == "NEW"


def test_absent_reports_kept_files(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(hyperv_vm, {"name": "web1", "state": "absent"}, capsys)
    assert result["changed"] is True and result["vm"] is None and result["kept_files"] == []
    assert host.batches[1] == ["Get-VM | Stop-VM", "Get-VM | Remove-VM"]


def test_vm_info_lists_vms_with_checkpoints_in_one_round_trip(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(hyperv_vm_info, {"name": "web*"}, capsys)
    assert result["changed"] is False and result["round_trips"] == 1
    assert [vm["name"] for vm in result["vms"]] == ["web1"] and result["vms"][0]["checkpoints"] == []
    assert host.batches[0][-2:] == ["Get-VMSnapshot", "Get-VM | Select-Object | Get-VHD"]


def test_vhd_create_then_unchanged(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    created = invoke(hyperv_vhd, {"path": "C:\\d.vhdx", "size": "1GB"}, capsys)
    assert created["changed"] is True and created["round_trips"] == 2
    assert created["vhd"]["size"] == 1024**3 and created["vhd"]["chain"][0]["path"] == "C:\\d.vhdx"
    again = invoke(hyperv_vhd, {"path": "C:\\d.vhdx", "size": "1GB"}, capsys)
    assert again["changed"] is False and again["round_trips"] == 1


def test_vhd_bad_size_fails_before_connecting(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    result = invoke(hyperv_vhd, {"path": "C:\\d.vhdx", "size": "-3GB"}, capsys)
    assert result["failed"] is True and host.batches == []
