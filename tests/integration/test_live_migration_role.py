"""roles/live_migration through the shipped playbooks: prepare the group (settings, SPNs, delegation), move a VM,
and evacuate a host of ten VMs to its peers in bounded batches (requirements F2, F7)."""

from __future__ import annotations

import typing as t

from harness import run_playbook, run_playbook_file

MIGRATION = "Microsoft Virtual System Migration Service"


def vm_names(estate: t.Any, machine: str) -> set[str]:
    return {vm.name for vm in estate.world.machine(machine).hyperv.vms.values()}


def test_live_migration_playbook_prepares_the_group_and_moves_app1(lab3: t.Any) -> None:
    first = run_playbook_file(lab3, "live_migration.yml")
    assert first.rc == 0, first.stdout + first.stderr
    for name in ("hv1", "hv2", "hv3"):
        host = lab3.world.machine(name).hyperv.host
        assert host.migration_enabled and host.migration_auth == "Kerberos" and host.maximum_vm_migrations == 2
    directory = lab3.world.directory
    assert f"{MIGRATION}/hv3.lab.test" in directory.computer("hv3").spns
    assert f"{MIGRATION}/hv2.lab.test" in directory.computer("hv1").delegate_to
    assert "app1" in vm_names(lab3, "hv2") and "app1" not in vm_names(lab3, "hv1")
    assert "cifs/fs1.lab.test" in directory.computer("hv1").delegate_to
    share = lab3.world.machine("fs1").smb.share("VM")
    assert {"LAB\\HV1$", "LAB\\HV2$", "LAB\\HV3$", "LAB\\Domain Admins"} <= set(share.full_access)
    ntfs = {e.account.upper() for e in lab3.world.machine("fs1").smb.ntfs_entries("E:\\Shares\\VM") if e.rights == "FullControl"}
    assert {"LAB\\HV1$", "LAB\\HV2$", "LAB\\HV3$"} <= ntfs

    again = run_playbook_file(lab3, "live_migration.yml")
    assert again.rc == 0, again.stdout
    assert not [r["task"] for r in again.results if r["result"].get("changed")], again.stdout


def test_evacuating_hv1_moves_ten_vms_to_its_peers_in_bounded_batches(lab3: t.Any) -> None:
    def new_vm(n: int) -> dict[str, t.Any]:
        return {"name": f"evac-{n}", "configuration_version": "10.0", "state": "running" if n % 2 else "stopped"}

    extra = [{"name": f"evac-{n}", "winvirt.hyperv.hyperv_vm": new_vm(n)} for n in range(6)]
    made = run_playbook(lab3, extra)
    assert made.rc == 0, made.stdout
    with lab3.world.lock:  # hv3 (Server 2022) runs configuration version 10.0 at most
        for vm in lab3.world.machine("hv1").hyperv.vms.values():
            vm.version = "10.0"
    assert len(vm_names(lab3, "hv1")) == 10

    run = run_playbook_file(lab3, "evacuate_host.yml", extra_vars={
        "evacuate_host": "hv1", "live_migration_concurrency": 3, "live_migration_destination_path": "D:\\Evacuated",
        "live_migration_switch_map": {"Lab Private": "vNet-LAN50"}})
    assert run.rc == 0, run.stdout + run.stderr
    assert vm_names(lab3, "hv1") == set()
    moved = vm_names(lab3, "hv2") | vm_names(lab3, "hv3")
    assert len(moved) == 10 and vm_names(lab3, "hv2") and vm_names(lab3, "hv3")
    batches = [r["result"].get("results", []) for r in run.results if r["task"] == "Start the moves of this batch"]
    assert [len(b) for b in batches] == [3, 3, 3, 1], "ten moves, at most three in flight at a time"
    running = {vm.name for m in ("hv2", "hv3") for vm in lab3.world.machine(m).hyperv.vms.values() if vm.state == "Running"}
    assert {"web1", "ws1", "evac-1", "evac-3", "evac-5"} <= running, "running VMs keep running"
    web1 = next(vm for m in ("hv2", "hv3") for vm in lab3.world.machine(m).hyperv.vms.values() if vm.name == "web1")
    assert web1.path == "D:\\Evacuated\\web1" and web1.hard_drives[0].path == "D:\\Evacuated\\web1\\web1.vhdx"


def test_smb_migration_playbook_keeps_the_disk_on_fs1(lab3: t.Any) -> None:
    first = run_playbook_file(lab3, "smb_migration.yml")
    assert first.rc == 0, first.stdout + first.stderr
    vm = next(v for v in lab3.world.machine("hv2").hyperv.vms.values() if v.name == "smb-demo")
    assert vm.state == "Running" and vm.hard_drives[0].path == "\\\\fs1.lab.test\\VM\\smb-demo\\os.vhdx"
    assert lab3.world.machine("fs1").fs.is_file("E:\\Shares\\VM\\smb-demo\\os.vhdx")
    assert "smb-demo" not in vm_names(lab3, "hv1")
    again = run_playbook_file(lab3, "smb_migration.yml")
    assert again.rc == 0, again.stdout
    assert not [r["task"] for r in again.results if r["result"].get("changed")], again.stdout


def test_an_ntlm_controller_gets_protocol_transition_and_the_move_works(lab3: t.Any) -> None:
    """A controller on NTLM (an AWX credential with auth ntlm): the role's delegation protocol defaults to any,
    so the source may act for the NTLM session (S4U2Self) and its own move task succeeds."""
    run = run_playbook_file(lab3, "live_migration.yml", extra_vars={"hyperv_auth": "ntlm"})
    assert run.rc == 0, run.stdout + run.stderr
    hv1 = lab3.world.directory.computer("hv1")
    assert hv1.user_account_control & 0x1000000, "protocol transition (TRUSTED_TO_AUTH_FOR_DELEGATION)"
    assert "app1" in vm_names(lab3, "hv2")
    assert {r["auth"] for r in lab3.call_log() if r.get("command") == "Move-VM"} == {"ntlm"}
