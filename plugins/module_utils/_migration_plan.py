# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live migration preflight and plan: pure data in, the moves (or every problem with its fix) out.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import typing as t

MODES = ("shared_nothing", "vm_only", "storage")
SWITCH_MISSING = 33012  # Compare-VM's MessageId for a switch the destination lacks (this plan checks switches itself)


@dataclasses.dataclass(frozen=True)
class HostFacts:
    name: str  # as the host calls itself (FQDN when it has one)
    migration_enabled: bool
    authentication: str  # CredSSP | Kerberos
    switches: tuple[str, ...]
    vms: dict[str, str]  # VM name -> VMId


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


@dataclasses.dataclass
class VmMove:
    vm: VmFacts
    reconnect: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (adapter, from, to)

    def as_dict(self) -> dict[str, t.Any]:
        return {"name": self.vm.name, "id": self.vm.id, "state": self.vm.state, "bytes": self.vm.disk_bytes,
                "switches": [{"adapter": a, "from": f, "to": to} for a, f, to in self.reconnect]}


@dataclasses.dataclass
class MigrationPlan:
    moves: list[VmMove] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)  # already where the task wants them
    problems: list[Problem] = dataclasses.field(default_factory=list)
    # parents of differencing disks that stay on the source and must first be copied to the same path
    parent_copies: list[DiskFile] = dataclasses.field(default_factory=list)

    @property
    def bytes_to_move(self) -> int:
        return sum(move.vm.disk_bytes for move in self.moves) + sum(f.file_size for f in self.parent_copies)


def is_pattern(name: str) -> bool:
    return any(ch in name for ch in "*?[")


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
        if not here and not there and not is_pattern(wanted):
            problems.append(Problem(f"VM '{wanted}' is on neither the source nor the destination.",
                                    "Check the name and the source host."))
    return moving, done, problems


def _matches(pattern: str, name: str) -> bool:
    return fnmatch.fnmatchcase(name.lower(), pattern.lower()) if is_pattern(pattern) else name.lower() == pattern.lower()


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


def parent_copy_plan(moving: t.Iterable[VmFacts], source_files: t.Mapping[str, DiskFile],
                     destination_files: t.Mapping[str, DiskFile]) -> tuple[list[DiskFile], list[Problem]]:
    """Every staying parent must be on the destination at the same path as the same disk (its
    disk identifier); a missing one is copied first, a different file at that path is never overwritten."""
    copies: list[DiskFile] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for vm in moving:
        for disk in vm.disks:
            staying, unreadable = staying_parents(disk, source_files)
            for path in unreadable:
                problems.append(Problem(
                    f"VM '{vm.name}': the parent '{path}' of its disk '{disk}' cannot be read on the source.",
                    "Repair the differencing chain (winvirt.hyperv.hyperv_vhd parent_path) before moving the VM."))
            for path in reversed(staying):  # the root first: it is copied first
                if path.lower() in seen or path.lower() not in source_files:
                    continue
                seen.add(path.lower())
                parent = source_files[path.lower()]
                there = destination_files.get(path.lower())
                if there is None:
                    copies.append(parent)
                elif there.identifier.lower() != parent.identifier.lower():
                    problems.append(Problem(
                        f"VM '{vm.name}': '{path}' on the destination is a different disk (identifier "
                        f"{there.identifier}; the source's parent is {parent.identifier}), and it is never "
                        "overwritten.",
                        "Move or rename that file on the destination, or merge the differencing disk into a "
                        "standalone one (winvirt.hyperv.hyperv_vhd) before moving the VM."))
    return copies, problems


def compatibility_problems(vm: VmFacts, incompatibilities: t.Iterable[tuple[int, str]],
                           copied_parents: t.Iterable[str] = ()) -> list[Problem]:
    """Compare-VM's report, without the switch findings (switch_plan owns those, switch_map included) and
    without missing parents the task copies first."""
    problems = []
    copied = [path.lower() for path in copied_parents]
    for message_id, message in incompatibilities:
        if message_id == SWITCH_MISSING or any(path in message.lower() for path in copied):
            continue
        problems.append(Problem(f"VM '{vm.name}': {message}", _compatibility_fix(message)))
    return problems


def _compatibility_fix(message: str) -> str:
    text = message.lower()
    if "parent" in text:
        return ("Copy the parent disk to the same path on the destination first (the same file: its disk "
                "identifier must match), or merge the differencing disk (winvirt.hyperv.hyperv_vhd).")
    if "configuration version" in text:
        return "Move the VM to a host that supports its configuration version; a version cannot be lowered."
    if "processor" in text:
        return "Lower the VM's processor_count (winvirt.hyperv.hyperv_vm) or choose a larger destination."
    if "space" in text:
        return "Free space on the destination volume or choose another destination_path."
    if "already exists" in text:
        return "A VM with the same id is registered on the destination: remove the stale one first."
    if "0x80070005" in text or "access denied" in text:
        return ("Give the hosts' computer accounts (DOMAIN\\HOST$) Full Control on the share and its folder "
                "(winvirt.hyperv.hyperv_smb_share full_access and ntfs_full_control), or the hosts' AD group.")
    if "smb share" in text:
        return "Use mode=shared_nothing, or put the VM's files on an SMB 3.0 share first."
    return "Resolve it on the hosts and run the task again."


def plan_migration(names: t.Sequence[str], vms: t.Mapping[str, VmFacts], source: HostFacts, destination: HostFacts,
                   switch_map: t.Mapping[str, str], reports: t.Mapping[str, list[tuple[int, str]]],
                   session_problems: t.Sequence[Problem] = (),
                   disk_files: tuple[t.Mapping[str, DiskFile], t.Mapping[str, DiskFile]] | None = None) -> MigrationPlan:
    """The plan for a move to another host: every problem at once, or the VMs to move. ``disk_files`` (the
    source's and the destination's Get-VHD rows by lower-case path) plans the copies of staying parents."""
    moving, done, problems = select_vms(names, list(vms), list(destination.vms))
    plan = MigrationPlan(unchanged=done, problems=problems)
    if moving:
        plan.problems.extend(host_problems(source, destination))
        plan.problems.extend(session_problems)
    if disk_files is not None:
        plan.parent_copies, parent_problems = parent_copy_plan([vms[n] for n in moving], *disk_files)
        plan.problems.extend(parent_problems)
    copied = [f.path for f in plan.parent_copies]
    for name in moving:
        vm = vms[name]
        reconnect, switch_problems = switch_plan(vm, destination, switch_map)
        plan.problems.extend(switch_problems)
        plan.problems.extend(compatibility_problems(vm, reports.get(name, []), copied))
        plan.moves.append(VmMove(vm, reconnect))
    return plan


def plan_storage_move(names: t.Sequence[str], vms: t.Mapping[str, VmFacts], destination_path: str) -> MigrationPlan:
    """A storage-only move on one host: VMs whose files are not all under ``destination_path`` move."""
    plan = MigrationPlan()
    root = destination_path.rstrip("\\").lower()
    for wanted in names:
        found = [n for n in vms if _matches(wanted, n)]
        if not found and not is_pattern(wanted):
            plan.problems.append(Problem(f"VM '{wanted}' is not on the host.", "Check the name and the host."))
        for name in found:
            vm = vms[name]
            inside = [p for p in (vm.path, *vm.disks) if p.lower() == root or p.lower().startswith(root + "\\")]
            if len(inside) == 1 + len(vm.disks):
                plan.unchanged.append(name)
            elif all(move.vm.name != name for move in plan.moves):
                plan.moves.append(VmMove(vm))
    return plan


def failure_message(problems: t.Sequence[Problem]) -> str:
    lines = [f"The live migration preflight found {len(problems)} problem(s); nothing was moved:"]
    lines += [f"{index}. {problem}" for index, problem in enumerate(problems, 1)]
    return "\n".join(lines)
