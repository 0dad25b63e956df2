#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_spn_info
short_description: Report the SPNs, constrained delegation and group membership of Hyper-V hosts' computer accounts
version_added: 0.1.0
description:
  - Reports, for each host, its computer account's service principal names (the C(setspn -L) equivalent), which of
    the Hyper-V SPNs it lacks, its constrained delegation entries and protocol, and optionally an Active Directory
    group with its members. Changes nothing.
  - A host without a computer account is listed in RV(missing_hosts), not a failure.
  - Reads the same way as M(winvirt.hyperv.hyperv_spn) (whose O(winvirt.hyperv.hyperv_spn#module:state=query) gives
    the same accounts but fails on a host without an account); over LDAP with a domain controller (O(backend=ldap),
    one search for all accounts and one for the group), or with the ActiveDirectory cmdlets over WinRM
    (O(backend=powershell)).
extends_documentation_fragment:
  - winvirt.hyperv.connection
  - winvirt.hyperv.ldap
options:
  hostname:
    description:
      - With O(backend=powershell), the Windows machine that runs the ActiveDirectory cmdlets over WinRM. Required then.
      - The V(ldap) back end does not use the WinRM connection options; they are accepted so that C(module_defaults)
        for the group C(group/winvirt.hyperv.hyperv) also reach this module.
      - If not set, the value of the E(HYPERV_HOST) environment variable is used.
    type: str
    required: false
    aliases: [host]
  backend:
    description:
      - How the directory is reached; see the option of the same name of M(winvirt.hyperv.hyperv_spn).
    type: str
    choices: [ldap, powershell]
    default: ldap
  hosts:
    description:
      - The hosts whose computer accounts to report, by NetBIOS name or FQDN (V(hv1) or V(hv1.example.com)); the
        account is found by its exact sAMAccountName (V(HV1$)), never by a pattern.
    type: list
    elements: str
    required: true
  service_classes:
    description:
      - The service classes whose SPNs (for each host's NetBIOS name and FQDN) RV(accounts[].missing_spns) checks.
    type: list
    elements: str
    default:
      - Microsoft Virtual System Migration Service
      - Hyper-V Replica Service
      - Microsoft Virtual Console Service
  group:
    description:
      - The sAMAccountName of an Active Directory group to report with its members (for example V(Hyper-V Hosts)).
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_spn
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: What the hosts' accounts hold, over LDAPS
  winvirt.hyperv.hyperv_spn_info:
    ldap_server: dc1.example.com
    ldap_ca_path: /etc/pki/example-root-ca.pem
    ldap_username: admin@example.com
    ldap_password: "{{ domain_admin_password }}"
    hosts: [hv1, hv2, hv3]
    group: Hyper-V Hosts
  delegate_to: localhost
  register: spn_info

- name: Fail when a host lacks a Hyper-V SPN
  ansible.builtin.assert:
    that: spn_info.accounts | map(attribute='missing_spns') | flatten | length == 0
    fail_msg: "{{ spn_info.accounts | selectattr('missing_spns') | map(attribute='host') | list }} lack SPNs"
"""

RETURN = r"""
accounts:
  description: Each host's computer account, in the order of O(hosts); hosts without one are in RV(missing_hosts).
  returned: always
  type: list
  elements: dict
  contains:
    host:
      description: The host as given in O(hosts).
      type: str
      sample: hv1
    dn:
      description: The account's distinguished name.
      type: str
      sample: CN=HV1,CN=Computers,DC=lab,DC=test
    sam_account_name:
      description: The account's sAMAccountName.
      type: str
      sample: HV1$
    dns_host_name:
      description: The account's dNSHostName, null when it has none.
      type: str
      sample: hv1.lab.test
    spns:
      description: Every SPN on the account.
      type: list
      elements: str
      sample:
        - HOST/HV1
        - HOST/hv1.lab.test
        - Hyper-V Replica Service/HV1
        - Hyper-V Replica Service/hv1.lab.test
        - Microsoft Virtual Console Service/HV1
        - Microsoft Virtual Console Service/hv1.lab.test
        - Microsoft Virtual System Migration Service/HV1
        - Microsoft Virtual System Migration Service/hv1.lab.test
    missing_spns:
      description: SPNs of O(service_classes) for this host that the account does not hold.
      type: list
      elements: str
      sample: []
    allowed_to_delegate_to:
      description: The account's msDS-AllowedToDelegateTo entries.
      type: list
      elements: str
      sample:
        - cifs/HV2
        - cifs/hv2.lab.test
        - Microsoft Virtual System Migration Service/HV2
        - Microsoft Virtual System Migration Service/hv2.lab.test
    delegation_protocol:
      description: V(kerberos), V(any) (protocol transition) or V(none) (no constrained delegation).
      type: str
      sample: kerberos
    unconstrained_delegation:
      description: Whether the account is trusted for unconstrained delegation.
      type: bool
      sample: false
    user_account_control:
      description: The userAccountControl value.
      type: int
      sample: 4096
missing_hosts:
  description: Hosts of O(hosts) without a computer account in the directory.
  returned: always
  type: list
  elements: str
  sample: [hv9]
group:
  description: The group (name, dn, members); null when O(group) is not given or the group does not exist.
  returned: always
  type: dict
  sample:
    name: Hyper-V Hosts
    dn: CN=Hyper-V Hosts,CN=Users,DC=lab,DC=test
    members:
      - CN=HV1,CN=Computers,DC=lab,DC=test
      - CN=HV2,CN=Computers,DC=lab,DC=test
directory:
  description: The directory the task read.
  returned: always
  type: dict
  contains:
    server:
      description: The domain controller, as a URL (or the ActiveDirectory cmdlets' host).
      type: str
      sample: ldaps://dc1.lab.test:636
    base_dn:
      description: The base DN searched.
      type: str
      sample: DC=lab,DC=test
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_directory import (
    account_results,
    directory_argument_spec,
    directory_server,
    group_result,
    open_directory,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_plan import (
    DEFAULT_SERVICE_CLASSES,
    SpnSpec,
    account_key,
    validate_spec,
)


def argument_spec() -> dict[str, t.Any]:
    spec = directory_argument_spec()
    spec.update({
        "hosts": {"type": "list", "elements": "str", "required": True},
        "service_classes": {"type": "list", "elements": "str", "default": list(DEFAULT_SERVICE_CLASSES)},
        "group": {"type": "str"},
    })
    return spec


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True, required_if=[("backend", "powershell", ["hostname"])])
    hosts = tuple(dict.fromkeys(module.params["hosts"]))
    classes = tuple(module.params["service_classes"])
    problems = validate_spec(SpnSpec(hosts, "query", classes))
    if problems:
        module.fail_json(msg="hyperv_spn_info: " + "; ".join(problems))
    directory = open_directory(module)
    group_name = module.params["group"]
    result: dict[str, t.Any] = {"changed": False, "accounts": [], "missing_hosts": [], "group": None,
                                "directory": {"server": directory_server(module, directory), "base_dn": directory.base_dn}}
    try:
        directory.open()
        found = directory.read_computers(tuple(dict.fromkeys(account_key(h) for h in hosts)), group_name)
        group = directory.read_group(group_name) if group_name else None
        result["directory"]["base_dn"] = directory.base_dn
    except HyperVError as err:
        module.fail_hyperv(err, **result)
    finally:
        directory.close()
    accounts = {host: found[account_key(host)] for host in hosts if found.get(account_key(host)) is not None}
    result.update(accounts=account_results(classes, accounts, directory.domain_dns_name),
                  missing_hosts=[host for host in hosts if host not in accounts], group=group_result(group))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
