"""The standing attack suite (issue 16): hostile values through real module runs, check mode, faults at each step.

Every area counts what it tried and what held; conftest prints the figures table in the test summary. Bounded:
hypothesis runs derandomized without shrinking, so the suite costs about two minutes on two cores.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing as t

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from harness import run_playbook
from attack import changed_entries, clear_error, connection, count, other_objects_changed, run_module, values_of

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import literal_name

EXAMPLES = int(os.environ.get("ATTACK_EXAMPLES", "4"))  # generated values per option, besides the four explicit ones
BOUNDED = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, phases=(Phase.explicit, Phase.generate),
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# What breaks quoting, shells, wildcards and parsers: quotes of every kind, %VAR%, cmd.exe and PowerShell
# metacharacters, subexpressions, wildcards, newlines, a leading dash, Unicode; and very long values.
PIECES = ["'", '"', "\u2018", "\u2019", "\u201c", "\u201d", "`", "$(whoami)", "${x}", "%OS%", "%SystemRoot:s=%", "^",
          "&", "|", "<", ">", "*", "?", "[", "]", "[a]", "\n", "-", "--", ";", "#", "\\", "/", "..", " ", "\u00fc",
          "\u540d", "\U0001f600", "@{", "}", "!", "=", ",", "+", "\t", "\x7f"]
HOSTILE = st.one_of(
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(alphabet="abXY019", min_size=1, max_size=3)),
             min_size=1, max_size=7).map("".join),
    st.integers(min_value=200, max_value=400).map(lambda n: "x" * n),
)


@dataclasses.dataclass(frozen=True)
class Target:
    """One string option of one module, and how to read the outcome."""

    area: str
    module: str
    args: t.Callable[[t.Any, str], dict[str, t.Any]]
    machine: str = "hv1"
    expected: t.Callable[[str], list[str]] = lambda v: [v, literal_name(v)]
    related: tuple[str, ...] = ()  # other objects the run may rightly change (the VM a checkpoint belongs to)
    exact: t.Callable[[t.Any, str], bool] | None = None  # after success: the world holds exactly the object


def _vm(estate: t.Any, name: str, machine: str = "hv1") -> list[t.Any]:
    return [v for v in estate.world.machine(machine).hyperv.vms.values() if v.name == name]


TARGETS = [
    Target("hyperv_vm name (create)", "hyperv_vm", lambda e, v: {"name": v, "generation": 2},
           exact=lambda e, v: len(_vm(e, v)) == 1),
    Target("hyperv_vm name (absent)", "hyperv_vm", lambda e, v: {"name": v, "state": "absent"}),
    Target("hyperv_vm notes", "hyperv_vm", lambda e, v: {"name": "legacy1", "notes": v}, related=("legacy1",),
           expected=lambda v: [v], exact=lambda e, v: _vm(e, "legacy1")[0].notes == v),
    Target("hyperv_vm_info name", "hyperv_vm_info", lambda e, v: {"name": v}),
    Target("hyperv_switch name (absent)", "hyperv_switch", lambda e, v: {"name": v, "state": "absent"}),
    Target("hyperv_switch name (create)", "hyperv_switch", lambda e, v: {"name": v, "switch_type": "private"},
           exact=lambda e, v: [s.name for s in e.world.machine("hv1").hyperv.switches.values()].count(v) == 1),
    Target("hyperv_vhd parent_path", "hyperv_vhd",
           lambda e, v: {"path": "D:\\atk\\child.vhdx", "type": "differencing", "parent_path": f"D:\\{v}.vhdx"},
           expected=lambda v: [f"D:\\{v}.vhdx"]),
    Target("hyperv_smb_share description", "hyperv_smb_share",
           lambda e, v: {"name": "Layers", "path": "E:\\Shares\\Layers", "description": v}, machine="fs1",
           related=("Layers",), expected=lambda v: [v],
           exact=lambda e, v: e.world.machine("fs1").smb.share("Layers").description == v),
    Target("hyperv_checkpoint name (create)", "hyperv_checkpoint", lambda e, v: {"vm_name": "legacy1", "name": v},
           related=("legacy1",), expected=lambda v: [v],
           exact=lambda e, v: [c.name for c in _vm(e, "legacy1")[0].checkpoints.values()].count(v) == 1),
    Target("hyperv_checkpoint vm_name", "hyperv_checkpoint", lambda e, v: {"vm_name": v, "name": "c", "state": "absent"}),
    Target("hyperv_vhd path", "hyperv_vhd", lambda e, v: {"path": f"D:\\atk\\{v}.vhdx", "size": "1GB"},
           expected=lambda v: [f"D:\\atk\\{v}.vhdx"]),
    Target("hyperv_smb_share name (absent)", "hyperv_smb_share", lambda e, v: {"name": v, "state": "absent"},
           machine="fs1"),
    Target("hyperv_smb_share ntfs account", "hyperv_smb_share",
           lambda e, v: {"name": "VM", "path": "E:\\Shares\\VM", "ntfs_full_control": [v]}, machine="fs1",
           expected=lambda v: [f"{v}:(OI)(CI)F"]),
    Target("hyperv_smb_share share account", "hyperv_smb_share",
           lambda e, v: {"name": "VM", "path": "E:\\Shares\\VM", "read_access": [v]}, machine="fs1", related=("VM",),
           expected=lambda v: [v]),
    Target("hyperv_replica name (absent)", "hyperv_replica",
           lambda e, v: {"name": v, "state": "absent",
                         "destination": {"hostname": e.address("hv2"), "port": e.http_port}}),
    Target("hyperv_spn group name", "hyperv_spn",
           lambda e, v: {"backend": "powershell", "hosts": ["hv3"], "service_classes": [], "group": {"name": v}},
           machine="dc1", expected=lambda v: [v], related=("HV3",)),
    Target("hyperv_spn hosts", "hyperv_spn", lambda e, v: {"backend": "powershell", "hosts": [v]}, machine="dc1",
           expected=lambda v: []),  # looked up inside an escaped LDAP filter, not as a parameter of its own
    Target("hyperv_host virtual_machine_path", "hyperv_host", lambda e, v: {"virtual_machine_path": f"D:\\atk\\{v}"},
           related=("virtual_machine_path",), expected=lambda v: [f"D:\\atk\\{v}"],
           exact=lambda e, v: e.world.machine("hv1").hyperv.host.virtual_machine_path == f"D:\\atk\\{v}"),
    Target("hyperv_replica_server trust_group", "hyperv_replica_server",
           lambda e, v: {"allow_any_server": False,
                         "authorization_entries": [{"primary_server": "atk.lab.test", "storage_location": "D:\\Replica",
                                                    "trust_group": v}]},
           # the first run makes hv2 a replica server: its replica settings (one entry in the world) and listener
           # rule; the authorization entries are one list in the world diff, so exact says which entries it holds
           machine="hv2", related=("replica", "VIRT-HVRHTTPL-In-TCP-NoScope", "entries"), expected=lambda v: [v],
           exact=lambda e, v: [(a.allowed_primary_server, a.trust_group) for a in
                               e.world.machine("hv2").hyperv.replica.server.entries] == [("atk.lab.test", v)]),
    Target("hyperv_connector template_vm", "hyperv_connector",
           lambda e, v: {"name": "atk", "agent": "hv1", "switch": "vNet-LAN50", "storage_path": "D:\\Hyper-V",
                         "template_vm": v, "appliance": {"address": e.address("elm1"), "password": "Unidesk1",
                                                         "ca_path": str(e.ca_pem)}}),
    Target("hyperv_host virtual_hard_disk_path", "hyperv_host",
           lambda e, v: {"virtual_hard_disk_path": f"D:\\atk\\{v}"},
           related=("virtual_hard_disk_path",), expected=lambda v: [f"D:\\atk\\{v}"],
           exact=lambda e, v: e.world.machine("hv1").hyperv.host.virtual_hard_disk_path == f"D:\\atk\\{v}"),
    Target("hyperv_host live_migration networks", "hyperv_host",
           lambda e, v: {"live_migration": {"use_any_network": False, "networks": [v]}},
           related=("use_any_network", "networks", "migration_networks"), expected=lambda v: [v]),
    Target("hyperv_vm adapter switch", "hyperv_vm",
           lambda e, v: {"name": "atk-nic", "generation": 2, "network_adapters": [{"name": "nic", "switch": v}]},
           related=("atk-nic",), expected=lambda v: []),  # matched against the host's switches on the controller
    Target("hyperv_vm adapter name", "hyperv_vm",
           lambda e, v: {"name": "atk-nic2", "generation": 2, "network_adapters": [{"name": v, "switch": "vNet-LAN50"}]},
           related=("atk-nic2",), expected=lambda v: [v]),
    Target("hyperv_vm dvd path", "hyperv_vm",
           lambda e, v: {"name": "atk-dvd", "generation": 2, "dvd": {"state": "present", "path": f"D:\\iso\\{v}.iso"}},
           related=("atk-dvd",), expected=lambda v: [f"D:\\iso\\{v}.iso"]),
    Target("hyperv_connector storage_path", "hyperv_connector",
           lambda e, v: {"name": "atk-sp", "agent": "hv1", "switch": "vNet-LAN50", "storage_path": f"D:\\{v}",
                         "appliance": {"address": e.address("elm1"), "password": "Unidesk1", "ca_path": str(e.ca_pem)}},
           expected=lambda v: []),
    Target("hyperv_connector switch", "hyperv_connector",
           lambda e, v: {"name": "atk-sw", "agent": "hv1", "switch": v, "storage_path": "D:\\Hyper-V",
                         "appliance": {"address": e.address("elm1"), "password": "Unidesk1", "ca_path": str(e.ca_pem)}},
           expected=lambda v: []),
    Target("hyperv_live_migration name", "hyperv_live_migration",
           lambda e, v: {"name": [v], "destination": {"hostname": e.address("hv2"), "port": e.http_port}},
           expected=lambda v: []),  # it lists the VMs and picks by name on the controller: the name is never sent
]


@pytest.fixture(name="estate")
def fixture_estate(lab3_shared: t.Any) -> t.Any:
    return lab3_shared


def _calls_since(estate: t.Any, start: int) -> list[dict[str, t.Any]]:
    return estate.call_log()[start:]


@pytest.mark.parametrize("target", TARGETS, ids=[target.area for target in TARGETS])
@BOUNDED
@example(value="*")
@example(value="V*")
@example(value="x%SystemRoot:s=%&whoami")
@example(value="a'b\u2019c$(x)")
@given(value=HOSTILE)
def test_hostile_values(estate: t.Any, target: Target, value: str) -> None:
    start = len(estate.call_log())
    before = estate.snapshot()
    result = run_module(target.module, {**connection(estate, target.machine), **target.args(estate, value)})
    after = estate.snapshot()
    calls = _calls_since(estate, start)
    problems = []
    if result.get("failed"):
        if not clear_error(result):
            problems.append(f"unclear failure: {result.get('msg')!r}")
    elif target.exact is not None and result.get("changed") and not target.exact(estate, value):
        problems.append("succeeded without the exact object")
    sent = [item for call in calls for item in values_of(call)]
    wanted = target.expected(value)
    if calls and wanted and not any(expected in sent for expected in wanted):
        problems.append(f"the value never arrived whole as one parameter/argument: {sent[:12]}")
    others = other_objects_changed(changed_entries(before, after), [value, *target.related])
    if others:
        problems.append(f"other objects changed: {others[:5]}")
    if not result.get("failed") and (after != before) != bool(result.get("changed")) and not others:
        problems.append(f"changed={result.get('changed')} but the world {'did' if after != before else 'did not'} change")
    count(f"hostile: {target.area}", not problems)
    assert not problems, (target.area, value, problems, result.get("msg"))


# -- check mode: every changing module leaves the world (and the appliance) exactly as it was ---------------------

def _destination(estate: t.Any) -> dict[str, t.Any]:
    return {"hostname": estate.address("hv2"), "port": estate.http_port}


CHANGING: list[tuple[str, str, t.Callable[[t.Any], dict[str, t.Any]]]] = [
    ("hyperv_vm", "hv1", lambda e: {"name": "cm-vm", "generation": 2, "state": "running",
                                    "disks": [{"path": "D:\\Hyper-V\\cm-vm.vhdx", "size": "2GB"}]}),
    ("hyperv_vm", "hv1", lambda e: {"name": "ws1", "state": "absent", "remove_disks": True}),
    ("hyperv_vm", "hv1", lambda e: {"name": "web1", "processor_count": 4, "allow_restart": True}),
    ("hyperv_vhd", "hv1", lambda e: {"path": "D:\\cm\\x.vhdx", "size": "1GB"}),
    ("hyperv_switch", "hv1", lambda e: {"name": "cm-sw", "switch_type": "internal"}),
    ("hyperv_checkpoint", "hv1", lambda e: {"vm_name": "web1", "name": "cm"}),
    ("hyperv_smb_share", "fs1", lambda e: {"name": "cm", "path": "E:\\Shares\\cm", "full_access": ["LAB\\HV1$"],
                                           "ntfs_full_control": ["LAB\\HV1$"]}),
    ("hyperv_host", "hv1", lambda e: {"virtual_hard_disk_path": "D:\\cm-disks", "live_migration": {"enabled": True}}),
    ("hyperv_replica_server", "hv2", lambda e: {"default_storage_location": "D:\\Replica"}),
    ("hyperv_replica", "hv1", lambda e: {"name": "app1", "destination": _destination(e)}),
    ("hyperv_live_migration", "hv1", lambda e: {"name": ["web1"], "destination": _destination(e)}),
    ("hyperv_spn", "dc1", lambda e: {"backend": "powershell", "hosts": ["hv1", "hv2"], "group": {"name": "cm-hosts"},
                                     "delegation": {"peers": ["hv1", "hv2"]}}),
    ("hyperv_connector", "hv1", lambda e: {"name": "cm-conn", "agent": "hv1", "switch": "vNet-LAN50",
                                           "storage_path": "D:\\Hyper-V", "register_agent": True,
                                           "agent_ignore_cert_errors": True,
                                           "appliance": {"address": e.address("elm1"), "password": "Unidesk1",
                                                         "ca_path": str(e.ca_pem)}}),
]


@pytest.mark.parametrize(("module", "machine", "args"), CHANGING, ids=[f"{m} {i}" for i, (m, _h, _a) in enumerate(CHANGING)])
def test_check_mode_changes_nothing(estate: t.Any, module: str, machine: str, args: t.Callable[[t.Any], dict[str, t.Any]]) -> None:
    before = (estate.snapshot(), [appliance.snapshot() for appliance in estate.appliances])
    result = run_module(module, {**connection(estate, machine), **args(estate)}, check=True)
    after = (estate.snapshot(), [appliance.snapshot() for appliance in estate.appliances])
    held = after == before and (not result.get("failed") or clear_error(result))
    count(f"check mode: {module}", held)
    assert after == before, (module, changed_entries(before[0], after[0])[:5])
    assert not result.get("failed") or clear_error(result), result.get("msg")


# -- faults at each step: one VM running, no disk lost, a truthful `changed`, a converging re-run -----------------

FAULTED: list[tuple[str, str, t.Callable[[t.Any, str], dict[str, t.Any]]]] = [
    ("hyperv_vm", "hv1", lambda e, n: {"name": n, "generation": 2, "state": "running",
                                       "disks": [{"path": f"D:\\Hyper-V\\{n}.vhdx", "size": "1GB"}]}),
    ("hyperv_checkpoint", "hv1", lambda e, n: {"vm_name": "legacy1", "name": n}),
    ("hyperv_smb_share", "fs1", lambda e, n: {"name": n, "path": f"E:\\Shares\\{n}", "full_access": ["LAB\\HV1$"],
                                              "ntfs_full_control": ["LAB\\HV1$"]}),
    ("hyperv_switch", "hv1", lambda e, n: {"name": n, "switch_type": "internal"}),
    ("hyperv_vhd", "hv1", lambda e, n: {"path": f"D:\\faults\\{n}.vhdx", "size": "1GB"}),
    ("hyperv_host", "hv1", lambda e, n: {"virtual_hard_disk_path": f"D:\\faults\\{n}"}),
    ("hyperv_replica_server", "hv2", lambda e, n: {"allow_any_server": False, "authorization_entries": [
        {"primary_server": f"{n}.lab.test", "storage_location": "D:\\Replica", "trust_group": "faults"}]}),
    ("hyperv_connector", "hv1", lambda e, n: {"name": n, "agent": "hv1", "switch": "vNet-LAN50",
                                              "storage_path": "D:\\Hyper-V", "register_agent": True,
                                              "agent_ignore_cert_errors": True, "appliance": {
                                                  "address": e.address("elm1"), "password": "Unidesk1",
                                                  "ca_path": str(e.ca_pem)}}),
    ("hyperv_spn", "dc1", lambda e, n: {"backend": "powershell", "hosts": ["hv3"], "service_classes": [],
                                        "group": {"name": n}}),
]
FAULT_STEPS = int(os.environ.get("ATTACK_FAULT_STEPS", "3"))


def _new_vm(estate: t.Any, name: str) -> None:
    """A running VM with a disk on hv1, made by the real module (the object a replica or move acts on)."""
    made = run_module("hyperv_vm", {**connection(estate), "name": name, "generation": 2, "state": "running",
                                    "disks": [{"path": f"D:\\Hyper-V\\{name}.vhdx", "size": "1GB"}]})
    assert not made.get("failed"), made.get("msg")


def _replica_ready(estate: t.Any, name: str) -> None:
    """VM ``name`` on hv1, and hv2 a replica server that accepts it (the replica_server cases change its entries)."""
    _new_vm(estate, name)
    server = run_module("hyperv_replica_server", {**connection(estate, "hv2"), "allow_any_server": True,
                                                  "default_storage_location": "D:\\Replica"})
    assert not server.get("failed"), server.get("msg")


def _migration_ready(estate: t.Any, name: str) -> None:
    """VM ``name`` on hv1; both hosts allow migrations with the same authentication (the host settings a
    hyperv_host task would make, set in the world as test_hyperv_live_migration does)."""
    _new_vm(estate, name)
    with estate.world.lock:
        for machine in ("hv1", "hv2"):
            estate.world.machine(machine).hyperv.host.migration_enabled = True
            estate.world.machine(machine).hyperv.host.migration_auth = "Kerberos"


FAULTED += [
    ("hyperv_replica", "hv1", lambda e, n: {"name": n, "destination": _destination(e)}),
    # the source host moves the VM: CredSSP lets it authenticate to the destination (as in test_hyperv_live_migration)
    ("hyperv_live_migration", "hv1", lambda e, n: {"name": [n], "destination": _destination(e), "auth": "credssp"}),
]
# what must exist before each run of a module (outside the faults: its requests are not counted as steps)
FAULT_SETUP: dict[str, t.Callable[[t.Any, str], None]] = {
    "hyperv_replica": _replica_ready,
    "hyperv_live_migration": _migration_ready,
}


def _running(estate: t.Any) -> set[str]:
    return {vm.name for machine in estate.world.machines.values() if machine.hyperv is not None
            for vm in machine.hyperv.vms.values() if vm.state == "Running"}


def _disks(snapshot: dict[str, t.Any]) -> set[str]:
    return {f"{name}:{path}" for name, machine in snapshot["machines"].items()
            for path in (machine.get("fs") or {}).get("files", {}) if path.endswith((".vhdx", ".vhd", ".avhdx"))}


def _lost_disks(before: dict[str, t.Any], after: dict[str, t.Any]) -> set[str]:
    """Disks gone from their host and from every other (a disk a live migration moved is on the destination)."""
    anywhere = {disk.split(":", 1)[1] for disk in _disks(after)}
    return {disk for disk in _disks(before) - _disks(after) if disk.split(":", 1)[1] not in anywhere}


def _requests(estate: t.Any, machine: str) -> int:
    return int(estate.counters(machine)["wsman_messages"])


# reset and http503 come before the host handles the request; lost after it (the answer never arrives)
@pytest.mark.parametrize("kind", ["reset", "http503", "lost"])
@pytest.mark.parametrize(("module", "machine", "args"), FAULTED, ids=[m for m, _h, _a in FAULTED])
def test_a_fault_at_each_step(estate: t.Any, module: str, machine: str, args: t.Callable[[t.Any, str], dict[str, t.Any]],
                              kind: str) -> None:
    prefix = f"f{kind[0]}{module[7:10]}"
    setup = FAULT_SETUP.get(module, lambda e, n: None)
    setup(estate, f"{prefix}0")
    clean = _requests(estate, machine)
    first = run_module(module, {**connection(estate, machine), **args(estate, f"{prefix}0")})
    assert not first.get("failed"), first.get("msg")
    steps = _requests(estate, machine) - clean
    chosen = sorted({round(i * (steps - 1) / max(FAULT_STEPS - 1, 1)) for i in range(FAULT_STEPS)})
    for number, step in enumerate(chosen, start=1):
        name = f"{prefix}{number}"
        setup(estate, name)
        before, running = estate.snapshot(), _running(estate)
        estate.inject_fault(machine, kind, after=step, count=1)
        result = run_module(module, {**connection(estate, machine), **args(estate, name)})
        estate.inject_fault(machine, "clear")
        after = estate.snapshot()
        problems = []
        if not running <= _running(estate):
            problems.append(f"VMs stopped running: {running - _running(estate)}")
        lost = _lost_disks(before, after)
        if lost:
            problems.append(f"disks lost: {lost}")
        if (after != before) and not result.get("changed"):
            problems.append(f"the world changed but changed={result.get('changed')}: {result.get('msg')}")
        if result.get("failed") and not clear_error(result):
            problems.append(f"unclear failure: {result.get('msg')}")
        again = run_module(module, {**connection(estate, machine), **args(estate, name)})
        if again.get("failed"):
            problems.append(f"the re-run failed: {again.get('msg')}")
        third = run_module(module, {**connection(estate, machine), **args(estate, name)})
        if third.get("failed") or third.get("changed"):
            problems.append(f"the re-run did not converge: changed={third.get('changed')} {third.get('msg')}")
        count(f"faults: {module} ({kind})", not problems)
        assert not problems, (module, kind, f"step {step} of {steps}", problems)


# -- secrets: no secret option's value in any output at -vvvv ----------------------------------------------------

SECRET = "S3cret%&'\"`$(x) pass"


def test_no_secret_in_verbose_output(estate: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets come from a lookup (as from a vault): Ansible quotes a failing task's source lines and prints -e
    values at -vvvv, so neither may hold them."""
    proxy_secret = "Pr0xyPa55w0rd"
    appliance = {"address": estate.address("elm1"), "password": "{{ lookup('env', 'ATTACK_SECRET') }}", "ca_path": str(estate.ca_pem)}
    tasks = [
        {"name": "wrong password", "winvirt.hyperv.hyperv_vm_info": {"password": "{{ lookup('env', 'ATTACK_SECRET') }}"}, "ignore_errors": True},
        {"name": "proxy", "winvirt.hyperv.hyperv_vm_info": {"proxy": "http://user:{{ lookup('env', 'ATTACK_PROXY_SECRET') }}@127.0.0.1:9"},
         "ignore_errors": True},
        {"name": "appliance", "winvirt.hyperv.hyperv_connector": {
            "name": "sec", "agent": "hv1", "switch": "vNet-LAN50", "storage_path": "D:\\Hyper-V", "register_agent": True,
            "agent_ignore_cert_errors": True, "appliance": appliance}, "ignore_errors": True},
        {"name": "destination password", "winvirt.hyperv.hyperv_live_migration": {
            "name": ["web1"], "destination": {"hostname": estate.address("hv2"), "port": estate.http_port,
                                              "password": "{{ lookup('env', 'ATTACK_SECRET') }}"}},
         "check_mode": True, "ignore_errors": True},
    ]
    monkeypatch.setenv("ATTACK_SECRET", SECRET)
    monkeypatch.setenv("ATTACK_PROXY_SECRET", proxy_secret)
    run = run_playbook(estate, tasks, verbosity=4)
    text = run.stdout + run.stderr + json.dumps(run.results) + estate.call_log_path.read_text()
    for option, secret in (("password", SECRET), ("proxy", proxy_secret), ("appliance.password", SECRET),
                           ("destination.password", SECRET)):
        leaked = secret in text or secret[:6] in text  # whole, or a piece (a mask that split at a space)
        count(f"secrets at -vvvv: {option}", not leaked)
        assert not leaked, option
