"""Both back ends of hyperv_spn on one real directory: the same plan, the same LDAP state, the same result.

The ``powershell`` back end runs the ActiveDirectory cmdlets on lab3's dc1, whose directory is the Samba DC
(hvsim's AD cmdlets read and write it over LDAP, tests/hvsim/DESIGN.md "Directory and Kerberos"); the
``ldap`` back end talks to the same DC. Assertions read LDAP itself and hvsim's call log.
"""

from __future__ import annotations

import typing as t

import pytest

from harness import PlaybookRun, connection_defaults, run_playbook
from samba_dc import SambaDC, kerberize

pytestmark = pytest.mark.samba

SPN = "winvirt.hyperv.hyperv_spn"
EVERYTHING = {
    "hosts": ["hv1", "hv2", "hv3"],
    "delegation": {"peers": ["hv1", "hv2", "hv3"], "file_servers": ["fs1"], "services": ["HTTP/web1.lab.test"]},
    "group": {"name": "Hyper-V Hosts"},
}


def spn(estate: t.Any, args: dict[str, t.Any], connection: dict[str, t.Any], *, check: bool = False) -> PlaybookRun:
    return run_playbook(estate, [{"name": "spn", SPN: args, "register": "out"}], connection=connection, check=check)


def by_powershell(estate: t.Any) -> dict[str, t.Any]:
    """hyperv_spn's powershell back end: a WinRM session to dc1 (NTLM by address)."""
    return {**connection_defaults(estate, "dc1"), "backend": "powershell"}


def comparable(result: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"changed": result["changed"], "changes": result["changes"], "accounts": result["accounts"], "group": result["group"]}


def dc1_calls(estate: t.Any) -> list[str]:
    return [record["command"] for record in estate.call_log() if record["machine"] == "dc1" and "command" in record]


@pytest.fixture
def dc(lab3: t.Any, samba_dc: SambaDC) -> SambaDC:
    if lab3.realm is None:
        pytest.skip("lab3 runs without the Samba DC here")
    return samba_dc


def test_both_back_ends_make_the_same_directory(lab3: t.Any, dc: SambaDC) -> None:
    by_ldap = spn(lab3, EVERYTHING, dc.module_options())
    assert by_ldap.rc == 0, by_ldap.stdout
    ldap_state = dc.snapshot()
    assert dc1_calls(lab3) == [], "the ldap back end needs no host"

    kerberize(dc, lab3)  # back to lab3's starting accounts
    assert dc.snapshot() != ldap_state
    powershell = spn(lab3, EVERYTHING, by_powershell(lab3))
    assert powershell.rc == 0, powershell.stdout
    assert dc.snapshot() == ldap_state
    assert comparable(powershell.result("spn")) == comparable(by_ldap.result("spn"))
    assert comparable(powershell.result("spn"))["changed"] is True
    assert set(dc1_calls(lab3)) >= {"Set-ADComputer", "Set-ADObject", "New-ADGroup", "Add-ADGroupMember"}

    lab3.reset_counters()
    again = spn(lab3, EVERYTHING, by_powershell(lab3))
    assert again.result("spn")["changed"] is False
    assert lab3.counters("dc1")["pipelines"] == 2, "an unchanged run reads in two round trips"


def test_powershell_check_mode_and_duplicates(lab3: t.Any, dc: SambaDC) -> None:
    before = dc.snapshot()
    checked = spn(lab3, EVERYTHING, by_powershell(lab3), check=True)
    assert checked.result("spn")["changed"] is True, checked.stdout
    assert dc.snapshot() == before
    assert dc1_calls(lab3) and all(command.startswith("Get-") for command in dc1_calls(lab3))

    import ldap3  # pylint: disable=import-outside-toplevel

    connection = dc.connect()  # hv2's Replica SPN (lab3 starts with it) moved to hv3's account
    connection.modify(dc.computer_dn("hv2"), {"servicePrincipalName": [(ldap3.MODIFY_DELETE, ["Hyper-V Replica Service/HV2"])]})
    connection.modify(dc.computer_dn("hv3"), {"servicePrincipalName": [(ldap3.MODIFY_ADD, ["Hyper-V Replica Service/HV2"])]})
    connection.unbind()
    run = spn(lab3, {"hosts": ["hv2"]}, by_powershell(lab3))
    assert run.status("spn") == "failed", run.stdout
    message = run.result("spn")["msg"]
    assert "Hyper-V Replica Service/HV2" in message and dc.computer_dn("hv3") in message


def test_names_reach_the_cmdlets_as_escaped_filter_values(lab3: t.Any, dc: SambaDC) -> None:
    del dc
    run = spn(lab3, {"hosts": ["hv1)(objectClass=*"], "state": "query"}, by_powershell(lab3))
    assert run.status("spn") == "failed" and "no computer account" in run.result("spn")["msg"], run.stdout
    filters = [record["parameters"]["LDAPFilter"] for record in lab3.call_log()
               if record.get("command") == "Get-ADComputer" and "LDAPFilter" in record["parameters"]]
    assert filters and "hv1\\29\\28objectclass=\\2a$" in filters[0].lower()
