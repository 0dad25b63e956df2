"""What the wire benchmark runs: the operations per module, each measured as the first task to its hosts (cold)
and as the next one (warm), the controller CPU runs, the auth variants and the fleets. Plays only: measuring is
_plays.py's job, the table wire.py's."""

from __future__ import annotations

import dataclasses
import hashlib
import pathlib
import typing

from harness import admin_credentials, connection_defaults

DISKS = "D:\\Hyper-V\\Virtual Hard Disks"
VM_INFO = "winvirt.hyperv.hyperv_vm_info"
VM = "winvirt.hyperv.hyperv_vm"
MIGRATE = "winvirt.hyperv.hyperv_live_migration"
REPLICA = "winvirt.hyperv.hyperv_replica"
REPLICA_SERVER = "winvirt.hyperv.hyperv_replica_server"
SPN = "winvirt.hyperv.hyperv_spn"
PING = "ansible.builtin.ping"
CPU_TASKS = 6  # tasks per CPU run: the added CPU per task is (run with k tasks - run with none) / k


def vm_spec(name: str, vlan: int = 20) -> dict[str, typing.Any]:
    return {"name": name, "generation": 2, "processor_count": 2, "memory": {"startup_mb": 2048}, "state": "running",
            "network_adapters": [{"name": "LAN", "switch": "vNet-LAN50", "vlan": {"mode": "access", "id": vlan}}]}


@dataclasses.dataclass
class Operation:
    """One module operation measured twice in one play: ``cold`` (the play's first task to these hosts) and
    ``warm`` (the same kind of task right after it)."""

    key: str
    module: str
    what: str
    cold: dict[str, typing.Any]
    warm: dict[str, typing.Any]
    auth: str = "ntlm"
    setup: list[dict[str, typing.Any]] = dataclasses.field(default_factory=list)  # a play of its own, not measured

    def tasks(self) -> list[dict[str, typing.Any]]:
        return [{"name": f"{self.key} cold", self.module: self.cold}, {"name": f"{self.key} warm", self.module: self.warm}]


def operations(estate: typing.Any) -> list[Operation]:
    """In order: each leaves lab3 as the next one needs it (bench-a/b exist before the re-run and the change)."""
    def to(machine: str) -> dict[str, str]:
        return {"hostname": estate.address(machine)}

    return [
        Operation("info", VM_INFO, "read one VM (disk chains, checkpoints)", {"name": "web1"}, {"name": "web1"}),
        Operation("create", VM, "create a running VM with a NIC on VLAN 20", vm_spec("bench-a"), vm_spec("bench-b")),
        Operation("rerun", VM, "the same VM again, unchanged", vm_spec("bench-a"), vm_spec("bench-b")),
        Operation("change", VM, "move the running VM's NIC to VLAN 30", vm_spec("bench-a", 30), vm_spec("bench-b", 30)),
        Operation("migrate", MIGRATE, "shared-nothing live migration hv1 -> hv2 (CredSSP)",
                  {"name": ["app1"], "destination": to("hv2")}, {"name": ["ws1"], "destination": to("hv2")},
                  auth="credssp"),
        Operation("replica", REPLICA, "enable replication hv1 -> hv2",
                  {"name": "web1", "destination": to("hv2")}, {"name": "legacy1", "destination": to("hv2")},
                  setup=[{"name": "replica server", REPLICA_SERVER: {**to("hv2"), "default_storage_location": "D:\\Replica"}}]),
        Operation("spn", SPN, "SPNs and delegation (ActiveDirectory cmdlets on dc1)",
                  {**to("dc1"), "backend": "powershell", "hosts": ["hv3"]},
                  {**to("dc1"), "backend": "powershell", "hosts": ["hv3"], "delegation": {"peers": ["hv1"]}}),
    ]


def prepare_lab3(estate: typing.Any) -> None:
    """Live migration on between the hosts, as hyperv_host would set it (test_hyperv_live_migration does the same)."""
    with estate.world.lock:
        for name in ("hv1", "hv2", "hv3"):
            estate.world.machine(name).hyperv.host.migration_enabled = True
            estate.world.machine(name).hyperv.host.migration_auth = "Kerberos"


def local_play(estate: typing.Any, tasks: list[dict[str, typing.Any]], *, host: str = "hv1", auth: str = "ntlm",
               connection: dict[str, typing.Any] | None = None, name: str = "bench") -> dict[str, typing.Any]:
    """The documented `connection: local` form: the module's connection options from module_defaults."""
    return {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
            "module_defaults": {"group/winvirt.hyperv.hyperv": connection or connection_defaults(estate, host, auth)},
            "tasks": tasks}


def cpu_plays(estate: typing.Any, task: dict[str, typing.Any], count: int) -> list[dict[str, typing.Any]]:
    """A warm-up read, then ``count`` copies of ``task``: the warm-up makes the session warm where sessions exist."""
    warmup = {"name": "warm-up", VM_INFO: {"name": "web1"}}
    copies = [{**task, "name": f"{task['name']} {n}"} for n in range(count)]
    return [local_play(estate, [warmup, *copies])]


def https_connection(estate: typing.Any, auth: str) -> dict[str, typing.Any]:
    """hv1's local administrator over HTTPS (Basic), or a client certificate mapped to it (certificate)."""
    hv1 = estate.world.machine("hv1")
    local_user, local_password = next(iter(hv1.local_accounts.items()))
    options: dict[str, typing.Any] = {"hostname": estate.address("hv1"), "auth": auth, "ssl": True,
                                      "port": estate.https_port, "ca_trust_path": str(estate.ca_pem)}
    if auth == "basic":
        options.update(username=local_user, password=local_password)
    else:
        from cryptography import x509  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel

        from hvsim.wire.certs import issue_client_certificate  # pylint: disable=import-outside-toplevel

        cert, key = issue_client_certificate(pathlib.Path(estate.ca_pem).parent, local_user)
        der = x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(serialization.Encoding.DER)
        with estate.world.lock:
            hv1.platform.certificate_mappings[hashlib.sha1(der).hexdigest().upper()] = local_user  # noqa: S324
        options.update(certificate_pem=str(cert), certificate_key_pem=str(key))
    return options


def fleet_play(hosts: int) -> tuple[dict[str, typing.Any], typing.Callable[[typing.Any], dict[str, typing.Any]]]:
    """Converge one VM on every host (forks 10); the inventory comes from the started fleet estate."""
    play = {"name": "fleet", "hosts": "hyperv", "connection": "local", "gather_facts": False,
            "module_defaults": {"group/winvirt.hyperv.hyperv": {
                "hostname": "{{ ansible_host }}", "username": "{{ hyperv_user }}", "password": "{{ hyperv_password }}",
                "auth": "ntlm"}},
            "tasks": [{"name": "converge", VM: {"name": "fleet-vm", "generation": 2, "memory": {"startup_mb": 1024},
                                                "network_adapters": [{"name": "LAN", "switch": "External"}]}}]}

    def inventory(estate: typing.Any) -> dict[str, typing.Any]:
        machines = [m for m in estate.world.machines.values() if m.role == "hyperv_host"]
        user, password = admin_credentials(estate, machines[0].name)
        assert len(machines) == hosts
        return {"all": {"children": {"hyperv": {
            "hosts": {m.name: {"ansible_host": m.address} for m in machines},
            "vars": {"hyperv_user": user, "hyperv_password": password,
                     "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}}

    return play, inventory
