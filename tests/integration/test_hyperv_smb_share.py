"""hyperv_smb_share against hvsim's fs1: create with folder and permissions, check mode, diff, re-run, change,
exclusive, an unknown account, removal that keeps the folder."""

from __future__ import annotations

import typing as t

from harness import run_playbook

SHARE = "winvirt.hyperv.hyperv_smb_share"
FOLDER = "E:\\Shares\\Hyper-V Store"


def task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, SHARE: args, "register": "out"}


def ntfs(estate: t.Any, folder: str = FOLDER) -> list[tuple[str, str]]:
    return [(e.account, e.rights) for e in estate.world.machine("fs1").smb.ntfs_entries(folder)]


def test_share_lifecycle(lab3: t.Any) -> None:
    fs1 = lab3.world.machine("fs1")
    create = [task("create", name="Store", path=FOLDER, description="VMs", full_access=["LAB\\HV1$", "LAB\\HV2$"],
                   read_access=["LAB\\Domain Users"], ntfs_full_control=["LAB\\HV1$", "LAB\\HV2$"])]
    before = lab3.snapshot()
    checked = run_playbook(lab3, create, host="fs1", check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = checked.result("create")
    assert result["changed"] is True and result["diff"]["before"] == {}
    assert result["diff"]["after"]["full_access"] == ["LAB\\HV1$", "LAB\\HV2$"]
    assert result["share"]["ntfs_full_control"] == ["LAB\\HV1$", "LAB\\HV2$"]  # the folder is not there to list
    assert lab3.snapshot() == before, "check mode changed the world"

    first = run_playbook(lab3, create, host="fs1")
    assert first.rc == 0, first.stdout
    share = fs1.smb.share("Store")
    assert share.path == FOLDER and share.description == "VMs" and fs1.fs.is_dir(FOLDER)
    assert share.full_access == ["LAB\\HV1$", "LAB\\HV2$"] and share.read_access == ["LAB\\Domain Users"]
    assert ("LAB\\HV1$", "FullControl") in ntfs(lab3) and ("LAB\\HV2$", "FullControl") in ntfs(lab3)
    assert ("BUILTIN\\Administrators", "FullControl") in ntfs(lab3)  # the inherited entries stay
    assert first.result("create")["share"]["ntfs_full_control"][-2:] == ["LAB\\HV1$", "LAB\\HV2$"]

    again = run_playbook(lab3, create, host="fs1")
    assert again.rc == 0 and again.result("create")["changed"] is False, again.stdout
    assert again.result("create")["round_trips"] == 2  # one PowerShell batch, one icacls listing

    exclusive = [task("exclusive", name="Store", path=FOLDER, full_access=["LAB\\HV1$", "lab\\hv2$"],
                      change_access=["LAB\\Domain Admins"], exclusive=True)]
    changed = run_playbook(lab3, exclusive, host="fs1", diff=True)
    assert changed.rc == 0, changed.stdout
    result = changed.result("exclusive")
    assert result["diff"]["before"]["read_access"] == ["LAB\\Domain Users"] and result["diff"]["after"]["read_access"] == []
    assert share.read_access == [] and share.change_access == ["LAB\\Domain Admins"]
    assert run_playbook(lab3, exclusive, host="fs1").result("exclusive")["changed"] is False

    removed = run_playbook(lab3, [task("remove", name="Store", state="absent")], host="fs1")
    assert removed.rc == 0 and removed.result("remove")["changed"] is True, removed.stdout
    assert fs1.smb.share("Store") is None and fs1.fs.is_dir(FOLDER)
    assert run_playbook(lab3, [task("remove", name="Store", state="absent")], host="fs1").result("remove")[
        "changed"] is False


def test_unknown_accounts_are_named(lab3: t.Any) -> None:
    share_account = run_playbook(lab3, [task("bad", name="VM", path="E:\\Shares\\VM",
                                             full_access=["LAB\\Domain Admins", "LAB\\NOPE$"])], host="fs1")
    assert share_account.rc != 0
    assert "'LAB\\NOPE$' is not known to" in share_account.result("bad")["msg"], share_account.result("bad")["msg"]
    folder_account = run_playbook(lab3, [task("bad", name="VM", path="E:\\Shares\\VM",
                                              ntfs_full_control=["LAB\\HV1$", "LAB\\Ghost"])], host="fs1")
    assert folder_account.rc != 0
    assert "LAB\\Ghost: No mapping between account names" in folder_account.result("bad")["msg"]
    assert ("LAB\\HV1$", "FullControl") not in ntfs(lab3, "E:\\Shares\\VM")
    assert folder_account.result("bad")["changed"] is False, folder_account.result("bad")  # icacls granted nothing


def test_an_existing_share_elsewhere_is_refused(lab3: t.Any) -> None:
    run = run_playbook(lab3, [task("moved", name="VM", path="E:\\Other")], host="fs1")
    assert run.rc != 0 and "cannot move a share" in run.result("moved")["msg"]
    assert not lab3.world.machine("fs1").fs.exists("E:\\Other")


def test_an_icacls_account_reaches_icacls_as_one_argument_without_cmd_exe(lab3: t.Any) -> None:
    """Issue 16: through cmd.exe, %OS:W=w% was expanded and & started a second command despite the carets."""
    account = "x%OS:W=w%y&whoami"
    run = run_playbook(lab3, [task("hostile", name="VM", path="E:\\Shares\\VM", ntfs_full_control=[account])], host="fs1")
    assert run.rc != 0
    assert f"{account}: No mapping between account names" in run.result("hostile")["msg"], run.result("hostile")["msg"]
    natives = [record for record in lab3.call_log() if "native" in record and record["machine"] == "fs1"]
    assert all(record["shell"] == "none" for record in natives)
    grant = [["C:\\Windows\\System32\\icacls.exe", "E:\\Shares\\VM", "/grant:r", f"{account}:(OI)(CI)F"]]
    assert grant in [record["argv"] for record in natives]  # followed by a listing that says what was granted
    assert not any(argv[0] == "whoami" for record in natives for argv in record["argv"])


def test_changed_says_what_a_failed_batch_really_applied(lab3: t.Any) -> None:
    """Issue 16: a batch that failed on its first command changed nothing, but the task said changed: true."""
    share = lab3.world.machine("fs1").smb.share("VM")
    before = lab3.snapshot()
    first = run_playbook(lab3, [task("bad", name="VM", path="E:\\Shares\\VM", full_access=["LAB\\NOPE$"])], host="fs1")
    result = first.result("bad")
    assert first.status("bad") == "failed" and result["changed"] is False and result["changes"] == [], result
    assert lab3.snapshot() == before
    assert result["share"]["full_access"] == share.full_access

    second = run_playbook(lab3, [task("bad", name="VM", path="E:\\Shares\\VM", description="applied first",
                                      full_access=["LAB\\NOPE$"])], host="fs1")
    result = second.result("bad")
    assert second.status("bad") == "failed" and result["changed"] is True, result
    assert share.description == "applied first" and result["share"]["description"] == "applied first"
    assert result["changes"] == ["set the description of the share 'VM' to 'applied first'"], result["changes"]
