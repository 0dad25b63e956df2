# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How far a VM's initial replication or resynchronization is, as its Hyper-V host says.

FOR INTERNAL COLLECTION USE ONLY.

Hyper-V tracks its asynchronous operations as Msvm_ConcreteJob objects of root/virtualization/v2 (Microsoft Learn,
"Msvm_ConcreteJob class"): PercentComplete ("The completion percentage of the job"), JobState, ElapsedTime, and a
JobType whose documented values include those of Hyper-V Replica's long copies (REPLICA_JOB_TYPES below).
Msvm_AffectedJobElement associates a job with the element it affects ("Msvm_AffectedJobElement class"), for a VM its
Msvm_ComputerSystem, whose Name is the VM's GUID. So one pipeline reads a VM's jobs:
``Get-CimInstance Msvm_ComputerSystem -Filter "Name = '<GUID>'" | Get-CimAssociatedInstance -Association
Msvm_AffectedJobElement -ResultClassName Msvm_ConcreteJob``. The filter holds only a GUID checked to be one.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_jobs import JOB_STATES, NAMESPACE, seconds

# Msvm_ConcreteJob.JobType values of Hyper-V Replica's copies, as the class documents them
REPLICA_JOB_TYPES = {94: "initial_replication", 116: "sending_initial_replica", 117: "resync_initial_replication",
                     118: "export_initial_replication", 107: "resynchronizing", 121: "resynchronizing_extended"}
# the replication states in which such a copy runs (VMReplicationState)
COPYING_STATES = frozenset({"InitialReplicationInProgress", "Resynchronizing"})
JOB_PROPERTIES = ["InstanceID", "JobType", "JobState", "PercentComplete", "ElapsedTime", "ErrorDescription"]
_GUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


def read_command(vm_id: str) -> Cmd:
    """The jobs of the VM ``vm_id`` (a GUID; anything else is refused before it reaches a filter)."""
    if not _GUID.match(vm_id or ""):
        raise ValueError(f"not a VM Id: {vm_id!r}")
    return Cmd("Get-CimInstance", {"Namespace": NAMESPACE, "ClassName": "Msvm_ComputerSystem",
                                   "Filter": f"Name = '{vm_id.upper()}'"},
               piped=[Cmd("Get-CimAssociatedInstance", {"Association": "Msvm_AffectedJobElement",
                                                        "ResultClassName": "Msvm_ConcreteJob"})],
               select=JOB_PROPERTIES, missing_ok=True)


def _int(value: t.Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def progress(rows: t.Any) -> dict[str, t.Any] | None:
    """The replica copy job among a VM's jobs (one that runs, else the latest that ended), or None without one."""
    jobs = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or _int(row.get("JobType")) not in REPLICA_JOB_TYPES:
            continue
        state = JOB_STATES.get(_int(row.get("JobState")) or 0, str(row.get("JobState")))
        jobs.append({"job": REPLICA_JOB_TYPES[_int(row.get("JobType")) or 0], "state": state,
                     "percent_complete": _int(row.get("PercentComplete")),
                     "elapsed_seconds": seconds(row.get("ElapsedTime")),
                     "error": row.get("ErrorDescription") or None})
    running = [job for job in jobs if job["state"] in ("new", "starting", "running")]
    return (running or jobs[-1:] or [None])[0]
