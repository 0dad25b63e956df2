"""The estate's Active Directory: accounts, SPN uniqueness, LDAP filters, delegation, setspn.exe."""

from __future__ import annotations

import typing

import pytest

from hvsim.contract import CommandCall, Failed, Output, Principal
from hvsim.engine.executor import Engine
from hvsim.estate import build_world
from hvsim.native import run_command_line
from hvsim.runner import estate_spec
from hvsim.server import load_world_modules

ON_DC = Principal(machine="dc1", user="LAB\\Administrator", auth="kerberos", delegable=False)
MIGRATION = "Microsoft Virtual System Migration Service"


@pytest.fixture()
def world() -> typing.Any:
    load_world_modules()
    return build_world(estate_spec("lab3"))


def run(world: typing.Any, *calls: CommandCall, principal: Principal = ON_DC) -> list[typing.Any]:
    return list(Engine().run(principal, world, [[call] for call in calls], []))


def c(name: str, **params: typing.Any) -> CommandCall:
    return CommandCall(name=name, parameters=list(params.items()))


def test_accounts_and_starting_spns(world: typing.Any) -> None:
    directory = world.directory
    assert directory.has_spn(world.machine("hv1"), MIGRATION)
    assert not directory.has_spn(world.machine("hv3"), MIGRATION), "lab3 leaves hv3 without Hyper-V SPNs"
    assert directory.computer("dc1").dn == "CN=DC1,OU=Domain Controllers,DC=lab,DC=test"


def test_ldap_filters_properties_and_escaping(world: typing.Any) -> None:
    events = run(world, c("Get-ADComputer", LDAPFilter="(|(sAMAccountName=HV1$)(sAMAccountName=HV3$))",
                          Properties=["servicePrincipalName"]))
    names = sorted(e.value.properties["SamAccountName"] for e in events if isinstance(e, Output))
    assert names == ["HV1$", "HV3$"]
    assert all("servicePrincipalName" in e.value.properties for e in events)
    hostile = run(world, c("Get-ADComputer", LDAPFilter="(sAMAccountName=\\2a)"))
    assert hostile == [], "an escaped * is a literal, not a wildcard"
    broken = run(world, c("Get-ADComputer", LDAPFilter="(sAMAccountName=HV1$"))
    assert isinstance(broken[0], Failed)


def test_spns_are_unique_forest_wide(world: typing.Any) -> None:
    spn = f"{MIGRATION}/hv1.lab.test"
    events = run(world, c("Set-ADComputer", Identity="HV3$", ServicePrincipalNames={"Add": [spn]}))
    assert isinstance(events[0], Failed) and "CN=HV1,CN=Computers,DC=lab,DC=test" in events[0].info.message
    assert spn not in world.directory.computer("hv3").spns


def test_delegation_and_protocol_transition(world: typing.Any) -> None:
    hv1, hv2 = world.machine("hv1"), world.machine("hv2")
    target = f"{MIGRATION}/{hv2.fqdn}"
    run(world, c("Set-ADObject", Identity=world.directory.computer("hv1").dn, Add={"msDS-AllowedToDelegateTo": [target]}))
    kerberos = Principal(machine="hv1", user="LAB\\Administrator", auth="kerberos", delegable=False)
    ntlm = Principal(machine="hv1", user="LAB\\Administrator", auth="ntlm", delegable=False)
    assert world.directory.may_delegate(kerberos, hv1, hv2, MIGRATION)
    assert world.directory.second_hop(ntlm, hv1, hv2, MIGRATION) == 0x8009030E, "Kerberos only"
    run(world, c("Set-ADObject", Identity="HV1$", Replace={"userAccountControl": 0x1000 | 0x1000000}))
    assert world.directory.may_delegate(ntlm, hv1, hv2, MIGRATION)


def test_setspn(world: typing.Any) -> None:
    listed = run_command_line(ON_DC, world, "setspn -L hv3")
    assert listed.exit_code == 0 and b"HOST/hv3.lab.test" in listed.stdout
    added = run_command_line(ON_DC, world, f'setspn -S "{MIGRATION}/hv3" hv3')
    assert added.exit_code == 0 and f"{MIGRATION}/hv3" in world.directory.computer("hv3").spns
    duplicate = run_command_line(ON_DC, world, f'setspn -S "{MIGRATION}/hv1" hv3')
    assert duplicate.exit_code == 1 and b"Duplicate SPN" in duplicate.stdout
    assert run_command_line(ON_DC, world, "setspn -Q nothing/here").exit_code == 1


def test_distinguished_names_compare_unescaped(world: typing.Any) -> None:
    """AD matches DNs by value (RFC 4514/4517): escapes, spaces around separators and case do not matter; a
    group name with leading/trailing spaces gets them escaped in its DN (issue 16)."""
    from hvsim.world.directory import dn_key

    assert dn_key(r"CN=a\,b,DC=x") == dn_key(r"cn = A\2Cb , dc=X")
    assert dn_key(r"CN=\ Spaced\ ,DC=x") != dn_key("CN=Spaced,DC=x")
    base = world.directory.base_dn
    run(world, c("New-ADGroup", Name=" Hyper-V Hosts ", GroupScope="Global"))
    group = next((o for o in world.directory.objects.values() if o.sam_account_name == " Hyper-V Hosts "), None)
    assert group is not None and group.dn == f"CN=\\ Hyper-V Hosts\\ ,CN=Users,{base}"
    run(world, c("Add-ADGroupMember", Identity=f"cn=\\20Hyper-V Hosts\\20, cn=Users,{base.lower()}",
                 Members=[f"CN = HV1 , CN=Computers,{base}"]))
    assert group.members == [f"CN=HV1,CN=Computers,{base}"]
