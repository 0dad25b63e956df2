#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_vm_info
short_description: Report the virtual machines of a Hyper-V host with their disks, parent chains, adapters and checkpoints
version_added: 0.1.0
description:
  - Lists the VMs of a host (all, or those matching a name or wildcard pattern) with state, generation, memory,
    processors, firmware, disks (each with its parent chain), DVD drives, network adapters with VLANs,
    checkpoints, replication state and health.
  - One round trip reads the VMs; one more reads their disk files, plus one per further level of differencing
    disk chains.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description:
      - The VM name, or a pattern with the wildcards V(*), V(?) and V([...]) as C(Get-VM -Name) takes them.
      - Not set lists every VM of the host.
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_vm
  - module: winvirt.hyperv.hyperv_vhd
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Every VM of the host
  winvirt.hyperv.hyperv_vm_info:
  register: all_vms

- name: The web servers
  winvirt.hyperv.hyperv_vm_info:
    name: web*
  register: web

- name: Disks whose chain ends in a missing parent
  ansible.builtin.debug:
    msg: "{{ item.path }}"
  loop: "{{ all_vms.vms | map(attribute='disks') | flatten }}"
  when: item.chain | selectattr('missing') | list | length > 0
"""

RETURN = r"""
vms:
  description: The VMs found, by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: VM name.
      type: str
      sample: web1
    id:
      description: VM Id.
      type: str
      sample: 03a69d9b-2c2e-5fce-b016-ee7f605dedac
    state:
      description: Power state as Hyper-V names it.
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
      description: As Hyper-V names it.
      type: str
      sample: StartIfRunning
    automatic_stop_action:
      description: As Hyper-V names it.
      type: str
      sample: Save
    checkpoint_type:
      description: As Hyper-V names it.
      type: str
      sample: Production
    disks:
      description:
        - Attached disks with path, controller_type, controller_number, controller_location, and C(chain) - the
          disk file and its parents, leaf first, each with path, format, type, size, file_size, parent_path and
          C(missing) (true for a file that could not be read, which ends the chain).
      type: list
      elements: dict
      sample:
        - path: D:\Hyper-V\Virtual Hard Disks\ws1.vhdx
          controller_type: SCSI
          controller_number: 0
          controller_location: 0
          chain:
          - path: D:\Hyper-V\Virtual Hard Disks\ws1.vhdx
            format: vhdx
            type: differencing
            size: 42949672960
            file_size: 943718400
            minimum_size: 943718400
            parent_path: D:\Hyper-V\Virtual Hard Disks\base-2025.vhdx
            attached: true
            missing: false
          - path: D:\Hyper-V\Virtual Hard Disks\base-2025.vhdx
            format: vhdx
            type: dynamic
            size: 42949672960
            file_size: 11534336000
            minimum_size: 11534336000
            parent_path: null
            attached: true
            missing: false
    dvd_drives:
      description: DVD drives with path (the ISO or null) and controller slot.
      type: list
      elements: dict
      sample:
        - path: null
          controller_type: IDE
          controller_number: 1
          controller_location: 0
    network_adapters:
      description:
        - Adapters with name, switch, mac_address, dynamic_mac, mac_address_spoofing and vlan (mode, id, allowed,
          native_id).
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
    checkpoints:
      description: Checkpoints with name, id, parent_name, snapshot_type and creation_time.
      type: list
      elements: dict
      sample:
        - name: baseline
          id: ac593803-8e00-5867-bb74-1b7b0514b523
          parent_name: null
          snapshot_type: Standard
          creation_time: '2026-11-01T08:01:00Z'
    replication_state:
      description: Hyper-V Replica state (Disabled when not replicated).
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
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import VHD_PROPERTIES, chain, index_vhds, read_chains
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import VmView, belongs_to, from_vm, parse_vms, read_vm_commands

SNAPSHOT_PROPERTIES = ["VMId", "Name", "Id", "ParentSnapshotName", "SnapshotType", "CreationTime"]


def _checkpoints(rows: list[t.Any], view: VmView) -> list[dict[str, t.Any]]:
    return [{"name": row.get("Name"), "id": str(row.get("Id")) if row.get("Id") else None,
             "parent_name": row.get("ParentSnapshotName") or None, "snapshot_type": row.get("SnapshotType"),
             "creation_time": row.get("CreationTime")}
            for row in rows if belongs_to(row, view.id)]


def vm_disk_files(selector: Cmd) -> Cmd:
    """The disk files of the selected VMs, in the same batch as the VMs (Microsoft's Get-VHD example 3:
    ``Get-VM -VMName TestVM | Select-Object -Property VMId | Get-VHD``; the VM object itself would also bind
    its folder, ``Path``, to Get-VHD's -Path). A file that is missing yields no row: its chain says so."""
    return Cmd(selector.cmdlet, dict(selector.parameters), patterns=selector.patterns, missing_ok=True,
               piped=[Cmd("Select-Object", {"Property": ["VMId"]}), Cmd("Get-VHD")], select=VHD_PROPERTIES)


def main() -> None:
    module = HyperVModule({"name": {"type": "str"}}, supports_check_mode=True)
    name = module.params["name"]
    selector = Cmd("Get-VM", {"Name": name} if name else {}, patterns=True)  # name is a documented pattern
    commands = [*read_vm_commands(selector), from_vm(selector, "Get-VMSnapshot", select=SNAPSHOT_PROPERTIES, missing_ok=True),
                vm_disk_files(selector)]
    client = module.client()
    try:
        rows = client.run(commands, retry=True)
        views = parse_vms(rows)
        known = index_vhds(rows[-1])
        read_chains(client.run, known)
    except HyperVError as err:
        module.fail_hyperv(err)
    vms = []
    for view in sorted(views, key=lambda v: v.name.lower()):
        entry = view.to_result()
        entry["disks"] = [{**disk, "chain": chain(disk["path"], known) if disk["path"] else []} for disk in entry["disks"]]
        entry["checkpoints"] = _checkpoints(rows[-2], view)
        vms.append(entry)
    module.exit_json(changed=False, vms=vms, round_trips=module.round_trips)


if __name__ == "__main__":
    main()
