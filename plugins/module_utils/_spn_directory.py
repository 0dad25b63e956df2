# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The directory side hyperv_spn and hyperv_spn_info share: which back end, how it is named, and how accounts and the
group are reported.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._ad_ldap import LdapDirectory
from ansible_collections.winvirt.hyperv.plugins.module_utils._ad_powershell import PowerShellDirectory
from ansible_collections.winvirt.hyperv.plugins.module_utils._env import env_fallback
from ansible_collections.winvirt.hyperv.plugins.module_utils._ldap_connection import ldap_argument_spec, resolve_ldap
from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_plan import Account, Group, wanted_spns


def directory_argument_spec() -> dict[str, t.Any]:
    """``hostname`` (optional: the ldap back end does not use WinRM), ``backend`` and the LDAP options."""
    spec: dict[str, t.Any] = {
        "hostname": {"type": "str", "required": False, "aliases": ["host"], "fallback": (env_fallback, ["HYPERV_HOST"])},
        "backend": {"type": "str", "choices": ["ldap", "powershell"], "default": "ldap"},
    }
    spec.update(ldap_argument_spec())
    return spec


def open_directory(module: t.Any) -> t.Any:
    """The back end chosen by the backend option (not yet connected)."""
    if module.params["backend"] == "powershell":
        return PowerShellDirectory(module.client(), module.params.get("ldap_server"), module.params.get("ldap_base_dn"))
    try:
        return LdapDirectory(resolve_ldap(module.params))
    except ValueError as exc:
        module.fail_json(msg=str(exc))
        raise  # unreachable: fail_json exits


def directory_server(module: t.Any, directory: t.Any) -> str:
    if isinstance(directory, LdapDirectory):
        return directory.options.url
    via = f" -Server {module.params['ldap_server']}" if module.params.get("ldap_server") else ""
    return f"ActiveDirectory cmdlets on {module.params['hostname']}{via}"


def account_results(service_classes: t.Iterable[str], accounts: t.Mapping[str, Account],
                    domain_dns_name: str) -> list[dict[str, t.Any]]:
    """Each host's account as the modules return it, with the SPNs of ``service_classes`` it does not hold."""
    classes = list(service_classes)
    results = []
    for host, account in accounts.items():
        result = account.to_result(host)
        held = {spn.lower() for spn in account.spns}
        result["missing_spns"] = [spn for spn in wanted_spns(account, classes, domain_dns_name) if spn.lower() not in held]
        results.append(result)
    return results


def group_result(group: Group | None) -> dict[str, t.Any] | None:
    if group is None:
        return None
    return {"name": group.name, "dn": group.dn, "members": sorted(group.members, key=str.lower)}
