"""hyperv_checkpoint's entry point with a scripted host."""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_checkpoint

CONNECTION = {"hostname": "hv1", "username": "Administrator", "password": "Passw0rd!", "auth": "ntlm"}
VM = [{"Name": "web1", "State": "Running", "CheckpointType": "Production", "ParentSnapshotId": None}]


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> dict[str, t.Any]:
    state: dict[str, t.Any] = {"batches": [], "fail_checkpoint": False}

    def run(self: HostClient, commands: t.Sequence[t.Any], *, retry: bool = False) -> list[list[t.Any]]:
        self.round_trips += 1
        names = [c.cmdlet for c in commands]
        state["batches"].append(names)
        if state["fail_checkpoint"] and "Checkpoint-VM" in names:
            raise HyperVError("hv1", "Production checkpoints cannot be created for 'web1'.", command="Checkpoint-VM")
        taken = any(n == "Checkpoint-VM" for n in names)
        snapshots = [{"Name": "new", "Id": "1", "ParentSnapshotId": None, "SnapshotType": "Standard", "State": "Running"}]
        answers = {"Get-VM": [dict(VM[0], ParentSnapshotId="1")] if taken else VM,
                   "Get-VMSnapshot": snapshots if taken else []}
        return [list(answers.get(c.cmdlet, [])) for c in commands]

    monkeypatch.setattr(HostClient, "run", run)
    return state


def invoke(args: dict[str, t.Any], capsys: pytest.CaptureFixture[str]) -> dict[str, t.Any]:
    with patch_module_args({**CONNECTION, **args}), pytest.raises(SystemExit):
        hyperv_checkpoint.main()
    return json.loads(capsys.readouterr().out)


def test_create_reports_the_checkpoint_the_host_lists(host, capsys) -> None:
    result = invoke({"vm_name": "web1", "name": "new", "checkpoint_type": "standard"}, capsys)
    assert result["changed"] is True and result["round_trips"] == 2
    assert host["batches"][1] == ["Set-VM", "Checkpoint-VM", "Set-VM", "Get-VM", "Get-VMSnapshot"]
    assert result["checkpoint"] == {"name": "new", "id": "1", "parent_name": None, "snapshot_type": "Standard",
                                    "creation_time": None, "vm_state": "Running", "includes_memory": True,
                                    "is_current": True}


def test_failed_create_puts_the_checkpoint_type_back(host, capsys) -> None:
    host["fail_checkpoint"] = True
    result = invoke({"vm_name": "web1", "name": "new", "checkpoint_type": "standard"}, capsys)
    assert result["failed"] is True and "Production checkpoints cannot be created" in result["msg"]
    assert host["batches"][-2] == ["Set-VM"]  # the type put back, then the checkpoints read again
    assert host["batches"][-1] == ["Get-VM", "Get-VMSnapshot"] and result["changed"] is False


def test_check_mode_does_not_apply(host, capsys) -> None:
    result = invoke({"vm_name": "web1", "name": "new", "_ansible_check_mode": True, "_ansible_diff": True}, capsys)
    assert result["changed"] is True and len(host["batches"]) == 1
    assert result["diff"] == {"before": {"checkpoints": [], "current": None},
                              "after": {"checkpoints": ["new"], "current": "new"}}


def test_state_absent_needs_a_name(host, capsys) -> None:
    result = invoke({"vm_name": "web1", "state": "absent"}, capsys)
    assert result["failed"] is True and "name" in result["msg"] and host["batches"] == []
