#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_spn
short_description: Kerberos SPNs and constrained delegation on Hyper-V hosts' computer accounts
version_added: 0.1.0
description:
  - Registers (or removes) the service principal names Hyper-V needs on the computer accounts of one or more hosts,
    for the NetBIOS name and the FQDN of each host, and reports what is there (the C(setspn -L) equivalent).
    Without them a live migration fails with 0x80090303 "the specified target is unknown or unreachable".
  - Configures constrained delegation ("trust this computer for delegation to specified services only") in
    C(msDS-AllowedToDelegateTo), to C(cifs) on file servers holding VM files (SMB 3.0 storage) and to the migration
    service and C(cifs) on every other peer of a migration group. Without it a migration started from a third
    machine fails with 0x8009030E "no credentials are available" (the Kerberos double hop).
  - Optionally keeps the hosts' computer accounts in an Active Directory security group.
  - SPNs are unique in the forest. A wanted SPN that another account already holds fails the task, naming that
    account; nothing is changed then.
  - Works over LDAP with a domain controller (O(backend=ldap); three searches to read, one modify per changed
    account), or with the ActiveDirectory cmdlets over WinRM (O(backend=powershell); two round trips to read, one
    per changed account). Both give the same plan and the same result.
extends_documentation_fragment:
  - winvirt.hyperv.connection
  - winvirt.hyperv.ldap
options:
  hostname:
    description:
      - With O(backend=powershell), the Windows machine that runs the ActiveDirectory cmdlets over WinRM, a domain
        controller or a management host with RSAT-AD-PowerShell. Required then.
      - The V(ldap) back end does not use the WinRM connection options; they are accepted so that C(module_defaults)
        for the group C(group/winvirt.hyperv.hyperv) also reach this module.
      - If not set, the value of the E(HYPERV_HOST) environment variable is used.
    type: str
    required: false
    aliases: [host]
  backend:
    description:
      - How the directory is reached.
      - V(ldap) talks to a domain controller with LDAP over TLS, see the O(ldap_server) options.
      - V(powershell) runs the ActiveDirectory cmdlets (Get-ADComputer, Set-ADComputer, Set-ADObject, New-ADGroup,
        Add-ADGroupMember) on O(hostname) over WinRM, as the WinRM user. On a management host that is not a domain
        controller the cmdlets make a second hop to a DC, so connect with O(auth=credssp), or with O(auth=kerberos) and
        delegation to the DC's C(ldap) service; O(ldap_server) and O(ldap_base_dn) are passed as C(-Server) and
        C(-SearchBase).
    type: str
    choices: [ldap, powershell]
    default: ldap
  hosts:
    description:
      - The Hyper-V hosts whose computer accounts the task manages, by NetBIOS name or FQDN (V(hv1) or V(hv1.example.com)).
      - The account is found by its sAMAccountName (V(HV1$)). Its FQDN is its C(dNSHostName), or the name under the
        domain's DNS name when the account has none.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) adds the SPNs of O(service_classes), the delegation entries and the group membership.
      - V(absent) removes exactly those (and, when no delegation entry is left on an account, protocol transition).
        A host without a computer account (deleted) is skipped with a warning.
      - V(query) changes nothing and returns the accounts, their SPNs and delegation, and the group.
    type: str
    choices: [present, absent, query]
    default: present
  service_classes:
    description:
      - The service classes to register for each host's NetBIOS name and FQDN, giving SPNs such as
        V(Microsoft Virtual System Migration Service/HV1) and V(Microsoft Virtual System Migration Service/hv1.example.com).
      - The default is the Hyper-V set. Add V(cifs) only for a host that is itself reached over SMB and whose account
        does not already cover it through its V(HOST) SPNs.
      - An empty list leaves SPNs alone (for a task that manages only delegation or the group).
    type: list
    elements: str
    default:
      - Microsoft Virtual System Migration Service
      - Hyper-V Replica Service
      - Microsoft Virtual Console Service
  delegation:
    description:
      - Constrained delegation on each host's account (C(msDS-AllowedToDelegateTo)). Not touched when not given.
      - Every file server and peer must have a computer account in the domain; each entry is added for its NetBIOS
        name and its FQDN, as "Active Directory Users and Computers" does.
    type: dict
    suboptions:
      file_servers:
        description: File servers that hold VM files on SMB 3.0 shares; delegation to V(cifs/<server>).
        type: list
        elements: str
        default: []
      peers:
        description:
          - The hosts of a migration group; each host of O(hosts) may delegate to
            V(Microsoft Virtual System Migration Service/<peer>) and V(cifs/<peer>) of every other peer.
          - Usually the same list as O(hosts), so one task prepares the whole group.
        type: list
        elements: str
        default: []
      services:
        description: Further entries as full SPNs, such as V(HTTP/web1.example.com), added as given.
        type: list
        elements: str
        default: []
      protocol:
        description:
          - V(kerberos) is "use Kerberos only" (recommended; userAccountControl without TRUSTED_TO_AUTH_FOR_DELEGATION).
          - V(any) is "use any authentication protocol" (protocol transition, TRUSTED_TO_AUTH_FOR_DELEGATION 0x1000000).
          - With O(state=present) unconstrained delegation (TRUSTED_FOR_DELEGATION) is turned off, as choosing
            "specified services only" in the console does.
        type: str
        choices: [kerberos, any]
        default: kerberos
      exclusive:
        description: With O(state=present), also remove every delegation entry of the hosts that is not listed.
        type: bool
        default: false
  group:
    description:
      - An Active Directory security group that holds the hosts' computer accounts (for share and folder permissions
        of SMB storage). Created when missing with O(state=present); with O(state=absent) the hosts leave it and the
        group stays.
    type: dict
    suboptions:
      name:
        description: The group's sAMAccountName, for example V(Hyper-V Hosts).
        type: str
        required: true
      container:
        description: The DN to create the group in. Defaults to V(CN=Users) under the base DN.
        type: str
      scope:
        description: The group scope used when the group is created.
        type: str
        choices: [global, domain_local, universal]
        default: global
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the directory.
    support: full
  diff_mode:
    description: Returns each account's SPNs and delegation (and the group's members) before and after.
    support: full
notes:
  - Hyper-V registers its SPNs itself when the Virtual Machine Management service starts, if the computer account may
    write them (event 14050 "could not register SPN" in Microsoft-Windows-Hyper-V-VMMS/Admin when it cannot).
    This module registers them from the controller instead.
  - Kerberos caches tickets. After adding delegation, purge the tickets on the hosts (C(klist purge -li 0x3e7)) or
    wait for them to renew before retrying a migration.
  - See docs/kerberos.md in the collection for which SPN and delegation entry each migration and replica path needs.
seealso:
  - module: winvirt.hyperv.hyperv_host
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Prepare three hosts for shared-nothing and SMB live migration
  winvirt.hyperv.hyperv_spn:
    ldap_server: dc1.example.com
    ldap_username: admin@example.com
    ldap_password: "{{ domain_admin_password }}"
    hosts: [hv1, hv2, hv3]
    delegation:
      peers: [hv1, hv2, hv3]
      file_servers: [fs1]
    group:
      name: Hyper-V Hosts
  delegate_to: localhost

- name: Check what is registered (setspn -L), changing nothing
  winvirt.hyperv.hyperv_spn:
    ldap_server: dc1.example.com
    ldap_ca_path: /etc/pki/example-root-ca.pem
    ldap_username: admin@example.com
    ldap_password: "{{ domain_admin_password }}"
    hosts: [hv1]
    state: query
  delegate_to: localhost
  register: spn_state

- name: Allow exactly these delegation targets, with protocol transition, over StartTLS
  winvirt.hyperv.hyperv_spn:
    ldap_server: dc1.example.com
    ldap_encryption: starttls
    ldap_username: EXAMPLE\admin
    ldap_password: "{{ domain_admin_password }}"
    hosts: [hv1]
    service_classes: []
    delegation:
      file_servers: [fs1.example.com]
      protocol: any
      exclusive: true
  delegate_to: localhost

- name: The same through the ActiveDirectory cmdlets on a domain controller, over WinRM
  winvirt.hyperv.hyperv_spn:
    backend: powershell
    hostname: dc1.example.com
    username: EXAMPLE\admin
    password: "{{ domain_admin_password }}"
    auth: kerberos
    hosts: [hv1, hv2]
    delegation:
      peers: [hv1, hv2]
  delegate_to: localhost

- name: Remove the Hyper-V SPNs of a decommissioned host
  winvirt.hyperv.hyperv_spn:
    ldap_server: dc1.example.com
    ldap_username: admin@example.com
    ldap_password: "{{ domain_admin_password }}"
    hosts: [hv9]
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
accounts:
  description: Each host's computer account after the task (as it would be, in check mode).
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
        - RestrictedKrbHost/HV1
        - RestrictedKrbHost/hv1.lab.test
        - WSMAN/HV1
        - WSMAN/hv1.lab.test
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
group:
  description: The group (name, dn, members) after the task; null when O(group) is not given.
  returned: always
  type: dict
  sample:
    name: Hyper-V Hosts
    dn: CN=Hyper-V Hosts,CN=Users,DC=lab,DC=test
    members:
    - CN=HV1,CN=Computers,DC=lab,DC=test
    - CN=HV2,CN=Computers,DC=lab,DC=test
changes:
  description: What was (or in check mode would be) changed, in words.
  returned: always
  type: list
  elements: str
  sample: ["hv1: add SPN 'Microsoft Virtual System Migration Service/HV1'", "hv1: allow delegation to 'cifs/hv2.lab.test'"]
directory:
  description: The directory the task worked on.
  returned: always
  type: dict
  contains:
    server:
      description: The domain controller, as a URL.
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
    PROTOCOLS,
    STATES,
    Account,
    DelegationSpec,
    GroupSpec,
    SpnPlan,
    SpnSpec,
    plan_spns,
    spns_to_check,
    validate_spec,
)


def argument_spec() -> dict[str, t.Any]:
    spec: dict[str, t.Any] = directory_argument_spec()
    spec.update({
        "hosts": {"type": "list", "elements": "str", "required": True},
        "state": {"type": "str", "choices": list(STATES), "default": "present"},
        "service_classes": {"type": "list", "elements": "str", "default": list(DEFAULT_SERVICE_CLASSES)},
        "delegation": {
            "type": "dict",
            "options": {
                "file_servers": {"type": "list", "elements": "str", "default": []},
                "peers": {"type": "list", "elements": "str", "default": []},
                "services": {"type": "list", "elements": "str", "default": []},
                "protocol": {"type": "str", "choices": list(PROTOCOLS), "default": "kerberos"},
                "exclusive": {"type": "bool", "default": False},
            },
        },
        "group": {
            "type": "dict",
            "options": {
                "name": {"type": "str", "required": True},
                "container": {"type": "str"},
                "scope": {"type": "str", "choices": ["global", "domain_local", "universal"], "default": "global"},
            },
        },
    })
    return spec


def spec_from_params(params: t.Mapping[str, t.Any]) -> SpnSpec:
    delegation = params.get("delegation")
    group = params.get("group")
    return SpnSpec(
        hosts=tuple(dict.fromkeys(params["hosts"])),
        state=params["state"],
        service_classes=tuple(params["service_classes"]),
        delegation=DelegationSpec(
            file_servers=tuple(delegation["file_servers"]),
            peers=tuple(delegation["peers"]),
            services=tuple(delegation["services"]),
            protocol=delegation["protocol"],
            exclusive=delegation["exclusive"],
        ) if delegation else None,
        group=GroupSpec(group["name"], group.get("container"), group["scope"]) if group else None,
    )


def diff_view(accounts: t.Mapping[str, Account], group: dict[str, t.Any] | None) -> dict[str, t.Any]:
    view: dict[str, t.Any] = {
        host: {
            "spns": sorted(account.spns, key=str.lower),
            "allowed_to_delegate_to": sorted(account.delegate_to, key=str.lower),
            "user_account_control": account.user_account_control,
        }
        for host, account in accounts.items()
    }
    if group is not None:
        view["group"] = group
    return view


def read_and_plan(directory: t.Any, spec: SpnSpec) -> SpnPlan:
    """Read what the plan needs through either back end (same interface), then plan."""
    accounts = directory.read_computers(spec.names_to_read(), spec.group.name if spec.group else None)
    holders = directory.spn_holders(spns_to_check(spec, accounts, directory.domain_dns_name))
    group = directory.read_group(spec.group.name) if spec.group else None
    group_dn = directory.group_dn(spec.group.name, spec.group.container) if spec.group else None
    return plan_spns(spec, accounts, holders, directory.domain_dns_name, group, group_dn, where=directory.where)


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True, required_if=[("backend", "powershell", ["hostname"])])
    spec = spec_from_params(module.params)
    problems = validate_spec(spec)
    if problems:
        module.fail_json(msg="; ".join(problems))
    directory = open_directory(module)
    result: dict[str, t.Any] = {"changed": False, "changes": [], "accounts": [], "group": None,
                                "directory": {"server": directory_server(module, directory), "base_dn": directory.base_dn}}
    try:
        directory.open()
        plan = read_and_plan(directory, spec)
        result["directory"]["base_dn"] = directory.base_dn
        if plan.errors:
            module.fail_json(msg=" ".join(plan.errors), **result)
        for host in plan.missing_hosts:
            module.warn(f"{host}: no computer account in {directory.where}, so it holds nothing to remove")
        after = plan.after()
        result.update(changed=plan.changed, changes=plan.descriptions(),
                      accounts=account_results(spec.service_classes, after, directory.domain_dns_name), group=plan.group_after())
        if module._diff:
            result["diff"] = {"before": diff_view(plan.accounts, _group_view(plan)), "after": diff_view(after, result["group"])}
        if not plan.changed or module.check_mode:
            module.exit_json(**result)
        applied: list[str] = []
        try:
            for change in plan.changes:
                directory.apply_account(change)
                applied += change.descriptions()
            if plan.group_change:
                directory.apply_group(plan.group_change)
        except HyperVError as err:
            result["changes"] = applied
            result["changed"] = bool(applied)
            module.fail_hyperv(err, **result)
        final = read_and_plan(directory, SpnSpec(tuple(plan.accounts), "query", spec.service_classes, None, spec.group))
        result["accounts"] = account_results(spec.service_classes, final.accounts, directory.domain_dns_name)
        if spec.group:
            result["group"] = _group_view(final)
    except HyperVError as err:
        module.fail_hyperv(err, **result)
    finally:
        directory.close()
    module.exit_json(**result)


def _group_view(plan: SpnPlan) -> dict[str, t.Any] | None:
    if plan.group is not None:
        return group_result(plan.group)
    return {} if plan.group_change else None


if __name__ == "__main__":
    main()
