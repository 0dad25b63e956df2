"""Who reaches whom on the estate's networks (layer 2 with VLANs), and which interface holds a machine's
management address.

Endpoints: ``"hv1"`` (a machine's management OS, at its management address), ``"hv1/web1"`` (a VM by
name, on any of its network adapters), ``"lan"`` (an untagged device on the management network's
physical LAN).

The model, kept simple on purpose:
- A *place* is where frames of one VLAN meet: ``("switch", host, switch, vlan)`` inside a virtual
  switch, or ``("lan", vlan)`` on the physical LAN. Two endpoints reach each other when they share a
  place and both are up (the machine powered and not restarting; a VM in state Running on such a host).
- A VM adapter connected to switch S with VLAN v (0 when untagged) is at ``("switch", host, S, v)``.
- A management OS adapter ``vEthernet (S)`` with VLAN v is at ``("switch", host, S, v)``; a physical
  NIC with the management address (not bound to a switch) is at ``("lan", 0)``.
- An external switch joins the physical LAN through its NIC (when the NIC is Up). The lab's physical
  switch port is configured to match the host: it carries the VLANs of the switch's management OS
  adapters, or untagged frames only when the switch has none. So ``("switch", host, S, v)`` is also
  ``("lan", v)`` exactly when v is one of those VLANs. (That is requirement B5: VMs on VLAN 20 on
  different hosts meet only once the management OS side of their switches carries VLAN 20 too, and
  then untagged LAN devices no longer reach the hosts' management OS.)
- Internal and private switches never reach the LAN; routing between IP networks is not modelled.
"""

from __future__ import annotations

import ipaddress
import typing

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World
    from hvsim.world.platform import NetAdapter

Place = tuple[typing.Any, ...]


# -- the management network ----------------------------------------------------------------------

def _subnet_of(item: typing.Any) -> str | None:
    if isinstance(item, dict):
        return item.get("subnet")
    return getattr(item, "subnet", None)


def _ipv4_networks(machine: Machine) -> list[ipaddress.IPv4Network]:
    platform = machine.platform
    adapters = getattr(platform, "net_adapters", {}) or {}
    return [ipaddress.ip_interface(ip).network for a in adapters.values() for ip in a.ipv4 if "." in ip]


def management_subnet(world: World) -> ipaddress.IPv4Network | None:
    """The estate's first network (``networks[0]``, "management").

    Read from ``world.networks`` (list of {name, subnet}) when the world has it; otherwise the network
    the most machines have an address in (ties: the lowest network)."""
    networks = getattr(world, "networks", None)
    if networks:
        subnet = _subnet_of(networks[0])
        if subnet:
            return typing.cast(ipaddress.IPv4Network, ipaddress.ip_network(str(subnet), strict=False))
    counts: dict[ipaddress.IPv4Network, int] = {}
    for machine in world.machines.values():
        for network in set(_ipv4_networks(machine)):
            counts[network] = counts.get(network, 0) + 1
    if not counts:
        return None
    return sorted(counts, key=lambda net: (-counts[net], int(net.network_address), net.prefixlen))[0]


def _holds_ip(adapter: NetAdapter) -> bool:
    return adapter.bound_switch is None


def management_interface(world: World, machine: Machine) -> NetAdapter | None:
    """The adapter holding the machine's management address: the first (by interface index) with an IPv4
    address inside the management network; else the first adapter not bound to a virtual switch."""
    adapters = sorted((getattr(machine.platform, "net_adapters", {}) or {}).values(),
                      key=lambda a: a.interface_index)
    subnet = management_subnet(world)
    for adapter in adapters:
        if not _holds_ip(adapter):
            continue
        for ip in adapter.ipv4:
            if subnet is not None and "." in ip and ipaddress.ip_interface(ip).ip in subnet:
                return adapter
    return next((a for a in adapters if _holds_ip(a)), None)


# -- reachability --------------------------------------------------------------------------------

def _up(machine: Machine) -> bool:
    platform = machine.platform
    return platform is None or bool(platform.is_reachable())


def _lan_vlans(machine: Machine, switch_name: str) -> set[int]:
    """VLANs an external switch carries onto the physical LAN ({} for internal/private switches)."""
    adapters = (getattr(machine.platform, "net_adapters", {}) or {}).values()
    uplinks = [a for a in adapters if not a.virtual and (a.bound_switch or "").lower() == switch_name.lower()]
    if not uplinks or not any(a.status == "Up" for a in uplinks):
        return set()
    management = [a for a in adapters if a.virtual and _vnic_switch(machine, a) == switch_name.lower()]
    return {a.vlan_id for a in management} if management else {0}


def _vnic_switch(machine: Machine, adapter: NetAdapter) -> str | None:
    """The switch a management OS adapter belongs to: ``switch_name`` if hyperv sets it, else "vEthernet (S)"."""
    explicit = getattr(adapter, "switch_name", None)
    if explicit:
        return str(explicit).lower()
    name = adapter.name
    if name.startswith("vEthernet (") and name.endswith(")"):
        inner = name[len("vEthernet ("):-1].lower()
        switches = getattr(getattr(machine, "hyperv", None), "switches", {}) or {}
        for switch in switches:
            if str(switch).lower() == inner:
                return inner
        return inner
    return None


def _switch_places(machine: Machine, switch_name: str, vlan: int) -> set[Place]:
    places: set[Place] = {("switch", machine.name, switch_name.lower(), vlan)}
    if vlan in _lan_vlans(machine, switch_name):
        places.add(("lan", vlan))
    return places


def host_places(world: World, machine: Machine) -> set[Place]:
    """Where a machine's management OS is, at its management address."""
    adapter = management_interface(world, machine)
    if adapter is None or adapter.status != "Up":
        return set()
    if adapter.virtual:
        switch = _vnic_switch(machine, adapter)
        return _switch_places(machine, switch, adapter.vlan_id) if switch else set()
    return {("lan", 0)}


def _vm_adapters(vm: typing.Any) -> list[typing.Any]:
    adapters = getattr(vm, "adapters", None) or getattr(vm, "network_adapters", None) or []
    return list(adapters.values()) if isinstance(adapters, dict) else list(adapters)


def adapter_vlan(adapter: typing.Any) -> int:
    """A VM adapter's VLAN: 0 untagged, the id in access mode, -1 for modes not modelled (trunk: reaches nothing).

    Reads hvsim.world.hyperv's ``adapter.vlan`` (``mode`` Untagged|Access|Trunk, ``access_id``)."""
    vlan = getattr(adapter, "vlan", None)
    if vlan is None:
        return 0
    mode = str(getattr(vlan, "mode", "Untagged")).lower()
    if mode == "untagged":
        return 0
    if mode == "access":
        return int(getattr(vlan, "access_id", 0) or 0)
    return -1


def vm_places(machine: Machine, vm: typing.Any) -> set[Place]:
    places: set[Place] = set()
    for adapter in _vm_adapters(vm):
        switch = getattr(adapter, "switch_name", None)
        vlan = adapter_vlan(adapter)
        if switch and vlan >= 0:
            places |= _switch_places(machine, str(switch), vlan)
    return places


def find_vm(machine: Machine, name: str) -> typing.Any:
    vms = getattr(getattr(machine, "hyperv", None), "vms", {}) or {}
    return next((vm for vm in vms.values() if str(getattr(vm, "name", "")).lower() == name.lower()), None)


def endpoint_places(world: World, endpoint: str) -> set[Place]:
    """The places an endpoint is at right now (empty when it is down or unknown)."""
    if endpoint.lower() == "lan":
        return {("lan", 0)}
    host_name, _, vm_name = endpoint.partition("/")
    machine = world.machine(host_name)
    if machine is None or not _up(machine):
        return set()
    if not vm_name:
        return host_places(world, machine)
    vm = find_vm(machine, vm_name)
    if vm is None or str(getattr(vm, "state", "Off")) != "Running":
        return set()
    return vm_places(machine, vm)


def endpoint_can_reach(world: World, source: str, destination: str) -> bool:
    """Can ``source`` exchange frames with ``destination`` (see the module docstring for the model)?"""
    return bool(endpoint_places(world, source) & endpoint_places(world, destination))
