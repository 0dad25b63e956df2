"""The SPN and delegation checks of a move, from the two computer accounts (_migration_directory.py)."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_directory import directory_problems
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_plan import HostFacts
from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_plan import Account

MIGRATION = "Microsoft Virtual System Migration Service"
ALL_SPNS = (f"{MIGRATION}/HV2", f"{MIGRATION}/hv2.lab.test")
DELEGATION = (f"{MIGRATION}/HV2", f"{MIGRATION}/hv2.lab.test", "cifs/HV2", "cifs/hv2.lab.test")


def _host(name: str, authentication: str = "Kerberos") -> HostFacts:
    return HostFacts(name=f"{name}.lab.test", migration_enabled=True, authentication=authentication, switches=(), vms={})


def _accounts(spns: tuple[str, ...] = ALL_SPNS, delegate_to: tuple[str, ...] = DELEGATION,
              uac: int = 0x1000) -> dict[str, Account | None]:
    return {"HV1$": Account("CN=HV1,CN=Computers,DC=lab,DC=test", "HV1$", "hv1.lab.test", (), delegate_to, uac),
            "HV2$": Account("CN=HV2,CN=Computers,DC=lab,DC=test", "HV2$", "hv2.lab.test", spns)}


def _problems(accounts: dict[str, Account | None], *, mode: str = "shared_nothing", session: str = "kerberos",
              authentication: str = "Kerberos") -> list[t.Any]:
    return directory_problems(_host("hv1", authentication), _host("hv2", authentication), accounts, "lab.test", mode,
                              session, "DC=lab,DC=test on ldaps://dc1:636")


def test_a_prepared_pair_has_no_problem() -> None:
    assert _problems(_accounts()) == []


def test_every_missing_piece_is_reported_at_once() -> None:
    problems = _problems(_accounts(spns=(f"{MIGRATION}/HV2",), delegate_to=(f"{MIGRATION}/hv2.lab.test",)))
    assert len(problems) == 2
    assert f"lacks the SPN {MIGRATION}/hv2.lab.test" in problems[0].what and "0x80090303" in problems[0].what
    assert "hosts: [HV2]" in problems[0].fix
    assert "may not delegate to" in problems[1].what and "cifs/HV2, cifs/hv2.lab.test" in problems[1].what
    assert f"{MIGRATION}/HV2," in problems[1].what and "delegation.peers: [HV1, HV2]" in problems[1].fix


def test_vm_only_needs_no_cifs_delegation_to_the_destination() -> None:
    assert _problems(_accounts(delegate_to=DELEGATION[:2]), mode="vm_only") == []
    assert len(_problems(_accounts(delegate_to=DELEGATION[:2]))) == 1


@pytest.mark.parametrize("uac, expected", [(0x1000, 1), (0x1000 | 0x1000000, 0)])
def test_an_ntlm_session_needs_protocol_transition(uac: int, expected: int) -> None:
    problems = _problems(_accounts(uac=uac), session="ntlm")
    assert len(problems) == expected
    if problems:
        assert "NTLM" in problems[0].what and "delegation.protocol: any" in problems[0].fix


@pytest.mark.parametrize("session", ["credssp", "basic"])
def test_sessions_that_leave_credentials_on_the_source_need_no_delegation(session: str) -> None:
    assert _problems(_accounts(delegate_to=()), session=session) == []


def test_credssp_migration_authentication_needs_no_delegation() -> None:
    assert _problems(_accounts(delegate_to=()), authentication="CredSSP") == []


def test_a_missing_account_is_named() -> None:
    accounts = _accounts()
    accounts["HV2$"] = None
    problems = _problems(accounts)
    assert len(problems) == 1 and "no computer account HV2$ for hv2.lab.test" in problems[0].what
