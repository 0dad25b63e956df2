"""Power transitions, VLAN id lists and parsing of the read batch, checked against small models."""

from __future__ import annotations

import typing as t

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_devices import compress_ids
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_power import STABLE_STATES, transition
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_spec import _vlan_ids
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import PARTS, parse_vms, select_vm

# What each cmdlet does to a VM in each state, as Hyper-V behaves; a missing entry is an error.
EFFECT: dict[tuple[str, str], str] = {
    ("Start-VM", "Off"): "Running", ("Start-VM", "Saved"): "Running",
    ("Stop-VM", "Running"): "Off", ("Stop-VM", "Paused"): "Off",
    ("Suspend-VM", "Running"): "Paused", ("Resume-VM", "Paused"): "Running",
    ("Save-VM", "Running"): "Saved", ("Save-VM", "Paused"): "Saved",
    ("Remove-VMSavedState", "Saved"): "Off",
}


def run(state: str, steps: list[t.Any]) -> str:
    for step in steps:
        for command in step.commands:
            cmdlet = command.chain()[-1].cmdlet
            assert (cmdlet, state) in EFFECT, f"{cmdlet} cannot run on a VM that is {state}"
            state = EFFECT[(cmdlet, state)]
    return state


@given(st.sampled_from(STABLE_STATES), st.sampled_from(STABLE_STATES), st.sampled_from(["shutdown", "turn_off"]))
def test_every_transition_ends_in_its_target(current: str, target: str, method: str) -> None:
    steps = transition(lambda: select_vm("web1", "1"), current, target, method)
    assert run(current, steps) == target
    assert (steps == []) == (current == target)


@given(st.sets(st.integers(min_value=1, max_value=4094), min_size=1, max_size=60))
def test_compressed_vlan_lists_expand_to_the_same_ids(ids: set[int]) -> None:
    problems: list[str] = []
    assert set(_vlan_ids(compress_ids(sorted(ids)), "allowed", problems)) == ids and problems == []


def test_compress_ids_makes_ranges() -> None:
    assert compress_ids([7, 1, 2, 3, 9, 10]) == "1-3,7,9-10"


def _rows(**parts: list[dict[str, t.Any]]) -> list[list[t.Any]]:
    rows: list[list[t.Any]] = [parts.pop("vm")]
    for cmdlet, _properties in PARTS:
        rows.append(parts.get(cmdlet.replace("-", "_"), []))
    return rows


def _parent(vm: str, vm_id: str, name: str, adapter_id: str) -> str:
    """A VLAN row's ParentAdapter as it crosses PSRP at depth 1: the adapter's ToString()."""
    return f"VMNetworkAdapter (Name = '{name}', VMName = '{vm}') [Id = '{adapter_id}', VMId = '{vm_id}']"


def test_parse_vms_matches_parts_by_vm_and_vlans_by_adapter_identity() -> None:
    rows = _rows(
        vm=[{"Name": "a", "Id": "A", "State": "Running", "Generation": 2, "ProcessorCount": 2, "Notes": ""},
            {"Name": "b", "Id": "B", "State": "Off", "Generation": 1}],
        Get_VMMemory=[{"VMId": "A", "Startup": 2048 * 1024**2, "DynamicMemoryEnabled": True, "Minimum": 512 * 1024**2,
                       "Maximum": 4096 * 1024**2, "Buffer": 20},
                      {"VMId": "B", "Startup": 1024 * 1024**2, "DynamicMemoryEnabled": False}],
        Get_VMFirmware=[{"VMId": "A", "SecureBoot": "On", "SecureBootTemplate": "MicrosoftWindows"}],
        Get_VMBios=[{"VMId": "B", "StartupOrder": ["CD", "IDE", "LegacyNetworkAdapter", "Floppy"]}],
        Get_VMHardDiskDrive=[{"VMId": "b", "Path": "C:\\b.vhd", "ControllerType": "IDE", "ControllerNumber": 0,
                              "ControllerLocation": 0}],
        Get_VMScsiController=[{"VMId": "A", "ControllerNumber": 0}],
        Get_VMNetworkAdapter=[{"VMId": "A", "Id": "Microsoft:A\\1", "Name": "n1", "SwitchName": "s",
                               "MacAddress": "00155D000001", "DynamicMacAddressEnabled": False},
                              {"VMId": "A", "Id": "Microsoft:A\\2", "Name": "n1", "SwitchName": "s"},
                              {"VMId": "B", "Id": "Microsoft:B\\1", "Name": "n2", "SwitchName": None}],
        # not in the adapters' order, and two adapters of A share a name: only the adapter Id pairs them
        Get_VMNetworkAdapterVlan=[
            {"OperationMode": "Trunk", "AllowedVlanIdList": [30, 10], "NativeVlanId": 1,
             "ParentAdapter": _parent("b", "B", "n2", "Microsoft:B\\1")},
            {"OperationMode": "Untagged", "ParentAdapter": _parent("a", "A", "n1", "Microsoft:A\\2")},
            {"OperationMode": "Access", "AccessVlanId": 20, "ParentAdapter": _parent("a", "A", "n1", "Microsoft:A\\1")}],
    )
    a, b = parse_vms(rows)
    assert (a.startup_mb, a.dynamic_memory, a.minimum_mb, a.maximum_mb, a.buffer_percent) == (2048, True, 512, 4096, 20)
    assert a.secure_boot is True and a.boot_order is None and a.scsi_controllers == 1 and a.disks == []
    assert a.adapters[0].vlan.to_result() == {"mode": "access", "id": 20, "allowed": [], "native_id": None}
    assert a.adapters[1].vlan.to_result()["mode"] == "untagged"
    assert b.boot_order == ["CD", "IDE", "LegacyNetworkAdapter", "Floppy"] and b.secure_boot is None
    assert [d.path for d in b.disks] == ["C:\\b.vhd"]
    assert b.adapters[0].vlan.to_result() == {"mode": "trunk", "id": None, "allowed": [10, 30], "native_id": 1}
    assert a.to_result()["memory"]["startup_mb"] == 2048 and b.to_result()["firmware"]["boot_order"][0] == "CD"


def test_guest_addresses_and_the_replication_role_as_powershell_sends_them() -> None:
    """IPAddresses is a string array: a list, one string when a single item crossed the wire, or nothing."""
    rows = _rows(
        vm=[{"Name": "a", "Id": "A", "State": "Running", "Generation": 2, "ReplicationMode": "Primary"},
            {"Name": "b", "Id": "B", "State": "Off", "Generation": 2}],
        Get_VMNetworkAdapter=[{"VMId": "A", "Id": "Microsoft:A\\1", "Name": "n1", "IPAddresses": ["10.0.0.5", "fe80::1"]},
                              {"VMId": "A", "Id": "Microsoft:A\\2", "Name": "n2", "IPAddresses": "10.0.1.5"},
                              {"VMId": "B", "Id": "Microsoft:B\\1", "Name": "n3", "IPAddresses": None}],
    )
    a, b = parse_vms(rows)
    assert [adapter.to_result()["ip_addresses"] for adapter in a.adapters] == [["10.0.0.5", "fe80::1"], ["10.0.1.5"]]
    assert b.adapters[0].to_result()["ip_addresses"] == []
    assert a.to_result()["replication_mode"] == "Primary" and b.to_result()["replication_mode"] is None
