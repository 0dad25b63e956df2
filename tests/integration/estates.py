"""The estate a test runs against: hvsim's, or a real Hyper-V lab described by an Ansible inventory.

Tests that take the ``estate`` fixture see only what both offer: each machine's address and administrator, the
connection settings, and an independent reader (``reader.Reader``) for their assertions. ``make test-real
INVENTORY=FILE`` runs them against a real lab (docs/testing.md); ``make test`` against hvsim's lab3.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import typing

import yaml
from reader import Reader

# Groups of the inventory (the shipped playbooks/inventory/lab3.yml has the same shape).
HOST_GROUPS = ("hyperv_hosts", "domain_controllers", "file_servers")
_GROUP_OF_ROLE = {"hyperv_host": "hyperv_hosts", "domain_controller": "domain_controllers",
                  "file_server": "file_servers"}
_DEFAULT = re.compile(r"default=['\"]([^'\"]*)['\"]")


@dataclasses.dataclass(frozen=True)
class Machine:
    name: str
    address: str
    groups: tuple[str, ...]


@dataclasses.dataclass
class Estate:
    """Machines, one administrator, and how to connect (the same for every machine)."""

    machines: dict[str, Machine]
    username: str
    password: str
    auth: str = "negotiate"
    port: int = 5985
    ssl: bool = False
    simulated: bool = False
    ldap: dict[str, typing.Any] = dataclasses.field(default_factory=dict)  # hyperv_spn's ldap_* options, if given

    def address(self, machine: str) -> str:
        return self.machines[machine].address

    def credentials(self, machine: str) -> tuple[str, str]:
        if machine not in self.machines:
            raise KeyError(machine)
        return self.username, self.password

    def group(self, name: str) -> list[str]:
        return [m.name for m in self.machines.values() if name in m.groups]

    @property
    def hyperv_hosts(self) -> list[str]:
        return self.group("hyperv_hosts")

    def reader(self, machine: str) -> Reader:
        return Reader(self.address(machine), self.username, self.password, auth=self.auth, port=self.port,
                      ssl=self.ssl)


def _value(text: typing.Any, env: str) -> str:
    """A literal, or an ``env`` lookup template (the variable, else the template's default)."""
    text = str(text)
    if "{{" not in text:
        return text
    found = _DEFAULT.search(text)
    return os.environ.get(env) or (found.group(1) if found else "")


def load_inventory(path: str | pathlib.Path) -> Estate:
    """An Estate from an Ansible YAML inventory: ``all.vars`` hyperv_user, hyperv_password (or $HYPERV_PASSWORD),
    hyperv_auth, optional hyperv_port / hyperv_ssl / hyperv_ldap (hyperv_spn's ldap_* options; user and password
    default to hyperv_user's); hosts with ``ansible_host`` in the groups of HOST_GROUPS."""
    data = yaml.safe_load(pathlib.Path(path).read_text(encoding="utf-8")) or {}
    top = data.get("all", {})
    variables = top.get("vars", {}) or {}
    machines: dict[str, Machine] = {}
    for group, body in (top.get("children", {}) or {}).items():
        for name, host_vars in ((body or {}).get("hosts", {}) or {}).items():
            address = str((host_vars or {}).get("ansible_host", name))
            known = machines.get(name)
            machines[name] = Machine(name, address, (*(known.groups if known else ()), group))
    if not [m for m in machines.values() if "hyperv_hosts" in m.groups]:
        raise ValueError(f"{path}: the inventory lists no host in group hyperv_hosts")
    if "hyperv_user" not in variables:
        raise ValueError(f"{path}: all.vars.hyperv_user is missing")
    password = _value(variables.get("hyperv_password", ""), "HYPERV_PASSWORD")
    ldap = {str(key): value for key, value in (variables.get("hyperv_ldap") or {}).items()}
    if ldap:
        ldap.setdefault("ldap_username", str(variables["hyperv_user"]))
        ldap["ldap_password"] = _value(ldap["ldap_password"], "HYPERV_LDAP_PASSWORD") if "ldap_password" in ldap \
            else password
    return Estate(machines=machines, username=str(variables["hyperv_user"]), password=password,
                  auth=str(variables.get("hyperv_auth", "negotiate")), port=int(variables.get("hyperv_port", 5985)),
                  ssl=bool(variables.get("hyperv_ssl", False)), ldap=ldap)


def simulated(running: typing.Any) -> Estate:
    """hvsim's running estate seen through the same narrow interface (no access to its world)."""
    domain = running.world.domain
    user, password = next(iter(domain.admins.items()))
    machines = {name: Machine(name, machine.address, (_GROUP_OF_ROLE.get(machine.role, machine.role),))
                for name, machine in running.world.machines.items()}
    return Estate(machines=machines, username=f"{domain.netbios}\\{user}", password=password, auth="ntlm",
                  port=running.http_port, simulated=True)
