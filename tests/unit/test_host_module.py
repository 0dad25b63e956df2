"""hyperv_host's option checks, before any connection."""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_host

CONNECTION = {"hostname": "hv1", "username": "Administrator", "password": "Passw0rd!", "auth": "ntlm"}


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    batches: list[list[str]] = []

    def run(self: HostClient, commands: t.Sequence[t.Any], *, retry: bool = False) -> list[list[t.Any]]:
        batches.append([c.cmdlet for c in commands])
        return [[] for _command in commands]

    monkeypatch.setattr(HostClient, "run", run)
    return batches


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"live_migration": {"max_migrations": 0}}, "max_migrations must be at least 1"),
        ({"max_storage_migrations": -1}, "max_storage_migrations must be at least 1"),
        ({"live_migration": {"networks": ["10.0.0.0/33"]}}, "'10.0.0.0/33' is not a subnet"),
        ({"management_client": {"hosts": ["hv1,hv2"]}}, "single host names"),
        ({"management_client": {"hosts": [" "]}}, "at least one host"),
        ({"reboot": True, "reboot_timeout": 1}, "reboot_timeout"),
    ],
)
def test_bad_options_fail_before_connecting(host, capsys, args, words) -> None:
    with patch_module_args({**CONNECTION, **args}), pytest.raises(SystemExit):
        hyperv_host.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True and words in result["msg"]
    assert host == []


def test_unknown_feature_is_rejected_by_the_argument_spec(host, capsys) -> None:
    with patch_module_args({**CONNECTION, "features": ["Hyper-V", "Telnet-Client"]}), pytest.raises(SystemExit):
        hyperv_host.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True and "Telnet-Client" in result["msg"]
