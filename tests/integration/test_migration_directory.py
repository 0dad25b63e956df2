"""hyperv_live_migration's directory checks against the Samba DC: every SPN and delegation problem in the first
run, beside the hosts' own (migrations off), without anything moving."""

from __future__ import annotations

import typing

import pytest
from harness import connection_defaults, run_on_localhost, run_playbook
from samba_dc import SambaDC

pytestmark = pytest.mark.samba

MIGRATE = "winvirt.hyperv.hyperv_live_migration"


def _move(destination: str, dc: SambaDC, **extra: typing.Any) -> dict[str, typing.Any]:
    args = {"destination": {"hostname": destination}, "name": ["app1"], **dc.module_options(), **extra}
    return {"name": "move", MIGRATE: args, "register": "out"}


def _spn(dc: SambaDC, hosts: list[str], peers: list[str], protocol: str = "kerberos") -> None:
    args = {**dc.module_options(), "hosts": hosts, "delegation": {"peers": peers, "protocol": protocol}}
    run = run_on_localhost("winvirt.hyperv.hyperv_spn", args)
    assert run.rc == 0, run.stdout


def _migrations(estate: typing.Any, enabled: bool) -> None:
    with estate.world.lock:
        for name in ("hv1", "hv2"):
            estate.world.machine(name).hyperv.host.migration_enabled = enabled
            estate.world.machine(name).hyperv.host.migration_auth = "Kerberos"


def _vms(estate: typing.Any, machine: str) -> set[str]:
    return {vm.name for vm in estate.world.machine(machine).hyperv.vms.values()}


def test_first_run_reports_migrations_off_missing_spn_and_delegation_together(
        lab3_kerberos: typing.Any, samba_dc: SambaDC) -> None:
    _migrations(lab3_kerberos, enabled=False)
    _spn(samba_dc, ["hv1", "hv2"], [])  # SPNs, no delegation
    samba_dc.samba_tool("spn", "delete", "Microsoft Virtual System Migration Service/hv2.lab.test", "HV2$")
    before = samba_dc.read("hv1"), samba_dc.read("hv2")

    run = run_playbook(lab3_kerberos, [_move("hv2.lab.test", samba_dc)], auth="negotiate")
    result = run.result("move")
    assert run.rc != 0 and result["changed"] is False, result
    whats = [problem["what"] for problem in result["problems"]]
    assert any("not enabled on hv1" in what for what in whats), whats
    assert any("not enabled on hv2" in what for what in whats), whats
    assert any("lacks the SPN Microsoft Virtual System Migration Service/hv2.lab.test" in what for what in whats), whats
    assert any("may not delegate to" in what and "cifs/hv2.lab.test" in what for what in whats), whats
    fixes = " ".join(problem["fix"] for problem in result["problems"])
    assert "hyperv_spn with hosts: [HV2]" in fixes and "delegation.peers: [HV1, HV2]" in fixes
    assert "app1" in _vms(lab3_kerberos, "hv1") and (samba_dc.read("hv1"), samba_dc.read("hv2")) == before

    # the fixes it names, then the move works
    _spn(samba_dc, ["hv1", "hv2"], ["hv1", "hv2"])
    _migrations(lab3_kerberos, enabled=True)
    moved = run_playbook(lab3_kerberos, [_move("hv2.lab.test", samba_dc)], auth="negotiate")
    assert moved.rc == 0, moved.stdout
    assert "app1" in _vms(lab3_kerberos, "hv2") and "app1" not in _vms(lab3_kerberos, "hv1")


def test_an_ntlm_session_with_kerberos_only_delegation_is_named_before_migrations_are_on(
        lab3_kerberos: typing.Any, samba_dc: SambaDC) -> None:
    _migrations(lab3_kerberos, enabled=False)
    _spn(samba_dc, ["hv1", "hv2"], ["hv1", "hv2"])  # Kerberos-only delegation
    defaults = connection_defaults(lab3_kerberos, "hv1", "negotiate")
    defaults["hostname"] = lab3_kerberos.address("hv1")  # by address: NTLM
    task = _move(lab3_kerberos.address("hv2"), samba_dc)
    task[MIGRATE].update(defaults)
    run = run_playbook(lab3_kerberos, [task], auth="negotiate")
    problems = run.result("move")["problems"]
    ntlm = [p for p in problems if "delegates with Kerberos only" in p["what"]]
    assert ntlm and "NTLM" in ntlm[0]["what"] and "protocol: any" in ntlm[0]["fix"], problems
    assert any("not enabled" in p["what"] for p in problems), problems


def test_the_ldap_options_are_checked_before_any_host_is_asked(lab3_kerberos: typing.Any, samba_dc: SambaDC) -> None:
    lab3_kerberos.reset_counters()
    task = _move("hv2.lab.test", samba_dc, ldap_password=None)
    run = run_playbook(lab3_kerberos, [task], auth="negotiate")
    result = run.result("move")
    assert run.rc != 0 and "ldap_server is set for the directory checks" in result["msg"]
    assert "ldap_password" in result["msg"] and lab3_kerberos.counters("hv1")["pipelines"] == 0


def test_the_role_passes_an_ldap_directory_to_the_moves_preflight(lab3_kerberos: typing.Any, samba_dc: SambaDC) -> None:
    _migrations(lab3_kerberos, enabled=False)
    _spn(samba_dc, ["hv1", "hv2"], [])
    role = {"name": "role", "ansible.builtin.include_role": {"name": "winvirt.hyperv.live_migration"},
            "vars": {"live_migration_prepare": False, "live_migration_directory": samba_dc.module_options(),
                     "live_migration_moves": [{"name": "app1", "destination": "hv2.lab.test"}]}}
    run = run_playbook(lab3_kerberos, [role], auth="negotiate")
    assert run.rc != 0
    loop = run.result("Poll the moves")["results"][0]  # the role moves with async; the poll has the module's result
    whats = [problem["what"] for problem in loop["problems"]]
    assert any("may not delegate to" in what for what in whats) and any("not enabled" in what for what in whats), whats
    assert "app1" in _vms(lab3_kerberos, "hv1")
