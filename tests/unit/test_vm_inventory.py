"""The hyperv_vms inventory plugin's logic without a host: its connection options against the modules', how hosts are
resolved, host variables, and how reads become the inventory (groups, duplicates, failed hosts, strict, filters)."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import typing as t

import pytest
import yaml
from packaging.version import Version

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible.release import __version__ as ansible_version
from ansible.template import Templar

try:  # ansible-core 2.19: expressions from an inventory file arrive trusted as templates; set directly, mark them so
    from ansible.template import trust_as_template
except ImportError:  # earlier versions template every string
    def trust_as_template(value: str) -> str:
        return value

from ansible_collections.winvirt.hyperv.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import connection_argument_spec
from ansible_collections.winvirt.hyperv.plugins.plugin_utils._vm_inventory import (
    SHARED_OPTIONS,
    InventoryConfigError,
    host_vars,
    shared_parameters,
    targets,
)

COLLECTIONS = pathlib.Path(__file__).resolve().parents[2] / "build" / "collections"
ENV = ("HYPERV_PORT", "HYPERV_USER", "HYPERV_PASSWORD", "HYPERV_AUTH", "HYPERV_SSL", "HYPERV_CERT_VALIDATION",
       "HYPERV_CA_TRUST_PATH", "HYPERV_CERTIFICATE_PEM", "HYPERV_CERTIFICATE_KEY_PEM", "HYPERV_CONNECTION_TIMEOUT",
       "HYPERV_OPERATION_TIMEOUT", "HYPERV_READ_TIMEOUT", "HYPERV_PROXY", "HYPERV_COMMAND_TIMEOUT")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_the_inventory_fragment_documents_the_modules_connection_options() -> None:
    documented = yaml.safe_load(ModuleDocFragment.INVENTORY)["options"]
    module_docs = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    spec = connection_argument_spec()
    assert set(documented) == set(SHARED_OPTIONS) == set(spec) - {"hostname"}
    for name, option in documented.items():
        assert option["type"] == spec[name]["type"] == module_docs[name]["type"], name
        assert option.get("choices") == spec[name].get("choices"), name
        assert option.get("aliases", []) == spec[name].get("aliases", []), name
        assert "default" not in option, f"{name}: the environment variable must be able to apply"
        text = " ".join(option["description"])
        variable = spec[name]["fallback"][1][0]
        assert f"E({variable})" in text, name
        default = spec[name].get("default")
        if default is not None:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
            assert re.search(rf"else V\({re.escape(shown)}\)", text), f"{name}: the description states the default {shown}"


def test_parameters_take_the_setting_then_the_environment_then_the_default(monkeypatch) -> None:
    monkeypatch.setenv("HYPERV_USER", "LAB\\ops")
    monkeypatch.setenv("HYPERV_AUTH", "")  # an AWX field left empty: unset
    monkeypatch.setenv("HYPERV_CERT_VALIDATION", " ")
    monkeypatch.setenv("HYPERV_SSL", "yes")
    monkeypatch.setenv("HYPERV_OPERATION_TIMEOUT", "15")
    parameters = shared_parameters({"password": "secret", "read_timeout": 40})
    assert parameters["username"] == "LAB\\ops" and parameters["auth"] == "negotiate"
    assert parameters["cert_validation"] is True and parameters["ssl"] is True
    assert parameters["operation_timeout"] == 15 and parameters["read_timeout"] == 40
    assert shared_parameters({"username": "LAB\\me", "ssl": False})["username"] == "LAB\\me"
    assert shared_parameters({"ssl": False})["ssl"] is False


def test_a_bad_environment_value_is_named(monkeypatch) -> None:
    monkeypatch.setenv("HYPERV_PORT", "fivenine")
    with pytest.raises(InventoryConfigError, match="port must be a whole number"):
        shared_parameters({})
    monkeypatch.delenv("HYPERV_PORT")
    monkeypatch.setenv("HYPERV_SSL", "maybe")
    with pytest.raises(InventoryConfigError, match="ssl must be true or false"):
        shared_parameters({})


def test_hosts_from_names_and_dicts_with_their_own_options() -> None:
    parameters = shared_parameters({"username": "LAB\\ops", "password": "pw"})
    found = targets(["hv1.lab.test", {"hostname": "hv2.lab.test", "ssl": True, "username": "LAB\\other"},
                     "HV1.lab.test"], parameters)
    assert [(f.address, f.options.port, f.options.ssl, f.options.username) for f in found] == [
        ("hv1.lab.test", 5985, False, "LAB\\ops"), ("hv2.lab.test", 5986, True, "LAB\\other")]
    assert found[1].options.password == "pw"


@pytest.mark.parametrize("entry, message", [
    ({"hostname": "hv1", "passwd": "x"}, "hyperv_hosts entry hv1: unknown keys passwd"),
    ({"port": 5985}, "a dict with hostname"),
    (17, "a dict with hostname"),
    ({"hostname": "hv1", "auth": "basic"}, "Invalid connection options for hv1: auth=basic"),
])
def test_bad_host_entries_say_which_and_why(entry: t.Any, message: str) -> None:
    with pytest.raises(InventoryConfigError, match=re.escape(message)):
        targets([entry], shared_parameters({"username": "u", "password": "p"}))


VM = {"name": "web1", "id": "a1", "state": "Running", "generation": 2, "host": "HV1", "notes": "",
      "network_adapters": [{"name": "A", "ip_addresses": ["10.0.0.5", "fe80::1"]}, {"name": "B", "ip_addresses": []},
                           {"name": "C", "ip_addresses": ["10.1.0.5"]}]}


def test_host_vars_are_prefixed_with_every_guest_address() -> None:
    variables = host_vars(VM, "hv1.lab.test")
    assert variables["hyperv_name"] == "web1" and variables["hyperv_host"] == "HV1"
    assert variables["hyperv_ip_addresses"] == ["10.0.0.5", "fe80::1", "10.1.0.5"]
    assert variables["hyperv_host_address"] == "hv1.lab.test"
    assert all(key.startswith("hyperv_") for key in variables)


# Before ansible-core 2.19 the plugin loader cannot load this collection's plugins in a process that already imported
# the collection from sys.path (as these tests do): it finds no collection metadata. There the tests below that need
# the loaded plugin are skipped, and test_the_plugin_runs_in_ansible_inventory runs the real ansible-inventory instead.
LOADER_WORKS = Version(ansible_version) >= Version("2.19")
needs_loader = pytest.mark.skipif(not LOADER_WORKS, reason="ansible-core < 2.19 cannot load the plugin in this process")


def _loaded() -> t.Any:
    return inventory_loader.get("winvirt.hyperv.hyperv_vms")


def _plugin(**options: t.Any) -> t.Any:
    plugin = _loaded()
    loader = DataLoader()
    plugin.inventory = InventoryData()
    plugin.loader = loader
    plugin.templar = Templar(loader=loader)
    for key in ("hostnames", "filters"):
        if key in options:
            options[key] = [trust_as_template(expression) for expression in options[key]]
    for keyed in options.get("keyed_groups", []):
        keyed["key"] = trust_as_template(keyed["key"])
    plugin.set_options(direct={"plugin": "winvirt.hyperv.hyperv_vms", **options})
    return plugin


def _vm(name: str, vm_id: str, state: str = "Running", host: str = "HV1") -> dict[str, t.Any]:
    return {**VM, "name": name, "id": vm_id, "state": state, "host": host}


READS = [{"address": "hv1", "error": None, "vms": [_vm("web1", "a1"), _vm("app1", "a2", "Off")]},
         {"address": "hv2", "error": None, "vms": [_vm("web1", "b1", host="HV2")]},
         {"address": "hv9", "error": "hv9: cannot reach WinRM at http://hv9:5985/wsman Hint: ...", "vms": []}]


@needs_loader
def test_reads_become_hosts_and_groups_and_problems_are_warned(monkeypatch) -> None:
    plugin = _plugin()
    warnings: list[str] = []
    monkeypatch.setattr(plugin.display, "warning", warnings.append)
    plugin._populate(READS)  # pylint: disable=protected-access
    inventory = plugin.inventory
    assert set(inventory.hosts) == {"web1", "app1"}
    assert inventory.get_host("web1").vars["hyperv_id"] == "a1", "the first VM of a name keeps it"
    assert {h.name for h in inventory.groups["hyperv_host_hv1"].get_hosts()} == {"web1", "app1"}
    assert {h.name for h in inventory.groups["hyperv_state_off"].get_hosts()} == {"app1"}
    assert {h.name for h in inventory.groups["hyperv_vms"].get_hosts()} == {"web1", "app1"}
    assert "hyperv_host_hv2" not in inventory.groups, "no group for a host whose only VM was left out"
    assert any("could not read the VMs of hv9" in w and "Hint:" in w for w in warnings)
    assert any("VM web1 (Id b1) on HV2 gets the inventory name 'web1'" in w for w in warnings)


@needs_loader
def test_strict_fails_on_a_failed_host_and_on_a_duplicate_name() -> None:
    with pytest.raises(AnsibleError, match="could not read the VMs of hv9"):
        _plugin(strict=True)._populate(READS)  # pylint: disable=protected-access
    with pytest.raises(AnsibleError, match="gets the inventory name 'web1'"):
        _plugin(strict=True)._populate(READS[:2])  # pylint: disable=protected-access


@needs_loader
def test_hostnames_and_filters_and_keyed_groups() -> None:
    plugin = _plugin(hostnames=["hyperv_name ~ '_' ~ hyperv_host | lower"], filters=["hyperv_state == 'Running'"],
                     keyed_groups=[{"key": "hyperv_generation | string", "prefix": "gen"}])
    plugin._populate(READS[:2])  # pylint: disable=protected-access
    assert set(plugin.inventory.hosts) == {"web1_hv1", "web1_hv2"}
    assert {h.name for h in plugin.inventory.groups["gen_2"].get_hosts()} == {"web1_hv1", "web1_hv2"}


@needs_loader
def test_a_filter_that_fails_leaves_the_vm_out_or_fails_when_strict() -> None:
    plugin = _plugin(filters=["hyperv_no_such_var == 1"])
    plugin._populate(READS[:1])  # pylint: disable=protected-access
    assert not plugin.inventory.hosts
    with pytest.raises(AnsibleError, match="filter 'hyperv_no_such_var == 1' failed for VM web1"):
        _plugin(filters=["hyperv_no_such_var == 1"], strict=True)._populate(READS[:1])  # pylint: disable=protected-access


@needs_loader
@pytest.mark.parametrize("name, accepted", [("lab.hyperv_vms.yml", True), ("hyperv_vms.yaml", True),
                                            ("lab.hyperv.yml", False), ("hyperv_vms.yml.bak", False)])
def test_config_file_names(tmp_path, name: str, accepted: bool) -> None:
    path = tmp_path / name
    path.write_text("plugin: winvirt.hyperv.hyperv_vms\n")
    assert _loaded().verify_file(str(path)) is accepted


def test_the_plugin_runs_in_ansible_inventory(tmp_path) -> None:
    """The ansible-inventory of this Python's ansible-core loads the plugin from the built collection and reports a
    host where nothing listens (a loopback address, connection refused) without losing the source."""
    source = tmp_path / "unit.hyperv_vms.yml"
    source.write_text(yaml.safe_dump({"plugin": "winvirt.hyperv.hyperv_vms", "hyperv_hosts": ["127.0.0.254"],
                                      "username": "u", "password": "Unit-Pass-31", "connection_timeout": 2}))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
           "ANSIBLE_LOCAL_TEMP": str(tmp_path), "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--list"],
                         capture_output=True, text=True, env=env, timeout=300, check=False)
    text = " ".join(run.stderr.split())
    assert run.returncode == 0 and "could not read the VMs of 127.0.0.254" in text and "Hint:" in text, run.stderr
    assert json.loads(run.stdout)["_meta"]["hostvars"] == {} and "Unit-Pass-31" not in run.stdout + run.stderr
