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
        if self.state == COMPLETED:
            return 100
        if self.seconds <= 0:
            return 0
        return min(99, int((now - self.started) / self.seconds * 100))


def _jobs(machine: Machine) -> list[MigrationJob]:
    state = machine.hyperv
    if getattr(state, "migration_jobs", None) is None:
        state.migration_jobs = []
    return typing.cast(list[MigrationJob], state.migration_jobs)


@contextlib.contextmanager
def migration_job(inv: Invocation, source: Machine, vm: typing.Any, destination: str, migration_type: str,
                  seconds: float) -> typing.Iterator[MigrationJob]:
    """A job on ``source`` for the move of ``vm`` while it takes ``seconds`` of world time (``inv.take_time``)."""
    clock = inv.world.clock
    jobs = _jobs(source)
    jobs[:] = [job for job in jobs if job.ended is None or clock.now - job.ended < KEPT_AFTER_END]
    job = MigrationJob(instance_id=source.hyperv.new_id("migration-job", f"{vm.id}:{clock.now}:{len(jobs)}").upper(),
                       vm_id=vm.id, vm_name=vm.name, destination=destination,
                       migration_type=MIGRATION_TYPES[migration_type], started=clock.now, seconds=seconds)
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


def _timestamp(world_seconds: float) -> datetime.datetime:
    return EPOCH + datetime.timedelta(seconds=int(world_seconds))


def migration_job_objects(machine: Machine, now: float) -> list[PSOutObject]:
    """Get-CimInstance -Namespace root/virtualization/v2 -ClassName Msvm_MigrationJob: the jobs running and those
    ended less than TimeBeforeRemoval ago. The class's properties in MOF order, those hvsim models; then
    PSComputerName."""
    found = []
    for job in _jobs(machine):
        if job.ended is not None and now - job.ended >= KEPT_AFTER_END:
            continue
        elapsed = (job.ended if job.ended is not None else now) - job.started
        found.append(PSOutObject(
            type_names=[f"Microsoft.Management.Infrastructure.CimInstance#{NAMESPACE}/Msvm_MigrationJob",
                        f"Microsoft.Management.Infrastructure.CimInstance#{NAMESPACE}/CIM_ConcreteJob",
                        "Microsoft.Management.Infrastructure.CimInstance", "System.Object"],
            properties={
                "InstanceID": job.instance_id,
                "Caption": "Virtual System Migration" if job.migration_type != MIGRATION_TYPES["Storage"]
                else "Storage Migration",
                "Description": f"Migrating virtual machine {job.vm_name}",
                "ElementName": job.vm_name,
                "Name": job.vm_name,
                "StartTime": _timestamp(job.started),
                "ElapsedTime": datetime.timedelta(seconds=int(elapsed)),
                "PercentComplete": UInt16(job.percent(now)),
                "ErrorCode": UInt16(0 if job.state != EXCEPTION else 32768),
                "ErrorDescription": job.error or None,
                "JobState": UInt16(job.state),
                "TimeOfLastStateChange": _timestamp(job.ended if job.ended is not None else job.started),
                "Cancellable": True,
                "MigrationType": UInt16(job.migration_type),
                "VirtualSystemName": job.vm_id.upper(),
                "DestinationHost": job.destination,
                "PSComputerName": machine.netbios,
            },
            to_string=f"Msvm_MigrationJob (InstanceID = \"{job.instance_id}\")"))
    return found
