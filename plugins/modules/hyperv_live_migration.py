#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_live_migration
short_description: Move Hyper-V virtual machines between standalone hosts, or their storage on one host
version_added: 0.1.0
description:
  - Shared-nothing live migration (running state, configuration, checkpoints, smart paging and VHDs), VM-only
    live migration of a VM whose files are on an SMB 3.0 share, or a storage-only move on the source host.
  - A preflight runs before anything moves and fails with every problem at once, each with its fix; both hosts
    must allow migrations and use the same authentication type, the source must be able to authenticate to the
    destination (Kerberos from the controller needs constrained delegation, see M(winvirt.hyperv.hyperv_spn), or
    O(auth=credssp)), Compare-VM must report no incompatibility, the destination must have every switch the VM
    uses (or O(switch_map) names one it has), with enough free space.
  - A differencing disk's parents (a shared base image) must reach the destination as the same disk (its disk
    identifier). Windows Server 2012 R2 and later move them with the VM themselves (where the VM's disks go, that is the
    O(vhd_paths) entry naming the parent, else beside the disks in O(destination_path), else the same path), and
    the module keeps the source's copies (O(keep_source_parents)). A source running Windows Server 2012 leaves
    them behind; the module copies a missing chain to the same path on the destination first (root first, through
    the destination's administrative share, so the source needs CredSSP or cifs delegation to the destination) and
    checks it. The plan lists each parent that will be copied, with its bytes. A different file where a parent
    must go is never overwritten and fails the preflight.
  - Idempotent; a VM already on the destination and absent from the source is V(ok). Live migration is a planned
    move, not high availability; clustered VMs are out of scope (use Move-ClusterVirtualMachineRole).
  - The module connects to the source host (the connection options) and to O(destination).
  - With O(ldap_server) set, the preflight also reads both hosts' computer accounts from that domain controller
    (read only) and reports, with the other problems, a migration SPN the destination lacks (the move would fail
    with 0x80090303), delegation the source lacks to the destination's migration and C(cifs) services, and
    Kerberos-only delegation where this task's session to the source is NTLM (both would fail with 0x8009030E).
    Without it those surface only from the hosts' own answers, one at a time and only once migrations are enabled.
extends_documentation_fragment:
  - winvirt.hyperv.connection
  - winvirt.hyperv.connection.destination
  - winvirt.hyperv.ldap
options:
  name:
    description:
      - The VMs to move, by exact name or by a PowerShell wildcard pattern, matched as C(Get-VM -Name) matches it
        (case ignored), such as V(web*), V(web?) or V(web[1-3]). A backtick makes the next character literal
        (V(web`[1`]) is the name C(web[1])).
    type: list
    elements: str
    required: true
  mode:
    description:
      - V(shared_nothing) moves the VM with all its files to O(destination_path) (or the same paths as on the
        source, or per disk with O(vhd_paths)).
      - V(vm_only) moves only the running state and configuration of a VM whose files are on an SMB share.
      - V(storage) moves the VM's files to O(destination_path) on the source host while it keeps running.
        O(destination) is not used.
    type: str
    choices: [shared_nothing, vm_only, storage]
    default: shared_nothing
  destination_path:
    description: Folder for the VM's files on the destination (for V(storage), on the source host).
    type: str
  vhd_paths:
    description:
      - Per-disk destination, source path to destination path (shared_nothing only). Disks not listed keep their
        path; the configuration goes to O(destination_path) when set.
      - Only the folder can change; Move-VM keeps a disk's file name, so a destination with another file name fails
        before anything is contacted.
    type: dict
  switch_map:
    description:
      - Source switch name to destination switch name, for adapters whose switch the destination names
        differently. Mapped adapters are disconnected for the move and connected to the mapped switch after it
        (the VM has no network on those adapters during the move).
    type: dict
    default: {}
  keep_source_parents:
    description:
      - Keep the source's copies of the differencing parents that Hyper-V moves with a VM (Move-VM
        C(-RetainVhdCopiesOnSource)); V(false) deletes them once the move is done (C(-RemoveSourceUnmanagedVhds)),
        which breaks every other VM on the source made from the same base image.
      - Applies to sources running Windows Server 2012 R2 or later (they move parents themselves), and to
        V(storage) moves; a Windows Server 2012 source always keeps them.
    type: bool
    default: true
  timeout:
    description:
      - Seconds the task may take. A move still running when they are up is stopped on the host (Hyper-V
        cancels it; the VM stays on the source, running), further VMs are not started, and the task fails
        listing the VMs that moved and those that did not.
    type: int
    default: 3600
attributes:
  check_mode:
    description: Runs the whole preflight and returns the plan; moves nothing.
    support: full
  diff_mode:
    description: Which VMs are on which host, before and after.
    support: full
seealso:
  - module: winvirt.hyperv.hyperv_host
  - module: winvirt.hyperv.hyperv_spn
  - module: winvirt.hyperv.hyperv_switch
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Move app1 with its disks from hv1 to hv2
  winvirt.hyperv.hyperv_live_migration:
    hostname: hv1.lab.test
    destination:
      hostname: hv2.lab.test
    auth: credssp
    name: [app1]
    destination_path: D:\Hyper-V\app1

- name: Move web VMs to an older host that has no "Lab Private" switch
  winvirt.hyperv.hyperv_live_migration:
    hostname: hv1.lab.test
    destination:
      hostname: hv3.lab.test
    auth: credssp
    name: ["web*"]
    switch_map:
      Lab Private: vNet-LAN50
"""

RETURN = r"""
moved:
  description: The VMs moved (or, in check mode, that would move).
  returned: always
  type: list
  elements: str
  sample:
    - ws1
unchanged:
  description: The VMs already where the task wants them.
  returned: always
  type: list
  elements: str
  sample:
    - app1
plan:
  description:
    - One entry per VM to move, with its state, its bytes (its disks and the parents copied for it), the parents
      the destination lacks (C(parents), each with C(path), C(destination_path), C(bytes) and C(copied_by), which is
      C(Move-VM), C(Move-VMStorage) or C(Copy-Item before the move)) and the switch remapping.
  returned: always
  type: list
  elements: dict
  sample:
    - name: app1
      id: c9e99acd-99ad-53a4-956e-917f31cef9f1
      state: 'Off'
      bytes: 22020096000
      parents: []
      switches:
      - adapter: Network Adapter
        from: Lab Private
        to: vNet-LAN50
problems:
  description: Every preflight problem, with its fix.
  returned: failure
  type: list
  elements: dict
  sample:
    - what: Live migration is not enabled on hv3.lab.test.
      fix: 'winvirt.hyperv.hyperv_host on hv3.lab.test with live_migration.enabled: true.'
    - what: hv3.lab.test has no virtual switch 'Lab Private' for adapter 'Network Adapter' of VM 'app1'.
      fix: Map it to one of the destination's switches (vNet-LAN50) with switch_map, or create it with winvirt.hyperv.hyperv_switch
        on hv3.lab.test.
duration:
  description: Seconds the moves took.
  returned: always
  type: float
  sample: 0.369
bytes_moved:
  description: Bytes of virtual disk moved (0 for V(vm_only)); in check mode, what would move.
  returned: always
  type: int
  sample: 943718400
"""

import time
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._ad_ldap import LdapDirectory
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._deadline import Deadline
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration import (
    HOST_ROWS,
    compare_command,
    copy_commands,
    destination_commands,
    disconnect_commands,
    disk_files,
    is_authentication_failure,
    move_parameters,
    parent_switches,
    parse_host,
    parse_report,
    parse_source,
    reconnect_commands,
    session_problem,
    source_commands,
    source_vm_ids,
    unread_parents,
    vhd_command,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_plan import (
    MODES,
    DiskFile,
    HostFacts,
    MigrationPlan,
    ParentHandling,
    Problem,
    failure_message,
    host_problems,
    parent_targets,
    plan_migration,
    plan_storage_move,
    plan_storage_parents,
    select_vms,
    shared_name_problems,
    vhd_path_problems,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._ldap_connection import LdapOptions, ldap_argument_spec, resolve_ldap
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_directory import accounts_to_read, directory_problems
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, name_problem, path_problem, pattern_problem, problems_of

MAX_CHAIN_DEPTH = 8  # levels of parents read on the source (one round trip each)


def argument_spec() -> dict[str, t.Any]:
    return {
        "name": {"type": "list", "elements": "str", "required": True},
        "mode": {"type": "str", "choices": list(MODES), "default": "shared_nothing"},
        "destination_path": {"type": "str"},
        "vhd_paths": {"type": "dict"},
        "switch_map": {"type": "dict", "default": {}},
        "keep_source_parents": {"type": "bool", "default": True},
        "timeout": {"type": "int", "default": 3600},
        **ldap_argument_spec(),
    }


def _parents(module: HyperVModule, source: HostFacts) -> dict[str, t.Any]:
    return parent_switches(source.moves_parents, module.params["keep_source_parents"])


def _compare(module: HyperVModule, client: t.Any, moving: list[str], source: HostFacts,
             destination: HostFacts) -> tuple[dict[str, list[tuple[int, str]]], list[Problem]]:
    """Compare-VM for each VM. A failure to reach the destination at all is one problem for the whole task; when
    the hosts' own settings already explain it (migrations off, different authentication), only an
    authentication failure adds anything."""
    params = module.params
    reports: dict[str, list[tuple[int, str]]] = {}
    explained = bool(host_problems(source, destination))
    for name in moving:
        parameters = move_parameters(name, destination.name, params["mode"], params["destination_path"],
                                     params["vhd_paths"], _parents(module, source))
        try:
            rows = client.run([compare_command(parameters)], retry=True)
        except HyperVError as err:
            if explained and not is_authentication_failure(err):
                return reports, []
            return reports, [session_problem(err, source, destination, client.session_auth())]
        reports[name] = parse_report(rows[0])
    return reports, []


def _ldap_options(module: HyperVModule) -> LdapOptions | None:
    """The domain controller to read the hosts' accounts from, when ldap_server is set (checked before any call)."""
    if not module.params.get("ldap_server") or module.params["mode"] == "storage":
        return None
    try:
        return resolve_ldap(module.params)
    except ValueError as exc:
        module.fail_json(msg=f"hyperv_live_migration: ldap_server is set for the directory checks, but {exc}")


def _directory(module: HyperVModule, options: LdapOptions, client: t.Any, source: HostFacts,
               destination: HostFacts) -> list[Problem]:
    """The SPN and delegation problems of this move, read from the domain controller (read only)."""
    directory = LdapDirectory(options)
    try:
        directory.open()
        accounts = directory.read_computers(accounts_to_read(source, destination))
        return directory_problems(source, destination, accounts, directory.domain_dns_name, module.params["mode"],
                                  client.session_auth(), directory.where)
    except HyperVError as err:
        module.fail_hyperv(err, round_trips=module.round_trips)
    finally:
        directory.close()


def _disk_files(module: HyperVModule, source: t.Any, target: t.Any, known: dict[str, DiskFile],
                moving: list[t.Any], handling: ParentHandling) -> tuple[dict[str, DiskFile], dict[str, DiskFile]]:
    """The moving VMs' disks and their whole parent chains on the source (a round trip per level of parents),
    and the destination's files where the parents must go (for a storage move, ``target`` is the source)."""
    files = dict(known)
    try:
        for _level in range(MAX_CHAIN_DEPTH):
            missing = unread_parents(files)
            if not missing:
                break
            found = disk_files(source.run([vhd_command(missing)])[0])
            if not found:
                break
            files.update(found)
        targets = parent_targets(moving, files, handling)
        there = disk_files(target.run([vhd_command(targets)])[0]) if targets else {}
    except HyperVError as err:
        module.fail_hyperv(err, round_trips=module.round_trips)
    return files, there


def _copy_parents(module: HyperVModule, source: t.Any, target: t.Any, plan: MigrationPlan, destination: str) -> None:
    """Sources older than Windows Server 2012 R2: copy the missing parents (root first) to the same paths on the
    destination, then check that each copy is the same disk before any VM moves: three round trips however many."""
    parents = plan.copied_first
    if not parents:
        return
    make, copy = copy_commands(parents, destination)
    try:
        target.run(make)
        source.run(copy)
        copied = disk_files(target.run([vhd_command(p.path for p in parents)])[0])
    except HyperVError as err:
        module.fail_hyperv(err, changed=True, moved=[], round_trips=module.round_trips)
    for parent in parents:
        there = copied.get(parent.path.lower())
        if there is None or there.identifier.lower() != parent.identifier.lower():
            module.fail_json(msg=f"the copy of '{parent.path}' on {destination} is not the same disk (identifier "
                                 f"{there.identifier if there else 'missing'}, expected {parent.identifier}); no VM "
                                 "was moved", changed=True, moved=[], round_trips=module.round_trips)


def _fail_preflight(module: HyperVModule, plan: MigrationPlan) -> t.NoReturn:
    module.fail_json(msg=failure_message(plan.problems), problems=[{"what": p.what, "fix": p.fix} for p in plan.problems],
                     plan=[m.as_dict() for m in plan.moves], moved=[], unchanged=plan.unchanged,
                     round_trips=module.round_trips)


def _finish(module: HyperVModule, plan: MigrationPlan, moved: list[str], started: float,
            diff: dict[str, t.Any]) -> t.NoReturn:
    module.exit_json(changed=bool(plan.moves), moved=[m.vm.name for m in plan.moves] if module.check_mode else moved,
                     unchanged=plan.unchanged, plan=[m.as_dict() for m in plan.moves],
                     duration=round(time.monotonic() - started, 3),
                     bytes_moved=0 if module.params["mode"] == "vm_only" else plan.bytes_to_move,
                     round_trips=module.round_trips, **({"diff": diff} if module._diff else {}))


def main() -> None:
    module = HyperVModule(argument_spec(), with_destination=True, supports_check_mode=True,
                          required_if=[("mode", "storage", ["destination_path"]),
                                       ("mode", "shared_nothing", ["destination"]),
                                       ("mode", "vm_only", ["destination"])])
    fail_on_problems(module, "hyperv_live_migration", problems_of(
        path_problem("destination_path", module.params["destination_path"]),
        *(name_problem("name", name) for name in module.params["name"]),
        *(pattern_problem("name", name) for name in module.params["name"])))
    params = module.params
    ldap_options = _ldap_options(module)
    started = time.monotonic()
    bad_paths = vhd_path_problems(params["vhd_paths"])
    if bad_paths:
        _fail_preflight(module, MigrationPlan(problems=bad_paths))
    source = module.client()
    try:
        source_rows = source.run(source_commands(), retry=True)
    except HyperVError as err:
        module.fail_hyperv(err, round_trips=module.round_trips)
    source_host, vms = parse_source(source_rows)
    source.name = source_host.name or source.name
    shared = shared_name_problems(params["name"], source_vm_ids(source_rows), source.name)
    if shared:  # parse_source keeps one VM per name: which one the user means is unknown
        _fail_preflight(module, MigrationPlan(problems=shared))
    source_disks = disk_files(source_rows[-1])
    if params["mode"] == "storage":
        _storage(module, source, source_host, vms, source_disks, started)
    target = module.client(module.destination_options())
    try:
        rows = target.run(destination_commands(), retry=True)
    except HyperVError as err:
        module.fail_hyperv(err, round_trips=module.round_trips)
    destination = parse_host(rows, rows[HOST_ROWS])
    target.name = destination.name or target.name
    moving, _done, _problems = select_vms(params["name"], list(vms), list(destination.vms))
    files = None
    handling = ParentHandling(source_host.moves_parents, params["destination_path"], params["vhd_paths"])
    if moving and params["mode"] == "shared_nothing":
        files = _disk_files(module, source, target, source_disks, [vms[n] for n in moving], handling)
    reports: dict[str, list[tuple[int, str]]] = {}
    session: list[Problem] = []
    if moving:
        reports, session = _compare(module, source, moving, source_host, destination)
    plan = plan_migration(params["name"], vms, source_host, destination, params["switch_map"], reports, session, files,
                          handling)
    if moving and ldap_options is not None:
        plan.problems.extend(_directory(module, ldap_options, source, source_host, destination))
    if plan.problems:
        _fail_preflight(module, plan)
    diff = {"before": {"source": sorted(source_host.vms), "destination": sorted(destination.vms)},
            "after": {"source": sorted(set(source_host.vms) - set(moving)),
                      "destination": sorted(set(destination.vms) | set(moving))}}
    if module.check_mode or not plan.moves:
        _finish(module, plan, [], started, diff)
    moved: list[str] = []
    deadline = Deadline(params["timeout"] - (time.monotonic() - started))
    _copy_parents(module, source, target, plan, destination.name)
    for move in plan.moves:
        name = move.vm.name
        if deadline.expired:
            _timed_out(module, plan, moved, None)
        parameters = move_parameters(name, destination.name, params["mode"], params["destination_path"],
                                     params["vhd_paths"], _parents(module, source_host))
        try:
            source.run([*disconnect_commands(name, move.reconnect), Cmd("Move-VM", parameters)], deadline=deadline)
        except HyperVError as err:
            role, where = _where(source, target, name)
            if role == "destination":  # the move finished on the host; only its answer was lost
                moved.append(name)
                if move.reconnect:
                    try:
                        target.run(reconnect_commands(name, move.reconnect, to_target=True))
                    except HyperVError as undo:
                        module.warn(f"could not reconnect the adapters of '{name}' on the destination: {undo}")
                module.fail_json(msg=f"{err} - but the move of '{name}' completed: {where}. Moved: {', '.join(moved)}.",
                                 error=err.to_result(), changed=True, moved=moved, round_trips=module.round_trips)
            if move.reconnect:
                try:
                    source.run(reconnect_commands(name, move.reconnect, to_target=False))
                except HyperVError as undo:
                    module.warn(f"could not reconnect the adapters of '{name}' on the source: {undo}")
            if err.category == "timeout":
                _timed_out(module, plan, moved, where)
            module.fail_json(msg=f"{err} ({where})", error=err.to_result(), changed=bool(moved), moved=moved,
                             round_trips=module.round_trips)
        moved.append(name)
        if move.reconnect:
            try:
                target.run(reconnect_commands(name, move.reconnect, to_target=True))
            except HyperVError as err:
                module.fail_hyperv(err, changed=True, moved=moved, round_trips=module.round_trips)
    _finish(module, plan, moved, started, diff)


def _where(source: t.Any, target: t.Any, name: str) -> tuple[str | None, str]:
    """Where a VM whose move failed or was stopped is now, as far as the hosts say: (role, sentence)."""
    for client, role in ((target, "destination"), (source, "source")):
        try:
            rows = client.run([Cmd("Get-VM", {"Name": name}, missing_ok=True, select=["Name", "State"])], retry=True,
                              deadline=Deadline(60))
        except HyperVError:
            continue
        if rows and rows[0]:
            return role, f"'{name}' is on the {role} host {client.name} ({rows[0][0].get('State')})"
    return None, f"where '{name}' is could not be read from either host"


def _timed_out(module: HyperVModule, plan: MigrationPlan, moved: list[str], stopped: str | None) -> t.NoReturn:
    timeout = module.params["timeout"]
    left = [m.vm.name for m in plan.moves if m.vm.name not in moved]
    detail = f"the move in progress was stopped on the host; {stopped}. " if stopped else ""
    module.fail_json(msg=f"timeout ({timeout} s) reached: {detail}Moved: {', '.join(moved) or 'none'}; not moved: "
                         f"{', '.join(left)}. Raise timeout if the moves need longer.",
                     changed=bool(moved), moved=moved, round_trips=module.round_trips)


def _storage(module: HyperVModule, source: t.Any, host: HostFacts, vms: dict[str, t.Any],
             known: dict[str, DiskFile], started: float) -> t.NoReturn:
    path = module.params["destination_path"]
    plan = plan_storage_move(module.params["name"], vms, path)
    if plan.moves and host.moves_parents:
        handling = ParentHandling(True, path, mover="Move-VMStorage")
        files = _disk_files(module, source, source, known, [move.vm for move in plan.moves], handling)
        plan_storage_parents(plan, files, handling, host.name)
    if plan.problems:
        _fail_preflight(module, plan)
    diff = {"before": {m.vm.name: {"path": m.vm.path, "disks": list(m.vm.disks)} for m in plan.moves},
            "after": {m.vm.name: {"path": path} for m in plan.moves}}
    moved: list[str] = []
    if not module.check_mode:
        for move in plan.moves:
            try:
                source.run([Cmd("Move-VMStorage", {"Name": move.vm.name, "DestinationStoragePath": path,
                                                   **_parents(module, host)})])
            except HyperVError as err:
                module.fail_hyperv(err, changed=bool(moved), moved=moved, round_trips=module.round_trips)
            moved.append(move.vm.name)
    _finish(module, plan, moved, started, diff)


if __name__ == "__main__":
    main()
