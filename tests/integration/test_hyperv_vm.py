"""hyperv_vm against hvsim: create, re-run, check mode, diff, update, restart rules, delete, bad input, hostile names."""

from __future__ import annotations

import importlib
import json
import re
import typing as t

import yaml

from harness import run_playbook

VM = "winvirt.hyperv.hyperv_vm"
SWITCH = "vNet-LAN50"


# -- the simulated world, read directly (one place to adapt if the world model's names move) -----------------
def world_vms(estate: t.Any, machine: str = "hv1") -> list[t.Any]:
    vms = estate.world.machine(machine).hyperv.vms
    return list(vms.values() if isinstance(vms, dict) else vms)


def world_vm(estate: t.Any, name: str, machine: str = "hv1") -> t.Any:
    """The simulated VM named exactly ``name`` (None if there is none)."""
    found = [vm for vm in world_vms(estate, machine) if vm.name == name]
    assert len(found) <= 1, f"{len(found)} VMs named {name!r} in the world"
    return found[0] if found else None


def world_file_exists(estate: t.Any, path: str, machine: str = "hv1") -> bool:
    fs = estate.world.machine(machine).fs
    return bool(fs.exists(path))


def disk_dir(estate: t.Any, host: str = "hv1") -> str:
    """The host's default folder for virtual hard disks, as hyperv_host_info reports it."""
    info = run_playbook(estate, [{"name": "info", "winvirt.hyperv.hyperv_host_info": {}, "register": "out"}], host=host)
    assert info.rc == 0, info.stdout
    return str(info.result("info")["settings"]["virtual_hard_disk_path"]).rstrip("\\")


def task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, VM: args, "register": "out"}


def calls(estate: t.Any, command: str) -> list[dict[str, t.Any]]:
    return [c for c in estate.call_log() if c["command"] == command and c["machine"] == "hv1"]


# -- tests ------------------------------------------------------------------------------------------------
def test_vm_lifecycle(lab3) -> None:
    disk = disk_dir(lab3) + "\\it-web1-os.vhdx"
    create = [task("create", name="it-web1", generation=2, processor_count=2,
                   memory={"startup_mb": 2048, "dynamic": True, "minimum_mb": 1024, "maximum_mb": 4096},
                   firmware={"secure_boot": True, "secure_boot_template": "MicrosoftUEFICertificateAuthority"},
                   disks=[{"path": disk, "size": "20GB"}],
                   network_adapters=[{"name": "LAN", "switch": SWITCH, "vlan": {"mode": "access", "id": 20}}],
                   notes="integration", state="running")]

    before = lab3.snapshot()
    checked = run_playbook(lab3, create, check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = checked.result("create")
    assert result["changed"] is True and result["round_trips"] == 1
    assert result["diff"]["before"] == {"name": "it-web1", "state": "absent"}
    assert result["diff"]["after"]["processor_count"] == 2 and result["diff"]["after"]["state"] == "Running"
    assert lab3.snapshot() == before, "check mode changed the world"

    first = run_playbook(lab3, create)
    assert first.rc == 0, first.stdout
    result = first.result("create")
    assert result["changed"] is True and result["round_trips"] == 2
    vm = world_vm(lab3, "it-web1")
    assert vm is not None and vm.processor_count == 2 and vm.notes == "integration"
    assert str(vm.state).lower().endswith("running")
    assert world_file_exists(lab3, disk)
    assert result["vm"]["network_adapters"] == [{"name": "LAN", "switch": SWITCH, "mac_address": result["vm"]["network_adapters"][0]["mac_address"],
                                                 "dynamic_mac": True, "vlan": {"mode": "access", "id": 20, "allowed": [], "native_id": None},
                                                 "mac_address_spoofing": False,
                                                 "ip_addresses": []}], "a new VM's guest reports no address"
    assert result["vm"]["memory"] == {"startup_mb": 2048, "dynamic": True, "minimum_mb": 1024, "maximum_mb": 4096,
                                      "buffer_percent": result["vm"]["memory"]["buffer_percent"]}
    assert result["vm"]["firmware"]["secure_boot_template"] == "MicrosoftUEFICertificateAuthority"

    again = run_playbook(lab3, create)
    assert again.rc == 0, again.stdout
    assert again.result("create")["changed"] is False, again.result("create")["changes"]
    assert again.result("create")["round_trips"] == 1

    update = run_playbook(lab3, [task("update", name="it-web1", notes="changed", automatic_start_action="start")], diff=True)
    result = update.result("update")
    assert result["changed"] is True and result["round_trips"] == 2
    assert result["diff"]["before"]["notes"] == "integration" and result["diff"]["after"]["notes"] == "changed"
    assert world_vm(lab3, "it-web1").notes == "changed"

    removed = run_playbook(lab3, [task("remove", name="it-web1", state="absent")])
    assert removed.rc == 0, removed.stdout
    assert removed.result("remove")["kept_files"] and world_vm(lab3, "it-web1") is None
    assert world_file_exists(lab3, disk), "absent must keep disk files unless remove_disks"
    assert run_playbook(lab3, [task("remove", name="it-web1", state="absent")]).result("remove")["changed"] is False


def test_remove_disks_deletes_the_files(lab3) -> None:
    disk = disk_dir(lab3) + "\\it-gone.vhdx"
    made = run_playbook(lab3, [task("create", name="it-gone", disks=[{"path": disk, "size": "1GB"}])])
    assert made.rc == 0, made.stdout
    assert world_file_exists(lab3, disk)
    removed = run_playbook(lab3, [task("remove", name="it-gone", state="absent", remove_disks=True)])
    assert removed.result("remove")["removed_files"] == [disk]
    assert not world_file_exists(lab3, disk) and world_vm(lab3, "it-gone") is None


def test_cpu_change_on_running_vm_needs_allow_restart(lab3) -> None:
    made = run_playbook(lab3, [task("create", name="it-cpu", processor_count=1, state="running")])
    assert made.rc == 0, made.stdout
    before = lab3.snapshot()
    refused = run_playbook(lab3, [task("cpu", name="it-cpu", processor_count=4)])
    assert refused.rc != 0
    msg = refused.result("cpu")["msg"]
    assert "processor count 1 -> 4" in msg and "allow_restart" in msg and lab3.address("hv1") in msg
    assert lab3.snapshot() == before, "a refused change touched the world"

    allowed = run_playbook(lab3, [task("cpu", name="it-cpu", processor_count=4, allow_restart=True)])
    result = allowed.result("cpu")
    assert allowed.rc == 0, allowed.stdout
    assert result["changed"] is True and result["round_trips"] == 2
    assert result["changes"] == ["shut down the VM", "processor count 1 -> 4", "start the VM"]
    vm = world_vm(lab3, "it-cpu")
    assert vm.processor_count == 4 and str(vm.state).lower().endswith("running")


def test_power_states(lab3) -> None:
    assert run_playbook(lab3, [task("create", name="it-power")]).rc == 0
    for state, expected in (("running", "running"), ("paused", "paused"), ("saved", "saved"),
                            ("running", "running"), ("stopped", "off")):
        run = run_playbook(lab3, [task(state, name="it-power", state=state)])
        assert run.rc == 0, run.stdout
        assert run.result(state)["changed"] is True
        assert str(world_vm(lab3, "it-power").state).lower().endswith(expected)
        assert run_playbook(lab3, [task(state, name="it-power", state=state)]).result(state)["changed"] is False
    restarted = run_playbook(lab3, [task("restart", name="it-power", state="restarted")])
    assert restarted.result("restart")["changed"] is True


def test_restart_goes_through_the_guest_and_a_hard_reset_only_when_asked(lab3) -> None:
    """Restart-VM is "a 'hard' restart, like powering the computer down" (Microsoft Learn): state=restarted shuts
    the guest down and starts the VM; only shutdown_method=turn_off resets it."""
    web1 = world_vm(lab3, "web1")
    restarted = run_playbook(lab3, [task("restart", name="web1", state="restarted")])
    assert restarted.rc == 0, restarted.stdout
    assert restarted.result("restart")["changed"] is True and restarted.result("restart")["stopped_by"] == "guest shutdown"
    assert web1.state == "Running" and web1.last_stop == "shutdown", "the guest shut down cleanly"
    assert calls(lab3, "Restart-VM") == []

    reset = run_playbook(lab3, [task("reset", name="web1", state="restarted", shutdown_method="turn_off")])
    assert reset.rc == 0, reset.stdout
    assert web1.state == "Running" and web1.last_stop == "power_off" and len(calls(lab3, "Restart-VM")) == 1


def test_a_guest_that_does_not_shut_down_is_turned_off_and_the_result_says_so(lab3) -> None:
    """Stop-VM -Force writes an error and only then turns the VM off (the Hyper-V module's StopVM.ShutDown); under
    ErrorAction Stop it stays on, so the module turns it off itself and reports it."""
    web1 = world_vm(lab3, "web1")
    with lab3.world.lock:
        web1.guest_shutdown = "hangs"
    stopped = run_playbook(lab3, [task("stop", name="web1", state="stopped")])
    assert stopped.rc == 0, stopped.stdout
    result = stopped.result("stop")
    assert web1.state == "Off" and web1.last_stop == "power_off"
    assert result["stopped_by"] == "turn off" and result["vm"]["state"] == "Off"
    assert any("did not shut down" in w and "turned off" in w for w in result.get("warnings", [])), result
    stops = calls(lab3, "Stop-VM")
    assert [c["parameters"].get("TurnOff", False) for c in stops] == [False, True], stops


def test_generation_2_refuses_a_vhd_before_connecting(lab3) -> None:
    before = lab3.snapshot()
    run = run_playbook(lab3, [task("gen2", name="it-gen2", generation=2, disks=[{"path": "C:\\x.vhd", "size": "1GB"}])])
    assert run.rc != 0 and "VHDX only" in run.result("gen2")["msg"]
    assert lab3.snapshot() == before and calls(lab3, "New-VM") == []


def test_unknown_switch_lists_the_existing_ones(lab3) -> None:
    run = run_playbook(lab3, [task("nic", name="it-nic", network_adapters=[{"name": "LAN", "switch": "No Such Switch"}])])
    assert run.rc != 0
    msg = run.result("nic")["msg"]
    assert "No Such Switch" in msg and f"'{SWITCH}'" in msg
    assert world_vm(lab3, "it-nic") is None, "the VM was created although its switch does not exist"


def test_bad_memory_is_refused(lab3) -> None:
    for memory, words in (({"startup_mb": -512}, "at least 32"), ({"startup_mb": 8}, "at least 32"),
                          ({"startup_mb": 1024, "dynamic": True, "minimum_mb": 2048}, "above startup_mb")):
        run = run_playbook(lab3, [task("mem", name="it-mem", memory=memory)])
        assert run.rc != 0 and words in run.result("mem")["msg"]
    assert world_vm(lab3, "it-mem") is None and calls(lab3, "New-VM") == []


def test_hostile_names_are_plain_values(lab3) -> None:
    others = sorted(vm.name for vm in world_vms(lab3))
    for name in ("x'; Remove-VM *", 'web "1"', "vm-ü"):
        run = run_playbook(lab3, [task("create", name=name, notes=name)])
        assert run.rc == 0, run.stdout
        assert world_vm(lab3, name) is not None and world_vm(lab3, name).notes == name
        assert run_playbook(lab3, [task("create", name=name, notes=name)]).result("create")["changed"] is False
    assert set(others) <= {vm.name for vm in world_vms(lab3)}, "a hostile name touched other VMs"
    removed = run_playbook(lab3, [task("remove", name="x'; Remove-VM *", state="absent")])
    assert removed.rc == 0 and world_vm(lab3, "x'; Remove-VM *") is None
    assert set(others) <= {vm.name for vm in world_vms(lab3)}


# -- the modules' EXAMPLES, run as written (paths moved into the host's disk folder) -------------------------
def example_tasks(module: str, folder: str) -> list[dict[str, t.Any]]:
    """The EXAMPLES of ``module`` as tasks, every Windows path moved into ``folder`` (file names kept)."""
    source = importlib.import_module(f"ansible_collections.winvirt.hyperv.plugins.modules.{module}")
    text = json.dumps(yaml.safe_load(source.EXAMPLES))
    moved = re.sub(r'"C:(?:\\\\[^"\\]+)*\\\\([^"\\]+)"', lambda m: json.dumps(f"{folder}\\{m.group(1)}"), text)
    return [{"register": "out", **example} for example in json.loads(moved)]


def world_put_file(estate: t.Any, path: str, machine: str = "hv1") -> None:
    """A plain file (an ISO) on the host's file system."""
    estate.world.machine(machine).fs.write_file(path, b"")


def test_examples_run(lab3) -> None:
    """On hv2, which has no VMs yet: the examples create web1 and router1 and remove a legacy1 that is not there."""
    folder = disk_dir(lab3, "hv2")
    world_put_file(lab3, folder + "\\tools.iso", "hv2")
    parent = [{"name": "parent", "winvirt.hyperv.hyperv_vhd": {"path": folder + "\\win2012.vhd", "size": "1GB"}}]
    run = run_playbook(lab3, [*parent, *example_tasks("hyperv_vm", folder)], host="hv2")
    assert run.rc == 0, run.stdout
    statuses = [r["status"] for r in run.results]
    assert statuses.count("failed") == 0 and len(statuses) == 1 + len(example_tasks("hyperv_vm", folder))
    assert world_vm(lab3, "web1", "hv2").processor_count == 4
    assert world_vm(lab3, "legacy1", "hv2") is None and world_vm(lab3, "router1", "hv2") is not None
