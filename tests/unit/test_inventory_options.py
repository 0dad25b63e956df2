"""The inventory's psrp / winrm connection variables as module options (plugin_utils/_inventory_options).

The variables are resolved through ansible-core's own psrp and winrm connection plugins with a real Templar,
so templated values, vaulted passwords and each plugin's variable precedence are ansible-core's.
"""

from __future__ import annotations

import pathlib
import typing as t

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import resolve_connection
from ansible_collections.winvirt.hyperv.plugins.plugin_utils._inventory_options import (
    InventoryOptionsError,
    configured_plugin,
    connection_kind,
    domain_controller_option,
    connection_options_from_vars,
    inventory_args,
    second_host_options,
    unfollowed_variables,
)

try:  # ansible-core 2.19: only values from a trusted source (inventory, playbook) are templates
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 templates every string
    def trust_as_template(value: str) -> str:  # type: ignore[misc]
        return value

COLLECTIONS = pathlib.Path(__file__).resolve().parents[2] / "build" / "collections"


@pytest.fixture(scope="module", autouse=True)
def collection_loader() -> t.Iterator[None]:
    """ansible-core's plugin loader needs its collection finder, as ansible-playbook installs it."""
    from ansible.utils.collection_loader import AnsibleCollectionConfig  # pylint: disable=import-outside-toplevel
    from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # pylint: disable=import-outside-toplevel

    previous = AnsibleCollectionConfig.collection_finder
    finder = _AnsibleCollectionFinder(paths=[str(COLLECTIONS)])
    finder._install()  # pylint: disable=protected-access
    yield
    # put back what was there: on ansible-core 2.16 a finder left installed breaks the import of collection modules
    # that later tests import for the first time ("collection metadata was not loaded")
    _AnsibleCollectionFinder._remove()  # pylint: disable=protected-access
    if previous is not None:
        previous._install()  # pylint: disable=protected-access


def _host(**variables: t.Any) -> dict[str, t.Any]:
    base: dict[str, t.Any] = {"inventory_hostname": "hv1", "ansible_connection": "psrp"}
    base.update(variables)
    return base


def _options(variables: dict[str, t.Any], args: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
    templar = Templar(loader=DataLoader(), variables=variables)
    return connection_options_from_vars(variables, args or {}, templar=templar)


# --- psrp ---------------------------------------------------------------------------------------------------


def test_psrp_usual_variables() -> None:
    options = _options(_host(ansible_host="hv1.lab.test", ansible_user="LAB\\admin", ansible_password="s3cret"))
    # psrp: no protocol and no port is https on 5986; auth, validation and timeouts keep the module's defaults
    assert options == {"hostname": "hv1.lab.test", "port": 5986, "ssl": True,
                       "username": "LAB\\admin", "password": "s3cret"}


def test_psrp_every_variable() -> None:
    options = _options(_host(
        ansible_host="10.0.0.1", ansible_psrp_host="hv1.lab.test",  # ansible_psrp_host comes after ansible_host
        ansible_user="ignored", ansible_psrp_user="LAB\\admin",
        ansible_password="first", ansible_winrm_password="s3cret",  # psrp reads ansible_winrm_password last
        ansible_port=1, ansible_psrp_port=5985, ansible_psrp_protocol="http",
        ansible_psrp_auth="credssp", ansible_psrp_cert_validation="validate",
        ansible_psrp_ca_cert="/etc/pki/lab-ca.pem",
        ansible_psrp_certificate_pem="/c.pem", ansible_psrp_certificate_key_pem="/k.pem",
        ansible_psrp_connection_timeout=7, ansible_psrp_operation_timeout=40, ansible_psrp_read_timeout=50,
        ansible_psrp_proxy="http://proxy:3128",
    ))
    # validate is psrp's default: 2.17+ record that the variable set it, 2.16 cannot tell (the module's default is
    # the same)
    assert options.pop("cert_validation", True) is True
    assert options == {
        "hostname": "hv1.lab.test", "port": 5985, "ssl": False, "username": "LAB\\admin", "password": "s3cret",
        "auth": "credssp", "ca_trust_path": "/etc/pki/lab-ca.pem",
        "certificate_pem": "/c.pem", "certificate_key_pem": "/k.pem", "connection_timeout": 7,
        "operation_timeout": 40, "read_timeout": 50, "proxy": "http://proxy:3128",
    }


@pytest.mark.parametrize(("variables", "port", "ssl"), [
    ({}, 5986, True),
    ({"ansible_port": 5985}, 5985, False),  # psrp: port 5985 without a protocol is http
    ({"ansible_port": 8443}, 8443, True),
    ({"ansible_psrp_protocol": "http"}, 5985, False),
    ({"ansible_psrp_protocol": "https", "ansible_port": 5985}, 5985, True),
])
def test_psrp_endpoint(variables: dict[str, t.Any], port: int, ssl: bool) -> None:
    options = _options(_host(**variables))
    assert (options["port"], options["ssl"]) == (port, ssl)


def test_psrp_cert_validation_ignore_drops_the_ca() -> None:
    options = _options(_host(ansible_psrp_cert_validation="ignore", ansible_psrp_cert_trust_path="/ca.pem"))
    assert options["cert_validation"] is False
    assert "ca_trust_path" not in options  # psrp: ca_cert is ignored when validation is off


def test_inventory_name_is_the_address_without_ansible_host() -> None:
    assert _options(_host())["hostname"] == "hv1"


def test_templated_variables_are_resolved() -> None:
    variables = _host(
        domain="lab.test",
        ansible_host=trust_as_template("{{ inventory_hostname }}.{{ domain }}"),
        ansible_user=trust_as_template("Administrator@{{ domain | upper }}"),
        ansible_password=trust_as_template("{{ 'pass' ~ 'word' }}"),
        ansible_port=trust_as_template("{{ 5980 + 5 }}"),
    )
    options = _options(variables)
    assert options["hostname"] == "hv1.lab.test"
    assert options["username"] == "Administrator@LAB.TEST"
    assert options["password"] == "password"
    assert (options["port"], options["ssl"]) == (5985, False)
    assert all(type(value) in (str, int, bool) for value in options.values())  # plain values for module args


def test_vaulted_password_is_decrypted_for_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from ansible.parsing import vault  # pylint: disable=import-outside-toplevel

    secrets = [("default", vault.VaultSecret(b"vault-pass"))]
    ciphertext = vault.VaultLib(secrets).encrypt("s3cret")
    loader = DataLoader()
    loader.set_vault_secrets(secrets)
    if hasattr(vault, "EncryptedString"):  # ansible-core 2.19: decrypted through the process's vault secrets
        monkeypatch.setattr(vault.VaultSecretsContext, "_current", vault.VaultSecretsContext(secrets))
        value: t.Any = vault.EncryptedString(ciphertext=ciphertext.decode())
    else:
        from ansible.parsing.yaml.objects import AnsibleVaultEncryptedUnicode  # pylint: disable=import-outside-toplevel

        value = AnsibleVaultEncryptedUnicode(ciphertext)
        value.vault = vault.VaultLib(secrets)
    variables = _host(ansible_password=value)
    options = connection_options_from_vars(variables, {}, templar=Templar(loader=loader, variables=variables))
    assert options["password"] == "s3cret"
    assert type(options["password"]) is str  # pylint: disable=unidiomatic-typecheck  # a plain str, not a vault subclass


# --- precedence -----------------------------------------------------------------------------------------------


def test_task_arguments_and_module_defaults_win() -> None:
    # the action plugin passes the task's args, which already include module_defaults
    options = _options(_host(ansible_host="hv1.lab.test", ansible_user="inv", ansible_password="inv-pw",
                             ansible_psrp_auth="ntlm"),
                       {"username": "task", "auth": "kerberos", "hostname": None})
    assert "username" not in options and "auth" not in options
    assert options["password"] == "inv-pw" and options["hostname"] == "hv1.lab.test"  # None is "not set"


def test_aliases_count_as_set() -> None:
    options = _options(_host(ansible_host="hv1.lab.test", ansible_user="inv"), {"host": "other", "user": "me"})
    assert "hostname" not in options and "username" not in options


@pytest.mark.parametrize("args", [{"ssl": False}, {"port": 5985}])
def test_port_and_ssl_go_together(args: dict[str, t.Any]) -> None:
    # a task that names one end of the endpoint keeps the module's own rule for the other
    options = _options(_host(ansible_psrp_protocol="https", ansible_port=5986), args)
    assert "port" not in options and "ssl" not in options


def test_unset_variables_leave_module_defaults_and_environment() -> None:
    options = _options(_host())
    for name in ("auth", "cert_validation", "connection_timeout", "operation_timeout", "read_timeout", "proxy",
                 "username", "password"):
        assert name not in options


@pytest.mark.parametrize("connection", [None, "local", "ssh", "ansible.builtin.local", "community.general.lxd"])
def test_other_connections_add_nothing(connection: str | None) -> None:
    variables = _host(ansible_connection=connection, ansible_host="hv1.lab.test", ansible_user="u",
                      ansible_password="p")
    assert _options(variables) == {}


def test_configured_connection_plugin_is_used_as_is() -> None:
    # the task executor's configured plugin: its options already hold templated vars and keywords
    variables = _host(ansible_host="hv1.lab.test", ansible_user="LAB\\admin")
    plugin = configured_plugin("psrp", variables, Templar(loader=DataLoader(), variables=variables))
    options = connection_options_from_vars({"inventory_hostname": "hv1"}, {}, connection=plugin)
    assert options["hostname"] == "hv1.lab.test" and options["username"] == "LAB\\admin"
    assert connection_kind(plugin) == "psrp"
    assert not hasattr(plugin, "_psrp_conn") or plugin._psrp_conn is None  # pylint: disable=protected-access
    assert plugin.connected is False  # never opened


def test_options_resolve_as_the_module_resolves_them() -> None:
    options = _options(_host(ansible_host="hv1.lab.test", ansible_user="LAB\\admin", ansible_password="pw"))
    params = {"auth": "negotiate", "cert_validation": True, "ca_trust_path": None, "certificate_pem": None,
              "certificate_key_pem": None, "connection_timeout": 30, "operation_timeout": 20, "read_timeout": 30,
              "proxy": None, **options}
    assert resolve_connection(params).endpoint == "https://hv1.lab.test:5986/wsman"


# --- winrm ----------------------------------------------------------------------------------------------------


def _winrm(**variables: t.Any) -> dict[str, t.Any]:
    return _options(_host(ansible_connection="winrm", **variables))


def test_winrm_usual_variables() -> None:
    options = _winrm(ansible_host="hv1.lab.test", ansible_user="admin@LAB.TEST", ansible_password="pw",
                     ansible_winrm_transport="kerberos", ansible_winrm_server_cert_validation="ignore")
    assert options == {"hostname": "hv1.lab.test", "port": 5986, "ssl": True, "username": "admin@LAB.TEST",
                       "password": "pw", "auth": "kerberos", "cert_validation": False}


@pytest.mark.parametrize(("variables", "port", "ssl"), [
    ({}, 5986, True),
    ({"ansible_port": 5985}, 5985, False),  # winrm: scheme is http only for port 5985
    ({"ansible_winrm_scheme": "http"}, 5986, False),  # winrm's port default stays 5986
    ({"ansible_winrm_port": 5985, "ansible_winrm_scheme": "https"}, 5985, True),
])
def test_winrm_endpoint(variables: dict[str, t.Any], port: int, ssl: bool) -> None:
    options = _winrm(**variables)
    assert (options["port"], options["ssl"]) == (port, ssl)


@pytest.mark.parametrize(("transport", "extra", "auth"), [
    ("ntlm", {}, "ntlm"),
    ("credssp", {}, "credssp"),
    ("plaintext", {}, "basic"),
    ("ssl", {}, "basic"),
    ("ssl", {"ansible_winrm_cert_pem": "/c.pem", "ansible_winrm_cert_key_pem": "/k.pem"}, "certificate"),
    ("certificate", {"ansible_winrm_cert_pem": "/c.pem", "ansible_winrm_cert_key_pem": "/k.pem"}, "certificate"),
    ("auto,ntlm", {}, "ntlm"),  # the first the modules speak
    (["kerberos", "ntlm"], {}, "kerberos"),
])
def test_winrm_transport(transport: t.Any, extra: dict[str, t.Any], auth: str) -> None:
    assert _winrm(ansible_winrm_transport=transport, **extra)["auth"] == auth


def test_winrm_transport_none_spoken_is_refused() -> None:
    with pytest.raises(InventoryOptionsError, match="hv1: ansible_winrm_transport"):
        _winrm(ansible_winrm_transport="auto")


def test_winrm_pywinrm_arguments() -> None:
    options = _winrm(ansible_winrm_ca_trust_path="/ca.pem", ansible_winrm_cert_pem="/c.pem",
                     ansible_winrm_cert_key_pem="/k.pem", ansible_winrm_proxy="http://p:3128",
                     ansible_winrm_read_timeout_sec=70, ansible_winrm_operation_timeout_sec=60,
                     ansible_winrm_server_cert_validation="validate")
    assert {k: options[k] for k in ("ca_trust_path", "certificate_pem", "certificate_key_pem", "proxy",
                                    "read_timeout", "operation_timeout", "cert_validation")} == {
        "ca_trust_path": "/ca.pem", "certificate_pem": "/c.pem", "certificate_key_pem": "/k.pem",
        "proxy": "http://p:3128", "read_timeout": 70, "operation_timeout": 60, "cert_validation": True}


def test_winrm_connection_timeout_sets_operation_and_read() -> None:
    options = _winrm(ansible_winrm_connection_timeout=45)
    assert (options["operation_timeout"], options["read_timeout"]) == (45, 55)
    assert "connection_timeout" not in options  # the module's TCP connect timeout is another thing


def test_winrm_bad_cert_validation_names_host_and_variable() -> None:
    with pytest.raises(InventoryOptionsError, match="hv1: ansible_winrm_server_cert_validation"):
        _winrm(ansible_winrm_server_cert_validation="sometimes")


# --- unfollowed variables -------------------------------------------------------------------------------------


def test_unfollowed_variables_are_named() -> None:
    variables = _host(ansible_psrp_configuration_name="JEA", ansible_psrp_negotiate_delegate=True,
                      ansible_psrp_reconnection_retries=3, ansible_psrp_path="wsman")
    plugin = configured_plugin("psrp", variables, Templar(loader=DataLoader(), variables=variables))
    assert unfollowed_variables(plugin) == ["ansible_psrp_configuration_name", "ansible_psrp_negotiate_delegate"]
    variables = _host(ansible_connection="winrm", ansible_winrm_kerberos_delegation=True)
    plugin = configured_plugin("winrm", variables, Templar(loader=DataLoader(), variables=variables))
    assert unfollowed_variables(plugin) == ["ansible_winrm_kerberos_delegation"]


# --- a second host from hostvars ------------------------------------------------------------------------------


def _with_hostvars(**hosts: dict[str, t.Any]) -> dict[str, t.Any]:
    variables = _host(ansible_host="hv1.lab.test", ansible_user="LAB\\admin", ansible_password="pw1")
    variables["hostvars"] = {name: {"inventory_hostname": name, **hv} for name, hv in hosts.items()}
    return variables


def _second(variables: dict[str, t.Any], args: dict[str, t.Any]) -> dict[str, t.Any]:
    return second_host_options(variables, args, templar=Templar(loader=DataLoader(), variables=variables))


def test_destination_by_inventory_name() -> None:
    variables = _with_hostvars(hv2={"ansible_connection": "psrp", "ansible_host": "hv2.lab.test",
                                    "ansible_user": "LAB\\other", "ansible_password": "pw2",
                                    "ansible_psrp_protocol": "http", "ansible_psrp_auth": "credssp"})
    result = _second(variables, {"destination": {"hostname": "hv2", "auth": "kerberos", "port": None}})
    assert result == {"destination": {"hostname": "hv2.lab.test", "port": 5985, "ssl": False,
                                      "username": "LAB\\other", "password": "pw2", "auth": "kerberos"}}


def test_destination_templated_hostvars() -> None:
    variables = _with_hostvars(hv2={"ansible_connection": "winrm", "ansible_host": trust_as_template("{{ 'hv2' }}.lab.test"),
                                    "ansible_winrm_transport": "ntlm"})
    result = _second(variables, {"destination": {"hostname": "hv2"}})
    assert result["destination"]["hostname"] == "hv2.lab.test" and result["destination"]["auth"] == "ntlm"


@pytest.mark.parametrize("args", [
    {},
    {"destination": None},
    {"destination": {"hostname": "hv9.lab.test"}},  # not an inventory name
    {"destination": {"hostname": "fs1"}},  # an inventory host that is not reached over psrp / winrm
])
def test_destination_left_alone(args: dict[str, t.Any]) -> None:
    variables = _with_hostvars(fs1={"ansible_connection": "local", "ansible_host": "fs1.lab.test"})
    assert _second(variables, args) == {}


# --- what the action plugin calls ------------------------------------------------------------------------------


def test_inventory_args_fills_resolves_and_warns() -> None:
    variables = _with_hostvars(hv2={"ansible_connection": "psrp", "ansible_host": "hv2.lab.test"})
    variables["ansible_psrp_configuration_name"] = "JEA-Hyper-V"
    templar = Templar(loader=DataLoader(), variables=variables)
    plugin = configured_plugin("psrp", variables, templar)
    args, warnings = inventory_args({"name": "web1", "destination": {"hostname": "hv2"}, "auth": "kerberos"},
                                    variables, templar=templar, connection=plugin)
    assert args == {"name": "web1", "auth": "kerberos", "hostname": "hv1.lab.test", "port": 5986, "ssl": True,
                    "username": "LAB\\admin", "password": "pw1",
                    "destination": {"hostname": "hv2.lab.test", "port": 5986, "ssl": True}}
    assert len(warnings) == 1 and warnings[0].startswith("hv1: ") and "ansible_psrp_configuration_name" in warnings[0]


def test_inventory_args_of_a_local_task_are_the_task_args() -> None:
    variables = _host(ansible_connection="local")
    args, warnings = inventory_args({"hostname": "hv1.lab.test"}, variables,
                                    templar=Templar(loader=DataLoader(), variables=variables))
    assert (args, warnings) == ({"hostname": "hv1.lab.test"}, [])


@pytest.mark.parametrize("key", ["ldap_server", "domain_controller"])
def test_domain_controller_by_inventory_name_is_its_address_only(key: str) -> None:
    variables = _with_hostvars(dc1={"ansible_connection": "psrp", "ansible_host": "dc1.lab.test",
                                    "ansible_user": "LAB\\dcadmin", "ansible_password": "dc-pw"})
    templar = Templar(loader=DataLoader(), variables=variables)
    assert domain_controller_option(variables, {key: "dc1"}, templar=templar) == {key: "dc1.lab.test"}
    args = inventory_args({key: "dc1", "backend": "ldap"}, variables, templar=templar)[0]
    assert args[key] == "dc1.lab.test" and "ldap_username" not in args and "ldap_password" not in args
    assert domain_controller_option(variables, {key: "dc9.lab.test"}, templar=templar) == {}


def test_secrets_from_the_inventory_stay_no_log() -> None:
    """The password (and a proxy URL, which may hold one) the inventory gives are options the module's argument
    spec marks no_log, for the host and for a destination; warnings name variables, never their values."""
    from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import (  # pylint: disable=import-outside-toplevel
        connection_argument_spec, destination_argument_spec)

    variables = _with_hostvars(hv2={"ansible_connection": "psrp", "ansible_host": "hv2.lab.test",
                                    "ansible_password": "pw2-secret"})
    variables.update(ansible_psrp_proxy="http://u:proxy-secret@proxy:3128", ansible_psrp_negotiate_delegate=True)
    templar = Templar(loader=DataLoader(), variables=variables)
    plugin = configured_plugin("psrp", variables, templar)
    args, warnings = inventory_args({"destination": {"hostname": "hv2"}}, variables, templar=templar, connection=plugin)
    spec = connection_argument_spec()
    destination = destination_argument_spec()["destination"]["options"]
    assert args["password"] == "pw1" and spec["password"]["no_log"] is True
    assert args["proxy"].startswith("http://u:") and spec["proxy"]["no_log"] is True
    assert args["destination"]["password"] == "pw2-secret" and destination["password"]["no_log"] is True
    assert warnings and not any(secret in " ".join(warnings) for secret in ("pw1", "pw2-secret", "proxy-secret"))


def test_a_task_delegated_to_a_local_connection_keeps_its_own_options() -> None:
    """delegate_to: localhost on a psrp host: the task's connection is local, so the host's psrp variables are not
    used (the form with explicit options works as before), although task_vars still say psrp."""
    from ansible.playbook.play_context import PlayContext  # pylint: disable=import-outside-toplevel
    from ansible.plugins.loader import connection_loader  # pylint: disable=import-outside-toplevel

    variables = _host(ansible_host="hv1.lab.test", ansible_user="LAB\\admin", ansible_password="pw")
    local = connection_loader.get("ansible.builtin.local", PlayContext(), None)
    templar = Templar(loader=DataLoader(), variables=variables)
    assert connection_options_from_vars(variables, {"hostname": "hv1"}, templar=templar, connection=local) == {}
    assert connection_options_from_vars(variables, {"hostname": "hv1"}, templar=templar)["username"] == "LAB\\admin"


# -- the hyperv_vms inventory plugin's hosts of a group: the same translation, the source's own options first ------
def _group_target(variables: dict[str, t.Any], **configured: t.Any) -> t.Any:
    from ansible_collections.winvirt.hyperv.plugins.plugin_utils._vm_inventory import (  # pylint: disable=import-outside-toplevel
        SHARED_OPTIONS,
        group_target,
    )

    source = {name: configured.get(name) for name in SHARED_OPTIONS}
    return group_target("hv1", variables, source, Templar(loader=DataLoader(), variables=variables))


def test_a_group_host_is_reached_with_its_own_psrp_variables(monkeypatch) -> None:
    monkeypatch.delenv("HYPERV_USER", raising=False)
    target = _group_target({"ansible_connection": "psrp", "ansible_host": "10.0.0.1", "ansible_user": "hvops",
                            "ansible_password": trust_as_template("{{ secret }}"), "secret": "S3cret", "ansible_port": 5985,
                            "ansible_psrp_auth": "ntlm", "ansible_psrp_read_timeout": 90})
    options = target.options
    assert (target.address, options.port, options.ssl, options.username, options.password, options.auth) == \
        ("10.0.0.1", 5985, False, "hvops", "S3cret", "ntlm")
    assert options.read_timeout == 90


def test_the_sources_own_options_win_over_a_group_hosts_variables() -> None:
    target = _group_target({"ansible_connection": "winrm", "ansible_host": "10.0.0.1", "ansible_user": "hvops",
                            "ansible_password": "pw", "ansible_port": 5986, "ansible_winrm_transport": ["ntlm"]},
                           username="LAB\\ops", ssl=False)
    # ssl set by the source takes the port with it (one endpoint), as a task's ssl does
    assert (target.options.username, target.options.password, target.options.ssl, target.options.port) == \
        ("LAB\\ops", "pw", False, 5985)


def test_a_group_host_without_psrp_or_winrm_keeps_the_sources_options() -> None:
    target = _group_target({"ansible_host": trust_as_template("{{ hyperv_address }}"), "hyperv_address": "10.0.0.7",
                            "ansible_user": "ignored", "ansible_password": "ignored"}, username="u", password="p")
    assert (target.address, target.options.username, target.options.password, target.options.port) == \
        ("10.0.0.7", "u", "p", 5985)
    assert _group_target({}, username="u").address == "hv1", "no ansible_host: the inventory name"


def test_a_group_host_whose_variables_cannot_work_names_itself() -> None:
    from ansible_collections.winvirt.hyperv.plugins.plugin_utils._vm_inventory import InventoryConfigError  # pylint: disable=import-outside-toplevel

    with pytest.raises(InventoryConfigError, match=r"hv1: ansible_winrm_transport \['pigeon'\]"):
        _group_target({"ansible_connection": "winrm", "ansible_user": "u", "ansible_winrm_transport": ["pigeon"]})
    with pytest.raises(InventoryConfigError, match="hv1: Invalid connection options for 10.0.0.1: auth=basic"):
        _group_target({"ansible_connection": "psrp", "ansible_host": "10.0.0.1", "ansible_user": "u",
                       "ansible_psrp_protocol": "http", "ansible_psrp_auth": "basic"})
