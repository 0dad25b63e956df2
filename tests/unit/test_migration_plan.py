"""The live migration preflight: every problem at once, with its fix; idempotence; switch_map; storage moves."""

from __future__ import annotations

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration import session_problem

from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_plan import (
    Adapter,
    DiskFile,
    HostFacts,
    ParentHandling,
    Problem,
    VmFacts,
    compatibility_problems,
    failure_message,
    parent_copy_plan,
    plan_migration,
    plan_storage_move,
    plan_storage_parents,
    shared_name_problems,
    staying_parents,
)

APP1 = VmFacts(name="app1", id="id-app1", state="Off", path="D:\\Hyper-V", disks=("D:\\Hyper-V\\app1.vhdx",),
               disk_bytes=100, adapters=(Adapter("Network Adapter", "External"),))
WEB1 = VmFacts(name="web1", id="id-web1", state="Running", path="D:\\Hyper-V", disks=("D:\\Hyper-V\\web1.vhdx",),
               disk_bytes=50, adapters=(Adapter("Network Adapter", "External"),))
VMS = {"app1": APP1, "web1": WEB1}


def host(name: str, enabled: bool = True, auth: str = "Kerberos", switches: tuple[str, ...] = ("External",),
         vms: dict[str, str] | None = None) -> HostFacts:
    return HostFacts(name=name, migration_enabled=enabled, authentication=auth, switches=switches, vms=vms or {})


def test_a_clean_move_plans_the_vm_and_its_bytes() -> None:
    plan = plan_migration(["app1"], VMS, host("hv1", vms={"app1": "id-app1"}), host("hv2"), {}, {"app1": []})
    assert not plan.problems and [m.vm.name for m in plan.moves] == ["app1"] and plan.bytes_to_move == 100


def test_every_problem_is_listed_with_its_fix() -> None:
    plan = plan_migration(["app1", "nope"], VMS, host("hv1", enabled=False), host("hv3", auth="CredSSP", switches=("LAN",)),
                          {}, {"app1": [(33012, "Could not find Ethernet switch 'External'."),
                                        (24004, "configuration version 12.0 not supported")]})
    whats = [p.what for p in plan.problems]
    assert any("neither" in w for w in whats) and any("not enabled on hv1" in w for w in whats)
    assert any("authenticate migrations differently" in w for w in whats)
    assert sum("no virtual switch 'External'" in w for w in whats) == 1, "Compare-VM's switch finding is not doubled"
    assert any("configuration version" in p.what and "cannot be lowered" in p.fix and "Replica" in p.fix
               for p in plan.problems)
    assert all(p.fix for p in plan.problems)
    assert failure_message(plan.problems).startswith(f"The live migration preflight found {len(plan.problems)} problem(s)")


def test_switch_map_reconnects_instead_of_failing() -> None:
    plan = plan_migration(["app1"], VMS, host("hv1"), host("hv3", switches=("LAN",)), {"external": "LAN"}, {})
    assert not plan.problems and plan.moves[0].reconnect == [("Network Adapter", "External", "LAN")]
    wrong = plan_migration(["app1"], VMS, host("hv1"), host("hv3", switches=("LAN",)), {"External": "WAN"}, {})
    assert "(mapped to 'WAN')" in wrong.problems[0].what


def test_a_vm_already_on_the_destination_is_unchanged() -> None:
    plan = plan_migration(["app1"], {"web1": WEB1}, host("hv1"), host("hv2", vms={"app1": "id-app1"}), {}, {})
    assert plan.unchanged == ["app1"] and not plan.moves and not plan.problems


def test_host_problems_only_matter_when_something_moves() -> None:
    plan = plan_migration(["app1"], {}, host("hv1", enabled=False), host("hv2", vms={"app1": "id-app1"}), {}, {})
    assert not plan.problems


def test_a_vm_on_both_hosts_is_a_problem_and_wildcards_select() -> None:
    plan = plan_migration(["*1"], VMS, host("hv1"), host("hv2", vms={"web1": "id-web1"}), {}, {})
    assert [m.vm.name for m in plan.moves] == ["app1"] and "both hosts" in plan.problems[0].what
    assert plan_migration(["x*"], VMS, host("hv1"), host("hv2"), {}, {}).problems == []


def test_session_problems_are_reported() -> None:
    problem = Problem("cannot start a migration (0x8009030E)", "constrained delegation with hyperv_spn")
    plan = plan_migration(["app1"], VMS, host("hv1"), host("hv2"), {}, {}, [problem])
    assert plan.problems == [problem]


def test_storage_move_is_idempotent_by_path() -> None:
    plan = plan_storage_move(["app1", "web1"], VMS, "D:\\Hyper-V")
    assert plan.unchanged == ["app1", "web1"] and not plan.moves
    moving = plan_storage_move(["app1"], VMS, "E:\\VMs")
    assert [m.vm.name for m in moving.moves] == ["app1"]
    assert "not on the host" in plan_storage_move(["gone"], VMS, "E:\\VMs").problems[0].what


def _file(path: str, parent: str | None, identifier: str, size: int = 10) -> DiskFile:
    return DiskFile(path, parent, identifier, size)


CHAIN = {f.path.lower(): f for f in (
    _file("D:\\v\\ws1_ABC.avhdx", "D:\\v\\ws1.vhdx", "snap"),
    _file("D:\\v\\ws1.vhdx", "D:\\v\\base.vhdx", "child"),
    _file("D:\\v\\base.vhdx", "D:\\v\\root.vhdx", "base", 100),
    _file("D:\\v\\root.vhdx", None, "root", 1000),
)}
WS1 = VmFacts(name="ws1", id="id-ws1", state="Running", path="D:\\v", disks=("D:\\v\\ws1_ABC.avhdx",), disk_bytes=20)


def test_staying_parents_skip_the_checkpoint_files_and_the_disk_itself() -> None:
    assert staying_parents("D:\\v\\ws1_ABC.avhdx", CHAIN) == (["D:\\v\\base.vhdx", "D:\\v\\root.vhdx"], [])
    assert staying_parents("D:\\v\\root.vhdx", CHAIN) == ([], [])
    broken = {k: v for k, v in CHAIN.items() if "root" not in k}
    assert staying_parents("D:\\v\\ws1.vhdx", broken) == (["D:\\v\\base.vhdx", "D:\\v\\root.vhdx"], ["D:\\v\\root.vhdx"])


OLD = ParentHandling(host_moves=False)  # a Windows Server 2012 source: parents stay, the module copies them
NEW = ParentHandling(host_moves=True, destination_path="E:\\VMs\\ws1")  # 2012 R2 and later: Move-VM moves them


def test_missing_parents_are_copied_root_first_and_different_ones_refused() -> None:
    copies, problems = parent_copy_plan([WS1], CHAIN, {}, OLD, "hv3")
    assert [(c.file.path, c.target, c.by) for c in copies] == [
        ("D:\\v\\root.vhdx", "D:\\v\\root.vhdx", "copy"), ("D:\\v\\base.vhdx", "D:\\v\\base.vhdx", "copy")]
    assert problems == []
    same_root = {"d:\\v\\root.vhdx": _file("D:\\v\\root.vhdx", None, "ROOT")}
    copies, problems = parent_copy_plan([WS1], CHAIN, same_root, OLD, "hv3")
    assert [c.file.path for c in copies] == ["D:\\v\\base.vhdx"], "the same disk (identifiers compare without case)"
    other = {"d:\\v\\base.vhdx": _file("D:\\v\\base.vhdx", None, "someone-else")}
    copies, problems = parent_copy_plan([WS1], CHAIN, other, OLD, "hv3")
    assert len(problems) == 1 and "never overwritten" in problems[0].what and "merge" not in problems[0].fix.lower()


def test_hyperv_moves_parents_beside_the_disks_on_2012_r2_and_later() -> None:
    copies, problems = parent_copy_plan([WS1], CHAIN, {}, NEW, "hv3")
    assert [(c.target, c.by) for c in copies] == [("E:\\VMs\\ws1\\root.vhdx", "hyper-v"),
                                                  ("E:\\VMs\\ws1\\base.vhdx", "hyper-v")] and problems == []
    assert ParentHandling(True, None, {"D:\\v\\base.vhdx": "F:\\b\\base.vhdx"}).target("d:\\v\\base.vhdx") == \
        "F:\\b\\base.vhdx"
    assert ParentHandling(True).target("D:\\v\\base.vhdx") == "D:\\v\\base.vhdx"


def test_the_plan_lists_each_parent_copy_and_counts_its_bytes() -> None:
    source = HostFacts("hv1", True, "Kerberos", (), {"ws1": "id-ws1"}, os_version="10.0.26100")
    plan = plan_migration(["ws1"], {"ws1": WS1}, source, host("hv3"), {}, {"ws1": []}, (), (CHAIN, {}), NEW)
    entry = plan.moves[0].as_dict()
    assert entry["bytes"] == 20 + 100 + 1000 == plan.bytes_to_move
    assert [(p["path"], p["bytes"], p["copied_by"]) for p in entry["parents"]] == [
        ("D:\\v\\root.vhdx", 1000, "Move-VM"), ("D:\\v\\base.vhdx", 100, "Move-VM")]
    assert plan.copied_first == [], "Hyper-V moves them: nothing is copied before the move"


def test_a_storage_move_lists_the_parents_move_vmstorage_copies() -> None:
    handling = ParentHandling(True, "E:\\VMs\\ws1", mover="Move-VMStorage")
    plan = plan_storage_move(["ws1"], {"ws1": WS1}, "E:\\VMs\\ws1")
    there = {"e:\\vms\\ws1\\root.vhdx": _file("E:\\VMs\\ws1\\root.vhdx", None, "root")}  # already beside
    plan_storage_parents(plan, (CHAIN, there), handling, "hv1")
    entry = plan.moves[0].as_dict()
    assert [(p["path"], p["destination_path"], p["copied_by"]) for p in entry["parents"]] == [
        ("D:\\v\\base.vhdx", "E:\\VMs\\ws1\\base.vhdx", "Move-VMStorage")]
    assert entry["bytes"] == 20 + 100 == plan.bytes_to_move and plan.problems == []
    old = plan_storage_move(["ws1"], {"ws1": WS1}, "E:\\VMs\\ws1")
    plan_storage_parents(old, (CHAIN, {}), OLD, "hv1")
    assert old.moves[0].parents == [], "Windows Server 2012 leaves the parents where they are"


def test_one_problem_and_one_fix_for_a_different_file_where_the_parent_goes() -> None:
    """Compare-VM's own finding about that path is not a second, contradicting problem; no merge is suggested."""
    other = {"e:\\vms\\ws1\\base.vhdx": _file("E:\\VMs\\ws1\\base.vhdx", None, "someone-else")}
    report = [(40041, "The file 'E:\\VMs\\ws1\\base.vhdx' already exists on 'HV3'.")]
    source = HostFacts("hv1", True, "Kerberos", (), {"ws1": "id-ws1"}, os_version="10.0.26100")
    plan = plan_migration(["ws1"], {"ws1": WS1}, source, host("hv3"), {}, {"ws1": report}, (), (CHAIN, other), NEW)
    assert len(plan.problems) == 1, plan.problems
    assert "different disk" in plan.problems[0].what and "destination_path" in plan.problems[0].fix
    assert all("merge" not in p.fix.lower() for p in plan.problems)
    assert "merge" not in compatibility_problems(WS1, [(40036, "The parent 'X' does not exist")])[0].fix.lower()


def test_a_parent_the_task_copies_is_not_a_compatibility_problem() -> None:
    report = [(40010, "The parent 'D:\\v\\base.vhdx' of 'D:\\v\\ws1.vhdx' does not exist on the destination")]
    assert compatibility_problems(WS1, report, ["D:\\v\\base.vhdx"]) == []
    assert len(compatibility_problems(WS1, report)) == 1


def test_configuration_version_and_processors_come_from_the_destination_itself() -> None:
    """Known while Compare-VM cannot run (migrations off): every check that can run does."""
    vm = VmFacts("app1", "id", "Off", "D:\\v", (), 0, version="12.0", processor_count=16)
    destination = HostFacts("hv3.lab.test", False, "Kerberos", ("External",), {}, logical_processors=8,
                            configuration_versions=("9.0", "10.0"))
    plan = plan_migration(["app1"], {"app1": vm}, host("hv1.lab.test", enabled=False), destination, {}, {})
    whats = " ".join(p.what for p in plan.problems)
    assert "not enabled on hv1.lab.test" in whats and "not enabled on hv3.lab.test" in whats
    version = next(p for p in plan.problems if "configuration version 12.0" in p.what)
    assert "runs at most 10.0" in version.what and "roles/replica" in version.fix and "upgrade hv3.lab.test" in version.fix
    assert any("16 virtual processors" in p.what for p in plan.problems)


def test_an_access_denied_share_points_to_hyperv_smb_share() -> None:
    report = [(40042, "Account 'LAB\\HV2$' does not have permission to open attachment '\\\\fs1\\VM\\a.vhdx'. "
                      "Error: 'General access denied error' (0x80070005).")]
    assert "hyperv_smb_share" in compatibility_problems(WS1, report)[0].fix


HOSTS = [HostFacts(n, True, "Kerberos", (), {}) for n in ("hv1.lab.test", "hv2.lab.test")]


def test_no_credentials_for_an_ntlm_session_asks_for_protocol_transition_not_more_delegation() -> None:
    """0x8009030E on an NTLM session: the delegation is there, Kerberos-only; the fix is protocol transition."""
    error = HyperVError("hv1", "No credentials are available in the security package (0x8009030E)")
    ntlm = session_problem(error, *HOSTS, "ntlm")
    assert "NTLM" in ntlm.fix and "protocol: any" in ntlm.fix and "live_migration_delegation_protocol" in ntlm.fix
    kerberos = session_problem(error, *HOSTS, "kerberos")
    assert "constrained delegation" in kerberos.fix and "protocol: any" not in kerberos.fix


def test_0x8009030d_between_workgroup_hosts_points_to_credssp_only() -> None:
    error = HyperVError("wg1", "Failed to establish a connection with host 'wg2': The credentials supplied to the "
                               "package were not recognized (0x8009030D).", command="Compare-VM")
    workgroup = [HostFacts(n, True, "CredSSP", (), {}, domain_member=False) for n in ("wg1", "wg2")]
    problem = session_problem(error, *workgroup)
    assert problem.what.startswith("wg1 cannot start a migration to wg2")
    assert "auth=credssp" in problem.fix and "credssp_server" in problem.fix and "management_client" in problem.fix
    assert "delegation" not in problem.fix and "kerberos" not in problem.fix.lower() and "hyperv_spn" not in problem.fix
    domain = [HostFacts(n, True, "CredSSP", (), {}) for n in ("hv1.lab.test", "hv2.lab.test")]
    assert "hyperv_spn" in session_problem(error, *domain).fix


def test_a_name_two_vms_share_is_a_problem_for_names_and_patterns_that_select_it() -> None:
    vms = [("app1", "id-1"), ("APP1", "id-2"), ("web1", "id-3")]
    for names in (["app1"], ["App*"], ["web1", "app1"]):
        problems = shared_name_problems(names, vms, "hv1.lab.test")
        assert len(problems) == 1 and "hv1.lab.test has 2 VMs named 'app1' (Ids id-1, id-2)" in str(problems[0])
    assert shared_name_problems(["web1"], vms, "hv1.lab.test") == []
