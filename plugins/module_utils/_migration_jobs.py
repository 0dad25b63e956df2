# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host says about its migrations in progress: the Msvm_MigrationJob objects of root/virtualization/v2.

FOR INTERNAL COLLECTION USE ONLY.

Hyper-V's virtual system migration service creates one Msvm_MigrationJob (a CIM_ConcreteJob) per live or storage
migration on the host that moves the VM (Microsoft Learn, "Msvm_MigrationJob class"): JobState, PercentComplete ("the
percentage of the job that has completed at the time that this value is requested"), ElapsedTime, MigrationType,
VirtualSystemName (the VM's GUID), DestinationHost. A finished job stays listed for TimeBeforeRemoval (five minutes by
default). One read, one round trip.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

NAMESPACE = "root/virtualization/v2"
JOB_PROPERTIES = ["InstanceID", "ElementName", "JobState", "PercentComplete", "StartTime", "ElapsedTime", "ErrorCode",
                  "ErrorDescription", "MigrationType", "VirtualSystemName", "DestinationHost"]
# CIM_ConcreteJob.JobState and Msvm_MigrationJob.MigrationType, as the class documents them
JOB_STATES = {2: "new", 3: "starting", 4: "running", 5: "suspended", 6: "shutting_down", 7: "completed",
              8: "terminated", 9: "killed", 10: "exception", 11: "service"}
MIGRATION_TYPES = {32768: "virtual_system", 32769: "storage", 32770: "staged", 32771: "virtual_system_and_storage"}
_DURATION = re.compile(r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>[\d.]+)S)?)?$")
_CLOCK = re.compile(r"^(?:(?P<d>\d+)\.)?(?P<h>\d+):(?P<m>\d+):(?P<s>[\d.]+)$")


def read_command() -> Cmd:
    return Cmd("Get-CimInstance", {"Namespace": NAMESPACE, "ClassName": "Msvm_MigrationJob"}, select=JOB_PROPERTIES)


def seconds(value: t.Any) -> int | None:
    """A TimeSpan as it arrives: an xs:duration (``PT1M30S``, pypsrp's rendering) or .NET's ``[d.]hh:mm:ss``."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    match = _DURATION.match(text) or _CLOCK.match(text)
    if not match:
        return None
    parts = {key: float(number or 0) for key, number in match.groupdict().items()}
    return int(parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"])


def _int(value: t.Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_jobs(rows: list[t.Any], vm_ids: dict[str, str] | None = None) -> list[dict[str, t.Any]]:
    """The jobs as the module returns them; ``vm_ids`` (VM Id, lower case -> name) names the VMs by their Id."""
    jobs = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        vm_id = str(row.get("VirtualSystemName") or "").lower() or None
        state, kind = _int(row.get("JobState")), _int(row.get("MigrationType"))
        jobs.append({
            "id": row.get("InstanceID"),
            "vm_id": vm_id,
            "vm_name": (vm_ids or {}).get(vm_id or "") or row.get("ElementName"),
            "destination": row.get("DestinationHost"),
            "migration_type": MIGRATION_TYPES.get(kind or 0, str(kind)),
            "state": JOB_STATES.get(state or 0, str(state)),
            "percent_complete": _int(row.get("PercentComplete")),
            "started": str(row["StartTime"]) if row.get("StartTime") else None,
            "elapsed_seconds": seconds(row.get("ElapsedTime")),
            "error": row.get("ErrorDescription") or None,
        })
    return jobs
