"""hyperv_vm planning: desired vs. current -> changes and cmdlets, without a host."""

from __future__ import annotations

import typing as t

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import VhdFile, normalize_path
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_change import Observed
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_plan import observe, plan_vm, read_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_spec import SpecError, VlanSpec, build_spec
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import Adapter, Drive, VmView, select_vm

SWITCHES = ["vNet-LAN50", "Internal"]


def spec(**params: t.Any):
    return build_spec({"name": "web1", **params})


def running_vm(**fields: t.Any) -> VmView:
    base = dict(name="web1", id="1111-2222", state="Running", generation=2, version="12.0", path="C:\\VMs\\web1",
                notes="", processor_count=2, startup_mb=2048, dynamic_memory=False, minimum_mb=512, maximum_mb=1048576,
                buffer_percent=20, secure_boot=True, secure_boot_template="MicrosoftWindows",
                automatic_start_action="StartIfRunning", automatic_stop_action="Save", checkpoint_type="Production",
                disks=[Drive("C:\\VMs\\web1\\os.vhdx", "SCSI", 0, 0)], dvd_drives=[], scsi_controllers=1,
                adapters=[Adapter("LAN", "vNet-LAN50", "00155D000001", True, VlanSpec("untagged"))])
    base.update(fields)
    return VmView(**base)


def observed(vm: VmView | None = None, vhds: dict[str, VhdFile] | None = None, iso: bool | None = None) -> Observed:
    return Observed(vms=[vm] if vm else [], switches=SWITCHES, vhds=vhds or {}, iso_exists=iso)


def vhd(path: str, vhd_type: str = "dynamic", parent: str | None = None) -> dict[str, VhdFile]:
    return {normalize_path(path): VhdFile(path, "vhdx", vhd_type, 10 * 1024**3, 4096, None, parent, False)}


def cmdlets(commands: list[Cmd]) -> list[str]:
    return [" | ".join(link.cmdlet for link in c.chain()) for c in commands]


def last(commands: list[Cmd], cmdlet: str) -> Cmd:
    for command in reversed(commands):
        for link in command.chain():
            if link.cmdlet == cmdlet:
                return link
    raise AssertionError(f"no {cmdlet} in {cmdlets(commands)}")


def test_create_sets_everything_asked_in_one_batch() -> None:
    wanted = spec(processor_count=2, memory={"startup_mb": 2048, "dynamic": True, "minimum_mb": 512, "maximum_mb": 4096},
                  disks=[{"path": "C:\\VMs\\web1\\os.vhdx", "size": "40GB"}],
                  network_adapters=[{"name": "LAN", "switch": "vnet-lan50", "vlan": {"mode": "access", "id": 20}}],
                  state="running")
    plan = plan_vm(wanted, observed())
    assert plan.errors == []
    assert cmdlets(plan.commands) == [
        "New-VM", "Set-VMProcessor", "Set-VMMemory", "New-Item", "New-VHD", "Add-VMHardDiskDrive",
        "Get-VMNetworkAdapter | Remove-VMNetworkAdapter", "Add-VMNetworkAdapter", "Set-VMNetworkAdapterVlan", "Start-VM"]
    # the new VM is named by the cmdlets' own parameter, no `Get-VM -Name web1 |` before each
    assert last(plan.commands, "Set-VMProcessor").parameters == {"VMName": "web1", "Count": 2}
    assert last(plan.commands, "Start-VM").parameters == {"Name": "web1"}
    new_vm = last(plan.commands, "New-VM").parameters
    assert new_vm == {"Name": "web1", "Generation": 2, "NoVHD": True, "MemoryStartupBytes": 2048 * 1024**2}
    assert last(plan.commands, "New-Item").parameters == {"ItemType": "Directory", "Path": "C:\\VMs\\web1", "Force": True}
    assert last(plan.commands, "New-VHD").parameters == {"Path": "C:\\VMs\\web1\\os.vhdx", "SizeBytes": 40 * 1024**3,
                                                         "Dynamic": True}
    assert last(plan.commands, "Add-VMNetworkAdapter").parameters == {"VMName": "web1", "Name": "LAN", "SwitchName": "vNet-LAN50"}
    assert last(plan.commands, "Set-VMNetworkAdapterVlan").parameters == {"VMName": "web1", "VMNetworkAdapterName": "LAN",
                                                                          "Access": True, "VlanId": 20}
    assert plan.after is not None and plan.after.state == "Running" and plan.after.processor_count == 2
    assert plan.after.disks == [Drive("C:\\VMs\\web1\\os.vhdx", "SCSI", 0, 0)]


def test_matching_vm_needs_no_change() -> None:
    wanted = spec(processor_count=2, memory={"startup_mb": 2048}, firmware={"secure_boot": True},
                  automatic_stop_action="save", checkpoint_type="production", notes="",
                  disks=[{"path": "c:/vms/WEB1/os.vhdx"}],
                  network_adapters=[{"name": "lan", "switch": "VNET-LAN50", "vlan": {"mode": "untagged"}}],
                  state="running")
    plan = plan_vm(wanted, observed(running_vm()))
    assert plan.errors == [] and plan.commands == [] and plan.changes == []


def test_offline_setting_on_running_vm_fails_naming_it() -> None:
    plan = plan_vm(spec(processor_count=4, notes="x"), observed(running_vm()))
    assert plan.commands == []
    assert len(plan.errors) == 1
    assert "processor count 2 -> 4" in plan.errors[0] and "allow_restart" in plan.errors[0]
    assert "notes" not in plan.errors[0]  # notes change while running


def test_allow_restart_stops_applies_and_starts() -> None:
    plan = plan_vm(spec(processor_count=4, allow_restart=True), observed(running_vm()))
    assert cmdlets(plan.commands) == ["Get-VM | Stop-VM", "Get-VM | Set-VMProcessor", "Get-VM | Start-VM"]
    assert last(plan.commands, "Stop-VM").parameters == {"Force": True}
    assert plan.commands[0].parameters == {"Id": "1111-2222"}, "an existing VM is addressed by its Id"
    assert cmdlets(plan.recovery) == ["Get-VM | Start-VM"] and all(c.missing_ok for c in plan.recovery)
    assert plan.after is not None and plan.after.state == "Running"


def test_paused_vm_returns_to_paused() -> None:
    plan = plan_vm(spec(firmware={"secure_boot": False}, allow_restart=True), observed(running_vm(state="Paused")))
    assert cmdlets(plan.commands) == ["Get-VM | Resume-VM", "Get-VM | Stop-VM", "Get-VM | Set-VMFirmware",
                                      "Get-VM | Start-VM", "Get-VM | Suspend-VM"]
    assert last(plan.commands, "Set-VMFirmware").parameters == {"EnableSecureBoot": "Off"}


def test_stopping_anyway_needs_no_allow_restart() -> None:
    plan = plan_vm(spec(processor_count=4, state="stopped", shutdown_method="turn_off"), observed(running_vm()))
    assert plan.errors == []
    assert cmdlets(plan.commands) == ["Get-VM | Stop-VM", "Get-VM | Set-VMProcessor"]
    assert last(plan.commands, "Stop-VM").parameters == {"TurnOff": True}


def test_restarted_always_changes_and_goes_through_the_guest_unless_asked_to_reset() -> None:
    """Restart-VM is "a 'hard' restart, like powering the computer down" (Microsoft Learn): only turn_off asks it."""
    plan = plan_vm(spec(state="restarted"), observed(running_vm()))
    assert cmdlets(plan.commands) == ["Get-VM | Stop-VM", "Get-VM | Start-VM"]
    assert "TurnOff" not in plan.commands[0].chain()[-1].parameters
    reset = plan_vm(spec(state="restarted", shutdown_method="turn_off"), observed(running_vm()))
    assert cmdlets(reset.commands) == ["Get-VM | Restart-VM"]
    off = plan_vm(spec(state="restarted"), observed(running_vm(state="Off")))
    assert cmdlets(off.commands) == ["Get-VM | Start-VM"]


def test_vm_in_transition_is_refused() -> None:
    plan = plan_vm(spec(state="running"), observed(running_vm(state="Stopping")))
    assert plan.commands == [] and "Stopping" in plan.errors[0]
    settled = plan_vm(spec(processor_count=2), observed(running_vm(state="Starting")))
    assert settled.errors == [] and settled.commands == [], "nothing to do is fine in any state"


def test_generation_2_refuses_vhd_offline_and_on_existing_vm() -> None:
    with pytest.raises(SpecError, match="VHDX only"):
        spec(generation=2, disks=[{"path": "C:\\d.vhd", "size": "1GB"}])
    plan = plan_vm(spec(disks=[{"path": "C:\\d.vhd", "size": "1GB"}]), observed(running_vm(state="Off")))
    assert plan.commands == [] and "VHDX only" in plan.errors[0]
    new = plan_vm(spec(disks=[{"path": "C:\\d.vhd", "size": "1GB"}]), observed())
    assert new.commands == [] and "VHDX only" in new.errors[0], "a new VM is generation 2 by default"


def test_generation_cannot_change() -> None:
    plan = plan_vm(spec(generation=1), observed(running_vm(state="Off")))
    assert plan.commands == [] and "generation 2" in plan.errors[0]


def test_unknown_switch_lists_the_existing_ones() -> None:
    plan = plan_vm(spec(network_adapters=[{"name": "LAN", "switch": "nope"}]), observed(running_vm()))
    assert plan.commands == []
    assert "'nope'" in plan.errors[0] and "'vNet-LAN50', 'Internal'" in plan.errors[0]


@pytest.mark.parametrize("memory, words", [
    ({"startup_mb": -512}, "at least 32"),
    ({"startup_mb": 16}, "at least 32"),
    ({"startup_mb": 1025}, "multiple of 2"),
    ({"startup_mb": 1024, "minimum_mb": 2048, "dynamic": True}, "above startup_mb"),
    ({"startup_mb": 4096, "maximum_mb": 2048, "dynamic": True}, "below startup_mb"),
    ({"buffer_percent": 1, "dynamic": True}, "5 to 2000"),
    ({"dynamic": False, "maximum_mb": 4096}, "dynamic"),
])
def test_bad_memory_is_refused_before_connecting(memory: dict[str, t.Any], words: str) -> None:
    with pytest.raises(SpecError, match=words):
        spec(memory=memory)


def test_memory_checked_against_current_values() -> None:
    plan = plan_vm(spec(memory={"dynamic": True, "maximum_mb": 1024}), observed(running_vm(state="Off")))
    assert plan.commands == [] and "maximum_mb (1024) is below startup_mb (2048)" in plan.errors[0]


def test_dynamic_memory_max_can_grow_while_running() -> None:
    vm = running_vm(dynamic_memory=True, minimum_mb=512, maximum_mb=4096)
    grow = plan_vm(spec(memory={"maximum_mb": 8192, "minimum_mb": 256}), observed(vm))
    assert grow.errors == [] and cmdlets(grow.commands) == ["Get-VM | Set-VMMemory"]
    assert last(grow.commands, "Set-VMMemory").parameters == {"MinimumBytes": 256 * 1024**2, "MaximumBytes": 8192 * 1024**2}
    shrink = plan_vm(spec(memory={"maximum_mb": 3072}), observed(vm))
    assert shrink.commands == [] and "only while it is off" in shrink.errors[0]


def test_scsi_disk_hot_adds_and_ide_disk_needs_off() -> None:
    existing = vhd("C:\\VMs\\data.vhdx")
    plan = plan_vm(spec(disks=[{"path": "C:\\VMs\\data.vhdx"}]), observed(running_vm(), vhds=existing))
    assert plan.errors == [] and cmdlets(plan.commands) == ["Get-VM | Add-VMHardDiskDrive"]
    assert last(plan.commands, "Add-VMHardDiskDrive").parameters == {
        "Path": "C:\\VMs\\data.vhdx", "ControllerType": "SCSI", "ControllerNumber": 0, "ControllerLocation": 1}
    gen1 = running_vm(generation=1, disks=[], scsi_controllers=0, secure_boot=None, secure_boot_template=None)
    ide = plan_vm(spec(disks=[{"path": "C:\\VMs\\data.vhdx"}]), observed(gen1, vhds=existing))
    assert ide.commands == [] and "IDE 0:0" in ide.errors[0]


def test_missing_disk_needs_a_size_and_a_differencing_disk_its_parent() -> None:
    plan = plan_vm(spec(disks=[{"path": "C:\\VMs\\new.vhdx"}]), observed(running_vm()))
    assert "give its size" in plan.errors[0]
    orphan = plan_vm(spec(disks=[{"path": "C:\\VMs\\c.vhdx", "type": "differencing", "parent_path": "C:\\base.vhdx"}]),
                     observed(running_vm()))
    assert "parent 'C:\\base.vhdx' does not exist" in orphan.errors[0]
    child = plan_vm(spec(disks=[{"path": "C:\\VMs\\c.vhdx", "type": "differencing", "parent_path": "C:\\base.vhdx"}]),
                    observed(running_vm(), vhds=vhd("C:\\base.vhdx")))
    assert last(child.commands, "New-VHD").parameters == {"Path": "C:\\VMs\\c.vhdx", "Differencing": True,
                                                          "ParentPath": "C:\\base.vhdx"}


def test_taken_slot_is_refused() -> None:
    plan = plan_vm(spec(disks=[{"path": "C:\\x.vhdx", "size": "1GB", "controller_location": 0}]), observed(running_vm()))
    assert "SCSI 0:0 is taken by 'C:\\VMs\\web1\\os.vhdx'" in plan.errors[0]


def test_scsi_controller_added_when_missing() -> None:
    plan = plan_vm(spec(disks=[{"path": "C:\\x.vhdx", "size": "1GB", "controller_number": 2}], state="stopped"),
                   observed(running_vm(state="Off")))
    assert cmdlets(plan.commands) == ["Get-VM | Add-VMScsiController", "Get-VM | Add-VMScsiController", "New-VHD",
                                      "Get-VM | Add-VMHardDiskDrive"]


def test_dvd_insert_and_eject() -> None:
    vm = running_vm(dvd_drives=[Drive(None, "SCSI", 0, 1)])
    insert = plan_vm(spec(dvd={"path": "C:\\iso\\tools.iso"}), observed(vm, iso=True))
    assert cmdlets(insert.commands) == ["Get-VM | Get-VMDvdDrive | Set-VMDvdDrive"]
    assert last(insert.commands, "Set-VMDvdDrive").parameters == {"Path": "C:\\iso\\tools.iso"}
    missing = plan_vm(spec(dvd={"path": "C:\\iso\\nope.iso"}), observed(vm, iso=False))
    assert "does not exist" in missing.errors[0]
    vm.dvd_drives[0].path = "C:\\iso\\tools.iso"
    eject = plan_vm(spec(dvd={"path": ""}), observed(vm))
    assert last(eject.commands, "Set-VMDvdDrive").parameters == {"Path": None}


def test_adapter_changes_switch_vlan_and_mac() -> None:
    wanted = spec(network_adapters=[{"name": "LAN", "switch": "Internal", "mac_address": "00:15:5d:00:00:99",
                                     "vlan": {"mode": "trunk", "allowed": ["10-12", "20"], "native_id": 10}}],
                  allow_restart=True)
    plan = plan_vm(wanted, observed(running_vm()))
    # the VM by its Id; Set-VMNetworkAdapter(Vlan) take the piped VM and the adapter's name themselves,
    # Connect-VMNetworkAdapter takes no VM object, so its adapter is looked up first
    assert cmdlets(plan.commands) == ["Get-VM | Stop-VM", "Get-VM | Get-VMNetworkAdapter | Connect-VMNetworkAdapter",
                                      "Get-VM | Set-VMNetworkAdapter", "Get-VM | Set-VMNetworkAdapterVlan",
                                      "Get-VM | Start-VM"]
    assert last(plan.commands, "Set-VMNetworkAdapter").parameters == {"Name": "LAN", "StaticMacAddress": "00155D000099"}
    assert last(plan.commands, "Set-VMNetworkAdapterVlan").parameters == {
        "VMNetworkAdapterName": "LAN", "Trunk": True, "AllowedVlanIdList": "10-12,20", "NativeVlanId": 10}


@pytest.mark.parametrize("mac", ["00:15:5D", "zz155D000001", "01155D000001"])
def test_bad_mac_is_refused(mac: str) -> None:
    with pytest.raises(SpecError, match="(?i)mac"):
        spec(network_adapters=[{"name": "LAN", "mac_address": mac}])


@pytest.mark.parametrize("vlan, words", [
    ({"mode": "access"}, "needs id"),
    ({"mode": "access", "id": 4095}, "1 to 4094"),
    ({"mode": "trunk"}, "needs allowed"),
    ({"mode": "trunk", "allowed": ["5-2"]}, "1 to 4094"),
    ({"mode": "untagged", "id": 3}, "takes no id"),
])
def test_bad_vlan_is_refused(vlan: dict[str, t.Any], words: str) -> None:
    with pytest.raises(SpecError, match=words):
        spec(network_adapters=[{"name": "LAN", "vlan": vlan}])


@pytest.mark.parametrize("name", ["x'; Remove-VM *", 'web "1"', "vm-ü", "vm[1]"])
def test_hostile_names_are_values(name: str) -> None:
    wanted = build_spec({"name": name, "processor_count": 2})
    commands = read_commands(wanted)
    first = commands[0]
    bound = [v for link in first.chain() for v in link.parameters.values()]
    assert name in bound, "the name reaches the host as one parameter value"
    if any(c in name for c in "*?[]"):  # Get-VM -Name would take it as a pattern: it goes out escaped
        assert first.bound_parameters()["Name"] == name.replace("[", "`[").replace("]", "`]").replace("*", "`*")
    plan = plan_vm(wanted, observed())
    assert last(plan.commands, "New-VM").parameters["Name"] == name


def test_duplicate_names_are_refused() -> None:
    vms = [running_vm(), running_vm(id="3333", name="WEB1")]
    plan = plan_vm(spec(), Observed(vms=vms, switches=[], vhds={}))
    assert plan.commands == [] and "2 VMs named 'web1'" in plan.errors[0]


def test_absent_keeps_disks_unless_asked() -> None:
    vm = running_vm()
    keep = plan_vm(spec(state="absent"), observed(vm))
    assert cmdlets(keep.commands) == ["Get-VM | Stop-VM", "Get-VM | Remove-VM"]
    assert keep.kept_files == ["C:\\VMs\\web1\\os.vhdx"] and keep.removed_files == []
    remove = plan_vm(spec(state="absent", remove_disks=True), observed(vm))
    assert cmdlets(remove.commands)[-1] == "Remove-Item"
    assert remove.commands[-1].parameters == {"LiteralPath": ["C:\\VMs\\web1\\os.vhdx"]}
    assert plan_vm(spec(state="absent"), observed()).commands == []


def test_observe_reads_rows_in_batch_order() -> None:
    wanted = spec(disks=[{"path": "C:\\a.vhdx"}], dvd={"path": "C:\\x.iso"})
    commands = read_commands(wanted)
    assert [c.cmdlet for c in commands[-3:]] == ["Get-VMSwitch", "Get-VHD", "Test-Path"]
    rows: list[list[t.Any]] = [[] for _command in commands]
    rows[0] = [{"Name": "web1", "Id": "1", "State": "Off", "Generation": 2}]
    rows[-3] = [{"Name": "vNet-LAN50", "SwitchType": "External"}]
    rows[-2] = [{"Path": "C:\\a.vhdx", "VhdFormat": "VHDX", "VhdType": "Dynamic", "Size": 1024}]
    rows[-1] = [True]
    seen = observe(wanted, rows)
    assert seen.switches == ["vNet-LAN50"] and seen.iso_exists is True
    assert seen.vhd("c:\\A.vhdx") is not None and seen.vms[0].state == "Off"


def test_select_vm_by_id_once_known() -> None:
    assert select_vm("web1", "abc").parameters == {"Id": "abc"}
    assert select_vm("web1").parameters == {"Name": "web1"}


# -- properties ----------------------------------------------------------------------------------------------
_memory = st.one_of(
    st.none(),
    st.builds(lambda s: {"startup_mb": s}, st.integers(16, 4096).map(lambda v: v * 2)),
    st.builds(lambda s, lo, hi, b: {"startup_mb": s, "dynamic": True, "minimum_mb": lo, "maximum_mb": hi,
                                    "buffer_percent": b},
              st.just(2048), st.sampled_from([512, 1024, 2048]), st.sampled_from([2048, 8192]), st.integers(5, 100)),
)
_vlan = st.one_of(st.none(), st.just({"mode": "untagged"}),
                  st.builds(lambda i: {"mode": "access", "id": i}, st.integers(1, 4094)),
                  st.builds(lambda ids, n: {"mode": "trunk", "allowed": [str(i) for i in ids], "native_id": n},
                            st.lists(st.integers(1, 4094), min_size=1, max_size=5), st.integers(0, 4094)))
_adapter = st.builds(lambda n, sw, mac, vlan: {"name": n, "switch": sw, "mac_address": mac, "vlan": vlan},
                     st.sampled_from(["LAN", "Trunk", "web \"1\"", "nic[1]"]), st.sampled_from(SWITCHES),
                     st.sampled_from([None, "00155D0000AA", "dynamic"]), _vlan)
_disk = st.builds(lambda n, loc: {"path": f"C:\\VMs\\d{n}.vhdx", "size": "1GB", "controller_location": loc},
                  st.integers(0, 3), st.sampled_from([None, 5, 6]))


@settings(max_examples=300, deadline=None)
@given(processors=st.one_of(st.none(), st.integers(1, 16)), memory=_memory, notes=st.one_of(st.none(), st.text(max_size=10)),
       stop=st.sampled_from([None, "turn_off", "save", "shut_down"]), checkpoint=st.sampled_from([None, "standard", "production"]),
       adapters=st.one_of(st.none(), st.lists(_adapter, max_size=3, unique_by=lambda a: a["name"].lower())),
       disks=st.lists(_disk, max_size=3, unique_by=lambda d: d["path"]),
       dvd=st.sampled_from([None, {"path": "C:\\iso\\a.iso"}, {"path": ""}]),
       generation=st.sampled_from([1, 2]), state=st.sampled_from(["present", "running", "stopped", "paused", "saved"]))
def test_a_created_vm_needs_nothing_on_the_second_run(processors, memory, notes, stop, checkpoint, adapters, disks, dvd,
                                                      generation, state) -> None:
    params = {"processor_count": processors, "memory": memory, "notes": notes, "automatic_stop_action": stop,
              "checkpoint_type": checkpoint, "network_adapters": adapters, "disks": disks, "dvd": dvd,
              "generation": generation, "state": state}
    wanted = spec(**params)
    first = plan_vm(wanted, observed(iso=True))
    assume(not first.errors)
    assert first.after is not None
    made = first.after.copy()
    made.id = "NEW"
    files: dict[str, VhdFile] = {}
    for disk in wanted.disks:
        files.update(vhd(disk.path))
    second = plan_vm(wanted, Observed(vms=[made], switches=SWITCHES, vhds=files, iso_exists=True))
    assert second.errors == [] and second.changes == [], second.changes
