"""hvsim.world.items: the item cmdlets over the file system (local and UNC), the registry and WSMan."""

from __future__ import annotations

import typing

import pytest

import hvsim.estate
import hvsim.runner
import hvsim.world.items  # noqa: F401  (registers the cmdlets)
from hvsim.contract import CmdletError, CommandCall, ErrorInfo, Failed, Output, Principal
from hvsim.engine.api import REGISTRY, Invocation
from hvsim.world.model import World

POLICY_PARENT = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows"
POLICY = POLICY_PARENT + "\\CredentialsDelegation"
ADMIN = Principal("hv1", "LAB\\Administrator", "kerberos", False)


@pytest.fixture(name="lab3")
def fixture_lab3() -> World:
    return hvsim.estate.build_world(hvsim.runner.estate_spec("lab3"))


@pytest.fixture(name="workgroup")
def fixture_workgroup() -> World:
    return hvsim.estate.build_world(hvsim.runner.estate_spec("workgroup"))


class Result(typing.NamedTuple):
    output: list[typing.Any]
    errors: list[ErrorInfo]


def call(world: World, principal: Principal | str, name: str, params: dict[str, typing.Any] | None = None,
         parameter_set: str = "") -> Result:
    if isinstance(principal, str):
        principal = Principal(principal, "Administrator", "ntlm", False)
    inv = Invocation(name=name, parameter_set=parameter_set, params=dict(params or {}), principal=principal,
                     world=world)
    output = list(REGISTRY[name](inv) or [])
    return Result(output, inv._errors)  # pylint: disable=protected-access


# -- WSMan and the registry: the management client's calls ---------------------------------------

def test_trusted_hosts(workgroup: World) -> None:
    path = "WSMan:\\localhost\\Client\\TrustedHosts"
    item = call(workgroup, "mgmt2", "Get-Item", {"Path": [path]}).output[0]
    assert item.type_names[0] == "Microsoft.WSMan.Management.WSManConfigLeafElement"
    assert (item.properties["Name"], item.properties["Value"]) == ("TrustedHosts", "")
    with pytest.raises(CmdletError) as prompt:
        call(workgroup, "mgmt2", "Set-Item", {"Path": [path], "Value": "wg1"})
    assert prompt.value.info.fqid.startswith("HostException")
    call(workgroup, "mgmt2", "Set-Item", {"Path": [path], "Value": "wg1,wg2", "Force": True})
    assert workgroup.machines["mgmt2"].platform.wsman["localhost\\client\\trustedhosts"] == "wg1,wg2"
    credssp = call(workgroup, "mgmt2", "Get-Item", {"Path": ["wsman:\\localhost\\client\\auth\\credssp"]})
    assert credssp.output[0].properties["Value"] == "false"
    children = call(workgroup, "mgmt2", "Get-ChildItem", {"Path": ["WSMan:\\localhost\\Client\\Auth"]})
    assert "CredSSP" in [o.properties["Name"] for o in children.output]
    assert call(workgroup, "mgmt2", "Test-Path", {"Path": ["WSMan:\\localhost\\Client"]}).output == [True]
    assert call(workgroup, "mgmt2", "Test-Path", {"Path": ["WSMan:\\localhost\\Nope"]}).output == [False]


def test_credentials_delegation_policy(workgroup: World) -> None:
    registry = workgroup.machines["mgmt2"].platform.registry
    missing = call(workgroup, "mgmt2", "Get-ItemProperty", {"Path": [POLICY]})
    assert missing.output == [] and missing.errors[0].fqid == \
        "PathNotFound,Microsoft.PowerShell.Commands.GetItemPropertyCommand"
    created = call(workgroup, "mgmt2", "New-Item", {"Path": [POLICY_PARENT], "Name": "CredentialsDelegation"},
                   "nameSet")
    assert created.output[0].properties["Name"] == \
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation"
    assert call(workgroup, "mgmt2", "Get-ItemProperty", {"Path": [POLICY]}).output == []  # a key without values
    with pytest.raises(CmdletError) as exists:
        call(workgroup, "mgmt2", "New-Item", {"Path": [POLICY_PARENT], "Name": "CredentialsDelegation"}, "nameSet")
    assert exists.value.info.category == "ResourceExists"
    for flag in ("AllowFreshCredentialsWhenNTLMOnly", "ConcatenateDefaults_AllowFreshNTLMOnly"):
        call(workgroup, "mgmt2", "Set-ItemProperty", {"Path": [POLICY], "Name": flag, "Value": 1, "Type": "DWord"})
    call(workgroup, "mgmt2", "New-Item", {"Path": [POLICY], "Name": "AllowFreshCredentialsWhenNTLMOnly"}, "nameSet")
    sub = POLICY + "\\AllowFreshCredentialsWhenNTLMOnly"
    new = call(workgroup, "mgmt2", "New-ItemProperty", {"Path": [sub], "Name": "1", "Value": "wsman/wg1",
                                                        "PropertyType": "String"})
    assert new.output[0].properties["1"] == "wsman/wg1"
    again = call(workgroup, "mgmt2", "New-ItemProperty", {"Path": [sub], "Name": "1", "Value": "wsman/wg2",
                                                          "PropertyType": "String"})
    assert again.errors[0].message == "The property already exists."
    values = call(workgroup, "mgmt2", "Get-ItemProperty", {"Path": [POLICY]}).output[0].properties
    assert values["AllowFreshCredentialsWhenNTLMOnly"] == 1 and values["PSChildName"] == "CredentialsDelegation"
    assert registry.get_value(POLICY, "ConcatenateDefaults_AllowFreshNTLMOnly") == ("DWord", 1)
    assert call(workgroup, "mgmt2", "Get-ItemPropertyValue", {"Path": [sub], "Name": ["1"]}).output == ["wsman/wg1"]
    gone = call(workgroup, "mgmt2", "Remove-ItemProperty", {"Path": [sub], "Name": ["1", "7"]})
    assert gone.errors[0].message.startswith("Property 7 does not exist at path HKEY_LOCAL_MACHINE\\")
    assert registry.get_value(sub, "1") is None
    with pytest.raises(CmdletError) as prompt:
        call(workgroup, "mgmt2", "Remove-Item", {"Path": [POLICY]})
    assert prompt.value.info.fqid.startswith("HostException")
    call(workgroup, "mgmt2", "Remove-Item", {"Path": [POLICY], "Recurse": True})
    assert not registry.key_exists(sub) and not registry.key_exists(POLICY)


def test_registry_values_come_back_as_powershell_types(workgroup: World) -> None:
    key = "HKLM:\\SOFTWARE\\Test"
    call(workgroup, "wg1", "New-Item", {"Path": [key]})
    call(workgroup, "wg1", "Set-ItemProperty", {"Path": [key], "Name": "Mask", "Value": "0xFFFFFFFF", "Type": "DWord"})
    call(workgroup, "wg1", "Set-ItemProperty", {"Path": [key], "Name": "List", "Value": ["a", "b"]})
    values = call(workgroup, "wg1", "Get-ItemProperty", {"Path": [key], "Name": ["Mask", "List"]}).output[0].properties
    assert values["Mask"] == -1 and values["List"] == ["a", "b"]
    product = call(workgroup, "wg1", "Get-ItemPropertyValue", {
        "Path": ["Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"],
        "Name": ["InstallationType"]})
    assert product.output == ["Server"]


# -- the file system -----------------------------------------------------------------------------

def test_local_files(lab3: World) -> None:
    fs = lab3.machines["hv1"].fs
    assert call(lab3, ADMIN, "Test-Path", {"Path": ["D:\\ISO\\WindowsServer2025.iso", "d:/iso", "D:\\Nope"]}).output \
        == [True, True, False]
    assert call(lab3, ADMIN, "Test-Path", {"LiteralPath": ["D:\\ISO"], "PathType": "Leaf"}).output == [False]
    iso = call(lab3, ADMIN, "Get-Item", {"Path": ["d:\\iso\\windowsserver2025.iso"]}).output[0]
    assert iso.type_names[0] == "System.IO.FileInfo"
    assert (iso.properties["FullName"], iso.properties["Length"]) == ("D:\\ISO\\WindowsServer2025.iso",
                                                                      5900 * 1024**2)
    names = call(lab3, ADMIN, "Get-ChildItem", {"Path": ["D:\\ISO"], "Name": True}).output
    assert names == ["ubuntu-24.04-live-server-amd64.iso", "WindowsServer2025.iso"]
    vhdx = call(lab3, ADMIN, "Get-ChildItem", {"Path": ["D:\\Hyper-V"], "Recurse": True, "Filter": "*.vhdx"})
    assert len(vhdx.output) == 4
    assert [o.properties["Name"] for o in call(lab3, ADMIN, "Get-Item", {"Path": ["D:\\ISO\\*.iso"]}).output] == [
        "ubuntu-24.04-live-server-amd64.iso", "WindowsServer2025.iso"]

    made = call(lab3, ADMIN, "New-Item", {"Path": ["D:\\VMs\\web2"], "ItemType": "Directory"})
    assert made.output[0].type_names[0] == "System.IO.DirectoryInfo" and fs.is_dir("D:\\VMs\\web2")
    with pytest.raises(CmdletError) as exists:
        call(lab3, ADMIN, "New-Item", {"Path": ["D:\\VMs\\web2"], "ItemType": "Directory"})
    assert exists.value.info.fqid.startswith("DirectoryExist")
    assert call(lab3, ADMIN, "New-Item", {"Path": ["D:\\VMs\\web2"], "ItemType": "Directory", "Force": True}).output
    with pytest.raises(CmdletError) as no_parent:
        call(lab3, ADMIN, "New-Item", {"Path": ["D:\\Nope\\a.txt"], "ItemType": "File"})
    assert "Could not find a part of the path" in no_parent.value.info.message

    call(lab3, ADMIN, "Copy-Item", {"Path": ["D:\\ISO\\WindowsServer2025.iso"], "Destination": "D:\\VMs\\web2"})
    assert fs.get("D:\\VMs\\web2\\WindowsServer2025.iso").size == 5900 * 1024**2
    call(lab3, ADMIN, "Move-Item", {"Path": ["D:\\VMs\\web2\\WindowsServer2025.iso"],
                                    "Destination": "D:\\VMs\\ws.iso"})
    assert fs.is_file("D:\\VMs\\ws.iso") and not fs.is_file("D:\\VMs\\web2\\WindowsServer2025.iso")
    with pytest.raises(CmdletError) as children:
        call(lab3, ADMIN, "Remove-Item", {"Path": ["D:\\VMs"]})
    assert children.value.info.fqid.startswith("HostException")
    fs.get("D:\\VMs\\ws.iso").attached_to = "some-vm-id"
    busy = call(lab3, ADMIN, "Remove-Item", {"LiteralPath": ["D:\\VMs\\ws.iso"]})
    assert "being used by another process" in busy.errors[0].message and fs.is_file("D:\\VMs\\ws.iso")
    fs.get("D:\\VMs\\ws.iso").attached_to = None
    call(lab3, ADMIN, "Remove-Item", {"Path": ["D:\\VMs"], "Recurse": True})
    assert not fs.exists("D:\\VMs")
    gone = call(lab3, ADMIN, "Remove-Item", {"LiteralPath": ["D:\\VMs\\ws.iso"]})
    assert gone.errors[0].fqid == "PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand"
    assert call(lab3, ADMIN, "Get-Item", {"Path": ["Q:\\x"]}).errors[0].fqid.startswith("DriveNotFound")


def test_unc_paths_and_the_second_hop(lab3: World) -> None:
    target = "\\\\fs1\\VM\\app1.vhdx"
    # a Kerberos session on hv1 has no credentials for fs1: access is denied, Test-Path says False
    assert call(lab3, ADMIN, "Test-Path", {"Path": ["\\\\fs1\\VM"]}).output == [False]
    denied = call(lab3, ADMIN, "Get-ChildItem", {"Path": ["\\\\fs1\\VM"]})
    assert denied.errors[0].category == "PermissionDenied"
    credssp = Principal("hv1", "LAB\\Administrator", "credssp", True)
    assert call(lab3, credssp, "Test-Path", {"Path": ["\\\\fs1\\VM"]}).output == [True]
    busy = call(lab3, credssp, "Copy-Item", {"Path": ["D:\\Hyper-V\\Virtual Hard Disks\\web1.vhdx"],
                                             "Destination": "\\\\fs1\\VM"})  # web1 runs: its disk is open
    assert "being used by another process" in busy.errors[0].message
    copied = call(lab3, credssp, "Copy-Item", {"Path": ["D:\\Hyper-V\\Virtual Hard Disks\\app1.vhdx"],
                                               "Destination": target, "PassThru": True})
    assert copied.output[0].properties["FullName"] == target
    copy = lab3.machines["fs1"].fs.get("E:\\Shares\\VM\\app1.vhdx")
    original = lab3.machines["hv1"].fs.get("D:\\Hyper-V\\Virtual Hard Disks\\app1.vhdx")
    assert copy is not None and copy.vhd.disk_identifier == original.vhd.disk_identifier
    listed = call(lab3, credssp, "Get-ChildItem", {"Path": ["\\\\FS1\\vm"]}).output
    assert [o.properties["FullName"] for o in listed] == ["\\\\FS1\\vm\\app1.vhdx"]
    # the same machine's own share needs no second hop
    fs1_admin = Principal("fs1", "LAB\\Administrator", "kerberos", False)
    assert call(lab3, fs1_admin, "Test-Path", {"Path": [target]}).output == [True]
    nowhere = call(lab3, credssp, "Get-Item", {"Path": ["\\\\nas9\\x\\y"]})
    assert nowhere.errors[0].message == "The network path was not found."
    no_share = call(lab3, credssp, "Get-Item", {"Path": ["\\\\fs1\\Nope\\y"]})
    assert no_share.errors[0].message == "The network name cannot be found."


def test_through_the_engine(workgroup: World) -> None:
    from hvsim.engine.executor import Engine  # pylint: disable=import-outside-toplevel

    principal = Principal("mgmt2", "Administrator", "ntlm", False)
    statements = [
        [CommandCall("Get-Item", [("Path", "WSMan:\\localhost\\Client\\TrustedHosts")]),
         CommandCall("Select-Object", [("Property", ["Value"])])],
        [CommandCall("Get-ItemProperty", [("Path", POLICY), ("ErrorAction", "SilentlyContinue")])],
        [CommandCall("Set-Item", [("Path", "WSMan:\\localhost\\Client\\TrustedHosts"), ("Value", "wg1,wg2"),
                                  ("Force", True)])],
        [CommandCall("Test-Path", [(None, "C:\\Windows\\System32")])],
        [CommandCall("Get-Item", [("Path", "HKLM:\\SOFTWARE\\Nope")])],
    ]
    events = list(Engine().run(principal, workgroup, statements, []))
    outputs = [e.value for e in events if isinstance(e, Output)]
    assert outputs[0].properties == {"Value": ""} and outputs[1] is True
    assert workgroup.machines["mgmt2"].platform.wsman["localhost\\client\\trustedhosts"] == "wg1,wg2"
    assert not any(isinstance(e, Failed) for e in events)
    assert events[-1].info.fqid == "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"  # type: ignore
