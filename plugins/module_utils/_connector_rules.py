# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Citrix App Layering Hyper-V connector: the configuration and its rules (pure, no I/O).

FOR INTERNAL COLLECTION USE ONLY.

The appliance refuses a bad configuration only at TEST or SAVE, and a UEFI template without
offload compositing is not refused at all: the published VM bluescreens. So every rule is checked
here first, all at once, each violation with its reason. ``offline_violations`` needs nothing but
the options; ``host_violations`` judges facts read from the agent's host.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import path_problem, problems_of

GIB = 1024 ** 3
AGENT_SERVICE = "Citrix.AppLayering.Agent.Service"
BITS_SERVICE = "BITS"
_UNC_PATH = re.compile(r"^\\\\[^\\]+\\[^\\]+")


@dataclasses.dataclass(frozen=True)
class ConnectorConfig:
    """A Hyper-V connector configuration, as the form has it."""

    name: str
    agent: str
    switch: str
    storage_path: str
    template_vm: str | None = None
    cpus: int = 4
    memory_mb: int = 8192
    generation: int = 1
    disk_format: str = "vhd"
    offload_compositing: bool = False
    unc_path: str | None = None
    layer_cache_size_gb: int = 0

    def to_api(self) -> dict[str, t.Any]:
        """The appliance's JSON form of the configuration."""
        return {
            "name": self.name, "agent": self.agent, "templateVm": self.template_vm, "cpus": self.cpus,
            "memoryMb": self.memory_mb, "switch": self.switch, "generation": self.generation,
            "diskFormat": self.disk_format.upper(), "offloadCompositing": self.offload_compositing,
            "storagePath": self.storage_path, "uncPath": self.unc_path, "layerCacheSizeGb": self.layer_cache_size_gb,
        }

    @classmethod
    def from_api(cls, data: dict[str, t.Any]) -> ConnectorConfig:
        return cls(
            name=str(data["name"]), agent=str(data["agent"]), switch=str(data["switch"]),
            storage_path=str(data["storagePath"]), template_vm=data.get("templateVm") or None,
            cpus=int(data.get("cpus") or 0), memory_mb=int(data.get("memoryMb") or 0),
            generation=int(data.get("generation") or 1), disk_format=str(data.get("diskFormat") or "").lower(),
            offload_compositing=bool(data.get("offloadCompositing")), unc_path=data.get("uncPath") or None,
            layer_cache_size_gb=int(data.get("layerCacheSizeGb") or 0),
        )

    def to_result(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class TemplateFacts:
    generation: int
    secure_boot: bool
    network_adapters: int
    disks: int


@dataclasses.dataclass(frozen=True)
class HostFacts:
    """What the agent's host says, read in one round trip."""

    agent_service: str | None  # status (Running, Stopped, ...), None when not installed
    bits_start_type: str | None  # None when BITS is missing
    switch_count: int
    template: TemplateFacts | None  # None when there is no template VM by that name
    template_count: int
    storage_exists: bool
    local_drives: tuple[str, ...]  # upper-case drive letters of the host's volumes
    free_bytes: int | None  # free space of the storage path's volume, None if unknown (UNC)
    name: str = ""  # what the host calls itself (hv1.lab.test), "" when it did not say


def is_unc(path: str) -> bool:
    return bool(_UNC_PATH.match(path))


def template_firmware(template: TemplateFacts | None) -> str:
    """The firmware published VMs get: BIOS without a template, else the template's."""
    if template is None or template.generation == 1:
        return "BIOS"
    return "UEFI secure boot" if template.secure_boot else "UEFI"


def field_problems(config: ConnectorConfig) -> list[str]:
    """Values wrong on their own (empty, out of range, not a path): found before any remote call."""
    problems = [f"{field} must not be empty" for field in ("name", "agent", "switch", "storage_path")
                if not str(getattr(config, field) or "").strip()]
    if not 1 <= config.cpus <= 64:
        problems.append(f"cpus must be between 1 and 64, not {config.cpus}")
    if config.memory_mb < 1024:
        problems.append(f"memory_mb must be at least 1024, not {config.memory_mb}")
    if config.layer_cache_size_gb < 0:
        problems.append(f"layer_cache_size_gb must be 0 (no cache) or more, not {config.layer_cache_size_gb}")
    if config.storage_path.strip():
        problems.extend(problems_of(path_problem("storage_path", config.storage_path)))
    if config.unc_path and not is_unc(config.unc_path):
        problems.append(f"unc_path {config.unc_path!r} must have the form \\\\server\\share\\...")
    return problems


def rule_violations(config: ConnectorConfig) -> list[str]:
    """The App Layering rules that combinations of options break (no host needed), each with its reason."""
    problems = []
    vhdx = config.disk_format.lower() == "vhdx"
    if config.generation == 2 and not config.offload_compositing:
        problems.append("generation 2 requires offload_compositing=true (the appliance only builds generation 2 "
                        "layer VMs on the Hyper-V host when compositing is offloaded)")
    if config.generation == 2 and not vhdx:
        problems.append("generation 2 supports only disk_format=vhdx")
    if vhdx and not config.offload_compositing:
        problems.append("disk_format=vhdx requires offload_compositing=true, on generation 1 too")
    if config.unc_path and is_unc(config.unc_path) and is_unc(config.storage_path) and (
            config.storage_path.rstrip("\\").lower() != config.unc_path.rstrip("\\").lower()):
        problems.append(f"storage_path {config.storage_path!r} must be the same location as unc_path "
                        f"{config.unc_path!r}")
    return problems


def offline_violations(config: ConnectorConfig) -> list[str]:
    """Every problem the options alone show: their values, then the rules they break together."""
    return field_problems(config) + rule_violations(config)


def host_violations(config: ConnectorConfig, facts: HostFacts, *, agent_registered: bool, host: str) -> list[str]:
    """Every rule the agent's host breaks for ``config``, each with its reason and what to do."""
    problems = []
    if facts.agent_service is None:
        problems.append(f"the App Layering Agent ({AGENT_SERVICE}) is not installed on {host}: install it from the "
                        "App Layering installation package")
    elif facts.agent_service != "Running":
        problems.append(f"the App Layering Agent service on {host} is {facts.agent_service}: start it")
    if not agent_registered and facts.agent_service is not None:
        problems.append(f"the agent on {host} is not registered with the appliance: set register_agent=true")
    if facts.bits_start_type in (None, "Disabled"):
        problems.append(f"BITS is not available on {host} ({'missing' if facts.bits_start_type is None else 'disabled'});"
                        " layer disks are transferred with BITS")
    if facts.switch_count != 1:
        problems.append(f"the switch {config.switch!r} exists {facts.switch_count} times on {host}; it must exist "
                        "exactly once")
    if config.template_vm:
        problems += _template_violations(config, facts, host)
    if is_unc(config.storage_path):
        return problems  # a share is reached as the host's machine account: the appliance's TEST checks it
    drive = config.storage_path[0].upper()
    if drive not in facts.local_drives:
        problems.append(f"storage_path {config.storage_path!r} is on drive {drive}:, which is not a volume of "
                        f"{host} (a mapped drive?); use the UNC path of the location instead")
    elif not facts.storage_exists:
        problems.append(f"storage_path {config.storage_path!r} does not exist on {host}")
    elif facts.free_bytes is not None and facts.free_bytes < config.layer_cache_size_gb * GIB:
        problems.append(f"storage_path {config.storage_path!r} has {facts.free_bytes // GIB} GB free, less than "
                        f"layer_cache_size_gb={config.layer_cache_size_gb}")
    return problems


def _template_violations(config: ConnectorConfig, facts: HostFacts, host: str) -> list[str]:
    template = facts.template
    if template is None or facts.template_count != 1:
        found = "does not exist" if facts.template_count == 0 else f"exists {facts.template_count} times"
        return [f"the template VM {config.template_vm!r} {found} on {host}"]
    problems = []
    if template.network_adapters < 1:
        problems.append(f"the template VM {config.template_vm!r} has no network adapter; it needs at least one")
    if template.disks:
        problems.append(f"the template VM {config.template_vm!r} has {template.disks} disk(s) attached; it must have "
                        "none")
    if template_firmware(template).startswith("UEFI") and not config.offload_compositing:
        problems.append(f"the template VM {config.template_vm!r} is UEFI (generation 2): without offload compositing "
                        "the published VM bluescreens; set offload_compositing=true or use a generation 1 template")
    return problems
