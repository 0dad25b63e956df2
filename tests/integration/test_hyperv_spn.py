"""hyperv_spn (backend ldap) through real ansible-playbook against a real Samba AD DC, asserting on LDAP itself."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import typing as t

import pytest
import yaml

from harness import CALLBACKS, COLLECTIONS, PlaybookRun
from samba_dc import ADMIN_PASSWORD, BASE_DN, SambaDC

pytestmark = pytest.mark.samba

SPN = "winvirt.hyperv.hyperv_spn"
MIGRATION = "Microsoft Virtual System Migration Service"
REPLICA = "Hyper-V Replica Service"
CONSOLE = "Microsoft Virtual Console Service"


def hyperv_spns(name: str) -> list[str]:
    return [f"{service}/{host}" for service in (MIGRATION, REPLICA, CONSOLE) for host in (name.upper(), f"{name}.lab.test")]


def run_play(dc: SambaDC, tasks: list[dict[str, t.Any]], *, check: bool = False, diff: bool = False,
             options: dict[str, t.Any] | None = None) -> PlaybookRun:
    """One play on localhost; the DC's connection options come from module_defaults for hyperv_spn."""
    play = {
        "name": "hyperv_spn against Samba",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": {SPN: options if options is not None else dc.module_options()},
        "tasks": tasks,
    }
    with tempfile.TemporaryDirectory(prefix="spn-play-") as name:
        workdir = pathlib.Path(name)
        playbook = workdir / "play.yml"
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        capture = workdir / "results.jsonl"
        capture.write_text("")
        env = {key: value for key, value in os.environ.items() if not key.startswith("HYPERV_")}
        env.update(ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
                   ANSIBLE_CALLBACKS_ENABLED="capture", CAPTURE_FILE=str(capture), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   ANSIBLE_RETRY_FILES_ENABLED="0")
        arguments = [str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(playbook)]
        arguments += ["--check"] if check else []
        arguments += ["--diff"] if diff else []
        completed = subprocess.run(arguments, capture_output=True, text=True, env=env, cwd=workdir, timeout=300, check=False)
        results = [json.loads(line) for line in capture.read_text().splitlines() if line.strip()]
        return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, results)


def task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, SPN: args, "register": "out"}


def test_register_default_spns_then_rerun_unchanged(clean_dc: SambaDC) -> None:
    first = run_play(clean_dc, [task("register", hosts=["hv1", "hv2.lab.test"])], diff=True)
    assert first.rc == 0, first.stdout
    result = first.result("register")
    assert result["changed"] is True
    assert len(result["changes"]) == 12
    for name in ("hv1", "hv2"):
        spns = clean_dc.read(name)["spns"]
        assert set(hyperv_spns(name)) <= set(spns), spns
        assert f"HOST/{name.upper()}" in spns, "the HOST SPNs must survive"
    assert set(result["diff"]["after"]["hv1"]["spns"]) - set(result["diff"]["before"]["hv1"]["spns"]) == set(hyperv_spns("hv1"))
    assert result["accounts"][0]["missing_spns"] == []

    again = run_play(clean_dc, [task("register", hosts=["hv1", "hv2.lab.test"])])
    assert again.rc == 0, again.stdout
    assert again.result("register")["changed"] is False
    assert clean_dc.read("hv3")["spns"] == sorted(["HOST/HV3", "HOST/hv3.lab.test"], key=str.lower)


def test_query_reports_and_changes_nothing(clean_dc: SambaDC) -> None:
    before = clean_dc.snapshot()
    run = run_play(clean_dc, [task("query", hosts=["hv1"], state="query")])
    assert run.rc == 0, run.stdout
    account = run.result("query")["accounts"][0]
    assert account["dn"] == f"CN=HV1,CN=Computers,{BASE_DN}"
    assert account["sam_account_name"] == "HV1$"
    assert sorted(account["missing_spns"]) == sorted(hyperv_spns("hv1"))
    assert account["delegation_protocol"] == "none"
    assert run.result("query")["changed"] is False
    assert clean_dc.snapshot() == before


def test_check_mode_leaves_ldap_untouched(clean_dc: SambaDC) -> None:
    before = clean_dc.snapshot()
    tasks = [task("everything", hosts=["hv1", "hv2", "hv3"], delegation={"peers": ["hv1", "hv2", "hv3"], "file_servers": ["fs1"]},
                  group={"name": "Hyper-V Hosts"})]
    run = run_play(clean_dc, tasks, check=True, diff=True)
    assert run.rc == 0, run.stdout
    result = run.result("everything")
    assert result["changed"] is True
    assert "create global security group 'Hyper-V Hosts'" in " ".join(result["changes"])
    assert "cifs/fs1.lab.test" in result["diff"]["after"]["hv1"]["allowed_to_delegate_to"]
    assert clean_dc.snapshot() == before, "check mode wrote to the directory"


def test_duplicate_spn_fails_naming_the_holder(clean_dc: SambaDC) -> None:
    import ldap3  # pylint: disable=import-outside-toplevel

    stolen = f"{MIGRATION}/hv1.lab.test"
    connection = clean_dc.connect()
    connection.modify(clean_dc.computer_dn("hv2"), {"servicePrincipalName": [(ldap3.MODIFY_ADD, [stolen])]})
    connection.unbind()
    before = clean_dc.snapshot()
    run = run_play(clean_dc, [task("register", hosts=["hv1"])])
    assert run.rc != 0
    msg = run.result("register")["msg"]
    assert stolen in msg and clean_dc.computer_dn("hv2") in msg, msg
    assert clean_dc.snapshot() == before, "nothing may change when a duplicate is found"


def test_delegation_add_exclusive_and_remove(clean_dc: SambaDC) -> None:
    group = ["hv1", "hv2", "hv3"]
    add = run_play(clean_dc, [task("delegate", hosts=group, service_classes=[],
                                   delegation={"peers": group, "file_servers": ["fs1"]})])
    assert add.rc == 0, add.stdout
    hv1 = clean_dc.read("hv1")
    expected = sorted(["cifs/FS1", "cifs/fs1.lab.test", f"{MIGRATION}/HV2", f"{MIGRATION}/hv2.lab.test", "cifs/HV2",
                       "cifs/hv2.lab.test", f"{MIGRATION}/HV3", f"{MIGRATION}/hv3.lab.test", "cifs/HV3", "cifs/hv3.lab.test"],
                      key=str.lower)
    assert hv1["delegate_to"] == expected
    assert hv1["uac"] & 0x1000000 == 0, "Kerberos only must not set TRUSTED_TO_AUTH_FOR_DELEGATION"
    assert not any("hv1" in entry.lower() for entry in hv1["delegate_to"]), "a host never delegates to itself"
    assert hv1["spns"] == sorted(["HOST/HV1", "HOST/hv1.lab.test"], key=str.lower), "service_classes: [] leaves SPNs alone"

    extra = run_play(clean_dc, [task("more", hosts=["hv1"], service_classes=[],
                                     delegation={"services": ["HTTP/web1.lab.test"], "protocol": "any"})])
    assert extra.rc == 0, extra.stdout
    hv1 = clean_dc.read("hv1")
    assert "HTTP/web1.lab.test" in hv1["delegate_to"] and len(hv1["delegate_to"]) == 11
    assert hv1["uac"] & 0x1000000, "protocol: any sets TRUSTED_TO_AUTH_FOR_DELEGATION"

    exclusive = run_play(clean_dc, [task("only fs1", hosts=["hv1"], service_classes=[],
                                         delegation={"file_servers": ["fs1"], "exclusive": True})], diff=True)
    assert exclusive.rc == 0, exclusive.stdout
    hv1 = clean_dc.read("hv1")
    assert hv1["delegate_to"] == ["cifs/FS1", "cifs/fs1.lab.test"]
    assert hv1["uac"] & 0x1000000 == 0
    assert exclusive.result("only fs1")["diff"]["after"]["hv1"]["allowed_to_delegate_to"] == hv1["delegate_to"]

    removed = run_play(clean_dc, [task("remove", hosts=["hv1"], service_classes=[], state="absent",
                                       delegation={"file_servers": ["fs1"]})])
    assert removed.rc == 0, removed.stdout
    assert removed.result("remove")["changed"] is True
    assert clean_dc.read("hv1")["delegate_to"] == []
    assert clean_dc.read("hv2")["delegate_to"], "other hosts keep their delegation"


def test_group_membership_and_spn_removal(clean_dc: SambaDC) -> None:
    present = run_play(clean_dc, [task("join", hosts=["hv1", "hv2"], group={"name": "Hyper-V Hosts"})])
    assert present.rc == 0, present.stdout
    group_dn = f"CN=Hyper-V Hosts,CN=Users,{BASE_DN}"
    assert clean_dc.read("hv1")["member_of"] == [group_dn]
    assert present.result("join")["group"]["dn"] == group_dn
    again = run_play(clean_dc, [task("join", hosts=["hv1", "hv2"], group={"name": "Hyper-V Hosts"})])
    assert again.result("join")["changed"] is False

    gone = run_play(clean_dc, [task("leave", hosts=["hv1"], state="absent", group={"name": "Hyper-V Hosts"})])
    assert gone.rc == 0, gone.stdout
    assert clean_dc.read("hv1")["member_of"] == []
    assert clean_dc.read("hv1")["spns"] == sorted(["HOST/HV1", "HOST/hv1.lab.test"], key=str.lower)
    assert clean_dc.read("hv2")["member_of"] == [group_dn]


def test_starttls_and_an_unknown_computer(clean_dc: SambaDC) -> None:
    run = run_play(clean_dc, [task("missing", hosts=["hv1", "hv9"])], options=clean_dc.module_options(ldap_encryption="starttls"))
    assert run.rc != 0
    msg = run.result("missing")["msg"]
    assert "HV9$" in msg and "no computer account" in msg, msg
    assert clean_dc.read("hv1")["spns"] == sorted(["HOST/HV1", "HOST/hv1.lab.test"], key=str.lower)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"ldap_password": "wrong-password"}, ["refused the bind", "invalidCredentials", "ldap_password"]),
        ({"ldap_base_dn": "DC=nope,DC=test"}, ["DC=nope,DC=test", "noSuchObject", "ldap_base_dn"]),
        ({"ldap_ca_path": None}, ["TLS to ldaps://", "ldap_ca_path"]),
        ({"ldap_tls_server_name": None}, ["TLS to ldaps://", "ldap_tls_server_name"]),
    ],
    ids=["bad-credentials", "bad-base-dn", "untrusted-ca", "name-mismatch"],
)
def test_connection_errors_say_what_and_where(clean_dc: SambaDC, overrides: dict[str, t.Any], expected: list[str]) -> None:
    options = {key: value for key, value in clean_dc.module_options(**overrides).items() if value is not None}
    run = run_play(clean_dc, [task("fail", hosts=["hv1"])], options=options)
    assert run.rc != 0
    result = run.result("fail")
    for text in expected:
        assert text in result["msg"], result["msg"]
    assert clean_dc.address in result["msg"]
    assert ADMIN_PASSWORD not in json.dumps(result) and "wrong-password" not in json.dumps(result)


def test_the_examples_run_as_written(clean_dc: SambaDC) -> None:
    """EXAMPLES with the DC's address, CA and credentials in place of dc1.example.com (powershell ones left out)."""
    from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_spn  # pylint: disable=import-outside-toplevel

    tasks = []
    for example in yaml.safe_load(hyperv_spn.EXAMPLES):
        args = example[SPN]
        if args.get("backend") == "powershell":
            continue
        args.update({key: value for key, value in clean_dc.module_options().items() if key != "ldap_encryption"})
        args["delegation"] = json.loads(json.dumps(args.get("delegation")).replace("example.com", "lab.test")) if args.get("delegation") else None
        tasks.append({key: value for key, value in example.items() if key != "register"})
    run = run_play(clean_dc, tasks, options={})
    assert run.rc == 0, run.stdout
    hv1 = clean_dc.read("hv1")
    assert set(hyperv_spns("hv1")) <= set(hv1["spns"])
    assert hv1["delegate_to"] == ["cifs/FS1", "cifs/fs1.lab.test"] and hv1["uac"] & 0x1000000
    assert clean_dc.read("hv3")["member_of"] == [f"CN=Hyper-V Hosts,CN=Users,{BASE_DN}"]
