"""Network adapters of VMs and of the management OS, and their VLAN settings."""

from __future__ import annotations

import re
import typing

from hvsim.contract import CmdletError, PSEnumValue, PSOutObject
from hvsim.engine import wildcard
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.hyperv import (
    NS,
    ON_OFF,
    VLAN_MODES,
    VM,
    NetworkAdapter,
    Vlan,
    canonical,
    enum,
    host_of,
    hv_error,
    require_state,
)
from hvsim.world.hyperv_devices import targets
from hvsim.world.hyperv_network import vnic_name
from hvsim.world.shapes import shaped

_MAC = re.compile(r"^[0-9A-Fa-f]{12}$")
_OK = PSEnumValue(f"{NS}.VMNetworkAdapterOperationalStatus", "Ok", 2)


def _adapter(machine: typing.Any, vm: VM | None, adapter: NetworkAdapter) -> PSOutObject:
    vm_name, vm_id = (vm.name, vm.id) if vm else ("", "")
    return shaped(
        [f"{NS}.VMNetworkAdapter", f"{NS}.VMNetworkAdapterBase", f"{NS}.VirtualizationObject"],
        {"Name": adapter.name, "Id": adapter.id, "VMId": vm.id if vm else None, "VMName": vm.name if vm else None,
         "SwitchName": adapter.switch_name, "MacAddress": adapter.mac_address,
         "DynamicMacAddressEnabled": adapter.dynamic_mac,
         "MacAddressSpoofing": enum("OnOffState", ON_OFF, "On" if adapter.mac_address_spoofing else "Off"),
         "IsManagementOs": vm is None, "IsLegacy": False,
         "IsSynthetic": True, "Connected": bool(adapter.switch_name),
         "Status": [_OK] if vm is None or vm.state == "Running" else [], "IPAddresses": _guest_addresses(vm, adapter),
         "ComputerName": machine.netbios},
        # Hyper-V's VirtualizationObject.ToString(): the type name, the friendly-name identifiers in parentheses and
        # the unique identifiers in brackets (VMDevice: Name, Id; VMComponentObject: VMId, VMName).
        to_string=f"VMNetworkAdapter (Name = '{adapter.name}', VMName = '{vm_name}') "
                  f"[Id = '{adapter.id}', VMId = '{vm_id}']")


def _guest_addresses(vm: VM | None, adapter: NetworkAdapter) -> list[str]:
    """IPAddresses: what the guest reports through its Data Exchange (KVP) integration service
    (Msvm_GuestNetworkAdapterConfiguration.IPAddresses, "the IP addresses configured on the network adapter within the
    guest operating system"), so nothing while the VM is not running; a management OS adapter's addresses are the
    host's own and live on its NetAdapter (Get-NetIPAddress), not here."""
    return list(adapter.guest_ip_addresses) if vm is not None and vm.state == "Running" else []


def vlan_object(machine: typing.Any, vm: VM | None, adapter: NetworkAdapter) -> PSOutObject:
    """Get-VMNetworkAdapterVlan's VMNetworkAdapterVlanSetting; its adapter is ParentAdapter (in .NET the same object
    as the adapter whose VlanSetting this is; hvsim gives a copy without VlanSetting, which no depth-1 read can
    tell apart, so no output object holds a cycle)."""
    vlan = adapter.vlan
    allowed = vlan.allowed if vlan.mode == "Trunk" else []
    return shaped(
        [f"{NS}.VMNetworkAdapterVlanSetting", f"{NS}.VirtualizationObject"],
        {"OperationMode": enum("VMNetworkAdapterVlanMode", VLAN_MODES, vlan.mode),
         "AccessVlanId": vlan.access_id if vlan.mode == "Access" else 0,
         "NativeVlanId": vlan.native_id if vlan.mode == "Trunk" else 0,
         "AllowedVlanIdList": allowed, "AllowedVlanIdListString": _ranges(allowed),
         "ParentAdapter": _adapter(machine, vm, adapter), "ComputerName": machine.netbios})


def adapter_object(machine: typing.Any, vm: VM | None, adapter: NetworkAdapter) -> PSOutObject:
    """A VM's adapter (vm given) or a management OS adapter (vm None), with its VlanSetting."""
    item = _adapter(machine, vm, adapter)
    item.properties["VlanSetting"] = vlan_object(machine, vm, adapter)
    return item


def _ranges(values: list[int]) -> str:
    parts, ordered = [], sorted(set(values))
    start = prev = None
    for value in ordered:
        if start is None:
            start = prev = value
        elif value == prev + 1:
            prev = value
        else:
            parts.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = value
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(parts)


def parse_vlan_list(inv: Invocation, text: str) -> list[int]:
    values: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise CmdletError(hv_error(inv, f"The VLAN id list '{text}' is not valid.", "InvalidArgument",
                                       "InvalidParameter")) from None
        if not 0 <= first <= last <= 4094:
            raise CmdletError(hv_error(inv, f"VLAN ids are 0 to 4094; '{part}' is not valid.", "InvalidArgument",
                                       "InvalidParameter"))
        values.extend(range(first, last + 1))
    return sorted(set(values))


# -- management OS adapters: the switches' vEthernet adapters ------------------------------------------

def management_adapters(machine: typing.Any) -> list[NetworkAdapter]:
    """One NetworkAdapter view per vEthernet adapter (VLAN kept on the platform's NetAdapter)."""
    adapters = []
    for switch in machine.hyperv.switches.values():
        nic = machine.platform.net_adapters.get(vnic_name(switch.name))
        if nic is None:
            continue
        vlan = Vlan(mode="Access", access_id=nic.vlan_id) if nic.vlan_id else Vlan()
        adapters.append(NetworkAdapter(name=switch.name, id=f"Microsoft:{switch.id.upper()}", switch_name=switch.name,
                                       mac_address=nic.mac.replace("-", ""), dynamic_mac=True, vlan=vlan))
    return adapters


def _management_named(inv: Invocation, machine: typing.Any, name: str | None) -> list[NetworkAdapter]:
    found = [a for a in management_adapters(machine) if name is None or wildcard.matches(str(name), a.name)]
    if name is not None and not found and not wildcard.contains_wildcard(str(name)):
        inv.write_error(hv_error(inv, f"Unable to find a network adapter named '{name}' in the management OS.",
                                 "ObjectNotFound", "InvalidParameter", name))
    return found


# -- VM adapters -------------------------------------------------------------------------------------

def _adapter_pairs(inv: Invocation, object_parameter: str = "VMNetworkAdapter",
                   name_parameter: str = "Name") -> list[tuple[VM | None, NetworkAdapter]]:
    machine, state = host_of(inv)
    given = inv.get(object_parameter)
    if given is not None:
        pairs: list[tuple[VM | None, NetworkAdapter]] = []
        for item in given if isinstance(given, list) else [given]:
            if not isinstance(item, PSOutObject):
                continue
            if item.properties.get("IsManagementOs"):
                pairs.extend((None, a) for a in management_adapters(machine) if a.id == item.properties.get("Id"))
                continue
            vm = state.vms.get(str(item.properties.get("VMId")).lower())
            if vm is not None:
                pairs.extend((vm, a) for a in vm.adapters if a.id == item.properties.get("Id"))
        return pairs
    if inv.get("ManagementOS"):
        return [(None, a) for a in _management_named(inv, machine, inv.get(name_parameter))]
    pairs = []
    name = inv.get(name_parameter)
    names = name if isinstance(name, list) else ([name] if name is not None else None)
    for vm in targets(inv):
        mine = [a for a in vm.adapters if names is None or any(wildcard.matches(str(n), a.name) for n in names)]
        if names is not None and not mine and not any(wildcard.contains_wildcard(str(n)) for n in names):
            inv.write_error(hv_error(inv, f"No network adapter named '{', '.join(names)}' was found on virtual machine "
                                          f"'{vm.name}'.", "ObjectNotFound", "InvalidParameter", vm.name))
        pairs.extend((vm, a) for a in mine)
    return pairs


@cmdlet("Get-VMNetworkAdapter")
def get_vm_network_adapter(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    if inv.get("All"):
        for adapter in management_adapters(machine):
            yield adapter_object(machine, None, adapter)
        for vm in sorted(state.vms.values(), key=lambda v: v.name.lower()):
            for adapter in vm.adapters:
                yield adapter_object(machine, vm, adapter)
        return
    for vm, adapter in _adapter_pairs(inv, object_parameter="VMSnapshot"):
        yield adapter_object(machine, vm, adapter)


@cmdlet("Add-VMNetworkAdapter")
def add_vm_network_adapter(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    if inv.get("ManagementOS"):
        raise CmdletError(hv_error(inv, "hvsim does not add extra management OS adapters", "NotImplemented",
                                   "NotImplemented"))
    switch_name = inv.get("SwitchName")
    switch = state.switch(switch_name) if switch_name else None
    if switch_name and switch is None:
        raise CmdletError(hv_error(inv, f"Hyper-V was unable to find a virtual switch with name \"{switch_name}\".",
                                   "InvalidArgument", "InvalidParameter", switch_name))
    mac = inv.get("StaticMacAddress")
    if mac is not None and not _MAC.match(mac.replace("-", "").replace(":", "")):
        raise CmdletError(hv_error(inv, f"The MAC address '{mac}' is not valid.", "InvalidArgument", "InvalidParameter"))
    for vm in targets(inv):
        if vm.generation == 1 or inv.get("IsLegacy"):
            require_state(inv, vm, ("Off",), "Network Adapter")
        name = inv.get("Name") or "Network Adapter"
        adapter = NetworkAdapter(name=name, id=f"Microsoft:{vm.id.upper()}\\{state.new_id('nic', name).upper()}",
                                 switch_name=switch.name if switch else None)
        if mac is not None:
            adapter.mac_address, adapter.dynamic_mac = mac.replace("-", "").replace(":", "").upper(), False
        elif vm.state == "Running":
            adapter.mac_address = state.next_mac()
        vm.adapters.append(adapter)
        if inv.get("Passthru"):
            yield adapter_object(machine, vm, adapter)


@cmdlet("Remove-VMNetworkAdapter")
def remove_vm_network_adapter(inv: Invocation) -> None:
    for vm, adapter in _adapter_pairs(inv):
        if vm is None:
            raise CmdletError(hv_error(inv, "Remove a management OS adapter by removing or changing its switch.",
                                       "InvalidOperation", "InvalidState"))
        if vm.generation == 1:
            require_state(inv, vm, ("Off",), "Network Adapter")
        vm.adapters.remove(adapter)


@cmdlet("Connect-VMNetworkAdapter")
def connect_vm_network_adapter(inv: Invocation) -> None:
    _machine, state = host_of(inv)
    switch_given = inv.get("VMSwitch")
    name = inv.get("SwitchName") if switch_given is None else switch_given.properties.get("Name")
    switch = state.switch(str(name)) if name else None
    if switch is None:
        raise CmdletError(hv_error(inv, f"Hyper-V was unable to find a virtual switch with name \"{name}\".",
                                   "InvalidArgument", "InvalidParameter", str(name)))
    for vm, adapter in _adapter_pairs(inv):
        if vm is not None:
            adapter.switch_name = switch.name


@cmdlet("Disconnect-VMNetworkAdapter")
def disconnect_vm_network_adapter(inv: Invocation) -> None:
    for vm, adapter in _adapter_pairs(inv):
        if vm is not None:
            adapter.switch_name = None


@cmdlet("Set-VMNetworkAdapter")
def set_vm_network_adapter(inv: Invocation) -> None:
    for vm, adapter in _adapter_pairs(inv):
        if vm is None:
            continue
        mac = inv.get("StaticMacAddress")
        if mac is not None:
            clean = mac.replace("-", "").replace(":", "").upper()
            if not _MAC.match(clean):
                raise CmdletError(hv_error(inv, f"The MAC address '{mac}' is not valid.", "InvalidArgument",
                                           "InvalidParameter"))
            if clean != adapter.mac_address or adapter.dynamic_mac:
                require_state(inv, vm, ("Off",), "Network Adapter")
            adapter.mac_address, adapter.dynamic_mac = clean, False
        if inv.get("DynamicMacAddress"):
            if not adapter.dynamic_mac:
                require_state(inv, vm, ("Off",), "Network Adapter")
            adapter.dynamic_mac = True
            adapter.mac_address = "000000000000"
        if inv.has("MacAddressSpoofing"):  # a running VM's adapter takes it (Microsoft's nested virtualization guide)
            adapter.mac_address_spoofing = canonical(ON_OFF, inv.get("MacAddressSpoofing"), "OnOffState", inv) == "On"


@cmdlet("Get-VMNetworkAdapterVlan")
def get_vm_network_adapter_vlan(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for vm, adapter in _adapter_pairs(inv, name_parameter="VMNetworkAdapterName"):
        yield vlan_object(machine, vm, adapter)


@cmdlet("Set-VMNetworkAdapterVlan")
def set_vm_network_adapter_vlan(inv: Invocation) -> None:
    machine, _state = host_of(inv)
    modes = [m for m in ("Untagged", "Access", "Trunk", "Isolated", "Promiscuous", "Community") if inv.get(m)]
    if len(modes) != 1:
        raise CmdletError(hv_error(inv, "Specify exactly one of -Untagged, -Access, -Trunk.", "InvalidArgument",
                                   "InvalidParameter"))
    mode = modes[0]
    if mode not in ("Untagged", "Access", "Trunk"):
        raise CmdletError(hv_error(inv, "hvsim does not simulate private VLANs", "NotImplemented", "NotImplemented"))
    vlan = Vlan()
    if mode == "Access":
        vlan_id = inv.get("VlanId")
        if vlan_id is None or not 1 <= vlan_id <= 4094:
            raise CmdletError(hv_error(inv, "Access mode needs -VlanId between 1 and 4094.", "InvalidArgument",
                                       "InvalidParameter"))
        vlan = Vlan(mode="Access", access_id=vlan_id)
    elif mode == "Trunk":
        if inv.get("AllowedVlanIdList") is None or inv.get("NativeVlanId") is None:
            raise CmdletError(hv_error(inv, "Trunk mode needs -AllowedVlanIdList and -NativeVlanId.", "InvalidArgument",
                                       "InvalidParameter"))
        vlan = Vlan(mode="Trunk", native_id=int(inv.get("NativeVlanId")),
                    allowed=parse_vlan_list(inv, inv.get("AllowedVlanIdList")))
    pairs = _adapter_pairs(inv, name_parameter="VMNetworkAdapterName")
    for vm, adapter in pairs:
        if vm is None:
            if mode == "Trunk":
                raise CmdletError(hv_error(inv, "hvsim keeps management OS adapters untagged or on one access VLAN",
                                           "NotImplemented", "NotImplemented"))
            nic = machine.platform.net_adapters.get(vnic_name(adapter.name))
            if nic is not None:
                nic.vlan_id = vlan.access_id if mode == "Access" else 0
            continue
        adapter.vlan = Vlan(mode=vlan.mode, access_id=vlan.access_id, native_id=vlan.native_id,
                            allowed=list(vlan.allowed))
