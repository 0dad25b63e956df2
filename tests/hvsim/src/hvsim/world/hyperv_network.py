"""Virtual switches and the management OS side of Hyper-V networking: Get/New/Set/Remove-VMSwitch.

An external switch binds a physical NIC; with AllowManagementOS (and always for an internal
switch) the host gets a ``vEthernet (<switch>)`` adapter, and the NIC's IP addresses move to it.
"""

from __future__ import annotations

import typing

from hvsim.contract import CmdletError, ErrorInfo, PSOutObject
from hvsim.engine import wildcard
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.shapes import shaped
from hvsim.world.pserrors import host_prompt
from hvsim.world.hyperv import NS, SWITCH_TYPES, Switch, canonical, enum, host_of, hv_error

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine


def vnic_name(switch_name: str) -> str:
    return f"vEthernet ({switch_name})"


def _adapters(machine: Machine) -> dict[str, typing.Any]:
    return typing.cast(dict[str, typing.Any], machine.platform.net_adapters)


def attach_switch(machine: Machine, switch: Switch, extra_ipv4: list[str] | None = None) -> None:
    """Bind the switch's NIC and create its management OS adapter when it has one."""
    from hvsim.world.platform import NetAdapter

    adapters = _adapters(machine)
    nic = adapters.get(switch.net_adapter) if switch.net_adapter else None
    if nic is not None:
        nic.bound_switch = switch.name
        switch.net_adapter_description = nic.description
    wants_vnic = switch.switch_type == "Internal" or (switch.switch_type == "External" and switch.allow_management_os)
    name = vnic_name(switch.name)
    if not wants_vnic or name in adapters:
        return
    addresses = list(extra_ipv4 or [])
    if nic is not None and switch.switch_type == "External":
        addresses = [*nic.ipv4, *[a for a in addresses if a not in nic.ipv4]]
        nic.ipv4 = []
    index = max([a.interface_index for a in adapters.values()] or [10]) + 1
    octet = int(machine.address.rsplit(".", 1)[-1]) % 256
    adapters[name] = NetAdapter(
        name=name, description=f"Hyper-V Virtual Ethernet Adapter #{index}" if index > 11 else "Hyper-V Virtual Ethernet Adapter",
        mac=f"00-15-5D-{octet:02X}-{index // 256:02X}-{index % 256:02X}", ipv4=addresses, interface_index=index,
        virtual=True)


def detach_switch(machine: Machine, switch: Switch) -> None:
    """Remove the management OS adapter (its IPs go back to the NIC) and unbind the NIC."""
    adapters = _adapters(machine)
    vnic = adapters.pop(vnic_name(switch.name), None)
    nic = adapters.get(switch.net_adapter) if switch.net_adapter else None
    if nic is not None:
        if vnic is not None and switch.switch_type == "External":
            nic.ipv4 = [*nic.ipv4, *vnic.ipv4]
        nic.bound_switch = None


def switch_object(machine: Machine, switch: Switch) -> PSOutObject:
    return shaped(
        [f"{NS}.VMSwitch", f"{NS}.VirtualizationObject"],
        {"Name": switch.name, "Id": switch.id, "SwitchType": enum("VMSwitchType", SWITCH_TYPES, switch.switch_type),
                    "NetAdapterInterfaceDescription": switch.net_adapter_description if switch.switch_type == "External" else None,
                    "AllowManagementOS": switch.allow_management_os or switch.switch_type == "Internal",
                    "Notes": switch.notes, "IovEnabled": switch.iov_enabled,
                    "BandwidthReservationMode": enum("VMSwitchBandwidthMode", {"Default": 0, "Weight": 1, "Absolute": 2,
                                                                               "None": 3}, switch.bandwidth_mode),
                    "EmbeddedTeamingEnabled": False, "ComputerName": machine.netbios},
        to_string=f"VMSwitch (Name = '{switch.name}') [Id = '{switch.id}']")


def _first(value: typing.Any) -> typing.Any:
    """NetAdapterName is String[] (a switch embedded team takes several NICs); hvsim binds one."""
    if isinstance(value, list):
        if len(value) > 1:
            raise CmdletError(ErrorInfo(message="hvsim does not simulate switch embedded teaming (one NIC per switch)",
                                        category="NotImplemented", fqid="NotImplemented,hvsim.VMSwitch"))
        return value[0] if value else None
    return value


def _switches_named(inv: Invocation, names: typing.Any) -> list[Switch]:
    _machine, state = host_of(inv)
    found: list[Switch] = []
    for name in names if isinstance(names, list) else [names]:
        matched = [s for s in state.switches.values() if wildcard.matches(name, s.name)]
        if wildcard.contains_wildcard(name):
            found.extend(matched)
            continue
        if not matched:
            inv.write_error(hv_error(inv, f"Hyper-V was unable to find a virtual switch with name \"{name}\".",
                                     "InvalidArgument", "InvalidParameter", target=name))
        found.extend(matched)
    return found


def switch_of_object(inv: Invocation, item: typing.Any) -> Switch | None:
    _machine, state = host_of(inv)
    if isinstance(item, PSOutObject):
        return state.switch(str(item.properties.get("Name")))
    return None


def _targets(inv: Invocation) -> list[Switch]:
    given = inv.get("VMSwitch")
    if given is not None:
        return [s for s in (switch_of_object(inv, item) for item in given) if s is not None]
    return _switches_named(inv, inv.get("Name"))


@cmdlet("Get-VMSwitch")
def get_vmswitch(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    if inv.get("Id"):
        wanted = {str(i).lower() for i in inv.get("Id")}
        switches = [s for s in state.switches.values() if s.id in wanted]
    elif inv.get("Name") is not None:
        switches = _switches_named(inv, inv.get("Name"))
    else:
        switches = list(state.switches.values())
    if inv.get("SwitchType"):
        kind = canonical(SWITCH_TYPES, inv.get("SwitchType"), "VMSwitchType", inv)
        switches = [s for s in switches if s.switch_type == kind]
    for switch in sorted(switches, key=lambda s: s.name.lower()):
        yield switch_object(machine, switch)


@cmdlet("New-VMSwitch")
def new_vmswitch(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    name = inv.get("Name")
    if state.switch(name) is not None:
        raise CmdletError(hv_error(inv, f"Failed while adding virtual Ethernet switch connections. A virtual switch "
                                        f"named '{name}' already exists.", "ResourceExists", "ObjectAlreadyExists", name))
    nic_name = _first(inv.get("NetAdapterName"))
    if inv.get("NetAdapterInterfaceDescription"):
        description = _first(inv.get("NetAdapterInterfaceDescription"))
        nic_name = next((a.name for a in machine.platform.net_adapters.values() if a.description == description), None)
        if nic_name is None:
            raise CmdletError(hv_error(inv, f"No network adapter with interface description '{description}' was found.",
                                       "ObjectNotFound", "ObjectNotFound", description))
    if nic_name is not None:
        nic = machine.platform.net_adapters.get(nic_name)
        if nic is None or nic.virtual:
            raise CmdletError(hv_error(inv, f"Failed while adding virtual Ethernet switch connections. No physical "
                                            f"network adapter named '{nic_name}' was found.", "ObjectNotFound",
                                       "ObjectNotFound", nic_name))
        if nic.bound_switch:
            raise CmdletError(hv_error(
                inv, f"Failed while adding virtual Ethernet switch connections. External Ethernet adapter "
                     f"'{nic.description}' is already bound to the Microsoft Virtual Switch protocol (switch "
                     f"'{nic.bound_switch}').", "InvalidOperation", "InvalidState", nic_name))
        kind = "External"
    else:
        kind = canonical(("Internal", "Private"), inv.get("SwitchType") or "", "VMSwitchType", inv) \
            if inv.get("SwitchType") is not None else None
        if kind is None:
            raise CmdletError(hv_error(inv, "Specify -SwitchType Internal or Private, or a network adapter for an "
                                            "external switch.", "InvalidArgument", "InvalidParameter"))
    allow = inv.get("AllowManagementOS")
    switch = Switch(id=state.new_id("switch", name), name=name, switch_type=kind, net_adapter=nic_name,
                    allow_management_os=bool(allow) if allow is not None else kind == "External",
                    notes=inv.get("Notes") or "",
                    bandwidth_mode=str(inv.get("MinimumBandwidthMode") or ("Absolute" if kind == "External" else "None")))
    if kind != "External":
        switch.allow_management_os = kind == "Internal"
    state.switches[switch.name] = switch
    attach_switch(machine, switch)
    yield switch_object(machine, switch)


@cmdlet("Set-VMSwitch")
def set_vmswitch(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, _state = host_of(inv)
    for switch in _targets(inv):
        if inv.has("Notes"):
            switch.notes = inv.get("Notes") or ""
        kind = inv.get("SwitchType")
        nic_name = _first(inv.get("NetAdapterName"))
        if kind is not None or nic_name is not None:
            detach_switch(machine, switch)
            if nic_name is not None:
                switch.switch_type, switch.net_adapter = "External", nic_name
            else:
                switch.switch_type = canonical(("Internal", "Private"), kind, "VMSwitchType", inv)
                switch.net_adapter, switch.net_adapter_description = None, None
                switch.allow_management_os = switch.switch_type == "Internal"
            attach_switch(machine, switch)
        allow = inv.get("AllowManagementOS")
        if allow is not None and switch.switch_type == "External" and bool(allow) != switch.allow_management_os:
            detach_switch(machine, switch)
            switch.allow_management_os = bool(allow)
            attach_switch(machine, switch)
        if inv.get("Passthru"):
            yield switch_object(machine, switch)


@cmdlet("Remove-VMSwitch")
def remove_vmswitch(inv: Invocation) -> None:
    machine, state = host_of(inv)
    for switch in _targets(inv):
        if not inv.get("Force"):
            raise CmdletError(host_prompt(inv.name, switch.name, f"Are you sure you want to remove the virtual switch "
                                                                  f"\"{switch.name}\"?"))
        for vm in state.vms.values():
            for adapter in vm.adapters:
                if adapter.switch_name and adapter.switch_name.lower() == switch.name.lower():
                    adapter.switch_name = None
        detach_switch(machine, switch)
        for key in [key for key, item in state.switches.items() if item is switch]:
            del state.switches[key]
