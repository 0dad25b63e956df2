#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_switch
short_description: Manage Hyper-V virtual switches and the VLAN of their management OS adapter
version_added: 0.1.0
description:
  - Create, change and remove external, internal and private virtual switches on a Hyper-V host.
  - Put the management OS adapter of a switch on an access VLAN, or back to untagged.
  - Putting the management OS adapter of the switch the controller connects over onto a VLAN can cut
    the controller, and every untagged device on the LAN, off from the host. The module finds out
    whether the connection runs over the switch (the address it connects to is bound to the switch's
    vEthernet adapter) and refuses such changes unless O(accept_management_cutoff=true).
  - Reads the host in one round trip and applies every change in one more.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description: The name of the switch.
    type: str
    required: true
  state:
    description:
      - V(present) creates or changes the switch, V(absent) removes it.
      - Removing a switch leaves the VM adapters connected to it disconnected.
    type: str
    choices: [present, absent]
    default: present
  switch_type:
    description:
      - V(external) binds the switch to the physical NIC O(net_adapter_name); V(internal) connects VMs and
        the management OS; V(private) connects VMs only.
      - Required to create a switch unless O(net_adapter_name) is set (then V(external) is assumed).
      - Changing the type of an existing switch is done in place, as Hyper-V Manager does.
    type: str
    choices: [external, internal, private]
  net_adapter_name:
    description:
      - The physical network adapter (as Get-NetAdapter names it, for example V(Ethernet)) an external switch is bound to.
    type: str
  allow_management_os:
    description:
      - Whether the management OS shares the NIC of an external switch through a vEthernet adapter.
      - Defaults to V(true) when an external switch is created. Internal switches always have a management OS
        adapter, private switches never.
    type: bool
  management_adapter_name:
    description:
      - The name of the management OS network adapter of the switch that O(management_vlan) applies to.
      - Defaults to the switch name, which is what Hyper-V calls the adapter it creates with the switch.
    type: str
  management_vlan:
    description:
      - The VLAN of the management OS adapter of the switch.
      - On a host whose connection runs over this adapter, changing it is refused unless O(accept_management_cutoff=true).
    type: dict
    suboptions:
      mode:
        description: V(access) tags the adapter with O(management_vlan.id); V(untagged) removes the tag.
        type: str
        choices: [access, untagged]
        default: access
      id:
        description: The VLAN ID (1-4094) for O(management_vlan.mode=access).
        type: int
  notes:
    description: Notes stored with the switch.
    type: str
  enable_iov:
    description:
      - Enable SR-IOV on an external switch.
      - Hyper-V sets this only when a switch is created; a different value on an existing switch needs O(recreate=true).
    type: bool
  minimum_bandwidth_mode:
    description:
      - The minimum bandwidth mode of the switch.
      - Hyper-V sets this only when a switch is created; a different value on an existing switch needs O(recreate=true).
    type: str
    choices: [default, weight, absolute, none]
  recreate:
    description:
      - Allow removing and creating the switch again when a setting can only be given at creation.
      - VM adapters that were connected to the switch are connected to the new one in the same round trip.
    type: bool
    default: false
  accept_management_cutoff:
    description:
      - Allow changes that can cut the host's management OS off the network the controller uses, that is a VLAN
        change, removal, unbinding or recreation of the switch whose management OS adapter carries the connection
        (or when the connection address cannot be found on the host).
      - If the connection is lost while the change is applied, the task reports the change with a warning
        instead of failing.
    type: bool
    default: false
  management_vlan_cutoff:
    description:
      - What happens to a O(management_vlan) change that O(accept_management_cutoff) does not allow.
      - V(fail) refuses the task.
      - V(skip) leaves the management OS adapter's VLAN as it is, applies the rest and warns (naming
        O(accept_management_cutoff)), for example in a play over several hosts where some are managed over the switch.
    type: str
    choices: [fail, skip]
    default: fail
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the host.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change, in check mode).
    support: full
notes:
  - VLAN isolation across hosts, in short. VMs tagged with a VLAN on an external switch reach
    VMs of the same VLAN on other hosts only when the physical network carries that VLAN between the hosts;
    in the common lab setup the management OS side of the switch is put on the same VLAN, which takes the host
    off the untagged LAN unless it has another NIC. Give such hosts a second NIC for management, or accept the cutoff.
seealso:
  - module: winvirt.hyperv.hyperv_host_info
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Create an external switch shared with the management OS
  winvirt.hyperv.hyperv_switch:
    name: vNet-LAN50
    switch_type: external
    net_adapter_name: Ethernet
    allow_management_os: true

- name: Create an internal switch for a lab
  winvirt.hyperv.hyperv_switch:
    name: Lab Internal
    switch_type: internal
    notes: lab only

- name: Create a private switch
  winvirt.hyperv.hyperv_switch:
    name: Isolated
    switch_type: private

- name: Put the management OS side of the switch on VLAN 20 (cuts off untagged LAN access)
  winvirt.hyperv.hyperv_switch:
    name: vNet-LAN50
    management_vlan:
      mode: access
      id: 20
    accept_management_cutoff: true

- name: Remove a switch
  winvirt.hyperv.hyperv_switch:
    name: Isolated
    state: absent
"""

RETURN = r"""
switch:
  description:
    - The switch after the task (as it would be, in check mode); null when absent.
    - When the task fails it is the switch as it is on the host, never the refused or half-applied wish.
  returned: always
  type: dict
  contains:
    name:
      description: The switch name.
      type: str
      sample: vNet-LAN50
    switch_type:
      description: V(external), V(internal) or V(private).
      type: str
      sample: external
    net_adapter_name:
      description: The physical NIC of an external switch.
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
      description: The VLAN of the management OS adapter (mode and id), null without one.
      type: dict
      sample:
        mode: access
        id: 20
changes:
  description: What was (or in check mode would be) changed, in words.
  returned: always
  type: list
  elements: str
  sample: ["set the management OS adapter 'vNet-LAN50' from untagged to access VLAN 20"]
management_connection:
  description: Where the connection to the host runs, as the module found out before planning.
  returned: always
  type: dict
  contains:
    address:
      description: The address the controller connects to.
      type: str
      sample: 127.0.0.11
    interface:
      description: The host interface that address is bound to, null when not found.
      type: str
      sample: vEthernet (vNet-LAN50)
    over_this_switch:
      description: True when the connection runs over this switch's management OS adapter; null when unknown.
      type: bool
      sample: true
connection_lost:
  description: True when the connection dropped while an accepted cutoff was applied.
  returned: when the connection was lost
  type: bool
  sample: true
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._address import connection_address
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._switch import (
    BANDWIDTH_MODES,
    SWITCH_TYPES,
    SwitchSpec,
    Vlan,
    ambiguity,
    parse_network,
    parse_switch,
    plan_switch,
    read_commands,
    verify_commands,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, name_problem, problems_of

_LOST_CONNECTION = ("WinRM unreachable", "WinRM transport", "WinRM fault")


def argument_spec() -> dict[str, t.Any]:
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "switch_type": {"type": "str", "choices": list(SWITCH_TYPES)},
        "net_adapter_name": {"type": "str"},
        "allow_management_os": {"type": "bool"},
        "management_adapter_name": {"type": "str"},
        "management_vlan": {
            "type": "dict",
            "options": {
                "mode": {"type": "str", "choices": ["access", "untagged"], "default": "access"},
                "id": {"type": "int"},
            },
        },
        "notes": {"type": "str"},
        "enable_iov": {"type": "bool"},
        "minimum_bandwidth_mode": {"type": "str", "choices": list(BANDWIDTH_MODES)},
        "recreate": {"type": "bool", "default": False},
        "accept_management_cutoff": {"type": "bool", "default": False},
        "management_vlan_cutoff": {"type": "str", "choices": ["fail", "skip"], "default": "fail"},
    }


def vlan_from_params(value: dict[str, t.Any] | None) -> Vlan | None:
    """The management_vlan option as a Vlan; raises ValueError for an impossible combination."""
    if value is None:
        return None
    if value["mode"] == "untagged":
        if value.get("id") not in (None, 0):
            raise ValueError("management_vlan.id must not be set with mode: untagged")
        return Vlan("untagged")
    vlan_id = value.get("id")
    if vlan_id is None or not 1 <= vlan_id <= 4094:
        raise ValueError(f"management_vlan.id must be between 1 and 4094 for mode: access, got {vlan_id}")
    return Vlan("access", vlan_id)


def spec_from_params(params: dict[str, t.Any]) -> SwitchSpec:
    return SwitchSpec(
        name=params["name"],
        state=params["state"],
        switch_type=params["switch_type"],
        net_adapter_name=params["net_adapter_name"],
        allow_management_os=params["allow_management_os"],
        management_adapter_name=params["management_adapter_name"],
        management_vlan=vlan_from_params(params["management_vlan"]),
        notes=params["notes"],
        enable_iov=params["enable_iov"],
        minimum_bandwidth_mode=params["minimum_bandwidth_mode"],
        recreate=params["recreate"],
        accept_management_cutoff=params["accept_management_cutoff"],
        management_vlan_cutoff=params["management_vlan_cutoff"],
    )


def _after_apply(client: t.Any, spec: SwitchSpec, address: str, before: t.Any) -> AfterApply[t.Any]:
    """The switch as it is after a failed apply, and whether the failed task changed it."""
    def read() -> dict[str, t.Any] | None:
        results = client.run(read_commands(spec, address), retry=True)
        now = parse_switch(spec, results[0], results[2], parse_network(results, address))
        return now.to_result() if now else None

    return AfterApply(subject="the task may have changed the switch", read=read,
                      before=before.to_result() if before else None,
                      report=lambda now, _changed: {"switch": now},
                      changed_detail="the switch was changed before the failure (see switch for it as it is now)")


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True)
    fail_on_problems(module, "hyperv_switch", problems_of(name_problem("name", module.params["name"])))
    try:
        spec = spec_from_params(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    host = module.connection_options().hostname
    address = connection_address(host)
    client = module.client()
    try:
        results = client.run(read_commands(spec, address), retry=True)
    except HyperVError as err:
        module.fail_hyperv(err)
    network = parse_network(results, address)
    refusal = ambiguity(spec, results[0], host)
    if refusal:  # which of the switches would be meant is unknown: none is shown, none is touched
        module.fail_json(msg=refusal, changed=False, changes=[], switch=None, round_trips=module.round_trips,
                         management_connection={"address": address, "interface": network.connection_interface,
                                                "over_this_switch": None})
    current = parse_switch(spec, results[0], results[2], network)
    plan = plan_switch(spec, current, network)
    connection = {"address": address, "interface": network.connection_interface, "over_this_switch": plan.connection_over_switch}
    result: dict[str, t.Any] = {
        "changed": bool(plan.changes),
        "changes": [change.description for change in plan.changes],
        "management_connection": connection,
        "switch": plan.after.to_result() if plan.after else None,
    }
    if plan.errors:
        # nothing was changed, nothing will be: the switch is shown as it is, not as refused
        result.update(changed=False, changes=[], switch=current.to_result() if current else None)
        module.fail_json(msg=" ".join(plan.errors), round_trips=module.round_trips, **result)
    for warning in plan.warnings:
        module.warn(warning)
    if module._diff:
        result["diff"] = {"before": current.to_result() if current else {}, "after": result["switch"] or {}}
    if not plan.changes or module.check_mode:
        module.exit_json(round_trips=module.round_trips, **result)
    verify = verify_commands(spec)
    try:
        applied = client.run([*plan.commands, *verify])
    except HyperVError as err:
        if plan.risks_connection and spec.accept_management_cutoff and err.category in _LOST_CONNECTION:
            module.warn(f"the connection to {err.host} was lost while applying an accepted management cutoff: {err.message}")
            module.exit_json(connection_lost=True, round_trips=module.round_trips, **result)
        result.pop("changed")
        result["switch"] = None  # unknown unless it is read back
        module.fail_after_apply(err, _after_apply(client, spec, address, current), **result)
    after = parse_switch(spec, applied[-2], applied[-1], network)
    result["switch"] = after.to_result() if after else None
    if module._diff:
        result["diff"]["after"] = result["switch"] or {}
    module.exit_json(round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
