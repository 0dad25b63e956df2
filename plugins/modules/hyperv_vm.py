#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_vm
short_description: Create, configure, power and remove Hyper-V virtual machines
version_added: 0.1.0
description:
  - Create a virtual machine or bring an existing one to the settings given, set its power state, or remove it.
  - Settings not given are left as they are (or as Hyper-V creates them for a new VM).
  - Hyper-V changes some settings only while a VM is off (processor count, turning dynamic memory on or off,
    startup memory, raising minimum or lowering maximum memory, firmware, boot order, automatic stop action,
    configuration version, static MAC addresses, IDE drives, SCSI controllers, network adapters of generation 1
    VMs). On a VM that is not off such changes fail, naming them, unless O(allow_restart=true) or the VM is to
    end up off anyway (O(state=stopped)).
  - Reads the VM in one round trip and applies every change, and reads the result back, in one more.
  - VMs are found by exact name; names are passed to the host as values, so quotes, semicolons, wildcard
    characters and non-ASCII letters are just part of the name.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description: The VM's name.
    type: str
    required: true
  state:
    description:
      - V(present) creates the VM if needed and leaves its power state alone (a new VM is off).
      - V(running), V(stopped), V(paused), V(saved) also bring it to that power state. V(stopped) shuts the guest
        down (see O(shutdown_method)); from V(saved) it discards the saved state.
      - V(restarted) starts the VM, or restarts it if it runs; it always reports a change. A running VM restarts
        through its guest (shut down, then start; see O(shutdown_method)); only O(shutdown_method=turn_off) resets
        it (C(Restart-VM), a hard restart like cutting the power).
      - V(absent) removes the VM. Its disk files stay unless O(remove_disks=true).
    type: str
    choices: [present, absent, running, stopped, paused, saved, restarted]
    default: present
  generation:
    description:
      - The VM generation. Only used when the VM is created (default V(2)); the generation of an existing VM cannot
        change and a different value fails.
      - Generation 2 VMs boot from UEFI firmware, use VHDX disks only and have no IDE controller.
    type: int
    choices: [1, 2]
  configuration_version:
    description:
      - The configuration version, such as V(12.0). A new VM is created with it; an existing VM of a lower version
        is upgraded with Update-VMVersion, to the newest version the host supports (a VM cannot be downgraded).
    type: str
  path:
    description:
      - The folder Hyper-V stores the new VM's configuration in (New-VM -Path). Only used when the VM is created;
        an existing VM is not moved.
    type: str
  processor_count:
    description: Number of virtual processors.
    type: int
  expose_virtualization_extensions:
    description:
      - Expose the processor's virtualization extensions to the guest (C(Set-VMProcessor -ExposeVirtualizationExtensions)),
        so that it can run Hyper-V itself (nested virtualization). Give its adapters O(network_adapters[].mac_address_spoofing)
        so that the VMs inside reach the network.
      - Hyper-V changes it only while the VM is off; on a VM that is not off the task fails unless O(allow_restart) is true.
    type: bool
  enhanced_session_transport_type:
    description:
      - The transport of enhanced session connections (C(Set-VM -EnhancedSessionTransportType)). Linux guests with XRDP
        need V(hvsocket).
      - Changed only while the VM is off (as Microsoft's instructions do it); on a VM that is not off the task fails
        unless O(allow_restart) is true.
    type: str
    choices: [vmbus, hvsocket]
  memory:
    description: Memory settings, in MB. Every value is at least 32 and a multiple of 2.
    type: dict
    suboptions:
      startup_mb:
        description: Startup memory; a new VM gets 1024 MB when not set.
        type: int
      dynamic:
        description: Use dynamic memory.
        type: bool
      minimum_mb:
        description: Minimum memory with dynamic memory; not above O(memory.startup_mb).
        type: int
      maximum_mb:
        description: Maximum memory with dynamic memory; not below O(memory.startup_mb).
        type: int
      buffer_percent:
        description: Dynamic memory buffer, 5 to 2000 percent.
        type: int
  firmware:
    description: Firmware settings.
    type: dict
    suboptions:
      secure_boot:
        description: Secure boot on or off (generation 2).
        type: bool
      secure_boot_template:
        description:
          - The secure boot template (generation 2). V(MicrosoftUEFICertificateAuthority) is the one Linux guests need.
        type: str
        choices: [MicrosoftWindows, MicrosoftUEFICertificateAuthority, OpenSourceShieldedVM]
      boot_order:
        description:
          - Generation 1 only, the BIOS startup order, a list of V(CD), V(IDE), V(LegacyNetworkAdapter), V(Floppy).
          - A generation 2 boot order names device objects that cannot be passed as values; setting it fails.
        type: list
        elements: str
  notes:
    description: The VM's notes.
    type: str
  automatic_start_action:
    description: What the VM does when the host starts.
    type: str
    choices: [nothing, start_if_running, start]
  automatic_stop_action:
    description: What happens to the VM when the host shuts down.
    type: str
    choices: [turn_off, save, shut_down]
  checkpoint_type:
    description: The kind of checkpoint taken of the VM. V(production_only) never falls back to a standard checkpoint.
    type: str
    choices: [disabled, production, production_only, standard]
  disks:
    description:
      - Virtual hard disks to attach. A file that does not exist is created first (give O(disks[].size), or
        O(disks[].parent_path) for a differencing disk). A disk already attached is matched by its path.
      - Disks attached but not listed are left alone.
    type: list
    elements: dict
    suboptions:
      path:
        description: The .vhdx (or, generation 1 only, .vhd) file on the host.
        type: str
        required: true
      size:
        description: Size of a disk to create, like V(40GB) or V(512MB) (binary units), or a number of bytes.
        type: str
      type:
        description: Kind of disk to create.
        type: str
        choices: [fixed, dynamic, differencing]
        default: dynamic
      parent_path:
        description: The parent of a differencing disk to create.
        type: str
      controller_type:
        description: The controller; default V(ide) on generation 1, V(scsi) on generation 2.
        type: str
        choices: [ide, scsi]
      controller_number:
        description: Controller number (IDE 0-1, SCSI 0-3; missing SCSI controllers are added).
        type: int
      controller_location:
        description: Location on the controller (IDE 0-1, SCSI 0-63); the first free one when not set.
        type: int
  dvd:
    description: The VM's DVD drive.
    type: dict
    suboptions:
      state:
        description: V(present) makes sure a DVD drive exists; V(absent) removes every DVD drive.
        type: str
        choices: [present, absent]
        default: present
      path:
        description: The ISO file to insert; not set or empty means an empty drive.
        type: str
      controller_number:
        description: Controller number of the drive (IDE on generation 1, SCSI on generation 2).
        type: int
      controller_location:
        description: Location of the drive on the controller.
        type: int
  network_adapters:
    description:
      - Network adapters, matched by name. Missing ones are added; listed settings of existing ones are changed;
        adapters not listed are left alone.
      - A new VM gets exactly these adapters (instead of the one New-VM adds).
    type: list
    elements: dict
    suboptions:
      name:
        description: The adapter's name.
        type: str
        required: true
      switch:
        description: The virtual switch to connect to; it must exist on the host.
        type: str
      connected:
        description: V(false) disconnects the adapter from any switch.
        type: bool
        default: true
      mac_address:
        description: A static MAC address (V(00:15:5D:01:02:03), V(00-15-5D-01-02-03) or V(00155D010203)), or V(dynamic).
        type: str
      mac_address_spoofing:
        description:
          - Let the guest send frames from other MAC addresses (C(Set-VMNetworkAdapter -MacAddressSpoofing)), which the
            VMs of a nested Hyper-V host need to reach the network. Changed on a running VM too.
        type: bool
      vlan:
        description: The adapter's VLAN setting.
        type: dict
        suboptions:
          mode:
            description: V(untagged), V(access) (one VLAN, O(network_adapters[].vlan.id)) or V(trunk).
            type: str
            choices: [untagged, access, trunk]
            default: untagged
          id:
            description: The access VLAN id, 1 to 4094.
            type: int
          allowed:
            description: Trunk mode, the allowed VLAN ids and ranges, like V([10, 20, "100-110"]).
            type: list
            elements: str
          native_id:
            description: Trunk mode, the native (untagged) VLAN id; 0 for none.
            type: int
  allow_restart:
    description:
      - Allow the module to shut the VM down to change settings Hyper-V changes only while it is off, and to
        bring it back to its prior state (or the O(state) asked for) afterwards.
    type: bool
    default: false
  shutdown_method:
    description:
      - How to stop (or restart) a running VM. V(shutdown) asks the guest to shut down; when the guest does not
        shut down, the module turns the VM off and says so (RV(stopped_by), and a warning). V(turn_off) cuts the
        power (for O(state=restarted), a hard reset).
    type: str
    choices: [shutdown, turn_off]
    default: shutdown
  remove_disks:
    description: With O(state=absent), also delete the disk files attached to the VM. Parents of differencing disks are kept.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the host.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change, in check mode).
    support: full
seealso:
  - module: winvirt.hyperv.hyperv_vm_info
  - module: winvirt.hyperv.hyperv_vhd
  - module: winvirt.hyperv.hyperv_checkpoint
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: A generation 2 VM with a new disk, on the LAN switch, VLAN 20
  winvirt.hyperv.hyperv_vm:
    name: web1
    generation: 2
    processor_count: 2
    memory:
      startup_mb: 2048
      dynamic: true
      minimum_mb: 1024
      maximum_mb: 4096
    firmware:
      secure_boot: true
      secure_boot_template: MicrosoftUEFICertificateAuthority
    disks:
      - path: C:\VMs\web1\os.vhdx
        size: 40GB
    network_adapters:
      - name: LAN
        switch: vNet-LAN50
        vlan:
          mode: access
          id: 20
    notes: web server
    state: running

- name: More processors; the VM is running, so allow a restart
  winvirt.hyperv.hyperv_vm:
    name: web1
    processor_count: 4
    allow_restart: true

- name: A trunk adapter with a static MAC address
  winvirt.hyperv.hyperv_vm:
    name: router1
    network_adapters:
      - name: Trunk
        switch: vNet-LAN50
        mac_address: 00-15-5D-0A-00-01
        vlan:
          mode: trunk
          allowed: [10, 20, "100-110"]
          native_id: 0

- name: A generation 1 VM booting from an ISO, disk on a differencing disk
  winvirt.hyperv.hyperv_vm:
    name: legacy1
    generation: 1
    disks:
      - path: C:\VMs\legacy1\os.vhd
        type: differencing
        parent_path: C:\VMs\base\win2012.vhd
    dvd:
      path: C:\ISO\tools.iso
    firmware:
      boot_order: [CD, IDE, LegacyNetworkAdapter, Floppy]

- name: Remove a VM and its disk files
  winvirt.hyperv.hyperv_vm:
    name: legacy1
    state: absent
    remove_disks: true
"""

RETURN = r"""
stopped_by:
  description:
    - How the VM went down when the task asked its guest to shut down; V(guest shutdown), or V(turn off) when the
      guest did not shut down and the module turned the VM off instead.
  returned: when the task shut a running VM down through its guest
  type: str
  sample: guest shutdown
vm:
  description:
    - The VM after the task (as the plan would leave it, in check mode); null when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: VM name.
      type: str
      sample: web1
    id:
      description: VM Id; null for a VM that check mode would create.
      type: str
      sample: 03a69d9b-2c2e-5fce-b016-ee7f605dedac
    state:
      description: Power state as Hyper-V names it (Running, Off, Paused, Saved, ...).
      type: str
      sample: Running
    generation:
      description: 1 or 2.
      type: int
      sample: 2
    configuration_version:
      description: Configuration version.
      type: str
      sample: '12.0'
    path:
      description: The VM's folder.
      type: str
      sample: C:\ProgramData\Microsoft\Windows\Hyper-V
    notes:
      description: Notes.
      type: str
      sample: IIS front end
    processor_count:
      description: Virtual processors.
      type: int
      sample: 2
    expose_virtualization_extensions:
      description: Whether the processor's virtualization extensions are exposed to the guest (nested virtualization).
      type: bool
      sample: false
    enhanced_session_transport_type:
      description: The enhanced session transport, V(vmbus) or V(hvsocket); null when the host does not report it.
      type: str
      sample: vmbus
    memory:
      description: Memory in MB (startup_mb, dynamic, minimum_mb, maximum_mb, buffer_percent).
      type: dict
      sample:
        startup_mb: 4096
        dynamic: false
        minimum_mb: 512
        maximum_mb: 1048576
        buffer_percent: 20
    firmware:
      description: Generation 2 secure_boot and secure_boot_template, or generation 1 boot_order.
      type: dict
      sample:
        secure_boot: true
        secure_boot_template: MicrosoftWindows
        boot_order: null
    automatic_start_action:
      description: As Hyper-V names it (Nothing, StartIfRunning, Start).
      type: str
      sample: StartIfRunning
    automatic_stop_action:
      description: As Hyper-V names it (TurnOff, Save, ShutDown).
      type: str
      sample: Save
    checkpoint_type:
      description: As Hyper-V names it.
      type: str
      sample: Production
    disks:
      description: Attached disks, each with path, controller_type, controller_number, controller_location.
      type: list
      elements: dict
      sample:
        - path: D:\Hyper-V\Virtual Hard Disks\web1.vhdx
          controller_type: SCSI
          controller_number: 0
          controller_location: 0
    dvd_drives:
      description: DVD drives, like RV(vm.disks); path is the ISO or null.
      type: list
      elements: dict
      sample:
        - path: null
          controller_type: IDE
          controller_number: 1
          controller_location: 0
    network_adapters:
      description:
        - Adapters, each with name, switch, mac_address, dynamic_mac, mac_address_spoofing and vlan (mode, id,
          allowed, native_id).
        - C(ip_addresses) lists the addresses the guest reports for the adapter through its Data Exchange integration
          service, as Windows reports them (IPv4 and IPv6); empty while the VM is not running or the guest reports none.
      type: list
      elements: dict
      sample:
        - name: Network Adapter
          switch: vNet-LAN50
          mac_address: 00155D0B0001
          dynamic_mac: true
          vlan:
            mode: access
            id: 20
            allowed: []
            native_id: null
          mac_address_spoofing: false
          ip_addresses: [10.0.20.21, 'fe80::215:5dff:fe0b:21']
    replication_state:
      description: Hyper-V Replica state.
      type: str
      sample: Disabled
    replication_health:
      description: Hyper-V Replica health.
      type: str
      sample: NotApplicable
    replication_mode:
      description: The VM's Hyper-V Replica role as Hyper-V names it (V(None) when not replicated, V(Primary), V(Replica),
        V(TestReplica) or V(ExtendedReplica)).
      type: str
      sample: 'None'
    host:
      description: The host the VM is on.
      type: str
      sample: HV1
changes:
  description: What was (or would be) done, in words, in order.
  returned: always
  type: list
  elements: str
  sample: ["processor count 2 -> 4", "start the VM"]
removed_files:
  description: Disk files deleted (or that would be) with O(state=absent) and O(remove_disks=true).
  returned: when O(state=absent)
  type: list
  elements: str
  sample:
    - D:\Hyper-V\Virtual Hard Disks\app1.vhdx
kept_files:
  description: Disk files of a removed VM left on the host.
  returned: when O(state=absent)
  type: list
  elements: str
  sample:
    - D:\Hyper-V\Virtual Hard Disks\legacy1.vhd
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import VHD_TYPES
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_plan import VmPlan, observe, plan_vm, read_commands, reread_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_power import is_guest_shutdown, turn_off_instead
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_spec import (
    CHECKPOINT_TYPES,
    SECURE_BOOT_TEMPLATES,
    SESSION_TRANSPORTS,
    START_ACTIONS,
    STATES,
    STOP_ACTIONS,
    VLAN_MODES,
    SpecError,
    build_spec,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import VmView, exact, parse_vms


def argument_spec() -> dict[str, t.Any]:
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": list(STATES), "default": "present"},
        "generation": {"type": "int", "choices": [1, 2]},
        "configuration_version": {"type": "str"},
        "path": {"type": "str"},
        "processor_count": {"type": "int"},
        "expose_virtualization_extensions": {"type": "bool"},
        "enhanced_session_transport_type": {"type": "str", "choices": list(SESSION_TRANSPORTS)},
        "memory": {"type": "dict", "options": {
            "startup_mb": {"type": "int"}, "dynamic": {"type": "bool"}, "minimum_mb": {"type": "int"},
            "maximum_mb": {"type": "int"}, "buffer_percent": {"type": "int"}}},
        "firmware": {"type": "dict", "options": {
            "secure_boot": {"type": "bool"},
            "secure_boot_template": {"type": "str", "choices": list(SECURE_BOOT_TEMPLATES)},
            "boot_order": {"type": "list", "elements": "str"}}},
        "notes": {"type": "str"},
        "automatic_start_action": {"type": "str", "choices": list(START_ACTIONS)},
        "automatic_stop_action": {"type": "str", "choices": list(STOP_ACTIONS)},
        "checkpoint_type": {"type": "str", "choices": list(CHECKPOINT_TYPES)},
        "disks": {"type": "list", "elements": "dict", "options": {
            "path": {"type": "str", "required": True},
            "size": {"type": "str"},
            "type": {"type": "str", "choices": list(VHD_TYPES), "default": "dynamic"},
            "parent_path": {"type": "str"},
            "controller_type": {"type": "str", "choices": ["ide", "scsi"]},
            "controller_number": {"type": "int"},
            "controller_location": {"type": "int"}}},
        "dvd": {"type": "dict", "options": {
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "path": {"type": "str"},
            "controller_number": {"type": "int"},
            "controller_location": {"type": "int"}}},
        "network_adapters": {"type": "list", "elements": "dict", "options": {
            "name": {"type": "str", "required": True},
            "switch": {"type": "str"},
            "connected": {"type": "bool", "default": True},
            "mac_address": {"type": "str"},
            "mac_address_spoofing": {"type": "bool"},
            "vlan": {"type": "dict", "options": {
                "mode": {"type": "str", "choices": list(VLAN_MODES), "default": "untagged"},
                "id": {"type": "int"},
                "allowed": {"type": "list", "elements": "str"},
                "native_id": {"type": "int"}}}}},
        "allow_restart": {"type": "bool", "default": False},
        "shutdown_method": {"type": "str", "choices": ["shutdown", "turn_off"], "default": "shutdown"},
        "remove_disks": {"type": "bool", "default": False},
    }


def _view(view: VmView | None, name: str) -> dict[str, t.Any]:
    return view.to_result() if view is not None else {"name": name, "state": "absent"}


def _result(plan: VmPlan, spec_state: str) -> dict[str, t.Any]:
    result: dict[str, t.Any] = {"changed": plan.changed, "changes": plan.changes}
    if spec_state == "absent":
        result.update(removed_files=plan.removed_files, kept_files=plan.kept_files)
    return result


def _facts(observed: t.Any) -> tuple[t.Any, ...]:
    return [vm.to_result() for vm in observed.vms], observed.vhds


def _after_apply(client: t.Any, spec: t.Any, observed: t.Any, restarted: bool) -> AfterApply[t.Any]:
    """A failed apply may have done part of the plan: re-read, and say ``changed`` and how the VM is now
    (a VM stopped for the change and started again after the failure counts as changed: its guest restarted)."""
    def report(now: t.Any, _changed: bool) -> dict[str, t.Any]:
        current = now.vms[0] if len(now.vms) == 1 else None
        return {"vm": current.to_result() if current else None}

    return AfterApply(
        subject="the task may have changed the host",
        read=lambda: observe(spec, client.run(read_commands(spec), retry=True)),
        before=_facts(observed), view=_facts, report=report, also_changed=restarted,
        changed_detail="part of the plan was applied before the failure (see vm for the VM as it is now); fix the "
                       "cause and run the task again to finish",
        unchanged_detail="the VM was stopped for the change and started again; nothing else was changed" if restarted
        else "nothing was changed")


def _apply(client: t.Any, commands: list[Cmd], reread: list[Cmd], refusals: list[str]) -> list[t.Any]:
    """Run the plan and the re-read in one batch (whose re-read rows are returned). When the guest does not shut
    down, Stop-VM fails without turning the VM off (under ErrorAction Stop the batch ends there), so the VM is
    turned off explicitly, the rest of the batch runs, and the reason is added to ``refusals``."""
    pending = list(commands)
    while True:
        try:
            return client.run([*pending, *reread])[len(pending):]
        except HyperVError as err:
            failed = next((i for i, c in enumerate(pending) if is_guest_shutdown(c) and err.command == c.describe()),
                          None)
            if failed is None:
                raise
            refusals.append(err.message)
            pending = [turn_off_instead(pending[failed]), *pending[failed + 1:]]


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True)
    try:
        spec = build_spec(module.params)
    except SpecError as exc:
        module.fail_json(msg=f"hyperv_vm '{module.params['name']}': {exc}", problems=exc.problems)
    client = module.client()
    host = client.options.hostname
    try:
        observed = observe(spec, client.run(read_commands(spec), retry=True))
    except HyperVError as err:
        module.fail_hyperv(err)
    plan = plan_vm(spec, observed)
    before = observed.vms[0] if len(observed.vms) == 1 else None
    if plan.errors:
        module.fail_json(msg=f"{host}: " + " ".join(plan.errors), problems=plan.errors, vm=before.to_result() if before else None,
                         round_trips=module.round_trips)
    result = _result(plan, spec.state)
    if not plan.changed or module.check_mode:
        after = plan.after if plan.changed else before
        if module._diff:
            result["diff"] = {"before": _view(before, spec.name), "after": _view(after, spec.name)}
        module.exit_json(vm=after.to_result() if after else None, round_trips=module.round_trips, **result)
    reread = [] if spec.state == "absent" else reread_commands(spec.name, before.id if before else None)
    refusals: list[str] = []
    try:
        rows = _apply(client, plan.commands, reread, refusals)
    except HyperVError as err:
        restarted = False
        if plan.recovery:
            try:
                client.run(plan.recovery)
                restarted = True
            except HyperVError as undo:
                module.warn(f"could not return VM '{spec.name}' to {before.state if before else 'its prior state'}: {undo}")
        module.fail_after_apply(err, _after_apply(client, spec, observed, restarted), changes=plan.changes)
    if any(is_guest_shutdown(c) for c in plan.commands):
        result["stopped_by"] = "turn off" if refusals else "guest shutdown"
        for refusal in refusals:
            module.warn(f"{host}: the guest of VM '{spec.name}' did not shut down ({refusal}); the VM was turned off.")
    final = next(iter(exact(parse_vms(rows), spec.name)), None) if reread else None
    if module._diff:
        result["diff"] = {"before": _view(before, spec.name), "after": _view(final, spec.name)}
    module.exit_json(vm=final.to_result() if final else None, round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
