#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_host_info
short_description: Read a Hyper-V host's facts, features, settings, switches and remote-management state
version_added: 0.1.0
description:
  - Reports what the host says about itself, changing nothing.
  - Editions and limits (clustering available, processors, memory, VM configuration versions) are given only as the
    host reports them, never from a table of Windows versions.
  - Two round trips; the second one is the Hyper-V part and is smaller when Hyper-V does not run.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  feature_method:
    description:
      - How to read feature states; see the option of the same name of winvirt.hyperv.hyperv_host.
    type: str
    choices: [auto, server_manager, dism]
    default: auto
attributes:
  check_mode:
    description: Can run in check_mode; the module never changes anything.
    support: full
  diff_mode:
    description: Changes nothing, so there is nothing to diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_host
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Read the host
  winvirt.hyperv.hyperv_host_info:
  register: host_info

- name: Show whether Hyper-V runs and which VM versions the host supports
  ansible.builtin.debug:
    msg: "{{ host_info.facts.hyperv_service }} {{ host_info.supported_vm_versions }}"
"""

RETURN = r"""
facts:
  description: OS caption, version, build, SKU, product type, domain membership, model, processors, memory, vmms status.
  returned: always
  type: dict
  sample:
    os_caption: Microsoft Windows Server 2025 Datacenter
    os_version: 10.0.26100
    os_build: '26100'
    os_sku: 8
    product_type: server
    is_client_os: false
    last_boot_time: '2025-01-06T06:00:00Z'
    computer_name: HV1
    dns_host_name: hv1
    domain: lab.test
    part_of_domain: true
    model: PowerEdge R760
    manufacturer: Dell Inc.
    hypervisor_present: true
    logical_processors: 32
    total_physical_memory: 274877906944
    hyperv_service: Running
features:
  description: State of each feature winvirt.hyperv.hyperv_host manages, and Failover-Clustering (V(installed),
    V(install_pending), V(available), V(partial) for a tools feature without all its sub features, V(unknown) when
    the host does not offer it).
  returned: always
  type: dict
  sample: {"Hyper-V": installed, "Failover-Clustering": available}
hyperv_running:
  description: Whether the Hyper-V Virtual Machine Management service runs.
  returned: always
  type: bool
  sample: true
settings:
  description:
    - Host settings under winvirt.hyperv.hyperv_host's option names, so they can be given back to it as they are
      (V(live_migration.enabled), V(live_migration.authentication), V(live_migration.networks), ...).
  returned: when Hyper-V runs
  type: dict
  sample:
    virtual_machine_path: C:\ProgramData\Microsoft\Windows\Hyper-V
    virtual_hard_disk_path: C:\ProgramData\Microsoft\Windows\Virtual Hard Disks
    enhanced_session_mode: false
    numa_spanning: true
    max_storage_migrations: 2
    live_migration: {enabled: true, authentication: kerberos, performance: compression, max_migrations: 2,
                     use_any_network: false, networks: [10.0.50.0/24]}
reported:
  description: What Get-VMHost reports about capacity (logical processors, memory capacity, MAC address pool).
  returned: when Hyper-V runs
  type: dict
  sample:
    ComputerName: HV1
    LogicalProcessorCount: 32
    MemoryCapacity: 274877906944
    VirtualMachineMigrationEnabled: false
    MacAddressMinimum: 00155D0B0000
    MacAddressMaximum: 00155D0BFFFF
supported_vm_versions:
  description: VM configuration versions the host supports, as Get-VMHostSupportedVersion reports them.
  returned: when Hyper-V runs
  type: list
  elements: dict
  sample:
    - Name: Microsoft Windows (version 11.0)
      Version: '11.0'
      IsDefault: false
    - Name: Microsoft Windows (version 12.0)
      Version: '12.0'
      IsDefault: true
switches:
  description: Virtual switches with their type, NIC and management OS adapters.
  returned: when Hyper-V runs
  type: list
  elements: dict
  sample:
    - name: Lab Private
      switch_type: private
      net_adapter_description: null
      allow_management_os: false
      notes: ''
      management_adapters: []
    - name: vNet-LAN50
      switch_type: external
      net_adapter_description: Intel(R) Ethernet Controller X710 for 10GbE SFP+
      allow_management_os: true
      notes: ''
      management_adapters:
      - vNet-LAN50
credssp_server:
  description: Whether the CredSSP server role is enabled.
  returned: always
  type: bool
  sample: true
management_client:
  description: TrustedHosts, CredSSP client state and delegate lists of this machine as a management client.
  returned: always
  type: dict
  sample:
    trusted_hosts: []
    credssp_client: false
    credssp_delegate_computers: []
    ntlm_only_policy_enabled: false
    ntlm_only_delegate_computers: []
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils import _features as features
from ansible_collections.winvirt.hyperv.plugins.module_utils import _host_settings as settings
from ansible_collections.winvirt.hyperv.plugins.module_utils import _management_client as mgmt
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_facts import parse_facts
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_facts import read_commands as facts_read
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule

_SWITCH = ["Name", "SwitchType", "NetAdapterInterfaceDescription", "AllowManagementOS", "Notes"]


def _feature_names(method: str) -> list[str]:
    names = [*features.FEATURES, "Failover-Clustering"] if method == "server_manager" else \
        [name for name, feature in features.FEATURES.items() if feature.dism_name]
    return names


def switches(switch_rows: list[t.Any], adapter_rows: list[t.Any]) -> list[dict[str, t.Any]]:
    listing = []
    for row in switch_rows:
        name = row.get("Name")
        listing.append({
            "name": name,
            "switch_type": str(row.get("SwitchType") or "").lower(),
            "net_adapter_description": row.get("NetAdapterInterfaceDescription"),
            "allow_management_os": bool(row.get("AllowManagementOS")),
            "notes": row.get("Notes") or "",
            "management_adapters": [a.get("Name") for a in adapter_rows if a.get("SwitchName") == name],
        })
    return listing


def main() -> None:
    module = HyperVModule({"feature_method": {"type": "str", "choices": list(features.METHODS), "default": "auto"}},
                          supports_check_mode=True)
    client = module.client()
    try:
        first = client.run([*facts_read(), settings.credssp_server_read(), *mgmt.read_commands()], retry=True)
        facts = parse_facts(first[:3])
        method = features.choose_method(module.params["feature_method"], facts.is_client_os)
        names = _feature_names(method)
        second_commands = features.read_commands(names, method)
        feature_count = len(second_commands)
        hyperv = facts.hyperv_running
        if hyperv:
            second_commands += [
                *settings.read_commands(),
                Cmd("Get-VMHostSupportedVersion", {}, select=["Name", "Version", "IsDefault"]),
                Cmd("Get-VMSwitch", {}, select=_SWITCH),
                Cmd("Get-VMNetworkAdapter", {"ManagementOS": True}, select=["Name", "SwitchName"]),
            ]
        second = client.run(second_commands, retry=True)
    except HyperVError as err:
        module.fail_hyperv(err, round_trips=module.round_trips)
    states = features.parse_states(names, method, second[:feature_count])
    result: dict[str, t.Any] = {
        "changed": False,
        "facts": facts.to_result(),
        "features": {s.name: s.state for s in states},
        "hyperv_running": hyperv,
        "credssp_server": settings.credssp_enabled(first[3]),
        "management_client": mgmt.parse_state(first[4:]).to_result(),
    }
    if hyperv:
        rest = second[feature_count:]
        state = settings.parse_state(rest[0:2])
        result["settings"] = state.to_result()
        result["reported"] = state.reported
        result["supported_vm_versions"] = rest[2]
        result["switches"] = switches(rest[3], rest[4])
    module.exit_json(round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
