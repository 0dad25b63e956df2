"""Planning of host features, Hyper-V settings, the CredSSP server role and a management client."""

from __future__ import annotations

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils import _features as features
from ansible_collections.winvirt.hyperv.plugins.module_utils import _host_settings as settings
from ansible_collections.winvirt.hyperv.plugins.module_utils import _management_client as mgmt
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError


# -- features ------------------------------------------------------------------------------------

def test_method_follows_the_os_unless_forced() -> None:
    assert features.choose_method("auto", is_client_os=True) == "dism"
    assert features.choose_method("auto", is_client_os=False) == "server_manager"
    assert features.choose_method("dism", is_client_os=False) == "dism"


def test_server_manager_installs_only_missing_features_with_management_tools() -> None:
    names = ["Hyper-V", "RSAT-Hyper-V-Tools", "Multipath-IO"]
    rows = [[{"Name": "Hyper-V", "InstallState": "Available"}, {"Name": "RSAT-Hyper-V-Tools", "InstallState": "Installed"},
             {"Name": "Hyper-V-Tools", "InstallState": "Installed"},
             {"Name": "Hyper-V-PowerShell", "InstallState": "Installed"},
             {"Name": "Multipath-IO", "InstallState": "Available"}]]
    plan = features.plan_features(features.parse_states(names, "server_manager", rows), "server_manager")
    assert plan.to_install == ["Hyper-V", "Multipath-IO"]
    (cmd,) = plan.commands
    assert cmd.cmdlet == "Install-WindowsFeature"
    assert cmd.parameters == {"Name": ["Hyper-V", "Multipath-IO"], "IncludeManagementTools": True}


def test_tools_feature_without_its_powershell_module_is_partial_and_installed_with_all_sub_features() -> None:
    names = ["RSAT-Hyper-V-Tools"]
    (read,) = features.read_commands(names, "server_manager")
    assert read.parameters["Name"] == ["RSAT-Hyper-V-Tools", "Hyper-V-Tools", "Hyper-V-PowerShell"]
    rows = [[{"Name": "RSAT-Hyper-V-Tools", "InstallState": "Installed"}, {"Name": "Hyper-V-Tools", "InstallState": "Installed"},
             {"Name": "Hyper-V-PowerShell", "InstallState": "Available"}]]
    states = features.parse_states(names, "server_manager", rows)
    assert states[0].state == "partial"
    plan = features.plan_features(states, "server_manager")
    assert plan.commands[0].parameters == {"Name": ["RSAT-Hyper-V-Tools"], "IncludeAllSubFeature": True}
    assert plan.modules == ["Hyper-V"]
    dism = features.plan_features(features.parse_states(names, "dism", [[{"State": "Enabled"}], [{"State": "Enabled"}], []]),
                                  "dism")
    assert dism.commands == [], "a part DISM does not show is unknown, not missing"
    dism = features.plan_features(features.parse_states(
        names, "dism", [[{"State": "Enabled"}], [{"State": "Enabled"}], [{"State": "Disabled"}]]), "dism")
    assert dism.commands[0].parameters["FeatureName"] == [
        "Microsoft-Hyper-V-Tools-All", "Microsoft-Hyper-V-Management-Clients", "Microsoft-Hyper-V-Management-PowerShell"]


def test_dism_refusal_is_worded_by_the_real_os_and_names_every_feature() -> None:
    server = features.dism_refusal(["RSAT-Clustering", "Hyper-V"], "dism", "Microsoft Windows Server 2025 Datacenter",
                                   is_client_os=False)
    assert server is not None and "on Microsoft Windows Server 2025 Datacenter" in server
    assert "client OS" not in server and "feature_method: server_manager" in server
    client = features.dism_refusal(["RSAT-Clustering"], "dism", "Microsoft Windows 11 Pro", is_client_os=True)
    assert client is not None and "Windows 11 Pro" in client and "Add-WindowsCapability" in client
    assert features.dism_refusal(["RSAT-Clustering"], "server_manager", "x", is_client_os=False) is None


def test_dism_uses_optional_feature_names_all_and_no_restart() -> None:
    names = ["Hyper-V", "RSAT-Hyper-V-Tools"]
    reads = features.read_commands(names, "dism")
    assert [c.parameters["FeatureName"] for c in reads] == [
        "Microsoft-Hyper-V", "Microsoft-Hyper-V-Tools-All", "Microsoft-Hyper-V-Management-Clients",
        "Microsoft-Hyper-V-Management-PowerShell"]
    plan = features.plan_features(features.parse_states(
        names, "dism", [[{"State": "Disabled"}], [{"State": "Enabled"}], [{"State": "Enabled"}], [{"State": "Enabled"}]]),
        "dism")
    assert plan.commands[0].cmdlet == "Enable-WindowsOptionalFeature"
    assert plan.commands[0].parameters == {"Online": True, "FeatureName": ["Microsoft-Hyper-V"], "All": True,
                                           "NoRestart": True}


def test_pending_install_is_present_but_asks_for_a_reboot() -> None:
    states = features.parse_states(["Hyper-V"], "server_manager", [[{"Name": "Hyper-V", "InstallState": "InstallPending"}]])
    plan = features.plan_features(states, "server_manager")
    assert plan.commands == [] and plan.pending_reboot


def test_unknown_feature_and_dism_only_gaps_are_errors() -> None:
    states = features.parse_states(["Multipath-IO"], "dism", [[]])
    assert "does not offer" in features.plan_features(states, "dism").errors[0]
    with pytest.raises(ValueError, match="RSAT-Clustering cannot be installed with DISM"):
        features.read_commands(["RSAT-Clustering"], "dism")


def test_a_missing_hyperv_cmdlet_gets_the_module_hint() -> None:
    err = HyperVError("hv1", "The term 'Get-VM' is not recognized as the name of a cmdlet, function, script file, or "
                             "operable program.", command="Get-VM")
    assert err.category == "Hyper-V module missing" and "RSAT-Hyper-V-Tools" in (err.hint or "")
    other = HyperVError("hv1", "The term 'Get-ADComputer' is not recognized as the name of a cmdlet")
    assert other.category != "Hyper-V module missing"


@pytest.mark.parametrize(
    ("rows", "needed"),
    [([{"RestartNeeded": "Yes"}], True), ([{"RestartNeeded": "No"}], False), ([{"RestartNeeded": True}], True), ([], False)],
)
def test_restart_needed(rows, needed) -> None:
    assert features.restart_needed(rows) is needed


# -- host settings --------------------------------------------------------------------------------

HOST_ROWS = [[{"VirtualMachinePath": "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V", "VirtualHardDiskPath": "C:\\VHD\\",
               "EnableEnhancedSessionMode": False, "NumaSpanningEnabled": True, "MaximumStorageMigrations": 2,
               "MaximumVirtualMachineMigrations": 2, "VirtualMachineMigrationAuthenticationType": "CredSSP",
               "VirtualMachineMigrationPerformanceOption": "TCPIP", "UseAnyNetworkForMigration": False,
               "VirtualMachineMigrationEnabled": False, "LogicalProcessorCount": 8}],
             [{"Subnet": "10.0.1.0/24", "Priority": 1}, {"Subnet": "10.0.9.0/24", "Priority": 2}]]


def test_settings_translate_enums_and_compare_paths_loosely() -> None:
    state = settings.parse_state(HOST_ROWS)
    assert state.values["live_migration.authentication"] == "credssp"
    assert state.values["live_migration.performance"] == "tcpip"
    spec = settings.HostSettingsSpec({"virtual_hard_disk_path": "c:\\vhd", "live_migration.authentication": "credssp"})
    assert settings.plan_settings(spec, state).commands == []


def test_a_forward_slash_is_a_separator_when_paths_are_compared() -> None:
    """Windows takes / as \\: 'C:\\VHD/' is the host's C:\\VHD (the attack suite's 'Y1a/' reported changed on every run)."""
    state = settings.parse_state(HOST_ROWS)
    for wanted in ("c:\\vhd/", "C:/VHD", "c:\\vhd\\/"):
        assert settings.plan_settings(settings.HostSettingsSpec({"virtual_hard_disk_path": wanted}), state).commands == []


def test_settings_plan_one_set_vmhost_plus_migration_toggles_and_networks() -> None:
    state = settings.parse_state(HOST_ROWS)
    spec = settings.HostSettingsSpec(
        {"enhanced_session_mode": True, "live_migration.authentication": "kerberos", "live_migration.performance": "smb",
         "live_migration.max_migrations": 4},
        live_migration=True,
        migration_networks=("10.0.1.7/24", "10.0.2.0/24"),
    )
    plan = settings.plan_settings(spec, state)
    assert [(c.cmdlet, c.parameters) for c in plan.commands] == [
        ("Enable-VMMigration", {}),
        ("Set-VMHost", {"EnableEnhancedSessionMode": True, "MaximumVirtualMachineMigrations": 4,
                        "VirtualMachineMigrationAuthenticationType": "Kerberos",
                        "VirtualMachineMigrationPerformanceOption": "SMB"}),
        ("Remove-VMMigrationNetwork", {"Subnet": "10.0.9.0/24"}),
        ("Add-VMMigrationNetwork", {"Subnet": "10.0.2.0/24", "Priority": 2}),
    ]
    assert plan.after["live_migration"] == {"enabled": True, "networks": ["10.0.1.0/24", "10.0.2.0/24"],
                                            "max_migrations": 4, "authentication": "kerberos", "performance": "smb",
                                            "use_any_network": False}
    assert plan.after["enhanced_session_mode"] is True and "migration_authentication" not in plan.after


def test_settings_results_use_hyperv_hosts_option_names() -> None:
    result = settings.parse_state(HOST_ROWS).to_result()
    assert set(result) == {"virtual_machine_path", "virtual_hard_disk_path", "enhanced_session_mode", "numa_spanning",
                           "max_storage_migrations", "live_migration"}
    assert set(result["live_migration"]) == {"enabled", "authentication", "performance", "max_migrations",
                                             "use_any_network", "networks"}


def test_credssp_server_role() -> None:
    assert settings.plan_credssp_server(True, settings.credssp_enabled([{"Value": "false"}]))[0].parameters == {
        "Role": "Server", "Force": True}
    assert settings.plan_credssp_server(True, settings.credssp_enabled([{"Value": "true"}])) == []
    assert settings.plan_credssp_server(None, False) == []
    assert settings.plan_credssp_server(False, True)[0].cmdlet == "Disable-WSManCredSSP"


# -- management client ----------------------------------------------------------------------------

def client_rows(trusted="", credssp="false", policy=None, fresh=None, fresh_ntlm=None):
    return [[{"Value": trusted}], [{"Value": credssp}], [policy] if policy is not None else [],
            [fresh] if fresh is not None else [], [fresh_ntlm] if fresh_ntlm is not None else []]


def test_empty_client_gets_everything_in_order() -> None:
    spec = mgmt.ClientSpec(("hv1.wg.test", "hv2.wg.test"))
    plan = mgmt.plan_client(spec, mgmt.parse_state(client_rows()))
    assert [c.cmdlet for c in plan.commands] == ["Set-Item", "Enable-WSManCredSSP", "Set-ItemProperty",
                                                 "Set-ItemProperty", "New-Item", "New-ItemProperty", "New-ItemProperty"]
    assert plan.commands[0].parameters == {"Path": mgmt.TRUSTED_HOSTS, "Value": "hv1.wg.test,hv2.wg.test", "Force": True}
    assert plan.commands[1].parameters["DelegateComputer"] == ["hv1.wg.test", "hv2.wg.test"]
    assert plan.commands[2].parameters == {"Path": mgmt.POLICY_KEY, "Name": "AllowFreshCredentialsWhenNTLMOnly",
                                           "Value": 1, "Type": "DWord"}
    assert plan.commands[4].parameters == {"Path": mgmt.POLICY_KEY, "Name": "AllowFreshCredentialsWhenNTLMOnly"}
    assert [c.parameters["Value"] for c in plan.commands[5:]] == ["wsman/hv1.wg.test", "wsman/hv2.wg.test"]
    assert plan.after["ntlm_only_delegate_computers"] == ["wsman/hv1.wg.test", "wsman/hv2.wg.test"]


def test_client_adds_only_what_is_missing_and_keeps_the_rest() -> None:
    state = mgmt.parse_state(client_rows(
        trusted="old.example,hv1.wg.test", credssp="true",
        policy={"AllowFreshCredentialsWhenNTLMOnly": 1, "ConcatenateDefaults_AllowFreshNTLMOnly": 1},
        fresh={"1": "wsman/hv1.wg.test", "PSPath": "x"}, fresh_ntlm={"1": "wsman/old.example", "2": "wsman/hv1.wg.test"}))
    plan = mgmt.plan_client(mgmt.ClientSpec(("hv1.wg.test", "hv2.wg.test")), state)
    assert plan.commands[0].parameters["Value"] == "old.example,hv1.wg.test,hv2.wg.test"
    assert plan.commands[1].parameters["DelegateComputer"] == ["hv2.wg.test"]
    assert [(c.cmdlet, c.parameters.get("Name")) for c in plan.commands[2:]] == [("New-ItemProperty", "3")]


def test_client_already_prepared_plans_nothing() -> None:
    state = mgmt.parse_state(client_rows(
        trusted="*", credssp="true",
        policy={"AllowFreshCredentialsWhenNTLMOnly": 1, "ConcatenateDefaults_AllowFreshNTLMOnly": 1},
        fresh={"1": "wsman/HV1.wg.test"}, fresh_ntlm={"1": "wsman/hv1.wg.test"}))
    assert mgmt.plan_client(mgmt.ClientSpec(("hv1.wg.test",)), state).commands == []


def test_new_policy_key_only_when_credssp_did_not_create_it() -> None:
    spec = mgmt.ClientSpec(("hv1",), trusted_hosts=False, credssp_delegation=False)
    plan = mgmt.plan_client(spec, mgmt.parse_state(client_rows()))
    assert plan.commands[0].parameters == {"Path": mgmt.POLICY_PARENT, "Name": "CredentialsDelegation"}


def test_nested_host_failure_gets_the_dism_hint() -> None:
    error = HyperVError("hv4", "Hyper-V cannot be installed: The processor does not have required virtualization capabilities.")
    assert error.category == "no virtualization extensions" and "feature_method: dism" in error.hint


@pytest.mark.parametrize(("hosts", "delegation", "trusted", "expected"), [
    (("*",), True, True, "'*' delegates CredSSP credentials to and trusts every computer"),
    (("hv1.lab.test", "*"), True, False, "'*' delegates CredSSP credentials to every computer"),
    (("*.*",), False, True, "'*.*' trusts every computer"),
    (("*",), False, False, None),
    (("*.lab.test", "hv1.lab.test"), True, True, None),
])
def test_a_client_that_would_trust_every_computer_is_warned(
        hosts: tuple[str, ...], delegation: bool, trusted: bool, expected: str | None) -> None:
    found = mgmt.risk_warnings(mgmt.ClientSpec(hosts, trusted_hosts=trusted, credssp_delegation=delegation))
    if expected is None:
        assert found == []
    else:
        [warning] = found
        assert expected in warning and "'*.lab.test'" in warning
