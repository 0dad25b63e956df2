"""Both back ends of hyperv_spn on one real directory: the same plan, the same LDAP state, the same result.

The ``powershell`` back end runs in-process with HostClient.run replaced by AdCmdlets, which performs
the ActiveDirectory cmdlets on the Samba DC (hvsim does not model that module yet).
"""

from __future__ import annotations

import json
import typing as t

import pytest
from ansible.module_utils.testing import patch_module_args

from ad_cmdlets import AdCmdlets
from samba_dc import SambaDC

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_spn

pytestmark = pytest.mark.samba

WINRM = {"hostname": "192.0.2.20", "username": "LAB\\Administrator", "password": "unused", "auth": "ntlm"}
EVERYTHING = {
    "hosts": ["hv1", "hv2", "hv3"],
    "delegation": {"peers": ["hv1", "hv2", "hv3"], "file_servers": ["fs1"], "services": ["HTTP/web1.lab.test"]},
    "group": {"name": "Hyper-V Hosts"},
}


@pytest.fixture
def cmdlets(clean_dc: SambaDC, monkeypatch: pytest.MonkeyPatch) -> AdCmdlets:
    double = AdCmdlets(clean_dc)

    def run(self: HostClient, commands: t.Sequence[t.Any], *, retry: bool = False) -> list[list[t.Any]]:
        self.round_trips += 1
        return double.run(commands, retry=retry)

    monkeypatch.setattr(HostClient, "run", run)
    return double


def invoke(args: dict[str, t.Any], capsys: pytest.CaptureFixture[str]) -> dict[str, t.Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        hyperv_spn.main()
    return t.cast(dict[str, t.Any], json.loads(capsys.readouterr().out))


def comparable(result: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"changed": result["changed"], "changes": result["changes"], "accounts": result["accounts"], "group": result["group"]}


def test_both_back_ends_make_the_same_directory(clean_dc: SambaDC, cmdlets: AdCmdlets, capsys) -> None:
    by_ldap = invoke({**clean_dc.module_options(), **EVERYTHING}, capsys)
    assert by_ldap["changed"] is True, by_ldap
    ldap_state = clean_dc.snapshot()

    clean_dc.reset()
    by_powershell = invoke({**WINRM, "backend": "powershell", **EVERYTHING}, capsys)
    assert by_powershell["changed"] is True, by_powershell
    assert clean_dc.snapshot() == ldap_state
    assert comparable(by_powershell) == comparable(by_ldap)
    assert {call[0] for call in cmdlets.calls} >= {"Set-ADComputer", "Set-ADObject", "New-ADGroup", "Add-ADGroupMember"}

    cmdlets.batches = 0
    again = invoke({**WINRM, "backend": "powershell", **EVERYTHING}, capsys)
    assert again["changed"] is False
    assert cmdlets.batches == 2, "an unchanged run reads in two round trips"


def test_powershell_check_mode_and_duplicates(clean_dc: SambaDC, cmdlets: AdCmdlets, capsys) -> None:
    before = clean_dc.snapshot()
    checked = invoke({**WINRM, "backend": "powershell", **EVERYTHING, "_ansible_check_mode": True}, capsys)
    assert checked["changed"] is True
    assert clean_dc.snapshot() == before
    assert not [call for call in cmdlets.calls if not call[0].startswith("Get-")]

    import ldap3  # pylint: disable=import-outside-toplevel

    connection = clean_dc.connect()
    connection.modify(clean_dc.computer_dn("hv3"), {"servicePrincipalName": [(ldap3.MODIFY_ADD, ["Hyper-V Replica Service/HV2"])]})
    connection.unbind()
    failed = invoke({**WINRM, "backend": "powershell", "hosts": ["hv2"]}, capsys)
    assert failed["failed"] is True
    assert "Hyper-V Replica Service/HV2" in failed["msg"] and clean_dc.computer_dn("hv3") in failed["msg"]


def test_names_reach_the_cmdlets_as_escaped_filter_values(clean_dc: SambaDC, cmdlets: AdCmdlets, capsys) -> None:
    del clean_dc
    result = invoke({**WINRM, "backend": "powershell", "hosts": ["hv1)(objectClass=*"], "state": "query"}, capsys)
    assert result["failed"] is True and "no computer account" in result["msg"]
    filters = [parameters["LDAPFilter"] for cmdlet, parameters in cmdlets.calls if cmdlet == "Get-ADComputer"]
    assert filters and "hv1\\29\\28objectclass=\\2a$" in filters[0].lower()
