# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live migration preflight and plan: pure data in, the moves (or every problem with its fix) out.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils import _wildcard as wildcard

MODES = ("shared_nothing", "vm_only", "storage")
SWITCH_MISSING = 33012  # Compare-VM's MessageId for a switch the destination lacks (this plan checks switches itself)
# Windows Server 2012 R2 (6.3): storage migrations take a differencing disk's parents along (Move-VM and
# Move-VMStorage -RetainVhdCopiesOnSource keep the source's copies); Windows Server 2012 leaves them behind.
PARENTS_MOVE_SINCE = (6, 3)
AUTHENTICATION_CODES = (0x80090303, 0x8009030E, 0x8009030D)


@dataclasses.dataclass(frozen=True)
class HostFacts:
    name: str  # as the host calls itself (FQDN when it has one)
    migration_enabled: bool
    authentication: str  # CredSSP | Kerberos
    switches: tuple[str, ...]
    vms: dict[str, str]  # VM name -> VMId
    os_version: str = ""  # Win32_OperatingSystem.Version, e.g. 10.0.26100
    domain_member: bool = True  # Win32_ComputerSystem.PartOfDomain
    logical_processors: int = 0
    configuration_versions: tuple[str, ...] = ()  # Get-VMHostSupportedVersion

    @property
    def moves_parents(self) -> bool:
        """Whether Hyper-V on this host moves differencing parents with a VM's storage itself."""
        parts = tuple(int(p) for p in self.os_version.split(".")[:2] if p.isdigit())
        return len(parts) == 2 and parts >= PARENTS_MOVE_SINCE


@dataclasses.dataclass(frozen=True)
class Adapter:
    name: str
    switch: str | None


@dataclasses.dataclass(frozen=True)
class VmFacts:
    name: str
    id: str
    state: str
    path: str
    disks: tuple[str, ...]
    disk_bytes: int
    adapters: tuple[Adapter, ...] = ()
    version: str = ""  # configuration version
    processor_count: int = 0


@dataclasses.dataclass(frozen=True)
class DiskFile:
    """A VHD/VHDX as Get-VHD reports it."""

    path: str
    parent_path: str | None
    identifier: str
    file_size: int


@dataclasses.dataclass(frozen=True)
class Problem:
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.what} Fix: {self.fix}"


@dataclasses.dataclass(frozen=True)
class ParentCopy:
    """A differencing disk's parent that the destination lacks: Hyper-V moves it with the VM (``by`` "hyper-v",
    Windows Server 2012 R2 and later) or the module copies it to the same path first (``by`` "copy")."""

    file: DiskFile
    target: str  # its path on the destination
    by: str
    vm: str  # the first moving VM that needs it
    mover: str = "Move-VM"  # the cmdlet that moves it when ``by`` is "hyper-v" (Move-VMStorage for a storage move)

    def as_dict(self) -> dict[str, t.Any]:
        return {"path": self.file.path, "destination_path": self.target, "bytes": self.file.file_size,
                "copied_by": self.mover if self.by == "hyper-v" else "Copy-Item before the move"}


@dataclasses.dataclass
class VmMove:
    vm: VmFacts
    reconnect: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (adapter, from, to)
    parents: list[ParentCopy] = dataclasses.field(default_factory=list)

    @property
    def bytes(self) -> int:
        return self.vm.disk_bytes + sum(p.file.file_size for p in self.parents)

    def as_dict(self) -> dict[str, t.Any]:
        return {"name": self.vm.name, "id": self.vm.id, "state": self.vm.state, "bytes": self.bytes,
                "parents": [p.as_dict() for p in self.parents],
                "switches": [{"adapter": a, "from": f, "to": to} for a, f, to in self.reconnect]}


@dataclasses.dataclass
class MigrationPlan:
    moves: list[VmMove] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)  # already where the task wants them
    problems: list[Problem] = dataclasses.field(default_factory=list)
    # parents of differencing disks the destination lacks (root first)
    parent_copies: list[ParentCopy] = dataclasses.field(default_factory=list)

    @property
    def copied_first(self) -> list[DiskFile]:
        """The parents the module copies before the move (hosts older than Windows Server 2012 R2)."""
        return [p.file for p in self.parent_copies if p.by == "copy"]

    @property
    def bytes_to_move(self) -> int:
        return sum(move.bytes for move in self.moves)


def select_vms(names: t.Sequence[str], on_source: t.Iterable[str],
               on_destination: t.Iterable[str]) -> tuple[list[str], list[str], list[Problem]]:
    """The VM names to move, those already on the destination only, and names found nowhere (or on both)."""
    moving: list[str] = []
    done: list[str] = []
    problems: list[Problem] = []
    for wanted in names:
        here = [n for n in on_source if _matches(wanted, n)]
        there = [n for n in on_destination if _matches(wanted, n)]
        for name in here:
            if name in there:
                problems.append(Problem(f"VM '{name}' is registered on both hosts.",
                                        "Remove the stale copy (winvirt.hyperv.hyperv_vm state=absent on the host that "
                                        "should not have it) and run the task again."))
            elif name not in moving:
                moving.append(name)
        for name in there:
            if name not in here and name not in done:
                done.append(name)
        if not here and not there and not wildcard.is_pattern(wanted):
            problems.append(Problem(f"VM '{wanted}' is on neither the source nor the destination.",
                                    "Check the name and the source host."))
    return moving, done, problems


def shared_name_problems(names: t.Sequence[str], vm_ids: t.Sequence[tuple[str, str]], host: str) -> list[Problem]:
    """Names (or patterns) that select a name two or more VMs on ``host`` share: Hyper-V identifies VMs by Id, and
    Move-VM / Move-VMStorage -Name would act on all of them. ``vm_ids`` is (name, Id) of every VM on the host."""
    by_name: dict[str, list[tuple[str, str]]] = {}
    for name, vm_id in vm_ids:
        by_name.setdefault(name.lower(), []).append((name, vm_id))
    problems = []
    for same in by_name.values():
        if len(same) > 1 and any(_matches(wanted, same[0][0]) for wanted in names):
            ids = ", ".join(vm_id for _name, vm_id in same)
            problems.append(Problem(f"{host} has {len(same)} VMs named '{same[0][0]}' (Ids {ids}); a move by name "
                                    "would act on all of them.",
                                    "Rename all but one (Rename-VM) so the name says which VM is meant, and run the "
                                    "task again."))
    return problems


def _matches(pattern: str, name: str) -> bool:
    return wildcard.matches(pattern, name) if wildcard.is_pattern(pattern) else name.lower() == pattern.lower()


def _leaf(path: str) -> str:
    return path.replace("/", "\\").rstrip("\\").rsplit("\\", 1)[-1]


def vhd_path_problems(vhd_paths: t.Mapping[str, str] | None) -> list[Problem]:
    """Move-VM -Vhds: "The virtual hard disk name must be identical in both entries" (Microsoft's Move-VM
    reference): a disk can change folder in a move, never its file name."""
    problems = []
    for source, target in (vhd_paths or {}).items():
        if _leaf(str(source)).lower() != _leaf(str(target)).lower():
            problems.append(Problem(
                f"vhd_paths maps '{source}' to '{target}': Move-VM keeps a disk's file name ('{_leaf(str(source))}').",
                f"Use a destination path ending in '{_leaf(str(source))}' (only the folder can change), and rename the "
                "disk after the move if needed."))
    return problems


def host_problems(source: HostFacts, destination: HostFacts) -> list[Problem]:
    """Both hosts must allow migrations and agree on how they authenticate to each other."""
    problems = []
    for host in (source, destination):
        if not host.migration_enabled:
            problems.append(Problem(f"Live migration is not enabled on {host.name}.",
                                    f"winvirt.hyperv.hyperv_host on {host.name} with live_migration.enabled: true."))
    if source.authentication.lower() != destination.authentication.lower():
        problems.append(Problem(
            f"The hosts authenticate migrations differently: {source.name} uses {source.authentication}, "
            f"{destination.name} uses {destination.authentication}.",
            "winvirt.hyperv.hyperv_host with the same live_migration.authentication on both (kerberos with "
            "constrained delegation from winvirt.hyperv.hyperv_spn, or credssp with auth=credssp for this task)."))
    return problems


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in str(text).split(".") if p.isdigit())


def capacity_problems(vm: VmFacts, destination: HostFacts) -> list[Problem]:
    """What the destination cannot run, read from its own reports (so it is known even while Compare-VM cannot
    run): the VM's configuration version and its virtual processors."""
    problems = []
    supported = [v for v in destination.configuration_versions if _version(v)]
    if vm.version and supported and _version(vm.version) > max(_version(v) for v in supported):
        highest = max(supported, key=_version)
        problems.append(Problem(
            f"VM '{vm.name}' has configuration version {vm.version}; {destination.name} runs at most {highest}, so "
            "Hyper-V refuses the move.", version_fix(vm.name, destination.name, vm.version)))
    if vm.processor_count and destination.logical_processors and vm.processor_count > destination.logical_processors:
        problems.append(Problem(
            f"VM '{vm.name}' has {vm.processor_count} virtual processors; {destination.name} has "
            f"{destination.logical_processors} logical processors.",
            "Lower the VM's processor_count (winvirt.hyperv.hyperv_vm) or choose a larger destination."))
    return problems


def switch_plan(
    vm: VmFacts, destination: HostFacts, switch_map: t.Mapping[str, str],
) -> tuple[list[tuple[str, str, str]], list[Problem]]:
    """Adapters to reconnect to a mapped switch, and switches the destination lacks."""
    have = {s.lower(): s for s in destination.switches}
    mapping = {k.lower(): v for k, v in switch_map.items()}
    reconnect: list[tuple[str, str, str]] = []
    problems: list[Problem] = []
    for adapter in vm.adapters:
        if not adapter.switch:
            continue
        target = mapping.get(adapter.switch.lower(), adapter.switch)
        if target.lower() not in have:
            mapped = f" (mapped to '{target}')" if target != adapter.switch else ""
            problems.append(Problem(
                f"{destination.name} has no virtual switch '{adapter.switch}'{mapped} for adapter '{adapter.name}' "
                f"of VM '{vm.name}'.",
                f"Map it to one of the destination's switches ({', '.join(destination.switches) or 'none'}) with "
                f"switch_map, or create it with winvirt.hyperv.hyperv_switch on {destination.name}."))
        elif have[target.lower()].lower() != adapter.switch.lower():
            reconnect.append((adapter.name, adapter.switch, have[target.lower()]))
    return reconnect, problems


def _is_checkpoint_file(path: str) -> bool:
    return path.lower().endswith((".avhdx", ".avhd"))


def staying_parents(disk: str, files: t.Mapping[str, DiskFile]) -> tuple[list[str], list[str]]:
    """The parents of ``disk`` that stay on the source when the VM moves (root last), and the paths of the chain
    that could not be read. Move-VM takes the disk and its checkpoint files (.avhdx) along; a differencing disk's
    own parent (a shared base image) stays where it is."""
    staying: list[str] = []
    unreadable: list[str] = []
    current = files.get(disk.lower())
    moving = True
    while current is not None and current.parent_path:
        if moving and not _is_checkpoint_file(current.path):
            moving = False  # the first ordinary disk is the last file that moves with the VM
        parent = files.get(current.parent_path.lower())
        if not moving:
            staying.append(current.parent_path)
        if parent is None:
            unreadable.append(current.parent_path)
            break
        current = parent
    return staying, unreadable


@dataclasses.dataclass(frozen=True)
class ParentHandling:
    """Where a move puts the parents of differencing disks."""

    host_moves: bool  # Hyper-V moves them (Windows Server 2012 R2 and later); else they must already be there
    destination_path: str | None = None
    vhd_paths: t.Mapping[str, str] | None = None
    mover: str = "Move-VM"  # the cmdlet that moves them: Move-VM, or Move-VMStorage on one host

    def target(self, path: str) -> str:
        """The parent's path on the destination: where Move-VM puts it (its -Vhds entry, else beside the disks in
        the destination path, else the same path), or the same path when it stays behind."""
        if not self.host_moves:
            return path
        mapped = {str(k).lower(): str(v) for k, v in (self.vhd_paths or {}).items()}.get(path.lower())
        if mapped:
            return mapped
        if self.destination_path:
            return self.destination_path.rstrip("\\") + "\\" + _leaf(path)
        return path


def _staying_chains(moving: t.Iterable[VmFacts], source_files: t.Mapping[str, DiskFile]) -> t.Iterator[
        tuple[VmFacts, str, list[str], list[str]]]:
    for vm in moving:
        for disk in vm.disks:
            staying, unreadable = staying_parents(disk, source_files)
            yield vm, disk, staying, unreadable


def parent_targets(moving: t.Iterable[VmFacts], source_files: t.Mapping[str, DiskFile],
                   handling: ParentHandling) -> list[str]:
    """The destination paths to read before planning the parents."""
    return sorted({handling.target(path) for _vm, _disk, staying, _u in _staying_chains(moving, source_files)
                   for path in staying}, key=str.lower)


def parent_paths(moving: t.Iterable[VmFacts], source_files: t.Mapping[str, DiskFile],
                 handling: ParentHandling) -> list[str]:
    """The parents' paths on the source and on the destination (what parent_copy_plan owns)."""
    return [p for _vm, _disk, staying, _u in _staying_chains(moving, source_files)
            for path in staying for p in (path, handling.target(path))]


def parent_copy_plan(moving: t.Iterable[VmFacts], source_files: t.Mapping[str, DiskFile],
                     destination_files: t.Mapping[str, DiskFile], handling: ParentHandling,
                     destination: str) -> tuple[list[ParentCopy], list[Problem]]:
    """Every parent that stays on the source must be on the destination, where the VM's disks will look for it, as
    the same disk (its disk identifier). A missing one is moved by Hyper-V or copied first; a different file at that
    path is never overwritten."""
    copies: list[ParentCopy] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for vm, disk, staying, unreadable in _staying_chains(moving, source_files):
        for path in unreadable:
            problems.append(Problem(
                f"VM '{vm.name}': the parent '{path}' of its disk '{disk}' cannot be read on the source.",
                "Repair the differencing chain (winvirt.hyperv.hyperv_vhd parent_path) before moving the VM."))
        for path in reversed(staying):  # the root first: it is copied first
            if path.lower() in seen or path.lower() not in source_files:
                continue
            seen.add(path.lower())
            parent = source_files[path.lower()]
            target = handling.target(path)
            there = destination_files.get(target.lower())
            if there is None:
                copies.append(ParentCopy(parent, target, "hyper-v" if handling.host_moves else "copy", vm.name,
                                         handling.mover))
            elif there.identifier.lower() != parent.identifier.lower():
                problems.append(different_parent_problem(vm.name, disk, parent, target, there, destination, handling))
    return copies, problems


def different_parent_problem(vm: str, disk: str, parent: DiskFile, target: str, there: DiskFile, destination: str,
                             handling: ParentHandling) -> Problem:
    """The one problem (and the one fix) for a different file where a parent must go."""
    where = "beside its disks" if handling.host_moves and target.lower() != parent.path.lower() else "at the same path"
    fix = f"Move or rename '{target}' on {destination}; the parent is then "
    fix += "moved there by Hyper-V with the VM." if handling.host_moves else "copied there before the move."
    if handling.host_moves:
        fix += " Or choose another destination_path, where the parent is put beside the VM's disks."
    return Problem(
        f"VM '{vm}': its disk '{disk}' needs its parent '{parent.path}' {where} on {destination}, and '{target}' "
        f"there is a different disk (identifier {there.identifier}; the parent's is {parent.identifier}). A file "
        "on the destination is never overwritten.", fix)


def compatibility_problems(vm: VmFacts, incompatibilities: t.Iterable[tuple[int, str]],
                           handled_paths: t.Iterable[str] = (), destination: HostFacts | None = None) -> list[Problem]:
    """Compare-VM's report, without what this plan checks itself: switches (switch_map included), the parents of
    differencing disks (``handled_paths``: their source and destination paths), and the configuration version and
    processors when the destination reported what it supports (capacity_problems)."""
    problems = []
    handled = [path.lower() for path in handled_paths]
    for message_id, message in incompatibilities:
        text = message.lower()
        if message_id == SWITCH_MISSING or any(path in text for path in handled):
            continue
        if destination is not None and (("configuration version" in text and destination.configuration_versions)
                                        or ("processor" in text and destination.logical_processors)):
            continue
        problems.append(Problem(f"VM '{vm.name}': {message}", _compatibility_fix(message)))
    return problems


def version_fix(vm: str, destination: str, version: str) -> str:
    return (f"Move '{vm}' through Hyper-V Replica instead (roles/replica: replicate it to {destination}, then a planned "
            "failover and removing replication; see docs/replica.md), or upgrade "
            f"{destination} to a Windows Server release that runs configuration version {version or 'of the VM'}. "
            "A configuration version cannot be lowered.")


def _compatibility_fix(message: str) -> str:
    text = message.lower()
    if "configuration version" in text:
        return version_fix("the VM", "the destination", "")
    if "processor" in text:
        return "Lower the VM's processor_count (winvirt.hyperv.hyperv_vm) or choose a larger destination."
    if "parent" in text:
        return ("The destination needs the parent disk where the VM's disk will look for it, as the same disk (the "
                "same disk identifier): move or rename a different file at that path on the destination.")
    if "space" in text:
        return "Free space on the destination volume or choose another destination_path."
    if "already exists" in text:
        return ("A file or a VM with the same id is already on the destination: remove the stale one, or choose "
                "another destination_path.")
    if "0x80070005" in text or "access denied" in text:
        return ("Give the hosts' computer accounts (DOMAIN\\HOST$) Full Control on the share and its folder "
                "(winvirt.hyperv.hyperv_smb_share full_access and ntfs_full_control), or the hosts' AD group.")
    if "smb share" in text:
        return "Use mode=shared_nothing, or put the VM's files on an SMB 3.0 share first."
    return "Resolve it on the hosts and run the task again."


def plan_migration(names: t.Sequence[str], vms: t.Mapping[str, VmFacts], source: HostFacts, destination: HostFacts,
                   switch_map: t.Mapping[str, str], reports: t.Mapping[str, list[tuple[int, str]]],
                   session_problems: t.Sequence[Problem] = (),
                   disk_files: tuple[t.Mapping[str, DiskFile], t.Mapping[str, DiskFile]] | None = None,
                   handling: ParentHandling | None = None) -> MigrationPlan:
    """The plan for a move to another host: every problem at once, or the VMs to move. ``disk_files`` (the
    source's Get-VHD rows by lower-case path, and the destination's at the parents' target paths) plans the
    parents of differencing disks, as ``handling`` says the hosts treat them."""
    moving, done, problems = select_vms(names, list(vms), list(destination.vms))
    plan = MigrationPlan(unchanged=done, problems=problems)
    if moving:
        plan.problems.extend(host_problems(source, destination))
        plan.problems.extend(session_problems)
    handled: list[str] = []
    if disk_files is not None:
        handling = handling or ParentHandling(host_moves=source.moves_parents)
        plan.parent_copies, parent_problems = parent_copy_plan([vms[n] for n in moving], *disk_files, handling,
                                                               destination.name)
        plan.problems.extend(parent_problems)
        handled = parent_paths([vms[n] for n in moving], disk_files[0], handling)
    for name in moving:
        vm = vms[name]
        reconnect, switch_problems = switch_plan(vm, destination, switch_map)
        plan.problems.extend(switch_problems)
        plan.problems.extend(capacity_problems(vm, destination))
        plan.problems.extend(compatibility_problems(vm, reports.get(name, []), handled, destination))
        plan.moves.append(VmMove(vm, reconnect, [p for p in plan.parent_copies if p.vm == name]))
    return plan


def plan_storage_move(names: t.Sequence[str], vms: t.Mapping[str, VmFacts], destination_path: str) -> MigrationPlan:
    """A storage-only move on one host: VMs whose files are not all under ``destination_path`` move."""
    plan = MigrationPlan()
    root = destination_path.rstrip("\\").lower()
    for wanted in names:
        found = [n for n in vms if _matches(wanted, n)]
        if not found and not wildcard.is_pattern(wanted):
            plan.problems.append(Problem(f"VM '{wanted}' is not on the host.", "Check the name and the host."))
        for name in found:
            vm = vms[name]
            inside = [p for p in (vm.path, *vm.disks) if p.lower() == root or p.lower().startswith(root + "\\")]
            if len(inside) == 1 + len(vm.disks):
                plan.unchanged.append(name)
            elif all(move.vm.name != name for move in plan.moves):
                plan.moves.append(VmMove(vm))
    return plan


def plan_storage_parents(plan: MigrationPlan, disk_files: tuple[t.Mapping[str, DiskFile], t.Mapping[str, DiskFile]],
                         handling: ParentHandling, host: str) -> None:
    """A storage move's parents: on Windows Server 2012 R2 and later Move-VMStorage copies each parent of a moving
    VM's differencing disks to where its disks go (beside them in the destination path) unless the same disk is
    already there; ``disk_files`` is the host's Get-VHD rows of the chains and of those target paths. Each copy is
    listed with the VM that needs it first and counted in its bytes; a different file at a target is a problem."""
    if not plan.moves or not handling.host_moves:
        return  # Windows Server 2012 leaves the parents where they are: nothing else moves
    plan.parent_copies, problems = parent_copy_plan([move.vm for move in plan.moves], *disk_files, handling, host)
    plan.problems.extend(problems)
    for move in plan.moves:
        move.parents = [p for p in plan.parent_copies if p.vm == move.vm.name]


def failure_message(problems: t.Sequence[Problem]) -> str:
    lines = [f"The live migration preflight found {len(problems)} problem(s); nothing was moved:"]
    lines += [f"{index}. {problem}" for index, problem in enumerate(problems, 1)]
    return "\n".join(lines)
