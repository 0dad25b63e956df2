"""F2/F8 end to end: VM storage on \\\\fs1\\VM for Hyper-V hosts. The hosts open a VM's files as their computer
accounts, so hv1 needs the share (hyperv_smb_share) before it can keep a VM there; a VM-only live migration to hv2
is refused until hv2's account is granted too; then only the VM moves and its disk stays on fs1."""

from __future__ import annotations

import typing as t

from harness import run_playbook
from test_hyperv_live_migration import enable_migrations, move, vm_names

SHARE = "\\\\fs1.lab.test\\VM"
DISK = f"{SHARE}\\smb1\\smb1.vhdx"


def grant(hosts: list[str]) -> list[dict[str, t.Any]]:
    accounts = [f"LAB\\{host.upper()}$" for host in hosts]
    return [{"name": "share", "winvirt.hyperv.hyperv_smb_share": {
        "name": "VM", "path": "E:\\Shares\\VM", "full_access": ["LAB\\Domain Admins", *accounts],
        "ntfs_full_control": accounts}, "register": "out"}]


def create_vm_on_the_share() -> list[dict[str, t.Any]]:
    """Over CredSSP: the session on hv1 reaches fs1 with the administrator's credentials (the second hop)."""
    vm = {"name": "smb1", "generation": 2, "path": SHARE, "disks": [{"path": DISK}], "state": "running"}
    return [{"name": "disk", "winvirt.hyperv.hyperv_vhd": {"path": DISK, "size": "20GB"}, "register": "out"},
            {"name": "vm", "winvirt.hyperv.hyperv_vm": vm, "register": "out"}]


def test_vm_storage_on_a_share_needs_the_hosts_accounts_and_only_the_vm_moves(lab3: t.Any) -> None:
    fs1 = lab3.world.machine("fs1")
    denied = run_playbook(lab3, create_vm_on_the_share(), auth="credssp")
    assert denied.rc != 0 and "LAB\\HV1$" in denied.result("vm")["msg"] and "0x80070005" in denied.result("vm")["msg"]

    assert run_playbook(lab3, grant(["hv1"]), host="fs1").rc == 0
    made = run_playbook(lab3, create_vm_on_the_share(), auth="credssp")
    assert made.rc == 0, made.stdout
    assert fs1.fs.is_file("E:\\Shares\\VM\\smb1\\smb1.vhdx")
    assert [f for f in fs1.fs.walk_files("E:\\Shares\\VM\\smb1\\Virtual Machines") if f.path.endswith(".vmcx")]
    enable_migrations(lab3)

    refused = run_playbook(lab3, [move(lab3, "hv2", name=["smb1"], mode="vm_only")], auth="credssp")
    assert refused.rc != 0
    problems = [p["what"] for p in refused.result("move")["problems"]]
    assert any("LAB\\HV2$" in p and "0x80070005" in p and DISK in p for p in problems), problems
    assert "smb1" in vm_names(lab3, "hv1")

    granted = run_playbook(lab3, grant(["hv1", "hv2"]), host="fs1")
    assert granted.rc == 0 and granted.result("share")["changed"] is True, granted.stdout
    assert {"LAB\\HV1$", "LAB\\HV2$"} <= set(fs1.smb.share("VM").full_access)

    moved = run_playbook(lab3, [move(lab3, "hv2", name=["smb1"], mode="vm_only")], auth="credssp")
    assert moved.rc == 0, moved.stdout
    assert moved.result("move")["moved"] == ["smb1"] and moved.result("move")["bytes_moved"] == 0
    assert "smb1" in vm_names(lab3, "hv2") and "smb1" not in vm_names(lab3, "hv1")
    vm = next(v for v in lab3.world.machine("hv2").hyperv.vms.values() if v.name == "smb1")
    assert vm.state == "Running" and vm.hard_drives[0].path == DISK and fs1.fs.is_file("E:\\Shares\\VM\\smb1\\smb1.vhdx")
    assert run_playbook(lab3, grant(["hv1", "hv2"]), host="fs1").result("share")["changed"] is False
