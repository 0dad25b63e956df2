#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_replica
short_description: Replicate a Hyper-V VM to another host with Hyper-V Replica, and fail it over
version_added: 0.1.0
description:
  - Enables, changes and removes the Hyper-V Replica replication of one VM from a primary host (the connection
    options) to a replica host (O(destination)), and runs failovers between them.
  - The connection host is the VM's primary as it is now and O(destination) its replica as it is now. After a
    failover with reverse the roles have swapped, so a failback task names the former replica in O(hostname). Results
    name the hosts by the role they have when the task ends (RV(hosts), RV(status)).
  - O(state=present) enables replication (replica server name, port, authentication, compression, the VHDs that
    replicate, frequency, recovery points) and starts the initial replication; on a VM that replicates already it
    changes the settings that differ. O(state=absent) removes replication on both hosts; the replica VM stays on the
    replica host as an ordinary VM.
  - O(action) runs an operation on an existing replication instead. V(planned_failover) moves the VM from the primary
    to the replica without losing data (the primary VM must be off, see O(allow_shutdown)), reverses replication so
    that the former primary becomes the replica (checked first, it must accept replication) and starts the VM; run
    the same task with the hosts swapped to fail back. V(test_failover) starts a test VM ("<name> - Test") on the
    replica while replication goes on, V(test_failover_cleanup) removes it. V(unplanned_failover) starts the VM on the
    replica when the primary is lost, from the latest or a named O(recovery_point), and completes the failover;
    with O(reverse=true) and the primary back, it reverses replication with a new initial replication.
    V(suspend) suspends replication on the host that is its primary (C(Suspend-VMReplication)); V(resume) resumes
    suspended replication, V(resynchronize) resynchronizes replication that needs it.
  - Every check (replica server disabled, firewall rule closed, primary not authorized, VM running) is made before
    anything changes, and a refused task changes nothing. The module is idempotent, an action already done is V(ok).
  - The replica host must be a replica server, see M(winvirt.hyperv.hyperv_replica_server); Kerberos replication
    needs the "Hyper-V Replica Service" SPNs, see M(winvirt.hyperv.hyperv_spn).
extends_documentation_fragment:
  - winvirt.hyperv.connection
  - winvirt.hyperv.connection.destination
options:
  name:
    description: The VM's name.
    type: str
    required: true
  state:
    description:
      - V(present) replicates the VM from the primary to O(destination) with the settings given.
      - V(absent) removes its replication on both hosts.
      - Not used with O(action).
    type: str
    choices: [present, absent]
    default: present
  action:
    description: An operation on an existing replication, see the description.
    type: str
    choices: [planned_failover, test_failover, test_failover_cleanup, unplanned_failover, suspend, resume,
              resynchronize]
  replica_server:
    description:
      - The name the primary uses to reach the replica server (its FQDN for Kerberos).
      - Defaults to the fully qualified name the replica host reports.
    type: str
  replica_port:
    description:
      - The replica server's listener port. Defaults to V(80) for Kerberos, V(443) for certificates.
      - (Not O(port), which is the WinRM port of the connection.)
    type: int
  authentication:
    description: V(kerberos) (HTTP) or V(certificate) (HTTPS, O(certificate_thumbprint)).
    type: str
    choices: [kerberos, certificate]
    default: kerberos
  certificate_thumbprint:
    description: The thumbprint of the primary's certificate for O(authentication=certificate).
    type: str
  compression:
    description: Compress the data sent over the network.
    type: bool
    default: true
  frequency:
    description: Seconds between replication cycles.
    type: int
    choices: [30, 300, 900]
    default: 300
  recovery_points:
    description: Additional recovery points kept on the replica (V(0) keeps only the latest), up to 24 (one per hour).
    type: int
    default: 0
  app_consistent_frequency:
    description:
      - Hours between application-consistent (VSS) recovery points, 1 to 12; V(0) takes none. Needs O(recovery_points).
    type: int
    default: 0
  include_vhds:
    description:
      - The VHD paths that replicate (default all of the VM's VHDs). Mutually exclusive with O(exclude_vhds).
      - With a reverse (V(planned_failover), or V(unplanned_failover) with O(reverse=true)) they name disks of the VM
        on O(destination), the host that becomes the primary, and choose what replicates back. Without O(include_vhds)
        and O(exclude_vhds) a reverse keeps the disks that replicate now, so a disk excluded when replication was
        enabled stays excluded through failover and failback.
    type: list
    elements: str
  exclude_vhds:
    description: VHD paths that do not replicate, such as a paging or backup disk (see O(include_vhds) for reverses).
    type: list
    elements: str
    default: []
  initial_replication:
    description:
      - How the first copy reaches the replica when replication is enabled. V(now) over the network, V(scheduled) at
        O(initial_replication_start_time), V(export) to O(export_path) (to be imported on the replica), V(none) not
        started (start it later by running the task with another value).
    type: str
    choices: [now, scheduled, export, none]
    default: now
  initial_replication_start_time:
    description: When a V(scheduled) initial replication starts, as a date and time the host understands (ISO 8601).
    type: str
  export_path:
    description: The folder on the primary for an V(export) initial replication.
    type: str
  wait:
    description: Wait until the initial replication has finished (state Replicating).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 3600
  allow_shutdown:
    description:
      - Let V(planned_failover) shut the running primary VM down (and a reverse after V(unplanned_failover) turn the
        stale primary VM off). Without it, the task fails while the VM runs.
    type: bool
    default: false
  start_vm:
    description: Start the VM after a failover (the test VM after a test failover).
    type: bool
    default: true
  recovery_point:
    description: The name of the recovery point to fail over to (V(unplanned_failover), V(test_failover)); default the latest.
    type: str
  reverse:
    description:
      - Reverse replication after V(planned_failover) (the default; without it the failover is completed and the
        VM no longer replicates), or after V(unplanned_failover) once the primary is back (default there V(false)).
    type: bool
attributes:
  check_mode:
    description: Runs every check and returns the changes it would make; changes nothing.
    support: full
  diff_mode:
    description: Both hosts' view of the VM and its replication, before and after.
    support: full
notes:
  - Hyper-V Replica also serves as a migration path between hosts whose live migration is incompatible (for example
    different processor families) - enable replication, run V(planned_failover) with O(reverse=false), then remove
    replication with O(state=absent) (see the role winvirt.hyperv.replica).
seealso:
  - module: winvirt.hyperv.hyperv_replica_server
  - module: winvirt.hyperv.hyperv_spn
  - module: winvirt.hyperv.hyperv_live_migration
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Replicate app1 from hv1 to hv2 every 5 minutes, without its backup disk
  winvirt.hyperv.hyperv_replica:
    hostname: hv1.lab.test
    destination:
      hostname: hv2.lab.test
    name: app1
    exclude_vhds:
      - D:\Hyper-V\Virtual Hard Disks\app1-backup.vhdx
    recovery_points: 4

- name: Test failover on hv2 (replication goes on)
  winvirt.hyperv.hyperv_replica:
    hostname: hv1.lab.test
    destination:
      hostname: hv2.lab.test
    name: app1
    action: test_failover

- name: Remove the test VM
  winvirt.hyperv.hyperv_replica:
    hostname: hv1.lab.test
    destination:
      hostname: hv2.lab.test
    name: app1
    action: test_failover_cleanup

- name: Planned failover to hv2, shutting app1 down on hv1; replication then runs hv2 -> hv1
  winvirt.hyperv.hyperv_replica:
    hostname: hv1.lab.test
    destination:
      hostname: hv2.lab.test
    name: app1
    action: planned_failover
    allow_shutdown: true

- name: hv1 is lost; start app1 on hv2 from a recovery point
  winvirt.hyperv.hyperv_replica:
    hostname: hv1.lab.test
    destination:
      hostname: hv2.lab.test
    name: app1
    action: unplanned_failover
    recovery_point: app1 - Standard Replica - (2026-11-01T09:00:00)
"""

RETURN = r"""
status:
  description: The replication after the task (before it, in check mode), seen from its primary.
  returned: always
  type: dict
  contains:
    state:
      description: The replication state (V(Replicating), V(Suspended), V(FailedOver), V(Disabled), ...).
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
      sample: '2026-11-01T09:14:00+01:00'
    pending_size:
      description: Bytes waiting to be replicated.
      type: int
      sample: 0
    recovery_points:
      description: The recovery points on the replica (name, id, app_consistent, created).
      type: list
      elements: dict
      sample:
        - name: web1 - Standard Replica - (2026-11-01T09:08:00)
          id: b27f66c0-c269-51eb-ac94-4716ea1a1125
          app_consistent: false
          created: '2026-11-01T09:08:00Z'
        - name: web1 - Standard Replica - (2026-11-01T09:14:00)
          id: c088ccb9-23eb-5a29-8ac9-8e60fe4a2558
          app_consistent: false
          created: '2026-11-01T09:14:00Z'
    running_on:
      description: The host the VM runs on, null when it runs nowhere.
      type: str
      sample: hv1.lab.test
hosts:
  description:
    - Each host's view of the VM and its replication, keyed by the role the host has now (V(primary) is the host the
      VM replicates from, V(replica) the one it replicates to), whichever of them the task connected to. After a
      failover with reverse, V(primary) is the former replica. Without replication, the connection host is V(primary)
      and O(destination) V(replica).
    - Each view names its host in C(host); null for a host not reached.
  returned: always
  type: dict
  sample:
    primary:
      host: hv1.lab.test
      vm_state: Running
      mode: Primary
      state: Replicating
      health: Normal
      primary_server: hv1.lab.test
      replica_server: hv2.lab.test
      last_replication_time: '2026-11-01T09:14:00'
      pending_size: 0
      recovery_points: []
      test_vm: null
      settings:
        port: 80
        authentication: kerberos
        compression: true
        frequency: 300
        recovery_points: 2
        app_consistent_frequency: 0
        replicated_vhds:
        - D:\Hyper-V\Virtual Hard Disks\web1.vhdx
    replica:
      host: hv2.lab.test
      vm_state: 'Off'
      mode: Replica
      state: Replicating
      health: Normal
      primary_server: hv1.lab.test
      replica_server: hv2.lab.test
      last_replication_time: '2026-11-01T09:14:00'
      pending_size: 0
      recovery_points:
      - name: web1 - Standard Replica - (2026-11-01T09:08:00)
        id: b27f66c0-c269-51eb-ac94-4716ea1a1125
        app_consistent: false
        created: '2026-11-01T09:08:00Z'
      - name: web1 - Standard Replica - (2026-11-01T09:14:00)
        id: c088ccb9-23eb-5a29-8ac9-8e60fe4a2558
        app_consistent: false
        created: '2026-11-01T09:14:00Z'
      test_vm: null
      settings:
        port: 80
        authentication: kerberos
        compression: true
        frequency: 300
        recovery_points: 2
        app_consistent_frequency: 0
        replicated_vhds:
        - D:\Replica\Hyper-V Replica\Virtual hard disks\03A69D9B-2C2E-5FCE-B016-EE7F605DEDAC\web1.vhdx
changes:
  description: What was (or in check mode would be) done, in order.
  returned: always
  type: list
  elements: str
  sample:
    - enable replication of web1 from hv1.lab.test to hv2.lab.test
    - start the initial replication over the network
round_trips:
  description: PowerShell round trips the task needed, over both hosts.
  returned: always
  type: int
  sample: 5
"""

import time
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica import (
    ReplicaHost,
    host_read_commands,
    hosts_by_role,
    parse_host,
    rows_named,
    status,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_plan import (
    ACTIONS,
    FREQUENCIES,
    INITIAL_REPLICATION,
    ReplicaPlan,
    ReplicationSpec,
    needs_primary,
    plan_replication,
    spec_problems,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, name_problem, port_problem, problems_of, thumbprint_problem

_UNREACHABLE = ("WinRM unreachable", "WinRM transport")


def argument_spec() -> dict[str, t.Any]:
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "action": {"type": "str", "choices": list(ACTIONS)},
        "replica_server": {"type": "str"},
        "replica_port": {"type": "int"},
        "authentication": {"type": "str", "choices": ["kerberos", "certificate"], "default": "kerberos"},
        "certificate_thumbprint": {"type": "str"},
        "compression": {"type": "bool", "default": True},
        "frequency": {"type": "int", "choices": list(FREQUENCIES), "default": 300},
        "recovery_points": {"type": "int", "default": 0},
        "app_consistent_frequency": {"type": "int", "default": 0},
        "include_vhds": {"type": "list", "elements": "str"},
        "exclude_vhds": {"type": "list", "elements": "str", "default": []},
        "initial_replication": {"type": "str", "choices": list(INITIAL_REPLICATION), "default": "now"},
        "initial_replication_start_time": {"type": "str"},
        "export_path": {"type": "str"},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 3600},
        "allow_shutdown": {"type": "bool", "default": False},
        "start_vm": {"type": "bool", "default": True},
        "recovery_point": {"type": "str"},
        "reverse": {"type": "bool"},
    }


def spec_from_params(params: dict[str, t.Any]) -> ReplicationSpec:
    reverse = params["reverse"]
    if reverse is None:
        reverse = params["action"] != "unplanned_failover"
    return ReplicationSpec(
        name=params["name"], state=params["state"], action=params["action"], replica_server=params["replica_server"],
        port=params["replica_port"], authentication=params["authentication"],
        certificate_thumbprint=params["certificate_thumbprint"], compression=params["compression"],
        frequency=params["frequency"], recovery_points=params["recovery_points"],
        app_consistent_frequency=params["app_consistent_frequency"],
        include_vhds=None if params["include_vhds"] is None else tuple(params["include_vhds"]),
        exclude_vhds=tuple(params["exclude_vhds"]), initial_replication=params["initial_replication"],
        initial_replication_start_time=params["initial_replication_start_time"], export_path=params["export_path"],
        allow_shutdown=params["allow_shutdown"], start_vm=params["start_vm"], recovery_point=params["recovery_point"],
        reverse=reverse)


class DuplicateNameError(Exception):
    """A host has more than one VM of the name: which one is meant is unknown."""


class Hosts:
    """The task's two hosts: their clients and what was read from them."""

    def __init__(self, module: HyperVModule, name: str) -> None:
        self.module = module
        self.name = name
        destination = module.destination_options()
        if destination is None:
            module.fail_json(msg="destination (the replica host) is required", changed=False)
        self.options = {"primary": module.connection_options(), "replica": destination}

    def client(self, key: str) -> t.Any:
        return self.module.client(self.options[key])

    def read(self, key: str, optional: bool = False) -> ReplicaHost | None:
        try:
            return self.read_host(key)
        except HyperVError as err:
            if optional and err.category in _UNREACHABLE:
                self.module.warn(f"the {key} host {err.host} is not reachable: {err.message}")
                return None
            self.module.fail_hyperv(err, changed=False, round_trips=self.module.round_trips)
        except DuplicateNameError as exc:
            self.module.fail_json(msg=str(exc), changed=False, round_trips=self.module.round_trips)

    def read_host(self, key: str) -> ReplicaHost:
        """The host's view of the VM and its replication (raises HyperVError, or DuplicateNameError)."""
        rows = self.client(key).run(host_read_commands(self.name), retry=True)
        same_name = rows_named(self.name, rows)
        if len(same_name) > 1:  # Hyper-V identifies VMs by Id; replication cmdlets by name would act on all of them
            ids = ", ".join(str(row.get("Id")) for row in same_name)
            raise DuplicateNameError(f"{self.options[key].hostname}: the host has {len(same_name)} VMs named "
                                     f"'{self.name}' (Ids {ids}); rename all but one (Rename-VM) so the name says "
                                     "which VM is meant")
        return parse_host(self.options[key].hostname, self.name, rows)

    def after_apply(self, before: dict[str, t.Any], primary_read: bool, earlier_steps: bool) -> AfterApply[t.Any]:
        """Both hosts read again after a failed step: whether the replication changed, and how it is now (steps
        that went through before it changed the task's hosts even where the re-read cannot show it)."""
        def read() -> tuple[ReplicaHost | None, ReplicaHost]:
            return (self.read_host("primary") if primary_read else None), self.read_host("replica")

        return AfterApply(subject="the task may have changed the replication", read=read, before=before,
                          also_changed=earlier_steps,
                          view=lambda now: hosts_by_role(*now), reread_errors=(DuplicateNameError,),
                          report=lambda now, _changed: {"status": status(*now), "hosts": hosts_by_role(*now)},
                          changed_detail="the replication was changed before the failure (see hosts for it as it is "
                                         "now); fix the cause and run the task again to finish")

    def read_replica(self) -> ReplicaHost:
        replica = self.read("replica")
        if replica is None:  # read() fails the task for the replica host rather than return None
            self.module.fail_json(msg="the replica host could not be read", changed=False)
        return replica


def _result(plan: ReplicaPlan, primary: ReplicaHost | None, replica: ReplicaHost) -> dict[str, t.Any]:
    return {"changed": bool(plan.changes), "changes": plan.changes, "status": status(primary, replica),
            "hosts": hosts_by_role(primary, replica)}


def _wait(module: HyperVModule, hosts: Hosts, name: str, timeout: int) -> None:
    deadline = time.monotonic() + timeout
    while True:
        primary = hosts.read("primary")
        state = primary.side.state if primary and primary.side else "Disabled"
        if state not in ("ReadyForInitialReplication", "InitialReplicationInProgress", "WaitingForInitialReplication"):
            return
        if time.monotonic() > deadline:
            module.fail_json(msg=f"the initial replication of {name} did not finish within {timeout} s (it is {state})",
                             changed=True, round_trips=module.round_trips)
        time.sleep(10)


def main() -> None:
    module = HyperVModule(argument_spec(), with_destination=True, supports_check_mode=True,
                          mutually_exclusive=[("include_vhds", "exclude_vhds")])
    fail_on_problems(module, "hyperv_replica", problems_of(
        name_problem("name", module.params["name"]),
        port_problem("port", module.params["port"]),
        thumbprint_problem("certificate_thumbprint", module.params["certificate_thumbprint"])))
    spec = spec_from_params(module.params)
    problems = spec_problems(spec)
    if problems:
        module.fail_json(msg="; ".join(problems), changed=False)
    hosts = Hosts(module, spec.name)
    primary = hosts.read("primary", optional=not needs_primary(spec))
    replica = hosts.read_replica()
    plan = plan_replication(spec, primary, replica)
    result = _result(plan, primary, replica)
    before = result["hosts"]
    if plan.problems:
        module.fail_json(msg=f"{spec.name}: " + "; ".join(plan.problems), problems=plan.problems, changed=False,
                         **{k: v for k, v in result.items() if k != "changed"}, round_trips=module.round_trips)
    for warning in plan.warnings:
        module.warn(warning)
    if module.check_mode or not plan.steps:
        if module._diff:
            result["diff"] = {"before": before, "after": before}
        module.exit_json(round_trips=module.round_trips, **result)
    for number, step in enumerate(plan.steps):
        try:
            hosts.client(step.host).run(step.commands)
        except HyperVError as err:  # the step may have gone through (or part of it): read both hosts again
            primary_read = primary is not None or needs_primary(spec)
            module.fail_after_apply(err, hosts.after_apply(before, primary_read, earlier_steps=number > 0),
                                    changes=plan.changes)
    if module.params["wait"] and spec.state == "present" and spec.action is None:
        _wait(module, hosts, spec.name, module.params["wait_timeout"])
    primary = hosts.read("primary", optional=True) if primary is not None or needs_primary(spec) else None
    replica = hosts.read_replica()
    result.update(status=status(primary, replica), hosts=hosts_by_role(primary, replica))
    if module._diff:
        result["diff"] = {"before": before, "after": result["hosts"]}
    module.exit_json(round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
