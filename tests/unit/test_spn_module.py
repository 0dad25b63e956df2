"""hyperv_spn's entry point with the powershell back end and a scripted host (no directory needed)."""

from __future__ import annotations

import gzip
import json
import pathlib
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.winvirt.hyperv.plugins.module_utils._ad_powershell import escape_filter
from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_spn

CATALOG = pathlib.Path(__file__).resolve().parents[1] / "hvsim" / "src" / "hvsim" / "data" / "cmdlet-catalog.json.gz"
CONNECTION = {"hostname": "192.0.2.20", "username": "LAB\\Administrator", "password": "x", "auth": "ntlm", "backend": "powershell"}
BASE = "DC=lab,DC=test"


def computer(name: str, **extra: t.Any) -> dict[str, t.Any]:
    return {"DistinguishedName": f"CN={name.upper()},CN=Computers,{BASE}", "SamAccountName": f"{name.upper()}$",
            "DNSHostName": f"{name}.lab.test", "servicePrincipalName": [f"HOST/{name.upper()}"],
            "msDS-AllowedToDelegateTo": [], "userAccountControl": 4096, **extra}


@pytest.fixture(scope="module")
def catalog() -> dict[str, t.Any]:
    with gzip.open(CATALOG, "rt", encoding="utf-8") as handle:
        return t.cast(dict[str, t.Any], json.load(handle)["cmdlets"])


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch, catalog: dict[str, t.Any]) -> dict[str, t.Any]:
    """A scripted domain: answers by cmdlet, records every command, checks each binds to a parameter set."""
    state: dict[str, t.Any] = {"computers": [computer("hv1"), computer("hv2")], "holders": [], "commands": []}

    def run(self: HostClient, commands: t.Sequence[t.Any], *, retry: bool = False) -> list[list[t.Any]]:
        del retry
        self.round_trips += 1
        answers = {"Get-ADDomain": [{"DistinguishedName": BASE, "DNSRoot": "lab.test"}],
                   "Get-ADComputer": state["computers"], "Get-ADObject": state["holders"], "Get-ADGroup": []}
        for command in commands:
            given = {name.lower() for name in command.parameters} - {"confirm"}
            sets = catalog[command.cmdlet]["parameter_sets"].values()
            assert any(given <= {p.lower() for p in spec} and all(p.lower() in given for p, i in spec.items() if i["required"])
                       for spec in sets), command.describe()
            state["commands"].append(command)
        return [list(answers.get(command.cmdlet, [])) for command in commands]

    monkeypatch.setattr(HostClient, "run", run)
    return state


def invoke(args: dict[str, t.Any], capsys: pytest.CaptureFixture[str]) -> dict[str, t.Any]:
    with patch_module_args({**CONNECTION, **args}), pytest.raises(SystemExit):
        hyperv_spn.main()
    return t.cast(dict[str, t.Any], json.loads(capsys.readouterr().out))


def test_check_mode_reads_and_sends_nothing_else(host, capsys) -> None:
    result = invoke({"hosts": ["hv1", "hv2"], "delegation": {"peers": ["hv1", "hv2"]}, "group": {"name": "Hyper-V Hosts"},
                     "_ansible_check_mode": True, "_ansible_diff": True}, capsys)
    assert result["changed"] is True
    assert {command.cmdlet for command in host["commands"]} == {"Get-ADDomain", "Get-ADComputer", "Get-ADGroup", "Get-ADObject"}
    assert "Microsoft Virtual System Migration Service/hv2.lab.test" in result["diff"]["after"]["hv1"]["allowed_to_delegate_to"]
    assert result["group"]["dn"] == f"CN=Hyper-V Hosts,CN=Users,{BASE}"


def test_apply_sends_exactly_the_values_to_add(host, capsys) -> None:
    result = invoke({"hosts": ["hv1"], "service_classes": ["Hyper-V Replica Service"],
                     "delegation": {"services": ["HTTP/web1.lab.test"], "protocol": "any"}}, capsys)
    assert result["changed"] is True, result
    writes = [command for command in host["commands"] if not command.cmdlet.startswith("Get-")]
    assert [command.cmdlet for command in writes] == ["Set-ADComputer", "Set-ADObject"]
    assert writes[0].parameters["ServicePrincipalNames"] == {"Add": ["Hyper-V Replica Service/HV1", "Hyper-V Replica Service/hv1.lab.test"]}
    assert writes[1].parameters["Add"] == {"msDS-AllowedToDelegateTo": ["HTTP/web1.lab.test"]}
    assert writes[1].parameters["Replace"] == {"userAccountControl": 4096 | 0x1000000}


def test_duplicate_fails_before_any_write(host, capsys) -> None:
    holder = f"CN=OLD-HV1,CN=Computers,{BASE}"
    host["holders"] = [{"DistinguishedName": holder, "servicePrincipalName": ["Hyper-V Replica Service/HV1"]}]
    result = invoke({"hosts": ["hv1"]}, capsys)
    assert result["failed"] is True and holder in result["msg"] and "Hyper-V Replica Service/HV1" in result["msg"]
    assert all(command.cmdlet.startswith("Get-") for command in host["commands"])


def test_powershell_needs_a_hostname(capsys) -> None:
    with patch_module_args({"backend": "powershell", "hosts": ["hv1"]}), pytest.raises(SystemExit):
        hyperv_spn.main()
    assert "hostname" in json.loads(capsys.readouterr().out)["msg"]


def test_ldap_needs_server_and_credentials(capsys) -> None:
    with patch_module_args({"hosts": ["hv1"]}), pytest.raises(SystemExit):
        hyperv_spn.main()
    msg = json.loads(capsys.readouterr().out)["msg"]
    assert "ldap_server" in msg and "ldap_username" in msg and "ldap_password" in msg


def test_filter_values_are_escaped() -> None:
    assert escape_filter("a*b(c)\\d") == "a\\2ab\\28c\\29\\5cd"


def test_absent_with_a_deleted_host_warns_and_reports_the_others(host, capsys, monkeypatch) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(hyperv_spn.HyperVModule, "warn", lambda self, text: warnings.append(text))
    host["computers"] = [computer("hv1", servicePrincipalName=["HOST/HV1", "Hyper-V Replica Service/HV1"])]
    result = invoke({"hosts": ["hv1", "hv9"], "state": "absent"}, capsys)
    assert result["changed"] is True, result
    assert [account["host"] for account in result["accounts"]] == ["hv1"]
    assert warnings and warnings[0].startswith("hv9: no computer account")
