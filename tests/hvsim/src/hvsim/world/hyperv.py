"""A host's Hyper-V state: host settings, virtual switches, VMs (with their devices and checkpoints).

State and the estate builder only, plus the lookups and output objects the Hyper-V cmdlet modules
share (hyperv_vm_cmdlets, hyperv_devices, hyperv_switches, hyperv_snapshots, hyperv_host_cmdlets).
"""

from __future__ import annotations

import typing
import uuid
from dataclasses import dataclass, field

from hvsim.contract import CmdletError, ErrorInfo, PSEnumValue, PSOutObject, UInt64
from hvsim.engine import wildcard
from hvsim.engine.api import Invocation
from hvsim.world.hyperv_types import PROPERTIES
from hvsim.world.shapes import shaped

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

MIB = 1024**2
GIB = 1024**3
ID_NAMESPACE = uuid.UUID("8f1c0b9e-3d2a-4e57-9b61-7c4e2a90d5f3")
NS = "Microsoft.HyperV.PowerShell"
E_VIRTUALIZATION = -2146233088  # 0x80131500
TARGET_UNKNOWN = 0x80090303  # SEC_E_TARGET_UNKNOWN: no account holds the SPN Kerberos asked for
VM_STATES = {"Other": 1, "Running": 2, "Off": 3, "Stopping": 4, "Saved": 6, "Paused": 9, "Starting": 10,
             "Reset": 11, "Saving": 32773, "Pausing": 32776, "Resuming": 32777}
START_ACTIONS = {"Nothing": 2, "StartIfRunning": 3, "Start": 4}
STOP_ACTIONS = {"TurnOff": 2, "Save": 3, "ShutDown": 4}
CHECKPOINT_TYPES = {"Disabled": 2, "Production": 3, "ProductionOnly": 4, "Standard": 5}
SESSION_TRANSPORTS = {"VMBus": 0, "HvSocket": 1}
ON_OFF = {"On": 0, "Off": 1}
SWITCH_TYPES = {"Private": 0, "Internal": 1, "External": 2}
VLAN_MODES = {"Untagged": 0, "Access": 1, "Trunk": 2, "Private": 3}
CONTROLLER_TYPES = {"IDE": 0, "SCSI": 1}
MIGRATION_AUTH = {"CredSSP": 0, "Kerberos": 1}
MIGRATION_PERFORMANCE = {"TCPIP": 0, "Compression": 1, "SMB": 2}
REPLICATION_STATES = {
    "Disabled": 0, "ReadyForInitialReplication": 1, "InitialReplicationInProgress": 2, "WaitingForInitialReplication": 3,
    "Replicating": 4, "PreparedForFailover": 5, "FailedOverWaitingCompletion": 6, "FailedOver": 7, "Suspended": 8,
    "Error": 9, "WaitingForStartResynchronize": 10, "Resynchronizing": 11, "ResynchronizeSuspended": 12,
    "RecoveryInProgress": 13, "FailbackInProgress": 14, "FailbackComplete": 15}
SUPPORTED_VERSIONS = ("8.0", "9.0", "9.1", "9.2", "9.3", "10.0", "11.0", "12.0")


def enum(type_name: str, members: dict[str, int], name: str) -> PSEnumValue:
    spelled = next((m for m in members if m.lower() == str(name).lower()), str(name))
    return PSEnumValue(type_name=f"{NS}.{type_name}", name=spelled, value=members.get(spelled, 0))


def canonical(members: typing.Iterable[str], given: typing.Any, what: str, inv: Invocation) -> str:
    """An enum value as Hyper-V spells it, or PowerShell's conversion error."""
    text = str(getattr(given, "name", given))
    for member in members:
        if member.lower() == text.lower():
            return member
    raise CmdletError(ErrorInfo(
        message=(f"Cannot bind parameter '{what}'. Cannot convert value \"{text}\" to type "
                 f"\"{NS}.{what}\". Error: \"Unable to match the identifier name {text} to a valid enumerator name. "
                 f"Specify one of the following enumerator names and try again: {', '.join(members)}\""),
        category="InvalidArgument", fqid=f"CannotConvertArgumentNoMessage,{command_class(inv.name)}",
        exception_type="System.Management.Automation.ParameterBindingException", activity=inv.name,
        reason="ParameterBindingException"))


def command_class(cmdlet: str) -> str:
    return f"{NS}.Commands.{cmdlet.replace('-', '')}"


def hv_error(inv: Invocation, message: str, category: str = "InvalidOperation", reason: str = "InvalidState",
             target: str | None = None) -> ErrorInfo:
    """A VirtualizationException as the Hyper-V module reports it."""
    return ErrorInfo(message=message, category=category, fqid=f"{reason},{command_class(inv.name)}",
                     exception_type=f"{NS}.VirtualizationException", hresult=E_VIRTUALIZATION, target=target,
                     activity=inv.name, reason="VirtualizationException")


def version_key(version: str) -> tuple[int, ...]:
    """``"10.0"`` -> ``(10, 0)``, to compare configuration versions."""
    return tuple(int(part) for part in str(version).split("."))


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, ":".join(parts)))


# -- state ------------------------------------------------------------------------------------------

@dataclass
class Drive:
    controller_type: str  # IDE | SCSI
    controller_number: int
    controller_location: int
    path: str | None = None


@dataclass
class Vlan:
    mode: str = "Untagged"  # Untagged | Access | Trunk
    access_id: int = 0
    native_id: int = 0
    allowed: list[int] = field(default_factory=list)


@dataclass
class NetworkAdapter:
    name: str
    id: str
    switch_name: str | None = None
    mac_address: str = "000000000000"
    dynamic_mac: bool = True
    vlan: Vlan = field(default_factory=Vlan)
    mac_address_spoofing: bool = False
    # the addresses the guest reports for this adapter (Msvm_GuestNetworkAdapterConfiguration.IPAddresses, sent by
    # the guest's Data Exchange integration service): Get-VMNetworkAdapter shows them only while the VM runs
    guest_ip_addresses: list[str] = field(default_factory=list)


@dataclass
class Checkpoint:
    id: str
    name: str
    parent_id: str | None
    snapshot_type: str  # Standard | Production
    creation_time: str  # ISO 8601, from the world's clock (deterministic)
    vm_state: str  # the VM's state when it was taken
    config: dict[str, typing.Any]  # the VM's settings at that moment (see VM.settings)


@dataclass
class VM:
    id: str
    name: str
    generation: int
    version: str
    path: str
    state: str = "Off"
    processor_count: int = 1
    startup: int = 1024 * MIB
    dynamic_memory: bool = False
    minimum: int = 512 * MIB
    maximum: int = 1048576 * MIB
    buffer: int = 20
    secure_boot: bool = True
    secure_boot_template: str = "MicrosoftWindows"
    boot_order: list[str] = field(default_factory=lambda: ["CD", "IDE", "LegacyNetworkAdapter", "Floppy"])
    automatic_start_action: str = "StartIfRunning"
    automatic_stop_action: str = "Save"
    checkpoint_type: str = "Production"
    notes: str = ""
    expose_virtualization_extensions: bool = False
    enhanced_session_transport: str = "VMBus"
    scsi_controllers: int = 0
    hard_drives: list[Drive] = field(default_factory=list)
    dvd_drives: list[Drive] = field(default_factory=list)
    adapters: list[NetworkAdapter] = field(default_factory=list)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    current_checkpoint: str | None = None
    replication_state: str = "Disabled"
    replication_health: str = "NotApplicable"
    replication_mode: str = "None"  # None | Primary | Replica | TestReplica | ExtendedReplica (VMReplicationMode)
    # the guest OS, as far as power operations see it: how it answers a shutdown request ("responds"; "hangs": the
    # Shutdown integration service is there but the guest does not shut down; "no_service": no Shutdown
    # integration service), and how it last went down ("shutdown" or "power_off": turned off or hard reset)
    guest_shutdown: str = "responds"
    last_stop: str = ""

    SETTINGS: typing.ClassVar[tuple[str, ...]] = (
        "processor_count", "startup", "dynamic_memory", "minimum", "maximum", "buffer", "secure_boot",
        "secure_boot_template", "boot_order", "automatic_start_action", "automatic_stop_action", "notes",
        "expose_virtualization_extensions", "enhanced_session_transport", "scsi_controllers", "hard_drives",
        "dvd_drives", "adapters")

    def settings(self) -> dict[str, typing.Any]:
        import copy
        return {name: copy.deepcopy(getattr(self, name)) for name in self.SETTINGS}


@dataclass
class Switch:
    id: str
    name: str
    switch_type: str  # External | Internal | Private
    net_adapter: str | None = None  # the physical NIC's name (External)
    net_adapter_description: str | None = None
    allow_management_os: bool = False
    notes: str = ""
    iov_enabled: bool = False
    bandwidth_mode: str = "Absolute"


@dataclass
class MigrationNetwork:
    subnet: str
    priority: int


@dataclass
class HostSettings:
    virtual_machine_path: str = "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V"
    virtual_hard_disk_path: str = "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks"
    enhanced_session_mode: bool = False
    numa_spanning: bool = True
    maximum_storage_migrations: int = 2
    maximum_vm_migrations: int = 2
    migration_enabled: bool = False
    migration_auth: str = "CredSSP"
    migration_performance: str = "Compression"
    use_any_network: bool = True
    migration_networks: list[MigrationNetwork] = field(default_factory=list)
    logical_processors: int = 16
    memory_capacity: int = 128 * GIB
    mac_minimum: str = "00155D0A0000"
    mac_maximum: str = "00155D0AFFFF"
    max_configuration_version: str = "12.0"
    default_configuration_version: str = "12.0"


@dataclass
class HyperVState:
    installed: bool = False
    host: HostSettings = field(default_factory=HostSettings)
    # by name; a second switch of a name is kept under its Id (Hyper-V identifies switches by Id, see DESIGN.md)
    switches: dict[str, Switch] = field(default_factory=dict)
    vms: dict[str, VM] = field(default_factory=dict)  # by VMId
    machine: str = ""
    serial: int = 0  # counts objects made at run time (their ids stay deterministic)
    replica: typing.Any = None  # hvsim.world.hyperv_replica.ReplicaState, made by the first change to it

    def new_id(self, kind: str, name: str) -> str:
        self.serial += 1
        return stable_id(self.machine, kind, name.lower(), str(self.serial))

    def next_mac(self) -> str:
        self.serial += 1
        base = int(self.host.mac_minimum, 16)
        return f"{base + self.serial:012X}"

    def switch(self, name: str) -> Switch | None:
        if name in self.switches:
            return self.switches[name]
        return next((s for s in self.switches.values() if s.name.lower() == name.lower()), None)

    def vms_named(self, name: str) -> list[VM]:
        return [vm for vm in self.vms.values() if vm.name.lower() == name.lower()]


# -- the estate's `hyperv:` section ------------------------------------------------------------------

def _feature_installed(machine: Machine, name: str) -> bool:
    platform = machine.platform
    check = getattr(platform, "feature_installed", None)
    if check is not None:
        return bool(check(name))
    return False


def is_installed(machine: Machine) -> bool:
    """Hyper-V runs once its feature is installed and the host has rebooted (the platform decides)."""
    if machine.hyperv is None:
        return False
    platform = machine.platform
    if getattr(platform, "feature_installed", None) is not None:
        return _feature_installed(machine, "Hyper-V") or _feature_installed(machine, "Microsoft-Hyper-V") \
            or _feature_installed(machine, "Microsoft-Hyper-V-All")
    return machine.hyperv.installed


def build(machine: Machine, spec: dict[str, typing.Any], world: World) -> HyperVState:
    state = HyperVState(machine=machine.name)
    state.installed = bool(spec)  # the platform's Hyper-V feature decides once it is known (PlatformState.sync)
    host = spec.get("host") or {}
    settings = state.host
    for key, attribute in (("virtual_machine_path", "virtual_machine_path"),
                           ("virtual_hard_disk_path", "virtual_hard_disk_path"),
                           ("logical_processors", "logical_processors"),
                           ("max_configuration_version", "max_configuration_version")):
        if key in host:
            setattr(settings, attribute, type(getattr(settings, attribute))(host[key]))
    if "memory_gb" in host:
        settings.memory_capacity = int(float(host["memory_gb"]) * GIB)
    if machine.os_version.startswith("10.0.2") and int(machine.os_version.split(".")[2]) < 26100:
        settings.max_configuration_version = str(host.get("max_configuration_version", "10.0"))
    settings.default_configuration_version = settings.max_configuration_version
    octet = int(machine.address.rsplit(".", 1)[-1]) % 256
    settings.mac_minimum = f"00155D{octet:02X}0000"
    settings.mac_maximum = f"00155D{octet:02X}FFFF"
    for item in spec.get("switches") or []:
        from hvsim.world.hyperv_network import attach_switch  # the management OS side of a switch

        switch = Switch(id=stable_id(machine.name, "switch", str(item["name"]).lower()), name=str(item["name"]),
                        switch_type=str(item.get("type", "private")).capitalize(),
                        allow_management_os=bool(item.get("allow_management_os", False)), notes=str(item.get("notes", "")))
        if switch.switch_type == "External":
            switch.net_adapter = str(item["net_adapter"])
        state.switches[switch.name] = switch
        attach_switch(machine, switch, [str(a) for a in item.get("management_ipv4") or []])
    for item in spec.get("vms") or []:
        vm = _vm_from_spec(machine, state, item, world.clock.timestamp())
        state.vms[vm.id] = vm
    from hvsim.world.vhd import sync_open_files

    if machine.fs is not None:
        sync_open_files(machine, state)
    hook = getattr(machine.platform, "on_restart", None)
    if hook is not None:
        hook(lambda: restart_vms(machine))
    return state


def restart_vms(machine: Machine) -> None:
    """The host restarts: each running VM takes its automatic stop action (Save, ShutDown, TurnOff), then its
    automatic start action when the host is back (Start, StartIfRunning, Nothing)."""
    from hvsim.world.vhd import sync_open_files

    state = machine.hyperv
    if state is None:
        return
    for vm in state.vms.values():
        was_running = vm.state in ("Running", "Paused")
        if was_running:
            vm.state = "Saved" if vm.automatic_stop_action == "Save" else "Off"
        if vm.automatic_start_action == "Start" or (vm.automatic_start_action == "StartIfRunning" and was_running):
            vm.state = "Running"
    if machine.fs is not None:
        sync_open_files(machine, state)


def _state_of(value: typing.Any) -> str:
    """A VM state from YAML, where a bare ``Off``/``On`` reads as a boolean."""
    if isinstance(value, bool):
        return "Running" if value else "Off"
    return str(value).capitalize() if str(value).lower() in ("off", "running", "paused", "saved") else str(value)


def _vm_from_spec(machine: Machine, state: HyperVState, item: dict[str, typing.Any], now: str) -> VM:
    """A VM of the estate; its checkpoints were created at ``now`` (the world clock's, when the estate is built)."""
    name = str(item["name"])
    generation = int(item.get("generation", 2))
    vm = VM(id=stable_id(machine.name, "vm", name.lower()), name=name, generation=generation,
            version=str(item.get("version", state.host.default_configuration_version)),
            path=str(item.get("path", state.host.virtual_machine_path)), state=_state_of(item.get("state", "Off")),
            processor_count=int(item.get("processor_count", 1)), notes=str(item.get("notes", "")))
    memory = item.get("memory") or {}
    vm.startup = int(memory.get("startup_mb", 1024)) * MIB
    vm.dynamic_memory = bool(memory.get("dynamic", False))
    vm.minimum = int(memory.get("minimum_mb", 512)) * MIB
    vm.maximum = int(memory.get("maximum_mb", 1048576)) * MIB
    firmware = item.get("firmware") or {}
    vm.secure_boot = bool(firmware.get("secure_boot", True))
    vm.secure_boot_template = str(firmware.get("template", "MicrosoftWindows"))
    if generation == 2:
        vm.scsi_controllers = 1
    else:
        vm.dvd_drives.append(Drive("IDE", 1, 0, None))
    for disk in item.get("disks") or []:
        controller = str(disk.get("controller", "SCSI")).upper()
        vm.hard_drives.append(Drive(controller, int(disk.get("number", 0)), int(disk.get("location", 0)), str(disk["path"])))
        if controller == "SCSI":
            vm.scsi_controllers = max(vm.scsi_controllers, int(disk.get("number", 0)) + 1)
    for index, adapter in enumerate(item.get("network_adapters") or []):
        vlan_spec = adapter.get("vlan") or {}
        vlan = Vlan()
        if vlan_spec.get("mode") == "access":
            vlan = Vlan(mode="Access", access_id=int(vlan_spec["id"]))
        elif vlan_spec.get("mode") == "trunk":
            vlan = Vlan(mode="Trunk", native_id=int(vlan_spec.get("native_id", 0)),
                        allowed=[int(v) for v in vlan_spec.get("allowed", [])])
        vm.adapters.append(NetworkAdapter(
            name=str(adapter.get("name", "Network Adapter")),
            id=f"Microsoft:{vm.id.upper()}\\{stable_id(vm.id, 'nic', str(index)).upper()}",
            switch_name=adapter.get("switch"), mac_address=state.next_mac() if vm.state != "Off" else "000000000000",
            vlan=vlan, guest_ip_addresses=[str(address) for address in adapter.get("ip_addresses") or []]))
    for checkpoint in item.get("checkpoints") or []:
        snapshot = Checkpoint(id=stable_id(vm.id, "checkpoint", str(checkpoint["name"])), name=str(checkpoint["name"]),
                              parent_id=vm.current_checkpoint, snapshot_type="Standard",
                              creation_time=now,
                              vm_state="Off", config=vm.settings())
        vm.checkpoints[snapshot.id] = snapshot
        vm.current_checkpoint = snapshot.id
    return vm


# -- lookups ----------------------------------------------------------------------------------------

def host_of(inv: Invocation) -> tuple[Machine, HyperVState]:
    """The machine the session runs on and its Hyper-V state (a remote -ComputerName is not simulated)."""
    machine = inv.world.machines[inv.principal.machine]
    if inv.get("ComputerName") or inv.get("CimSession"):
        raise CmdletError(hv_error(inv, "hvsim runs Hyper-V cmdlets on the session's own host only "
                                        "(-ComputerName/-CimSession are not simulated)", "NotImplemented", "NotImplemented"))
    if machine.hyperv is None or not is_installed(machine):
        raise CmdletError(hv_error(
            inv, "The Hyper-V Virtual Machine Management service is not running on this computer. Hyper-V is not "
                 "installed, or the computer has not been restarted since it was installed.",
            "ObjectNotFound", "ServiceNotRunning"))
    return machine, machine.hyperv


def not_found_vm(inv: Invocation, name: str) -> ErrorInfo:
    return hv_error(inv, f"Hyper-V was unable to find a virtual machine with name \"{name}\".",
                    "InvalidArgument", "InvalidParameter", target=name)


def vms_from(inv: Invocation, parameter: str = "VM", name_parameter: str = "Name") -> list[VM]:
    """The VMs a VM-acting cmdlet targets: piped VM objects, -VM, or -Name/-VMName (wildcards allowed)."""
    _machine, state = host_of(inv)
    given = inv.get(parameter)
    if given is not None:
        found = []
        for item in given if isinstance(given, list) else [given]:
            vm = vm_of_object(state, item)
            if vm is None:
                inv.write_error(hv_error(inv, "The virtual machine no longer exists on this host.", "ObjectNotFound",
                                         "ObjectNotFound"))
            else:
                found.append(vm)
        return found
    names = inv.get(name_parameter)
    if names is None:
        return []
    result: list[VM] = []
    for name in names if isinstance(names, list) else [names]:
        matches = [vm for vm in state.vms.values() if wildcard.matches(name, vm.name)]
        if wildcard.contains_wildcard(name):
            result.extend(matches)
            continue
        if not matches:
            inv.write_error(not_found_vm(inv, name))
        result.extend(matches)
    return result


def vm_of_object(state: HyperVState, item: typing.Any) -> VM | None:
    """The VM a piped object stands for (a VirtualMachine, or a part carrying VMId)."""
    if isinstance(item, PSOutObject):
        for key in ("VMId", "Id"):
            value = item.properties.get(key)
            if value is not None and str(value).lower() in state.vms:
                return state.vms[str(value).lower()]
        return None
    if isinstance(item, str):
        matches = state.vms_named(item)
        return matches[0] if matches else None
    return None


def share_problem(world: typing.Any, host: typing.Any, path: str) -> str | None:
    """Hyper-V (the VMMS service) opens a VM's files on an SMB share as the host's computer account: None when
    share and NTFS permissions let that account write ``path``, else the error Hyper-V reports."""
    from hvsim.world.filesystem import FsError, resolve
    from hvsim.world.smb import can_access

    if not path.startswith("\\\\") or world.domain is None:
        return None
    account = f"{world.domain.netbios}\\{host.netbios}$"
    try:
        server, local = resolve(world, host, path)
    except FsError:
        return f"'{host.netbios}' cannot reach '{path}': the network name cannot be found. (0x80070043)"
    share_name = [part for part in path[2:].split("\\") if part][1]
    if can_access(world, server, share_name, local, account, write=True):
        return None
    return (f"Account '{account}' does not have permission to open attachment '{path}'. Error: 'General access "
            "denied error' (0x80070005).")


def require_state(inv: Invocation, vm: VM, allowed: tuple[str, ...], device: str) -> None:
    if vm.state not in allowed:
        raise CmdletError(hv_error(
            inv, f"'{vm.name}' failed to modify device '{device}'. The operation cannot be performed while the "
                 f"virtual machine is in its current state. (Virtual machine ID {vm.id.upper()})", target=vm.name))


# -- output objects ---------------------------------------------------------------------------------

def vm_object(machine: Machine, vm: VM) -> PSOutObject:
    """Get-VM's VirtualMachine with its whole property set (hvsim.world.hyperv_types); devices as their objects."""
    from hvsim.world.hyperv_adapters import adapter_object
    from hvsim.world.hyperv_devices import drive_object

    parent = vm.checkpoints.get(vm.current_checkpoint) if vm.current_checkpoint else None
    running = vm.state in ("Running", "Paused")
    return shaped(
        [f"{NS}.VirtualMachine", f"{NS}.VirtualMachineBase", f"{NS}.VirtualizationObject"],
        {
            "Name": vm.name, "VMName": vm.name, "Id": vm.id, "VMId": vm.id, "State": enum("VMState", VM_STATES, vm.state),
            "Generation": vm.generation, "Version": vm.version, "Path": vm.path, "ConfigurationLocation": vm.path,
            "SnapshotFileLocation": vm.path, "CheckpointFileLocation": vm.path, "SmartPagingFilePath": vm.path,
            "Notes": vm.notes, "ProcessorCount": vm.processor_count, "MemoryStartup": vm.startup,
            "DynamicMemoryEnabled": vm.dynamic_memory, "MemoryMinimum": vm.minimum, "MemoryMaximum": vm.maximum,
            "MemoryAssigned": vm.startup if running else 0,
            "AutomaticStartAction": enum("StartAction", START_ACTIONS, vm.automatic_start_action),
            "AutomaticStopAction": enum("StopAction", STOP_ACTIONS, vm.automatic_stop_action),
            "CheckpointType": enum("CheckpointType", CHECKPOINT_TYPES, vm.checkpoint_type),
            "EnhancedSessionTransportType": enum("EnhancedSessionTransportType", SESSION_TRANSPORTS,
                                                 vm.enhanced_session_transport),
            "ReplicationState": enum("VMReplicationState", REPLICATION_STATES, vm.replication_state),
            "ReplicationHealth": enum("VMReplicationHealthState", {"NotApplicable": 0, "Normal": 1, "Warning": 2,
                                                                   "Critical": 3}, vm.replication_health),
            "ReplicationMode": enum("VMReplicationMode", {"None": 0, "Primary": 1, "Replica": 2, "TestReplica": 3,
                                                          "ExtendedReplica": 4}, vm.replication_mode),
            "ComputerName": machine.netbios, "IsClustered": False, "Status": "Operating normally",
            "ParentSnapshotId": parent.id if parent else None, "ParentSnapshotName": parent.name if parent else None,
            "ParentCheckpointId": parent.id if parent else None,
            "ParentCheckpointName": parent.name if parent else None,
            "VirtualMachineSubType": PSEnumValue(f"{NS}.VirtualMachineSubType", f"Generation{vm.generation}",
                                                 vm.generation),
            "VirtualMachineType": PSEnumValue(f"{NS}.VirtualMachineType", "RealizedVirtualMachine", 3),
            "NetworkAdapters": [adapter_object(machine, vm, adapter) for adapter in vm.adapters],
            "HardDrives": [drive_object(machine, vm, drive, False) for drive in vm.hard_drives],
            "DVDDrives": [drive_object(machine, vm, drive, True) for drive in vm.dvd_drives],
        },
        to_string=f"VirtualMachine (Name = '{vm.name}') [Id = '{vm.id}']")


def part_object(type_name: str, vm: VM, machine: Machine, properties: dict[str, typing.Any],
                bases: tuple[str, ...] = ()) -> PSOutObject:
    """A VM's part (memory, drive, snapshot, ...): the full property set where hvsim.world.hyperv_types has it."""
    type_names = [f"{NS}.{type_name}", *(f"{NS}.{b}" for b in bases), f"{NS}.VirtualizationObject"]
    values = {"VMId": vm.id, "VMName": vm.name, "ComputerName": machine.netbios, **properties}
    # the ToString recorded for a VM's network adapter, assumed for its other named components (DESIGN.md)
    text = f"{type_name} (Name = '{values['Name']}', VMName = '{vm.name}') [VMId = '{vm.id}']" \
        if values.get("Name") else None
    if type_names[0] in PROPERTIES:
        return shaped(type_names, values, to_string=text)
    return PSOutObject(type_names=type_names, properties=values, to_string=text)


def size(value: int) -> UInt64:
    return UInt64(value)
