"""Host settings: Get-VMHost, Set-VMHost, Enable/Disable-VMMigration, Get/Add/Remove-VMMigrationNetwork."""

from __future__ import annotations

import ipaddress
import typing

from hvsim.contract import CmdletError, Int64, PSOutObject, UInt32
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.shapes import shaped
from hvsim.world.filesystem import clean_path
from hvsim.world.hyperv import (
    MIGRATION_AUTH,
    MIGRATION_PERFORMANCE,
    NS,
    MigrationNetwork,
    canonical,
    enum,
    host_of,
    hv_error,
)


def host_object(machine: typing.Any, state: typing.Any) -> PSOutObject:
    host = state.host
    return shaped(
        [f"{NS}.VMHost", f"{NS}.VirtualizationObject"],
        {
            "ComputerName": machine.netbios, "Name": machine.netbios, "FullyQualifiedDomainName": machine.fqdn,
            "VirtualMachinePath": host.virtual_machine_path, "VirtualHardDiskPath": host.virtual_hard_disk_path,
            "EnableEnhancedSessionMode": host.enhanced_session_mode, "NumaSpanningEnabled": host.numa_spanning,
            "MaximumStorageMigrations": UInt32(host.maximum_storage_migrations),
            "MaximumVirtualMachineMigrations": UInt32(host.maximum_vm_migrations),
            "VirtualMachineMigrationEnabled": host.migration_enabled,
            "VirtualMachineMigrationAuthenticationType": enum("MigrationAuthenticationType", MIGRATION_AUTH,
                                                              host.migration_auth),
            "VirtualMachineMigrationPerformanceOption": enum("VMMigrationPerformance", MIGRATION_PERFORMANCE,
                                                             host.migration_performance),
            "UseAnyNetworkForMigration": host.use_any_network, "LogicalProcessorCount": host.logical_processors,
            "MemoryCapacity": Int64(host.memory_capacity), "MacAddressMinimum": host.mac_minimum,
            "MacAddressMaximum": host.mac_maximum,
        },
        to_string=f"VMHost (ComputerName = '{machine.netbios}')")


@cmdlet("Get-VMHost")
def get_vmhost(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    yield host_object(machine, state)


def _folder(inv: Invocation, machine: typing.Any, path: str) -> str:
    clean = clean_path(path)
    if not path.startswith("\\\\") and machine.fs.volume_of(clean) is None:
        raise CmdletError(hv_error(inv, f"The path '{path}' is not valid: its drive does not exist on "
                                        f"{machine.netbios}.", "InvalidArgument", "InvalidParameter", path))
    if not path.startswith("\\\\"):
        machine.fs.mkdir(clean)
    return clean


@cmdlet("Set-VMHost")
def set_vmhost(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    host = state.host
    if inv.get("VirtualMachinePath") is not None:
        host.virtual_machine_path = _folder(inv, machine, inv.get("VirtualMachinePath"))
    if inv.get("VirtualHardDiskPath") is not None:
        host.virtual_hard_disk_path = _folder(inv, machine, inv.get("VirtualHardDiskPath"))
    for parameter, attribute in (("EnableEnhancedSessionMode", "enhanced_session_mode"),
                                 ("NumaSpanningEnabled", "numa_spanning"),
                                 ("UseAnyNetworkForMigration", "use_any_network")):
        if inv.get(parameter) is not None:
            setattr(host, attribute, bool(inv.get(parameter)))
    for parameter, attribute in (("MaximumStorageMigrations", "maximum_storage_migrations"),
                                 ("MaximumVirtualMachineMigrations", "maximum_vm_migrations")):
        value = inv.get(parameter)
        if value is not None:
            if not 1 <= int(value) <= 64:
                raise CmdletError(hv_error(inv, f"{parameter} must be between 1 and 64, not {value}.", "InvalidArgument",
                                           "InvalidParameter"))
            setattr(host, attribute, int(value))
    if inv.get("VirtualMachineMigrationAuthenticationType") is not None:
        host.migration_auth = canonical(MIGRATION_AUTH, inv.get("VirtualMachineMigrationAuthenticationType"),
                                        "MigrationAuthenticationType", inv)
    if inv.get("VirtualMachineMigrationPerformanceOption") is not None:
        host.migration_performance = canonical(MIGRATION_PERFORMANCE, inv.get("VirtualMachineMigrationPerformanceOption"),
                                               "VMMigrationPerformance", inv)
    for parameter, attribute in (("MacAddressMinimum", "mac_minimum"), ("MacAddressMaximum", "mac_maximum")):
        if inv.get(parameter) is not None:
            setattr(host, attribute, str(inv.get(parameter)).replace("-", "").upper())
    if inv.get("Passthru"):
        yield host_object(machine, state)


@cmdlet("Enable-VMMigration")
def enable_vm_migration(inv: Invocation) -> None:
    _machine, state = host_of(inv)
    state.host.migration_enabled = True


@cmdlet("Disable-VMMigration")
def disable_vm_migration(inv: Invocation) -> None:
    _machine, state = host_of(inv)
    state.host.migration_enabled = False


def _subnet(inv: Invocation, text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise CmdletError(hv_error(inv, f"The subnet '{text}' is not valid. Give it as address/prefix length, for "
                                        "example 10.0.50.0/24.", "InvalidArgument", "InvalidParameter", text)) from None


def network_object(machine: typing.Any, network: MigrationNetwork) -> PSOutObject:
    return shaped([f"{NS}.VMMigrationNetwork", f"{NS}.VirtualizationObject"],
                  {"Subnet": network.subnet, "Priority": network.priority, "ComputerName": machine.netbios})


@cmdlet("Get-VMMigrationNetwork")
def get_vm_migration_network(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    wanted = inv.get("Subnet")
    for network in sorted(state.host.migration_networks, key=lambda n: (n.priority, n.subnet)):
        if wanted is None or _subnet(inv, wanted) == network.subnet:
            yield network_object(machine, network)


@cmdlet("Add-VMMigrationNetwork")
def add_vm_migration_network(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine, state = host_of(inv)
    subnet = _subnet(inv, inv.get("Subnet"))
    if any(n.subnet == subnet for n in state.host.migration_networks):
        raise CmdletError(hv_error(inv, f"The migration network {subnet} is already configured.", "ResourceExists",
                                   "ObjectAlreadyExists", subnet))
    network = MigrationNetwork(subnet=subnet, priority=int(inv.get("Priority") or 0))
    state.host.migration_networks.append(network)
    if inv.get("Passthru"):
        yield network_object(machine, network)


@cmdlet("Remove-VMMigrationNetwork")
def remove_vm_migration_network(inv: Invocation) -> None:
    _machine, state = host_of(inv)
    subnet = _subnet(inv, inv.get("Subnet"))
    before = len(state.host.migration_networks)
    state.host.migration_networks = [n for n in state.host.migration_networks if n.subnet != subnet]
    if len(state.host.migration_networks) == before:
        inv.write_error(hv_error(inv, f"No migration network {subnet} is configured.", "ObjectNotFound", "ObjectNotFound",
                                 subnet))
