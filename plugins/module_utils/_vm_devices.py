# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's disks, DVD drive and network adapters: desired vs. current -> changes (pure, no I/O).

FOR INTERNAL COLLECTION USE ONLY.

Every planner takes the VM view ``after`` (a copy the plan keeps up to date, so later changes see
earlier ones and check mode can report the predicted VM) and returns changes plus problems.
Drives are always attached at an explicit controller slot, chosen here when the user gave none,
so the prediction is the result.
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import describe_new, new_vhd_commands, same_path
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_change import Change, Observed, Selector
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_spec import AdapterSpec, DiskSpec, DvdSpec, VlanSpec
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import Adapter, Drive, VmView, from_vm

IDE_SLOTS = [(0, 0), (0, 1), (1, 0), (1, 1)]
SCSI_LOCATIONS = 64
SCSI_CONTROLLERS = 4


def _slot_name(controller_type: str, number: int, location: int) -> str:
    return f"{controller_type} {number}:{location}"


def _occupant(after: VmView, controller_type: str, number: int, location: int) -> Drive | None:
    return next((d for d in [*after.disks, *after.dvd_drives] if d.at(controller_type, number, location)), None)


def _free_slot(after: VmView, controller_type: str, number: int | None, prefer: list[tuple[int, int]] | None = None) -> tuple[int, int] | None:
    if controller_type == "IDE":
        candidates = prefer or IDE_SLOTS
        if number is not None:
            candidates = [slot for slot in candidates if slot[0] == number]
    else:
        candidates = [(number or 0, location) for location in range(SCSI_LOCATIONS)]
    return next((slot for slot in candidates if _occupant(after, controller_type, *slot) is None), None)


def _slot_problem(controller_type: str, number: int, location: int) -> str | None:
    if controller_type == "IDE" and (number, location) not in IDE_SLOTS:
        return f"IDE controller_number is 0 or 1 and controller_location 0 or 1, not {number}:{location}"
    if controller_type == "SCSI" and not (0 <= number < SCSI_CONTROLLERS and 0 <= location < SCSI_LOCATIONS):
        return f"SCSI controller_number is 0 to 3 and controller_location 0 to 63, not {number}:{location}"
    return None


def _scsi_controllers(selector: Selector, after: VmView, number: int) -> list[Change]:
    """Add SCSI controllers until controller ``number`` exists."""
    have = after.scsi_controllers or 0
    if number < have:
        return []
    missing = number + 1 - have
    after.scsi_controllers = number + 1
    return [Change(f"add {missing} SCSI controller(s)", [from_vm(selector(), "Add-VMScsiController") for _number in range(missing)],
                   needs_off=True)]


def _choose_slot(after: VmView, what: str, controller_type: str, number: int | None, location: int | None,
                 problems: list[str], prefer: list[tuple[int, int]] | None = None) -> tuple[int, int] | None:
    if location is None:
        slot = _free_slot(after, controller_type, number, prefer)
        if slot is None:
            problems.append(f"{what}: no free {controller_type} slot" + (f" on controller {number}" if number is not None else ""))
        return slot
    number = number or 0
    bad = _slot_problem(controller_type, number, location)
    if bad:
        problems.append(f"{what}: {bad}")
        return None
    occupant = _occupant(after, controller_type, number, location)
    if occupant is not None:
        problems.append(f"{what}: {_slot_name(controller_type, number, location)} is taken by "
                        f"'{occupant.path or 'an empty DVD drive'}'")
        return None
    return number, location


def plan_disks(selector: Selector, spec_disks: t.Sequence[DiskSpec], after: VmView, observed: Observed) -> tuple[list[Change], list[str]]:
    changes: list[Change] = []
    problems: list[str] = []
    for disk in spec_disks:
        controller_type = disk.controller_type or ("IDE" if after.generation == 1 else "SCSI")
        attached = next((d for d in after.disks if same_path(d.path, disk.path)), None)
        what = f"disk '{disk.path}'"
        if attached is not None:
            wanted = (controller_type, disk.controller_number, disk.controller_location)
            if (disk.controller_type is None or attached.controller_type == controller_type) and \
                    disk.controller_number in (None, attached.controller_number) and \
                    disk.controller_location in (None, attached.controller_location):
                continue
            changes.extend(_move_disk(selector, attached, wanted, after, problems))
            continue
        existing = observed.vhd(disk.path)
        commands: list[Cmd] = []
        if existing is None:
            if disk.vhd_type == "differencing":
                if observed.vhd(disk.parent_path) is None:
                    problems.append(f"{what}: parent '{disk.parent_path}' does not exist on the host")
                    continue
            elif disk.size is None:
                problems.append(f"{what} does not exist; give its size to create it")
                continue
            commands.extend(new_vhd_commands(disk.path, disk.vhd_type, disk.size, disk.parent_path))
        if controller_type == "SCSI":
            changes.extend(_scsi_controllers(selector, after, disk.controller_number or 0))
        slot = _choose_slot(after, what, controller_type, disk.controller_number, disk.controller_location, problems)
        if slot is None:
            continue
        commands.append(from_vm(selector(), "Add-VMHardDiskDrive", {
            "Path": disk.path, "ControllerType": controller_type, "ControllerNumber": slot[0], "ControllerLocation": slot[1]}))
        where = _slot_name(controller_type, *slot)
        created = describe_new(disk.path, disk.vhd_type, disk.size, disk.parent_path) + " and attach it" if existing is None \
            else f"attach disk '{disk.path}'"
        after.disks.append(Drive(disk.path, controller_type, *slot))
        changes.append(Change(f"{created} at {where}", commands, needs_off=controller_type == "IDE"))
    return changes, problems


def _move_disk(selector: Selector, attached: Drive, wanted: tuple[str, int | None, int | None], after: VmView,
               problems: list[str]) -> list[Change]:
    controller_type, number, location = wanted
    changes: list[Change] = []
    if controller_type == "SCSI":
        changes.extend(_scsi_controllers(selector, after, number or 0))
    after.disks.remove(attached)
    slot = _choose_slot(after, f"disk '{attached.path}'", controller_type, number, location, problems)
    if slot is None:
        after.disks.append(attached)
        return changes
    source = {"ControllerType": attached.controller_type, "ControllerNumber": attached.controller_number,
              "ControllerLocation": attached.controller_location}
    move = from_vm(selector(), "Get-VMHardDiskDrive", source).pipe(Cmd("Set-VMHardDiskDrive", {
        "ToControllerType": controller_type, "ToControllerNumber": slot[0], "ToControllerLocation": slot[1]}))
    after.disks.append(Drive(attached.path, controller_type, *slot))
    changes.append(Change(f"move disk '{attached.path}' from "
                          f"{_slot_name(attached.controller_type, attached.controller_number, attached.controller_location)} "
                          f"to {_slot_name(controller_type, *slot)}", [move],
                          needs_off="IDE" in (controller_type, attached.controller_type)))
    return changes


def _dvd_at(selector: Selector, drive: Drive) -> Cmd:
    return from_vm(selector(), "Get-VMDvdDrive", {"ControllerNumber": drive.controller_number,
                                                  "ControllerLocation": drive.controller_location})


def plan_dvd(selector: Selector, dvd: DvdSpec | None, after: VmView, observed: Observed) -> tuple[list[Change], list[str]]:
    if dvd is None:
        return [], []
    problems: list[str] = []
    if dvd.state == "absent":
        changes = [Change(f"remove the DVD drive at {_slot_name(d.controller_type, d.controller_number, d.controller_location)}",
                          [_dvd_at(selector, d).pipe(Cmd("Remove-VMDvdDrive"))], needs_off=d.controller_type == "IDE")
                   for d in after.dvd_drives]
        after.dvd_drives = []
        return changes, problems
    if dvd.path and observed.iso_exists is False:
        return [], [f"the ISO '{dvd.path}' does not exist on the host"]
    controller_type = "IDE" if after.generation == 1 else "SCSI"
    drive = next((d for d in after.dvd_drives
                  if dvd.controller_number in (None, d.controller_number)
                  and dvd.controller_location in (None, d.controller_location)), None)
    if drive is not None:
        if same_path(drive.path or None, dvd.path) or (not drive.path and not dvd.path):
            return [], problems
        what = f"insert '{dvd.path}' into" if dvd.path else "eject the media of"
        change = Change(f"{what} the DVD drive at {_slot_name(drive.controller_type, drive.controller_number, drive.controller_location)}",
                        [_dvd_at(selector, drive).pipe(Cmd("Set-VMDvdDrive", {"Path": dvd.path}))])
        drive.path = dvd.path
        return [change], problems
    changes: list[Change] = []
    if controller_type == "SCSI":
        changes.extend(_scsi_controllers(selector, after, dvd.controller_number or 0))
    slot = _choose_slot(after, "DVD drive", controller_type, dvd.controller_number, dvd.controller_location, problems,
                        prefer=[(1, 0), (1, 1), (0, 0), (0, 1)])
    if slot is None:
        return changes, problems
    params: dict[str, t.Any] = {"ControllerNumber": slot[0], "ControllerLocation": slot[1]}
    if dvd.path:
        params["Path"] = dvd.path
    after.dvd_drives.append(Drive(dvd.path, controller_type, *slot))
    media = f" with '{dvd.path}'" if dvd.path else ""
    changes.append(Change(f"add a DVD drive{media} at {_slot_name(controller_type, *slot)}",
                          [from_vm(selector(), "Add-VMDvdDrive", params)], needs_off=controller_type == "IDE"))
    return changes, problems


def adapter_of(selector: Cmd, name: str) -> Cmd:
    """``<vm> | Get-VMNetworkAdapter`` for the adapter named exactly ``name`` (escaped by ``Cmd``)."""
    return from_vm(selector, "Get-VMNetworkAdapter", {"Name": name})


# The parameter that names the adapter, for cmdlets that take the VM by name (and, where listed in
# _TAKES_VM_AND_ADAPTER_NAME, the VM object) together with the adapter's name (Microsoft's cmdlet reference).
_ADAPTER_NAME = {"Set-VMNetworkAdapterVlan": "VMNetworkAdapterName", "Set-VMNetworkAdapter": "Name",
                 "Connect-VMNetworkAdapter": "Name", "Disconnect-VMNetworkAdapter": "Name"}
_TAKES_VM_AND_ADAPTER_NAME = frozenset({"Set-VMNetworkAdapterVlan", "Set-VMNetworkAdapter"})


def on_adapter(selector: Cmd, name: str, cmdlet: str, parameters: dict[str, t.Any] | None = None) -> Cmd:
    """``cmdlet`` on the VM's adapter named exactly ``name``: one command where the cmdlet takes the VM and the
    adapter's name itself (``Set-VMNetworkAdapterVlan -VMName x -VMNetworkAdapterName n``), else piped from
    ``adapter_of``."""
    direct = from_vm(selector, cmdlet, {_ADAPTER_NAME[cmdlet]: name, **(parameters or {})})
    if not direct.piped or cmdlet in _TAKES_VM_AND_ADAPTER_NAME:
        return direct
    return adapter_of(selector, name).pipe(Cmd(cmdlet, parameters or {}))


def vlan_parameters(vlan: VlanSpec) -> dict[str, t.Any]:
    if vlan.mode == "access":
        return {"Access": True, "VlanId": vlan.vlan_id}
    if vlan.mode == "trunk":
        return {"Trunk": True, "AllowedVlanIdList": compress_ids(vlan.allowed), "NativeVlanId": vlan.native_id or 0}
    return {"Untagged": True}


def compress_ids(ids: t.Sequence[int]) -> str:
    """(1, 2, 3, 7) -> '1-3,7', the form Set-VMNetworkAdapterVlan -AllowedVlanIdList takes."""
    parts: list[str] = []
    ordered = sorted(set(ids))
    start = previous = None
    for value in [*ordered, None]:
        if value is not None and previous is not None and value == previous + 1:
            previous = value
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = value
    return ",".join(parts)


def describe_vlan(vlan: VlanSpec) -> str:
    if vlan.mode == "access":
        return f"access VLAN {vlan.vlan_id}"
    if vlan.mode == "trunk":
        return f"trunk of VLANs {compress_ids(vlan.allowed)} (native {vlan.native_id or 0})"
    return vlan.mode


def _switch_problem(adapter: AdapterSpec, observed: Observed) -> str | None:
    if adapter.switch is None or observed.switch(adapter.switch) is not None:
        return None
    existing = ", ".join(f"'{s}'" for s in observed.switches) or "none"
    return f"network adapter '{adapter.name}': there is no virtual switch named '{adapter.switch}' (the host has: {existing})"


def plan_adapters(selector: Selector, adapters: t.Sequence[AdapterSpec] | None, after: VmView, observed: Observed,
                  creating: bool) -> tuple[list[Change], list[str]]:
    if adapters is None:
        return [], []
    problems = [p for p in (_switch_problem(a, observed) for a in adapters) if p]
    if problems:
        return [], problems
    changes: list[Change] = []
    if creating:
        # New-VM gives a new VM an adapter of its own; the VM gets exactly the adapters listed instead.
        changes.append(Change("remove the adapter New-VM adds, for the listed ones",
                              [from_vm(selector(), "Get-VMNetworkAdapter").pipe(Cmd("Remove-VMNetworkAdapter"))]))
        after.adapters = []
    hot_plug = after.generation == 2
    for spec in adapters:
        switch = observed.switch(spec.switch) if spec.switch else None
        current = after.adapter(spec.name)
        if current is None:
            params: dict[str, t.Any] = {"Name": spec.name}
            if switch and spec.connected:
                params["SwitchName"] = switch
            static = spec.mac_address if spec.mac_address not in (None, "dynamic") else None
            if static:
                params["StaticMacAddress"] = static
            commands = [from_vm(selector(), "Add-VMNetworkAdapter", params)]
            vlan = spec.vlan or VlanSpec("untagged")
            if vlan.mode != "untagged":
                commands.append(on_adapter(selector(), spec.name, "Set-VMNetworkAdapterVlan", vlan_parameters(vlan)))
            if spec.mac_address_spoofing:
                commands.append(on_adapter(selector(), spec.name, "Set-VMNetworkAdapter", {"MacAddressSpoofing": "On"}))
            on = f" on switch '{switch}'" if "SwitchName" in params else " (not connected)"
            tagged = f", {describe_vlan(vlan)}" if vlan.mode != "untagged" else ""
            changes.append(Change(f"add network adapter '{spec.name}'{on}{tagged}", commands,
                                  needs_off=not hot_plug and not creating))
            after.adapters.append(Adapter(spec.name, params.get("SwitchName"), static, static is None, vlan,
                                          bool(spec.mac_address_spoofing)))
            continue
        changes.extend(_update_adapter(selector, spec, switch, current))
    return changes, problems


def _update_adapter(selector: Selector, spec: AdapterSpec, switch: str | None, current: Adapter) -> list[Change]:
    changes = []
    label = f"network adapter '{current.name}'"
    if not spec.connected and current.switch:
        changes.append(Change(f"disconnect {label} from switch '{current.switch}'",
                              [on_adapter(selector(), current.name, "Disconnect-VMNetworkAdapter")]))
        current.switch = None
    elif spec.connected and switch and (current.switch or "").lower() != switch.lower():
        changes.append(Change(f"connect {label} to switch '{switch}'" + (f" (was '{current.switch}')" if current.switch else ""),
                              [on_adapter(selector(), current.name, "Connect-VMNetworkAdapter", {"SwitchName": switch})]))
        current.switch = switch
    if spec.mac_address == "dynamic" and current.dynamic_mac is False:
        changes.append(Change(f"give {label} a dynamic MAC address",
                              [on_adapter(selector(), current.name, "Set-VMNetworkAdapter", {"DynamicMacAddress": True})],
                              needs_off=True))
        current.dynamic_mac = True
    elif spec.mac_address not in (None, "dynamic") and (current.dynamic_mac or (current.mac_address or "").upper() != spec.mac_address):
        changes.append(Change(f"set the MAC address of {label} to {spec.mac_address} (static)",
                              [on_adapter(selector(), current.name, "Set-VMNetworkAdapter", {"StaticMacAddress": spec.mac_address})],
                              needs_off=True))
        current.mac_address, current.dynamic_mac = spec.mac_address, False
    if spec.mac_address_spoofing is not None and spec.mac_address_spoofing != current.mac_address_spoofing:
        # a running VM's adapter takes it (Microsoft's nested virtualization guide sets it on a running VM's adapter)
        state = "On" if spec.mac_address_spoofing else "Off"
        changes.append(Change(f"turn MAC address spoofing of {label} {state.lower()}",
                              [on_adapter(selector(), current.name, "Set-VMNetworkAdapter", {"MacAddressSpoofing": state})]))
        current.mac_address_spoofing = spec.mac_address_spoofing
    if spec.vlan is not None and spec.vlan != current.vlan:
        changes.append(Change(f"set the VLAN of {label} to {describe_vlan(spec.vlan)} (was {describe_vlan(current.vlan)})",
                              [on_adapter(selector(), current.name, "Set-VMNetworkAdapterVlan", vlan_parameters(spec.vlan))]))
        current.vlan = spec.vlan
    return changes
