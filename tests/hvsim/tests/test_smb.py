"""hvsim.world.smb: shares, share and NTFS permissions, and the SMB cmdlets."""

from __future__ import annotations

import typing

import pytest

import hvsim.estate
import hvsim.runner
import hvsim.world.smb as smb
from hvsim.contract import CmdletError, CommandCall, ErrorEvent, ErrorInfo, Output, Principal
from hvsim.engine.api import REGISTRY, Invocation
from hvsim.world.model import World


@pytest.fixture(name="lab3")
def fixture_lab3() -> World:
    return hvsim.estate.build_world(hvsim.runner.estate_spec("lab3"))


class Result(typing.NamedTuple):
    output: list[typing.Any]
    errors: list[ErrorInfo]


def call(world: World, machine: str, name: str, params: dict[str, typing.Any] | None = None,
         parameter_set: str = "") -> Result:
    inv = Invocation(name=name, parameter_set=parameter_set, params=dict(params or {}),
                     principal=Principal(machine, "LAB\\Administrator", "kerberos", False), world=world)
    output = list(REGISTRY[name](inv) or [])
    return Result(output, inv._errors)  # pylint: disable=protected-access


def test_estate_shares(lab3: World) -> None:
    fs1 = lab3.machines["fs1"].smb
    assert fs1.shares["vm"].path == "E:\\Shares\\VM" and fs1.shares["vm"].full_access == ["LAB\\Domain Admins"]
    listed = call(lab3, "fs1", "Get-SmbShare")
    names = [o.properties["Name"] for o in listed.output]
    assert {"ADMIN$", "C$", "E$", "IPC$", "Layers", "VM"} == set(names)
    vm = call(lab3, "fs1", "Get-SmbShare", {"Name": ["vm"]}).output[0]
    assert vm.type_names[0].endswith("#ROOT/Microsoft/Windows/SMB/MSFT_SmbShare")
    assert (vm.properties["Path"], vm.properties["Description"], vm.properties["Special"]) == (
        "E:\\Shares\\VM", "Hyper-V VM storage", False)
    missing = call(lab3, "fs1", "Get-SmbShare", {"Name": ["Nope"]})
    assert missing.output == [] and missing.errors[0].fqid == "CmdletizationQuery_NotFound_Name,Get-SmbShare"


def test_access_checks(lab3: World) -> None:
    fs1 = lab3.machines["fs1"]
    assert smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM\\x.vhdx", "LAB\\Administrator", write=True)
    assert not smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM\\x.vhdx", "LAB\\HV1$", write=False)
    assert smb.can_access(lab3, fs1, "E$", "E:\\", "LAB\\Administrator", write=True)
    assert not smb.can_access(lab3, fs1, "E$", "E:\\", "LAB\\HV1$", write=False)
    assert not smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM", "Administrator", write=False)  # no such local user
    call(lab3, "fs1", "Grant-SmbShareAccess", {"Name": ["VM"], "AccountName": ["LAB\\HV1$"], "AccessRight": "Full",
                                               "Force": True}, "Query")
    # the share now lets hv1 in, NTFS does not yet
    assert smb.share_allows(fs1.smb.shares["vm"], smb.identities(lab3, "LAB\\HV1$", fs1), write=True)
    assert not smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM", "LAB\\HV1$", write=True)
    fs1.smb.ntfs["e:\\shares\\vm"].append(smb.NtfsEntry("LAB\\HV1$", "FullControl"))
    assert smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM\\deep\\disk.vhdx", "LAB\\HV1$", write=True)


def test_new_smb_share_refuses_a_name_windows_does_not_allow(lab3: World) -> None:
    """MS-FSCC 2.1.6: no " \\ / [ ] : | < > + = ; , * ? or control character, at most 80 characters."""
    lab3.machines["fs1"].fs.mkdir("E:\\Shares\\Odd")
    for name in ("*", "V*", "a;b", "x[1]", "t\tab", "x" * 81):
        with pytest.raises(CmdletError) as refused:
            call(lab3, "fs1", "New-SmbShare", {"Name": name, "Path": "E:\\Shares\\Odd"})
        assert refused.value.info.fqid == "Windows System Error 123,New-SmbShare", name
    assert not any(share.path == "E:\\Shares\\Odd" for share in lab3.machines["fs1"].smb.shares.values())
    call(lab3, "fs1", "New-SmbShare", {"Name": "Odd$ \u540d", "Path": "E:\\Shares\\Odd"})


def test_new_grant_and_remove(lab3: World) -> None:
    fs1 = lab3.machines["fs1"]
    fs1.fs.mkdir("E:\\Shares\\ISO")
    created = call(lab3, "fs1", "New-SmbShare", {"Name": "ISO", "Path": "e:\\shares\\iso", "ReadAccess": ["Everyone"],
                                                 "FullAccess": ["LAB\\Domain Admins"]})
    assert created.output[0].properties["Path"] == "E:\\Shares\\ISO"
    assert fs1.smb.shares["iso"].read_access == ["Everyone"]
    with pytest.raises(CmdletError) as exists:
        call(lab3, "fs1", "New-SmbShare", {"Name": "iso", "Path": "E:\\Shares\\ISO"})
    assert exists.value.info.fqid == "Windows System Error 2118,New-SmbShare"
    with pytest.raises(CmdletError) as no_path:
        call(lab3, "fs1", "New-SmbShare", {"Name": "Gone", "Path": "E:\\Nowhere"})
    assert no_path.value.info.fqid == "Windows System Error 2,New-SmbShare"
    with pytest.raises(CmdletError) as unknown:
        call(lab3, "fs1", "New-SmbShare", {"Name": "X", "Path": "E:\\Shares\\ISO", "FullAccess": ["OTHER\\someone"]})
    assert unknown.value.info.fqid == "Windows System Error 1332,New-SmbShare"

    granted = call(lab3, "fs1", "Grant-SmbShareAccess", {"Name": ["ISO"], "AccountName": ["Everyone"],
                                                         "AccessRight": "Change", "Force": True}, "Query")
    rows = {(o.properties["AccountName"], o.properties["AccessRight"].name) for o in granted.output}
    assert rows == {("LAB\\Domain Admins", "Full"), ("Everyone", "Change")}
    listed = call(lab3, "fs1", "Get-SmbShareAccess", {"Name": ["ISO"]}, "Query (cdxml)")
    assert len(listed.output) == 2
    with pytest.raises(CmdletError) as prompt:
        call(lab3, "fs1", "Remove-SmbShare", {"Name": ["ISO"]}, "Query")
    assert prompt.value.info.fqid == "HostException,Remove-SmbShare" and "iso" in fs1.smb.shares
    call(lab3, "fs1", "Remove-SmbShare", {"Name": ["ISO"], "Force": True}, "Query")
    assert "iso" not in fs1.smb.shares


def test_through_the_engine(lab3: World) -> None:
    from hvsim.engine.executor import Engine  # pylint: disable=import-outside-toplevel

    principal = Principal("fs1", "LAB\\Administrator", "kerberos", False)
    events = list(Engine().run(principal, lab3, [
        [CommandCall("Get-SmbShare", [("Name", "VM")]), CommandCall("Select-Object", [("Property", ["Name", "Path"])])],
        [CommandCall("Get-SmbShareAccess", [(None, "Layers")])],
        [CommandCall("Get-SmbShare", [("Name", "Missing")])],
    ], []))
    values = [e.value.properties for e in events if isinstance(e, Output)]
    assert values[0] == {"Name": "VM", "Path": "E:\\Shares\\VM"}
    assert values[1]["AccountName"] == "LAB\\Domain Admins"
    errors = [e.info.fqid for e in events if isinstance(e, ErrorEvent)]
    assert errors == ["CmdletizationQuery_NotFound_Name,Get-SmbShare"]
