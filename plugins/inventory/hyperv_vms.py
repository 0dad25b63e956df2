# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: hyperv_vms
short_description: Virtual machines of Hyper-V hosts as inventory
version_added: 0.1.0
description:
  - Reads the virtual machines of a list of Hyper-V hosts (or of a group of the inventory) over WinRM and adds each VM
    as a host, with its state, generation, memory, processors, network adapters (switch, VLAN, the IP addresses the
    guest reports), disks, replication role and health and its Hyper-V host as host variables prefixed with
    V(hyperv_).
  - Each host is read in one PowerShell pipeline whatever the number of its VMs (the read of
    M(winvirt.hyperv.hyperv_vm_info)); several hosts are read at once.
  - Every VM is in the group V(hyperv_vms), in V(hyperv_host_<host>) for its Hyper-V host and in
    V(hyperv_state_<state>) for its power state (names in lower case, characters Ansible does not allow in a
    group name replaced by V(_)). O(keyed_groups), O(groups) and O(compose) add more.
  - A host that cannot be read is reported as a warning that says which host, what failed and what to do, and its
    VMs are missing from the inventory; the other hosts' VMs are still there. With O(strict=true) the inventory
    source fails instead.
  - The configuration file's name must end in V(hyperv_vms.yml) or V(hyperv_vms.yaml), for example
    C(lab.hyperv_vms.yml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - winvirt.hyperv.connection.inventory
options:
  plugin:
    description: The name of this plugin; it must be V(winvirt.hyperv.hyperv_vms) for the file to be read by it.
    type: str
    required: true
    choices: [winvirt.hyperv.hyperv_vms]
  hyperv_hosts:
    description:
      - The Hyper-V hosts to read, each a DNS name or address, or a dictionary with C(hostname) and, where this host
        differs from the others, C(port), C(username), C(password), C(auth), C(ssl), C(cert_validation) and
        C(ca_trust_path).
      - Entries may be Jinja2 templates over the extra variables (C(-e)), for example
        V({{ lookup('ansible.builtin.env', 'HV_PASSWORD'\) }}) as a password; so may the connection options
        below.
      - Either this or O(hyperv_host_group) (or both).
    type: list
    elements: raw
    default: []
  hyperv_host_group:
    description:
      - The name of an inventory group whose hosts are the Hyper-V hosts to read.
      - A host whose C(ansible_connection) is V(psrp) or V(winrm) is reached with its own connection variables, as
        the modules reach it in a play (C(ansible_host), C(ansible_user), C(ansible_password), C(ansible_port), the
        C(ansible_psrp_*) or C(ansible_winrm_*) authentication, protocol, certificate validation, CA, client
        certificate, timeouts and proxy), each templated with the host's variables; an option this source sets
        itself wins over the host's variable, as a task's arguments and C(module_defaults) win in a play. Hosts
        of one group may so have different users, passwords and ports.
      - Any other host is reached at its C(ansible_host) (else its inventory name) with this source's options.
      - A host whose connection variables cannot be used is reported like a host that cannot be read.
      - The group must come from an inventory source loaded before this one (list that source first with C(-i)).
    type: str
  use_vars_plugins:
    description:
      - Also read the hosts' variables from vars plugins (the C(host_vars/) and C(group_vars/) directories next to the
        inventory) for O(hyperv_host_group), as the C(ansible.builtin.constructed) inventory's option of this name
        does. Without it only the variables the earlier inventory sources set are seen.
    type: bool
    default: false
  hostnames:
    description:
      - How a VM is named in the inventory, as a list of Jinja2 expressions over its host variables; the first that
        gives a non-empty value is the name.
      - Not set, a VM is named by its VM name (V(hyperv_name)). Two VMs that get the same inventory name (VMs of one
        name on two hosts) are reported and only the first is kept (with O(strict=true) the source fails);
        V("hyperv_name ~ '_' ~ hyperv_host") or V(hyperv_id) keeps them apart.
    type: list
    elements: str
  filters:
    description:
      - Jinja2 conditionals over a VM's host variables; only the VMs for which every one is true are added.
      - For example V(hyperv_state == 'Running') or V("'web' in hyperv_notes").
      - A conditional that fails to evaluate leaves the VM out, or with O(strict=true) fails the source.
    type: list
    elements: str
    default: []
  workers:
    description: How many hosts are read at the same time.
    type: int
    default: 8
  strict:
    description:
      - Fail the inventory source when a host cannot be read, two VMs get the same inventory name, or a
        O(filters), O(compose), O(groups) or O(keyed_groups) expression fails; otherwise these are warnings (host
        failures) or skipped (expressions).
requirements:
  - pypsrp >= 0.9.1
seealso:
  - module: winvirt.hyperv.hyperv_vm_info
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
# lab.hyperv_vms.yml: the VMs of three hosts, grouped by VLAN, each reachable at the first address its guest reports
plugin: winvirt.hyperv.hyperv_vms
hyperv_hosts:
  - hv1.lab.test
  - hv2.lab.test
  - {hostname: hv3.lab.test, auth: kerberos}
username: Administrator@LAB.TEST
password: "{{ lookup('ansible.builtin.env', 'LAB_HV_PASSWORD') }}"  # or an encrypted string: !vault |
auth: negotiate
compose:
  ansible_host: hyperv_ip_addresses | first | default(omit)
keyed_groups:
  - key: hyperv_network_adapters | map(attribute='vlan.id') | select | list
    prefix: vlan
  - key: hyperv_generation | string
    prefix: generation
groups:
  replicated: hyperv_replication_mode != 'None'
filters:
  - hyperv_name is not match('^test-')

# hosts.hyperv_vms.yml: the hosts of the group hyperv_hosts of an inventory listed before it
# (ansible-inventory -i hosts.yml -i hosts.hyperv_vms.yml --graph), each reached with its own connection
# variables, those in group_vars/ and host_vars/ too; cached for an hour. hosts.yml:
#   hyperv_hosts:
#     vars: {ansible_connection: psrp, ansible_psrp_ca_cert: /etc/pki/lab-ca.pem}
#     hosts:
#       hv1: {ansible_host: hv1.lab.test, ansible_user: Administrator@LAB.TEST}   # password in group_vars (vault)
#       hv9: {ansible_host: 192.0.2.9, ansible_port: 5985, ansible_psrp_protocol: http, ansible_psrp_auth: ntlm,
#             ansible_user: hvadmin, ansible_password: "{{ branch_hv_password }}"}
plugin: winvirt.hyperv.hyperv_vms
hyperv_host_group: hyperv_hosts
use_vars_plugins: true
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/hyperv_vms
cache_timeout: 3600
"""

import typing as t

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.helpers import get_group_vars
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.vars import combine_vars
from ansible.vars.plugins import get_vars_from_inventory_sources

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import PYPSRP_IMPORT_ERROR
from ansible_collections.winvirt.hyperv.plugins.plugin_utils._vm_inventory import (
    SHARED_OPTIONS,
    VAR_PREFIX,
    HostRead,
    InventoryConfigError,
    Target,
    group_target,
    host_vars,
    read_hosts,
    shared_parameters,
    targets,
    unique,
)

ALL_GROUP = "hyperv_vms"
CONFIG_SUFFIXES = ("hyperv_vms.yml", "hyperv_vms.yaml")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "winvirt.hyperv.hyperv_vms"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(CONFIG_SUFFIXES)

    def parse(self, inventory: t.Any, loader: t.Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        if PYPSRP_IMPORT_ERROR:
            raise AnsibleError("winvirt.hyperv.hyperv_vms needs the Python library pypsrp on the controller: "
                               "pip install -r requirements.txt of the winvirt.hyperv collection")
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        reads: list[dict[str, t.Any]] | None = None
        if use_cache:
            try:
                reads = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if reads is None:
            reads = self._read()
            # a read with a failed host is not kept: the next run tries that host again
            if update_cache and not any(read["error"] for read in reads):
                self._cache[cache_key] = reads
        self._populate(reads)

    # -- reading -----------------------------------------------------------------------------
    def _read(self) -> list[dict[str, t.Any]]:
        try:
            configured = {name: self._option(name) for name in SHARED_OPTIONS}
            hosts = targets(self._templated(self.get_option("hyperv_hosts"), "hyperv_hosts"),
                            shared_parameters(configured))
            group_hosts, unusable = self._group_targets(configured)
        except InventoryConfigError as exc:
            raise AnsibleParserError(f"winvirt.hyperv.hyperv_vms: {exc}") from None
        hosts = unique([*hosts, *group_hosts])
        if not hosts and not unusable:
            raise AnsibleParserError("winvirt.hyperv.hyperv_vms: no Hyper-V hosts to read: set hyperv_hosts or "
                                     "hyperv_host_group (a group with hosts)")
        return [{"address": read.address, "vms": read.vms, "error": read.error}
                for read in [*read_hosts(hosts, self.get_option("workers")), *unusable]]

    def _option(self, name: str) -> t.Any:
        value = self._templated(self.get_option(name), name)
        return None if isinstance(value, str) and not value.strip() else value

    def _templated(self, value: t.Any, what: str, variables: t.Mapping[str, t.Any] | None = None) -> t.Any:
        """``value`` with its templates rendered over ``variables`` (the extra variables when not given), so a
        setting may come from a lookup (env, a password store) or ``-e``."""
        if value is None:
            return None
        self.templar.available_variables = self._vars if variables is None else variables
        try:
            return self.templar.template(value)
        except AnsibleError as exc:
            raise InventoryConfigError(f"{what} cannot be templated: {exc}") from None

    def _group_targets(self, configured: dict[str, t.Any]) -> tuple[list[Target], list[HostRead]]:
        """The hosts of hyperv_host_group, each with its own connection variables; a host whose variables cannot
        work is a failed read (a warning, or with strict the source fails), not the end of the source."""
        name = self.get_option("hyperv_host_group")
        if not name:
            return [], []
        group = self.inventory.groups.get(name)
        if group is None:
            raise InventoryConfigError(f"hyperv_host_group {name!r} is not a group of the inventory: list the inventory "
                                       "source that defines it before this one (-i hosts.yml -i this.hyperv_vms.yml)")
        found: list[Target] = []
        unusable: list[HostRead] = []
        for host in group.get_hosts():
            variables = self._host_variables(host)
            self.templar.available_variables = variables
            try:
                found.append(group_target(host.name, variables, configured, self.templar))
            except (InventoryConfigError, AnsibleError) as exc:
                unusable.append(HostRead(host.name, error=(
                    f"its connection variables cannot be used: {exc}. Hint: correct the host's ansible_* variables "
                    f"(or set the option in this source, which wins over them)")))
        return found, unusable

    def _host_variables(self, host: t.Any) -> dict[str, t.Any]:
        """A host's variables as a play sees them from the inventory: its groups' variables, its own over them,
        the extra variables over both; with use_vars_plugins also host_vars/ and group_vars/ (as constructed)."""
        group_vars = get_group_vars(host.get_groups())
        host_vars_ = host.get_vars()
        if self.get_option("use_vars_plugins"):
            sources = getattr(self.inventory, "processed_sources", [])
            group_vars = combine_vars(group_vars, get_vars_from_inventory_sources(self.loader, sources,
                                                                                  host.get_groups(), "all"))
            host_vars_ = combine_vars(host_vars_, get_vars_from_inventory_sources(self.loader, sources, [host], "all"))
        return t.cast(dict[str, t.Any], combine_vars(combine_vars(group_vars, host_vars_), self._vars or {}))

    # -- the inventory -----------------------------------------------------------------------
    def _populate(self, reads: list[dict[str, t.Any]]) -> None:
        strict = self.get_option("strict")
        for read in reads:
            if read["error"]:
                message = (f"winvirt.hyperv.hyperv_vms could not read the VMs of {read['address']}, so they are not in "
                           f"the inventory: {read['error']}")
                if strict:
                    raise AnsibleError(message)
                self.display.warning(message)
        self.inventory.add_group(ALL_GROUP)
        placed: dict[str, str] = {}  # inventory name -> which VM took it
        for read in reads:
            for vm in read["vms"]:
                variables = host_vars(vm, read["address"])
                if not self._wanted(variables, strict):
                    continue
                name = self._hostname(variables, strict)
                where = f"VM {vm['name']} (Id {vm['id']}) on {vm.get('host') or read['address']}"
                if name in placed:
                    message = (f"winvirt.hyperv.hyperv_vms: {where} gets the inventory name {name!r}, which {placed[name]} "
                               "already has; it is left out. Set hostnames (for example "
                               "\"hyperv_name ~ '_' ~ hyperv_host\") so each VM gets a name of its own")
                    if strict:
                        raise AnsibleError(message)
                    self.display.warning(message)
                    continue
                placed[name] = where
                self._add(name, variables, strict)

    def _add(self, name: str, variables: dict[str, t.Any], strict: bool) -> None:
        self.inventory.add_host(name, group=ALL_GROUP)
        for key, value in variables.items():
            self.inventory.set_variable(name, key, value)
        for kind, value in (("host", variables.get(f"{VAR_PREFIX}host")), ("state", variables.get(f"{VAR_PREFIX}state"))):
            if value:
                group = self.inventory.add_group(self._sanitize_group_name(f"{VAR_PREFIX}{kind}_{str(value).lower()}"))
                self.inventory.add_child(group, name)
        self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)

    def _wanted(self, variables: dict[str, t.Any], strict: bool) -> bool:
        for conditional in self.get_option("filters"):
            try:
                if not boolean(self._compose(conditional, variables), strict=False):
                    return False
            except Exception as exc:  # pylint: disable=broad-except
                if strict:
                    raise AnsibleError(f"winvirt.hyperv.hyperv_vms: filter {conditional!r} failed for VM "
                                       f"{variables[VAR_PREFIX + 'name']}: {exc}") from exc
                return False
        return True

    def _hostname(self, variables: dict[str, t.Any], strict: bool) -> str:
        for expression in self.get_option("hostnames") or []:
            try:
                value = self._compose(expression, variables)
            except Exception as exc:  # pylint: disable=broad-except
                if strict:
                    raise AnsibleError(f"winvirt.hyperv.hyperv_vms: hostnames expression {expression!r} failed for VM "
                                       f"{variables[VAR_PREFIX + 'name']}: {exc}") from exc
                continue
            if value not in (None, ""):
                return str(value)
        return str(variables[f"{VAR_PREFIX}name"])
