"""The AWX credential types of extensions/awx, injected as AWX injects them, drive modules against hvsim.

AWX's behaviour (unfilled fields, booleans, files) is reimplemented in awx_injection.py from its sources.
"""

from __future__ import annotations

import hashlib
import pathlib
import typing as t

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from awx_injection import DefinitionError, inject, validate_type
from harness import admin_credentials, run_playbook
from test_hyperv_vm import world_vms

from hvsim.wire.certs import issue_client_certificate

ROOT = pathlib.Path(__file__).resolve().parents[2]
TYPES = {path.stem.removeprefix("credential_type_"): path for path in (ROOT / "extensions" / "awx").glob("credential_type_*.yml")}
INFO = {"name": "info", "winvirt.hyperv.hyperv_vm_info": {}, "register": "out"}


def credential_type(name: str) -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], yaml.safe_load(TYPES[name].read_text(encoding="utf-8")))


def calls_on(estate: t.Any, machine: str) -> list[dict[str, t.Any]]:
    return [record for record in estate.call_log() if record.get("machine") == machine and "command" in record]


@pytest.mark.parametrize("name", sorted(TYPES))
def test_awx_accepts_the_type(name: str) -> None:
    validate_type(credential_type(name))


def test_awx_refuses_an_injector_naming_an_undefined_field() -> None:
    """The reimplemented definition check can fail (a typo in a template is caught, as AWX catches it)."""
    broken = credential_type("hyperv")
    broken["injectors"]["env"]["HYPERV_USER"] = "{{ user_name }}"
    with pytest.raises(DefinitionError, match="user_name"):
        validate_type(broken)


def test_minimal_credential_drives_a_module(lab3, tmp_path: pathlib.Path) -> None:
    """Only the required fields: every other variable arrives empty, and the modules' defaults apply."""
    user, password = admin_credentials(lab3, "hv1")
    env = inject(credential_type("hyperv"), {"username": user, "password": password}, tmp_path)
    assert env == {"HYPERV_USER": user, "HYPERV_PASSWORD": password, "HYPERV_AUTH": "", "HYPERV_SSL": "",
                   "HYPERV_CERT_VALIDATION": "", "HYPERV_CA_TRUST_PATH": ""}
    before = lab3.snapshot()
    run = run_playbook(lab3, [INFO], connection={"hostname": lab3.address("hv1")}, environment=env)
    assert run.rc == 0, run.stdout
    result = run.result("info")
    assert sorted(vm["name"] for vm in result["vms"]) == sorted(vm.name for vm in world_vms(lab3))
    assert {record["user"].lower() for record in calls_on(lab3, "hv1")} == {user.lower()}
    assert lab3.snapshot() == before


def test_full_credential_over_validated_https(lab3, tmp_path: pathlib.Path) -> None:
    user, password = admin_credentials(lab3, "hv1")
    inputs = {"username": user, "password": password, "auth": "ntlm", "ssl": True, "skip_cert_validation": False,
              "ca_certificate": lab3.ca_pem.read_text(encoding="utf-8")}
    env = inject(credential_type("hyperv"), inputs, tmp_path)
    assert (env["HYPERV_AUTH"], env["HYPERV_SSL"], env["HYPERV_CERT_VALIDATION"]) == ("ntlm", "true", "")
    assert pathlib.Path(env["HYPERV_CA_TRUST_PATH"]).read_text(encoding="utf-8") == inputs["ca_certificate"]
    run = run_playbook(lab3, [INFO], connection={"hostname": lab3.address("hv1")}, environment=env)
    assert run.rc == 0, run.stdout
    assert run.result("info")["vms"]


def test_full_credential_refuses_a_host_its_ca_did_not_sign(lab3, tmp_path: pathlib.Path) -> None:
    """Certificate validation stays on when the box is unticked: another CA's certificate fails the task."""
    user, password = admin_credentials(lab3, "hv1")
    other_ca = tmp_path / "other"
    other_ca.mkdir()
    from hvsim.wire.certs import issue_certificates

    foreign = issue_certificates(other_ca, ["elsewhere"], ["127.0.0.1"]).ca_pem.read_text(encoding="utf-8")
    env = inject(credential_type("hyperv"), {"username": user, "password": password, "ssl": True,
                                             "ca_certificate": foreign}, tmp_path)
    run = run_playbook(lab3, [INFO], connection={"hostname": lab3.address("hv1")}, environment=env)
    assert run.rc != 0
    assert "certificate" in run.result("info")["msg"].lower()


def test_certificate_credential_drives_a_module(lab3, tmp_path: pathlib.Path) -> None:
    """The client certificate and its key are written to files, their paths injected; hv1 maps it to a local admin."""
    hv1 = lab3.world.machine("hv1")
    local_admin = next(iter(hv1.local_accounts))
    cert_path, key_path = issue_client_certificate(lab3.ca_pem.parent, local_admin)
    der = x509.load_pem_x509_certificate(cert_path.read_bytes()).public_bytes(serialization.Encoding.DER)
    hv1.platform.certificate_mappings[hashlib.sha1(der).hexdigest().upper()] = local_admin  # noqa: S324 (thumbprint)
    inputs = {"certificate": cert_path.read_text(encoding="utf-8"), "certificate_key": key_path.read_text(encoding="utf-8"),
              "ca_certificate": lab3.ca_pem.read_text(encoding="utf-8")}
    env = inject(credential_type("hyperv_certificate"), inputs, tmp_path)
    assert (env["HYPERV_AUTH"], env["HYPERV_SSL"]) == ("certificate", "true")
    assert pathlib.Path(env["HYPERV_CERTIFICATE_KEY_PEM"]).read_text(encoding="utf-8") == inputs["certificate_key"]
    assert pathlib.Path(env["HYPERV_CERTIFICATE_KEY_PEM"]).stat().st_mode & 0o077 == 0
    run = run_playbook(lab3, [INFO], connection={"hostname": lab3.address("hv1")}, environment=env)
    assert run.rc == 0, run.stdout
    assert run.result("info")["vms"]
    assert {(record["user"], record["auth"]) for record in calls_on(lab3, "hv1")} == {(local_admin, "certificate")}


def test_minimal_ldap_credential_uses_ldaps_with_validation(tmp_path: pathlib.Path) -> None:
    env = inject(credential_type("hyperv_ldap"), {"server": "dc1.lab.test", "username": "admin@lab.test",
                                                  "password": "pw"}, tmp_path)
    assert env["HYPERV_LDAP_ENCRYPTION"] == "" and env["HYPERV_LDAP_CERT_VALIDATION"] == ""
    assert env["HYPERV_LDAP_CA_PATH"] == ""


@pytest.mark.samba
def test_ldap_credential_drives_hyperv_spn(clean_dc, lab3, tmp_path: pathlib.Path) -> None:
    """Only the required fields and the DC's CA: hyperv_spn reads the directory over validated LDAPS."""
    options = clean_dc.module_options()
    inputs = {"server": options["ldap_server"], "username": options["ldap_username"], "password": options["ldap_password"],
              "ca_certificate": pathlib.Path(options["ldap_ca_path"]).read_text(encoding="utf-8")}
    env = inject(credential_type("hyperv_ldap"), inputs, tmp_path)
    before = clean_dc.snapshot()
    task = {"name": "spn", "winvirt.hyperv.hyperv_spn": {"hosts": ["hv1"], "state": "query",
                                                         "ldap_tls_server_name": options["ldap_tls_server_name"]},
            "register": "out"}
    run = run_playbook(lab3, [task], connection={}, environment=env)
    assert run.rc == 0, run.stdout
    assert run.result("spn")["accounts"]
    assert clean_dc.snapshot() == before
