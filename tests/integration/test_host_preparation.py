"""Host preparation against hvsim: management tools with their PowerShell module, a pending install that drives
the restart, DISM refusals worded by the real OS."""

from __future__ import annotations

import typing as t

from harness import run_playbook

HOST = "winvirt.hyperv.hyperv_host"


def task(title: str, module: str = HOST, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, module: args, "register": "out"}


def test_tools_bring_the_hyperv_module_and_its_absence_has_a_hint(workgroup) -> None:
    platform = workgroup.world.machine("wg2").platform
    missing = run_playbook(workgroup, [task("vms", "winvirt.hyperv.hyperv_vm_info")], host="wg2")
    error = missing.result("vms")["error"]
    assert missing.rc != 0 and error["hint"], error
    assert "RSAT-Hyper-V-Tools" in error["hint"]

    run = run_playbook(workgroup, [task("tools", features=["RSAT-Hyper-V-Tools"])], host="wg2")
    assert run.rc == 0, run.stdout
    assert run.result("tools")["features"] == {"RSAT-Hyper-V-Tools": "installed"}
    assert platform.features.get("Hyper-V-PowerShell") == "Installed", platform.features
    assert platform.module_available("Hyper-V")
    installs = [c for c in workgroup.call_log() if c["command"] == "Install-WindowsFeature"]
    assert installs[-1]["parameters"].get("IncludeAllSubFeature") is True
    assert any(c["command"] == "Get-Module" for c in workgroup.call_log()), "the module is looked for after install"
    again = run_playbook(workgroup, [task("tools", features=["RSAT-Hyper-V-Tools"])], host="wg2")
    assert again.result("tools")["changed"] is False


def test_a_tools_feature_without_its_module_is_completed(workgroup) -> None:
    platform = workgroup.world.machine("wg2").platform
    platform.features["RSAT-Hyper-V-Tools"] = "Installed"  # installed by hand without -IncludeAllSubFeature
    platform.sync()
    assert not platform.module_available("Hyper-V")
    run = run_playbook(workgroup, [task("tools", features=["RSAT-Hyper-V-Tools"])], host="wg2", diff=True)
    result = run.result("tools")
    assert run.rc == 0 and result["changed"] is True, run.stdout
    assert result["diff"]["before"]["features"] == {"RSAT-Hyper-V-Tools": "partial"}
    assert platform.module_available("Hyper-V")


def test_a_pending_dism_install_drives_the_reboot(workgroup) -> None:
    platform = workgroup.world.machine("wg2").platform
    first = run_playbook(workgroup, [task("role", features=["Hyper-V"], feature_method="dism")], host="wg2")
    assert first.rc == 0 and first.result("role")["reboot_required"] is True, first.stdout
    assert platform.features["Hyper-V"] == "InstallPending"
    boots = platform.boot_count

    later = run_playbook(workgroup, [task("tools", features=["RSAT-Hyper-V-Tools"], reboot=True, reboot_timeout=120)],
                         host="wg2")
    result = later.result("tools")
    assert later.rc == 0, later.stdout
    assert result["rebooted"] is True and result["reboot_required"] is False, result
    assert platform.boot_count == boots + 1 and platform.features["Hyper-V"] == "Installed"

    settled = run_playbook(workgroup, [task("tools", features=["RSAT-Hyper-V-Tools"], reboot=True)], host="wg2")
    assert settled.result("tools")["changed"] is False and platform.boot_count == boots + 1


def test_dism_refusal_names_the_real_os_and_every_feature(workgroup) -> None:
    before = workgroup.snapshot()
    refused = run_playbook(workgroup, [task("dism", features=["RSAT-Clustering", "Hyper-V"], feature_method="dism")],
                           host="wg2")
    result = refused.result("dism")
    assert refused.rc != 0 and result["changed"] is False
    assert "Windows Server 2025" in result["msg"] and "client OS" not in result["msg"], result["msg"]
    assert "RSAT-Clustering" in result["msg"] and "feature_method: server_manager" in result["msg"]
    assert workgroup.snapshot() == before
