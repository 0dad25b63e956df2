"""F2/F8 end to end: a VM on hv1 with its configuration and disk on \\\\fs1\\VM, a VM-only live migration
to hv2 refused because hv2's computer account may not write the files, hyperv_smb_share granting the hosts full
access (share and NTFS), then the move, with the disk staying on fs1."""

from __future__ import annotations

import typing as t

from harness import run_playbook
from test_hyperv_live_migration import enable_migrations, move, vm_names

SHARE = "\\\\fs1.lab.test\\VM"
DISK = f"{SHARE}\\app1\\app1.vhdx"


def put_app1_on_the_share(estate: t.Any) -> None:
    """The disk is made on the share by hyperv_vhd on hv1 over CredSSP (the second hop carries the administrator's
    credentials); hvsim's New-VM keeps configurations on local volumes, so app1 (off) is pointed at the share."""
    tasks = [{"name": "disk", "winvirt.hyperv.hyperv_vhd": {"path": DISK, "size": "20GB"}, "register": "out"}]
    run = run_playbook(estate, tasks, auth="credssp")
    assert run.rc == 0, run.stdout
    with estate.world.lock:
        estate.world.machine("fs1").fs.mkdir("E:\\Shares\\VM\\app1\\Virtual Machines")
        app1 = next(v for v in estate.world.machine("hv1").hyperv.vms.values() if v.name == "app1")
        app1.path = f"{SHARE}\\app1"
        app1.hard_drives[0].path = DISK


def test_vm_only_move_needs_the_hosts_on_the_share_and_hyperv_smb_share_grants_them(lab3: t.Any) -> None:
    put_app1_on_the_share(lab3)
    fs1 = lab3.world.machine("fs1")
    assert fs1.fs.is_file("E:\\Shares\\VM\\app1\\app1.vhdx")
    enable_migrations(lab3)

    refused = run_playbook(lab3, [move(lab3, "hv2", name=["app1"], mode="vm_only")], auth="credssp")
    assert refused.rc != 0
    problems = [p["what"] for p in refused.result("move")["problems"]]
    assert any("LAB\\HV2$" in p and "0x80070005" in p and DISK in p for p in problems), problems
    assert "app1" in vm_names(lab3, "hv1")

    grant = [{"name": "share", "winvirt.hyperv.hyperv_smb_share": {
        "name": "VM", "path": "E:\\Shares\\VM", "full_access": ["LAB\\Domain Admins", "LAB\\HV1$", "LAB\\HV2$"],
        "ntfs_full_control": ["LAB\\HV1$", "LAB\\HV2$"]}, "register": "out"}]
    granted = run_playbook(lab3, grant, host="fs1")
    assert granted.rc == 0 and granted.result("share")["changed"] is True, granted.stdout
    assert {"LAB\\HV1$", "LAB\\HV2$"} <= set(fs1.smb.share("VM").full_access)

    moved = run_playbook(lab3, [move(lab3, "hv2", name=["app1"], mode="vm_only")], auth="credssp")
    assert moved.rc == 0, moved.stdout
    assert moved.result("move")["moved"] == ["app1"] and moved.result("move")["bytes_moved"] == 0
    assert "app1" in vm_names(lab3, "hv2") and "app1" not in vm_names(lab3, "hv1")
    vm = next(v for v in lab3.world.machine("hv2").hyperv.vms.values() if v.name == "app1")
    assert vm.hard_drives[0].path == DISK and fs1.fs.is_file("E:\\Shares\\VM\\app1\\app1.vhdx")
    assert not lab3.world.machine("hv2").fs.exists("E:\\Shares\\VM\\app1\\app1.vhdx")
    assert run_playbook(lab3, grant, host="fs1").result("share")["changed"] is False
