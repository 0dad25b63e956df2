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
