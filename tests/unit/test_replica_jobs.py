"""The progress of a VM's Hyper-V Replica copy from its Msvm_ConcreteJob rows, and the read that finds them."""

from __future__ import annotations

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_jobs import progress, read_command

VM_ID = "c9e99acd-99ad-53a4-956e-917f31cef9f1"


def test_the_read_follows_the_vms_computer_system_to_its_jobs() -> None:
    command = read_command(VM_ID)
    assert command.cmdlet == "Get-CimInstance" and command.parameters["ClassName"] == "Msvm_ComputerSystem"
    assert command.parameters["Filter"] == f"Name = '{VM_ID.upper()}'"
    [follow] = command.piped
    assert follow.cmdlet == "Get-CimAssociatedInstance"
    assert follow.parameters == {"Association": "Msvm_AffectedJobElement", "ResultClassName": "Msvm_ConcreteJob"}


@pytest.mark.parametrize("vm_id", ["", "app1", f"{VM_ID}' OR Name LIKE '%", VM_ID + "0"])
def test_only_a_guid_reaches_the_filter(vm_id: str) -> None:
    with pytest.raises(ValueError, match="not a VM Id"):
        read_command(vm_id)


def test_the_running_copy_job_wins_and_other_jobs_are_ignored() -> None:
    rows = [
        {"JobType": 94, "JobState": 7, "PercentComplete": 100, "ElapsedTime": "PT3M"},
        {"JobType": 2, "JobState": 4, "PercentComplete": 10},  # Modify Virtual Machine: not a replica copy
        {"JobType": 107, "JobState": 4, "PercentComplete": 42, "ElapsedTime": "00:01:35"},
    ]
    assert progress(rows) == {"job": "resynchronizing", "state": "running", "percent_complete": 42,
                              "elapsed_seconds": 95, "error": None}
    assert progress(rows[:2]) == {"job": "initial_replication", "state": "completed", "percent_complete": 100,
                                  "elapsed_seconds": 180, "error": None}
    assert progress(rows[1:2]) is None and progress([]) is None and progress(None) is None
