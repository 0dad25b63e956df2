"""The _info modules against hvsim's lab3: what they report equals the simulated world's state, a name with wildcard
characters finds only itself (a pattern option finds several), a missing object is an empty list, check mode
changes nothing, and each module's EXAMPLES run."""

from __future__ import annotations

import typing as t

from harness import run_playbook
from test_hyperv_replica import prepared
from test_hyperv_vm import example_tasks

from hvsim.world.hyperv_adapters import management_adapters

DISKS = "D:\\Hyper-V\\Virtual Hard Disks"
ODD = "Lab [A]*?"  # every character Get-*-Name would take as a wildcard


def info(estate: t.Any, module: str, host: str = "hv1", check: bool = False, **args: t.Any) -> dict[str, t.Any]:
    run = run_playbook(estate, [{"name": "info", f"winvirt.hyperv.{module}": args, "register": "out"}], host=host,
                       check=check)
    assert run.rc == 0, run.stdout
    result = run.result("info")
    assert result["changed"] is False
    return result


def made(estate: t.Any, tasks: list[dict[str, t.Any]], host: str = "hv1") -> None:
    run = run_playbook(estate, tasks, host=host)
    assert run.rc == 0, run.stdout


def hv(estate: t.Any, machine: str = "hv1") -> t.Any:
    return estate.world.machine(machine).hyperv


# -- hyperv_switch_info ---------------------------------------------------------------------------

def world_switches(estate: t.Any, machine: str = "hv1") -> dict[str, t.Any]:
    return {s.name: s for s in hv(estate, machine).switches.values()}


def test_switch_info_reports_the_world(lab3: t.Any) -> None:
    made(lab3, [{"name": "odd", "winvirt.hyperv.hyperv_switch": {"name": ODD, "switch_type": "internal",
                                                                 "management_vlan": {"id": 30}}},
                {"name": "plain", "winvirt.hyperv.hyperv_switch": {"name": "Lab A", "switch_type": "private"}}])
    before = lab3.snapshot()
    result = info(lab3, "hyperv_switch_info", check=True)
    assert lab3.snapshot() == before, "an info module changed the world"
    world = world_switches(lab3)
    assert sorted(s["name"] for s in result["switches"]) == sorted(world), result
    vlans = {a.name: a.vlan for a in management_adapters(lab3.world.machine("hv1"))}
    for entry in result["switches"]:
        switch = world[entry["name"]]
        assert (entry["id"], entry["switch_type"], entry["allow_management_os"] or switch.switch_type == "Internal") == \
            (switch.id, switch.switch_type.lower(), switch.allow_management_os or switch.switch_type == "Internal")
        assert entry["net_adapter_description"] == switch.net_adapter_description
        for adapter in entry["management_adapters"]:
            vlan = vlans[adapter["name"]]
            assert adapter["vlan"] == ({"mode": "access", "id": vlan.access_id} if vlan.mode == "Access"
                                       else {"mode": "untagged", "id": None})
        vm_adapters = sorted((vm.name, a.name) for vm in hv(lab3).vms.values() for a in vm.adapters
                             if a.switch_name == entry["name"])
        assert sorted((a["vm_name"], a["name"]) for a in entry["vm_adapters"]) == vm_adapters
    odd = next(s for s in result["switches"] if s["name"] == ODD)
    assert odd["management_vlan"] == {"mode": "access", "id": 30} and odd["switch_type"] == "internal"
    assert result["round_trips"] == 1


def test_switch_info_exact_name_pattern_and_missing(lab3: t.Any) -> None:
    made(lab3, [{"name": "odd", "winvirt.hyperv.hyperv_switch": {"name": ODD, "switch_type": "private"}},
                {"name": "plain", "winvirt.hyperv.hyperv_switch": {"name": "Lab A", "switch_type": "private"}}])
    assert [s["name"] for s in info(lab3, "hyperv_switch_info", name=ODD)["switches"]] == [ODD]
    assert [s["name"] for s in info(lab3, "hyperv_switch_info", name_pattern="Lab*")["switches"]] == \
        sorted((n for n in world_switches(lab3) if n.startswith("Lab")), key=str.lower)
    assert info(lab3, "hyperv_switch_info", name="vNet-*")["switches"] == []
    assert info(lab3, "hyperv_switch_info", name="nothere")["switches"] == []


# -- hyperv_checkpoint_info -----------------------------------------------------------------------

def test_checkpoint_info_reports_the_world(lab3: t.Any) -> None:
    made(lab3, [{"name": "vm", "winvirt.hyperv.hyperv_vm": {"name": ODD}},
                {"name": "cp1", "winvirt.hyperv.hyperv_checkpoint": {"vm_name": ODD, "name": "one",
                                                                     "checkpoint_type": "standard"}},
                {"name": "cp2", "winvirt.hyperv.hyperv_checkpoint": {"vm_name": ODD, "name": "two",
                                                                     "checkpoint_type": "standard"}},
                {"name": "other", "winvirt.hyperv.hyperv_vm": {"name": "Lab A"}}])
    before = lab3.snapshot()
    result = info(lab3, "hyperv_checkpoint_info", check=True)
    assert lab3.snapshot() == before
    vms = {vm.id: vm for vm in hv(lab3).vms.values()}
    assert sorted(v["vm_id"] for v in result["vms"]) == sorted(vms)
    for entry in result["vms"]:
        vm = vms[entry["vm_id"]]
        assert (entry["vm_name"], entry["vm_state"], entry["checkpoint_type"]) == (vm.name, vm.state, vm.checkpoint_type)
        assert sorted((c["id"], c["name"], c["parent_id"], c["is_current"]) for c in entry["checkpoints"]) == \
            sorted((c.id, c.name, c.parent_id, c.id == vm.current_checkpoint) for c in vm.checkpoints.values())
    exact = info(lab3, "hyperv_checkpoint_info", vm_name=ODD)["vms"]
    assert [v["vm_name"] for v in exact] == [ODD]
    one, two = sorted(exact[0]["checkpoints"], key=lambda c: c["name"])
    assert two["parent_id"] == one["id"] and two["is_current"] and not one["is_current"]
    assert [v["vm_name"] for v in info(lab3, "hyperv_checkpoint_info", vm_name_pattern="Lab*")["vms"]] == \
        sorted([ODD, "Lab A"], key=str.lower)
    named = info(lab3, "hyperv_checkpoint_info", name="two", vm_name_pattern="Lab*")["vms"]
    assert {v["vm_name"]: [c["name"] for c in v["checkpoints"]] for v in named} == {ODD: ["two"], "Lab A": []}
    assert info(lab3, "hyperv_checkpoint_info", vm_name="web*")["vms"] == []


# -- hyperv_vhd_info ------------------------------------------------------------------------------

def test_vhd_info_reports_chains_exact_paths_and_missing_files(lab3: t.Any) -> None:
    folder = f"{DISKS}\\Lab [A]"  # file names cannot hold * or ?; [ ] are wildcards to -Path, not to -LiteralPath
    base, child = f"{folder}\\base [1].vhdx", f"{folder}\\child [2].vhdx"
    made(lab3, [{"name": "base", "winvirt.hyperv.hyperv_vhd": {"path": base, "size": "1GB"}},
                {"name": "child", "winvirt.hyperv.hyperv_vhd": {"path": child, "type": "differencing",
                                                                "parent_path": base}}])
    fs = lab3.world.machine("hv1").fs
    before = lab3.snapshot()
    result = info(lab3, "hyperv_vhd_info", check=True, path=[child, f"{folder}\\nothere.vhdx"], folder=folder)
    assert lab3.snapshot() == before
    assert result["folder_exists"] is True
    assert [d["path"] for d in result["disks"]] == [child, f"{folder}\\nothere.vhdx", base]
    leaf, missing, parent = result["disks"]
    assert missing == {"path": f"{folder}\\nothere.vhdx", "missing": True, "chain": []}
    assert [link["path"] for link in leaf["chain"]] == [child, base]
    for entry in (leaf, parent):
        world = fs.get(entry["path"])
        assert (entry["type"], entry["size"], entry["file_size"], entry["parent_path"]) == \
            (world.vhd.vhd_type.lower(), world.vhd.size, world.size, world.vhd.parent_path)
    fs.remove(base)  # the chain now breaks at its parent
    broken = info(lab3, "hyperv_vhd_info", path=[child])["disks"][0]
    assert broken["chain"][-1] == {"path": base, "missing": True}
    absent = info(lab3, "hyperv_vhd_info", folder=f"{DISKS}\\nothere")
    assert absent["folder_exists"] is False and absent["disks"] == []


# -- hyperv_smb_share_info ------------------------------------------------------------------------

def test_smb_share_info_reports_the_world(lab3: t.Any) -> None:
    # share names cannot hold * ? [ ] (Windows refuses them), so "L*" as a name must find nothing although Layers exists
    made(lab3, [{"name": "share", "winvirt.hyperv.hyperv_smb_share": {
        "name": "Images", "path": "E:\\Shares\\Images", "description": "ISO files", "read_access": ["LAB\\HV1$"],
        "change_access": ["LAB\\Domain Admins"]}}], host="fs1")
    before = lab3.snapshot()
    result = info(lab3, "hyperv_smb_share_info", host="fs1", check=True)
    assert lab3.snapshot() == before
    shares = lab3.world.machine("fs1").smb.shares
    assert sorted(s["name"] for s in result["shares"]) == sorted(s.name for s in shares.values())
    for entry in result["shares"]:
        share = next(s for s in shares.values() if s.name == entry["name"])
        assert (entry["path"], entry["description"], entry["special"]) == (share.path, share.description, share.special)
        assert (entry["full_access"], entry["change_access"], entry["read_access"], entry["no_access"]) == \
            (share.full_access, share.change_access, share.read_access, share.no_access)
    images = info(lab3, "hyperv_smb_share_info", host="fs1", name="Images")["shares"]
    assert [(s["name"], s["read_access"], s["change_access"]) for s in images] == \
        [("Images", ["LAB\\HV1$"], ["LAB\\Domain Admins"])]
    assert info(lab3, "hyperv_smb_share_info", host="fs1", name="L*")["shares"] == []
    assert [s["name"] for s in info(lab3, "hyperv_smb_share_info", host="fs1", name_pattern="L*")["shares"]] == ["Layers"]
    assert info(lab3, "hyperv_smb_share_info", host="fs1", name="nothere")["shares"] == []


# -- hyperv_replica_info --------------------------------------------------------------------------

def test_replica_info_reports_both_sides_with_recovery_points(lab3: t.Any) -> None:
    prepared(lab3, recovery_points=2)
    lab3.advance_clock(2 * 3600 + 600)  # hourly points at +1 h and +2 h besides the latest (hvsim DESIGN.md)
    before = lab3.snapshot()
    primary = info(lab3, "hyperv_replica_info", check=True)
    replica = info(lab3, "hyperv_replica_info", host="hv2", vm_name="app1")
    assert lab3.snapshot() == before
    for result, machine in ((primary, "hv1"), (replica, "hv2")):
        state = hv(lab3, machine).replica
        server = state.server
        assert result["host"] == lab3.world.machine(machine).fqdn
        assert result["server"]["enabled"] is server.enabled
        assert (result["server"]["default_storage_location"], result["server"]["allow_any_server"],
                result["server"]["kerberos_port"]) == (server.default_storage, server.allow_any, server.kerberos_port)
        assert sorted(r["vm_id"] for r in result["replications"]) == sorted(state.relationships)
        for entry in result["replications"]:
            side = state.relationships[entry["vm_id"]]
            assert (entry["mode"], entry["state"], entry["health"], entry["primary_server"], entry["replica_server"],
                    entry["pending_size"], entry["settings"]["recovery_points"]) == \
                (side.mode, side.state, side.health, side.primary, side.replica, side.pending_bytes, side.recovery_history)
            vm = hv(lab3, machine).vms[entry["vm_id"]]
            points = sorted(c.id for c in vm.checkpoints.values() if c.snapshot_type in ("Replica", "AppConsistentReplica"))
            assert sorted(p["id"] for p in entry["recovery_points"]) == points
    assert replica["replications"][0]["mode"] == "Replica" and len(replica["replications"][0]["recovery_points"]) == 3
    assert primary["replications"][0]["recovery_points"] == []
    assert info(lab3, "hyperv_replica_info", host="hv2", vm_name="app*")["replications"] == []
    assert [r["vm_name"] for r in info(lab3, "hyperv_replica_info", host="hv2", vm_name_pattern="app*")["replications"]] == ["app1"]
    assert info(lab3, "hyperv_replica_info", host="hv3")["replications"] == []


# -- every module's EXAMPLES ----------------------------------------------------------------------

def test_examples_run(lab3: t.Any) -> None:
    tasks = [*example_tasks("hyperv_switch_info", DISKS), *example_tasks("hyperv_checkpoint_info", DISKS),
             *example_tasks("hyperv_vhd_info", DISKS), *example_tasks("hyperv_replica_info", DISKS)]
    run = run_playbook(lab3, tasks)
    assert run.rc == 0, run.stdout
    assert [r["status"] for r in run.results].count("failed") == 0 and len(run.results) == len(tasks)
    shares = example_tasks("hyperv_smb_share_info", DISKS)
    run = run_playbook(lab3, shares, host="fs1")
    assert run.rc == 0 and len(run.results) == len(shares), run.stdout
