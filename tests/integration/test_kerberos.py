"""Kerberos for real: the Samba DC is lab3's KDC and directory, hvsim accepts its tickets, Negotiate
picks Kerberos by name and NTLM by address, and second hops are what the KDC grants."""

from __future__ import annotations

import os
import pathlib
import subprocess
import typing

import pytest
from harness import connection_defaults, realm_of, run_on_localhost, run_playbook, run_playbook_file
from samba_dc import ADMIN_PASSWORD, SambaDC

pytestmark = pytest.mark.samba

HOST_INFO = [{"name": "facts", "winvirt.hyperv.hyperv_host_info": {}}]


def _sessions(estate: typing.Any, machine: str) -> set[tuple[str, str]]:
    return {(r["auth"], r.get("client_principal", "")) for r in estate.call_log() if r["machine"] == machine}


def test_kerberos_with_a_password_and_a_ticket_the_kdc_issued(lab3_kerberos: typing.Any) -> None:
    """The README's `auth: kerberos` example: no kinit, the ticket comes from the Samba KDC."""
    run = run_playbook(lab3_kerberos, HOST_INFO, auth="kerberos")
    assert run.status("facts") == "ok", run.stdout
    assert _sessions(lab3_kerberos, "hv1") == {("kerberos", "Administrator@LAB.TEST")}


def test_kerberos_from_an_existing_ticket_cache(
        lab3_kerberos: typing.Any, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No password: the ticket cache a `kinit` filled is used."""
    ccache = tmp_path / "ccache"
    subprocess.run(["kinit", "-f", "-c", f"FILE:{ccache}", "Administrator@LAB.TEST"], input=ADMIN_PASSWORD + "\n",
                   text=True, check=True, capture_output=True,
                   env={**os.environ, "KRB5_CONFIG": str(realm_of(lab3_kerberos).krb5_conf)})
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{ccache}")
    facts = [{"name": "facts", "winvirt.hyperv.hyperv_host_info": {"password": None}}]
    run = run_playbook(lab3_kerberos, facts, auth="kerberos")
    assert run.status("facts") == "ok", run.stdout
    assert _sessions(lab3_kerberos, "hv1") == {("kerberos", "Administrator@LAB.TEST")}


def test_negotiate_by_name_is_kerberos(lab3_kerberos: typing.Any) -> None:
    run = run_playbook(lab3_kerberos, HOST_INFO, auth="negotiate")
    assert run.status("facts") == "ok", run.stdout
    assert {auth for auth, _principal in _sessions(lab3_kerberos, "hv1")} == {"kerberos"}


def test_negotiate_by_address_falls_back_to_ntlm(lab3_kerberos: typing.Any) -> None:
    """No HTTP/<address> SPN exists: the KDC knows no such principal and Negotiate falls back to NTLM."""
    defaults = connection_defaults(lab3_kerberos, "hv1", "negotiate")
    defaults["hostname"] = lab3_kerberos.address("hv1")
    tasks = [{"name": "facts", "winvirt.hyperv.hyperv_host_info": defaults}]
    run = run_playbook(lab3_kerberos, tasks, auth="negotiate")
    assert run.status("facts") == "ok", run.stdout
    assert {auth for auth, _principal in _sessions(lab3_kerberos, "hv1")} == {"ntlm"}


MIGRATE = "winvirt.hyperv.hyperv_live_migration"


def _enable_migrations(estate: typing.Any) -> None:
    with estate.world.lock:
        for name in ("hv1", "hv2", "hv3"):
            estate.world.machine(name).hyperv.host.migration_enabled = True
            estate.world.machine(name).hyperv.host.migration_auth = "Kerberos"


def _move(destination: str) -> dict[str, typing.Any]:
    return {"name": "move", MIGRATE: {"destination": {"hostname": destination}, "name": ["app1"]}, "register": "out"}


def _spn(dc: SambaDC, hosts: list[str], peers: list[str], protocol: str = "kerberos") -> None:
    args = {**dc.module_options(), "hosts": hosts, "delegation": {"peers": peers, "protocol": protocol}}
    run = run_on_localhost("winvirt.hyperv.hyperv_spn", args)
    assert run.rc == 0, run.stdout


def _vms(estate: typing.Any, machine: str) -> set[str]:
    return {vm.name for vm in estate.world.machine(machine).hyperv.vms.values()}


def test_migration_spn_removed_with_samba_tool_then_restored_by_hyperv_spn(
        lab3_kerberos: typing.Any, samba_dc: SambaDC) -> None:
    """hv2's migration SPN removed in Samba itself: the KDC-backed directory says 0x80090303 with the hyperv_spn
    hint; hyperv_spn's ldap back end puts it back (with Kerberos-only delegation) and the move works by S4U2Proxy."""
    _enable_migrations(lab3_kerberos)
    _spn(samba_dc, ["hv1", "hv2"], ["hv1", "hv2"])
    samba_dc.samba_tool("spn", "delete", "Microsoft Virtual System Migration Service/hv2.lab.test", "HV2$")
    samba_dc.samba_tool("spn", "delete", "Microsoft Virtual System Migration Service/HV2", "HV2$")
    failed = run_playbook(lab3_kerberos, [_move("hv2.lab.test")], auth="negotiate")
    assert failed.rc != 0
    problems = failed.result("move")["problems"]
    assert "0x80090303" in problems[0]["what"] and "hyperv_spn" in problems[0]["fix"], problems

    _spn(samba_dc, ["hv1", "hv2"], ["hv1", "hv2"])
    moved = run_playbook(lab3_kerberos, [_move("hv2.lab.test")], auth="negotiate")
    assert moved.rc == 0, moved.stdout
    assert "app1" in _vms(lab3_kerberos, "hv2") and "app1" not in _vms(lab3_kerberos, "hv1")
    moves = [r for r in lab3_kerberos.call_log() if r.get("command") == "Move-VM"]
    assert moves and all(r["auth"] == "kerberos" for r in moves)


def test_ntlm_session_needs_protocol_transition(lab3_kerberos: typing.Any, samba_dc: SambaDC) -> None:
    """Kerberos-only delegation + an NTLM session (negotiate to an address): the KDC refuses S4U2Self, 0x8009030E
    with the protocol-transition hint; protocol any: S4U2Self + S4U2Proxy are granted and the move works."""
    _enable_migrations(lab3_kerberos)
    _spn(samba_dc, ["hv1", "hv2"], ["hv1", "hv2"])
    defaults = connection_defaults(lab3_kerberos, "hv1", "negotiate")
    defaults["hostname"] = lab3_kerberos.address("hv1")
    task = _move(lab3_kerberos.address("hv2"))
    task[MIGRATE].update(defaults)
    failed = run_playbook(lab3_kerberos, [task], auth="negotiate")
    assert failed.rc != 0
    problems = failed.result("move")["problems"]
    assert "0x8009030E" in problems[0]["what"], problems
    assert "NTLM" in problems[0]["fix"] and "protocol: any" in problems[0]["fix"], problems
    assert "app1" in _vms(lab3_kerberos, "hv1")

    _spn(samba_dc, ["hv1", "hv2"], ["hv1", "hv2"], protocol="any")
    assert samba_dc.read("hv1")["uac"] & 0x1000000
    moved = run_playbook(lab3_kerberos, [task], auth="negotiate")
    assert moved.rc == 0, moved.stdout
    assert "app1" in _vms(lab3_kerberos, "hv2")
    assert {r["auth"] for r in lab3_kerberos.call_log() if r.get("command") == "Move-VM"} == {"ntlm"}


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_native_exes_in_a_kerberos_task_are_kerberos(lab3_kerberos: typing.Any, auth: str) -> None:
    """hyperv_smb_share sets NTFS rights with icacls.exe over WinRS: the same authentication as its PSRP calls."""
    share = {"name": "share", "winvirt.hyperv.hyperv_smb_share": {
        "name": "Store", "path": "E:\\Shares\\Store", "full_access": ["LAB\\HV1$"], "ntfs_full_control": ["LAB\\HV1$"]}}
    run = run_playbook(lab3_kerberos, [share], host="fs1", auth=auth)
    assert run.rc == 0 and run.result("share")["changed"] is True, run.stdout
    records = [r for r in lab3_kerberos.call_log() if r["machine"] == "fs1"]
    native = [r for r in records if "native" in r]
    assert native and all("icacls" in str(r["native"]).lower() for r in native)
    assert {(r["auth"], r["client_principal"]) for r in records} == {("kerberos", "Administrator@LAB.TEST")}
    entries = [(e.account, e.rights) for e in lab3_kerberos.world.machine("fs1").smb.ntfs_entries("E:\\Shares\\Store")]
    assert any(account.upper() == "LAB\\HV1$" for account, _rights in entries)


def test_the_lab3_play_by_fqdn_is_kerberos_and_by_address_ntlm_with_the_hint(lab3_kerberos: typing.Any) -> None:
    """The shipped live_migration playbook and inventory (hosts by FQDN): Kerberos, delegation Kerberos-only,
    the move works by S4U2Proxy. The same play by address negotiates NTLM; with Kerberos-only delegation the
    move fails with 0x8009030E and the hint that the session is NTLM and needs protocol transition."""
    by_address = run_playbook_file(lab3_kerberos, "live_migration.yml", by_address=True,
                                   extra_vars={"live_migration_delegation_protocol": "kerberos"})
    assert by_address.rc != 0
    text = by_address.stdout
    assert "0x8009030E" in text and "NTLM" in text and "protocol: any" in text, text
    assert {r["auth"] for r in lab3_kerberos.call_log() if r["machine"] == "hv1"} == {"ntlm"}
    assert "app1" in _vms(lab3_kerberos, "hv1")

    by_name = run_playbook_file(lab3_kerberos, "live_migration.yml")
    assert by_name.rc == 0, by_name.stdout
    assert "app1" in _vms(lab3_kerberos, "hv2")
    assert not lab3_kerberos.world.directory.computer("hv1").user_account_control & 0x1000000, "Kerberos only"
    moves = [r for r in lab3_kerberos.call_log() if r.get("command") == "Move-VM"]
    assert moves and {r["auth"] for r in moves} == {"kerberos"}
