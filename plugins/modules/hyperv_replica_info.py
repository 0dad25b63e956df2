#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_replica_info
short_description: Report a Hyper-V host's Replica server settings and the replication of its VMs with recovery points
version_added: 0.1.0
description:
  - Reports, from one host, its Hyper-V Replica server settings (as M(winvirt.hyperv.hyperv_replica_server) takes
    them, with the listener firewall rules) and each replicated VM (all, one by its exact name, or those matching a
    wildcard pattern) as this host sees it; primary or replica side, state, health, last replication, pending size,
    settings, and the recovery points this host holds (on the replica side).
  - VMs without replication are left out.
  - While an initial replication or a resynchronization copies, reports how far it is (RV(replications[].progress)),
    as the host's Hyper-V job for it says (the C(Msvm_ConcreteJob) of C(root/virtualization/v2) that
    C(Msvm_AffectedJobElement) associates with the VM), for example polled while M(winvirt.hyperv.hyperv_replica)
    waits with C(async).
  - Reads everything in one round trip, whatever the number of VMs, and one more while a VM's copy runs. Changes
    nothing.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  vm_name:
    description:
      - The exact name of the VM. V(*), V(?), V([) and V(]) are ordinary characters here.
      - A VM of that name that does not exist or is not replicated gives an empty O(ignore:replications) list.
      - Mutually exclusive with O(vm_name_pattern). Neither reports every replicated VM of the host.
    type: str
  vm_name_pattern:
    description:
      - A wildcard pattern as C(Get-VMReplication -VMName) takes it (V(*), V(?), V([abc])), for example V(web*).
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_replica
  - module: winvirt.hyperv.hyperv_replica_server
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Replica server settings and every replicated VM of the host
  winvirt.hyperv.hyperv_replica_info:
  register: replica

- name: Show the replications that are not healthy
  ansible.builtin.debug:
    msg: "{{ replica.replications | rejectattr('health', 'equalto', 'Normal') | map(attribute='vm_name') | list }}"

- name: How far the initial replication of app1 is (on its primary), while hyperv_replica waits with async
  winvirt.hyperv.hyperv_replica_info:
    vm_name: app1
  register: app1_copy

- name: Show it
  ansible.builtin.debug:
    msg: "app1: {{ app1_copy.replications[0].progress.percent_complete | default('-') }} % copied"
  when: app1_copy.replications | length > 0

- name: The recovery points of app1 on this (replica) host
  winvirt.hyperv.hyperv_replica_info:
    vm_name: app1
  register: app1_replica
"""

RETURN = r"""
host:
  description: The host as it names itself (its FQDN in a domain).
  returned: always
  type: str
  sample: hv2.lab.test
server:
  description: The host's Replica server settings.
  returned: always
  type: dict
  contains:
    enabled:
      description: Whether the host accepts replication as a Replica server.
      type: bool
      sample: true
    authentication:
      description: V(kerberos), V(certificate) or V(both).
      type: str
      sample: kerberos
    kerberos_port:
      description: The port of the Kerberos (HTTP) listener.
      type: int
      sample: 80
    certificate_port:
      description: The port of the certificate (HTTPS) listener.
      type: int
      sample: 443
    certificate_thumbprint:
      description: The certificate of the HTTPS listener.
      type: str
      sample: null
    allow_any_server:
      description: Whether replication is accepted from any authenticated server.
      type: bool
      sample: true
    default_storage_location:
      description: Where replica VMs of any server are stored.
      type: str
      sample: D:\Replica
    authorization_entries:
      description: Per-primary authorization entries (primary_server, storage_location, trust_group).
      type: list
      elements: dict
      sample: []
    firewall:
      description: The listener firewall rules, by display name, and whether each is enabled.
      type: dict
      sample: {"Hyper-V Replica HTTP Listener (TCP-In)": true, "Hyper-V Replica HTTPS Listener (TCP-In)": false}
replications:
  description: The replicated VMs found, by name, as this host sees them.
  returned: always
  type: list
  elements: dict
  contains:
    vm_name:
      description: The VM name.
      type: str
      sample: app1
    vm_id:
      description: The VM Id (the same on both sides).
      type: str
      sample: c9e99acd-99ad-53a4-956e-917f31cef9f1
    mode:
      description: V(Primary) or V(Replica), the side this host is.
      type: str
      sample: Replica
    state:
      description: The replication state (V(Replicating), V(Suspended), V(FailedOver), ...).
      type: str
      sample: Replicating
    health:
      description: V(Normal), V(Warning) or V(Critical).
      type: str
      sample: Normal
    primary_server:
      description: The primary server.
      type: str
      sample: hv1.lab.test
    replica_server:
      description: The replica server.
      type: str
      sample: hv2.lab.test
    last_replication_time:
      description: When the last replication cycle arrived, as the host sends a DateTime (ISO 8601 with the host's UTC offset).
      type: str
      sample: '2026-11-01T09:13:00+01:00'
    pending_size:
      description: Bytes waiting to be replicated (null when the host does not say).
      type: int
      sample: 0
    recovery_points:
      description: The recovery points this host holds (name, id, app_consistent, created); empty on the primary.
      type: list
      elements: dict
      sample:
        - name: app1 - Standard Replica - (2026-11-01T09:07:00)
          id: fb9e0938-92a4-5f73-9ac9-3eea74699071
          app_consistent: false
          created: '2026-11-01T09:07:00Z'
        - name: app1 - Standard Replica - (2026-11-01T09:13:00)
          id: 0e5ac98d-9331-5427-a4c2-38cdd09aa89b
          app_consistent: false
          created: '2026-11-01T09:13:00Z'
    progress:
      description:
        - While the initial replication or a resynchronization copies (RV(replications[].state) is
          V(InitialReplicationInProgress) or V(Resynchronizing)), the host's job for that copy; null otherwise.
        - C(job) is what it copies (V(initial_replication), V(sending_initial_replica), V(resynchronizing), ...),
          C(state) the job's state (V(running), V(completed), ...), C(percent_complete) how much of it is done when
          read, C(elapsed_seconds) how long it has run, C(error) why it failed.
      type: dict
      sample:
        job: initial_replication
        state: running
        percent_complete: 42
        elapsed_seconds: 95
        error: null
    settings:
      description: The replication settings under winvirt.hyperv.hyperv_replica's option names.
      type: dict
      sample:
        port: 80
        authentication: kerberos
        compression: true
        frequency: 300
        recovery_points: 2
        app_consistent_frequency: 0
        replicated_vhds:
          - D:\Replica\Hyper-V Replica\Virtual hard disks\C9E99ACD-99AD-53A4-956E-917F31CEF9F1\app1.vhdx
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.winvirt.hyperv.plugins.module_utils import _name_filter as names
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica import info_commands, info_result
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_jobs import COPYING_STATES, progress, read_command
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems


def main() -> None:
    module = HyperVModule(names.argument_spec("vm_name", "vm_name_pattern"),
                          mutually_exclusive=[("vm_name", "vm_name_pattern")], supports_check_mode=True)
    fail_on_problems(module, "hyperv_replica_info", names.problems(module.params, "vm_name", "vm_name_pattern"))
    wanted = names.from_params(module.params, "vm_name", "vm_name_pattern")
    client = module.client()
    try:
        rows = client.run(info_commands(wanted.parameters, wanted.patterns), retry=True)
        result = info_result(rows)
        copying = [entry for entry in result["replications"] if entry["state"] in COPYING_STATES]
        jobs = client.run([read_command(entry["vm_id"]) for entry in copying], retry=True) if copying else []
    except HyperVError as err:
        module.fail_hyperv(err)
    for entry in result["replications"]:
        entry["progress"] = None
    for entry, rows_of_vm in zip(copying, jobs):
        entry["progress"] = progress(rows_of_vm)
    module.exit_json(changed=False, round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
