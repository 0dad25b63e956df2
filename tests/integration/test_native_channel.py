"""The native channel (_winrs.run_native) against hvsim: programs start without cmd.exe, each argument arrives whole."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._winrs import run_native

HOSTILE = ["x%SystemRoot:s=%&whoami", "Pa%SystemRoot:s=%&powershell -c calc;#", "x%OS:W=w%y", 'a" & calc & "',
           "^^%%!PATH!", "trailing\\", "sp ace\\\\", "-L", "* ? [a]", "`$(whoami)`", "\u201cq\u201d\u2018s\u2019"]


def options(estate: t.Any, machine: str = "dc1") -> ConnectionOptions:
    return ConnectionOptions(hostname=estate.address(machine), port=estate.http_port, username="LAB\\Administrator",
                             password="Passw0rd!", auth="ntlm", ssl=False, cert_validation=True, ca_trust_path=None,
                             certificate_pem=None, certificate_key_pem=None, connection_timeout=10, operation_timeout=20,
                             read_timeout=30, proxy=None)


def test_hostile_arguments_reach_the_program_whole(lab3: t.Any) -> None:
    setspn = "C:\\Windows\\System32\\setspn.exe"  # without cmd.exe, WinRS finds programs by full path only
    output = run_native(options(lab3), setspn, ["-Q", *HOSTILE])
    assert output.rc in (0, 1)
    record = [r for r in lab3.call_log() if "native" in r][-1]
    assert record["shell"] == "none" and record["argv"] == [[setspn, "-Q", *HOSTILE]]


def test_a_program_named_without_its_path_is_not_found(lab3: t.Any) -> None:
    """pypsrp recording test_winrs_no_cmd_shell.yml: ``powershell.exe`` alone fails with 2147942402."""
    with pytest.raises(HyperVError) as raised:
        run_native(options(lab3), "setspn.exe", ["-Q", "x/h"])
    assert "the program setspn.exe was not found" in str(raised.value)


def test_a_missing_program_is_named(lab3: t.Any) -> None:
    with pytest.raises(HyperVError) as raised:
        run_native(options(lab3), "C:\\Nowhere\\agent.exe", ["/password:secret words"], secret_arguments=[0])
    text = str(raised.value)
    assert "the program C:\\Nowhere\\agent.exe was not found" in text and "secret" not in text
