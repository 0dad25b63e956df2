"""hvsim.world.platform: features, restarts, CIM facts, services, adapters and IPs, firewall, CredSSP."""

from __future__ import annotations

import time
import typing

import pytest

import hvsim.estate
import hvsim.runner
import hvsim.world.platform  # noqa: F401  (registers the cmdlets)
from hvsim.contract import CmdletError, CommandCall, ErrorInfo, Output, Principal, PSOutObject
from hvsim.engine.api import REGISTRY, Invocation
from hvsim.snapshot import to_data
from hvsim.world.model import World

POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation"


@pytest.fixture(name="lab3")
def fixture_lab3() -> World:
    return hvsim.estate.build_world(hvsim.runner.estate_spec("lab3"))


@pytest.fixture(name="workgroup")
def fixture_workgroup() -> World:
    return hvsim.estate.build_world(hvsim.runner.estate_spec("workgroup"))


class Result(typing.NamedTuple):
    output: list[typing.Any]
    errors: list[ErrorInfo]
    warnings: list[str]


def call(world: World, machine: str, name: str, params: dict[str, typing.Any] | None = None,
         parameter_set: str = "") -> Result:
    inv = Invocation(name=name, parameter_set=parameter_set, params=dict(params or {}),
                     principal=Principal(machine, "LAB\\Administrator", "kerberos", False), world=world)
    output = list(REGISTRY[name](inv) or [])
    return Result(output, inv._errors, inv._warnings)  # pylint: disable=protected-access


def props(result: Result, *names: str) -> list[tuple[typing.Any, ...]]:
    return [tuple(_plain(o.properties[n]) for n in names) for o in result.output]


def _plain(value: typing.Any) -> typing.Any:
    return getattr(value, "name", value) if not isinstance(value, (str, int, bool)) else value


# -- features ------------------------------------------------------------------------------------

def test_estate_features_and_defaults(lab3: World) -> None:
    hv1 = call(lab3, "hv1", "Get-WindowsFeature", {"Name": ["Hyper-V", "Multipath-IO", "RSAT-Clustering",
                                                             "Failover-Clustering", "No-Such"]})
    assert props(hv1, "Name", "InstallState") == [
        ("Hyper-V", "Installed"), ("Failover-Clustering", "Available"), ("Multipath-IO", "Available"),
        ("RSAT-Clustering", "Available")]
    assert hv1.output[0].type_names[0] == "Microsoft.Windows.ServerManager.Commands.Feature"
    assert lab3.machines["hv1"].platform.feature_installed("RSAT-Role-Tools")  # parents of listed features
    assert lab3.machines["fs1"].platform.feature_installed("File-Services")
    wildcard = call(lab3, "dc1", "Get-WindowsFeature", {"Name": ["RSAT-AD*"]})
    assert ("RSAT-AD-PowerShell", "Installed") in props(wildcard, "Name", "InstallState")


def test_install_without_restart(lab3: World) -> None:
    result = call(lab3, "hv1", "Install-WindowsFeature", {"Name": ["Multipath-IO"]})
    assert props(result, "Success", "RestartNeeded", "ExitCode") == [(True, "No", "Success")]
    assert lab3.machines["hv1"].platform.features["Multipath-IO"] == "Installed"
    again = call(lab3, "hv1", "Install-WindowsFeature", {"Name": ["Multipath-IO"]})
    assert props(again, "ExitCode") == [("NoChangeNeeded",)]


def test_hyperv_install_waits_for_restart(workgroup: World) -> None:
    wg2 = workgroup.machines["wg2"]
    platform = wg2.platform
    assert not platform.hyperv_installed() and not platform.module_available("Hyper-V")
    assert call(workgroup, "wg2", "Get-Service", {"Name": ["vmms"]}).errors[0].fqid.startswith(
        "NoServiceFoundForGivenName")
    boot = platform.last_boot_time()
    result = call(workgroup, "wg2", "Install-WindowsFeature", {"Name": ["Hyper-V"], "IncludeManagementTools": True})
    assert props(result, "RestartNeeded", "ExitCode") == [("Yes", "SuccessRestartRequired")]
    assert result.warnings == ["You must restart this server to finish the installation process."]
    assert platform.features["Hyper-V"] == "InstallPending"
    assert platform.features["Hyper-V-PowerShell"] == "Installed" and platform.module_available("Hyper-V")
    assert not platform.hyperv_installed() and "vmms" not in platform.services
    assert "VIRT-HVRHTTPL-In-TCP-NoScope" not in platform.firewall_rules

    platform.reboot_seconds = 0.3
    call(workgroup, "wg2", "Restart-Computer", {"Force": True})
    assert not platform.is_reachable()
    assert platform.features["Hyper-V"] == "Installed" and platform.hyperv_installed()
    assert platform.services["vmms"].status == "Running"
    assert wg2.hyperv.installed is True
    assert platform.firewall_rules["VIRT-HVRHTTPSL-In-TCP-NoScope"].enabled is False
    assert platform.last_boot_time() > boot
    time.sleep(0.35)
    assert platform.is_reachable()
    os_row = call(workgroup, "wg2", "Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}).output[0]
    assert os_row.properties["LastBootUpTime"] == platform.last_boot_time()


def test_install_errors_come_from_state(lab3: World) -> None:
    with pytest.raises(CmdletError) as unknown:
        call(lab3, "hv1", "Install-WindowsFeature", {"Name": ["Not-A-Feature"]})
    assert unknown.value.info.fqid.startswith("NameDoesNotExist,")
    lab3.machines["fs1"].platform.virtualization_capable = False
    with pytest.raises(CmdletError) as nested:
        call(lab3, "fs1", "Install-WindowsFeature", {"Name": ["Hyper-V"]})
    assert "virtualization capabilities" in nested.value.info.message
    assert lab3.machines["fs1"].platform.feature_state("Hyper-V") == "Available"


def test_uninstall_hyperv_needs_restart(lab3: World) -> None:
    platform = lab3.machines["hv2"].platform
    result = call(lab3, "hv2", "Uninstall-WindowsFeature", {"Name": ["Hyper-V"]})
    assert props(result, "RestartNeeded") == [("Yes",)]
    assert platform.features["Hyper-V"] == "UninstallPending" and platform.hyperv_installed() is False
    platform.reboot_seconds = 0
    platform.begin_restart()
    assert platform.features["Hyper-V"] == "Available" and "vmms" not in platform.services


def test_dism_on_a_client(lab3: World) -> None:
    mgmt1 = lab3.machines["mgmt1"].platform
    assert not mgmt1.module_available("ServerManager") and mgmt1.module_available("Hyper-V")
    state = call(lab3, "mgmt1", "Get-WindowsOptionalFeature", {"Online": True, "FeatureName": "Microsoft-Hyper-V"},
                 "Online")
    assert props(state, "FeatureName", "State") == [("Microsoft-Hyper-V", "Disabled")]
    with pytest.raises(CmdletError) as parent:
        call(lab3, "mgmt1", "Enable-WindowsOptionalFeature",
             {"Online": True, "FeatureName": ["Microsoft-Hyper-V-Hypervisor"], "NoRestart": True}, "Online")
    assert "parent features are disabled" in parent.value.info.message
    enabled = call(lab3, "mgmt1", "Enable-WindowsOptionalFeature",
                   {"Online": True, "FeatureName": ["Microsoft-Hyper-V-Hypervisor", "Microsoft-Hyper-V-Tools-All"],
                    "All": True, "NoRestart": True}, "Online")
    assert props(enabled, "RestartNeeded") == [(True,)]
    assert mgmt1.features["Microsoft-Hyper-V"] == "EnablePending"  # the parent, enabled by -All
    assert mgmt1.features["Microsoft-Hyper-V-Hypervisor"] == "EnablePending"
    assert mgmt1.features["Microsoft-Hyper-V-Tools-All"] == "Enabled"
    unknown = call(lab3, "mgmt1", "Get-WindowsOptionalFeature", {"Online": True, "FeatureName": "MultipathIo"},
                   "Online")
    assert unknown.output == [] and unknown.errors[0].message == "Feature name MultipathIo is unknown."
    with pytest.raises(CmdletError) as prompt:
        call(lab3, "mgmt1", "Enable-WindowsOptionalFeature", {"Online": True, "FeatureName": ["Containers"]},
             "Online")
    assert prompt.value.info.fqid.startswith("HostException")


def test_dism_names_on_a_server_are_server_features(lab3: World) -> None:
    result = call(lab3, "hv1", "Get-WindowsOptionalFeature", {"Online": True, "FeatureName": "MultipathIo"}, "Online")
    assert props(result, "State") == [("Disabled",)]
    call(lab3, "hv1", "Enable-WindowsOptionalFeature", {"Online": True, "FeatureName": ["MultipathIo"],
                                                         "NoRestart": True}, "Online")
    assert lab3.machines["hv1"].platform.features["Multipath-IO"] == "Installed"


def test_dism_objects_carry_their_full_property_sets(lab3: World) -> None:
    """Get-WindowsOptionalFeature writes a BasicFeatureObject without -FeatureName and an AdvancedFeatureObject with it;
    Enable-WindowsOptionalFeature an ImageObject: each with its type's whole property list (platform_types)."""
    basic_names = ["FeatureName", "State", "Path", "Online", "WinPath", "SysDrivePath", "RestartNeeded", "LogPath",
                   "ScratchDirectory", "LogLevel"]
    listed = call(lab3, "mgmt1", "Get-WindowsOptionalFeature", {"Online": True}, "Online").output
    assert listed and all(list(o.properties) == basic_names for o in listed)
    assert listed[0].type_names[0] == "Microsoft.Dism.Commands.BasicFeatureObject"
    one = call(lab3, "mgmt1", "Get-WindowsOptionalFeature", {"Online": True, "FeatureName": "Microsoft-Hyper-V"},
               "Online").output[0]
    assert one.type_names[0] == "Microsoft.Dism.Commands.AdvancedFeatureObject"
    assert list(one.properties) == ["FeatureName", "DisplayName", "Description", "RestartRequired", "State",
                                    "CustomProperties", *basic_names[2:]]
    assert (one.properties["RestartRequired"].name, one.properties["RestartRequired"].value) == ("Possible", 1)
    assert (one.properties["State"].name, one.properties["State"].value) == ("Disabled", 2)
    assert one.properties["Online"] is True and one.properties["Path"] is None
    image = call(lab3, "mgmt1", "Enable-WindowsOptionalFeature",
                 {"Online": True, "FeatureName": ["Microsoft-Hyper-V-Tools-All"], "All": True, "NoRestart": True},
                 "Online").output[0]
    assert image.type_names[0] == "Microsoft.Dism.Commands.ImageObject"
    assert list(image.properties) == basic_names[2:]
    assert (image.properties["LogLevel"].name, image.properties["LogLevel"].value) == ("WarningsInfo", 3)


def test_module_info_carries_its_full_property_set(lab3: World) -> None:
    """Get-Module -ListAvailable writes PSModuleInfo objects with the type's whole property list (platform_types)."""
    import hvsim.world.module_cmdlets  # noqa: F401  pylint: disable=import-outside-toplevel  (registers Get-Module)
    found = call(lab3, "hv1", "Get-Module", {"ListAvailable": True, "Name": "Hyper-V"}).output
    assert len(found) == 1
    module = found[0]
    assert module.type_names == ["System.Management.Automation.PSModuleInfo"]
    names = list(module.properties)
    assert len(names) == 48 and names[:3] == ["LogPipelineExecutionDetails", "Name", "Path"]
    assert names[-3:] == ["OnRemove", "ExportedFormatFiles", "ExportedTypeFiles"]
    assert {"ExportedWorkflows", "CompatiblePSEditions", "Tags"} <= set(names) and "ExperimentalFeatures" not in names
    assert (module.properties["Name"], module.properties["Version"]) == ("Hyper-V", "2.0.0.0")
    assert type(module.properties["Version"]).__name__ == "Version"  # sent as <Version>, not text
    assert module.properties["AccessMode"].name == "ReadWrite" and module.properties["ModuleType"].value == 2
    assert module.properties["FileList"] == [] and "Get-VM" in module.properties["ExportedCommands"]


# -- facts ---------------------------------------------------------------------------------------

def test_cim_facts(lab3: World) -> None:
    os_rows = {name: call(lab3, name, "Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}).output[0].properties
               for name in ("hv3", "dc1", "mgmt1")}
    assert (os_rows["hv3"]["Caption"], os_rows["hv3"]["BuildNumber"], os_rows["hv3"]["ProductType"]) == (
        "Microsoft Windows Server 2022 Datacenter", "20348", 3)
    assert os_rows["dc1"]["ProductType"] == 2 and os_rows["mgmt1"]["ProductType"] == 1
    assert os_rows["hv3"]["OperatingSystemSKU"] == 8
    computer = call(lab3, "hv3", "Get-CimInstance", {"ClassName": "win32_computersystem"}).output[0]
    assert computer.type_names[0] == "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem"
    assert {k: computer.properties[k] for k in ("Name", "DNSHostName", "Domain", "PartOfDomain",
                                                "NumberOfLogicalProcessors", "HypervisorPresent")} == {
        "Name": "HV3", "DNSHostName": "hv3", "Domain": "lab.test", "PartOfDomain": True,
        "NumberOfLogicalProcessors": 16, "HypervisorPresent": True}
    assert computer.properties["TotalPhysicalMemory"] == 128 * 1024**3
    workgroup = hvsim.estate.build_world(hvsim.runner.estate_spec("workgroup"))
    wg = call(workgroup, "wg1", "Get-CimInstance", {"ClassName": "Win32_ComputerSystem"}).output[0].properties
    assert (wg["Domain"], wg["PartOfDomain"]) == ("WORKGROUP", False)
    with pytest.raises(CmdletError) as invalid:
        call(lab3, "hv1", "Get-CimInstance", {"ClassName": "Win32_Nothing"})
    assert invalid.value.info.fqid.startswith("HRESULT 0x80041010")


def test_services(lab3: World) -> None:
    result = call(lab3, "hv1", "Get-Service", {"Name": ["vmms", "WinRM"]})
    assert props(result, "Name", "Status", "StartType") == [("vmms", "Running", "Automatic"),
                                                          ("WinRM", "Running", "Automatic")]
    assert result.output[0].type_names[0] == "System.ServiceProcess.ServiceController"
    assert call(lab3, "fs1", "Get-Service", {"Name": ["vm*"]}).output == []
    assert "NTDS" in [row[0] for row in props(call(lab3, "dc1", "Get-Service"), "Name")]


# -- network -------------------------------------------------------------------------------------

def test_net_adapters_and_management_address(lab3: World) -> None:
    adapters = call(lab3, "hv1", "Get-NetAdapter")
    names = [row[0] for row in props(adapters, "Name")]
    assert names[:3] == ["Ethernet", "Ethernet 2", "Ethernet 3"] and "vEthernet (vNet-LAN50)" in names
    physical = call(lab3, "hv1", "Get-NetAdapter", {"Physical": True})
    assert "vEthernet (vNet-LAN50)" not in [row[0] for row in props(physical, "Name")]
    one = call(lab3, "hv1", "Get-NetAdapter", {"Name": ["Ethernet"]}).output[0].properties
    assert (one["MacAddress"], one["InterfaceDescription"]) == (
        "00-15-5D-0A-00-11", "Intel(R) Ethernet Controller X710 for 10GbE SFP+")
    # the class's syntax block ends so (re-checked against MicrosoftDocs/win32 msft-netadapter.md); its second
    # PnPDeviceID is the CIM property PNPDeviceID, once
    assert list(one)[-9:] == ["MinorDriverVersion", "DriverMajorNdisVersion", "DriverMinorNdisVersion",
                              "DriverProvider", "ComponentID", "LowerLayerInterfaceIndices",
                              "HigherLayerInterfaceIndices", "AdminLocked", "PSComputerName"]
    assert [name.lower() for name in one].count("pnpdeviceid") == 1 and len(one) == 17 + 84
    missing = call(lab3, "hv1", "Get-NetAdapter", {"Name": ["Ethernet 9"]})
    assert missing.output == [] and missing.errors[0].fqid == "CmdletizationQuery_NotFound_Name,Get-NetAdapter"

    address = call(lab3, "hv1", "Get-NetIPAddress", {"IPAddress": ["127.0.0.11"]})
    assert props(address, "IPAddress", "InterfaceAlias", "PrefixLength") == [
        ("127.0.0.11", "vEthernet (vNet-LAN50)", 24)]
    assert call(lab3, "fs1", "Get-NetIPAddress", {"IPAddress": ["127.0.0.14"]}).output[0].properties[
        "InterfaceAlias"] == "Ethernet"
    on_alias = call(lab3, "hv1", "Get-NetIPAddress", {"InterfaceAlias": ["Ethernet 2"]})
    assert props(on_alias, "IPAddress") == [("10.0.50.11",)]
    absent = call(lab3, "hv1", "Get-NetIPAddress", {"IPAddress": ["10.9.9.9"]})
    assert absent.output == [] and absent.errors[0].fqid == "CmdletizationQuery_NotFound_IPAddress,Get-NetIPAddress"


def test_management_address_follows_the_switch(workgroup: World) -> None:
    wg2 = workgroup.machines["wg2"]
    assert call(workgroup, "wg2", "Get-NetIPAddress", {"IPAddress": ["127.0.0.22"]}).output[0].properties[
        "InterfaceAlias"] == "Ethernet"
    nic = wg2.platform.net_adapters["Ethernet"]
    nic.bound_switch = "External"
    wg2.platform.net_adapters["vEthernet (External)"] = hvsim.world.platform.NetAdapter(
        name="vEthernet (External)", description="Hyper-V Virtual Ethernet Adapter", mac="00-15-5D-0B-00-99",
        ipv4=nic.ipv4, interface_index=wg2.platform.next_interface_index(), virtual=True)
    nic.ipv4 = []
    assert call(workgroup, "wg2", "Get-NetIPAddress", {"IPAddress": ["127.0.0.22"]}).output[0].properties[
        "InterfaceAlias"] == "vEthernet (External)"


# -- firewall ------------------------------------------------------------------------------------

def test_firewall_rules(lab3: World) -> None:
    replica = ["VIRT-HVRHTTPL-In-TCP-NoScope", "VIRT-HVRHTTPSL-In-TCP-NoScope"]
    rules = call(lab3, "hv1", "Get-NetFirewallRule", {"Name": replica}, "ByName")
    assert props(rules, "Name", "Enabled") == [(replica[0], "False"), (replica[1], "False")]
    assert rules.output[0].properties["DisplayName"] == "Hyper-V Replica HTTP Listener (TCP-In)"
    call(lab3, "hv1", "Enable-NetFirewallRule", {"Name": [replica[0]]}, "ByName")
    assert lab3.machines["hv1"].platform.firewall_rules[replica[0]].enabled is True
    by_display = call(lab3, "hv1", "Set-NetFirewallRule", {"DisplayName": ["Hyper-V Replica HTTPS Listener (TCP-In)"],
                                                            "Enabled": "True", "PassThru": True}, "ByDisplayName")
    assert props(by_display, "Enabled") == [("True",)]
    enabled = call(lab3, "hv1", "Get-NetFirewallRule", {"Enabled": ["True"], "DisplayGroup": ["Hyper-V Replica*"]},
                   "ByQuery")
    assert sorted(row[0] for row in props(enabled, "Name")) == replica
    missing = call(lab3, "fs1", "Get-NetFirewallRule", {"Name": [replica[0]]}, "ByName")
    assert missing.output == [] and missing.errors[0].fqid.startswith("CmdletizationQuery_NotFound_Name")


# -- CredSSP -------------------------------------------------------------------------------------

def test_credssp_roles(workgroup: World) -> None:
    wg1 = workgroup.machines["wg1"].platform
    call(workgroup, "wg1", "Enable-WSManCredSSP", {"Role": "Server", "Force": True})
    assert wg1.wsman["localhost\\service\\auth\\credssp"] == "true" and wg1.auth_enabled("credssp")
    call(workgroup, "wg1", "Disable-WSManCredSSP", {"Role": "Server"})
    assert not wg1.auth_enabled("credssp")

    mgmt2 = workgroup.machines["mgmt2"].platform
    call(workgroup, "mgmt2", "Enable-WSManCredSSP", {"Role": "Client", "DelegateComputer": ["wg1"], "Force": True})
    call(workgroup, "mgmt2", "Enable-WSManCredSSP", {"Role": "Client", "DelegateComputer": ["wg1", "wg2"]})
    assert mgmt2.wsman["localhost\\client\\auth\\credssp"] == "true"
    assert mgmt2.registry.get_value(POLICY, "AllowFreshCredentials") == ("DWord", 1)
    assert mgmt2.registry.get_value(POLICY, "ConcatenateDefaults_AllowFresh") == ("DWord", 1)
    fresh = mgmt2.registry.get_key(POLICY + "\\AllowFreshCredentials")
    assert fresh is not None and fresh.values == {"1": ("String", "wsman/wg1"), "2": ("String", "wsman/wg2")}
    text = call(workgroup, "mgmt2", "Get-WSManCredSSP").output
    assert text[0].endswith("wsman/wg1, wsman/wg2")
    with pytest.raises(CmdletError):
        call(workgroup, "mgmt2", "Enable-WSManCredSSP", {"Role": "Client"})
    with pytest.raises(CmdletError) as bad_role:
        call(workgroup, "mgmt2", "Enable-WSManCredSSP", {"Role": "Both"})
    assert bad_role.value.info.fqid.startswith("ParameterArgumentValidationError")
    call(workgroup, "mgmt2", "Disable-WSManCredSSP", {"Role": "Client"})
    assert not mgmt2.auth_enabled("credssp", "client") and fresh.values == {}


# -- power, certificates, snapshots --------------------------------------------------------------

def test_power_and_certificates(lab3: World) -> None:
    platform = lab3.machines["hv2"].platform
    boots = platform.boot_count
    platform.set_powered(False)
    assert not platform.is_reachable()
    platform.set_powered(True)
    assert platform.is_reachable() and platform.boot_count == boots + 1
    assert platform.certificate_mapping(b"not mapped") is None
    platform.certificate_mappings["0" * 40] = "nobody"
    import hashlib  # pylint: disable=import-outside-toplevel
    der = b"a certificate"
    platform.certificate_mappings[hashlib.sha1(der).hexdigest().upper()] = "ansible"
    assert platform.certificate_mapping(der) == "ansible"


def test_state_is_plain_deterministic_data(lab3: World) -> None:
    again = hvsim.estate.build_world(hvsim.runner.estate_spec("lab3"))
    for name in lab3.machines:
        assert to_data(lab3.machines[name].platform) == to_data(again.machines[name].platform)
    lab3.machines["hv1"].platform.begin_restart()
    data = to_data(lab3.machines["hv1"].platform)
    assert "_down_until" not in data and "_machine" not in data and data["boot_count"] == 1


def test_through_the_engine(lab3: World) -> None:
    from hvsim.engine.executor import Engine  # pylint: disable=import-outside-toplevel

    principal = Principal("hv1", "LAB\\Administrator", "kerberos", False)
    statements = [
        [CommandCall("Get-WindowsFeature", [("Name", ["Hyper-V", "Multipath-IO"])]),
         CommandCall("Select-Object", [("Property", ["Name", "InstallState"])])],
        [CommandCall("Get-Service", [("Name", "vmms")]),
         CommandCall("Select-Object", [("Property", ["Name", "Status"])])],
        [CommandCall("Set-NetFirewallRule", [("Name", "VIRT-HVRHTTPL-In-TCP-NoScope"), ("Enabled", "True")])],
        [CommandCall("Install-WindowsFeature", [("Name", ["Multipath-IO"])]),
         CommandCall("Select-Object", [("Property", ["Success", "RestartNeeded", "ExitCode"])])],
    ]
    events = list(Engine().run(principal, lab3, statements, []))
    rows = [e.value.properties for e in events if isinstance(e, Output) and isinstance(e.value, PSOutObject)]
    assert [(r["Name"], r["InstallState"].name) for r in rows[:2]] == [("Hyper-V", "Installed"),
                                                                      ("Multipath-IO", "Available")]
    assert rows[2]["Status"].name == "Running" and rows[3]["RestartNeeded"].name == "No"
    platform = lab3.machines["hv1"].platform
    assert platform.firewall_rules["VIRT-HVRHTTPL-In-TCP-NoScope"].enabled
    assert platform.features["Multipath-IO"] == "Installed"
    # a client OS has no Server Manager module: the command is not there at all
    failed = list(Engine().run(Principal("mgmt1", "LAB\\Administrator", "kerberos", False), lab3,
                               [[CommandCall("Get-WindowsFeature")]], []))
    assert failed[-1].info.fqid == "CommandNotFoundException"  # type: ignore[union-attr]
