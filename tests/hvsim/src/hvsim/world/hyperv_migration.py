"""Live and storage migration: Compare-VM, Move-VM (shared-nothing and VM-only), Move-VMStorage.

One planner (``_plan``) decides, for one VM, what a move would do and what stands in its way; Compare-VM
reports the obstacles, Move-VM and Move-VMStorage refuse when there are any and otherwise apply the plan
(copy every file first, then switch the VM over, then delete the sources), so a refused or failed move
leaves both hosts as they were.

Authentication between the hosts:
- migration auth Kerberos: a session opened from another machine (its client address is not the source
  host's) has no ticket it may forward, so the move fails with 0x8009030E ("No credentials are available
  in the security package") unless the session is CredSSP (delegable) or the source's computer account
  may delegate to the destination's migration service (constrained delegation, below).
- migration auth CredSSP: the source host needs the user's own credentials, so a remote session must be
  CredSSP, else it fails like Hyper-V does: 0x8009030D ("The credentials supplied to the package were not
  recognized").
When the estate has a domain (hvsim.world.directory), Kerberos also needs the destination's "Microsoft
Virtual System Migration Service" SPN (else 0x80090303), and constrained delegation on the source's
account to that service on the destination lets a non-CredSSP session from elsewhere move VMs (a session
that did not use Kerberos needs "any protocol" delegation).

Differencing disks (the parents a VM's disks are made from, which the VM does not own):
- Windows Server 2012 R2 and later (OS 6.3+) move them with the VM's storage: Move-VM and Move-VMStorage take
  -RetainVhdCopiesOnSource ("retains parent virtual hard disks on the source computer", Move-VM reference;
  Move-VMStorage has it since the 2012 R2 reference) and Msvm_VirtualSystemMigrationSettingData documents
  RetainVhdCopiesOnSource as "whether the read-only VHDs on the source host should be removed after the
  migration is completed". So a parent the destination lacks is copied to where the VM's disks go (the
  -Vhds entry naming it, else -DestinationStoragePath, else the same path), the child points at the copy,
  and the source's parents are removed after the move unless -RetainVhdCopiesOnSource is given;
  -RemoveSourceUnmanagedVhds ("deletes the parent virtual hard disk on the source ... when the migration is
  finished"; WMI: added in Windows Server 2016) removes them too. A parent still open by another VM on the
  source stays (Windows does not delete an open file).
- Windows Server 2012 (OS 6.2): the parent stays on the source and the destination must already have it at
  the same path (the requirements' account of shared-nothing migration); no source was found for how 2012
  treats the two switches, so hvsim ignores them there.
- hvsim's own assumptions (no source found): a parent already at its target path as the same disk (same disk
  identifier) is used as it is; a different file there refuses the move (existing files are never
  overwritten: AllowOverwriteExistingFile, added in Windows 10 1703, is off by default and Move-VM does not
  expose it).
"""

from __future__ import annotations

import dataclasses
import typing

from hvsim.contract import CmdletError, Int64, PSEnumValue, PSOutObject
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.shapes import shaped
from hvsim.world.filesystem import FsError, clean_path, leaf_name, parent_of, path_key
from hvsim.world.directory import MIGRATION_SERVICE
from hvsim.world.hyperv_jobs import migration_job
from hvsim.world.hyperv import (
    NS,
    TARGET_UNKNOWN,
    VM,
    HyperVState,
    host_of,
    hv_error,
    is_installed,
    share_problem,
    version_key,
    vm_object,
    vms_from,
)
from hvsim.world.vhd import sync_open_files

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine

NO_CREDENTIALS = 0x8009030E
CREDENTIALS_NOT_RECOGNIZED = 0x8009030D
NOT_REACHABLE = 0x8007274C
# MessageIds of the incompatibilities Compare-VM reports (33012 is Hyper-V's "switch not found")
SWITCH_MISSING = 33012
VERSION_UNSUPPORTED = 24004
TOO_MANY_PROCESSORS = 24003
PARENT_MISSING = 40036
ALREADY_EXISTS = 21018
NOT_ENOUGH_SPACE = 40040
FILE_EXISTS = 40041
STORAGE_NOT_SHARED = 21024
ACCESS_DENIED = 40042  # the destination's computer account may not open a file of the VM on its share
# Windows Server 2012 R2: storage migrations move a differencing disk's parents (see the module docstring)
PARENTS_MOVE_SINCE = (6, 3)
OPERATION_TYPES = {"MoveVirtualMachine": 0, "ImportVirtualMachine": 1, "MoveVirtualMachineAndStorage": 2,
                   "CopyVirtualMachine": 3}


@dataclasses.dataclass
class MovePlan:
    vm: VM
    source: Machine
    destination: Machine
    vm_path: str
    files: list[tuple[str, str]]  # (source path, destination path) of every file that moves
    drives: dict[str, str]  # a hard drive's path now -> its path after the move
    problems: list[tuple[int, str]] = dataclasses.field(default_factory=list)  # (MessageId, Message)
    # parents of differencing disks that move with the VM: path key on the source -> path on the destination
    parents: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def moves_storage(self) -> bool:
        return bool(self.files)


# -- the hosts ------------------------------------------------------------------------------------

def _failure(inv: Invocation, message: str, code: int, category: str = "ConnectionError",
             target: str | None = None) -> CmdletError:
    info = hv_error(inv, message, category, "OperationFailed", target)
    info.hresult = code - 2**32
    return CmdletError(info)


def _destination(inv: Invocation, source: Machine) -> Machine:
    name = str(inv.get("DestinationHost"))
    destination = inv.world.machine(name)
    reachable = destination is not None and (destination.platform is None or destination.platform.is_reachable())
    if destination is None or not reachable:
        raise _failure(inv, f"The Virtual Machine Management Service failed to establish a connection for a Virtual "
                            f"Machine migration with host '{name}': A connection attempt failed because the connected "
                            f"party did not properly respond after a period of time. (0x{NOT_REACHABLE:08X}).",
                       NOT_REACHABLE, target=name)
    if destination.name == source.name:
        raise CmdletError(hv_error(inv, f"The source and the destination host are the same computer ('{name}'); use "
                                        "Move-VMStorage to move a virtual machine's storage on one host.",
                                   "InvalidArgument", "InvalidParameter", name))
    if destination.hyperv is None or not is_installed(destination):
        raise _failure(inv, f"The Virtual Machine Management Service failed to establish a connection for a Virtual "
                            f"Machine migration with host '{name}': Hyper-V is not running on that host.",
                       NOT_REACHABLE, target=name)
    return destination


def _check_hosts(inv: Invocation, source: Machine, destination: Machine) -> None:
    """Both hosts take part in migrations, agree on the authentication, and the session can authenticate."""
    src, dst = source.hyperv.host, destination.hyperv.host
    for machine, settings, side in ((source, src, "source"), (destination, dst, "destination")):
        if not settings.migration_enabled:
            raise CmdletError(hv_error(
                inv, f"Virtual machine migration operation failed at migration {side}. The virtual machine "
                     f"migration service on '{machine.netbios}' is not configured to allow migrations "
                     "(Enable-VMMigration).", "InvalidOperation", "InvalidState", machine.netbios))
    if src.migration_auth != dst.migration_auth:
        raise CmdletError(hv_error(
            inv, f"Virtual machine migration operation failed: the authentication type of the source host "
                 f"'{source.netbios}' ({src.migration_auth}) does not match the destination host "
                 f"'{destination.netbios}' ({dst.migration_auth}).", "InvalidOperation", "InvalidState",
            destination.netbios))
    principal = inv.principal
    directory = getattr(inv.world, "directory", None)
    if src.migration_auth == "Kerberos" and directory is not None and not directory.has_spn(destination, MIGRATION_SERVICE):
        raise _failure(inv, f"Failed to establish a connection with host '{destination.fqdn}': The specified target "
                            f"is unknown or unreachable (0x{TARGET_UNKNOWN:08X}). The computer account of "
                            f"'{destination.netbios}' has no '{MIGRATION_SERVICE}' service principal name.",
                       TARGET_UNKNOWN, "AuthenticationError", destination.netbios)
    remote = principal.client_address != source.address
    if not remote or principal.delegable:
        return
    refusal = NO_CREDENTIALS
    if src.migration_auth == "Kerberos" and directory is not None:
        # constrained delegation from the source's account to the destination's migration service
        refusal = directory.second_hop(principal, source, destination, MIGRATION_SERVICE)
        if refusal is None:
            return
    if src.migration_auth == "Kerberos" and refusal == TARGET_UNKNOWN:
        raise _failure(inv, f"Failed to establish a connection with host '{destination.fqdn}': The specified target "
                            f"is unknown or unreachable (0x{TARGET_UNKNOWN:08X}).", TARGET_UNKNOWN,
                       "AuthenticationError", destination.netbios)
    if src.migration_auth == "Kerberos":
        raise _failure(inv, f"Failed to establish a connection with host '{destination.fqdn}': No credentials are "
                            f"available in the security package (0x{NO_CREDENTIALS:08X}).", NO_CREDENTIALS,
                       "AuthenticationError", destination.netbios)
    raise _failure(inv, f"Failed to establish a connection with host '{destination.fqdn}': The credentials supplied "
                        f"to the package were not recognized (0x{CREDENTIALS_NOT_RECOGNIZED:08X}).",
                   CREDENTIALS_NOT_RECOGNIZED, "AuthenticationError", destination.netbios)


# -- one VM's move ------------------------------------------------------------------------------------


def _disk_chain(source: Machine, path: str) -> tuple[list[str], str | None]:
    """The files that move with a drive (the disk and the checkpoint chain below it), and the parent
    that stays behind (a differencing disk's base, which the destination must already have)."""
    moving = [clean_path(path)]
    current = source.fs.get(path)
    while current is not None and current.vhd is not None and current.vhd.parent_path:
        if not current.path.lower().endswith((".avhdx", ".avhd")):
            return moving, current.vhd.parent_path
        moving.append(clean_path(current.vhd.parent_path))
        current = source.fs.get(current.vhd.parent_path)
    return moving, None


def moves_parents(machine: Machine) -> bool:
    """Whether the host's storage migrations take differencing parents along (Windows Server 2012 R2 and later)."""
    parts = tuple(int(p) for p in (machine.os_version.split(".") + ["0", "0"])[:2] if p.isdigit())
    return parts >= PARENTS_MOVE_SINCE


def _ancestors(source: Machine, first: str) -> list[str]:
    """``first`` and the parents above it, as far as the source has them (nearest first)."""
    chain = [clean_path(first)]
    current = source.fs.get(first)
    while current is not None and current.vhd is not None and current.vhd.parent_path \
            and path_key(current.vhd.parent_path) not in {path_key(p) for p in chain}:
        chain.append(clean_path(current.vhd.parent_path))
        current = source.fs.get(current.vhd.parent_path)
    return chain


def _plan_parents(plan: MovePlan, first: str, drive: str, targets: dict[str, str], store: str | None) -> None:
    """Hyper-V's own parent handling (2012 R2 and later): each parent goes where the VM's disks go."""
    source, destination = plan.source, plan.destination
    for path in _ancestors(source, first):
        key = path_key(path)
        if key in plan.parents:
            continue
        here = source.fs.get(path)
        if here is None or here.vhd is None:
            plan.problems.append((PARENT_MISSING, f"The parent virtual hard disk '{path}' of '{drive}' cannot be "
                                                  f"opened on '{source.netbios}'."))
            return
        target = targets.get(key) or (clean_path(store) + "\\" + leaf_name(path) if store else clean_path(path))
        plan.parents[key] = target
        if destination is source and path_key(target) == key:
            continue
        there = destination.fs.get(target)
        if there is None:
            plan.files.append((clean_path(path), target))
        elif there.vhd is None or there.vhd.disk_identifier != here.vhd.disk_identifier:
            plan.problems.append((FILE_EXISTS, f"The file '{target}' already exists on '{destination.netbios}'."))


def _vhd_targets(inv: Invocation) -> dict[str, str]:
    """-Vhds: "The virtual hard disk name must be identical in both entries" (Move-VM / Move-VMStorage reference);
    the wording of the refusal is hvsim's (no recorded Windows message found)."""
    targets: dict[str, str] = {}
    for item in inv.get("Vhds") or []:
        table = {str(k).lower(): v for k, v in dict(item).items()}
        if "sourcefilepath" in table and "destinationfilepath" in table:
            source, target = clean_path(str(table["sourcefilepath"])), clean_path(str(table["destinationfilepath"]))
            if leaf_name(source).lower() != leaf_name(target).lower():
                raise CmdletError(hv_error(inv, f"The virtual hard disk '{source}' cannot be moved to '{target}': the "
                                                "source and destination file names must be identical.",
                                           "InvalidArgument", "InvalidParameter", source))
            targets[path_key(source)] = target
    return targets


def _plan(inv: Invocation, vm: VM, source: Machine, destination: Machine, storage: bool) -> MovePlan:
    dst_state: HyperVState = destination.hyperv
    store = inv.get("DestinationStoragePath")
    vm_path = clean_path(store or inv.get("VirtualMachinePath") or vm.path)
    plan = MovePlan(vm=vm, source=source, destination=destination, vm_path=vm_path, files=[], drives={})
    if destination is not source:
        if vm.id in dst_state.vms:
            plan.problems.append((ALREADY_EXISTS, f"A virtual machine with the identifier '{vm.id.upper()}' already "
                                                  f"exists on '{destination.netbios}'."))
        for adapter in vm.adapters:
            if adapter.switch_name and dst_state.switch(adapter.switch_name) is None:
                plan.problems.append((SWITCH_MISSING, f"Could not find Ethernet switch '{adapter.switch_name}'."))
        if version_key(vm.version) > version_key(dst_state.host.max_configuration_version):
            plan.problems.append((VERSION_UNSUPPORTED, f"The virtual machine '{vm.name}' is using configuration version "
                                                       f"{vm.version}, which '{destination.netbios}' does not support "
                                                       f"(highest: {dst_state.host.max_configuration_version})."))
        if vm.processor_count > dst_state.host.logical_processors:
            plan.problems.append((TOO_MANY_PROCESSORS, f"The virtual machine '{vm.name}' has {vm.processor_count} "
                                                       f"virtual processors; '{destination.netbios}' has only "
                                                       f"{dst_state.host.logical_processors} logical processors."))
    if not storage:
        local = [d.path for d in vm.hard_drives if d.path and not d.path.startswith("\\\\")]
        if local or not vm.path.startswith("\\\\"):
            plan.problems.append((STORAGE_NOT_SHARED, f"The virtual machine '{vm.name}' keeps files on local storage "
                                                      f"of '{source.netbios}' ({', '.join(local or [vm.path])}); only "
                                                      "a VM whose files are on an SMB share can move without its "
                                                      "storage (use -IncludeStorage)."))
        else:
            _plan_share_access(inv, plan)
        return plan
    _plan_files(inv, plan, store)
    return plan


def _plan_share_access(inv: Invocation, plan: MovePlan) -> None:
    """A VM-only move hands the VM's files on SMB shares to the destination host, which opens them as its
    computer account: the share and NTFS permissions must let that account write every one of them."""
    vm, destination = plan.vm, plan.destination
    for path in [vm.path, *(d.path for d in vm.hard_drives if d.path)]:
        problem = share_problem(inv.world, destination, path)
        if problem is not None:
            plan.problems.append((ACCESS_DENIED, problem))


def _plan_files(inv: Invocation, plan: MovePlan, store: str | None) -> None:
    vm, source, destination = plan.vm, plan.source, plan.destination
    targets = _vhd_targets(inv)
    for entry in source.fs.files.values():
        if vm.id.upper() in entry.path.upper():  # the configuration, runtime state and smart paging files
            plan.files.append((entry.path, plan.vm_path + entry.path[len(clean_path(vm.path)):]
                               if path_key(entry.path).startswith(path_key(vm.path) + "\\")
                               else plan.vm_path + "\\" + leaf_name(entry.path)))
    for drive in vm.hard_drives:
        if not drive.path or drive.path.startswith("\\\\"):
            continue
        moving, stays = _disk_chain(source, drive.path)
        for path in moving:
            target = targets.get(path_key(path)) or (clean_path(store) + "\\" + leaf_name(path) if store else path)
            plan.files.append((path, target))
        plan.drives[path_key(drive.path)] = plan.files[-len(moving)][1]
        if stays is not None and moves_parents(source):
            _plan_parents(plan, stays, drive.path, targets, store)
        elif stays is not None and destination is not source:
            here, there = source.fs.get(stays), destination.fs.get(stays)
            if there is None or there.vhd is None or (here is not None and here.vhd is not None
                                                       and there.vhd.disk_identifier != here.vhd.disk_identifier):
                what = "does not exist" if there is None else "is a different disk"
                plan.problems.append((PARENT_MISSING, f"The parent virtual hard disk '{stays}' of '{drive.path}' "
                                                      f"{what} on the destination host '{destination.netbios}' at the "
                                                      "same path; copy the parent there first."))
    same_host = destination is source
    needed: dict[str, int] = {}
    for src, dst in plan.files:
        if destination.fs.exists(dst) and not (same_host and path_key(src) == path_key(dst)):
            plan.problems.append((FILE_EXISTS, f"The file '{dst}' already exists on '{destination.netbios}'."))
        if same_host and path_key(src) == path_key(dst):
            continue
        volume = destination.fs.volume_of(dst)
        if volume is None:
            plan.problems.append((NOT_ENOUGH_SPACE, f"The destination path '{dst}' is not on a volume of "
                                                    f"'{destination.netbios}'."))
            continue
        needed[volume.letter] = needed.get(volume.letter, 0) + source.fs.get(src).size
    for letter, size in needed.items():
        free = destination.fs.free_space(letter)
        if size > free:
            plan.problems.append((NOT_ENOUGH_SPACE, f"There is not enough space on volume {letter} of "
                                                    f"'{destination.netbios}': the move needs {size} bytes, "
                                                    f"{free} are free."))


def _duration(inv: Invocation, plan: MovePlan) -> float:
    """World seconds the move takes: the files that move, plus a running VM's memory when it changes
    host, at the link's bandwidth (hvsim.world.model.World.transfer_seconds)."""
    source, destination = plan.source, plan.destination
    size = sum(source.fs.get(src).size for src, dst in plan.files
               if destination is not source or path_key(src) != path_key(dst))
    if destination is not source and plan.vm.state in ("Running", "Paused"):
        size += plan.vm.startup
    return inv.world.transfer_seconds(source.name, destination.name, size)


def _apply(inv: Invocation, plan: MovePlan) -> None:
    """Copy every file, then switch the VM over, then delete the sources; undo the copies on failure."""
    source, destination, vm = plan.source, plan.destination, plan.vm
    files = [(s, d) for s, d in plan.files if path_key(s) != path_key(d) or destination is not source]
    held = {path_key(s): source.fs.get(s).attached_to for s, _d in files}
    copied: list[str] = []
    try:
        for src, _dst in files:
            source.fs.get(src).attached_to = None  # the running VM's files are mirrored while it runs
        for src, dst in files:
            folder = parent_of(dst)
            if folder is not None:
                destination.fs.mkdir(folder)
            source.fs.copy(src, destination.fs, dst)
            copied.append(dst)
            copied_entry = destination.fs.get(dst)
            if copied_entry.vhd is not None and copied_entry.vhd.parent_path:  # a child follows its parent
                parent = path_key(copied_entry.vhd.parent_path)
                copied_entry.vhd.parent_path = next((d for s, d in files if path_key(s) == parent),
                                                    plan.parents.get(parent, copied_entry.vhd.parent_path))
    except FsError as exc:
        for path in copied:
            destination.fs.remove(path)
        for key, owner in held.items():
            source.fs.files[key].attached_to = owner
        raise CmdletError(hv_error(inv, f"Virtual machine migration operation for '{vm.name}' failed: '{exc.path}': "
                                        f"{exc.kind.replace('_', ' ')}.", "WriteError", "OperationFailed", vm.name))
    for drive in vm.hard_drives:
        if drive.path and path_key(drive.path) in plan.drives:
            drive.path = plan.drives[path_key(drive.path)]
    vm.path = plan.vm_path
    for src, _dst in files:
        if path_key(src) not in plan.parents:
            source.fs.remove(src)
    if plan.parents and not inv.get("RetainVhdCopiesOnSource"):
        _remove_source_parents(plan)
    if destination is not source:
        del source.hyperv.vms[vm.id]
        destination.hyperv.vms[vm.id] = vm
        sync_open_files(destination, destination.hyperv)
    sync_open_files(source, source.hyperv)


def _remove_source_parents(plan: MovePlan) -> None:
    """After the move, the source's copies of the parents go, except one another VM still has open."""
    source = plan.source
    others = {vm.id for vm in source.hyperv.vms.values() if vm.id != plan.vm.id}
    sync_open_files(source, source.hyperv)
    for key, target in plan.parents.items():
        entry = source.fs.files.get(key)
        if entry is None or entry.attached_to in others or (plan.destination is source and path_key(target) == key):
            continue
        entry.attached_to = None
        source.fs.remove(entry.path)


def _refuse(inv: Invocation, plan: MovePlan) -> CmdletError:
    where = "destination" if plan.destination is not plan.source else "source"
    lines = [f"Virtual machine migration operation for '{plan.vm.name}' failed at migration {where} "
             f"'{plan.destination.netbios}'. (Virtual machine ID {plan.vm.id.upper()})"]
    lines += [message for _id, message in plan.problems]
    category = "ObjectNotFound" if any(i in (SWITCH_MISSING, PARENT_MISSING) for i, _m in plan.problems) \
        else "InvalidOperation"
    return CmdletError(hv_error(inv, "\n".join(lines), category, "OperationFailed", plan.vm.name))


def _not_simulated(inv: Invocation) -> None:
    if inv.parameter_set == "CompatibilityReport" or inv.get("DestinationCimSession") is not None:
        raise CmdletError(hv_error(inv, f"hvsim does not simulate {inv.name} with -{inv.parameter_set}"
                                        " (use -Name/-VM with -DestinationHost)", "NotImplemented", "NotImplemented"))


def _storage_requested(inv: Invocation) -> bool:
    return bool(inv.get("IncludeStorage") or inv.get("DestinationStoragePath") or inv.get("VirtualMachinePath")
                or inv.get("Vhds"))


# -- cmdlets -------------------------------------------------------------------------------------

def _compatibility_error(message_id: int, message: str, source: Machine, vm: VM) -> PSOutObject:
    """A VMCompatibilityError: Message, MessageId (Int64) and Source (the object at fault; hvsim names the VM). The
    class does not override ToString, so remoting at depth 1 sends a report's errors as their type name."""
    return PSOutObject(type_names=[f"{NS}.VMCompatibilityError"],
                       properties={"Message": message, "MessageId": Int64(message_id), "Source": vm_object(source, vm)})


@cmdlet("Compare-VM")
def compare_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    _not_simulated(inv)
    if inv.parameter_set in ("Copy", "Register"):
        raise CmdletError(hv_error(inv, "hvsim simulates Compare-VM for migrations only (not -Path imports)",
                                   "NotImplemented", "NotImplemented"))
    source, _state = host_of(inv)
    destination = _destination(inv, source)
    _check_hosts(inv, source, destination)
    storage = _storage_requested(inv)
    for vm in vms_from(inv):
        plan = _plan(inv, vm, source, destination, storage)
        operation = "MoveVirtualMachineAndStorage" if storage else "MoveVirtualMachine"
        yield shaped(
            [f"{NS}.VMCompatibilityReport"],
            {"VM": vm_object(source, vm), "OperationType": PSEnumValue(f"{NS}.OperationType", operation,
                                                                                  OPERATION_TYPES[operation]),
                        "Destination": destination.netbios, "Path": plan.vm_path, "SnapshotPath": plan.vm_path,
                        "VhdDestinationPath": inv.get("DestinationStoragePath"), "VhdSourcePath": None,
                        "Incompatibilities": [_compatibility_error(i, m, source, vm) for i, m in plan.problems]},
            to_string=f"{NS}.VMCompatibilityReport")  # no ToString override: the type name


@cmdlet("Move-VM")
def move_vm(inv: Invocation) -> typing.Iterator[PSOutObject]:
    _not_simulated(inv)
    source, _state = host_of(inv)
    destination = _destination(inv, source)
    _check_hosts(inv, source, destination)
    storage = _storage_requested(inv)
    for vm in vms_from(inv):
        plan = _plan(inv, vm, source, destination, storage)
        if plan.problems:
            raise _refuse(inv, plan)
        kind = "VirtualSystemAndStorage" if storage else "VirtualSystem"
        with migration_job(inv, source, vm, destination.fqdn, kind, _duration(inv, plan)):
            plan = _plan(inv, vm, source, destination, storage)  # the world may have changed while it copied
            if plan.problems:
                raise _refuse(inv, plan)
            _apply(inv, plan)
        if inv.get("Passthru"):
            yield vm_object(destination, vm)


@cmdlet("Move-VMStorage")
def move_vm_storage(inv: Invocation) -> None:
    _not_simulated(inv)
    machine, _state = host_of(inv)
    for vm in vms_from(inv):
        plan = _plan(inv, vm, machine, machine, storage=True)
        if plan.problems:
            raise _refuse(inv, plan)
        with migration_job(inv, machine, vm, machine.fqdn, "Storage", _duration(inv, plan)):
            plan = _plan(inv, vm, machine, machine, storage=True)
            if plan.problems:
                raise _refuse(inv, plan)
            _apply(inv, plan)

