"""The pure SPN / delegation / group plan of hyperv_spn."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_plan import (
    CONSOLE_SERVICE,
    DEFAULT_SERVICE_CLASSES,
    MIGRATION_SERVICE,
    REPLICA_SERVICE,
    TRUSTED_FOR_DELEGATION,
    TRUSTED_TO_AUTH_FOR_DELEGATION,
    Account,
    DelegationSpec,
    Group,
    GroupSpec,
    SpnSpec,
    account_key,
    domain_of,
    plan_spns,
    spns_to_check,
    validate_spec,
    wanted_spns,
)

DOMAIN = "lab.test"


def computer(name: str, **kwargs: object) -> Account:
    defaults: dict[str, object] = {"dns_host_name": f"{name}.{DOMAIN}", "spns": (f"HOST/{name.upper()}", f"HOST/{name}.{DOMAIN}")}
    defaults.update(kwargs)
    return Account(dn=f"CN={name.upper()},CN=Computers,DC=lab,DC=test", sam_account_name=f"{name.upper()}$", **defaults)  # type: ignore[arg-type]


def directory(*accounts: Account) -> dict[str, Account | None]:
    return {account.sam_account_name: account for account in accounts}


def plan(spec: SpnSpec, accounts: dict[str, Account | None], holders: dict[str, list[str]] | None = None, **kwargs: object):
    return plan_spns(spec, accounts, holders or {}, DOMAIN, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["hv1", "HV1", "hv1.lab.test", "HV1$", " hv1 "])
def test_account_key_accepts_netbios_fqdn_and_sam(name: str) -> None:
    assert account_key(name) == "HV1$"


def test_default_set_is_the_three_hyperv_services_for_both_names() -> None:
    assert DEFAULT_SERVICE_CLASSES == (MIGRATION_SERVICE, REPLICA_SERVICE, CONSOLE_SERVICE)
    assert wanted_spns(computer("hv1"), [MIGRATION_SERVICE], DOMAIN) == [
        f"{MIGRATION_SERVICE}/HV1", f"{MIGRATION_SERVICE}/hv1.lab.test"]


def test_fqdn_falls_back_to_the_domain_without_dns_host_name() -> None:
    assert computer("hv1", dns_host_name=None).names(DOMAIN) == ("HV1", "hv1.lab.test")


def test_domain_of_a_naming_context() -> None:
    assert domain_of("DC=Lab,DC=Test") == "lab.test"
    assert domain_of("OU=x,DC=corp,DC=example,DC=com") == "corp.example.com"


def test_present_adds_only_what_is_missing_case_insensitively() -> None:
    hv1 = computer("hv1", spns=("HOST/HV1", f"{MIGRATION_SERVICE.lower()}/hv1"))
    result = plan(SpnSpec(("hv1",)), directory(hv1))
    assert not result.errors
    [change] = result.changes
    assert f"{MIGRATION_SERVICE}/HV1" not in change.add_spns
    assert len(change.add_spns) == 5
    assert change.remove_spns == () and change.user_account_control is None


def test_a_duplicate_held_elsewhere_fails_with_the_holders_dn() -> None:
    hv1, hv2 = computer("hv1"), computer("hv2")
    spn = f"{REPLICA_SERVICE}/hv1.lab.test"
    result = plan(SpnSpec(("hv1",)), directory(hv1, hv2), {spn.lower(): [hv2.dn]})
    assert result.changes == []
    [error] = result.errors
    assert spn in error and hv2.dn in error and "unique" in error


def test_an_spn_the_host_already_holds_is_not_a_duplicate() -> None:
    spn = f"{MIGRATION_SERVICE}/HV1"
    hv1 = computer("hv1", spns=(spn,))
    result = plan(SpnSpec(("hv1",), service_classes=(MIGRATION_SERVICE,)), directory(hv1), {spn.lower(): [hv1.dn]})
    assert not result.errors
    assert result.changes[0].add_spns == (f"{MIGRATION_SERVICE}/hv1.lab.test",)


def test_absent_removes_the_stored_spelling() -> None:
    hv1 = computer("hv1", spns=("HOST/HV1", "microsoft virtual system migration service/HV1"))
    result = plan(SpnSpec(("hv1",), state="absent"), directory(hv1))
    [change] = result.changes
    assert change.remove_spns == ("microsoft virtual system migration service/HV1",)
    assert result.after()["hv1"].spns == ("HOST/HV1",)


def test_absent_skips_a_deleted_host_but_not_a_missing_peer() -> None:
    result = plan(SpnSpec(("hv1", "hv9"), state="absent"), directory(computer("hv1", spns=(f"{MIGRATION_SERVICE}/HV1",))))
    assert not result.errors and result.missing_hosts == ["hv9"] and list(result.accounts) == ["hv1"]
    peer = plan(SpnSpec(("hv1",), state="absent", delegation=DelegationSpec(peers=("hv9",))), directory(computer("hv1")))
    assert peer.errors and "HV9$" in peer.errors[0]


def test_query_changes_nothing() -> None:
    result = plan(SpnSpec(("hv1",), state="query", group=GroupSpec("G")), directory(computer("hv1")))
    assert not result.changed and not result.errors
    assert spns_to_check(SpnSpec(("hv1",), state="query"), directory(computer("hv1")), DOMAIN) == []


def test_a_missing_computer_fails_naming_it_and_the_directory() -> None:
    delegation = DelegationSpec(file_servers=("fs9",))
    result = plan(SpnSpec(("hv1",), delegation=delegation), directory(computer("hv1")), where="DC=lab,DC=test on ldaps://dc:636")
    [error] = result.errors
    assert "FS9$" in error and "ldaps://dc:636" in error


def group_of_three(**delegation: object) -> tuple[SpnSpec, dict[str, Account | None]]:
    names = ("hv1", "hv2", "hv3")
    spec = SpnSpec(names, service_classes=(), delegation=DelegationSpec(peers=names, file_servers=("fs1",), **delegation))  # type: ignore[arg-type]
    return spec, directory(*(computer(name) for name in (*names, "fs1")))


def test_peers_get_migration_and_cifs_on_every_other_peer_and_the_file_server() -> None:
    spec, accounts = group_of_three()
    result = plan(spec, accounts)
    by_host = {change.host: change for change in result.changes}
    assert set(by_host["hv1"].add_delegation) == {
        "cifs/FS1", "cifs/fs1.lab.test",
        f"{MIGRATION_SERVICE}/HV2", f"{MIGRATION_SERVICE}/hv2.lab.test", "cifs/HV2", "cifs/hv2.lab.test",
        f"{MIGRATION_SERVICE}/HV3", f"{MIGRATION_SERVICE}/hv3.lab.test", "cifs/HV3", "cifs/hv3.lab.test",
    }
    assert all(change.add_spns == () for change in result.changes)


def test_kerberos_only_clears_protocol_transition_and_unconstrained() -> None:
    spec, accounts = group_of_three()
    hv1 = accounts["HV1$"]
    assert hv1 is not None
    accounts["HV1$"] = dataclasses.replace(hv1, user_account_control=0x1000 | TRUSTED_FOR_DELEGATION | TRUSTED_TO_AUTH_FOR_DELEGATION)
    change = next(change for change in plan(spec, accounts).changes if change.host == "hv1")
    assert change.user_account_control == (0x1000 | TRUSTED_FOR_DELEGATION | TRUSTED_TO_AUTH_FOR_DELEGATION, 0x1000)
    assert "unconstrained" in " ".join(change.descriptions())


def test_any_protocol_sets_trusted_to_auth_for_delegation() -> None:
    spec, accounts = group_of_three(protocol="any")
    change = plan(spec, accounts).changes[0]
    assert change.user_account_control == (0x1000, 0x1000 | TRUSTED_TO_AUTH_FOR_DELEGATION)


def test_exclusive_removes_unlisted_entries_only_then() -> None:
    hv1 = computer("hv1", delegate_to=("cifs/FS1", "HTTP/old.lab.test"))
    accounts = directory(hv1, computer("fs1"))
    keep = plan(SpnSpec(("hv1",), service_classes=(), delegation=DelegationSpec(file_servers=("fs1",))), accounts)
    assert keep.changes[0].remove_delegation == ()
    assert keep.changes[0].add_delegation == ("cifs/fs1.lab.test",)
    only = plan(SpnSpec(("hv1",), service_classes=(), delegation=DelegationSpec(file_servers=("fs1",), exclusive=True)), accounts)
    assert only.changes[0].remove_delegation == ("HTTP/old.lab.test",)


def test_absent_delegation_removes_entries_and_protocol_transition_when_none_remain() -> None:
    hv1 = computer("hv1", delegate_to=("cifs/FS1", "cifs/fs1.lab.test"), user_account_control=0x1000 | TRUSTED_TO_AUTH_FOR_DELEGATION)
    accounts = directory(hv1, computer("fs1"))
    result = plan(SpnSpec(("hv1",), state="absent", service_classes=(), delegation=DelegationSpec(file_servers=("fs1",))), accounts)
    [change] = result.changes
    assert set(change.remove_delegation) == {"cifs/FS1", "cifs/fs1.lab.test"}
    assert change.user_account_control == (0x1000 | TRUSTED_TO_AUTH_FOR_DELEGATION, 0x1000)


def test_group_is_created_with_the_hosts_then_left_alone() -> None:
    accounts = directory(computer("hv1"), computer("hv2"))
    spec = SpnSpec(("hv1", "hv2"), service_classes=(), group=GroupSpec("Hyper-V Hosts"))
    created = plan(spec, accounts, group_dn="CN=Hyper-V Hosts,CN=Users,DC=lab,DC=test")
    assert created.group_change is not None and created.group_change.create
    assert len(created.group_change.add_members) == 2
    after = created.group_after()
    assert after is not None and after["dn"] == "CN=Hyper-V Hosts,CN=Users,DC=lab,DC=test"
    group = Group(after["dn"], "Hyper-V Hosts", tuple(member.upper() for member in after["members"]))
    assert not plan(spec, accounts, group=group).changed
    leave = plan(dataclasses.replace(spec, hosts=("hv1",), state="absent"), accounts, group=group)
    assert leave.group_change is not None and len(leave.group_change.remove_members) == 1


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (SpnSpec(()), "at least one"),
        (SpnSpec(("hv1",), service_classes=("cifs/x",)), "without '/'"),
        (SpnSpec(("hv1",), delegation=DelegationSpec(services=("HTTP",))), "full SPN"),
        (SpnSpec(("hv1",), state="absent", delegation=DelegationSpec(exclusive=True)), "exclusive needs state=present"),
    ],
)
def test_invalid_options_are_reported_before_any_lookup(spec: SpnSpec, words: str) -> None:
    assert any(words in problem for problem in validate_spec(spec))


NAMES = st.sampled_from(["hv1", "hv2", "hv3"])
CLASSES = st.lists(st.sampled_from([*DEFAULT_SERVICE_CLASSES, "cifs", "HTTP"]), max_size=4)
EXTRA = st.lists(st.sampled_from(["HTTP/web1.lab.test", "cifs/FS1", "MSSQLSvc/db.lab.test"]), max_size=3)


@settings(max_examples=200, deadline=None)
@given(
    hosts=st.lists(NAMES, min_size=1, max_size=3, unique=True),
    peers=st.lists(NAMES, max_size=3, unique=True),
    classes=CLASSES,
    existing=EXTRA,
    services=EXTRA,
    protocol=st.sampled_from(["kerberos", "any"]),
    exclusive=st.booleans(),
    state=st.sampled_from(["present", "absent"]),
    uac=st.sampled_from([0x1000, 0x1000 | TRUSTED_TO_AUTH_FOR_DELEGATION, 0x1000 | TRUSTED_FOR_DELEGATION]),
)
def test_a_second_run_plans_nothing(hosts, peers, classes, existing, services, protocol, exclusive, state, uac) -> None:
    if state == "absent":
        exclusive = False
    accounts = directory(*(computer(name, delegate_to=tuple(existing), user_account_control=uac) for name in ("hv1", "hv2", "hv3", "fs1")))
    delegation = DelegationSpec(file_servers=("fs1",), peers=tuple(peers), services=tuple(services), protocol=protocol, exclusive=exclusive)
    spec = SpnSpec(tuple(hosts), state=state, service_classes=tuple(classes), delegation=delegation, group=GroupSpec("G"))
    group = Group("CN=G,CN=Users,DC=lab,DC=test", "G", (accounts["HV3$"].dn,))  # type: ignore[union-attr]
    first = plan(spec, accounts, group=group)
    assert not first.errors
    after = first.after()
    updated = dict(accounts)
    for account in after.values():
        updated[account.sam_account_name] = account
    members = first.group_after()
    assert members is not None
    second = plan(spec, updated, group=Group(group.dn, "G", tuple(members["members"])))
    assert not second.changed, second.descriptions()


def _rfc4514_unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        out.append(value[i + 1] if value[i] == "\\" else value[i])
        i += 2 if value[i] == "\\" else 1
    return "".join(out)


def test_group_dn_escapes_leading_and_trailing_spaces() -> None:
    """RFC 4514 2.4: an unescaped leading or trailing space is dropped by DN parsers (issue 16)."""
    from ldap3.utils.dn import parse_dn

    from ansible_collections.winvirt.hyperv.plugins.module_utils._ad_powershell import escape_rdn_value

    for name in (" Hyper-V Hosts ", "  x  ", " ", "a\\ ", "#hash", 'a,b+c=d;e<f>"g"', "plain"):
        escaped = escape_rdn_value(name)
        assert _rfc4514_unescape(escaped) == name, (name, escaped)
        attribute, value, _separator = parse_dn(f"CN={escaped},DC=lab,DC=test", escape=False)[0]
        assert (attribute, value) == ("CN", escaped), (name, escaped, value)
