# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the user asked of a VM (hyperv_vm's options as typed data) and the checks that need no host.

FOR INTERNAL COLLECTION USE ONLY.

``None`` always means "leave it as it is" (or Hyper-V's default when the VM is created). The
mappings from our option values to Hyper-V's enum names live here and nowhere else.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import name_problem, path_problem, problems_of
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import disk_format, parse_size, size_problems

MB = 1024**2
STATES = ("present", "absent", "running", "stopped", "paused", "saved", "restarted")
# Option value -> Hyper-V enum name.
START_ACTIONS = {"nothing": "Nothing", "start_if_running": "StartIfRunning", "start": "Start"}
STOP_ACTIONS = {"turn_off": "TurnOff", "save": "Save", "shut_down": "ShutDown"}
CHECKPOINT_TYPES = {"disabled": "Disabled", "production": "Production", "production_only": "ProductionOnly",
                    "standard": "Standard"}
SESSION_TRANSPORTS = {"vmbus": "VMBus", "hvsocket": "HvSocket"}
SECURE_BOOT_TEMPLATES = ("MicrosoftWindows", "MicrosoftUEFICertificateAuthority", "OpenSourceShieldedVM")
# Generation 1 boot devices (Set-VMBios -StartupOrder, BootDevice enum names).
BIOS_BOOT_DEVICES = ("CD", "IDE", "LegacyNetworkAdapter", "Floppy")
CONTROLLER_TYPES = {"ide": "IDE", "scsi": "SCSI"}
VLAN_MODES = ("untagged", "access", "trunk")
# Hyper-V's lower bound for VM memory; every memory value is a multiple of 2 MB.
MIN_MEMORY_MB = 32
_MAC = re.compile(r"^[0-9A-F]{12}$")


@dataclasses.dataclass(frozen=True)
class MemorySpec:
    startup_mb: int | None = None
    dynamic: bool | None = None
    minimum_mb: int | None = None
    maximum_mb: int | None = None
    buffer_percent: int | None = None


@dataclasses.dataclass(frozen=True)
class FirmwareSpec:
    secure_boot: bool | None = None
    secure_boot_template: str | None = None
    boot_order: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True)
class DiskSpec:
    path: str
    vhd_type: str = "dynamic"
    size: int | None = None
    parent_path: str | None = None
    controller_type: str | None = None  # "IDE" | "SCSI" (Hyper-V spelling); None: IDE on gen 1, SCSI on gen 2
    controller_number: int | None = None
    controller_location: int | None = None


@dataclasses.dataclass(frozen=True)
class DvdSpec:
    state: str = "present"
    path: str | None = None  # ISO file; None: an empty drive
    controller_number: int | None = None
    controller_location: int | None = None


@dataclasses.dataclass(frozen=True)
class VlanSpec:
    mode: str = "untagged"
    vlan_id: int | None = None  # access mode
    allowed: tuple[int, ...] = ()  # trunk mode, sorted
    native_id: int | None = None  # trunk mode

    def to_result(self) -> dict[str, t.Any]:
        return {"mode": self.mode, "id": self.vlan_id, "allowed": list(self.allowed), "native_id": self.native_id}


@dataclasses.dataclass(frozen=True)
class AdapterSpec:
    name: str
    switch: str | None = None
    connected: bool = True  # False: disconnect from any switch
    mac_address: str | None = None  # 12 hex digits upper case, "dynamic", or None (leave)
    vlan: VlanSpec | None = None
    mac_address_spoofing: bool | None = None


@dataclasses.dataclass(frozen=True)
class VmSpec:
    name: str
    state: str = "present"
    generation: int | None = None
    configuration_version: str | None = None
    path: str | None = None
    processor_count: int | None = None
    expose_virtualization_extensions: bool | None = None
    enhanced_session_transport_type: str | None = None  # Hyper-V enum name
    memory: MemorySpec = MemorySpec()
    firmware: FirmwareSpec = FirmwareSpec()
    notes: str | None = None
    automatic_start_action: str | None = None  # Hyper-V enum name
    automatic_stop_action: str | None = None
    checkpoint_type: str | None = None
    disks: tuple[DiskSpec, ...] = ()
    dvd: DvdSpec | None = None
    network_adapters: tuple[AdapterSpec, ...] | None = None
    allow_restart: bool = False
    remove_disks: bool = False
    shutdown_method: str = "shutdown"  # shutdown | turn_off


class SpecError(ValueError):
    """The options contradict themselves or Hyper-V's rules; found before connecting."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _vlan_ids(value: t.Any, what: str, problems: list[str]) -> tuple[int, ...]:
    """VLAN ids from a list of numbers and ranges ('100-110') or one such comma separated string."""
    items: list[t.Any] = value if isinstance(value, list) else str(value).split(",")
    ids: set[int] = set()
    for item in items:
        text = str(item).strip()
        match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", text)
        if not match:
            problems.append(f"{what}: not a VLAN id or range: {item!r}")
            continue
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if low > high or not (1 <= low and high <= 4094):
            problems.append(f"{what}: VLAN ids are 1 to 4094, not {text}")
            continue
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def _vlan_spec(raw: dict[str, t.Any], adapter: str, problems: list[str]) -> VlanSpec:
    mode = raw.get("mode") or "untagged"
    where = f"network adapter '{adapter}' vlan"
    vlan_id = raw.get("id")
    if vlan_id is not None and not 1 <= vlan_id <= 4094:
        problems.append(f"{where}: VLAN ids are 1 to 4094, not {vlan_id}")
    native = raw.get("native_id")
    if native is not None and not 0 <= native <= 4094:
        problems.append(f"{where}: native_id is 0 (none) to 4094, not {native}")
    if mode == "access":
        if vlan_id is None:
            problems.append(f"{where}: mode access needs id")
        return VlanSpec("access", vlan_id=vlan_id)
    if mode == "trunk":
        allowed = _vlan_ids(raw.get("allowed") or [], f"{where} allowed", problems)
        if not allowed:
            problems.append(f"{where}: mode trunk needs allowed (a list of VLAN ids or ranges)")
        return VlanSpec("trunk", allowed=allowed, native_id=native if native is not None else 0)
    if vlan_id is not None or raw.get("allowed") or native is not None:
        problems.append(f"{where}: mode untagged takes no id, allowed or native_id")
    return VlanSpec("untagged")


def normalize_mac(value: str) -> str | None:
    """'00:15:5d:01:02:03', '00-15-5D-01-02-03' or '00155D010203' -> '00155D010203'; None if not a MAC."""
    text = re.sub(r"[:\-.]", "", value.strip()).upper()
    return text if _MAC.match(text) else None


def _adapter_spec(raw: dict[str, t.Any], problems: list[str]) -> AdapterSpec:
    name = raw["name"]
    mac = raw.get("mac_address")
    if mac is not None and mac.lower() != "dynamic":
        normalized = normalize_mac(mac)
        if normalized is None:
            problems.append(f"network adapter '{name}': mac_address {mac!r} is not 12 hex digits (or 'dynamic')")
        elif int(normalized[1], 16) & 1:
            problems.append(f"network adapter '{name}': {mac} is a multicast address; a NIC needs a unicast MAC")
        mac = normalized
    elif mac is not None:
        mac = "dynamic"
    vlan = _vlan_spec(raw["vlan"], name, problems) if raw.get("vlan") is not None else None
    return AdapterSpec(name=name, switch=raw.get("switch"), connected=raw.get("connected", True), mac_address=mac,
                       vlan=vlan, mac_address_spoofing=raw.get("mac_address_spoofing"))


def _disk_spec(raw: dict[str, t.Any], problems: list[str]) -> DiskSpec:
    path = raw["path"]
    size = None
    if raw.get("size") is not None:
        try:
            size = parse_size(raw["size"], f"disk '{path}' size")
            problems.extend(size_problems(path, size))
        except ValueError as exc:
            problems.append(str(exc))
    problems.extend(problems_of(path_problem(f"disk '{path}' path", path),
                                path_problem(f"disk '{path}' parent_path", raw.get("parent_path"))))
    if disk_format(path) is None:
        problems.append(f"disk '{path}': the file name must end in .vhd or .vhdx")
    vhd_type = raw.get("type") or "dynamic"
    if vhd_type == "differencing" and not raw.get("parent_path"):
        problems.append(f"disk '{path}': type differencing needs parent_path")
    if raw.get("parent_path") and vhd_type != "differencing":
        problems.append(f"disk '{path}': parent_path is only for type differencing")
    controller = raw.get("controller_type")
    return DiskSpec(path=path, vhd_type=vhd_type, size=size, parent_path=raw.get("parent_path"),
                    controller_type=CONTROLLER_TYPES[controller] if controller else None,
                    controller_number=raw.get("controller_number"), controller_location=raw.get("controller_location"))


def _memory_problems(memory: MemorySpec) -> list[str]:
    problems = []
    for field in ("startup_mb", "minimum_mb", "maximum_mb"):
        value = getattr(memory, field)
        if value is None:
            continue
        if value < MIN_MEMORY_MB:
            problems.append(f"memory {field} must be at least {MIN_MEMORY_MB} MB, not {value}")
        elif value % 2:
            problems.append(f"memory {field} must be a multiple of 2 MB, not {value}")
    if memory.buffer_percent is not None and not 5 <= memory.buffer_percent <= 2000:
        problems.append(f"memory buffer_percent must be 5 to 2000, not {memory.buffer_percent}")
    if memory.dynamic is False and (memory.minimum_mb is not None or memory.maximum_mb is not None):
        problems.append("memory minimum_mb and maximum_mb apply to dynamic memory; set dynamic: true or drop them")
    problems.extend(memory_order_problems(memory.startup_mb, memory.minimum_mb, memory.maximum_mb))
    return problems


def memory_order_problems(startup: int | None, minimum: int | None, maximum: int | None) -> list[str]:
    """Dynamic memory needs minimum <= startup <= maximum (each check only where both values are known)."""
    problems = []
    if minimum is not None and startup is not None and minimum > startup:
        problems.append(f"memory minimum_mb ({minimum}) is above startup_mb ({startup})")
    if maximum is not None and startup is not None and maximum < startup:
        problems.append(f"memory maximum_mb ({maximum}) is below startup_mb ({startup})")
    if minimum is not None and maximum is not None and minimum > maximum:
        problems.append(f"memory minimum_mb ({minimum}) is above maximum_mb ({maximum})")
    return problems


def generation_problems(spec: VmSpec, generation: int) -> list[str]:
    """What generation ``generation`` cannot do of what ``spec`` asks; checked again once the VM is read."""
    problems = []
    for disk in spec.disks:
        for path in (disk.path, disk.parent_path):
            if generation == 2 and path and disk_format(path) == "vhd":
                problems.append(f"disk '{path}': generation 2 VMs use VHDX only; use a .vhdx file "
                                "(winvirt.hyperv.hyperv_vhd convert_from can convert a .vhd)")
        if generation == 2 and disk.controller_type == "IDE":
            problems.append(f"disk '{disk.path}': generation 2 VMs have no IDE controller; use controller_type scsi")
    if generation == 1 and spec.firmware.secure_boot:
        problems.append("secure boot needs a generation 2 VM (UEFI firmware)")
    if generation == 1 and spec.firmware.secure_boot_template:
        problems.append("secure_boot_template needs a generation 2 VM (UEFI firmware)")
    if spec.firmware.boot_order is not None:
        if generation == 1:
            unknown = [d for d in spec.firmware.boot_order if d not in BIOS_BOOT_DEVICES]
            if unknown:
                problems.append(f"firmware boot_order of a generation 1 VM lists the devices {', '.join(BIOS_BOOT_DEVICES)}; "
                                f"not {', '.join(unknown)}")
        else:
            problems.append("firmware boot_order is supported for generation 1 VMs only: a generation 2 boot order "
                            "is a list of device objects that cannot be sent as plain values")
    return problems


def _firmware(raw: dict[str, t.Any] | None) -> FirmwareSpec:
    raw = raw or {}
    order = raw.get("boot_order")
    return FirmwareSpec(secure_boot=raw.get("secure_boot"), secure_boot_template=raw.get("secure_boot_template"),
                        boot_order=tuple(order) if order is not None else None)


def _dvd(raw: dict[str, t.Any] | None) -> DvdSpec | None:
    if raw is None:
        return None
    return DvdSpec(state=raw.get("state") or "present", path=raw.get("path") or None,
                   controller_number=raw.get("controller_number"), controller_location=raw.get("controller_location"))


def _pick(mapping: dict[str, str], value: str | None) -> str | None:
    return mapping[value] if value is not None else None


def build_spec(params: dict[str, t.Any]) -> VmSpec:
    """Module parameters -> VmSpec, or SpecError listing every problem found without a host."""
    problems: list[str] = problems_of(name_problem("name", params.get("name")), path_problem("path", params.get("path")))
    memory_raw = params.get("memory") or {}
    memory = MemorySpec(**{key: memory_raw.get(key) for key in
                           ("startup_mb", "dynamic", "minimum_mb", "maximum_mb", "buffer_percent")})
    problems.extend(_memory_problems(memory))
    processors = params.get("processor_count")
    if processors is not None and processors < 1:
        problems.append(f"processor_count must be at least 1, not {processors}")
    disks = tuple(_disk_spec(raw, problems) for raw in params.get("disks") or [])
    seen: set[str] = set()
    for disk in disks:
        key = disk.path.lower()
        if key in seen:
            problems.append(f"disk '{disk.path}' is listed twice")
        seen.add(key)
    adapters_raw = params.get("network_adapters")
    adapters = tuple(_adapter_spec(raw, problems) for raw in adapters_raw) if adapters_raw is not None else None
    names = [a.name.lower() for a in adapters or ()]
    if len(set(names)) != len(names):
        problems.append("network_adapters lists an adapter name twice; adapters are matched by name")
    problems.extend(problems_of(path_problem("dvd.path", (params.get("dvd") or {}).get("path") or None)))
    version = params.get("configuration_version")
    if version is not None and not re.fullmatch(r"\d+\.\d+", version):
        problems.append(f"configuration_version is a version such as 12.0, not {version!r}")
    spec = VmSpec(
        name=params["name"],
        state=params.get("state") or "present",
        generation=params.get("generation"),
        configuration_version=version,
        path=params.get("path"),
        processor_count=processors,
        expose_virtualization_extensions=params.get("expose_virtualization_extensions"),
        enhanced_session_transport_type=_pick(SESSION_TRANSPORTS, params.get("enhanced_session_transport_type")),
        memory=memory,
        firmware=_firmware(params.get("firmware")),
        notes=params.get("notes"),
        automatic_start_action=_pick(START_ACTIONS, params.get("automatic_start_action")),
        automatic_stop_action=_pick(STOP_ACTIONS, params.get("automatic_stop_action")),
        checkpoint_type=_pick(CHECKPOINT_TYPES, params.get("checkpoint_type")),
        disks=disks,
        dvd=_dvd(params.get("dvd")),
        network_adapters=adapters,
        allow_restart=bool(params.get("allow_restart")),
        remove_disks=bool(params.get("remove_disks")),
        shutdown_method=params.get("shutdown_method") or "shutdown",
    )
    if spec.generation is not None:
        problems.extend(generation_problems(spec, spec.generation))
    if spec.firmware.secure_boot is False and spec.firmware.secure_boot_template:
        problems.append("secure_boot_template needs secure_boot on (or not set)")
    if problems:
        raise SpecError(problems)
    return spec


def memory_bytes(mb: int) -> int:
    return mb * MB
