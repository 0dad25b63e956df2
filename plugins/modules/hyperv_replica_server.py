#!/usr/bin/python
# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hyperv_replica_server
short_description: Configure a Hyper-V host as a Hyper-V Replica server
version_added: 0.1.0
description:
  - Enables (or disables) "this computer as a Replica server" on a Hyper-V host, with Kerberos over HTTP,
    certificate-based authentication over HTTPS, or both.
  - Accepts replication from any authenticated server into a default storage location, or only from the primary
    servers named by authorization entries (a server name or wildcard pattern, a storage location and a trust group).
  - Opens the matching firewall rule on the host, "Hyper-V Replica HTTP Listener (TCP-In)" for Kerberos and
    "Hyper-V Replica HTTPS Listener (TCP-In)" for certificates (and closes them with O(state=absent)). Those
    built-in rules are fixed to TCP 80 and 443; for a listener on another O(kerberos_port) or O(certificate_port),
    the module creates a rule of its own for that port instead, named C(WinVirt-HyperV-Replica-Kerberos-In-TCP)
    or C(WinVirt-HyperV-Replica-Certificate-In-TCP) (display names "Hyper-V Replica Kerberos Listener, configured
    port (TCP-In)" and "Hyper-V Replica Certificate Listener, configured port (TCP-In)", group C(winvirt.hyperv)),
    moves it when the port changes and removes it when the listener is back on its default port.
  - Reads the host in one round trip and applies every change in one more.
  - Kerberos replication also needs the "Hyper-V Replica Service" SPNs of the replica host, see
    M(winvirt.hyperv.hyperv_spn).
extends_documentation_fragment:
  - winvirt.hyperv.connection
options:
  state:
    description: V(present) enables the replica server, V(absent) disables it.
    type: str
    choices: [present, absent]
    default: present
  authentication:
    description:
      - Which authentication primaries may use. V(kerberos) is HTTP (data not encrypted on the wire by Hyper-V),
        V(certificate) is HTTPS with the certificate O(certificate_thumbprint), V(both) allows either.
    type: str
    choices: [kerberos, certificate, both]
    default: kerberos
  kerberos_port:
    description: The port of the Kerberos (HTTP) listener.
    type: int
    default: 80
  certificate_port:
    description: The port of the certificate (HTTPS) listener.
    type: int
    default: 443
  certificate_thumbprint:
    description:
      - The thumbprint of the certificate (in the host's personal store) the HTTPS listener uses. Required for
        O(authentication=certificate) or V(both) unless the host has one set already.
    type: str
  allow_any_server:
    description:
      - V(true) accepts replication from any authenticated server into O(default_storage_location).
      - V(false) accepts it only from the primaries of O(authorization_entries).
    type: bool
    default: true
  default_storage_location:
    description:
      - The folder on the host where replica VMs of any server are stored. Hyper-V takes only a folder that exists,
        so a missing folder (here or in O(authorization_entries)) fails the task before anything changes, unless
        O(create_storage_location=true).
      - Required with O(allow_any_server=true) unless the host has one set already.
    type: str
  create_storage_location:
    description: Create O(default_storage_location) and the entries' storage folders when they do not exist.
    type: bool
    default: false
  authorization_entries:
    description:
      - The primary servers allowed to replicate to this host. When given, the list is authoritative (entries not
        listed are removed); when not given, the entries are left alone.
    type: list
    elements: dict
    suboptions:
      primary_server:
        description: The primary's FQDN, or a pattern such as V(*.lab.test).
        type: str
        required: true
      storage_location:
        description: The folder for this primary's replica VMs (it must exist).
        type: str
        required: true
      trust_group:
        description: Primaries in one trust group may fail over to each other's replicas.
        type: str
        default: DEFAULT
  manage_firewall:
    description:
      - Open the listener rule(s) the authentication needs on the configured ports (close them with
        O(state=absent)).
    type: bool
    default: true
attributes:
  check_mode:
    description: Returns the changes it would make without making them.
    support: full
  diff_mode:
    description: The replica server settings before and after.
    support: full
seealso:
  - module: winvirt.hyperv.hyperv_replica
  - module: winvirt.hyperv.hyperv_spn
author:
  - winvirt.hyperv contributors (@winvirt)
"""

EXAMPLES = r"""
- name: Accept Kerberos replication from any authenticated server into D:\Replica
  winvirt.hyperv.hyperv_replica_server:
    hostname: hv2.lab.test
    default_storage_location: D:\Replica

- name: Accept replication only from the lab's hosts
  winvirt.hyperv.hyperv_replica_server:
    hostname: hv2.lab.test
    allow_any_server: false
    authorization_entries:
      - primary_server: "*.lab.test"
        storage_location: D:\Replica
        trust_group: lab

- name: Stop being a replica server and close the listener rules
  winvirt.hyperv.hyperv_replica_server:
    hostname: hv2.lab.test
    state: absent
"""

RETURN = r"""
server:
  description: The replica server settings after the task (as they would be, in check mode).
  returned: always
  type: dict
  contains:
    enabled:
      description: Whether the host is a replica server.
      type: bool
      sample: true
    authentication:
      description: V(kerberos), V(certificate) or V(both).
      type: str
      sample: kerberos
    kerberos_port:
      description: The Kerberos (HTTP) port.
      type: int
      sample: 80
    certificate_port:
      description: The certificate (HTTPS) port.
      type: int
      sample: 443
    certificate_thumbprint:
      description: The HTTPS certificate's thumbprint.
      type: str
      sample: null
    allow_any_server:
      description: Whether any authenticated server may replicate here.
      type: bool
      sample: false
    default_storage_location:
      description: Where replica VMs of any server go.
      type: str
      sample: D:\Replica
    authorization_entries:
      description: The authorized primaries (primary_server, storage_location, trust_group).
      type: list
      elements: dict
      sample:
        - primary_server: hv1.lab.test
          storage_location: D:\Replica
          trust_group: DEFAULT
    firewall:
      description: The listener rules by display name, true when enabled.
      type: dict
      sample:
        Hyper-V Replica HTTP Listener (TCP-In): true
        Hyper-V Replica HTTPS Listener (TCP-In): false
changes:
  description: What was (or in check mode would be) changed, in words.
  returned: always
  type: list
  elements: str
  sample:
    - enable the replica server
    - default storage location None -> D:\Replica
    - authorize primary hv1.lab.test (storage D:\Replica)
    - open the firewall rule 'Hyper-V Replica HTTP Listener (TCP-In)'
round_trips:
  description: PowerShell round trips the task needed.
  returned: always
  type: int
  sample: 2
"""

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._module import HyperVModule
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_server import (
    AUTHENTICATION,
    AuthorizationEntry,
    ServerSpec,
    folder_checks,
    missing_folders,
    parse_server,
    plan_server,
    server_read_commands,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import fail_on_problems, path_problem, port_problem, problems_of, thumbprint_problem


def argument_spec() -> dict[str, t.Any]:
    return {
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "authentication": {"type": "str", "choices": list(AUTHENTICATION), "default": "kerberos"},
        "kerberos_port": {"type": "int", "default": 80},
        "certificate_port": {"type": "int", "default": 443},
        "certificate_thumbprint": {"type": "str"},
        "allow_any_server": {"type": "bool", "default": True},
        "default_storage_location": {"type": "str"},
        "authorization_entries": {"type": "list", "elements": "dict", "options": {
            "primary_server": {"type": "str", "required": True},
            "storage_location": {"type": "str", "required": True},
            "trust_group": {"type": "str", "default": "DEFAULT"},
        }},
        "manage_firewall": {"type": "bool", "default": True},
        "create_storage_location": {"type": "bool", "default": False},
    }


def spec_from_params(params: dict[str, t.Any]) -> ServerSpec:
    entries = params["authorization_entries"]
    return ServerSpec(
        state=params["state"], authentication=params["authentication"], kerberos_port=params["kerberos_port"],
        certificate_port=params["certificate_port"], certificate_thumbprint=params["certificate_thumbprint"],
        allow_any_server=params["allow_any_server"], default_storage_location=params["default_storage_location"],
        authorization_entries=None if entries is None else tuple(
            AuthorizationEntry(e["primary_server"], e["storage_location"], e["trust_group"]) for e in entries),
        manage_firewall=params["manage_firewall"], create_storage_location=params["create_storage_location"])


def main() -> None:
    module = HyperVModule(argument_spec(), supports_check_mode=True)
    params = module.params
    fail_on_problems(module, "hyperv_replica_server", problems_of(
        port_problem("kerberos_port", params["kerberos_port"]), port_problem("certificate_port", params["certificate_port"]),
        thumbprint_problem("certificate_thumbprint", params["certificate_thumbprint"]),
        path_problem("default_storage_location", params["default_storage_location"]),
        *(path_problem(f"authorization_entries[{index}].storage_location", entry["storage_location"])
          for index, entry in enumerate(params.get("authorization_entries") or []))))
    spec = spec_from_params(module.params)
    client = module.client()
    read = server_read_commands()
    checks = folder_checks(spec) if spec.state == "present" else []
    try:
        rows = client.run([*read, *checks], retry=True)
    except HyperVError as err:
        module.fail_hyperv(err, changed=False, round_trips=module.round_trips)
    current = parse_server(rows[:len(read)])
    host = module.connection_options().hostname
    plan = plan_server(spec, current, missing_folders(spec, rows[len(read):]), host)
    if plan.errors:
        module.fail_json(msg=f"{host}: " + "; ".join(plan.errors), changed=False, changes=[],
                         server=current.to_result(), round_trips=module.round_trips)
    result: dict[str, t.Any] = {"changed": bool(plan.changes), "changes": plan.changes,
                                "server": plan.after.to_result()}
    if module._diff:
        result["diff"] = {"before": current.to_result(), "after": plan.after.to_result()}
    if not plan.commands or module.check_mode:
        module.exit_json(round_trips=module.round_trips, **result)
    try:
        rows = client.run([*plan.commands, *read])
    except HyperVError as err:
        module.fail_hyperv(err, round_trips=module.round_trips, **result)
    after = parse_server(rows[-len(read):])
    result["server"] = after.to_result()
    if module._diff:
        result["diff"]["after"] = result["server"]
    module.exit_json(round_trips=module.round_trips, **result)


if __name__ == "__main__":
    main()
