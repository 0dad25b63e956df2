"""Checkpoints: Get-VMSnapshot, Checkpoint-VM, Restore-VMSnapshot, Remove-VMSnapshot.

Taking a checkpoint records the VM's settings and moves each disk onto a new differencing file
(``<disk>_<id>.avhdx``) whose parent is the disk as it was. Applying one restores the settings and
gives the disks fresh differencing files on the checkpoint's disks. Removing the last checkpoint
merges the differencing files back into the base disks.
"""

from __future__ import annotations

import copy
import datetime
import ntpath
import typing

from hvsim.contract import CmdletError, PSOutObject
from hvsim.engine import wildcard
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.filesystem import MIB, VhdInfo
from hvsim.world.hyperv import VM, VM_STATES, Checkpoint, enum, host_of, hv_error, part_object, vms_from
from hvsim.world.vhd import sync_open_files

SNAPSHOT_TYPES = {"Standard": 0, "Recovery": 1, "Planned": 2, "Missing": 5, "Replica": 6,
                  "AppConsistentReplica": 7, "SyncedReplica": 8}


def snapshot_object(machine: typing.Any, vm: VM, checkpoint: Checkpoint) -> PSOutObject:
    parent = vm.checkpoints.get(checkpoint.parent_id) if checkpoint.parent_id else None
    item = part_object("VMSnapshot", vm, machine, {
        "Name": checkpoint.name, "Id": checkpoint.id, "ParentSnapshotId": checkpoint.parent_id,
        "ParentSnapshotName": parent.name if parent else None,
        "SnapshotType": enum("SnapshotType", SNAPSHOT_TYPES, checkpoint.snapshot_type
                             if checkpoint.snapshot_type in ("Standard", "Replica", "AppConsistentReplica")
                             else "Recovery"),
        "CreationTime": datetime.datetime.fromisoformat(checkpoint.creation_time),
        "State": enum("VMState", VM_STATES, checkpoint.vm_state if checkpoint.snapshot_type == "Standard" else "Off"),
        "IsDeleted": False, "Path": vm.path}, ("VirtualMachineBase",))
    item.to_string = f"VMSnapshot (Name = '{checkpoint.name}', VMName = '{vm.name}') [Id = '{checkpoint.id}']"
    return item


def _snapshot_of(inv: Invocation, item: typing.Any) -> tuple[VM, Checkpoint] | None:
    _machine, state = host_of(inv)
    if not isinstance(item, PSOutObject):
        return None
    vm = state.vms.get(str(item.properties.get("VMId")).lower())
    checkpoint = vm.checkpoints.get(str(item.properties.get("Id")).lower()) if vm else None
    return (vm, checkpoint) if vm and checkpoint else None


@cmdlet("Get-VMSnapshot")
def get_vm_snapshot(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    if inv.parameter_set == "Id":
        wanted = str(inv.get("Id")).lower()
        for vm in state.vms.values():
            if wanted in vm.checkpoints:
                yield snapshot_object(machine, vm, vm.checkpoints[wanted])
                return
        inv.write_error(hv_error(inv, f"Hyper-V was unable to find a checkpoint with id \"{wanted}\".", "ObjectNotFound",
                                 "ObjectNotFound", wanted))
        return
    name = inv.get("Name")
    for vm in vms_from(inv, parameter="VM", name_parameter="VMName"):
        found = [c for c in vm.checkpoints.values() if name is None or wildcard.matches(str(name), c.name)]
        if name is not None and not found and not wildcard.contains_wildcard(str(name)):
            inv.write_error(hv_error(inv, f"Hyper-V was unable to find a checkpoint named \"{name}\" of virtual machine "
                                          f"\"{vm.name}\".", "ObjectNotFound", "ObjectNotFound", name))
        for checkpoint in found:
            yield snapshot_object(machine, vm, checkpoint)


def _avhd_path(path: str, checkpoint_id: str) -> str:
    stem, extension = ntpath.splitext(path)
    base = stem.split("_", 1)[0] if extension.lower().startswith(".avhd") else stem
    suffix = ".avhd" if extension.lower() in (".vhd", ".avhd") else ".avhdx"
    return f"{base}_{checkpoint_id.upper()}{suffix}"


def _new_differencing(machine: typing.Any, parent_path: str, checkpoint_id: str) -> str:
    parent = machine.fs.get(parent_path)
    child = _avhd_path(parent_path, checkpoint_id)
    info = VhdInfo(format=parent.vhd.format, vhd_type="Differencing", size=parent.vhd.size, parent_path=parent.path,
                   disk_identifier=machine.fs.next_disk_identifier(child), parent_identifier=parent.vhd.disk_identifier)
    machine.fs.write_file(child, 4 * MIB, info)
    return child


@cmdlet("Checkpoint-VM")
def checkpoint_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    for vm in vms_from(inv, parameter="VM", name_parameter="Name"):
        if vm.checkpoint_type == "Disabled":
            raise CmdletError(hv_error(inv, f"Checkpoint operations are disabled for virtual machine '{vm.name}'.",
                                       "InvalidOperation", "InvalidState", vm.name))
        kind = "Standard" if vm.checkpoint_type == "Standard" else "Production"
        checkpoint_id = state.new_id("checkpoint", vm.name)
        created = inv.world.clock.timestamp()
        name = inv.get("SnapshotName") or f"{vm.name} - ({created})"
        local_disks = [d for d in vm.hard_drives if d.path and machine.fs.get(d.path) and machine.fs.get(d.path).vhd]
        needed = 4 * MIB * len(local_disks)
        for drive in local_disks:
            if machine.fs.free_space(drive.path) < needed:
                raise CmdletError(hv_error(inv, f"'{vm.name}' could not create checkpoint: there is not enough space on "
                                                f"the disk holding '{drive.path}'.", "ResourceUnavailable",
                                           "OperationFailed", vm.name))
        checkpoint = Checkpoint(id=checkpoint_id, name=name, parent_id=vm.current_checkpoint, snapshot_type=kind,
                                creation_time=created, vm_state=vm.state, config=vm.settings())
        for drive in local_disks:
            drive.path = _new_differencing(machine, drive.path, checkpoint_id)
        vm.checkpoints[checkpoint.id] = checkpoint
        vm.current_checkpoint = checkpoint.id
        sync_open_files(machine, state)
        if inv.get("Passthru"):
            yield snapshot_object(machine, vm, checkpoint)


def _targets(inv: Invocation) -> list[tuple[VM, Checkpoint]]:
    given = inv.get("VMSnapshot")
    if given is not None:
        found = [_snapshot_of(inv, item) for item in (given if isinstance(given, list) else [given])]
        return [pair for pair in found if pair is not None]
    names = inv.get("Name")
    names = names if isinstance(names, list) else ([names] if names is not None else None)
    pairs = []
    for vm in vms_from(inv, parameter="VM", name_parameter="VMName"):
        for checkpoint in vm.checkpoints.values():
            if names is None or any(wildcard.matches(str(n), checkpoint.name) for n in names):
                pairs.append((vm, checkpoint))
    return pairs


@cmdlet("Restore-VMSnapshot")
def restore_vm_snapshot(inv: Invocation) -> None:
    machine, state = host_of(inv)
    for vm, checkpoint in _targets(inv):
        if vm.state != "Off":
            vm.state = "Off"  # applying a checkpoint turns the VM off first (a saved state is discarded)
            sync_open_files(machine, state)
        for drive in vm.hard_drives:
            if drive.path and drive.path.lower().endswith((".avhdx", ".avhd")) and not _used_by_checkpoint(vm, drive.path):
                machine.fs.remove(drive.path)
        config = copy.deepcopy(checkpoint.config)
        for key, value in config.items():
            setattr(vm, key, value)
        for drive in vm.hard_drives:
            if drive.path and machine.fs.get(drive.path) and machine.fs.get(drive.path).vhd:
                drive.path = _new_differencing(machine, drive.path, state.new_id("restore", vm.name))
        vm.current_checkpoint = checkpoint.id
        vm.state = "Saved" if checkpoint.snapshot_type == "Standard" and checkpoint.vm_state in ("Running", "Paused") \
            else "Off"
        sync_open_files(machine, state)


def _used_by_checkpoint(vm: VM, path: str) -> bool:
    return any(d.path and d.path.lower() == path.lower() for c in vm.checkpoints.values() for d in c.config["hard_drives"])


@cmdlet("Remove-VMSnapshot")
def remove_vm_snapshot(inv: Invocation) -> None:
    machine, state = host_of(inv)
    for vm, checkpoint in _targets(inv):
        if checkpoint.id not in vm.checkpoints:
            continue  # removed with its parent's subtree already
        doomed = [checkpoint.id]
        if inv.get("IncludeAllChildSnapshots"):
            index = 0
            while index < len(doomed):
                doomed.extend(c.id for c in vm.checkpoints.values() if c.parent_id == doomed[index])
                index += 1
        for checkpoint_id in doomed:
            removed = vm.checkpoints.pop(checkpoint_id)
            for child in vm.checkpoints.values():
                if child.parent_id == checkpoint_id:
                    child.parent_id = removed.parent_id
            if vm.current_checkpoint == checkpoint_id:
                vm.current_checkpoint = removed.parent_id
        if not vm.checkpoints:
            _merge_all(machine, vm)
        sync_open_files(machine, state)


def _merge_all(machine: typing.Any, vm: VM) -> None:
    """No checkpoint left: every differencing file merges into its base disk, the drive points at the base."""
    for drive in vm.hard_drives:
        path = drive.path
        chain = []
        while path and path.lower().endswith((".avhdx", ".avhd")):
            entry = machine.fs.get(path)
            if entry is None or entry.vhd is None:
                break
            chain.append(entry.path)
            path = entry.vhd.parent_path
        if chain and path:
            drive.path = machine.fs.display_path(path)
            for file in chain:
                entry = machine.fs.get(file)
                if entry is not None:
                    entry.attached_to = None
                    machine.fs.remove(file)
