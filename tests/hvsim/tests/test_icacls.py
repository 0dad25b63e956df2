"""icacls.exe in hvsim: listing, grants, removal and errors, through cmd.exe parsing as WinRS runs it."""

from __future__ import annotations

import pytest

import hvsim.estate
import hvsim.runner
import hvsim.world.smb as smb
from hvsim.contract import NativeResult, Principal
from hvsim.native import run_command_line
from hvsim.server import load_world_modules
from hvsim.world.directory import ADObject
from hvsim.world.model import World

ON_FS1 = Principal("fs1", "LAB\\Administrator", "kerberos", False)


@pytest.fixture(name="lab3")
def fixture_lab3() -> World:
    load_world_modules()
    return hvsim.estate.build_world(hvsim.runner.estate_spec("lab3"))


def icacls(world: World, command_line: str) -> NativeResult:
    return run_command_line(ON_FS1, world, "icacls.exe " + command_line)


def text(result: NativeResult) -> str:
    return result.stdout.decode().replace("\r\n", "\n")


def test_listing_shows_explicit_and_inherited_entries(lab3: World) -> None:
    listed = icacls(lab3, "E:\\Shares\\VM")
    assert listed.exit_code == 0
    lines = text(listed).split("\n")
    assert lines[0] == "E:\\Shares\\VM BUILTIN\\Administrators:(OI)(CI)(F)"
    assert " " * len("E:\\Shares\\VM ") + "LAB\\Domain Admins:(OI)(CI)(F)" in lines
    assert text(listed).endswith("\nSuccessfully processed 1 files; Failed processing 0 files\n")
    lab3.machines["fs1"].fs.mkdir("E:\\Shares\\VM\\app1")
    assert "E:\\Shares\\VM\\app1 BUILTIN\\Administrators:(I)(OI)(CI)(F)" in text(icacls(lab3, "e:\\shares\\vm\\app1"))


def test_grant_starts_from_the_inherited_entries_and_lets_the_account_write(lab3: World) -> None:
    fs1 = lab3.machines["fs1"]
    fs1.fs.mkdir("E:\\Shares\\VM\\app1")
    assert not smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM\\app1\\a.vhdx", "LAB\\HV2$", write=True)
    smb_before = list(fs1.smb.ntfs_entries("E:\\Shares\\VM"))
    granted = icacls(lab3, '"E:\\Shares\\VM\\app1" /grant "lab\\hv2$:(OI)(CI)F" LAB\\HV1$:(OI)(CI)(M)')
    assert granted.exit_code == 0, granted
    assert text(granted) == ("processed file: E:\\Shares\\VM\\app1\n"
                             "Successfully processed 1 files; Failed processing 0 files\n")
    entries = fs1.smb.ntfs["e:\\shares\\vm\\app1"]
    assert [(e.account, e.rights) for e in entries[:len(smb_before)]] == [(e.account, e.rights) for e in smb_before]
    assert [(e.account, e.rights) for e in entries[len(smb_before):]] == [("LAB\\HV2$", "FullControl"),
                                                                           ("LAB\\HV1$", "Modify")]
    fs1.smb.shares["vm"].full_access.append("LAB\\HV2$")
    assert smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM\\app1\\a.vhdx", "LAB\\HV2$", write=True)
    assert "LAB\\HV2$:(OI)(CI)(F)" in text(icacls(lab3, "E:\\Shares\\VM\\app1"))


def test_grant_adds_rights_grant_r_replaces_them_and_remove_drops_them(lab3: World) -> None:
    fs1 = lab3.machines["fs1"]
    folder = "E:\\Shares\\VM"
    icacls(lab3, f"{folder} /grant LAB\\HV1$:(OI)(CI)F")
    icacls(lab3, f"{folder} /grant LAB\\HV1$:(OI)(CI)RX")  # FullControl includes it: nothing added
    assert [e.rights for e in fs1.smb.ntfs_entries(folder) if e.account == "LAB\\HV1$"] == ["FullControl"]
    icacls(lab3, f"{folder} /grant:r LAB\\HV1$:(OI)(CI)R")
    assert [e.rights for e in fs1.smb.ntfs_entries(folder) if e.account == "LAB\\HV1$"] == ["Read"]
    icacls(lab3, f"{folder} /grant LAB\\HV1$:W")
    assert [e.rights for e in fs1.smb.ntfs_entries(folder) if e.account == "LAB\\HV1$"] == ["Read", "Write"]
    removed = icacls(lab3, f"{folder} /remove LAB\\HV1$")
    assert removed.exit_code == 0 and "processed file: E:\\Shares\\VM" in text(removed)
    assert not [e for e in fs1.smb.ntfs_entries(folder) if e.account == "LAB\\HV1$"]


def test_errors_for_a_missing_path_an_unknown_account_and_a_bad_permission(lab3: World) -> None:
    before = {k: list(v) for k, v in lab3.machines["fs1"].smb.ntfs.items()}
    missing = icacls(lab3, "E:\\Nowhere /grant LAB\\HV1$:F")
    assert missing.exit_code == 1
    assert missing.stderr.decode() == "E:\\Nowhere: The system cannot find the file specified.\r\n"
    assert text(missing) == "Successfully processed 0 files; Failed processing 1 files\n"
    unknown = icacls(lab3, "E:\\Shares\\VM /grant LAB\\HV1$:F LAB\\NOPE$:(OI)(CI)F")
    assert unknown.exit_code == 1
    assert unknown.stderr.decode() == "LAB\\NOPE$: No mapping between account names and security IDs was done.\r\n"
    bad = icacls(lab3, "E:\\Shares\\VM /grant LAB\\HV1$:(OI)(CI)Q")
    assert bad.exit_code == 87 and "Invalid parameter" in bad.stderr.decode()
    assert {k: list(v) for k, v in lab3.machines["fs1"].smb.ntfs.items()} == before


def test_a_computer_account_has_the_names_of_its_directory_groups(lab3: World) -> None:
    fs1 = lab3.machines["fs1"]
    directory = lab3.directory
    hosts = "CN=HyperVHosts,CN=Users,DC=lab,DC=test"
    directory.objects[hosts.lower()] = ADObject(
        dn=hosts, sam_account_name="HyperVHosts", object_class="group", user_account_control=0,
        members=[directory.computer("hv2").dn])
    assert "lab\\hypervhosts" in smb.identities(lab3, "LAB\\HV2$", fs1)
    assert "lab\\hypervhosts" not in smb.identities(lab3, "LAB\\HV1$", fs1)
    icacls(lab3, "E:\\Shares\\VM /grant LAB\\HyperVHosts:(OI)(CI)F")
    fs1.smb.shares["vm"].full_access.append("LAB\\HyperVHosts")
    assert smb.can_access(lab3, fs1, "VM", "E:\\Shares\\VM\\x.vhdx", "LAB\\HV2$", write=True)
