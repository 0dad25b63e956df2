# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv_vm's plan: the read batch, and desired vs. current -> changes -> one apply batch (pure).

FOR INTERNAL COLLECTION USE ONLY.

The plan keeps a copy of the VM view up to date as it adds changes, so check mode reports the VM
as the plan would leave it. Changes Hyper-V makes only while a VM is off are gathered; on a VM
that is not off they make the plan fail, naming them, unless the user allows a restart (stop,
apply, return to the prior or requested state) or asks for the VM to end up off anyway.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import get_vhd, index_vhds
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_change import Change, Observed, Selector
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_devices import plan_adapters, plan_disks, plan_dvd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_power import TARGET_STATE, Step, restart, stable, transition
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_spec import (
    MB,
    VmSpec,
    generation_problems,
    memory_order_problems,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import (
    Drive,
    VmView,
    exact,
    from_vm,
    parse_vms,
    read_vm_commands,
    select_vm,
)

DEFAULT_GENERATION = 2
DEFAULT_STARTUP_MB = 1024


@dataclasses.dataclass
class VmPlan:
    changes: list[str]
    commands: list[Cmd]
    errors: list[str]
    before: VmView | None
    after: VmView | None
    recovery: list[Cmd] = dataclasses.field(default_factory=list)  # puts the VM back in its prior state after a failure
    removed_files: list[str] = dataclasses.field(default_factory=list)
    kept_files: list[str] = dataclasses.field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.commands)


# -- reading --------------------------------------------------------------------------------------
def read_commands(spec: VmSpec) -> list[Cmd]:
    """The read batch: the VM and its parts, the host's switches, the disk files and ISO named."""
    commands = [*read_vm_commands(select_vm(spec.name)), Cmd("Get-VMSwitch", select=["Name", "SwitchType"], missing_ok=True)]
    paths = [p for d in spec.disks for p in (d.path, d.parent_path) if p]
    if paths:
        commands.append(get_vhd(paths))
    if spec.dvd is not None and spec.dvd.path:
        commands.append(Cmd("Test-Path", {"LiteralPath": spec.dvd.path}, missing_ok=True))
    return commands


def observe(spec: VmSpec, rows: list[list[t.Any]]) -> Observed:
    vms = exact(parse_vms(rows), spec.name)
    parts = len(read_vm_commands(select_vm(spec.name)))
    switches = [str(r["Name"]) for r in rows[parts] if isinstance(r, dict) and r.get("Name")]
    rest = rows[parts + 1:]
    vhds = index_vhds(rest.pop(0)) if spec.disks else {}
    iso = None
    if spec.dvd is not None and spec.dvd.path:
        answer = rest.pop(0)
        iso = bool(answer and answer[0] is True)
    return Observed(vms=vms, switches=switches, vhds=vhds, iso_exists=iso)


def reread_commands(name: str, vm_id: str | None) -> list[Cmd]:
    return read_vm_commands(select_vm(name, vm_id))


# -- planning -------------------------------------------------------------------------------------
def plan_vm(spec: VmSpec, observed: Observed) -> VmPlan:
    if len(observed.vms) > 1:
        ids = ", ".join(str(v.id) for v in observed.vms)
        return VmPlan([], [], [f"the host has {len(observed.vms)} VMs named '{spec.name}' (Ids {ids}); "
                               "rename all but one in Hyper-V Manager, hyperv_vm finds VMs by name"], None, None)
    current = observed.vms[0] if observed.vms else None
    if spec.state == "absent":
        return _plan_removal(spec, current)
    return _plan_present(spec, current, observed)


def _plan_removal(spec: VmSpec, current: VmView | None) -> VmPlan:
    if current is None:
        return VmPlan([], [], [], None, None)

    def selector() -> Cmd:
        return select_vm(spec.name, current.id)

    steps: list[Step] = []
    if current.state != "Off":
        steps.append(Step("turn off the VM", [from_vm(selector(), "Stop-VM", {"TurnOff": True, "Force": True})]))
    steps.append(Step(f"remove VM '{current.name}'", [from_vm(selector(), "Remove-VM", {"Force": True})]))
    files = [d.path for d in current.disks if d.path]
    plan = VmPlan([], [], [], current, None)
    if spec.remove_disks and files:
        steps.append(Step("delete its disk files " + ", ".join(f"'{f}'" for f in files),
                          [Cmd("Remove-Item", {"LiteralPath": files})]))
        plan.removed_files = files
    else:
        plan.kept_files = files
    plan.changes = [s.description for s in steps]
    plan.commands = [c for s in steps for c in s.commands]
    return plan


def _new_vm_view(spec: VmSpec) -> VmView:
    """A VM as New-VM makes it, before any setting; unknown values stay None so every asked value is set."""
    generation = spec.generation or DEFAULT_GENERATION
    view = VmView(name=spec.name, id=None, state="Off", generation=generation, version=spec.configuration_version,
                  startup_mb=spec.memory.startup_mb or DEFAULT_STARTUP_MB, scsi_controllers=1 if generation == 2 else 0)
    if generation == 1:
        view.dvd_drives = [Drive(None, "IDE", 1, 0)]  # New-VM gives a generation 1 VM an empty DVD drive at IDE 1:0
    return view


def _create(spec: VmSpec, view: VmView) -> Change:
    params: dict[str, t.Any] = {"Name": spec.name, "Generation": view.generation, "NoVHD": True,
                                "MemoryStartupBytes": (view.startup_mb or DEFAULT_STARTUP_MB) * MB}
    if spec.path:
        params["Path"] = spec.path
    if spec.configuration_version:
        params["Version"] = spec.configuration_version
    return Change(f"create generation {view.generation} VM '{spec.name}'", [Cmd("New-VM", params, select=["Name", "Id"])])


def _was(old: t.Any, new: t.Any) -> str:
    """'2 -> 4', or just '4' when the old value is not known (a VM being created)."""
    return f"{new}" if old is None else f"{old} -> {new}"


def _version_tuple(version: str | None) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in (version or "").split("."))
    except ValueError:
        return ()


def _settings(spec: VmSpec, selector: Selector, after: VmView, creating: bool) -> tuple[list[Change], list[str]]:
    changes: list[Change] = []
    problems: list[str] = []
    if spec.processor_count is not None and after.processor_count != spec.processor_count:
        changes.append(Change(f"processor count {_was(after.processor_count, spec.processor_count)}",
                              [from_vm(selector(), "Set-VMProcessor", {"Count": spec.processor_count})], needs_off=True))
        after.processor_count = spec.processor_count
    expose = spec.expose_virtualization_extensions
    if expose is not None and bool(after.expose_virtualization_extensions) != expose:
        # Hyper-V changes it only while the VM is off (Microsoft Learn, nested virtualization)
        changes.append(Change(f"{'expose' if expose else 'hide'} the processor's virtualization extensions "
                              "(nested virtualization)",
                              [from_vm(selector(), "Set-VMProcessor", {"ExposeVirtualizationExtensions": expose})],
                              needs_off=True))
        after.expose_virtualization_extensions = expose
    transport = spec.enhanced_session_transport_type
    if transport is not None and (after.enhanced_session_transport_type or "VMBus").lower() != transport.lower():
        changes.append(Change(f"enhanced session transport {_was(after.enhanced_session_transport_type, transport)}",
                              [from_vm(selector(), "Set-VM", {"EnhancedSessionTransportType": transport})],
                              needs_off=True))
        after.enhanced_session_transport_type = transport
    memory_change, memory_problems = _memory(spec, selector, after, creating)
    changes.extend(memory_change)
    problems.extend(memory_problems)
    changes.extend(_firmware(spec, selector, after))
    for field, parameter, label, needs_off in (
            ("notes", "Notes", "notes", False),
            ("automatic_start_action", "AutomaticStartAction", "automatic start action", False),
            ("automatic_stop_action", "AutomaticStopAction", "automatic stop action", True),
            ("checkpoint_type", "CheckpointType", "checkpoint type", False)):
        wanted = getattr(spec, field)
        have = getattr(after, field)
        if wanted is None or (have is not None and have.lower() == wanted.lower() if field != "notes" else have == wanted):
            continue
        shown = _was(repr(have) if have is not None else None, repr(wanted)) if field == "notes" else _was(have, wanted)
        changes.append(Change(f"{label} {shown}", [from_vm(selector(), "Set-VM", {parameter: wanted})], needs_off=needs_off))
        setattr(after, field, wanted)
    if spec.configuration_version and not creating and after.version is not None:
        have, wanted = _version_tuple(after.version), _version_tuple(spec.configuration_version)
        if have < wanted:
            changes.append(Change(f"upgrade the configuration version from {after.version} to the host's newest "
                                  f"(at least {spec.configuration_version})",
                                  [from_vm(selector(), "Update-VMVersion", {"Force": True})], needs_off=True))
            after.version = spec.configuration_version
    return changes, problems


def _memory(spec: VmSpec, selector: Selector, after: VmView, creating: bool) -> tuple[list[Change], list[str]]:
    memory = spec.memory
    wanted = {"startup_mb": memory.startup_mb, "dynamic_memory": memory.dynamic, "minimum_mb": memory.minimum_mb,
              "maximum_mb": memory.maximum_mb, "buffer_percent": memory.buffer_percent}
    # A new VM gets its startup memory from New-VM; everything else is set after.
    differing = {k: v for k, v in wanted.items()
                 if v is not None and (getattr(after, k) != v or (creating and k != "startup_mb"))}
    dynamic = wanted["dynamic_memory"] if wanted["dynamic_memory"] is not None else after.dynamic_memory
    problems = []
    if dynamic:
        problems = memory_order_problems(wanted["startup_mb"] or after.startup_mb,
                                         wanted["minimum_mb"] or after.minimum_mb, wanted["maximum_mb"] or after.maximum_mb)
    elif memory.buffer_percent is not None:
        problems = ["memory buffer_percent applies to dynamic memory; set memory dynamic: true"]
    if problems or not differing:
        return [], problems
    parameters = {"startup_mb": ("StartupBytes", MB), "dynamic_memory": ("DynamicMemoryEnabled", None),
                  "minimum_mb": ("MinimumBytes", MB), "maximum_mb": ("MaximumBytes", MB), "buffer_percent": ("Buffer", None)}
    params: dict[str, t.Any] = {}
    words = []
    needs_off = False
    for key, value in differing.items():
        name, factor = parameters[key]
        params[name] = value * factor if factor else value
        old = getattr(after, key)
        words.append(f"{key.replace('_', ' ')} {_was(old, value)}")
        if key in ("startup_mb", "dynamic_memory") and old != value:
            needs_off = True
        elif key == "minimum_mb" and old is not None and value > old:
            needs_off = True
        elif key == "maximum_mb" and old is not None and value < old:
            needs_off = True
        setattr(after, key, value)
    return [Change("memory: " + ", ".join(words), [from_vm(selector(), "Set-VMMemory", params)], needs_off=needs_off)], []


def _firmware(spec: VmSpec, selector: Selector, after: VmView) -> list[Change]:
    firmware = spec.firmware
    changes: list[Change] = []
    params: dict[str, t.Any] = {}
    words = []
    if after.generation == 2:
        if firmware.secure_boot is not None and after.secure_boot != firmware.secure_boot:
            params["EnableSecureBoot"] = "On" if firmware.secure_boot else "Off"
            words.append(f"secure boot {'on' if firmware.secure_boot else 'off'}")
            after.secure_boot = firmware.secure_boot
        if firmware.secure_boot_template and (after.secure_boot_template or "").lower() != firmware.secure_boot_template.lower():
            params["SecureBootTemplate"] = firmware.secure_boot_template
            words.append(f"secure boot template {_was(after.secure_boot_template, firmware.secure_boot_template)}")
            after.secure_boot_template = firmware.secure_boot_template
        if params:
            changes.append(Change("firmware: " + ", ".join(words), [from_vm(selector(), "Set-VMFirmware", params)], needs_off=True))
    elif firmware.boot_order is not None and after.boot_order != list(firmware.boot_order):
        changes.append(Change(f"boot order {_was(after.boot_order, list(firmware.boot_order))}",
                              [from_vm(selector(), "Set-VMBios", {"StartupOrder": list(firmware.boot_order)})], needs_off=True))
        after.boot_order = list(firmware.boot_order)
    return changes


def _plan_present(spec: VmSpec, current: VmView | None, observed: Observed) -> VmPlan:
    creating = current is None
    after = _new_vm_view(spec) if current is None else current.copy()
    errors: list[str] = []
    if current is not None and spec.generation is not None and spec.generation != current.generation:
        errors.append(f"VM '{current.name}' is generation {current.generation}; the generation of a VM cannot change "
                      "(create a new VM and attach its disks)")
    errors.extend(generation_problems(spec, after.generation) if spec.generation is None else [])
    if errors:
        return VmPlan([], [], errors, current, None)

    def selector() -> Cmd:
        return select_vm(spec.name, None if current is None else current.id)

    changes: list[Change] = [_create(spec, after)] if creating else []
    for planned, problems in (_settings(spec, selector, after, creating),
                              plan_disks(selector, spec.disks, after, observed),
                              plan_dvd(selector, spec.dvd, after, observed),
                              plan_adapters(selector, spec.network_adapters, after, observed, creating)):
        changes.extend(planned)
        errors.extend(problems)
    if errors:
        return VmPlan([], [], errors, current, None)
    prior = stable(after.state)
    if prior is None:
        if not changes and spec.state == "present":
            return VmPlan([], [], [], current, after)
        return VmPlan([], [], [f"VM '{after.name}' is {after.state}; wait until it is running, off, paused or saved "
                               "and run again"], current, None)
    return _power(spec, current, after, changes, selector, prior)


def _power(spec: VmSpec, current: VmView | None, after: VmView, changes: list[Change], selector: Selector,
           prior: str) -> VmPlan:
    target = TARGET_STATE.get(spec.state, prior)
    offline = [c for c in changes if c.needs_off] if prior != "Off" else []
    steps: list[Step] = [Step(c.description, c.commands) for c in changes]
    recovery: list[Cmd] = []
    if offline:
        if target == "Off":
            steps = [*transition(selector, prior, "Off", spec.shutdown_method), *steps]
        elif spec.allow_restart or spec.state == "restarted":
            to_off = transition(selector, prior, "Off", spec.shutdown_method)
            back = transition(selector, "Off", target, spec.shutdown_method)
            recovery = [Cmd(c.cmdlet, c.parameters, piped=c.piped, missing_ok=True, patterns=c.patterns)
                        for s in transition(selector, "Off", prior, spec.shutdown_method) for c in s.commands]
            steps = [*to_off, *steps, *back]
        else:
            names = "; ".join(c.description for c in offline)
            return VmPlan([], [], [f"VM '{after.name}' is {prior}; Hyper-V changes these settings only while it is off: "
                                   f"{names}. Set allow_restart: true to stop it, apply them and return it to "
                                   f"{target}, or stop it first (state: stopped)"], current, None)
    else:
        steps.extend(transition(selector, prior, target, spec.shutdown_method))
        if spec.state == "restarted" and prior == "Running":
            steps.extend(restart(selector, spec.shutdown_method))
    after.state = target
    return VmPlan([s.description for s in steps], [c for s in steps for c in s.commands], [], current, after,
                  recovery=recovery)
