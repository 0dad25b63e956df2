# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM as the host reports it: the read batch, its parsing, and the view modules return.

FOR INTERNAL COLLECTION USE ONLY.

One batch reads the VM and its parts (memory, firmware, drives, adapters, VLANs), each by the VM's
name as a parameter value (``Get-VMMemory -VMName x``). Names go out with their wildcard characters
escaped (``Cmd``), so they find exactly that name; two VMs of one name both come back (told apart by
VMId) and the modules refuse them. An existing VM is addressed by its Id from then on (``Get-VM -Id x |``).
"""

from __future__ import annotations

import copy
import dataclasses
import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_spec import MB, VlanSpec

VM_PROPERTIES = ["Name", "Id", "State", "Generation", "Version", "Path", "Notes", "ProcessorCount",
                 "AutomaticStartAction", "AutomaticStopAction", "CheckpointType", "ReplicationState",
                 "ReplicationHealth", "ReplicationMode", "ComputerName", "EnhancedSessionTransportType"]
MEMORY_PROPERTIES = ["VMId", "Startup", "DynamicMemoryEnabled", "Minimum", "Maximum", "Buffer"]
FIRMWARE_PROPERTIES = ["VMId", "SecureBoot", "SecureBootTemplate"]
BIOS_PROPERTIES = ["VMId", "StartupOrder"]
DRIVE_PROPERTIES = ["VMId", "Path", "ControllerType", "ControllerNumber", "ControllerLocation"]
CONTROLLER_PROPERTIES = ["VMId", "ControllerNumber"]
# IPAddresses: what the guest reports through its Data Exchange integration service, so only while it runs
ADAPTER_PROPERTIES = ["VMId", "Id", "Name", "SwitchName", "MacAddress", "DynamicMacAddressEnabled", "MacAddressSpoofing",
                      "IPAddresses"]
PROCESSOR_PROPERTIES = ["VMId", "ExposeVirtualizationExtensions"]
# ParentAdapter names the adapter a VLAN setting belongs to. Selected with Select-Object it is a note property, which
# remoting serializes at the row's own depth, so it arrives as an object with its Id (tests/hvsim/DESIGN.md,
# serialization). Read straight from the VLAN object it would arrive as its ToString(); parent_adapter_id takes an
# "Id = '...'" from that text too, but Windows Server 2019's text names only VMId, so the object form is the one relied on.
VLAN_PROPERTIES = ["OperationMode", "AccessVlanId", "NativeVlanId", "AllowedVlanIdList", "ParentAdapter"]
_ADAPTER_ID = re.compile(r"(?<![A-Za-z])Id = '([^']*)'")
# The parts read for every VM, in the order of the read batch (after Get-VM itself).
PARTS: tuple[tuple[str, list[str]], ...] = (
    ("Get-VMMemory", MEMORY_PROPERTIES),
    ("Get-VMFirmware", FIRMWARE_PROPERTIES),
    ("Get-VMBios", BIOS_PROPERTIES),
    ("Get-VMHardDiskDrive", DRIVE_PROPERTIES),
    ("Get-VMDvdDrive", DRIVE_PROPERTIES),
    ("Get-VMScsiController", CONTROLLER_PROPERTIES),
    ("Get-VMNetworkAdapter", ADAPTER_PROPERTIES),
    ("Get-VMNetworkAdapterVlan", VLAN_PROPERTIES),
    ("Get-VMProcessor", PROCESSOR_PROPERTIES),
)


def select_vm(name: str | None = None, vm_id: str | None = None) -> Cmd:
    """A fresh command that outputs the VM: by Id when known, else by exact name."""
    if vm_id is not None:
        return Cmd("Get-VM", {"Id": vm_id})
    if name is None:
        raise ValueError("select_vm needs a name or an Id")
    return Cmd("Get-VM", {"Name": name})


# The parameter that names the VM, for the cmdlets that take one (Microsoft's cmdlet reference, as in the cmdlet
# catalog; tests/unit/test_batch.py checks it): ``Set-VMMemory -VMName x`` is one command where
# ``Get-VM -Name x | Set-VMMemory`` is two, and the name is matched exactly the same way (escaped by Cmd).
VM_NAME_PARAMETER = {
    **dict.fromkeys(("Add-VMDvdDrive", "Add-VMHardDiskDrive", "Add-VMNetworkAdapter", "Add-VMScsiController",
                     "Connect-VMNetworkAdapter", "Disconnect-VMNetworkAdapter", "Set-VMNetworkAdapter",
                     "Set-VMNetworkAdapterVlan", "Get-VMBios", "Get-VMDvdDrive", "Get-VMFirmware", "Get-VMHardDiskDrive", "Get-VMMemory",
                     "Get-VMNetworkAdapter", "Get-VMNetworkAdapterVlan", "Get-VMProcessor", "Get-VMScsiController",
                     "Get-VMSnapshot", "Remove-VMSavedState", "Set-VMBios", "Set-VMFirmware", "Set-VMMemory",
                     "Set-VMProcessor"), "VMName"),
    **dict.fromkeys(("Restart-VM", "Resume-VM", "Save-VM", "Set-VM", "Start-VM", "Stop-VM", "Suspend-VM",
                     "Update-VMVersion", "Remove-VM"), "Name"),
}


def from_vm(selector: Cmd, cmdlet: str, parameters: dict[str, t.Any] | None = None, *,
            select: list[str] | None = None, missing_ok: bool = False) -> Cmd:
    """``<cmdlet> -VMName <name>`` when the selector names the VM (every VM when it names none) and the cmdlet
    takes a VM name; else ``<selector> | <cmdlet> <parameters>``, the VM object bound by the pipeline (a VM
    addressed by its Id)."""
    by_name = selector.cmdlet == "Get-VM" and not selector.piped and set(selector.parameters) <= {"Name"}
    name = selector.parameters.get("Name")
    patterns = selector.patterns or name is None
    # a pattern lookup sends its names unescaped: only the VM's, so no other parameter may carry a name
    if by_name and cmdlet in VM_NAME_PARAMETER and not (patterns and parameters):
        return Cmd(cmdlet, {VM_NAME_PARAMETER[cmdlet]: "*" if name is None else name, **(parameters or {})},
                   select=select, missing_ok=missing_ok, patterns=patterns)
    return Cmd(selector.cmdlet, dict(selector.parameters), select=select, missing_ok=missing_ok,
               patterns=selector.patterns,
               piped=[*(Cmd(p.cmdlet, dict(p.parameters), patterns=p.patterns) for p in selector.piped),
                      Cmd(cmdlet, parameters or {})])


def read_vm_commands(selector: Cmd) -> list[Cmd]:
    """Get-VM and every part, all tolerant of a VM that does not exist."""
    first = Cmd(selector.cmdlet, dict(selector.parameters), select=VM_PROPERTIES, missing_ok=True,
                patterns=selector.patterns, piped=[Cmd(p.cmdlet, dict(p.parameters), patterns=p.patterns)
                                                   for p in selector.piped])
    return [first, *(from_vm(selector, cmdlet, select=select, missing_ok=True) for cmdlet, select in PARTS)]


@dataclasses.dataclass
class Drive:
    path: str | None
    controller_type: str  # IDE | SCSI
    controller_number: int
    controller_location: int

    def to_result(self) -> dict[str, t.Any]:
        return {"path": self.path, "controller_type": self.controller_type, "controller_number": self.controller_number,
                "controller_location": self.controller_location}

    def at(self, controller_type: str, number: int, location: int) -> bool:
        return (self.controller_type.upper(), self.controller_number, self.controller_location) == \
            (controller_type.upper(), number, location)


@dataclasses.dataclass
class Adapter:
    name: str
    switch: str | None
    mac_address: str | None
    dynamic_mac: bool | None
    vlan: VlanSpec
    mac_address_spoofing: bool | None = None
    ip_addresses: list[str] = dataclasses.field(default_factory=list)  # as the guest reports them (read-only)

    def to_result(self) -> dict[str, t.Any]:
        return {"name": self.name, "switch": self.switch, "mac_address": self.mac_address,
                "dynamic_mac": self.dynamic_mac, "vlan": self.vlan.to_result(),
                "mac_address_spoofing": self.mac_address_spoofing, "ip_addresses": list(self.ip_addresses)}


@dataclasses.dataclass
class VmView:
    """The VM as it is (or as the plan predicts it); None in a field means not known."""

    name: str
    id: str | None
    state: str
    generation: int
    version: str | None = None
    path: str | None = None
    notes: str | None = None
    processor_count: int | None = None
    expose_virtualization_extensions: bool | None = None
    enhanced_session_transport_type: str | None = None  # VMBus | HvSocket (Hyper-V's spelling)
    startup_mb: int | None = None
    dynamic_memory: bool | None = None
    minimum_mb: int | None = None
    maximum_mb: int | None = None
    buffer_percent: int | None = None
    secure_boot: bool | None = None
    secure_boot_template: str | None = None
    boot_order: list[str] | None = None
    automatic_start_action: str | None = None
    automatic_stop_action: str | None = None
    checkpoint_type: str | None = None
    disks: list[Drive] = dataclasses.field(default_factory=list)
    dvd_drives: list[Drive] = dataclasses.field(default_factory=list)
    scsi_controllers: int | None = None
    adapters: list[Adapter] = dataclasses.field(default_factory=list)
    replication_state: str | None = None
    replication_health: str | None = None
    replication_mode: str | None = None  # None | Primary | Replica | TestReplica | ExtendedReplica
    host: str | None = None

    def copy(self) -> VmView:
        return copy.deepcopy(self)

    def adapter(self, name: str) -> Adapter | None:
        return next((a for a in self.adapters if a.name.lower() == name.lower()), None)

    def to_result(self) -> dict[str, t.Any]:
        firmware = None
        if self.generation == 2:
            firmware = {"secure_boot": self.secure_boot, "secure_boot_template": self.secure_boot_template,
                        "boot_order": None}
        elif self.boot_order is not None:
            firmware = {"secure_boot": None, "secure_boot_template": None, "boot_order": self.boot_order}
        return {
            "name": self.name,
            "id": self.id,
            "state": self.state,
            "generation": self.generation,
            "configuration_version": self.version,
            "path": self.path,
            "notes": self.notes,
            "processor_count": self.processor_count,
            "expose_virtualization_extensions": self.expose_virtualization_extensions,
            "enhanced_session_transport_type": (self.enhanced_session_transport_type or "").lower() or None,
            "memory": {"startup_mb": self.startup_mb, "dynamic": self.dynamic_memory, "minimum_mb": self.minimum_mb,
                       "maximum_mb": self.maximum_mb, "buffer_percent": self.buffer_percent},
            "firmware": firmware,
            "automatic_start_action": self.automatic_start_action,
            "automatic_stop_action": self.automatic_stop_action,
            "checkpoint_type": self.checkpoint_type,
            "disks": [d.to_result() for d in self.disks],
            "dvd_drives": [d.to_result() for d in self.dvd_drives],
            "network_adapters": [a.to_result() for a in self.adapters],
            "replication_state": self.replication_state,
            "replication_health": self.replication_health,
            "replication_mode": self.replication_mode,
            "host": self.host,
        }


def _text(value: t.Any) -> str | None:
    return None if value in (None, "") else str(value)


def _texts(value: t.Any) -> list[str]:
    """A string array as PowerShell sends it: a list, one string for a single item, or nothing."""
    if value in (None, ""):
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value]) if item not in (None, "")]


def _mb(value: t.Any) -> int | None:
    return None if value in (None, "") else int(value) // MB


def _int(value: t.Any) -> int | None:
    return None if value in (None, "") else int(value)


def _on(value: t.Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return None
    return str(value).lower() in ("on", "true", "1")


def parse_vlan(row: dict[str, t.Any] | None) -> VlanSpec:
    if not row:
        return VlanSpec("untagged")
    mode = str(row.get("OperationMode") or "Untagged").lower()
    if mode == "access":
        return VlanSpec("access", vlan_id=_int(row.get("AccessVlanId")))
    if mode == "trunk":
        allowed = row.get("AllowedVlanIdList") or []
        if not isinstance(allowed, list):
            allowed = [allowed]
        return VlanSpec("trunk", allowed=tuple(sorted(int(v) for v in allowed)), native_id=_int(row.get("NativeVlanId")))
    return VlanSpec(mode)


def _drive(row: dict[str, t.Any]) -> Drive:
    return Drive(path=_text(row.get("Path")), controller_type=str(row.get("ControllerType") or "").upper(),
                 controller_number=int(row.get("ControllerNumber") or 0),
                 controller_location=int(row.get("ControllerLocation") or 0))


def belongs_to(row: t.Any, vm_id: str | None) -> bool:
    """Whether a part's row is of VM ``vm_id``; a row without a VMId is taken to be (one VM was read)."""
    if not isinstance(row, dict):
        return False
    owner = row.get("VMId")
    return owner in (None, "") or vm_id is None or str(owner).lower() == vm_id.lower()


def _mine(rows: list[t.Any], vm_id: str) -> list[dict[str, t.Any]]:
    return [row for row in rows if belongs_to(row, vm_id)]


def _boot_order(value: t.Any) -> list[str] | None:
    if value in (None, ""):
        return None
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def parse_vms(rows: list[list[t.Any]]) -> list[VmView]:
    """The rows of ``read_vm_commands`` (in that order) -> one view per VM read."""
    vm_rows, memory, firmware, bios, disks, dvds, controllers, adapters, vlans, processors = rows[: 1 + len(PARTS)]
    views = []
    for row in vm_rows:
        if not isinstance(row, dict) or not row.get("Name"):
            continue
        vm_id = str(row.get("Id") or "")
        mem = next(iter(_mine(memory, vm_id)), {})
        fw = next(iter(_mine(firmware, vm_id)), {})
        bios_row = next(iter(_mine(bios, vm_id)), {})
        processor = next(iter(_mine(processors, vm_id)), {})
        generation = int(row.get("Generation") or 1)
        views.append(VmView(
            name=str(row["Name"]),
            id=vm_id,
            state=str(row.get("State") or ""),
            generation=generation,
            version=_text(row.get("Version")),
            path=_text(row.get("Path")),
            notes=row.get("Notes") if row.get("Notes") is not None else None,
            processor_count=_int(row.get("ProcessorCount")),
            expose_virtualization_extensions=_on(processor.get("ExposeVirtualizationExtensions")),
            enhanced_session_transport_type=_text(row.get("EnhancedSessionTransportType")),
            startup_mb=_mb(mem.get("Startup")),
            dynamic_memory=_on(mem.get("DynamicMemoryEnabled")),
            minimum_mb=_mb(mem.get("Minimum")),
            maximum_mb=_mb(mem.get("Maximum")),
            buffer_percent=_int(mem.get("Buffer")),
            secure_boot=_on(fw.get("SecureBoot")) if generation == 2 else None,
            secure_boot_template=_text(fw.get("SecureBootTemplate")) if generation == 2 else None,
            boot_order=_boot_order(bios_row.get("StartupOrder")) if generation == 1 else None,
            automatic_start_action=_text(row.get("AutomaticStartAction")),
            automatic_stop_action=_text(row.get("AutomaticStopAction")),
            checkpoint_type=_text(row.get("CheckpointType")),
            disks=[_drive(d) for d in _mine(disks, vm_id)],
            dvd_drives=[_drive(d) for d in _mine(dvds, vm_id)],
            scsi_controllers=len(_mine(controllers, vm_id)),
            adapters=_adapters(adapters, vlans, vm_id),
            replication_state=_text(row.get("ReplicationState")),
            replication_health=_text(row.get("ReplicationHealth")),
            replication_mode=_text(row.get("ReplicationMode")),
            host=_text(row.get("ComputerName")),
        ))
    return views


def parent_adapter_id(row: t.Any) -> str | None:
    """The Id of the adapter a Get-VMNetworkAdapterVlan row belongs to (its ParentAdapter, as a string or an object)."""
    parent = row.get("ParentAdapter") if isinstance(row, dict) else None
    if isinstance(parent, dict):
        return _text(parent.get("Id"))
    match = _ADAPTER_ID.search(str(parent or ""))
    return match.group(1) if match else None


def _adapters(adapter_rows: list[t.Any], vlan_rows: list[t.Any], vm_id: str) -> list[Adapter]:
    """Adapters of one VM, each with the VLAN setting whose ParentAdapter is that adapter (by adapter Id)."""
    vlans = {key.lower(): row for row in vlan_rows if (key := parent_adapter_id(row))}
    found = []
    for row in adapter_rows:
        if not belongs_to(row, vm_id):
            continue
        vlan_row = vlans.get(str(row.get("Id") or "").lower())
        found.append(Adapter(name=str(row.get("Name")), switch=_text(row.get("SwitchName")),
                             mac_address=_text(row.get("MacAddress")),
                             dynamic_mac=row.get("DynamicMacAddressEnabled") if isinstance(row.get("DynamicMacAddressEnabled"), bool) else None,
                             vlan=parse_vlan(vlan_row),
                             mac_address_spoofing=_on(row.get("MacAddressSpoofing")),
                             ip_addresses=_texts(row.get("IPAddresses"))))
    return found


def exact(views: list[VmView], name: str) -> list[VmView]:
    """The VMs named ``name`` (Hyper-V compares VM names without regard to case)."""
    return [view for view in views if view.name.lower() == name.lower()]
