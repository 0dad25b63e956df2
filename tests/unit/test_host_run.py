"""hyperv_host's orchestration against a scripted client: round trips, check mode, pending settings."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._host_run import HostRun, HostSpec
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_settings import HostSettingsSpec


class ScriptedClient:
    """Answers each cmdlet from a table; records every batch."""

    def __init__(self, answers: dict[str, list[t.Any]]) -> None:
        self.answers = answers
        self.batches: list[list[str]] = []

    def run(self, commands, *, retry: bool = False):
        self.batches.append([c.cmdlet for c in commands])
        out = []
        for cmd in commands:
            key = cmd.cmdlet
            if cmd.cmdlet == "Get-CimInstance":
                key = cmd.parameters["ClassName"]
            out.append(list(self.answers.get(key, [])))
        return out


def server(hyperv: bool = True, **extra: list[t.Any]) -> dict[str, list[t.Any]]:
    answers = {
        "Win32_OperatingSystem": [{"Caption": "Windows Server 2025", "ProductType": 3, "LastBootUpTime": "t0"}],
        "Win32_ComputerSystem": [{"Name": "HV1", "PartOfDomain": True}],
        "Get-Service": [{"Name": "vmms", "Status": "Running"}] if hyperv else [],
        "Get-WindowsFeature": [{"Name": "Hyper-V", "InstallState": "Installed" if hyperv else "Available"}],
        "Get-VMHost": [{"EnableEnhancedSessionMode": False, "VirtualMachineMigrationEnabled": False}],
        "Get-VMMigrationNetwork": [],
        "Install-WindowsFeature": [{"Success": True, "RestartNeeded": "Yes"}],
    }
    answers.update(extra)
    return answers


def run(client: ScriptedClient, spec: HostSpec, check: bool = False) -> tuple[dict[str, t.Any], list[str]]:
    warnings: list[str] = []
    result = HostRun(client, spec, check_mode=check, warn=warnings.append).execute()  # type: ignore[arg-type]
    return result, warnings


SETTINGS = HostSettingsSpec({"enhanced_session_mode": True}, live_migration=True)


def test_settings_change_is_two_reads_and_one_apply_with_a_re_read() -> None:
    client = ScriptedClient(server())
    result, _warnings = run(client, HostSpec(features=("Hyper-V",), settings=SETTINGS))
    assert len(client.batches) == 3
    assert client.batches[1] == ["Get-WindowsFeature", "Get-VMHost", "Get-VMMigrationNetwork"]
    assert client.batches[2] == ["Enable-VMMigration", "Set-VMHost", "Get-VMHost", "Get-VMMigrationNetwork"]
    assert result["changed"] and result["reboot_required"] is False


def test_check_mode_reads_only() -> None:
    client = ScriptedClient(server())
    result, _warnings = run(client, HostSpec(settings=SETTINGS), check=True)
    assert len(client.batches) == 2
    assert result["changed"] and result["settings"]["enhanced_session_mode"] is True


def test_nothing_asked_of_hyperv_is_a_single_read() -> None:
    client = ScriptedClient(server(**{"Get-Item": [{"Value": "true"}]}))
    result, _warnings = run(client, HostSpec(credssp_server=True))
    assert len(client.batches) == 1 and not result["changed"]


def test_install_without_reboot_reports_it_and_leaves_settings_for_later() -> None:
    client = ScriptedClient(server(hyperv=False))
    result, warnings = run(client, HostSpec(features=("Hyper-V",), settings=SETTINGS))
    assert client.batches[-1] == ["Install-WindowsFeature"]
    assert result["reboot_required"] is True and result["features"] == {"Hyper-V": "install_pending"}
    assert "restart" in warnings[0]


def test_settings_without_hyperv_and_without_installing_it_fail_clearly() -> None:
    client = ScriptedClient(server(hyperv=False))
    with pytest.raises(ValueError, match="vmms service does not exist"):
        run(client, HostSpec(settings=SETTINGS))
