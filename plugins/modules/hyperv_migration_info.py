#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_migration_info
short_description: Report the live and storage migrations a Hyper-V host is running, with their progress
version_added: 0.1.0
description:
  - Lists the migration jobs of the host that moves the VMs (the source of a live migration, the host of a storage
    migration) as Hyper-V's virtual system migration service reports them (the C(Msvm_MigrationJob) objects of
    C(root/virtualization/v2)), with the percentage complete, state, destination and time elapsed.
  - A job that has ended stays listed for a few minutes (five by default, the job's C(TimeBeforeRemoval)).
  - Meant to be polled while a long M(winvirt.hyperv.hyperv_live_migration) task runs with C(async); the
    C(winvirt.hyperv.live_migration) role does so. One round trip.
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  name:
    description:
      - Only the jobs of the VM of this exact name (as long as it is still on the host; a VM that has moved away is
        matched by the job's own name for it).
      - Not set lists every job.
    type: str
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
seealso:
  - module: winvirt.hyperv.hyperv_live_migration
  - name: Msvm_MigrationJob class
    description: The host's record of a migration, with PercentComplete.
    link: https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/msvm-migrationjob
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Move web1 in the background
  winvirt.hyperv.hyperv_live_migration:
    name: web1
    destination: {hostname: hv2.lab.test}
    timeout: 3600
  async: 3900
  poll: 0
  register: move

- name: How far the move is
  winvirt.hyperv.hyperv_migration_info:
    name: web1
  register: progress

- name: Show it
  ansible.builtin.debug:
    msg: "{{ item.vm_name }} -> {{ item.destination }}: {{ item.percent_complete }} % ({{ item.state }})"
  loop: "{{ progress.jobs }}"

- name: Wait for the move
  ansible.builtin.async_status:
    jid: "{{ move.ansible_job_id }}"
  register: moved
  until: moved.finished
  retries: 390
  delay: 10
"""

RETURN = r"""
jobs:
  description: The host's migration jobs, oldest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The job's InstanceID.
      type: str
      sample: 6E3F2A53-2D0C-4B5B-9D8E-0A1F4C1E7B21
    vm_id:
      description: The Id of the VM being moved (lower case).
      type: str
      sample: 03a69d9b-2c2e-5fce-b016-ee7f605dedac
    vm_name:
      description: The VM's name.
      type: str
      sample: web1
    destination:
      description: The destination host as the job names it.
      type: str
      sample: hv2.lab.test
    migration_type:
      description: V(virtual_system), V(storage), V(staged) or V(virtual_system_and_storage).
      type: str
      sample: virtual_system_and_storage
    state:
      description: The job state (V(running), V(completed), V(terminated), V(exception), ...).
      type: str
      sample: running
    percent_complete:
      description: How much of the move is done, in percent, when it was read.
      type: int
      sample: 45
    started:
      description: When the job started, as the host reports it.
      type: str
      sample: '2026-11-01T08:00:00'
    elapsed_seconds:
      description: Seconds the job has run (null when the host does not say).
      type: int
      sample: 65
    error:
      description: The job's error description after a failure, else null.
      type: str
      sample: null
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_jobs import parse_jobs, read_command
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule


def main() -> None:
    module = HyperVModule({"name": {"type": "str"}}, supports_check_mode=True)
    name = module.params["name"]
    client = module.client()
    try:
        vms, rows = client.run([Cmd("Get-VM", {}, select=["Name", "Id"], missing_ok=True), read_command()], retry=True)
    except HyperVError as err:
        module.fail_hyperv(err, round_trips=module.round_trips)
    names = {str(vm.get("Id") or "").lower(): str(vm.get("Name")) for vm in vms if isinstance(vm, dict)}
    jobs = parse_jobs(rows, names)
    if name is not None:
        jobs = [job for job in jobs if str(job["vm_name"] or "").lower() == name.lower()]
    module.exit_json(changed=False, jobs=jobs, round_trips=module.round_trips)


if __name__ == "__main__":
    main()
