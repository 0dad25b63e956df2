# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VMs of a set of Hyper-V hosts, for the ``winvirt.hyperv.hyperv_vms`` inventory plugin.

FOR INTERNAL COLLECTION USE ONLY.

Which hosts and how to reach them (``targets`` for the configured list, ``group_target`` for a host of an
inventory group, reached with its own psrp / winrm connection variables), one read per host (``read_host``: the read batch of
``hyperv_vm_info``, one PSRP pipeline whatever the number of VMs), every host at once (``read_hosts``: a host that
fails is reported, the others still count), and the host variables of one VM (``host_vars``). Nothing here
touches Ansible's inventory; the plugin does that.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import typing as t

from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import (
    DESTINATION_OVERRIDABLE,
    ConnectionOptions,
    ConnectionOptionsError,
    connection_argument_spec,
    resolve_connection,
    resolve_destination,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import parse_vms, read_vm_commands
from ansible_collections.winvirt.hyperv.plugins.plugin_utils._inventory_options import (
    InventoryOptionsError,
    connection_options_from_vars,
)

VAR_PREFIX = "hyperv_"
# the connection options an inventory source sets once for all its hosts (hostname is per host)
SHARED_OPTIONS = tuple(name for name in connection_argument_spec() if name != "hostname")
HOST_ENTRY_KEYS = ("hostname", *DESTINATION_OVERRIDABLE)


class InventoryConfigError(ValueError):
    """The inventory source's configuration cannot work; raised before any host is contacted."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One Hyper-V host to read: ``address`` as configured, and how to connect to it."""

    address: str
    options: ConnectionOptions


@dataclasses.dataclass
class HostRead:
    """What one host gave: its VMs (each as ``hyperv_vm_info`` reports a VM), or the error that stopped the read."""

    address: str
    vms: list[dict[str, t.Any]] = dataclasses.field(default_factory=list)
    error: str | None = None


def shared_parameters(configured: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The connection parameters as the modules resolve theirs: the configured value, else the option's HYPERV_*
    environment variable (blank counts as unset), else its default; ``hostname`` is filled in per host."""
    spec = connection_argument_spec()
    parameters: dict[str, t.Any] = {"hostname": None}
    for name in SHARED_OPTIONS:
        option = spec[name]
        value = configured.get(name)
        if value is None and "fallback" in option:
            function, names = option["fallback"]
            try:
                value = function(*names)
            except AnsibleFallbackNotFound:
                value = None
            value = _typed(name, option["type"], value)
        parameters[name] = option.get("default") if value is None else value
    return parameters


def _typed(name: str, kind: str, value: t.Any) -> t.Any:
    """An environment variable's text as the option's type (as AnsibleModule would check it)."""
    if value is None or kind in ("str", "path"):
        return value
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise InventoryConfigError(f"{name} must be a whole number, not {value!r} (from its environment variable)") \
                from None
    if kind == "bool":
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on", "y", "t"):
            return True
        if text in ("0", "false", "no", "off", "n", "f"):
            return False
        raise InventoryConfigError(f"{name} must be true or false, not {value!r} (from its environment variable)")
    return value


def targets(entries: t.Sequence[t.Any], parameters: t.Mapping[str, t.Any]) -> list[Target]:
    """The hosts of ``hyperv_hosts`` (a name or address, or a dict with hostname and its own connection options),
    each resolved with the shared ``parameters``; a duplicate is read once."""
    found: list[Target] = []
    for entry in entries:
        if isinstance(entry, str):
            entry = {"hostname": entry}
        if not isinstance(entry, t.Mapping) or not str(entry.get("hostname") or "").strip():
            raise InventoryConfigError(f"each entry of hyperv_hosts is a host name or address, or a dict with hostname; "
                                       f"not {entry!r}")
        unknown = sorted(set(entry) - set(HOST_ENTRY_KEYS))
        if unknown:
            raise InventoryConfigError(f"hyperv_hosts entry {entry['hostname']}: unknown keys {', '.join(unknown)} "
                                       f"(a host takes {', '.join(HOST_ENTRY_KEYS)})")
        try:
            options = resolve_destination({**parameters, "hyperv_host": dict(entry)}, "hyperv_host")
        except ConnectionOptionsError as exc:
            raise InventoryConfigError(str(exc)) from None
        if options is not None:
            found.append(Target(address=options.hostname, options=options))
    return unique(found)


def group_target(name: str, variables: t.Mapping[str, t.Any], configured: t.Mapping[str, t.Any], templar: t.Any) -> Target:
    """The Hyper-V host ``name`` of an inventory group, with its ``variables`` (host and group variables, templated
    with ``templar``): a host whose ``ansible_connection`` is psrp or winrm is reached with its own connection
    variables, translated as the modules' action plugins translate them (``_inventory_options``), for each option
    the source does not set itself (``configured``: the source's options, None where unset; they win, as a task's
    arguments and module_defaults win over the host's variables); any other host at its ``ansible_host`` (else its
    name) with the source's options. Raises InventoryConfigError naming the host for options that cannot work."""
    given = {key: value for key, value in configured.items() if value is not None}
    try:
        own = connection_options_from_vars({**variables, "inventory_hostname": name}, given, templar=templar)
    except InventoryOptionsError as exc:
        raise InventoryConfigError(str(exc)) from None
    address = own.pop("hostname", None) or _template(templar, variables.get("ansible_host")) or name
    parameters = shared_parameters({**configured, **own})
    try:
        options = resolve_connection({**parameters, "hostname": str(address)})
    except ConnectionOptionsError as exc:
        raise InventoryConfigError(f"{name}: {exc}") from None
    return Target(address=options.hostname, options=options)


def unique(found: t.Sequence[Target]) -> list[Target]:
    """``found`` without a second target of the same address and port (a host listed twice is read once)."""
    seen: set[tuple[str, int]] = set()
    kept: list[Target] = []
    for target in found:
        key = (target.options.hostname.lower(), target.options.port)
        if key not in seen:
            seen.add(key)
            kept.append(target)
    return kept


def _template(templar: t.Any, value: t.Any) -> t.Any:
    return value if templar is None or value is None else templar.template(value)


def read_host(target: Target) -> HostRead:
    """The VMs of one host, read in one PSRP pipeline (the read batch of hyperv_vm_info)."""
    try:
        with HostClient(target.options) as client:
            rows = client.run(read_vm_commands(Cmd("Get-VM")), retry=True)
    except HyperVError as exc:
        return HostRead(target.address, error=str(exc))
    return HostRead(target.address, vms=[view.to_result() for view in
                                         sorted(parse_vms(rows), key=lambda view: (view.name.lower(), view.id or ""))])


def read_hosts(hosts: t.Sequence[Target], workers: int) -> list[HostRead]:
    """Every host, up to ``workers`` at a time, in the order given."""
    if not hosts:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(workers, len(hosts)))) as pool:
        return list(pool.map(read_host, hosts))


def host_vars(vm: t.Mapping[str, t.Any], address: str) -> dict[str, t.Any]:
    """One VM's host variables: each field of hyperv_vm_info's VM with the ``hyperv_`` prefix, every address its
    guest reports in ``hyperv_ip_addresses``, and the address its Hyper-V host was reached at."""
    variables = {f"{VAR_PREFIX}{key}": value for key, value in vm.items()}
    variables[f"{VAR_PREFIX}ip_addresses"] = [address for adapter in vm.get("network_adapters") or []
                                              for address in adapter.get("ip_addresses") or []]
    variables[f"{VAR_PREFIX}host_address"] = address
    return variables
