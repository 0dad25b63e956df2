"""Bad input is refused before anything is read or changed (issue 16): blank names, relative paths, ports out of
range, malformed thumbprints. Each case fails with a message naming the option, and the host sees no call."""

from __future__ import annotations

import typing as t

import pytest

from harness import run_playbook

CASES: list[tuple[str, dict[str, t.Any], str]] = [
    ("winvirt.hyperv.hyperv_vm", {"name": ""}, "name must not be empty"),
    ("winvirt.hyperv.hyperv_vm", {"name": "   "}, "name must not be empty"),
    ("winvirt.hyperv.hyperv_vm", {"name": "ok1", "path": "relative\\dir"}, "path must be an absolute path"),
    ("winvirt.hyperv.hyperv_vm", {"name": "ok1", "disks": [{"path": "bad.vhdx", "size": "1GB"}]},
     "disk 'bad.vhdx' path must be an absolute path"),
    ("winvirt.hyperv.hyperv_vhd", {"path": "bad.vhdx", "size": "1GB"}, "path must be an absolute path"),
    ("winvirt.hyperv.hyperv_smb_share", {"name": "bad", "path": "Shares\\bad"}, "path must be an absolute path"),
    ("winvirt.hyperv.hyperv_smb_share", {"name": " ", "path": "E:\\Shares\\x"}, "name must not be empty"),
    ("winvirt.hyperv.hyperv_replica_server", {"kerberos_port": 0}, "kerberos_port must be a TCP port"),
    ("winvirt.hyperv.hyperv_replica_server", {"certificate_port": 70000}, "certificate_port must be a TCP port"),
    ("winvirt.hyperv.hyperv_replica_server", {"authentication": "certificate", "certificate_thumbprint": "12:AB"},
     "certificate_thumbprint must be 40 hexadecimal digits"),
    ("winvirt.hyperv.hyperv_replica_server", {"default_storage_location": "Replica"}, "must be an absolute path"),
    ("winvirt.hyperv.hyperv_host", {"virtual_hard_disk_path": "Disks"}, "virtual_hard_disk_path must be an absolute"),
    ("winvirt.hyperv.hyperv_switch", {"name": "", "switch_type": "internal"}, "name must not be empty"),
    ("winvirt.hyperv.hyperv_checkpoint", {"vm_name": " ", "name": "c"}, "vm_name must not be empty"),
    ("winvirt.hyperv.hyperv_vm", {"name": "ok1", "port": 70000}, "port must be a TCP port"),
]


@pytest.mark.parametrize("chunk", [CASES[:8], CASES[8:]], ids=["first", "second"])
def test_bad_input_is_refused_before_any_call(lab3: t.Any, chunk: list[tuple[str, dict[str, t.Any], str]]) -> None:
    tasks = [{"name": f"case {index}", module: args, "register": "out", "ignore_errors": True}
             for index, (module, args, _message) in enumerate(chunk)]
    before = lab3.snapshot()
    run = run_playbook(lab3, tasks)
    for index, (module, args, message) in enumerate(chunk):
        result = run.result(f"case {index}")
        assert run.status(f"case {index}") == "failed" and message in result["msg"], (module, args, result.get("msg"))
        assert result.get("changed") is False
    assert lab3.call_log() == [], "a refused task reached the host"
    assert lab3.snapshot() == before
