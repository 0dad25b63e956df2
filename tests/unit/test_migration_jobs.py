"""Msvm_MigrationJob rows as a host sends them -> hyperv_migration_info's jobs."""

from __future__ import annotations

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_jobs import parse_jobs, read_command, seconds


@pytest.mark.parametrize("value, expected", [("PT1M30S", 90), ("P1DT2H", 93600), ("PT0.5S", 0), ("00:02:05", 125),
                                             ("1.00:00:01", 86401), (42, 42), (None, None), ("soon", None)])
def test_timespans_as_they_arrive(value: object, expected: int | None) -> None:
    assert seconds(value) == expected


def test_jobs_are_named_by_the_vms_id_and_their_codes_read() -> None:
    rows = [{"InstanceID": "J1", "ElementName": "x", "JobState": 4, "PercentComplete": 45, "MigrationType": 32771,
             "VirtualSystemName": "ABC-1", "DestinationHost": "hv2.lab.test", "ElapsedTime": "PT65S",
             "StartTime": "2026-11-01T08:00:00"},
            {"InstanceID": "J2", "ElementName": "gone", "JobState": 10, "PercentComplete": 12, "MigrationType": 32769,
             "VirtualSystemName": "DEF-2", "ErrorDescription": "the destination refused"}, "not a row"]
    first, second = parse_jobs(rows, {"abc-1": "web1"})
    assert first == {"id": "J1", "vm_id": "abc-1", "vm_name": "web1", "destination": "hv2.lab.test",
                     "migration_type": "virtual_system_and_storage", "state": "running", "percent_complete": 45,
                     "started": "2026-11-01T08:00:00", "elapsed_seconds": 65, "error": None}
    assert (second["vm_name"], second["state"], second["migration_type"], second["error"]) == \
        ("gone", "exception", "storage", "the destination refused")


def test_the_read_is_one_structured_cim_query() -> None:
    command = read_command()
    assert command.describe().startswith(
        "Get-CimInstance -Namespace 'root/virtualization/v2' -ClassName 'Msvm_MigrationJob'")
    assert "PercentComplete" in command.select
