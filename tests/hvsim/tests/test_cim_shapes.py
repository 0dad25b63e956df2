"""Non-Hyper-V output objects carry their class's full property set, in the class's order, as pypsrp receives them.

Sources (tests/hvsim/DESIGN.md, "Output objects"): Microsoft Learn's WMI class pages (MSFT_SmbShare ClassVersion 30,
MSFT_SmbShareAccessControlEntry ClassVersion 7); every CIM cmdlet adds PSComputerName.
"""

from __future__ import annotations

import typing
import xml.etree.ElementTree as ET

import pytest
from psrpcore.types import serialize
from pypsrp.serializer import Serializer

import hvsim.estate
import hvsim.runner
from hvsim.contract import Principal
from hvsim.engine.api import REGISTRY, Invocation
from hvsim.wire.values import to_ps
from hvsim.world.model import World

SMB_SHARE = ("Name", "ScopeName", "Scoped", "ShareType", "Special", "Temporary", "ShadowCopy", "Path", "Volume",
             "Description", "ConcurrentUserLimit", "CurrentUsers", "SecurityDescriptor", "EncryptData",
             "FolderEnumerationMode", "CachingMode", "ContinuouslyAvailable", "CATimeout", "ShareState",
             "SmbInstance", "AvailabilityType", "PSComputerName")
SMB_ACE = ("Name", "ScopeName", "AccountName", "AccessControlType", "AccessRight", "PSComputerName")


@pytest.fixture(name="lab3", scope="module")
def fixture_lab3() -> World:
    return hvsim.estate.build_world(hvsim.runner.estate_spec("lab3"))


def received(world: World, machine: str, name: str, params: dict[str, typing.Any]) -> list[typing.Any]:
    """The cmdlet's output objects as pypsrp deserializes what hvsim sends."""
    inv = Invocation(name=name, parameter_set="", params=params,
                     principal=Principal(machine, "LAB\\Administrator", "kerberos", False), world=world)
    return [Serializer().deserialize(ET.tostring(serialize(to_ps(o), None)).decode()) for o in REGISTRY[name](inv)]


def test_get_smb_share_sends_every_msft_smbshare_property(lab3: World) -> None:
    share = received(lab3, "fs1", "Get-SmbShare", {"Name": ["VM"]})[0]
    props = share.adapted_properties
    assert tuple(props) == SMB_SHARE
    assert (props["Name"], props["Path"], props["ScopeName"]) == ("VM", "E:\\Shares\\VM", "*")
    assert (props["ShareType"], props["ShareState"], props["SmbInstance"], props["AvailabilityType"]) == (
        "FileSystemDirectory", "Online", "Default", "NonClustered")
    assert (props["CachingMode"], props["FolderEnumerationMode"]) == ("Manual", "Unrestricted")
    assert (props["Scoped"], props["ShadowCopy"], props["CATimeout"], props["Volume"]) == (False, False, 0, None)


def test_get_smb_share_access_sends_every_ace_property(lab3: World) -> None:
    rows = received(lab3, "fs1", "Get-SmbShareAccess", {"Name": ["VM"]})
    assert rows and all(tuple(row.adapted_properties) == SMB_ACE for row in rows)
    first = rows[0].adapted_properties
    assert (first["Name"], first["AccountName"], first["AccessControlType"], first["AccessRight"]) == (
        "VM", "LAB\\Domain Admins", "Allow", "Full")


FIREWALL_RULE_CLASS = (
    "Profiles", "LooseSourceMapping", "LocalOnlyMapping", "RuleGroup", "DisplayName", "DisplayGroup",
    "EdgeTraversalPolicy", "Platforms", "Direction", "Action", "PrimaryStatus", "StatusCode", "Status",
    "EnforcementStatus", "PolicyStoreSourceType", "PolicyStoreSource", "Owner", "SystemCreationClassName",
    "SystemName", "CreationClassName", "PolicyRuleName", "ConditionListType", "RuleUsage", "Priority", "Mandatory",
    "SequencedActions", "ExecutionStrategy", "PolicyDecisionStrategy", "PolicyRoles", "Enabled", "CommonName",
    "PolicyKeywords", "InstanceID", "Caption", "Description", "ElementName")
PORT_FILTER_CLASS = (
    "Protocol", "RemotePort", "LocalPort", "IcmpType", "DynamicTransport", "Name", "SystemCreationClassName",
    "SystemName", "CreationClassName", "IsNegated", "InstallDate", "OperationalStatus", "StatusDescriptions",
    "Status", "HealthState", "CommunicationStatus", "DetailedStatus", "OperatingStatus", "PrimaryStatus",
    "InstanceID", "Caption", "Description", "ElementName")
REPLICA_HTTP = "VIRT-HVRHTTPL-In-TCP-NoScope"


def _class_part(names: tuple[str, ...], first: str) -> tuple[str, ...]:
    """The class's properties: from ``first`` up to PSComputerName, which comes last."""
    assert names[-1] == "PSComputerName"
    return names[names.index(first):-1]


def test_get_net_firewall_rule_sends_every_msft_netfirewallrule_property(lab3: World) -> None:
    rules = received(lab3, "hv1", "Get-NetFirewallRule", {})
    assert rules and all(_class_part(tuple(r.adapted_properties), "Profiles") == FIREWALL_RULE_CLASS for r in rules)
    rule = lab3.machines["hv1"].platform.firewall_rules[REPLICA_HTTP]
    props = next(r.adapted_properties for r in rules if r.adapted_properties["Name"] == REPLICA_HTTP)
    assert (props["InstanceID"], props["DisplayName"], props["Enabled"], props["Direction"]) == (
        REPLICA_HTTP, rule.display_name, str(rule.enabled), "Inbound")
    assert (props["Profiles"], props["StatusCode"], props["Platforms"], props["Mandatory"]) == (0, 65536, [], None)


def test_get_net_firewall_port_filter_sends_every_port_filter_property_with_port_arrays(lab3: World) -> None:
    found = received(lab3, "hv1", "Get-NetFirewallPortFilter", {"AssociatedNetFirewallRule": [REPLICA_HTTP]})[0]
    props = found.adapted_properties
    assert _class_part(tuple(props), "Protocol") == PORT_FILTER_CLASS
    assert (props["InstanceID"], props["Protocol"], props["LocalPort"], props["RemotePort"]) == (
        REPLICA_HTTP, "TCP", ["80"], ["Any"]), "MSFT_NetProtocolPortFilter's ports are string arrays"


# -- platform objects with their documented property sets (hvsim.world.platform_types) --------------------------

def _names(type_name: str) -> tuple[str, ...]:
    from hvsim.world.shapes import ALIASES, PROPERTIES  # pylint: disable=import-outside-toplevel
    return (*ALIASES.get(type_name, {}), *(name for name, _type in PROPERTIES[type_name]))


@pytest.mark.parametrize(("cmdlet", "params", "type_name"), [
    ("Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}, "OS_TYPE"),
    ("Get-CimInstance", {"ClassName": "Win32_ComputerSystem"}, "CS_TYPE"),
    ("Get-Service", {"Name": ["vmms"]}, "SERVICE_TYPE"),
    ("Get-NetAdapter", {}, "NET_ADAPTER_TYPE"),
    ("Get-NetIPAddress", {}, "IP_ADDRESS_TYPE"),
])
def test_platform_objects_send_their_documented_property_set(lab3: World, cmdlet: str, params: dict[str, typing.Any],
                                                             type_name: str) -> None:
    from hvsim.world import platform_types  # pylint: disable=import-outside-toplevel
    rows = received(lab3, "hv1", cmdlet, params)
    assert rows
    expected = _names(getattr(platform_types, type_name))
    for row in rows:
        assert tuple(row.adapted_properties) == expected


def test_cim_properties_hvsim_does_not_model_are_null(lab3: World) -> None:
    """A CIM instance's unset property is null whatever its type (not the .NET default)."""
    os_row = received(lab3, "hv1", "Get-CimInstance", {"ClassName": "Win32_OperatingSystem"})[0].adapted_properties
    assert os_row["Caption"] and os_row["BuildNumber"]
    assert (os_row["QuantumLength"], os_row["MUILanguages"], os_row["InstallDate"]) == (None, None, None)
    assert isinstance(os_row["OSType"], int) and os_row["OSType"] == 18
    cs_row = received(lab3, "hv1", "Get-CimInstance", {"ClassName": "Win32_ComputerSystem"})[0].adapted_properties
    assert (cs_row["PartOfDomain"], cs_row["Roles"], cs_row["PCSystemType"]) == (True, None, None)


def test_service_carries_the_dotnet_properties_and_the_type_data_aliases(lab3: World) -> None:
    row = received(lab3, "hv1", "Get-Service", {"Name": ["vmms"]})[0].adapted_properties
    assert (row["Name"], row["ServiceName"], row["Status"]) == ("vmms", "vmms", "Running")
    assert row["RequiredServices"] == row["ServicesDependedOn"] == []
    assert (row["Container"], row["Site"], row["ServiceHandle"]) == (None, None, None)


def test_volume_drive_letter_is_a_char(lab3: World) -> None:
    import hvsim.world.volumes  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import  (registers Get-Volume)
    clixml = ET.tostring(serialize(to_ps(next(iter(REGISTRY["Get-Volume"](Invocation(
        name="Get-Volume", parameter_set="ByDriveLetter", params={},
        principal=Principal("hv1", "LAB\\Administrator", "kerberos", False), world=lab3))))), None)).decode()
    assert '<C N="DriveLetter">67</C>' in clixml
    row = Serializer().deserialize(clixml).adapted_properties
    assert row["DriveLetter"] == "C" and row["SizeRemaining"] > 0 and row["DedupMode"] is None
