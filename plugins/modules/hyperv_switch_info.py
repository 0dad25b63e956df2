#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_switch_info
short_description: Report the virtual switches of a Hyper-V host with their management OS adapters, VLANs and VM adapters
version_added: 0.1.0
description:
  - Lists the virtual switches of a host (all, one by its exact name, or those matching a wildcard pattern) with
    their type, NIC, SR-IOV and bandwidth settings, the management OS adapters with their VLANs, and the VM adapters
    connected to them.
  - Reads everything in one round trip, whatever the number of switches. Changes nothing.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description:
      - The exact name of the switch. V(*), V(?), V([) and V(]) are ordinary characters here, so V(Lab [A]) finds
        only the switch called C(Lab [A]).
      - A switch of that name that does not exist gives an empty O(ignore:switches) list, not a failure.
      - Mutually exclusive with O(name_pattern). Neither lists every switch of the host.
    type: str
  name_pattern:
    description:
      - A wildcard pattern as C(Get-VMSwitch -Name) takes it (V(*), V(?), V([abc])), for example V(vNet-*).
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
notes:
  - Management OS and VM adapters are matched to a switch by its name; two switches with the same name share them.
seealso:
  - module: winvirt.hyperv.hyperv_switch
  - module: winvirt.hyperv.hyperv_host_info
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Every switch of the host
  winvirt.hyperv.hyperv_switch_info:
  register: all_switches

- name: One switch, by its exact name
  winvirt.hyperv.hyperv_switch_info:
    name: vNet-LAN50
  register: lan

- name: Fail unless the management OS of vNet-LAN50 is untagged
  ansible.builtin.assert:
    that: lan.switches[0].management_vlan.mode == 'untagged'

- name: The switches whose names start with vNet-
  winvirt.hyperv.hyperv_switch_info:
    name_pattern: vNet-*
"""

RETURN = r"""
switches:
  description: The switches found, by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The switch name.
      type: str
      sample: vNet-LAN50
    id:
      description: The switch Id.
      type: str
      sample: 02def697-ead4-5456-808d-c8b161fa11d9
    switch_type:
      description: V(external), V(internal) or V(private).
      type: str
      sample: external
    net_adapter_name:
      description: The physical NIC of an external switch (null for the others).
      type: str
      sample: Ethernet
    net_adapter_description:
      description: The interface description of that NIC, as Hyper-V reports it.
      type: str
      sample: Intel(R) Ethernet Controller X710 for 10GbE SFP+
    allow_management_os:
      description: Whether the management OS has an adapter on the switch.
      type: bool
      sample: true
    notes:
      description: The switch notes.
      type: str
      sample: ''
    iov_enabled:
      description: Whether SR-IOV is enabled.
      type: bool
      sample: false
    minimum_bandwidth_mode:
      description: The bandwidth reservation mode.
      type: str
      sample: absolute
    management_vlan:
      description:
        - The VLAN of the management OS adapter named after the switch (else of its first one), as O(ignore:mode)
          V(access) or V(untagged) and O(ignore:id); null for a switch without a management OS adapter.
      type: dict
      sample: {mode: untagged, id: null}
    management_adapters:
      description: Every management OS adapter on the switch, with its VLAN.
      type: list
      elements: dict
      sample: [{name: vNet-LAN50, vlan: {mode: untagged, id: null}}]
    vm_adapters:
      description: The VM network adapters connected to the switch.
      type: list
      elements: dict
      sample: [{vm_name: app1, name: Network Adapter}, {vm_name: web1, name: Network Adapter}]
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.winvirt.hyperv.plugins.module_utils import _name_filter as names
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._switch import listing, listing_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems


def main() -> None:
    module = HyperVModule(names.argument_spec(), mutually_exclusive=[("name", "name_pattern")], supports_check_mode=True)
    fail_on_problems(module, "hyperv_switch_info", names.problems(module.params))
    wanted = names.from_params(module.params)
    client = module.client()
    try:
        results = client.run(listing_commands(wanted.parameters, wanted.patterns), retry=True)
    except HyperVError as err:
        module.fail_hyperv(err)
    module.exit_json(changed=False, switches=listing(results), round_trips=module.round_trips)


if __name__ == "__main__":
    main()
