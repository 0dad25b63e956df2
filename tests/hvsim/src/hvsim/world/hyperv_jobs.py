"""Migration jobs: what a host exposes about a live or storage migration while it runs (Msvm_MigrationJob).

Source: Microsoft Learn, "Msvm_MigrationJob class" (root\\virtualization\\v2): a CIM_ConcreteJob that "represents a
migration operation job created for storage or virtual system migration by the virtual system migration service",
with JobState (CIM_ConcreteJob: 4 Running, 7 Completed, 8 Terminated, 10 Exception), PercentComplete ("the percentage
of the job that has completed at the time that this value is requested"), MigrationType (32768 VirtualSystem, 32769
Storage, 32771 VirtualSystemAndStorage), VirtualSystemName (the VM's GUID), DestinationHost, and TimeBeforeRemoval
00000000000500.000000:000 (a finished job stays listed five minutes). hvsim's assumptions (no source): progress is
linear over the move's world duration (``hvsim.world.hyperv_migration._duration``), a job in progress reports at most
99 percent, and the job is on the source host only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import typing

from hvsim.clock import EPOCH, Stopped
from hvsim.contract import CmdletError, PSOutObject, UInt16
from hvsim.world.platform_types import MIGRATION_JOB_TYPE
from hvsim.world.shapes import shaped

if typing.TYPE_CHECKING:
    from hvsim.engine.api import Invocation
    from hvsim.world.model import Machine

NAMESPACE = "root/virtualization/v2"
RUNNING, COMPLETED, TERMINATED, EXCEPTION = 4, 7, 8, 10
MIGRATION_TYPES = {"VirtualSystem": 32768, "Storage": 32769, "VirtualSystemAndStorage": 32771}
KEPT_AFTER_END = 300.0  # TimeBeforeRemoval's default: five minutes


@dataclasses.dataclass
class MigrationJob:
    instance_id: str
    vm_id: str
    vm_name: str
    destination: str
    migration_type: int
    started: float  # world seconds
    seconds: float  # how long the move takes
    state: int = RUNNING
    ended: float | None = None
    error: str = ""

    def percent(self, now: float) -> int:
        return _percent(self.state, self.started, self.seconds, now)


def _percent(state: int, started: float, seconds: float, now: float) -> int:
    """Linear over the job's world duration, at most 99 until it completes (hvsim's assumption, see above)."""
    if state == COMPLETED:
        return 100
    if seconds <= 0:
        return 0
    return min(99, int((now - started) / seconds * 100))


def _job_list(machine: Machine, attribute: str) -> list[typing.Any]:
    """The host's list of jobs of one kind (kept on its Hyper-V state, made on first use)."""
    state = machine.hyperv
    if getattr(state, attribute, None) is None:
        setattr(state, attribute, [])
    return typing.cast(list[typing.Any], getattr(state, attribute))


def _jobs(machine: Machine) -> list[MigrationJob]:
    return _job_list(machine, "migration_jobs")


@contextlib.contextmanager
def _job_for(inv: Invocation, jobs: list[typing.Any], make: typing.Callable[[int], typing.Any],
             seconds: float) -> typing.Iterator[typing.Any]:
    """A job listed while its operation takes ``seconds`` of world time: jobs ended TimeBeforeRemoval ago are
    dropped first; stopped, it ends Terminated; refused, Exception with the message; else Completed."""
    clock = inv.world.clock
    jobs[:] = [job for job in jobs if job.ended is None or clock.now - job.ended < KEPT_AFTER_END]
    job = make(len(jobs))
    jobs.append(job)
    try:
        inv.take_time(seconds)
        yield job
    except Stopped:
        job.state, job.ended = TERMINATED, clock.now
        raise
    except CmdletError as exc:
        job.state, job.ended, job.error = EXCEPTION, clock.now, exc.info.message
        raise
    job.state, job.ended = COMPLETED, clock.now


@contextlib.contextmanager
def migration_job(inv: Invocation, source: Machine, vm: typing.Any, destination: str, migration_type: str,
                  seconds: float) -> typing.Iterator[MigrationJob]:
    """A job on ``source`` for the move of ``vm`` while it takes ``seconds`` of world time (``inv.take_time``)."""
    now = inv.world.clock.now

    def make(listed: int) -> MigrationJob:
        return MigrationJob(instance_id=source.hyperv.new_id("migration-job", f"{vm.id}:{now}:{listed}").upper(),
                            vm_id=vm.id, vm_name=vm.name, destination=destination,
                            migration_type=MIGRATION_TYPES[migration_type], started=now, seconds=seconds)

    with _job_for(inv, _jobs(source), make, seconds) as job:
        yield job


def _timestamp(world_seconds: float) -> datetime.datetime:
    return EPOCH + datetime.timedelta(seconds=int(world_seconds))


def _progress(job: MigrationJob | ConcreteJob, now: float) -> dict[str, typing.Any]:
    """The CIM_ConcreteJob properties every Hyper-V job reports about its run, in the class's order."""
    elapsed = (job.ended if job.ended is not None else now) - job.started
    return {
        "StartTime": _timestamp(job.started),
        "ElapsedTime": datetime.timedelta(seconds=int(elapsed)),
        "PercentComplete": UInt16(job.percent(now)),
        "ErrorCode": UInt16(0 if job.state != EXCEPTION else 32768),
        "ErrorDescription": job.error or None,
        "JobState": UInt16(job.state),
        "TimeOfLastStateChange": _timestamp(job.ended if job.ended is not None else job.started),
        "Cancellable": True,
    }


def migration_job_objects(machine: Machine, now: float) -> list[PSOutObject]:
    """Get-CimInstance -Namespace root/virtualization/v2 -ClassName Msvm_MigrationJob: the jobs running and those
    ended less than TimeBeforeRemoval ago. The class's properties (hvsim.world.platform_types) in MOF order, those
    hvsim does not model null; then PSComputerName."""
    found = []
    for job in _jobs(machine):
        if job.ended is not None and now - job.ended >= KEPT_AFTER_END:
            continue
        found.append(shaped(
            [MIGRATION_JOB_TYPE, f"Microsoft.Management.Infrastructure.CimInstance#{NAMESPACE}/CIM_ConcreteJob",
             "Microsoft.Management.Infrastructure.CimInstance", "System.Object"],
            {
                "InstanceID": job.instance_id,
                "OperationalStatus": [UInt16(2)],  # the class's defaults
                "StatusDescriptions": ["OK"],
                "HealthState": UInt16(5),
                "TimeBeforeRemoval": datetime.timedelta(seconds=KEPT_AFTER_END),
                "Caption": "Virtual System Migration" if job.migration_type != MIGRATION_TYPES["Storage"]
                else "Storage Migration",
                "Description": f"Migrating virtual machine {job.vm_name}",
                "ElementName": job.vm_name,
                "Name": job.vm_name,
                **_progress(job, now),
                "MigrationType": UInt16(job.migration_type),
                "VirtualSystemName": job.vm_id.upper(),
                "DestinationHost": job.destination,
                "PSComputerName": machine.netbios,
            },
            to_string=f"Msvm_MigrationJob (InstanceID = \"{job.instance_id}\")"))
    return found


# -- Msvm_ConcreteJob: Hyper-V's other asynchronous operations (here: Hyper-V Replica's initial copy) -------------------
#
# Source: Microsoft Learn, "Msvm_ConcreteJob class" (root\virtualization\v2): "used in Hyper-V to track the progress of
# asynchronous operations", with PercentComplete ("The completion percentage of the job", 0..100), JobState (as above),
# ElapsedTime, TimeBeforeRemoval (five minutes) and JobType, whose documented values include 94 "Start Inband Initial
# Replication", 107 "Resynchronizing", 116 "Sending Initial Replica", 117 "Start Resync Initial Replication" and 118
# "Start Export Initial Replication". "Msvm_AffectedJobElement class": the association between a job
# (AffectingElement, a Msvm_ConcreteJob) and the managed element its execution affects (AffectedElement; for a VM its
# Msvm_ComputerSystem, whose Name is the VM's GUID: "Msvm_ComputerSystem class"). Msvm_ReplicationService.StartReplication
# returns such a job ("Method Parameters Checked - Job Started (4096)"). hvsim's assumptions (no source): the initial
# copy's job is of type 94, progress is linear over the copy's world duration and at most 99 while it runs, and the
# job lives on the primary only.
START_INBAND_INITIAL_REPLICATION = 94


@dataclasses.dataclass
class ConcreteJob:
    instance_id: str
    vm_id: str
    vm_name: str
    job_type: int
    caption: str
    started: float
    seconds: float
    state: int = RUNNING
    ended: float | None = None
    error: str = ""

    def percent(self, now: float) -> int:
        return _percent(self.state, self.started, self.seconds, now)


def _concrete_jobs(machine: Machine) -> list[ConcreteJob]:
    return _job_list(machine, "concrete_jobs")


@contextlib.contextmanager
def concrete_job(inv: Invocation, machine: Machine, vm: typing.Any, job_type: int, caption: str,
                 seconds: float) -> typing.Iterator[ConcreteJob]:
    """A Msvm_ConcreteJob on ``machine`` affecting ``vm`` while it takes ``seconds`` of world time."""
    now = inv.world.clock.now

    def make(listed: int) -> ConcreteJob:
        return ConcreteJob(instance_id=machine.hyperv.new_id("concrete-job", f"{vm.id}:{now}:{listed}").upper(),
                           vm_id=vm.id, vm_name=vm.name, job_type=job_type, caption=caption, started=now,
                           seconds=seconds)

    with _job_for(inv, _concrete_jobs(machine), make, seconds) as job:
        yield job


def concrete_job_objects(machine: Machine, now: float, vm_id: str | None = None) -> list[PSOutObject]:
    """Get-CimInstance -ClassName Msvm_ConcreteJob (every job listed), or the jobs Msvm_AffectedJobElement associates
    with the VM ``vm_id``: those running and those ended less than TimeBeforeRemoval ago."""
    found = []
    for job in _concrete_jobs(machine):
        if job.ended is not None and now - job.ended >= KEPT_AFTER_END:
            continue
        if vm_id is not None and job.vm_id.lower() != vm_id.lower():
            continue
        found.append(PSOutObject(
            type_names=[f"Microsoft.Management.Infrastructure.CimInstance#{NAMESPACE}/Msvm_ConcreteJob",
                        f"Microsoft.Management.Infrastructure.CimInstance#{NAMESPACE}/CIM_ConcreteJob",
                        "Microsoft.Management.Infrastructure.CimInstance", "System.Object"],
            properties={
                "InstanceID": job.instance_id,
                "Caption": job.caption,
                "Description": job.caption,
                "ElementName": job.caption,
                **_progress(job, now),
                "JobType": UInt16(job.job_type),
                "PSComputerName": machine.netbios,
            },
            to_string=f"Msvm_ConcreteJob (InstanceID = \"{job.instance_id}\")"))
    return found


def computer_system_objects(machine: Machine, _now: float) -> list[PSOutObject]:
    """Get-CimInstance -ClassName Msvm_ComputerSystem: the host ("Hosting Computer System", Name its computer name) and
    each VM ("Virtual Machine", Name its GUID in upper case, ElementName its name) (Microsoft Learn, "Msvm_ComputerSystem
    class": Caption, ElementName, Name; CreationClassName is the class name). Only those properties."""
    def system(caption: str, name: str, element_name: str) -> PSOutObject:
        return PSOutObject(
            type_names=[f"Microsoft.Management.Infrastructure.CimInstance#{NAMESPACE}/Msvm_ComputerSystem",
                        f"Microsoft.Management.Infrastructure.CimInstance#{NAMESPACE}/CIM_ComputerSystem",
                        "Microsoft.Management.Infrastructure.CimInstance", "System.Object"],
            properties={"Caption": caption, "ElementName": element_name, "Name": name,
                        "CreationClassName": "Msvm_ComputerSystem", "PSComputerName": machine.netbios},
            to_string=f"Msvm_ComputerSystem (CreationClassName = \"Msvm_ComputerSystem\", Name = \"{name}\")")

    found = [system("Hosting Computer System", machine.netbios, machine.netbios)]
    hyperv = getattr(machine, "hyperv", None)
    for vm in (getattr(hyperv, "vms", None) or {}).values():
        found.append(system("Virtual Machine", vm.id.upper(), vm.name))
    return found
