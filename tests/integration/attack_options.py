"""Every string option of every module, read from the modules' own argument specs, and the ones the attack suite
leaves out on purpose (each with its reason).

A string option is one of type str, path or raw, or a list whose elements are str or path, at any depth of
suboptions; options with ``choices`` are left out (the argument spec refuses any other value before the module runs).
"""

from __future__ import annotations

import importlib
import pathlib
import typing as t
from unittest import mock

from ansible.module_utils.basic import AnsibleModule

import ansible_collections.winvirt.hyperv.plugins.modules as modules_package

STRING_TYPES = ("str", "path", "raw")

_CONNECTION = "connection option (the winvirt.hyperv.connection fragment): read on the controller to reach the host, never a cmdlet parameter"
_LDAP = "directory connection option: ldap3 uses it on the controller to reach the domain controller, never a cmdlet parameter"
_SECRET = "no_log secret: covered by test_no_secret_in_verbose_output (Ansible masks no_log values the same way for each)"
_LOCAL_FILE = "a file on the controller (CA bundle) opened by Python, never sent to a host"

# (module or "*", option path) -> why no hostile value is sent through it
EXEMPT: dict[tuple[str, str], str] = {
    **{("*", name): _CONNECTION for name in ("hostname", "username", "ca_trust_path", "certificate_pem",
                                             "certificate_key_pem")},
    ("*", "password"): _SECRET,
    ("*", "proxy"): _SECRET + "; a proxy URL parsed by requests on the controller",
    **{("*", f"destination.{name}"): _CONNECTION
       for name in ("hostname", "username", "ca_trust_path", "certificate_pem", "certificate_key_pem")},
    ("*", "destination.password"): _SECRET,
    ("*", "destination.proxy"): _SECRET + "; a proxy URL parsed by requests on the controller",
    **{(module, name): _LDAP for module in ("hyperv_live_migration", "hyperv_spn", "hyperv_spn_info")
       for name in ("ldap_server", "ldap_tls_server_name", "ldap_username", "ldap_base_dn")},
    **{(module, "ldap_password"): _SECRET for module in ("hyperv_live_migration", "hyperv_spn", "hyperv_spn_info")},
    **{(module, "ldap_ca_path"): _LOCAL_FILE for module in ("hyperv_live_migration", "hyperv_spn", "hyperv_spn_info")},
    ("hyperv_connector", "appliance.password"): _SECRET,
    ("hyperv_connector", "appliance.ca_path"): _LOCAL_FILE,
    ("hyperv_connector", "appliance.address"):
        "the appliance's host name: the controller connects to it over HTTPS (a URL authority), it is never a cmdlet "
        "parameter or native argument",
    ("hyperv_vhd", "size"): "validated before use: parse_size accepts only a number with a unit (tests/unit/test_vhd*)",
    ("hyperv_vm", "disks.size"): "validated before use: parse_size accepts only a number with a unit",
    ("hyperv_vm", "configuration_version"): "validated before use: only a version such as 12.0 (test_bad_input)",
    ("hyperv_vm", "network_adapters.mac_address"): "validated before use: 12 hex digits or 'dynamic'",
    ("hyperv_replica", "certificate_thumbprint"): "validated before use: 40 hex digits (thumbprint_problem, test_bad_input)",
    ("hyperv_replica_server", "certificate_thumbprint"): "validated before use: 40 hex digits (thumbprint_problem)",
}


def module_names() -> list[str]:
    folder = pathlib.Path(next(iter(modules_package.__path__)))
    return sorted(path.stem for path in folder.glob("hyperv_*.py"))


class _Spec(Exception):
    pass


def argument_spec(module: str) -> dict[str, t.Any]:
    """The module's whole argument spec (connection options included), as its main() gives it to AnsibleModule."""
    def capture(_self: t.Any, argument_spec: dict[str, t.Any], **_kwargs: t.Any) -> None:
        raise _Spec(argument_spec)

    code = importlib.import_module(f"ansible_collections.winvirt.hyperv.plugins.modules.{module}")
    with mock.patch.object(AnsibleModule, "__init__", capture):
        try:
            code.main()
        except _Spec as spec:
            return t.cast(dict[str, t.Any], spec.args[0])
    raise AssertionError(f"{module}.main() made no AnsibleModule")


def string_options(spec: dict[str, t.Any], prefix: str = "") -> list[str]:
    found: list[str] = []
    for name, option in spec.items():
        kind = option.get("type", "str")
        elements = option.get("elements", "str")
        if "choices" not in option and (kind in STRING_TYPES or (kind == "list" and elements in STRING_TYPES)):
            found.append(prefix + name)
        if option.get("options"):
            found.extend(string_options(option["options"], f"{prefix}{name}."))
    return found


def exemption(module: str, option: str) -> str | None:
    return EXEMPT.get((module, option)) or EXEMPT.get(("*", option))
