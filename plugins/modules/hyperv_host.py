#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_host
short_description: Prepare a Hyper-V host (role, features, settings, CredSSP) or a Windows management client
version_added: 0.1.0
description:
  - Install the Hyper-V role and the management features a host needs, and restart it when allowed.
  - Set the host's Hyper-V settings, live migration settings and migration networks.
  - Enable the CredSSP server role a workgroup host needs for remote management.
  - Prepare a Windows management client (O(management_client)) for managing workgroup hosts, the other
    half of managing workgroup hosts; point the task at the client instead of a host for that.
  - Only the options given are managed; everything else on the machine is left as it is.
  - Reads in two round trips (what the machine is, then its features and Hyper-V settings; the second is
    skipped when neither is asked for) and applies everything in one more.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  features:
    description:
      - Windows features to install. V(Hyper-V) is installed with its management tools.
      - V(RSAT-Hyper-V-Tools) and V(RSAT-Clustering) are installed with all their sub features
        (C(-IncludeAllSubFeature); with DISM, their sub features are named), since the PowerShell module is one of
        them; such a feature counts as installed only when its sub features are (else its state is V(partial)).
        After installing V(RSAT-Hyper-V-Tools) the task checks that the Hyper-V PowerShell module is there and fails
        if it is not.
      - Features are only added, never removed.
    type: list
    elements: str
    choices: [Hyper-V, RSAT-Hyper-V-Tools, RSAT-Clustering, Multipath-IO]
  feature_method:
    description:
      - How to install O(features).
      - V(server_manager) uses C(Install-WindowsFeature -IncludeManagementTools) (Windows Server).
      - V(dism) uses C(Enable-WindowsOptionalFeature -Online -All -NoRestart), the only way on a client OS and for
        a nested Hyper-V host in a VM whose processor check Server Manager refuses.
      - V(auto) picks V(dism) on a client OS and V(server_manager) otherwise.
    type: str
    choices: [auto, server_manager, dism]
    default: auto
  reboot:
    description:
      - Restart the machine when an installed feature needs it, or when an earlier install (this module's, DISM's,
        Windows Update's) still waits for a restart (Windows' Component Based Servicing C(RebootPending) key), then
        wait until it answers again and apply the Hyper-V settings that needed the role running.
      - When false the task reports RV(reboot_required) and applies the settings on a later run.
    type: bool
    default: false
  reboot_timeout:
    description: Seconds to wait for the machine to come back after the restart.
    type: int
    default: 900
  virtual_machine_path:
    description: Default folder for VM configuration files.
    type: str
  virtual_hard_disk_path:
    description: Default folder for virtual hard disks.
    type: str
  enhanced_session_mode:
    description: Allow enhanced session mode connections.
    type: bool
  numa_spanning:
    description: Allow VMs to span physical NUMA nodes.
    type: bool
  max_storage_migrations:
    description: Simultaneous storage migrations allowed.
    type: int
  live_migration:
    description: Live migration settings of the host.
    type: dict
    suboptions:
      enabled:
        description: Allow incoming and outgoing live migrations (Enable-VMMigration / Disable-VMMigration).
        type: bool
      authentication:
        description:
          - V(credssp) needs the migration started on the source host itself (or a CredSSP session);
            V(kerberos) needs constrained delegation (winvirt.hyperv.hyperv_spn).
        type: str
        choices: [credssp, kerberos]
      performance:
        description: Transport for the memory of the VM.
        type: str
        choices: [tcpip, compression, smb]
      max_migrations:
        description: Simultaneous live migrations allowed.
        type: int
      use_any_network:
        description: Use any available network rather than only O(live_migration.networks).
        type: bool
      networks:
        description:
          - The complete list of subnets (CIDR) for incoming live migrations, in order of preference.
            Subnets not listed are removed.
        type: list
        elements: str
  credssp_server:
    description:
      - Accept CredSSP credentials from clients (C(Enable-WSManCredSSP -Role Server -Force)); a workgroup host
        managed remotely needs it. V(false) disables it.
    type: bool
  management_client:
    description:
      - Prepare the machine this task connects to as a Windows management client of workgroup Hyper-V hosts.
      - Every entry is only added; what the client trusts already stays.
    type: dict
    suboptions:
      hosts:
        description:
          - FQDNs of the Hyper-V hosts the client manages, or domain patterns such as V(*.lab.test).
          - A bare V(*) is accepted with a warning, as it trusts and delegates credentials to every computer.
        type: list
        elements: str
        required: true
      trusted_hosts:
        description: Add the hosts to WSMan TrustedHosts.
        type: bool
        default: true
      credssp_delegation:
        description: Enable CredSSP as a client with the hosts as delegate computers.
        type: bool
        default: true
      ntlm_only_policy:
        description:
          - Set the policy "Allow delegating fresh credentials with NTLM-only server authentication" and list
            V(wsman/<fqdn>) for each host.
        type: bool
        default: true
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status prediction without changing the host.
    support: full
  diff_mode:
    description: Will return details on what has changed (or would change, in check mode).
    support: full
notes:
  - Editions and limits (clustering, memory, processors, supported VM versions) are whatever the host reports;
    see winvirt.hyperv.hyperv_host_info.
seealso:
  - module: winvirt.hyperv.hyperv_host_info
  - module: winvirt.hyperv.hyperv_switch
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Install Hyper-V and the tools, restarting if needed
  winvirt.hyperv.hyperv_host:
    features: [Hyper-V, RSAT-Hyper-V-Tools]
    reboot: true

- name: Host settings and live migration
  winvirt.hyperv.hyperv_host:
    virtual_machine_path: D:\Hyper-V
    virtual_hard_disk_path: D:\Hyper-V\Virtual Hard Disks
    enhanced_session_mode: true
    numa_spanning: false
    live_migration:
      enabled: true
      authentication: kerberos
      performance: compression
      max_migrations: 2
      use_any_network: false
      networks: [10.0.50.0/24]

- name: Workgroup host accepts CredSSP
  winvirt.hyperv.hyperv_host:
    credssp_server: true

- name: Prepare the Windows management client for two workgroup hosts
  winvirt.hyperv.hyperv_host:
    hostname: mgmt1.example.test
    management_client:
      hosts: [hv1.example.test, hv2.example.test]
"""

RETURN = r"""
changes:
  description: What was (or in check mode would be) changed, in words.
  returned: always
  type: list
  elements: str
  sample: ["install Hyper-V with Install-WindowsFeature", "live migration enabled"]
facts:
  description: What the machine reports about itself (OS, edition, domain, model, Hyper-V service).
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
  description:
    - State of each feature in O(features) after the task (V(installed), V(install_pending), V(available), or
      V(partial) for a tools feature installed without all its sub features).
  returned: when O(features) is set
  type: dict
  sample: {"Hyper-V": installed}
reboot_required:
  description:
    - True when a restart is still needed to finish installing features, this task's or earlier ones (Windows'
      Component Based Servicing reports a pending restart).
  returned: always
  type: bool
  sample: false
rebooted:
  description: True when the module restarted the machine.
  returned: always
  type: bool
  sample: false
settings:
  description:
    - The Hyper-V host settings after the task (as planned, in check mode), under this module's option names
      (live migration settings under V(live_migration)), the same shape winvirt.hyperv.hyperv_host_info returns.
  returned: when Hyper-V runs on the host
  type: dict
  sample:
    live_migration:
      enabled: true
      networks:
      - 10.0.50.0/24
      max_migrations: 3
      authentication: kerberos
      performance: compression
      use_any_network: false
    virtual_machine_path: D:\Hyper-V
    virtual_hard_disk_path: C:\ProgramData\Microsoft\Windows\Virtual Hard Disks
    enhanced_session_mode: true
    numa_spanning: false
    max_storage_migrations: 2
credssp_server:
  description: Whether the CredSSP server role is enabled after the task.
  returned: when O(credssp_server) is set
  type: bool
  sample: true
management_client:
  description: TrustedHosts, CredSSP client state and delegate lists after the task.
  returned: when O(management_client) is set
  type: dict
  sample:
    trusted_hosts:
    - hv1.lab.test
    - hv2.lab.test
    credssp_client: true
    credssp_delegate_computers:
    - wsman/hv1.lab.test
    - wsman/hv2.lab.test
    ntlm_only_policy_enabled: false
    ntlm_only_delegate_computers: []
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 3
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._features import FEATURES, METHODS
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_run import HostRun, HostSpec
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_settings import HostSettingsSpec, normalise_subnet
from ansible_collections.winvirt.hyperv.plugins.module_utils._management_client import ClientSpec, risk_warnings
from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, path_problem, problems_of


def argument_spec() -> dict[str, t.Any]:
    return {
        "features": {"type": "list", "elements": "str", "choices": list(FEATURES)},
        "feature_method": {"type": "str", "choices": list(METHODS), "default": "auto"},
        "reboot": {"type": "bool", "default": False},
        "reboot_timeout": {"type": "int", "default": 900},
        "virtual_machine_path": {"type": "str"},
        "virtual_hard_disk_path": {"type": "str"},
        "enhanced_session_mode": {"type": "bool"},
        "numa_spanning": {"type": "bool"},
        "max_storage_migrations": {"type": "int"},
        "live_migration": {
            "type": "dict",
            "options": {
                "enabled": {"type": "bool"},
                "authentication": {"type": "str", "choices": ["credssp", "kerberos"]},
                "performance": {"type": "str", "choices": ["tcpip", "compression", "smb"]},
                "max_migrations": {"type": "int"},
                "use_any_network": {"type": "bool"},
                "networks": {"type": "list", "elements": "str"},
            },
        },
        "credssp_server": {"type": "bool"},
        "management_client": {
            "type": "dict",
            "options": {
                "hosts": {"type": "list", "elements": "str", "required": True},
                "trusted_hosts": {"type": "bool", "default": True},
                "credssp_delegation": {"type": "bool", "default": True},
                "ntlm_only_policy": {"type": "bool", "default": True},
            },
        },
    }


def spec_from_params(params: dict[str, t.Any]) -> HostSpec:
    """The task's wishes; raises ValueError for values no host would take."""
    migration = params.get("live_migration") or {}
    for name in ("max_storage_migrations",):
        if params.get(name) is not None and params[name] < 1:
            raise ValueError(f"{name} must be at least 1")
    if migration.get("max_migrations") is not None and migration["max_migrations"] < 1:
        raise ValueError("live_migration.max_migrations must be at least 1")
    for subnet in migration.get("networks") or ():
        try:
            normalise_subnet(subnet)
        except ValueError:
            raise ValueError(f"live_migration.networks: '{subnet}' is not a subnet such as 10.0.50.0/24") from None
    if params["reboot_timeout"] < 10:
        raise ValueError("reboot_timeout must be at least 10 seconds")
    settings = HostSettingsSpec(
        values={
            "virtual_machine_path": params.get("virtual_machine_path"),
            "virtual_hard_disk_path": params.get("virtual_hard_disk_path"),
            "enhanced_session_mode": params.get("enhanced_session_mode"),
            "numa_spanning": params.get("numa_spanning"),
            "max_storage_migrations": params.get("max_storage_migrations"),
            "live_migration.max_migrations": migration.get("max_migrations"),
            "live_migration.authentication": migration.get("authentication"),
            "live_migration.performance": migration.get("performance"),
            "live_migration.use_any_network": migration.get("use_any_network"),
        },
        live_migration=migration.get("enabled"),
        migration_networks=tuple(migration["networks"]) if migration.get("networks") is not None else None,
    )
    client = params.get("management_client")
    client_spec = None
    if client:
        hosts = tuple(h.strip() for h in client["hosts"] if h and h.strip())
        if not hosts:
            raise ValueError("management_client.hosts must name at least one host")
        bad = [h for h in hosts if "," in h or " " in h]
        if bad:
            raise ValueError(f"management_client.hosts must be single host names, got: {', '.join(bad)}")
        client_spec = ClientSpec(hosts, client["trusted_hosts"], client["credssp_delegation"], client["ntlm_only_policy"])
    return HostSpec(
        features=tuple(dict.fromkeys(params.get("features") or ())),
        feature_method=params["feature_method"],
        reboot=params["reboot"],
        reboot_timeout=params["reboot_timeout"],
        settings=settings,
        credssp_server=params.get("credssp_server"),
        management_client=client_spec,
    )


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True)
    fail_on_problems(module, "hyperv_host", problems_of(
        path_problem("virtual_machine_path", module.params["virtual_machine_path"]),
        path_problem("virtual_hard_disk_path", module.params["virtual_hard_disk_path"])))
    try:
        spec = spec_from_params(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    for warning in risk_warnings(spec.management_client):
        module.warn(warning)
    run = HostRun(module.client(), spec, check_mode=module.check_mode, warn=module.warn)
    try:
        result = run.execute()
    except HyperVError as err:
        # the run's steps read and change many settings: whether any change was sent says changed
        module.fail_after_apply(err, AfterApply(subject="the host may have applied them", applied=run.applied, error=err),
                                changes=run.changes if run.applied else [])
    except ValueError as exc:
        module.fail_json(msg=f"{module.connection_options().hostname}: {exc}", changed=run.applied,
                         changes=run.changes if run.applied else [], round_trips=module.round_trips)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
