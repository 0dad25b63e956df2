#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_connector
short_description: Manage a Citrix App Layering Hyper-V connector configuration
version_added: 0.1.0
description:
  - Create, change and delete a Hyper-V connector configuration on a Citrix App Layering appliance (ELM), the
    settings the appliance uses to import the OS, create layers and publish images on a Hyper-V host.
  - Checks every field (not empty, in range, a path) before any remote call.
  - Then checks the rules of the connector form and the agent's Hyper-V host (the connection options point at it,
    one round trip) together, and reports every violation at once, each with its reason, before anything changes.
    Generation 2 needs offload compositing and VHDX; VHDX needs offload compositing; a UEFI template without offload
    compositing would produce a VM that bluescreens, so it is refused. On the host, the App Layering Agent service
    installed and running, BITS available, the switch there exactly once, the template VM with at least one network
    adapter and no disks, the storage path on a local volume (not a mapped drive) with room for the layer disk
    cache. Reports the firmware published VMs will get in RV(resulting_firmware).
  - Registers the agent with the appliance when asked (C(registerwithelm) of the agent's executable over WinRS),
    once everything else passed.
  - A task that fails after it changed something (the agent registered, then the TEST refused) returns
    C(changed=true) and those changes in RV(changes).
  - Runs the appliance's TEST before it saves a new or changed configuration.
  - The appliance has no public REST API. The calls this module makes, and which of them the vendor does not
    document, are listed in the collection's docs/app_layering.md.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description: The name of the connector configuration.
    type: str
    required: true
  state:
    description: V(present) creates or updates the configuration, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  agent:
    description:
      - The App Layering Agent the appliance reaches Hyper-V through, by host name (as the appliance lists it, or
        the host's FQDN). The agent runs as the machine account of its host.
      - Required with O(state=present).
    type: str
  template_vm:
    description:
      - A VM on the host whose settings published VMs copy. It must have at least one network adapter and no disks.
      - Without a template, published VMs use BIOS.
    type: str
  cpus:
    description: The number of CPUs of the VMs the appliance creates.
    type: int
    default: 4
  memory_mb:
    description: The memory of the VMs the appliance creates, in MB.
    type: int
    default: 8192
  switch:
    description: The virtual switch the VMs connect to; it must exist exactly once on the host. Required with O(state=present).
    type: str
  generation:
    description: The VM generation. Generation 2 needs O(offload_compositing=true) and O(disk_format=vhdx).
    type: int
    choices: [1, 2]
    default: 1
  disk_format:
    description: The layer disk format. V(vhdx) needs O(offload_compositing=true), on generation 1 too.
    type: str
    choices: [vhd, vhdx]
    default: vhd
  offload_compositing:
    description: Build layers on the Hyper-V host (a compositing engine VM) rather than on the appliance.
    type: bool
    default: false
  storage_path:
    description:
      - Where the layer disks go, a local path on the host (for example V(D:\\App Layering)) or a UNC path.
      - A drive letter that is not a volume of the host (a mapped drive) is refused.
      - Required with O(state=present).
    type: str
  unc_path:
    description:
      - The UNC path of the same location as O(storage_path), when the appliance reaches it over a share.
      - When O(storage_path) is a UNC path itself, both must be the same.
    type: str
  layer_cache_size_gb:
    description:
      - The layer disk cache size in GB; V(0) disables the cache. With a cache, boot and packaging disk copies are
        reused and the space used is bounded by this size; the storage path's volume must have that much free.
    type: int
    default: 0
  register_agent:
    description:
      - Register the agent on the host with the appliance when it is not, with the appliance credentials.
      - The password is passed on the agent's command line over WinRS and never logged.
    type: bool
    default: false
  agent_executable:
    description: The path of the agent's executable on the host.
    type: str
    default: C:\Program Files (x86)\Citrix\Agent\Citrix.AppLayering.Agent.Service.exe
  agent_ignore_cert_errors:
    description:
      - Let the agent register with an appliance whose certificate the host does not trust (the appliance's
        certificate is self-signed unless you uploaded one).
    type: bool
    default: false
  run_test:
    description: Run the appliance's TEST of the configuration before saving a new or changed configuration.
    type: bool
    default: true
  appliance:
    description: How to reach the App Layering appliance.
    type: dict
    required: true
    suboptions:
      address:
        description: The appliance's host name or address.
        type: str
        required: true
      username:
        description: An appliance administrator.
        type: str
        default: administrator
      password:
        description: The administrator's password.
        type: str
        required: true
      validate_certs:
        description: Validate the appliance's HTTPS certificate. Turning this off is an explicit choice.
        type: bool
        default: true
      ca_path:
        description: A PEM file with the CA that issued the appliance's certificate.
        type: path
      management_port:
        description: The port of the appliance's management API (SOAP login).
        type: int
        default: 443
      connector_port:
        description: The port of the Hyper-V connector's API.
        type: int
        default: 3512
      timeout:
        description: Seconds to wait for an appliance answer.
        type: int
        default: 30
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the appliance or the host.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change, in check mode).
    support: full
notes:
  - Not compatible with the Image Portability Service. There is no machine creation variant of this connector, but
    it can publish layered images to a machine creation location.
seealso:
  - name: Citrix App Layering with this collection
    description: docs/app_layering.md in the collection (API calls, HTTPS file transfer, generation 2 workflows).
    link: https://github.com/winvirt/hyperv/blob/main/docs/app_layering.md
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Generation 2 connector with offload compositing, registering the agent on hv1
  winvirt.hyperv.hyperv_connector:
    hostname: hv1.lab.test
    name: Hyper-V gen2
    agent: hv1
    switch: vNet-LAN50
    generation: 2
    disk_format: vhdx
    offload_compositing: true
    storage_path: D:\Hyper-V
    layer_cache_size_gb: 100
    register_agent: true
    appliance:
      address: elm1.lab.test
      password: "{{ elm_password }}"
      ca_path: /etc/pki/elm-ca.pem

- name: Delete the connector configuration
  winvirt.hyperv.hyperv_connector:
    hostname: hv1.lab.test
    name: Hyper-V gen2
    state: absent
    appliance:
      address: elm1.lab.test
      password: "{{ elm_password }}"
"""

RETURN = r"""
connector:
  description: The configuration after the task (as it would be, in check mode); null when absent.
  returned: always
  type: dict
  sample:
    name: Hyper-V gen2
    agent: hv1
    switch: vNet-LAN50
    storage_path: D:\Hyper-V
    template_vm: null
    cpus: 4
    memory_mb: 8192
    generation: 2
    disk_format: vhdx
    offload_compositing: true
    unc_path: null
    layer_cache_size_gb: 100
resulting_firmware:
  description: The firmware published VMs get, V(BIOS), V(UEFI) or V(UEFI secure boot).
  returned: when state is present
  type: str
  sample: BIOS
agent_registered:
  description: Whether the agent is (or, in check mode, would be) registered with the appliance.
  returned: when state is present
  type: bool
  sample: true
test:
  description: The appliance's TEST result when it ran (success, errors, resultingFirmware).
  returned: when the TEST ran
  type: dict
  sample:
    success: true
    errors: []
    resultingFirmware: BIOS
changes:
  description: What was (or in check mode would be) changed, in words.
  returned: always
  type: list
  elements: str
  sample: ["register the agent on hv1.lab.test with elm1.lab.test", "create the connector configuration 'Hyper-V gen2'"]
violations:
  description: Every rule the configuration or the host breaks, with the reason.
  returned: on failure
  type: list
  elements: str
  sample:
    - generation 2 requires offload_compositing=true (the appliance only builds generation 2 layer VMs on the Hyper-V
      host when compositing is offloaded)
    - generation 2 supports only disk_format=vhdx
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._appliance_api import ApplianceClient, ApplianceError
from ansible_collections.winvirt.hyperv.plugins.module_utils._connector_host import (
    AGENT_EXE,
    PASSWORD_ARGUMENT,
    agent_matches,
    parse_host_facts,
    read_commands,
    register_arguments,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._connector_rules import (
    ConnectorConfig,
    field_problems,
    host_violations,
    offline_violations,
    rule_violations,
    template_firmware,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError, find_hint
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, path_problem, problems_of


def argument_spec() -> dict[str, t.Any]:
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "agent": {"type": "str"},
        "template_vm": {"type": "str"},
        "cpus": {"type": "int", "default": 4},
        "memory_mb": {"type": "int", "default": 8192},
        "switch": {"type": "str"},
        "generation": {"type": "int", "choices": [1, 2], "default": 1},
        "disk_format": {"type": "str", "choices": ["vhd", "vhdx"], "default": "vhd"},
        "offload_compositing": {"type": "bool", "default": False},
        "storage_path": {"type": "str"},
        "unc_path": {"type": "str"},
        "layer_cache_size_gb": {"type": "int", "default": 0},
        "register_agent": {"type": "bool", "default": False},
        "agent_executable": {"type": "str", "default": AGENT_EXE},
        "agent_ignore_cert_errors": {"type": "bool", "default": False},
        "run_test": {"type": "bool", "default": True},
        "appliance": {
            "type": "dict",
            "required": True,
            "options": {
                "address": {"type": "str", "required": True},
                "username": {"type": "str", "default": "administrator"},
                "password": {"type": "str", "required": True, "no_log": True},
                "validate_certs": {"type": "bool", "default": True},
                "ca_path": {"type": "path"},
                "management_port": {"type": "int", "default": 443},
                "connector_port": {"type": "int", "default": 3512},
                "timeout": {"type": "int", "default": 30},
            },
        },
    }


def config_from_params(params: dict[str, t.Any]) -> ConnectorConfig:
    return ConnectorConfig(
        name=params["name"], agent=params["agent"], switch=params["switch"], storage_path=params["storage_path"],
        template_vm=params["template_vm"] or None, cpus=params["cpus"], memory_mb=params["memory_mb"],
        generation=params["generation"], disk_format=params["disk_format"],
        offload_compositing=params["offload_compositing"], unc_path=params["unc_path"] or None,
        layer_cache_size_gb=params["layer_cache_size_gb"],
    )


def appliance_client(params: dict[str, t.Any]) -> ApplianceClient:
    options = params["appliance"]
    return ApplianceClient(options["address"], options["username"], options["password"],
                           validate_certs=options["validate_certs"], ca_path=options["ca_path"],
                           management_port=options["management_port"], connector_port=options["connector_port"],
                           timeout=options["timeout"])


class ConnectorTask:
    """One run of the module: read -> plan -> (check mode? report) -> apply."""

    def __init__(self, module: HyperVModule) -> None:
        self.module = module
        self.params = module.params
        self.appliance = appliance_client(module.params)
        self.changes: list[str] = []
        self.done: list[str] = []  # changes made on a host or the appliance so far (what a failure must report)
        self.registration_planned = False  # check mode: the agent would be registered, so TEST cannot run yet
        self.result: dict[str, t.Any] = {"changed": False, "changes": self.changes}

    def fail(self, msg: str, **extra: t.Any) -> t.NoReturn:
        """Fail; what was already changed is reported as such (changed: true and the changes made)."""
        self.result.update(changed=bool(self.done), changes=list(self.done))
        self._logout()
        self.module.fail_json(msg=msg, **{**self.result, **extra})

    def finish(self) -> t.NoReturn:
        self._logout()
        self.result["changed"] = bool(self.changes)
        self.module.exit_json(**self.result)

    def _logout(self) -> None:
        try:
            self.appliance.logout()
        except ApplianceError:
            pass  # the session times out on the appliance anyway

    def absent(self) -> t.NoReturn:
        current = self.appliance.find_configuration(self.params["name"])
        self.result["connector"] = None
        if current is not None:
            self.changes.append(f"delete the connector configuration '{current['name']}'")
            if self.module._diff:
                self.result["diff"] = {"before": ConnectorConfig.from_api(current).to_result(), "after": {}}
            if not self.module.check_mode:
                self.appliance.delete(str(current["id"]))
                self.done.append(self.changes[-1])
        self.finish()

    def present(self) -> t.NoReturn:
        config = config_from_params(self.params)
        registered = any(agent_matches(agent, config.agent) for agent in self.appliance.agents())
        client = self.module.client()
        facts = parse_host_facts(config, client.run(read_commands(config), retry=True))
        client.name = facts.name or client.name
        host = client.name
        will_register = not registered and self.params["register_agent"] and facts.agent_service is not None
        # every rule, the form's and the host's, before anything changes: one run reports them all
        violations = rule_violations(config) + host_violations(config, facts, agent_registered=registered or will_register,
                                                               host=host)
        if violations:
            self.result["agent_registered"] = registered
            self.fail(f"the connector configuration '{config.name}' cannot work on {host}: " + "; ".join(violations),
                      violations=violations)
        if will_register:
            registered = self.register_agent(client, host)
        self.result["agent_registered"] = registered
        self.result["resulting_firmware"] = template_firmware(facts.template)
        current = self.appliance.find_configuration(config.name)
        before = ConnectorConfig.from_api(current) if current is not None else None
        self.result["connector"] = config.to_result()
        if self.module._diff:
            self.result["diff"] = {"before": before.to_result() if before else {}, "after": config.to_result()}
        if before == config:
            self.finish()
        self.changes.append(f"{'update' if before else 'create'} the connector configuration '{config.name}'"
                            + (f" ({', '.join(_changed_fields(before, config))})" if before else ""))
        if self.params["run_test"] and not self.registration_planned:
            self.run_test(config)
        if not self.module.check_mode:
            if current is None:
                self.appliance.create(config.to_api())
            else:
                self.appliance.update(str(current["id"]), config.to_api())
            self.done.append(self.changes[-1])
        self.finish()

    def register_agent(self, client: t.Any, host: str) -> bool:
        address = self.params["appliance"]["address"]
        self.changes.append(f"register the agent on {host} with {address}")
        if self.module.check_mode:
            self.registration_planned = True
            return True
        arguments = register_arguments(address, self.params["appliance"]["username"],
                                       self.params["appliance"]["password"], self.params["agent_ignore_cert_errors"])
        output = client.run_native(self.params["agent_executable"], arguments, secret_arguments=[PASSWORD_ARGUMENT])
        if output.rc != 0:
            self.fail(f"{host}: registering the App Layering Agent with {address} failed (exit code {output.rc}): "
                      f"{(output.stderr or output.stdout).strip()}")
        self.done.append(self.changes[-1])
        if not any(agent_matches(agent, self.params["agent"]) for agent in self.appliance.agents()):
            self.fail(f"{host}: the App Layering Agent registered with {address}, but the appliance lists no agent "
                      f"named {self.params['agent']!r}: set agent to the name the appliance shows for {host}")
        return True

    def run_test(self, config: ConnectorConfig) -> None:
        outcome = self.appliance.verify(config.to_api())
        self.result["test"] = outcome
        if not outcome.get("success"):
            reasons = [f"{e.get('field')}: {e.get('message')}" for e in outcome.get("errors", [])]
            known = find_hint(None, "; ".join(reasons))
            hint = f" Hint: {known.remedy}" if known else ""
            self.fail(f"the appliance's TEST of '{config.name}' failed: " + "; ".join(reasons) + hint, violations=reasons)


def _changed_fields(before: ConnectorConfig, after: ConnectorConfig) -> list[str]:
    old, new = before.to_result(), after.to_result()
    return [f"{key}: {old[key]!r} -> {new[key]!r}" for key in new if old[key] != new[key]]


def main() -> None:
    module = HyperVModule(
        argument_spec(), supports_check_mode=True,
        required_if=[("state", "present", ("agent", "switch", "storage_path"))],
    )
    fail_on_problems(module, "hyperv_connector", problems_of(
        path_problem("agent_executable", module.params["agent_executable"], unc=False)))
    task = ConnectorTask(module)
    if module.params["state"] == "present":
        config = config_from_params(module.params)
        if field_problems(config):  # values wrong on their own: nothing is asked of a host or the appliance
            violations = offline_violations(config)
            task.fail(f"the connector configuration '{module.params['name']}' breaks the App Layering rules: "
                      + "; ".join(violations), violations=violations)
    try:
        if module.params["state"] == "absent":
            task.absent()
        task.present()
    except ApplianceError as err:
        task.fail(str(err))
    except HyperVError as err:
        task.result.update(changed=bool(task.done), changes=list(task.done))
        module.fail_hyperv(err, **task.result)


if __name__ == "__main__":
    main()
