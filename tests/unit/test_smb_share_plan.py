"""Planning of an SMB share, its share permissions and Full Control on its folder (hyperv_smb_share)."""

from __future__ import annotations

from ansible_collections.winvirt.hyperv.plugins.module_utils._quoting import build_command_line
from ansible_collections.winvirt.hyperv.plugins.module_utils._smb_share import (
    ShareFacts,
    ShareSpec,
    full_control_accounts,
    full_control_after,
    icacls_grant_arguments,
    parse_icacls,
    parse_share,
    plan_share,
    read_commands,
    same_share,
)

PATH = "E:\\Shares\\VM"
LISTING = ("E:\\Shares\\VM BUILTIN\\Administrators:(OI)(CI)(F)\r\n"
           "             NT AUTHORITY\\SYSTEM:(I)(OI)(CI)(F)\r\n"
           "             LAB\\HV1$:(OI)(CI)(M)\r\n"
           "             LAB\\Old$:(IO)(OI)(CI)(F)\r\n"
           "             Everyone:(OI)(CI)(DENY)(F)\r\n\r\n"
           "Successfully processed 1 files; Failed processing 0 files\r\n")


def spec(**kwargs) -> ShareSpec:
    access = {option: kwargs.pop(option) for option in ("full_access", "change_access", "read_access") if option in kwargs}
    return ShareSpec(**{"name": "VM", "path": PATH, "access": access, **kwargs})


def share(*access: tuple[str, str, str], description: str = "Hyper-V VM storage") -> ShareFacts:
    return ShareFacts("VM", PATH, description, list(access))


def test_reads_in_one_batch_and_parses() -> None:
    commands = read_commands(spec())
    assert [c.cmdlet for c in commands] == ["Get-SmbShare", "Get-SmbShareAccess", "Test-Path"]
    assert commands[2].parameters == {"LiteralPath": PATH, "PathType": "Container"}
    assert parse_share([], []) is None
    facts = parse_share([{"Name": "VM", "Path": PATH, "Description": "d"}],
                        [{"AccountName": "LAB\\Domain Admins", "AccessControlType": "Allow", "AccessRight": "Full"}])
    assert facts.right_of("lab\\domain admins") == "Full" and facts.to_result()["full_access"] == ["LAB\\Domain Admins"]


def test_icacls_listing_and_full_control() -> None:
    aces = parse_icacls(LISTING, PATH)
    assert [a.account for a in aces] == ["BUILTIN\\Administrators", "NT AUTHORITY\\SYSTEM", "LAB\\HV1$", "LAB\\Old$",
                                         "Everyone"]
    assert full_control_accounts(aces) == ["BUILTIN\\Administrators", "NT AUTHORITY\\SYSTEM"]


def test_a_new_share_and_folder() -> None:
    plan = plan_share(spec(full_access=["LAB\\HV1$", "LAB\\HV2$"], read_access=["Everyone"],
                           ntfs_full_control=["LAB\\HV1$", "administrators"]), None, folder_exists=False,
                      folder_aces=None)
    assert [c.cmdlet for c in plan.commands] == ["New-Item", "New-SmbShare", "Grant-SmbShareAccess",
                                                 "Grant-SmbShareAccess"]
    assert plan.commands[0].parameters == {"Path": PATH, "ItemType": "Directory", "Force": True}
    assert plan.commands[1].parameters == {"Name": "VM", "Path": PATH, "FullAccess": ["LAB\\HV1$"]}
    assert plan.commands[3].parameters["AccessRight"] == "Read"
    assert plan.account_of(plan.commands[2].describe()) == "LAB\\HV2$"
    assert plan.ntfs_grants == ["LAB\\HV1$", "administrators"]
    assert plan.after.to_result()["full_access"] == ["LAB\\HV1$", "LAB\\HV2$"]
    assert len(plan.changes) == 6


def test_a_new_share_without_accounts_grants_everyone_read() -> None:
    plan = plan_share(spec(), None, folder_exists=True, folder_aces=None)
    assert [c.cmdlet for c in plan.commands] == ["New-SmbShare"]
    assert plan.after.to_result()["read_access"] == ["Everyone"]


def test_an_existing_share_changes_only_what_differs() -> None:
    current = share(("LAB\\Domain Admins", "Allow", "Full"), ("LAB\\HV1$", "Allow", "Read"),
                    ("Everyone", "Allow", "Read"), ("LAB\\Bad", "Deny", "Full"))
    wanted = spec(full_access=["lab\\domain admins", "LAB\\HV1$", "LAB\\HV2$"], description="VMs",
                  ntfs_full_control=["LAB\\HV1$", "BUILTIN\\Administrators"])
    plan = plan_share(wanted, current, folder_exists=True, folder_aces=parse_icacls(LISTING, PATH))
    assert [(c.cmdlet, c.parameters.get("AccountName")) for c in plan.commands] == [
        ("Set-SmbShare", None), ("Grant-SmbShareAccess", ["LAB\\HV1$"]), ("Grant-SmbShareAccess", ["LAB\\HV2$"])]
    assert "(was Read)" in plan.changes[1]
    assert plan.ntfs_grants == ["LAB\\HV1$"]
    assert full_control_after(parse_icacls(LISTING, PATH), plan)[-1] == "LAB\\HV1$"
    exclusive = plan_share(spec(full_access=["LAB\\Domain Admins"], exclusive=True), current, True, None)
    assert [(c.cmdlet, c.parameters["AccountName"]) for c in exclusive.commands] == [
        ("Revoke-SmbShareAccess", ["LAB\\HV1$"]), ("Revoke-SmbShareAccess", ["Everyone"])]
    assert exclusive.after.to_result()["no_access"] == ["LAB\\Bad"]


def test_nothing_to_do_is_no_change() -> None:
    current = share(("LAB\\HV1$", "Allow", "Full"))
    plan = plan_share(spec(full_access=["LAB\\HV1$"], description="Hyper-V VM storage", ntfs_full_control=["lab\\hv1$"]),
                      current, True, parse_icacls(LISTING.replace("(M)", "(F)"), PATH))
    assert plan.commands == [] and plan.changes == [] and plan.ntfs_grants == []


def test_absent_removes_the_share_only() -> None:
    plan = plan_share(ShareSpec("VM", state="absent"), share(), folder_exists=False, folder_aces=None)
    assert [(c.cmdlet, c.parameters) for c in plan.commands] == [("Remove-SmbShare", {"Name": "VM", "Force": True})]
    assert "stay" in plan.changes[0]
    assert plan_share(ShareSpec("VM", state="absent"), None, False, None).commands == []


def test_refusals() -> None:
    assert "both full_access and read_access" in plan_share(
        spec(full_access=["LAB\\x"], read_access=["lab\\X"]), None, True, None).errors[0]
    assert "exclusive needs" in plan_share(spec(exclusive=True), share(), True, None).errors[0]
    moved = plan_share(spec(path="D:\\Elsewhere"), share(), True, None)
    assert "cannot move a share" in moved.errors[0] and moved.commands == []


def test_icacls_arguments_go_through_the_one_quoting_function() -> None:
    arguments = icacls_grant_arguments("E:\\Shares\\VM Store", ["LAB\\HV1$", "LAB\\Hyper-V Hosts"])
    assert arguments == ["E:\\Shares\\VM Store", "/grant:r", "LAB\\HV1$:(OI)(CI)F", "LAB\\Hyper-V Hosts:(OI)(CI)F"]
    line = build_command_line("icacls.exe", arguments)
    assert line == 'icacls.exe "E:\\Shares\\VM Store" /grant:r LAB\\HV1$:(OI)(CI)F "LAB\\Hyper-V Hosts:(OI)(CI)F"'


def test_a_failed_batch_applied_the_changes_before_its_failed_command() -> None:
    current = ShareFacts("VM", "E:\\Shares\\VM", "", [("LAB\\Domain Admins", "Allow", "Full")])
    spec = ShareSpec(name="VM", path="E:\\Shares\\VM", description="new", access={"full_access": ["LAB\\NOPE$"]})
    plan = plan_share(spec, current, True, None)
    assert plan.applied_before(plan.commands[0].describe()) == []
    assert plan.applied_before(plan.commands[1].describe()) == ["set the description of the share 'VM' to 'new'"]
    assert plan.applied_before("Get-Date") is None


def test_same_share_ignores_the_order_of_access_rows() -> None:
    rows = [("A", "Allow", "Full"), ("B", "Allow", "Read")]
    assert same_share(ShareFacts("VM", "E:\\VM", "", rows), ShareFacts("VM", "E:\\VM", "", rows[::-1]))
    assert not same_share(ShareFacts("VM", "E:\\VM", "", rows), ShareFacts("VM", "E:\\VM", "x", rows))
    assert not same_share(None, ShareFacts("VM", "E:\\VM", "", rows)) and same_share(None, None)
