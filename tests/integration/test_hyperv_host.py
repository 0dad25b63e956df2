"""hyperv_host and hyperv_host_info against hvsim: settings, features and reboot, CredSSP, management client."""

from __future__ import annotations

import typing as t

import pytest
from harness import run_playbook, run_playbook_file

HOST = "winvirt.hyperv.hyperv_host"
INFO = "winvirt.hyperv.hyperv_host_info"


def task(title: str, module: str = HOST, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, module: args, "register": "out"}


SETTINGS = {
    "virtual_machine_path": "D:\\Hyper-V",
    "enhanced_session_mode": True,
    "numa_spanning": False,
    "live_migration": {"enabled": True, "authentication": "kerberos", "performance": "compression",
                       "max_migrations": 3, "use_any_network": False, "networks": ["10.0.50.0/24"]},
}


def test_host_settings(lab3) -> None:
    info = run_playbook(lab3, [task("info", INFO)])
    assert info.rc == 0, info.stdout
    facts = info.result("info")
    assert facts["hyperv_running"] is True and facts["round_trips"] == 2
    assert facts["facts"]["os_caption"] == lab3.world.machine("hv1").os_caption

    before = lab3.snapshot()
    checked = run_playbook(lab3, [task("settings", **SETTINGS)], check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert checked.result("settings")["changed"] is True
    assert checked.result("settings")["diff"]["after"]["settings"]["live_migration"]["authentication"] == "kerberos"
    assert lab3.snapshot() == before, "check mode changed the world"

    applied = run_playbook(lab3, [task("settings", **SETTINGS)])
    result = applied.result("settings")
    assert applied.rc == 0, applied.stdout
    assert result["changed"] is True and result["round_trips"] == 3
    assert result["settings"]["live_migration"]["networks"] == ["10.0.50.0/24"]
    assert result["settings"]["live_migration"]["enabled"] is True

    reread = run_playbook(lab3, [task("info", INFO)]).result("info")["settings"]
    assert reread["virtual_machine_path"].rstrip("\\") == "D:\\Hyper-V"
    assert reread["live_migration"]["performance"] == "compression" and reread["live_migration"]["max_migrations"] == 3
    # hyperv_host_info answers in hyperv_host's option names: its settings can be fed back to hyperv_host
    assert set(reread["live_migration"]) == set(SETTINGS["live_migration"])

    again = run_playbook(lab3, [task("settings", **SETTINGS)])
    assert again.result("settings")["changed"] is False and again.result("settings")["round_trips"] == 2


def test_bad_settings_input(lab3) -> None:
    bad = run_playbook(lab3, [task("bad", live_migration={"max_migrations": 0})])
    assert bad.rc != 0 and "max_migrations" in bad.result("bad")["msg"]
    subnet = run_playbook(lab3, [task("subnet", live_migration={"networks": ["not-a-subnet"]})])
    assert subnet.rc != 0


def test_feature_install_then_reboot(lab3) -> None:
    states = run_playbook(lab3, [task("info", INFO)]).result("info")["features"]
    available = [name for name in ("Multipath-IO", "RSAT-Clustering", "RSAT-Hyper-V-Tools") if states.get(name) == "available"]
    if not available:
        pytest.skip(f"hv1 of the lab3 estate has every optional feature already: {states}")
    feature = available[0]
    before = lab3.snapshot()
    checked = run_playbook(lab3, [task("features", features=[feature])], check=True)
    assert checked.result("features")["changed"] is True and lab3.snapshot() == before

    first = run_playbook(lab3, [task("features", features=[feature])])
    result = first.result("features")
    assert first.rc == 0, first.stdout
    assert result["changed"] is True and result["rebooted"] is False
    assert result["features"][feature] == ("install_pending" if result["reboot_required"] else "installed")
    installs = [c for c in lab3.call_log() if c["command"] == "Install-WindowsFeature" and c["machine"] == "hv1"]
    assert installs and feature in installs[-1]["parameters"]["Name"]

    second = run_playbook(lab3, [task("features", features=[feature], reboot=True, reboot_timeout=120)])
    result = second.result("features")
    assert second.rc == 0, second.stdout
    assert result["features"][feature] == "installed" and result["reboot_required"] is False
    assert result["rebooted"] is (first.result("features")["reboot_required"] is True)
    third = run_playbook(lab3, [task("features", features=[feature], reboot=True)])
    assert third.result("features")["changed"] is False


def test_workgroup_host_and_management_client(workgroup) -> None:
    info = [task("info", INFO)]
    refused = run_playbook(workgroup, info, host="wg1", auth="credssp")
    assert refused.rc != 0 and refused.result("info")["error"]["category"] == "authentication failed", \
        "WinRM offers CredSSP only once the host's CredSSP server role is on"
    host = run_playbook(workgroup, [task("credssp", credssp_server=True)], host="wg1")
    assert host.rc == 0, host.stdout
    assert run_playbook(workgroup, info, host="wg1", auth="credssp").rc == 0
    again = run_playbook(workgroup, [task("credssp", credssp_server=True)], host="wg1")
    assert again.result("credssp")["changed"] is False and again.result("credssp")["credssp_server"] is True

    client = [task("client", management_client={"hosts": ["wg1", "wg2"]})]
    before = workgroup.snapshot()
    checked = run_playbook(workgroup, client, host="mgmt2", check=True)
    assert checked.result("client")["changed"] is True
    assert workgroup.snapshot() == before

    applied = run_playbook(workgroup, client, host="mgmt2", diff=True)
    result = applied.result("client")
    assert applied.rc == 0, applied.stdout
    assert result["changed"] is True and result["round_trips"] == 2
    state = result["management_client"]
    assert {"wg1", "wg2"} <= set(state["trusted_hosts"])
    assert state["ntlm_only_delegate_computers"] == ["wsman/wg1", "wsman/wg2"]
    info = run_playbook(workgroup, [task("info", INFO)], host="mgmt2").result("info")["management_client"]
    assert info["credssp_client"] is True
    assert {"wsman/wg1", "wsman/wg2"} <= set(info["credssp_delegate_computers"])
    assert info["ntlm_only_policy_enabled"] is True
    assert {"wsman/wg1", "wsman/wg2"} <= set(info["ntlm_only_delegate_computers"])
    assert run_playbook(workgroup, client, host="mgmt2").result("client")["changed"] is False


def test_host_prepare_playbook_workgroup(workgroup) -> None:
    before = workgroup.snapshot()
    checked = run_playbook_file(workgroup, "host_prepare.yml", inventory="workgroup", check=True)
    assert checked.rc == 0, checked.stdout + checked.stderr
    assert workgroup.snapshot() == before, "check mode changed the world"
    run = run_playbook_file(workgroup, "host_prepare.yml", inventory="workgroup")
    assert run.rc == 0, run.stdout + run.stderr
    again = run_playbook_file(workgroup, "host_prepare.yml", inventory="workgroup")
    assert again.rc == 0 and all(not r["result"].get("changed") for r in again.results), again.stdout
    info = run_playbook(workgroup, [task("info", INFO)], host="wg1").result("info")
    assert info["credssp_server"] is True


def test_host_prepare_playbook_lab3(lab3) -> None:
    run = run_playbook_file(lab3, "host_prepare.yml", inventory="lab3")
    assert run.rc == 0, run.stdout + run.stderr
    again = run_playbook_file(lab3, "host_prepare.yml", inventory="lab3")
    assert again.rc == 0 and all(not r["result"].get("changed") for r in again.results), again.stdout
