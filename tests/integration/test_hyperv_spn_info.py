"""hyperv_spn_info through real ansible-playbook against a real Samba AD DC: what it reports equals what LDAP holds,
a host without an account (also one whose name holds the LDAP filter's wildcard) is listed as missing, check mode
and the module itself change nothing, and its EXAMPLES run."""

from __future__ import annotations

import pytest
import yaml

from samba_dc import BASE_DN, SambaDC
from test_hyperv_spn import SPN, hyperv_spns, run_play

pytestmark = pytest.mark.samba

INFO = "winvirt.hyperv.hyperv_spn_info"
GROUP = "Hyper-V Hosts"


def test_reports_what_ldap_holds_and_missing_hosts(clean_dc: SambaDC) -> None:
    prepared = run_play(clean_dc, [{"name": "prepare", SPN: {"hosts": ["hv1", "hv2"], "delegation": {"peers": ["hv1", "hv2"]},
                                                             "group": {"name": GROUP}}}])
    assert prepared.rc == 0, prepared.stdout
    before = clean_dc.snapshot()
    hosts = ["hv1", "hv2.lab.test", "hv3", "hv9", "hv*"]
    run = run_play(clean_dc, [{"name": "info", INFO: {**clean_dc.module_options(), "hosts": hosts, "group": GROUP},
                               "register": "out"}], check=True)
    assert run.rc == 0, run.stdout
    assert clean_dc.snapshot() == before, "an info module wrote to the directory"
    result = run.result("info")
    assert result["changed"] is False
    assert [a["host"] for a in result["accounts"]] == ["hv1", "hv2.lab.test", "hv3"]
    assert result["missing_hosts"] == ["hv9", "hv*"]
    for account in result["accounts"]:
        name = account["host"].split(".")[0]
        ldap = clean_dc.read(name)
        assert (sorted(account["spns"], key=str.lower), sorted(account["allowed_to_delegate_to"], key=str.lower),
                account["user_account_control"]) == (ldap["spns"], ldap["delegate_to"], ldap["uac"])
        assert account["dn"] == clean_dc.computer_dn(name)
    hv1, _hv2, hv3 = result["accounts"]
    assert hv1["missing_spns"] == [] and sorted(hv3["missing_spns"]) == sorted(hyperv_spns("hv3"))
    assert hv1["delegation_protocol"] == "kerberos" and hv3["delegation_protocol"] == "none"
    members = sorted((clean_dc.computer_dn(n) for n in ("hv1", "hv2")), key=str.lower)
    assert result["group"] == {"name": GROUP, "dn": f"CN={GROUP},CN=Users,{BASE_DN}", "members": members}
    assert all(f"CN={GROUP},CN=Users,{BASE_DN}" in clean_dc.read(n)["member_of"] for n in ("hv1", "hv2"))


def test_a_missing_group_is_null_and_the_examples_run(clean_dc: SambaDC) -> None:
    from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_spn_info  # pylint: disable=import-outside-toplevel

    run = run_play(clean_dc, [{"name": "info", INFO: {**clean_dc.module_options(), "hosts": ["hv1"], "group": "No such"},
                               "register": "out"}])
    assert run.rc == 0, run.stdout
    assert run.result("info")["group"] is None and run.result("info")["missing_hosts"] == []
    register = run_play(clean_dc, [{"name": "register", SPN: {"hosts": ["hv1", "hv2", "hv3"], "group": {"name": GROUP}}}])
    assert register.rc == 0, register.stdout
    tasks = yaml.safe_load(hyperv_spn_info.EXAMPLES)
    tasks[0][INFO].update(clean_dc.module_options())
    run = run_play(clean_dc, tasks, options={})
    assert run.rc == 0, run.stdout
    assert [r["status"] for r in run.results] == ["ok", "ok"], run.stdout
    assert [a["host"] for a in run.result("What the hosts' accounts hold, over LDAPS")["accounts"]] == ["hv1", "hv2", "hv3"]
