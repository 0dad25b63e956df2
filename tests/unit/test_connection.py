"""Connection option resolution: env fallbacks, defaults, checks, the destination's inheritance."""

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import (
    ConnectionOptionsError,
    connection_argument_spec,
    destination_argument_spec,
    resolve_connection,
    resolve_destination,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule

ENV = ("HYPERV_HOST", "HYPERV_PORT", "HYPERV_USER", "HYPERV_PASSWORD", "HYPERV_AUTH", "HYPERV_SSL",
       "HYPERV_CERT_VALIDATION", "HYPERV_CA_TRUST_PATH", "HYPERV_CERTIFICATE_PEM", "HYPERV_CERTIFICATE_KEY_PEM",
       "HYPERV_CONNECTION_TIMEOUT", "HYPERV_OPERATION_TIMEOUT", "HYPERV_READ_TIMEOUT", "HYPERV_PROXY", "HYPERV_COMMAND_TIMEOUT")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def _module(args, **kwargs):
    with patch_module_args(args):
        return HyperVModule({}, supports_check_mode=True, **kwargs)


def test_environment_fills_every_option(monkeypatch) -> None:
    monkeypatch.setenv("HYPERV_HOST", "hv1.lab.test")
    monkeypatch.setenv("HYPERV_USER", "LAB\\admin")
    monkeypatch.setenv("HYPERV_PASSWORD", "s3cret")
    monkeypatch.setenv("HYPERV_AUTH", "credssp")
    monkeypatch.setenv("HYPERV_SSL", "true")
    monkeypatch.setenv("HYPERV_CA_TRUST_PATH", "/etc/ssl/lab-ca.pem")
    options = _module({}).connection_options()
    assert (options.hostname, options.username, options.password, options.auth) == ("hv1.lab.test", "LAB\\admin", "s3cret", "credssp")
    assert options.ssl and options.port == 5986 and options.cert_validation
    assert options.ca_trust_path == "/etc/ssl/lab-ca.pem"
    assert options.endpoint == "https://hv1.lab.test:5986/wsman"
    assert "s3cret" not in repr(options)


def test_empty_variables_count_as_unset(monkeypatch) -> None:
    """AWX renders an injector of an unfilled field as an empty variable: the option's default applies."""
    monkeypatch.setenv("HYPERV_HOST", "hv1.lab.test")
    monkeypatch.setenv("HYPERV_USER", "LAB\\admin")
    for name in ENV[3:]:
        monkeypatch.setenv(name, "")
    options = _module({}).connection_options()
    assert (options.auth, options.ssl, options.cert_validation, options.port) == ("negotiate", False, True, 5985)
    assert options.password is None and options.ca_trust_path is None and options.certificate_pem is None
    assert (options.connection_timeout, options.operation_timeout, options.read_timeout) == (30, 20, 30)


def test_task_arguments_win_over_environment(monkeypatch) -> None:
    monkeypatch.setenv("HYPERV_HOST", "from-env")
    options = _module({"hostname": "hv2", "username": "u", "password": "p"}).connection_options()
    assert options.hostname == "hv2"
    assert options.port == 5985 and not options.ssl and options.cert_validation


def test_hostname_is_required(capsys) -> None:
    with pytest.raises(SystemExit):
        _module({"username": "u"})
    assert "hostname" in json.loads(capsys.readouterr().out)["msg"]


def test_password_is_no_log() -> None:
    assert connection_argument_spec()["password"]["no_log"] is True
    assert destination_argument_spec()["destination"]["options"]["password"]["no_log"] is True


def _params(**overrides):
    params = {"hostname": "hv1", "port": None, "username": "u", "password": "p", "auth": "negotiate", "ssl": False,
              "cert_validation": True, "ca_trust_path": None, "certificate_pem": None, "certificate_key_pem": None,
              "connection_timeout": 30, "operation_timeout": 20, "read_timeout": 30, "proxy": None}
    params.update(overrides)
    return params


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"auth": "basic"}, "ssl=true"),
        ({"auth": "certificate", "ssl": True}, "certificate_pem"),
        ({"username": None}, "needs username"),
        ({"read_timeout": 20}, "read_timeout"),
    ],
)
def test_impossible_combinations_fail_before_connecting(overrides, complaint) -> None:
    with pytest.raises(ConnectionOptionsError, match=complaint):
        resolve_connection(_params(**overrides))


def test_destination_inherits_credentials_and_may_override() -> None:
    assert resolve_destination(_params(destination=None)) is None
    inherited = resolve_destination(_params(destination={"hostname": "hv2"}))
    assert (inherited.hostname, inherited.username, inherited.password, inherited.auth) == ("hv2", "u", "p", "negotiate")
    own = resolve_destination(_params(ssl=False, destination={"hostname": "hv3", "username": "v", "ssl": True}))
    assert (own.username, own.password, own.ssl, own.port) == ("v", "p", True, 5986)


def test_empty_ldap_variables_count_as_unset(monkeypatch) -> None:
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    from ansible_collections.winvirt.hyperv.plugins.module_utils._ldap_connection import ldap_argument_spec

    spec = ldap_argument_spec()
    for option in spec.values():
        for name in option["fallback"][1]:
            monkeypatch.setenv(name, "")
    monkeypatch.setenv("HYPERV_LDAP_SERVER", "dc1.lab.test")
    result = ArgumentSpecValidator(spec).validate({})
    assert not result.error_messages, result.error_messages
    params = result.validated_parameters
    assert params["ldap_server"] == "dc1.lab.test"
    assert (params["ldap_encryption"], params["ldap_cert_validation"], params["ldap_ca_path"]) == ("ldaps", True, None)
