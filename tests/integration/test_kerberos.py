"""Kerberos for real: the Samba DC is lab3's KDC and directory, hvsim accepts its tickets, Negotiate
picks Kerberos by name and NTLM by address, and second hops are what the KDC grants."""

from __future__ import annotations

import typing

import pytest
from harness import connection_defaults, run_playbook

pytestmark = pytest.mark.samba

HOST_INFO = [{"name": "facts", "winvirt.hyperv.hyperv_host_info": {}}]


def _sessions(estate: typing.Any, machine: str) -> set[tuple[str, str]]:
    return {(r["auth"], r.get("client_principal", "")) for r in estate.call_log() if r["machine"] == machine}


def test_kerberos_with_a_password_and_a_ticket_the_kdc_issued(lab3_kerberos: typing.Any) -> None:
    """The README's `auth: kerberos` example: no kinit, the ticket comes from the Samba KDC."""
    run = run_playbook(lab3_kerberos, HOST_INFO, auth="kerberos")
    assert run.status("facts") == "ok", run.stdout
    assert _sessions(lab3_kerberos, "hv1") == {("kerberos", "Administrator@LAB.TEST")}


def test_negotiate_by_name_is_kerberos(lab3_kerberos: typing.Any) -> None:
    run = run_playbook(lab3_kerberos, HOST_INFO, auth="negotiate")
    assert run.status("facts") == "ok", run.stdout
    assert {auth for auth, _ in _sessions(lab3_kerberos, "hv1")} == {"kerberos"}


def test_negotiate_by_address_falls_back_to_ntlm(lab3_kerberos: typing.Any) -> None:
    """No HTTP/<address> SPN exists: the KDC knows no such principal and Negotiate falls back to NTLM."""
    defaults = connection_defaults(lab3_kerberos, "hv1", "negotiate")
    defaults["hostname"] = lab3_kerberos.address("hv1")
    tasks = [{"name": "facts", "winvirt.hyperv.hyperv_host_info": defaults}]
    run = run_playbook(lab3_kerberos, tasks, auth="negotiate")
    assert run.status("facts") == "ok", run.stdout
    assert {auth for auth, _ in _sessions(lab3_kerberos, "hv1")} == {"ntlm"}
