# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv_replica's decisions: from the two hosts' facts and the task's wishes to ordered steps.

FOR INTERNAL COLLECTION USE ONLY. Pure: no I/O. ``primary`` is the host the task connects to
(``hostname``), ``replica`` the ``destination``; for a failover they are where the VM runs before and
after. Every problem is found before any step runs, so a refused task changes nothing.
"""

from __future__ import annotations

import dataclasses
import ntpath
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica import ReplicaHost, Side, test_vm_name
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_server import acceptance_problems

ACTIONS = ("planned_failover", "test_failover", "test_failover_cleanup", "unplanned_failover", "suspend", "resume",
           "resynchronize")
# states from which Suspend-VMReplication pauses a primary
SUSPENDABLE = ("Replicating", "WaitingForInitialReplication", "ReadyForInitialReplication")
INITIAL_REPLICATION = ("now", "scheduled", "export", "none")
FREQUENCIES = (30, 300, 900)
# states of the replica side from which a failover may start
FAILOVER_FROM = ("Replicating", "Suspended", "WaitingForStartResynchronize")
NEEDS_RESYNC = ("WaitingForStartResynchronize", "Error", "ResynchronizeSuspended")
NO_CONFIRM = {"Confirm": False}


@dataclasses.dataclass(frozen=True)
class ReplicationSpec:
    name: str
    state: str = "present"
    action: str | None = None
    replica_server: str | None = None  # how the primary names the replica server (default: the replica's FQDN)
    port: int | None = None
    authentication: str = "kerberos"
    certificate_thumbprint: str | None = None
    compression: bool = True
    frequency: int = 300
    recovery_points: int = 0
    app_consistent_frequency: int = 0
    include_vhds: tuple[str, ...] | None = None
    exclude_vhds: tuple[str, ...] = ()
    initial_replication: str = "now"
    initial_replication_start_time: str | None = None
    export_path: str | None = None
    allow_shutdown: bool = False
    start_vm: bool = True
    recovery_point: str | None = None
    reverse: bool = True

    @property
    def wanted_port(self) -> int:
        return self.port or (443 if self.authentication == "certificate" else 80)


@dataclasses.dataclass
class Step:
    host: str  # primary | replica
    commands: list[Cmd]


@dataclasses.dataclass
class ReplicaPlan:
    steps: list[Step] = dataclasses.field(default_factory=list)
    changes: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)

    def run(self, host: str, *commands: Cmd) -> None:
        """Append commands for ``host``, joining the previous step when it is for the same host."""
        if self.steps and self.steps[-1].host == host:
            self.steps[-1].commands.extend(commands)
        else:
            self.steps.append(Step(host, list(commands)))


def spec_problems(spec: ReplicationSpec) -> list[str]:
    """What is wrong with the options on their own, before any host is read."""
    problems = []
    if spec.frequency not in FREQUENCIES:
        problems.append(f"frequency must be 30, 300 or 900 seconds, not {spec.frequency}")
    if not 0 <= spec.recovery_points <= 24:
        problems.append(f"recovery_points must be 0 (the latest only) to 24, not {spec.recovery_points}")
    if spec.app_consistent_frequency and not (1 <= spec.app_consistent_frequency <= 12 and spec.recovery_points):
        problems.append("app_consistent_frequency (1 to 12 hours) needs recovery_points of at least 1")
    if spec.authentication == "certificate" and not spec.certificate_thumbprint:
        problems.append("authentication=certificate needs certificate_thumbprint")
    if spec.initial_replication == "scheduled" and not spec.initial_replication_start_time:
        problems.append("initial_replication=scheduled needs initial_replication_start_time")
    if spec.initial_replication == "export" and not spec.export_path:
        problems.append("initial_replication=export needs export_path")
    return problems


def _same_path(left: str, right: str) -> bool:
    return ntpath.normcase(ntpath.normpath(left)) == ntpath.normcase(ntpath.normpath(right))


def _replicated(spec: ReplicationSpec, disks: t.Sequence[str], problems: list[str], host: str) -> list[str]:
    """The VM's disks that replicate, from include_vhds / exclude_vhds."""
    named = [*(spec.include_vhds or ()), *spec.exclude_vhds]
    for path in named:
        if not any(_same_path(path, disk) for disk in disks):
            problems.append(f"the VHD {path} is not attached to {spec.name} on {host} (its disks: {', '.join(disks)})")
    if spec.include_vhds is not None:
        chosen = [d for d in disks if any(_same_path(d, p) for p in spec.include_vhds)]
    else:
        chosen = [d for d in disks if not any(_same_path(d, p) for p in spec.exclude_vhds)]
    if disks and not chosen:
        problems.append(f"at least one VHD of {spec.name} must replicate")
    return chosen


def _label(host: ReplicaHost) -> str:
    return host.fqdn or host.name


def _reverse_disks(spec: ReplicationSpec, host: ReplicaHost, side: Side, problems: list[str]) -> list[str]:
    """The disks of the VM on ``host`` (the new primary) that replicate once replication is reversed.

    Reversing hands Hyper-V a whole replication setting, disks included (WMI's ReverseReplicationRelationship takes
    an Msvm_ReplicationSettingData): the disks named by include_vhds / exclude_vhds, else the ones that replicate
    now, so a disk excluded when replication was enabled stays excluded through failover and failback.
    """
    disks = host.vm.disks if host.vm else ()
    if spec.include_vhds is not None or spec.exclude_vhds:
        return _replicated(spec, disks, problems, _label(host))
    kept = [d for d in disks if any(_same_path(d, r) for r in side.replicated_disks)]
    return kept or list(disks)


# -- state: present / absent ------------------------------------------------------------------------

def plan_present(spec: ReplicationSpec, primary: ReplicaHost, replica: ReplicaHost) -> ReplicaPlan:
    plan = ReplicaPlan()
    if primary.vm is None:
        plan.problems.append(f"the VM {spec.name} does not exist on the primary {_label(primary)}")
        return plan
    side = primary.side
    if side is not None and side.mode != "Primary":
        plan.problems.append(f"{spec.name} on {_label(primary)} is a replica of {side.primary}: the replication runs the "
                             "other way (swap hostname and destination), or fail over first")
        return plan
    if side is not None and not replica.is_named(side.replica):
        plan.problems.append(f"{spec.name} replicates to {side.replica}, not to {_label(replica)}: remove its "
                             "replication (state=absent) and enable it again")
        return plan
    chosen = _replicated(spec, primary.vm.disks, plan.problems, _label(primary))
    if side is None:
        _plan_enable(spec, primary, replica, chosen, plan)
    else:
        _plan_settings(spec, primary, side, chosen, plan)
    return plan


def _plan_enable(spec: ReplicationSpec, primary: ReplicaHost, replica: ReplicaHost, chosen: list[str],
                 plan: ReplicaPlan) -> None:
    disks = primary.vm.disks if primary.vm else ()
    if replica.vm is not None and replica.side is None:
        plan.problems.append(f"a VM named {spec.name} already exists on the replica server {_label(replica)}")
    for problem in acceptance_problems(replica.server, _label(replica), primary.names, spec.authentication,
                                       spec.wanted_port):
        plan.problems.append(problem)
    if plan.problems:
        return
    excluded = [d for d in disks if d not in chosen]
    parameters: dict[str, t.Any] = {
        "VMName": spec.name, "ReplicaServerName": spec.replica_server or _label(replica),
        "ReplicaServerPort": spec.wanted_port, "AuthenticationType": spec.authentication.capitalize(),
        "CompressionEnabled": spec.compression, "ReplicationFrequencySec": spec.frequency,
        "RecoveryHistory": spec.recovery_points}
    if spec.app_consistent_frequency:
        parameters["VSSSnapshotFrequencyHour"] = spec.app_consistent_frequency
    if spec.certificate_thumbprint:
        parameters["CertificateThumbprint"] = spec.certificate_thumbprint
    if excluded:
        parameters["ExcludedVhdPath"] = excluded
    plan.run("primary", Cmd("Enable-VMReplication", parameters))
    plan.changes.append(f"enable replication of {spec.name} from {_label(primary)} to {_label(replica)}"
                        + (f" without {', '.join(excluded)}" if excluded else ""))
    _plan_initial(spec, plan)


def _plan_initial(spec: ReplicationSpec, plan: ReplicaPlan) -> None:
    if spec.initial_replication == "none":
        return
    parameters: dict[str, t.Any] = {"VMName": spec.name}
    if spec.initial_replication == "scheduled":
        parameters["InitialReplicationStartTime"] = spec.initial_replication_start_time
        plan.changes.append(f"schedule the initial replication at {spec.initial_replication_start_time}")
    elif spec.initial_replication == "export":
        parameters["DestinationPath"] = spec.export_path
        plan.changes.append(f"export the initial copy to {spec.export_path}")
    else:
        plan.changes.append("start the initial replication over the network")
    plan.run("primary", Cmd("Start-VMInitialReplication", parameters))


def _plan_settings(spec: ReplicationSpec, primary: ReplicaHost, side: Side, chosen: list[str],
                   plan: ReplicaPlan) -> None:
    parameters: dict[str, t.Any] = {}
    for name, wanted, now, label in (
            ("ReplicationFrequencySec", spec.frequency, side.frequency, "frequency"),
            ("RecoveryHistory", spec.recovery_points, side.recovery_history, "recovery points"),
            ("CompressionEnabled", spec.compression, side.compression, "compression"),
            ("ReplicaServerPort", spec.wanted_port, side.port, "port"),
            ("AuthenticationType", spec.authentication.capitalize(), side.authentication.capitalize(), "authentication")):
        if wanted != now:
            parameters[name] = wanted
            plan.changes.append(f"{label} {now} -> {wanted}")
    if spec.app_consistent_frequency != side.vss_frequency:
        if spec.app_consistent_frequency:
            parameters["VSSSnapshotFrequencyHour"] = spec.app_consistent_frequency
        else:
            parameters["DisableVSSSnapshotReplication"] = True
        plan.changes.append(f"app-consistent snapshots every {side.vss_frequency} -> {spec.app_consistent_frequency} h")
    if spec.certificate_thumbprint and spec.certificate_thumbprint.upper() != (side.certificate_thumbprint or "").upper():
        parameters["CertificateThumbprint"] = spec.certificate_thumbprint
        plan.changes.append("certificate thumbprint")
    if sorted(d.lower() for d in chosen) != sorted(d.lower() for d in side.replicated_disks):
        if side.state != "ReadyForInitialReplication":
            plan.problems.append(f"the replicated VHDs of {spec.name} can change only before the initial replication "
                                 f"(it is {side.state}): remove its replication (state=absent) and enable it again")
        else:
            parameters["ReplicatedDiskPaths"] = chosen
            plan.changes.append(f"replicate {', '.join(chosen)}")
    if parameters and not plan.problems:
        plan.run("primary", Cmd("Set-VMReplication", {"VMName": spec.name, **parameters}))
    if side.state == "ReadyForInitialReplication" and not plan.problems:
        _plan_initial(spec, plan)


def plan_absent(spec: ReplicationSpec, primary: ReplicaHost, replica: ReplicaHost) -> ReplicaPlan:
    plan = ReplicaPlan()
    for key, host in (("primary", primary), ("replica", replica)):
        if host.side is not None:
            if host.test_vm is not None and host.side.mode == "Replica":
                plan.run(key, Cmd("Stop-VMFailover", {"VMName": spec.name, **NO_CONFIRM}))
                plan.changes.append(f"remove the test VM {host.test_vm.name} on {_label(host)}")
            plan.run(key, Cmd("Remove-VMReplication", {"VMName": spec.name, **NO_CONFIRM}))
            plan.changes.append(f"remove the replication of {spec.name} on {_label(host)} ({host.side.mode.lower()})")
    return plan


# -- actions ---------------------------------------------------------------------------------------

def _require_replica_side(spec: ReplicationSpec, replica: ReplicaHost, plan: ReplicaPlan) -> Side | None:
    if replica.side is None or replica.vm is None:
        plan.problems.append(f"{spec.name} has no replica on {_label(replica)} (enable replication first)")
        return None
    return replica.side


def _shutdown(spec: ReplicationSpec, vm_state: str, host: str, plan: ReplicaPlan, turn_off: bool = False) -> Cmd | None:
    if vm_state == "Off":
        return None
    if not spec.allow_shutdown:
        plan.problems.append(f"{spec.name} is {vm_state.lower()} on {host}; a failover needs it off: shut it down "
                             "first, or set allow_shutdown: true to let the task do it")
        return None
    if vm_state == "Saved":
        return Cmd("Stop-VM", {"Name": spec.name, "TurnOff": True, "Force": True})
    return Cmd("Stop-VM", {"Name": spec.name, "TurnOff": True} if turn_off else {"Name": spec.name, "Force": True})


def _start(spec: ReplicationSpec, host: ReplicaHost, key: str, plan: ReplicaPlan, name: str | None = None) -> None:
    vm_name = name or spec.name
    vm = host.test_vm if name else host.vm
    if spec.start_vm and (vm is None or vm.state != "Running"):
        plan.run(key, Cmd("Start-VM", {"Name": vm_name}))
        plan.changes.append(f"start {vm_name} on {_label(host)}")


def _failover_command(spec: ReplicationSpec, replica: ReplicaHost, plan: ReplicaPlan, test: bool) -> Cmd:
    extra = {"AsTest": True} if test else {}
    if spec.recovery_point is None:
        return Cmd("Start-VMFailover", {"VMName": spec.name, **extra, **NO_CONFIRM})
    if not any(p.name == spec.recovery_point for p in replica.recovery_points):
        names = ", ".join(p.name for p in replica.recovery_points) or "none"
        plan.problems.append(f"the recovery point '{spec.recovery_point}' does not exist on {_label(replica)} "
                             f"(it has: {names})")
    return Cmd("Get-VMSnapshot", {"VMName": spec.name, "Name": spec.recovery_point},
               piped=[Cmd("Start-VMFailover", {**extra, **NO_CONFIRM})])


def plan_planned_failover(spec: ReplicationSpec, primary: ReplicaHost, replica: ReplicaHost) -> ReplicaPlan:
    plan = ReplicaPlan()
    rside = replica.side
    if rside is not None and rside.mode == "Primary" and replica.is_named(rside.primary):
        _start(spec, replica, "replica", plan)  # already failed over (and reversed)
        return plan
    if rside is not None and rside.mode == "Replica" and rside.state in ("FailedOverWaitingCompletion", "FailedOver") \
            and not spec.reverse:
        if rside.state != "FailedOver":
            plan.run("replica", Cmd("Complete-VMFailover", {"VMName": spec.name, **NO_CONFIRM}))
            plan.changes.append(f"complete the failover of {spec.name} on {_label(replica)}")
        _start(spec, replica, "replica", plan)
        return plan
    rside = _require_replica_side(spec, replica, plan)
    pside = primary.side
    if rside is None:
        return plan
    if pside is None or pside.mode != "Primary" or primary.vm is None:
        plan.problems.append(f"{spec.name} is not replicating from {_label(primary)} (it is not its primary)")
        return plan
    if rside.state != "Replicating" or pside.state not in ("Replicating", "PreparedForFailover"):
        plan.problems.append(f"a planned failover needs replication in step; it is {pside.state} on "
                             f"{_label(primary)} and {rside.state} on {_label(replica)} (resume or resynchronize first)")
    stop = _shutdown(spec, primary.vm.state, _label(primary), plan)
    reverse_disks: list[str] = []
    if spec.reverse:
        for problem in acceptance_problems(primary.server, _label(primary), replica.names, pside.authentication,
                                           pside.port):
            plan.problems.append(f"replication cannot be reversed, the former primary must accept it: {problem}")
        reverse_disks = _reverse_disks(spec, replica, rside, plan.problems)
    if plan.problems:
        return plan
    if stop is not None:
        plan.run("primary", stop)
        plan.changes.append(f"shut down {spec.name} on {_label(primary)}")
    if pside.state != "PreparedForFailover":
        plan.run("primary", Cmd("Start-VMFailover", {"VMName": spec.name, "Prepare": True, **NO_CONFIRM}))
        plan.changes.append(f"prepare the planned failover on {_label(primary)}")
    plan.run("replica", Cmd("Start-VMFailover", {"VMName": spec.name, **NO_CONFIRM}))
    plan.changes.append(f"fail {spec.name} over to {_label(replica)}")
    if spec.reverse:
        plan.run("replica", Cmd("Set-VMReplication", {"VMName": spec.name, "Reverse": True,
                                                      "ReplicaServerName": _label(primary),
                                                      "ReplicatedDiskPaths": reverse_disks, **NO_CONFIRM}))
        plan.changes.append(f"reverse replication: {_label(replica)} -> {_label(primary)}, replicating "
                            f"{', '.join(reverse_disks)}")
    else:
        plan.run("replica", Cmd("Complete-VMFailover", {"VMName": spec.name, **NO_CONFIRM}))
        plan.changes.append(f"complete the failover of {spec.name} on {_label(replica)}")
    _start(spec, dataclasses.replace(replica, vm=None), "replica", plan)
    return plan


def plan_test_failover(spec: ReplicationSpec, replica: ReplicaHost) -> ReplicaPlan:
    plan = ReplicaPlan()
    side = _require_replica_side(spec, replica, plan)
    if side is None:
        return plan
    if side.mode != "Replica" or side.state not in ("Replicating", "Suspended"):
        plan.problems.append(f"a test failover runs on the replica; {spec.name} on {_label(replica)} is "
                             f"{side.mode} ({side.state})")
        return plan
    if replica.test_vm is None:
        command = _failover_command(spec, replica, plan, test=True)
        if plan.problems:
            return plan
        plan.run("replica", command)
        plan.changes.append(f"create the test VM {test_vm_name(spec.name)} on {_label(replica)}"
                            + (f" from '{spec.recovery_point}'" if spec.recovery_point else ""))
    _start(spec, replica, "replica", plan, name=test_vm_name(spec.name))
    return plan


def plan_test_failover_cleanup(spec: ReplicationSpec, replica: ReplicaHost) -> ReplicaPlan:
    plan = ReplicaPlan()
    if replica.test_vm is not None and replica.side is not None:
        plan.run("replica", Cmd("Stop-VMFailover", {"VMName": spec.name, **NO_CONFIRM}))
        plan.changes.append(f"remove the test VM {replica.test_vm.name} on {_label(replica)}")
    return plan


def plan_unplanned_failover(spec: ReplicationSpec, primary: ReplicaHost | None, replica: ReplicaHost) -> ReplicaPlan:
    plan = ReplicaPlan()
    side = _require_replica_side(spec, replica, plan)
    if side is None:
        return plan
    if side.mode == "Primary":
        _start(spec, replica, "replica", plan)  # failed over and reversed already
        return plan
    if side.state not in (*FAILOVER_FROM, "FailedOverWaitingCompletion", "FailedOver"):
        plan.problems.append(f"{spec.name} on {_label(replica)} cannot fail over from the state {side.state}")
        return plan
    if side.state in FAILOVER_FROM:
        if primary is not None and primary.vm is not None and primary.vm.state == "Running":
            plan.problems.append(f"the primary {_label(primary)} is reachable and {spec.name} runs there; use "
                                 "action=planned_failover (an unplanned failover now would run the VM twice)")
            return plan
        command = _failover_command(spec, replica, plan, test=False)
        if plan.problems:
            return plan
        plan.run("replica", command)
        plan.changes.append(f"fail {spec.name} over to {_label(replica)} from "
                            + (f"the recovery point '{spec.recovery_point}'" if spec.recovery_point else
                               "the latest recovery point"))
    elif spec.recovery_point:
        plan.warnings.append(f"{spec.name} has failed over already; recovery_point is not used")
    _start(spec, replica if side.state not in FAILOVER_FROM else dataclasses.replace(replica, vm=None), "replica", plan)
    if side.state != "FailedOver":
        plan.run("replica", Cmd("Complete-VMFailover", {"VMName": spec.name, **NO_CONFIRM}))
        plan.changes.append(f"complete the failover on {_label(replica)} (its recovery points are merged)")
    if spec.reverse:
        _plan_reverse_after_loss(spec, primary, replica, side, plan)
    return plan


def _plan_reverse_after_loss(spec: ReplicationSpec, primary: ReplicaHost | None, replica: ReplicaHost, side: Side,
                             plan: ReplicaPlan) -> None:
    if primary is None:
        plan.warnings.append(f"the primary is not reachable: replication of {spec.name} is not reversed; run the "
                             "task again with reverse: true when it is back")
        return
    problems = acceptance_problems(primary.server, _label(primary), replica.names, side.authentication, side.port)
    plan.problems += [f"replication cannot be reversed, the former primary must accept it: {p}" for p in problems]
    stop = _shutdown(spec, primary.vm.state, _label(primary), plan, turn_off=True) if primary.vm else None
    disks = _reverse_disks(spec, replica, side, plan.problems)
    if plan.problems:
        return
    if stop is not None:
        plan.run("primary", stop)
        plan.changes.append(f"turn off the stale {spec.name} on {_label(primary)}")
    plan.run("replica", Cmd("Set-VMReplication", {"VMName": spec.name, "Reverse": True,
                                                  "ReplicaServerName": _label(primary), "ReplicatedDiskPaths": disks,
                                                  **NO_CONFIRM}),
             Cmd("Start-VMInitialReplication", {"VMName": spec.name}))
    plan.changes.append(f"reverse replication: {_label(replica)} -> {_label(primary)}, with a new initial replication")


def plan_resume(spec: ReplicationSpec, primary: ReplicaHost, replica: ReplicaHost, resynchronize: bool) -> ReplicaPlan:
    plan = ReplicaPlan()
    if primary.side is None and replica.side is None:
        plan.problems.append(f"{spec.name} has no replication on {_label(primary)} or {_label(replica)}")
        return plan
    for key, host in (("primary", primary), ("replica", replica)):
        side = host.side
        if side is None:
            continue
        needs = side.state in NEEDS_RESYNC or side.health == "Critical" and side.mode == "Primary"
        if resynchronize and side.mode == "Primary" and (needs or side.state == "Suspended"):
            plan.run(key, Cmd("Resume-VMReplication", {"VMName": spec.name, "Resynchronize": True}))
            plan.changes.append(f"resynchronize {spec.name} from {_label(host)}")
        elif not resynchronize and side.state == "Suspended":
            plan.run(key, Cmd("Resume-VMReplication", {"VMName": spec.name}))
            plan.changes.append(f"resume replication of {spec.name} on {_label(host)}")
        elif not resynchronize and needs and side.mode == "Primary":
            plan.problems.append(f"replication of {spec.name} on {_label(host)} needs resynchronization "
                                 f"({side.state}, {side.health}): use action=resynchronize")
    return plan


def plan_suspend(spec: ReplicationSpec, primary: ReplicaHost, replica: ReplicaHost) -> ReplicaPlan:
    """Suspend-VMReplication on whichever host is the primary now (the replica then receives nothing)."""
    plan = ReplicaPlan()
    found = next(((key, host) for key, host in (("primary", primary), ("replica", replica))
                  if host.side is not None and host.side.mode == "Primary"), None)
    if found is None:
        plan.problems.append(f"{spec.name} has no replication whose primary is {_label(primary)} or {_label(replica)} "
                             "(enable replication first; a failed-over replica has nothing to suspend)")
        return plan
    key, host = found
    side = host.side
    if side is None:  # found only hosts with a side
        return plan
    if side.state == "Suspended":
        return plan
    if side.state not in SUSPENDABLE:
        plan.problems.append(f"replication of {spec.name} on {_label(host)} cannot be suspended while it is "
                             f"{side.state}")
        return plan
    plan.run(key, Cmd("Suspend-VMReplication", {"VMName": spec.name}))
    plan.changes.append(f"suspend replication of {spec.name} on {_label(host)} (resume it with action=resume)")
    return plan


def plan_replication(spec: ReplicationSpec, primary: ReplicaHost | None, replica: ReplicaHost) -> ReplicaPlan:
    """The plan for the task: an action, or the relationship's state."""
    if spec.action == "test_failover":
        return plan_test_failover(spec, replica)
    if spec.action == "test_failover_cleanup":
        return plan_test_failover_cleanup(spec, replica)
    if spec.action == "unplanned_failover":
        return plan_unplanned_failover(spec, primary, replica)
    if primary is None:
        raise ValueError(f"the primary host is needed for {spec.action or 'state=' + spec.state}")
    if spec.action == "planned_failover":
        return plan_planned_failover(spec, primary, replica)
    if spec.action == "suspend":
        return plan_suspend(spec, primary, replica)
    if spec.action in ("resume", "resynchronize"):
        return plan_resume(spec, primary, replica, spec.action == "resynchronize")
    if spec.state == "absent":
        return plan_absent(spec, primary, replica)
    return plan_present(spec, primary, replica)


def needs_primary(spec: ReplicationSpec) -> bool:
    """Whether the task cannot do without reading the primary (an unplanned failover or a test works without it)."""
    return spec.action not in ("unplanned_failover", "test_failover", "test_failover_cleanup")
