"""A VM's devices: memory, processor, firmware/BIOS, hard disk and DVD drives, SCSI controllers."""

from __future__ import annotations

import typing

from hvsim.contract import CmdletError, Int64, PSOutObject
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.hyperv import (
    CONTROLLER_TYPES,
    MIB,
    VM,
    Drive,
    canonical,
    enum,
    host_of,
    hv_error,
    part_object,
    require_state,
    share_problem,
    vm_of_object,
    vms_from,
)
from hvsim.world.vhd import sync_open_files

BOOT_DEVICES = {"Floppy": 0, "CD": 1, "IDE": 2, "LegacyNetworkAdapter": 3, "NetworkAdapter": 4, "VHD": 5}
IDE_SLOTS = ((0, 0), (0, 1), (1, 0), (1, 1))


def targets(inv: Invocation) -> list[VM]:
    """VMs from -VM / piped VM objects / -VMName (the part cmdlets' common shape)."""
    return vms_from(inv, parameter="VM", name_parameter="VMName")


# -- memory and processor -------------------------------------------------------------------------

def memory_object(machine: typing.Any, vm: VM) -> PSOutObject:
    return part_object("VMMemory", vm, machine, {
        "Startup": Int64(vm.startup), "DynamicMemoryEnabled": vm.dynamic_memory, "Minimum": Int64(vm.minimum),
        "Maximum": Int64(vm.maximum), "Buffer": vm.buffer, "Priority": 50})


@cmdlet("Get-VMMemory")
def get_vm_memory(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        yield memory_object(machine, vm)


@cmdlet("Set-VMMemory")
def set_vm_memory(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        dynamic = inv.get("DynamicMemoryEnabled")
        startup, minimum, maximum = inv.get("StartupBytes"), inv.get("MinimumBytes"), inv.get("MaximumBytes")
        will_be_dynamic = vm.dynamic_memory if dynamic is None else bool(dynamic)
        running = vm.state != "Off"
        if running:
            if dynamic is not None and bool(dynamic) != vm.dynamic_memory:
                require_state(inv, vm, ("Off",), "Memory")
            if startup is not None and startup != vm.startup and vm.dynamic_memory:
                require_state(inv, vm, ("Off",), "Memory")
            if minimum is not None and minimum > vm.minimum:
                require_state(inv, vm, ("Off",), "Memory")
            if maximum is not None and maximum < vm.maximum:
                require_state(inv, vm, ("Off",), "Memory")
        new_startup = startup if startup is not None else vm.startup
        new_min = minimum if minimum is not None else vm.minimum
        new_max = maximum if maximum is not None else vm.maximum
        for value in (new_startup, new_min, new_max):
            if value % (2 * MIB):
                raise CmdletError(hv_error(inv, f"'{vm.name}' failed to modify device 'Memory'. The amount {value} is "
                                                "not a multiple of 2 MB.", "InvalidArgument", "InvalidParameter", vm.name))
        if will_be_dynamic and not new_min <= new_startup <= new_max:
            raise CmdletError(hv_error(
                inv, f"'{vm.name}' failed to modify device 'Memory'. The minimum amount of memory ({new_min // MIB} MB) "
                     f"must not exceed the startup amount ({new_startup // MIB} MB), which must not exceed the maximum "
                     f"({new_max // MIB} MB).", "InvalidArgument", "InvalidParameter", vm.name))
        buffer = inv.get("Buffer")
        if buffer is not None and not 5 <= buffer <= 2000:
            raise CmdletError(hv_error(inv, f"'{vm.name}' failed to modify device 'Memory'. The memory buffer must be "
                                            "between 5 and 2000 percent.", "InvalidArgument", "InvalidParameter", vm.name))
        vm.dynamic_memory, vm.startup, vm.minimum, vm.maximum = will_be_dynamic, new_startup, new_min, new_max
        if buffer is not None:
            vm.buffer = buffer
        if inv.get("Passthru"):
            yield memory_object(machine, vm)


@cmdlet("Get-VMProcessor")
def get_vm_processor(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        yield part_object("VMProcessor", vm, machine, {"Count": vm.processor_count, "Reserve": 0, "Maximum": 100,
                                                       "RelativeWeight": 100, "CompatibilityForMigrationEnabled": False,
                                                       "ExposeVirtualizationExtensions":
                                                           vm.expose_virtualization_extensions})


@cmdlet("Set-VMProcessor")
def set_vm_processor(inv: Invocation) -> None:
    _machine, state = host_of(inv)
    for vm in targets(inv):
        count = inv.get("Count")
        if count is not None and count != vm.processor_count:
            require_state(inv, vm, ("Off",), "Processor")
            if not 1 <= count <= state.host.logical_processors:
                raise CmdletError(hv_error(
                    inv, f"'{vm.name}' failed to modify device 'Processor'. The virtual processor count {count} exceeds "
                         f"the {state.host.logical_processors} logical processors of this host.",
                    "InvalidArgument", "InvalidParameter", vm.name))
            vm.processor_count = count
        if inv.get("CompatibilityForMigrationEnabled") is not None:
            require_state(inv, vm, ("Off",), "Processor")
        expose = inv.get("ExposeVirtualizationExtensions")
        if expose is not None and bool(expose) != vm.expose_virtualization_extensions:
            # Microsoft Learn, "Run Hyper-V in a Virtual Machine with Nested Virtualization": set it while the VM is off
            require_state(inv, vm, ("Off",), "Processor")
            vm.expose_virtualization_extensions = bool(expose)


# -- firmware and BIOS --------------------------------------------------------------------------------

TEMPLATES = ("MicrosoftWindows", "MicrosoftUEFICertificateAuthority", "OpenSourceShieldedVM")


@cmdlet("Get-VMFirmware")
def get_vm_firmware(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        if vm.generation != 2:
            inv.write_error(hv_error(inv, "Generation 1 virtual machines do not support the VMFirmware cmdlets. Use "
                                          "Get-VMBios and Set-VMBios instead.", "InvalidArgument", "InvalidParameter",
                                     vm.name))
            continue
        yield part_object("VMFirmware", vm, machine, {
            "SecureBoot": enum("OnOffState", {"On": 0, "Off": 1}, "On" if vm.secure_boot else "Off"),
            "SecureBootTemplate": vm.secure_boot_template, "BootOrder": [], "PreferredNetworkBootProtocol": "IPv4"})


@cmdlet("Set-VMFirmware")
def set_vm_firmware(inv: Invocation) -> None:
    for vm in targets(inv):
        if vm.generation != 2:
            inv.write_error(hv_error(inv, "Generation 1 virtual machines do not support the VMFirmware cmdlets. Use "
                                          "Get-VMBios and Set-VMBios instead.", "InvalidArgument", "InvalidParameter",
                                     vm.name))
            continue
        require_state(inv, vm, ("Off",), "Firmware")
        if inv.get("EnableSecureBoot") is not None:
            vm.secure_boot = canonical(("On", "Off"), inv.get("EnableSecureBoot"), "OnOffState", inv) == "On"
        if inv.get("SecureBootTemplate") is not None:
            template = inv.get("SecureBootTemplate")
            match = next((t for t in TEMPLATES if t.lower() == template.lower()), None)
            if match is None:
                raise CmdletError(hv_error(inv, f"The secure boot template '{template}' was not found. Templates on "
                                                f"this host: {', '.join(TEMPLATES)}.", "InvalidArgument",
                                           "InvalidParameter", template))
            vm.secure_boot_template = match


@cmdlet("Get-VMBios")
def get_vm_bios(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        if vm.generation != 1:
            inv.write_error(hv_error(inv, "Generation 2 virtual machines do not support the VMBios cmdlets. Use "
                                          "Get-VMFirmware and Set-VMFirmware instead.", "InvalidArgument",
                                     "InvalidParameter", vm.name))
            continue
        yield part_object("VMBios", vm, machine, {
            "StartupOrder": [enum("BootDevice", BOOT_DEVICES, d) for d in vm.boot_order], "NumLockEnabled": False})


@cmdlet("Set-VMBios")
def set_vm_bios(inv: Invocation) -> None:
    for vm in targets(inv):
        if vm.generation != 1:
            inv.write_error(hv_error(inv, "Generation 2 virtual machines do not support the VMBios cmdlets. Use "
                                          "Get-VMFirmware and Set-VMFirmware instead.", "InvalidArgument",
                                     "InvalidParameter", vm.name))
            continue
        order = inv.get("StartupOrder")
        if order is not None:
            require_state(inv, vm, ("Off",), "BIOS")
            devices = [canonical(BOOT_DEVICES, d, "BootDevice", inv) for d in order]
            if sorted(devices) != sorted(("CD", "IDE", "LegacyNetworkAdapter", "Floppy")):
                raise CmdletError(hv_error(inv, "The startup order must list each of CD, IDE, LegacyNetworkAdapter and "
                                                "Floppy once.", "InvalidArgument", "InvalidParameter", vm.name))
            vm.boot_order = devices


# -- drives -------------------------------------------------------------------------------------------

def _drive_name(kind: str, drive: Drive) -> str:
    return f"{kind} on {drive.controller_type} controller number {drive.controller_number} at location " \
           f"{drive.controller_location}"


def drive_object(machine: typing.Any, vm: VM, drive: Drive, dvd: bool) -> PSOutObject:
    kind = "DVD Drive" if dvd else "Hard Drive"
    properties = {
        "Name": _drive_name(kind, drive), "Path": drive.path,
        "ControllerType": enum("ControllerType", CONTROLLER_TYPES, drive.controller_type),
        "ControllerNumber": drive.controller_number, "ControllerLocation": drive.controller_location,
        "Id": f"Microsoft:{vm.id.upper()}\\{drive.controller_type}{drive.controller_number}{drive.controller_location}",
    }
    if dvd:
        properties["DvdMediaType"] = enum("DvdMediaType", {"None": 0, "ISO": 1, "PassThrough": 2},
                                          "ISO" if drive.path else "None")
        return part_object("DvdDrive", vm, machine, properties, ("Drive",))
    properties["DiskNumber"] = None
    return part_object("HardDiskDrive", vm, machine, properties, ("Drive",))


def _matches(inv: Invocation, drive: Drive) -> bool:
    kind = inv.get("ControllerType")
    if kind is not None and canonical(CONTROLLER_TYPES, kind, "ControllerType", inv) != drive.controller_type:
        return False
    if inv.get("ControllerNumber") is not None and inv.get("ControllerNumber") != drive.controller_number:
        return False
    if inv.get("ControllerLocation") is not None and inv.get("ControllerLocation") != drive.controller_location:
        return False
    return True


def _drive_from_object(inv: Invocation, item: typing.Any, dvd: bool) -> tuple[VM, Drive] | None:
    _machine, state = host_of(inv)
    vm = vm_of_object(state, item)
    if vm is None or not isinstance(item, PSOutObject):
        return None
    kind = str(getattr(item.properties.get("ControllerType"), "name", item.properties.get("ControllerType")))
    for drive in vm.dvd_drives if dvd else vm.hard_drives:
        if (drive.controller_type, drive.controller_number, drive.controller_location) == (
                kind.upper(), item.properties.get("ControllerNumber"), item.properties.get("ControllerLocation")):
            return vm, drive
    return None


def _selected_drives(inv: Invocation, object_parameter: str, dvd: bool) -> list[tuple[VM, Drive]]:
    given = inv.get(object_parameter)
    if given is not None:
        found = [_drive_from_object(inv, item, dvd) for item in (given if isinstance(given, list) else [given])]
        return [pair for pair in found if pair is not None]
    pairs = []
    for vm in targets(inv):
        pairs.extend((vm, d) for d in (vm.dvd_drives if dvd else vm.hard_drives) if _matches(inv, d))
    return pairs


@cmdlet("Get-VMHardDiskDrive")
def get_vm_hard_disk_drive(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        for drive in sorted(vm.hard_drives, key=lambda d: (d.controller_type, d.controller_number, d.controller_location)):
            if _matches(inv, drive):
                yield drive_object(machine, vm, drive, dvd=False)


@cmdlet("Get-VMDvdDrive")
def get_vm_dvd_drive(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        for drive in vm.dvd_drives:
            if _matches(inv, drive):
                yield drive_object(machine, vm, drive, dvd=True)


def _occupied(vm: VM, kind: str, number: int, location: int) -> bool:
    return any((d.controller_type, d.controller_number, d.controller_location) == (kind, number, location)
               for d in [*vm.hard_drives, *vm.dvd_drives])


def _place(inv: Invocation, vm: VM, kind: str, number: int | None, location: int | None) -> tuple[int, int]:
    """The slot a new drive goes to (the first free one when not given), or Hyper-V's error."""
    if kind == "IDE":
        if vm.generation == 2:
            raise CmdletError(hv_error(inv, f"'{vm.name}': generation 2 virtual machines have no IDE controller.",
                                       "InvalidArgument", "InvalidParameter", vm.name))
        slots = [s for s in IDE_SLOTS if (number is None or s[0] == number) and (location is None or s[1] == location)]
    else:
        if vm.scsi_controllers == 0:
            raise CmdletError(hv_error(inv, f"'{vm.name}' has no SCSI controller. Add one with Add-VMScsiController.",
                                       "ObjectNotFound", "ObjectNotFound", vm.name))
        numbers = [number] if number is not None else list(range(vm.scsi_controllers))
        for n in numbers:
            if n >= vm.scsi_controllers:
                raise CmdletError(hv_error(inv, f"'{vm.name}' has no SCSI controller number {n}.", "ObjectNotFound",
                                           "ObjectNotFound", vm.name))
        slots = [(n, loc) for n in numbers for loc in ([location] if location is not None else range(64))]
    for slot in slots:
        if not _occupied(vm, kind, *slot):
            return slot
    where = f"{kind} {number if number is not None else '*'}:{location if location is not None else '*'}"
    raise CmdletError(hv_error(inv, f"'{vm.name}' failed to add a device: the controller location {where} is already "
                                    "in use or does not exist.", "InvalidArgument", "InvalidParameter", vm.name))


def _existing_file(inv: Invocation, machine: typing.Any, path: str, what: str, vm: VM) -> str:
    from hvsim.world.filesystem import FsError, resolve

    try:
        owner, local = resolve(inv.world, machine, path)
    except FsError:
        owner, local = None, None
    entry = owner.fs.get(local) if owner is not None else None
    if entry is None:
        raise CmdletError(hv_error(inv, f"'{vm.name}' failed to add device '{what}'. The system cannot find the file "
                                        f"'{path}'. (0x80070002)", "ObjectNotFound", "ObjectNotFound", path))
    for other in inv.world.machines[inv.principal.machine].hyperv.vms.values():
        if other.id != vm.id and any(d.path and d.path.lower() == path.lower() for d in other.hard_drives) \
                and what == "Virtual Hard Disk":
            raise CmdletError(hv_error(inv, f"'{vm.name}' failed to add device 'Virtual Hard Disk'. The file '{path}' is "
                                            f"already attached to virtual machine '{other.name}'.",
                                       "ResourceBusy", "InvalidOperation", path))
    if what == "Virtual Hard Disk" and vm.generation == 2 and path.lower().endswith((".vhd", ".avhd")):
        raise CmdletError(hv_error(
            inv, f"'{vm.name}' failed to add device 'Virtual Hard Disk'. The VHD format of '{path}' is not "
                 "supported by generation 2 virtual machines: convert it to VHDX (Convert-VHD).",
            "InvalidArgument", "InvalidParameter", path))
    denied = share_problem(inv.world, machine, path)
    if denied is not None:
        raise CmdletError(hv_error(inv, f"'{vm.name}' failed to add device '{what}'. {denied}", "PermissionDenied",
                                   "AccessDenied", path))
    return entry.path if not path.startswith("\\\\") else path


def _attach(inv: Invocation, machine: typing.Any, state: typing.Any, vm: VM, kind: str, path: str | None,
            dvd: bool) -> Drive:
    """A new drive in the requested (or first free) slot of the controller."""
    slot = _place(inv, vm, kind, inv.get("ControllerNumber"), inv.get("ControllerLocation"))
    drive = Drive(kind, slot[0], slot[1], path)
    (vm.dvd_drives if dvd else vm.hard_drives).append(drive)
    sync_open_files(machine, state)
    return drive


@cmdlet("Add-VMHardDiskDrive")
def add_vm_hard_disk_drive(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    for vm in targets(inv):
        kind = canonical(CONTROLLER_TYPES, inv.get("ControllerType") or ("SCSI" if vm.generation == 2 else "IDE"),
                         "ControllerType", inv)
        if kind == "IDE":
            require_state(inv, vm, ("Off",), "Hard Drive")
        path = inv.get("Path")
        if path is None:
            raise CmdletError(hv_error(inv, "hvsim attaches virtual hard disk files only (give -Path).",
                                       "NotImplemented", "NotImplemented"))
        shown = _existing_file(inv, machine, path, "Virtual Hard Disk", vm)
        drive = _attach(inv, machine, state, vm, kind, shown, dvd=False)
        if inv.get("Passthru"):
            yield drive_object(machine, vm, drive, dvd=False)


@cmdlet("Set-VMHardDiskDrive")
def set_vm_hard_disk_drive(inv: Invocation) -> None:
    machine, state = host_of(inv)
    for vm, drive in _selected_drives(inv, "VMHardDiskDrive", dvd=False):
        to_kind = inv.get("ToControllerType")
        if to_kind is not None or inv.get("ToControllerNumber") is not None or inv.get("ToControllerLocation") is not None:
            kind = canonical(CONTROLLER_TYPES, to_kind, "ControllerType", inv) if to_kind is not None else drive.controller_type
            if "IDE" in (kind, drive.controller_type):
                require_state(inv, vm, ("Off",), "Hard Drive")
            slot = _place(inv, vm, kind, inv.get("ToControllerNumber"), inv.get("ToControllerLocation"))
            drive.controller_type, drive.controller_number, drive.controller_location = kind, slot[0], slot[1]
        if inv.get("Path") is not None:
            if drive.controller_type == "IDE":
                require_state(inv, vm, ("Off",), "Hard Drive")
            drive.path = _existing_file(inv, machine, inv.get("Path"), "Virtual Hard Disk", vm)
    sync_open_files(machine, state)


def _remove_drives(inv: Invocation, dvd: bool) -> None:
    """Remove-VMHardDiskDrive / Remove-VMDvdDrive: IDE drives only while the VM is off."""
    machine, state = host_of(inv)
    for vm, drive in _selected_drives(inv, "VMDvdDrive" if dvd else "VMHardDiskDrive", dvd=dvd):
        if drive.controller_type == "IDE":
            require_state(inv, vm, ("Off",), "DVD Drive" if dvd else "Hard Drive")
        (vm.dvd_drives if dvd else vm.hard_drives).remove(drive)
    sync_open_files(machine, state)


@cmdlet("Remove-VMHardDiskDrive")
def remove_vm_hard_disk_drive(inv: Invocation) -> None:
    _remove_drives(inv, dvd=False)


@cmdlet("Add-VMDvdDrive")
def add_vm_dvd_drive(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    for vm in targets(inv):
        kind = "SCSI" if vm.generation == 2 else "IDE"
        if kind == "IDE":
            require_state(inv, vm, ("Off",), "DVD Drive")
        path = inv.get("Path")
        shown = _existing_file(inv, machine, path, "DVD Drive", vm) if path else None
        drive = _attach(inv, machine, state, vm, kind, shown, dvd=True)
        if inv.get("Passthru"):
            yield drive_object(machine, vm, drive, dvd=True)


@cmdlet("Set-VMDvdDrive")
def set_vm_dvd_drive(inv: Invocation) -> None:
    machine, state = host_of(inv)
    for vm, drive in _selected_drives(inv, "VMDvdDrive", dvd=True):
        if inv.has("Path"):
            path = inv.get("Path")
            drive.path = _existing_file(inv, machine, path, "DVD Drive", vm) if path else None
        if inv.get("ToControllerNumber") is not None or inv.get("ToControllerLocation") is not None:
            slot = _place(inv, vm, drive.controller_type, inv.get("ToControllerNumber"), inv.get("ToControllerLocation"))
            drive.controller_number, drive.controller_location = slot
    sync_open_files(machine, state)


@cmdlet("Remove-VMDvdDrive")
def remove_vm_dvd_drive(inv: Invocation) -> None:
    _remove_drives(inv, dvd=True)


# -- SCSI controllers -----------------------------------------------------------------------------------

@cmdlet("Get-VMScsiController")
def get_vm_scsi_controller(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm in targets(inv):
        for number in range(vm.scsi_controllers):
            if inv.get("ControllerNumber") is None or inv.get("ControllerNumber") == number:
                yield part_object("VMScsiController", vm, machine, {"ControllerNumber": number,
                                                                    "Name": "SCSI Controller"}, ("VMDriveController",))


@cmdlet("Add-VMScsiController")
def add_vm_scsi_controller(inv: Invocation) -> None:
    for vm in targets(inv):
        require_state(inv, vm, ("Off",), "SCSI Controller")
        if vm.scsi_controllers >= 4:
            raise CmdletError(hv_error(inv, f"'{vm.name}' already has the maximum of 4 SCSI controllers.",
                                       "LimitsExceeded", "OperationFailed", vm.name))
        vm.scsi_controllers += 1


@cmdlet("Remove-VMScsiController")
def remove_vm_scsi_controller(inv: Invocation) -> None:
    for vm in targets(inv):
        require_state(inv, vm, ("Off",), "SCSI Controller")
        number = vm.scsi_controllers - 1
        if any(d.controller_type == "SCSI" and d.controller_number == number for d in [*vm.hard_drives, *vm.dvd_drives]):
            raise CmdletError(hv_error(inv, f"SCSI controller {number} of '{vm.name}' still has drives attached.",
                                       "InvalidOperation", "InvalidState", vm.name))
        vm.scsi_controllers = max(number, 0)
