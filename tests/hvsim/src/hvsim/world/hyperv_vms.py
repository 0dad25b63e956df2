"""VM lifecycle cmdlets: Get-VM, New-VM, Remove-VM, Set-VM, power (Start/Stop/Save/Suspend/Resume/
Restart-VM, Remove-VMSavedState), Update-VMVersion, Get-VMHostSupportedVersion."""

from __future__ import annotations

import typing

from hvsim.contract import CmdletError, PSOutObject, Version
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.shapes import shaped
from hvsim.world.filesystem import FsError, clean_path, resolve
from hvsim.world.hyperv import (
    CHECKPOINT_TYPES,
    MIB,
    NS,
    SESSION_TRANSPORTS,
    START_ACTIONS,
    STOP_ACTIONS,
    SUPPORTED_VERSIONS,
    VM,
    Drive,
    NetworkAdapter,
    canonical,
    host_of,
    hv_error,
    require_state,
    share_problem,
    version_key,
    vm_object,
    vms_from,
)
from hvsim.world.vhd import sync_open_files



@cmdlet("Get-VM")
def get_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    if inv.parameter_set == "Id":
        vm_id = inv.get("Id")
        if vm_id is None:
            vms = list(state.vms.values())
        else:
            vm = state.vms.get(str(vm_id).lower())
            if vm is None:
                inv.write_error(hv_error(inv, f"Hyper-V was unable to find a virtual machine with id \"{vm_id}\".",
                                         "InvalidArgument", "InvalidParameter", target=str(vm_id)))
                return
            vms = [vm]
    elif inv.get("Name") is None:
        vms = list(state.vms.values())
    else:
        vms = vms_from(inv, name_parameter="Name")
    for vm in sorted(vms, key=lambda v: (v.name.lower(), v.id)):
        yield vm_object(machine, vm)


@cmdlet("New-VM")
def new_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    name = inv.get("Name") or "New Virtual Machine"
    generation = int(inv.get("Generation") or 1)
    if generation not in (1, 2):
        raise CmdletError(hv_error(inv, f"The generation {generation} is not valid. Specify 1 or 2.", "InvalidArgument",
                                   "InvalidParameter"))
    version = str(inv.get("Version") or state.host.default_configuration_version)
    if version not in SUPPORTED_VERSIONS or version_key(version) > version_key(state.host.max_configuration_version):
        raise CmdletError(hv_error(
            inv, f"'{name}' failed to create the virtual machine: configuration version {version} is not supported by "
                 f"this host (its highest is {state.host.max_configuration_version}; see Get-VMHostSupportedVersion).",
            "InvalidArgument", "InvalidParameter", target=name))
    memory = int(inv.get("MemoryStartupBytes") or (1024 * MIB if generation == 2 else 512 * MIB))
    if memory % (2 * MIB):
        raise CmdletError(hv_error(inv, f"'{name}' failed to modify device 'Memory'. Invalid startup memory amount "
                                        f"assigned for '{name}': the amount must be a multiple of 2 MB.",
                                   "InvalidArgument", "InvalidParameter", target=name))
    base = inv.get("Path")
    vm_id = state.new_id("vm", name)
    vm_path = clean_path(f"{base}\\{name}") if base else state.host.virtual_machine_path
    config = f"{vm_path}\\Virtual Machines\\{vm_id.upper()}.vmcx"
    denied = share_problem(inv.world, machine, vm_path)
    if denied is not None:
        raise CmdletError(hv_error(inv, f"'{name}' failed to create the virtual machine configuration. {denied}",
                                   "PermissionDenied", "AccessDenied", target=name))
    try:
        owner, local = resolve(inv.world, machine, config)
        owner.fs.write_file(local, 80 * 1024)
    except FsError as exc:
        raise CmdletError(hv_error(inv, f"'{name}' failed to create the virtual machine configuration at "
                                        f"'{exc.path}': {exc}", "WriteError", "OperationFailed", target=name)) from None
    vm = VM(id=vm_id, name=name, generation=generation, version=version, path=vm_path, startup=memory)
    if generation == 2:
        vm.scsi_controllers = 1
    else:
        vm.dvd_drives.append(Drive("IDE", 1, 0, None))
    switch_name = inv.get("SwitchName")
    if switch_name is not None and state.switch(switch_name) is None:
        owner.fs.remove(local)
        raise CmdletError(hv_error(inv, f"Hyper-V was unable to find a virtual switch with name \"{switch_name}\".",
                                   "InvalidArgument", "InvalidParameter", target=switch_name))
    vm.adapters.append(NetworkAdapter(name="Network Adapter", id=f"Microsoft:{vm_id.upper()}\\{state.new_id('nic', name).upper()}",
                                      switch_name=state.switch(switch_name).name if switch_name else None))
    vhd_path = inv.get("VHDPath") or inv.get("NewVHDPath")
    if inv.get("NewVHDPath"):
        from hvsim.world.filesystem import VhdInfo, format_of

        fmt = format_of(vhd_path) or "VHDX"
        machine.fs.write_file(vhd_path, 4 * MIB, VhdInfo(fmt, "Dynamic", int(inv.get("NewVHDSizeBytes")), None,
                                                          machine.fs.next_disk_identifier(vhd_path)))
    if vhd_path:
        if not machine.fs.is_file(vhd_path):
            raise CmdletError(hv_error(inv, f"The system cannot find the file '{vhd_path}'.", "ObjectNotFound",
                                       "ObjectNotFound", target=vhd_path))
        vm.hard_drives.append(Drive("SCSI" if generation == 2 else "IDE", 0, 0, vhd_path))
    state.vms[vm.id] = vm
    yield vm_object(machine, vm)


@cmdlet("Remove-VM")
def remove_vm(inv: Invocation) -> None:
    machine, state = host_of(inv)
    for vm in vms_from(inv):
        if vm.state != "Off":
            raise CmdletError(hv_error(inv, f"The virtual machine '{vm.name}' must be turned off before it can be "
                                            "removed.", "InvalidOperation", "InvalidState", target=vm.name))
        if not inv.get("Force"):
            from hvsim.world.pserrors import host_prompt

            raise CmdletError(host_prompt(inv.name, vm.name, f"Are you sure you want to remove virtual machine "
                                                             f"\"{vm.name}\"?"))
        try:
            owner, config_folder = resolve(inv.world, machine, f"{vm.path}\\Virtual Machines")
        except FsError:
            owner, config_folder = None, ""
        for entry in list(owner.fs.walk_files(config_folder)) if owner is not None else []:
            if vm.id.upper() in entry.path.upper():
                owner.fs.remove(entry.path)
        # checkpoint differencing files (.avhdx) belong to the VM's configuration; the VHDs stay
        for checkpoint_file in _checkpoint_files(machine, vm):
            machine.fs.remove(checkpoint_file)
        del state.vms[vm.id]


def _checkpoint_files(machine: typing.Any, vm: VM) -> list[str]:
    files = []
    for drive in vm.hard_drives:
        path = drive.path
        while path and path.lower().endswith((".avhdx", ".avhd")):
            entry = machine.fs.get(path)
            if entry is None:
                break
            files.append(entry.path)
            path = entry.vhd.parent_path if entry.vhd else None
    return files


@cmdlet("Set-VM")
def set_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    for vm in vms_from(inv):
        if inv.has("ProcessorCount"):
            require_state(inv, vm, ("Off",), "Processor")
            _check_processors(inv, vm, int(inv.get("ProcessorCount")), state.host.logical_processors)
            vm.processor_count = int(inv.get("ProcessorCount"))
        if inv.has("MemoryStartupBytes"):
            if vm.state != "Off" and vm.dynamic_memory:
                require_state(inv, vm, ("Off",), "Memory")
            vm.startup = int(inv.get("MemoryStartupBytes"))
        if inv.get("DynamicMemory") or inv.get("StaticMemory"):
            require_state(inv, vm, ("Off",), "Memory")
            vm.dynamic_memory = bool(inv.get("DynamicMemory"))
        if inv.has("Notes"):
            vm.notes = inv.get("Notes") or ""
        if inv.has("AutomaticStartAction"):
            vm.automatic_start_action = canonical(START_ACTIONS, inv.get("AutomaticStartAction"), "StartAction", inv)
        if inv.has("AutomaticStopAction"):
            action = canonical(STOP_ACTIONS, inv.get("AutomaticStopAction"), "StopAction", inv)
            if action != vm.automatic_stop_action:
                require_state(inv, vm, ("Off",), "Automatic Stop Action")
            vm.automatic_stop_action = action
        if inv.has("CheckpointType"):
            vm.checkpoint_type = canonical(CHECKPOINT_TYPES, inv.get("CheckpointType"), "CheckpointType", inv)
        if inv.has("EnhancedSessionTransportType"):
            transport = canonical(SESSION_TRANSPORTS, inv.get("EnhancedSessionTransportType"),
                                  "EnhancedSessionTransportType", inv)
            if transport != vm.enhanced_session_transport:
                require_state(inv, vm, ("Off",), "Enhanced Session Transport Type")  # DESIGN.md: no refusal documented
            vm.enhanced_session_transport = transport
        if inv.has("NewVMName"):
            vm.name = inv.get("NewVMName")
        if inv.get("Passthru"):
            yield vm_object(machine, vm)


def _check_processors(inv: Invocation, vm: VM, count: int, logical: int) -> None:
    if not 1 <= count <= min(logical, 240 if vm.generation == 2 else 64):
        raise CmdletError(hv_error(inv, f"'{vm.name}' failed to modify device 'Processor'. The virtual processor count "
                                        f"{count} is not valid: this host has {logical} logical processors.",
                                   "InvalidArgument", "InvalidParameter", target=vm.name))


# -- power --------------------------------------------------------------------------------------------

def _power(inv: Invocation, verb: str, allowed: dict[str, str], already: tuple[str, ...],
           vms: list[VM] | None = None) -> typing.Iterator[PSOutObject]:
    """Move each target VM (``vms``, else the cmdlet's) from a state in ``allowed`` to the state it maps to."""
    machine, state = host_of(inv)
    for vm in vms_from(inv) if vms is None else vms:
        if vm.state in already:
            inv.write_warning(f"The virtual machine '{vm.name}' is already in the specified state.")
            continue
        if vm.state not in allowed:
            inv.write_error(hv_error(
                inv, f"'{vm.name}' failed to {verb}. The operation cannot be performed while the object is in its "
                     f"current state ({vm.state}). (Virtual machine ID {vm.id.upper()})", target=vm.name))
            continue
        if verb == "start":
            _check_can_start(inv, machine, state, vm)
        vm.state = allowed[vm.state]
        for adapter in vm.adapters:
            if adapter.dynamic_mac and adapter.mac_address == "000000000000" and vm.state == "Running":
                adapter.mac_address = state.next_mac()
        sync_open_files(machine, state)
        if inv.get("Passthru"):
            yield vm_object(machine, vm)


def _check_can_start(inv: Invocation, machine: typing.Any, state: typing.Any, vm: VM) -> None:
    """A VM starts only when its disks, ISO and switches are there and the host has the memory."""
    for drive in [*vm.hard_drives, *vm.dvd_drives]:
        if drive.path and not drive.path.startswith("\\\\") and not machine.fs.is_file(drive.path):
            raise CmdletError(hv_error(
                inv, f"'{vm.name}' failed to start. Synthetic SCSI Controller (Instance ID ...): Failed to Power on "
                     f"with Error 'The system cannot find the file specified.' (0x80070002). '{drive.path}' is missing.",
                "ObjectNotFound", "OperationFailed", target=vm.name))
    for adapter in vm.adapters:
        if adapter.switch_name and state.switch(adapter.switch_name) is None:
            raise CmdletError(hv_error(inv, f"'{vm.name}' failed to start: the network adapter '{adapter.name}' is "
                                            f"connected to switch '{adapter.switch_name}', which does not exist.",
                                       "ObjectNotFound", "OperationFailed", target=vm.name))
    running = sum(v.startup for v in state.vms.values() if v.state in ("Running", "Paused") and v.id != vm.id)
    if running + vm.startup > state.host.memory_capacity:
        raise CmdletError(hv_error(inv, f"'{vm.name}' failed to start. Not enough memory in the system to start the "
                                        "virtual machine.", "ResourceUnavailable", "OutOfMemory", target=vm.name))


@cmdlet("Start-VM")
def start_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _power(inv, "start", {"Off": "Running", "Saved": "Running", "Paused": "Running"}, ("Running",))


@cmdlet("Stop-VM")
def stop_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    """Stop-VM as the Hyper-V module's StopVM.ProcessOneOperand does it: -TurnOff powers off; otherwise a VM with the
    Shutdown integration service is shut down through the guest (-Force: ForceShutdown, and when that fails the
    error is written and only then is the VM turned off, so under ErrorAction Stop it stays on); a VM without
    the service is turned off after a confirmation (-Force answers it)."""
    if inv.get("Save"):
        yield from _power(inv, "save", {"Running": "Saved", "Paused": "Saved"}, ("Saved",))
        return
    if not inv.get("Force") and not inv.get("TurnOff"):
        from hvsim.world.pserrors import host_prompt

        raise CmdletError(host_prompt(inv.name, "VM", "The virtual machine is locked. An unsaved work might be lost. "
                                                      "Do you want to shut down anyway?"))
    allowed = {"Running": "Off", "Paused": "Off"}
    targets = vms_from(inv)
    if inv.get("TurnOff"):
        allowed["Saved"] = "Off"
        for vm in targets:
            if vm.state in allowed:
                vm.last_stop = "power_off"
        yield from _power(inv, "turn off", allowed, ("Off",), targets)
        return
    for vm in targets:
        if vm.state in allowed and vm.guest_shutdown == "hangs":
            # the wording is hvsim's; the sequence (error first, then the turn-off) is StopVM.ShutDown's
            inv.write_error(hv_error(inv, f"'{vm.name}' failed to shut down. The guest operating system did not "
                                          f"respond to the shutdown request in time. (Virtual machine ID "
                                          f"{vm.id.upper()})", "OperationStopped", "OperationFailed", vm.name))
            if inv.error_action == "Stop":
                return
        if vm.state in allowed:
            vm.last_stop = "power_off" if vm.guest_shutdown != "responds" else "shutdown"
    yield from _power(inv, "shut down", allowed, ("Off",), targets)


@cmdlet("Save-VM")
def save_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _power(inv, "save", {"Running": "Saved", "Paused": "Saved"}, ("Saved",))


@cmdlet("Suspend-VM")
def suspend_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _power(inv, "pause", {"Running": "Paused"}, ("Paused",))


@cmdlet("Resume-VM")
def resume_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _power(inv, "resume", {"Paused": "Running"}, ("Running",))


@cmdlet("Restart-VM")
def restart_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if not inv.get("Force"):
        from hvsim.world.pserrors import host_prompt

        raise CmdletError(host_prompt(inv.name, "VM", "Are you sure you want to restart the virtual machine?"))
    # "a 'hard' restart, like powering the computer down, then back up again" (Microsoft Learn, Restart-VM)
    targets = vms_from(inv)
    for vm in targets:
        if vm.state == "Running":
            vm.last_stop = "power_off"
    yield from _power(inv, "restart", {"Running": "Running"}, (), targets)


@cmdlet("Remove-VMSavedState")
def remove_vm_saved_state(inv: Invocation) -> None:
    machine, state = host_of(inv)
    for vm in vms_from(inv, name_parameter="VMName"):
        if vm.state != "Saved":
            inv.write_error(hv_error(inv, f"'{vm.name}' has no saved state to remove.", target=vm.name))
            continue
        vm.state = "Off"
    sync_open_files(machine, state)


@cmdlet("Update-VMVersion")
def update_vm_version(inv: Invocation) -> None:
    _machine, state = host_of(inv)
    for vm in vms_from(inv):
        require_state(inv, vm, ("Off",), "Configuration Version")
        if not inv.get("Force"):
            from hvsim.world.pserrors import host_prompt

            raise CmdletError(host_prompt(inv.name, vm.name, "Are you sure you want to update the configuration "
                                                             "version? This action cannot be undone."))
        vm.version = state.host.max_configuration_version


@cmdlet("Get-VMHostSupportedVersion")
def get_vmhost_supported_version(inv: Invocation) -> typing.Iterator[PSOutObject]:
    _machine, state = host_of(inv)
    top = version_key(state.host.max_configuration_version)
    versions = [v for v in SUPPORTED_VERSIONS if version_key(v) <= top]
    if inv.get("Default"):
        versions = [state.host.default_configuration_version]
    for version in versions:
        yield shaped([f"{NS}.VMHostSupportedVersion"],
                     {"Name": f"Microsoft Windows (version {version})", "Version": Version(version),
                      "IsDefault": version == state.host.default_configuration_version,
                      "ComputerName": _machine.netbios})
