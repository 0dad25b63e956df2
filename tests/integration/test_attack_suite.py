"""The standing attack suite (issue 16): hostile values through real module runs, check mode, faults at each step.

Every area counts what it tried and what held; conftest prints the figures table in the test summary. Bounded:
hypothesis runs derandomized without shrinking on the options most exposed (TARGETS), every other string option gets
a fixed pair of values (SWEEP), and test_every_string_option_is_attacked_or_exempt reads the argument specs so no
string option goes unattacked without a reason (attack_options.EXEMPT). Measured with -n 2 on two cores: 103 s of
wall time for the file, 194 s of summed test time, of which the sweep takes 18 s, the replica and live migration
fault cases 37 s and test_replica_fault_at_each_apply_request 7 s (on a machine loaded by other runs, about six
times as much).
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
from attack_options import argument_spec, exemption, module_names, string_options
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
    option: str = ""  # the attacked option's path in the argument spec (a.b for a suboption); "" = the area's words
    within: tuple[str, ...] = ()  # settings the option configures: changed world paths holding one of these words

    @property
    def option_path(self) -> str:
        return self.option or self.area[len(self.module) + 1:].split(" (")[0]


def _folder(path: str) -> str:
    """The folder as Windows names it: / is a separator too, and a trailing one names the same folder."""
    return path.replace("/", "\\").rstrip("\\")


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
           expected=lambda v: [f"{v}:(OI)(CI)F"], option="ntfs_full_control"),
    Target("hyperv_smb_share share account", "hyperv_smb_share",
           lambda e, v: {"name": "VM", "path": "E:\\Shares\\VM", "read_access": [v]}, machine="fs1", related=("VM",),
           expected=lambda v: [v], option="read_access"),
    Target("hyperv_replica name (absent)", "hyperv_replica",
           lambda e, v: {"name": v, "state": "absent",
                         "destination": {"hostname": e.address("hv2"), "port": e.http_port}}),
    Target("hyperv_spn group name", "hyperv_spn",
           lambda e, v: {"backend": "powershell", "hosts": ["hv3"], "service_classes": [], "group": {"name": v}},
           machine="dc1", expected=lambda v: [v], related=("HV3",), option="group.name"),
    Target("hyperv_spn hosts", "hyperv_spn", lambda e, v: {"backend": "powershell", "hosts": [v]}, machine="dc1",
           expected=lambda v: []),  # looked up inside an escaped LDAP filter, not as a parameter of its own
    Target("hyperv_host virtual_machine_path", "hyperv_host", lambda e, v: {"virtual_machine_path": f"D:\\atk\\{v}"},
           related=("virtual_machine_path",), expected=lambda v: [f"D:\\atk\\{v}"],
           exact=lambda e, v: e.world.machine("hv1").hyperv.host.virtual_machine_path == _folder(f"D:\\atk\\{v}")),
    Target("hyperv_replica_server trust_group", "hyperv_replica_server",
           lambda e, v: {"allow_any_server": False,
                         "authorization_entries": [{"primary_server": "atk.lab.test", "storage_location": "D:\\Replica",
                                                    "trust_group": v}]},
           # the first run makes hv2 a replica server: its replica settings (one entry in the world) and listener
           # rule; the authorization entries are one list in the world diff, so exact says which entries it holds
           machine="hv2", related=("replica", "VIRT-HVRHTTPL-In-TCP-NoScope", "entries"), expected=lambda v: [v],
           option="authorization_entries.trust_group",
           exact=lambda e, v: [(a.allowed_primary_server, a.trust_group) for a in
                               e.world.machine("hv2").hyperv.replica.server.entries] == [("atk.lab.test", v)]),
    Target("hyperv_connector template_vm", "hyperv_connector",
           lambda e, v: {"name": "atk", "agent": "hv1", "switch": "vNet-LAN50", "storage_path": "D:\\Hyper-V",
                         "template_vm": v, "appliance": {"address": e.address("elm1"), "password": "Unidesk1",
                                                         "ca_path": str(e.ca_pem)}}),
    Target("hyperv_host virtual_hard_disk_path", "hyperv_host",
           lambda e, v: {"virtual_hard_disk_path": f"D:\\atk\\{v}"},
           related=("virtual_hard_disk_path",), expected=lambda v: [f"D:\\atk\\{v}"],
           exact=lambda e, v: e.world.machine("hv1").hyperv.host.virtual_hard_disk_path == _folder(f"D:\\atk\\{v}")),
    Target("hyperv_host live_migration networks", "hyperv_host",
           lambda e, v: {"live_migration": {"use_any_network": False, "networks": [v]}},
           related=("use_any_network", "networks", "migration_networks"), expected=lambda v: [v],
           option="live_migration.networks"),
    Target("hyperv_vm adapter switch", "hyperv_vm",
           lambda e, v: {"name": "atk-nic", "generation": 2, "network_adapters": [{"name": "nic", "switch": v}]},
           related=("atk-nic",), expected=lambda v: [], option="network_adapters.switch"),  # matched against the host's switches on the controller
    Target("hyperv_vm adapter name", "hyperv_vm",
           lambda e, v: {"name": "atk-nic2", "generation": 2, "network_adapters": [{"name": v, "switch": "vNet-LAN50"}]},
           related=("atk-nic2",), expected=lambda v: [v], option="network_adapters.name"),
    Target("hyperv_vm dvd path", "hyperv_vm",
           lambda e, v: {"name": "atk-dvd", "generation": 2, "dvd": {"state": "present", "path": f"D:\\iso\\{v}.iso"}},
           related=("atk-dvd",), expected=lambda v: [f"D:\\iso\\{v}.iso"], option="dvd.path"),
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
    problems = _attack(estate, target, value)
    count(f"hostile: {target.area}", not problems)
    assert not problems, (target.area, value, problems)


def _attack(estate: t.Any, target: Target, value: str) -> list[str]:
    """Run the target with ``value``: what did not hold (the world, the call log and the result)."""
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
    # a run that found the exact object already there had nothing to send
    settled = not result.get("failed") and not result.get("changed") and target.exact is not None \
        and target.exact(estate, value)
    if calls and wanted and not settled and not any(expected in sent for expected in wanted):
        problems.append(f"the value never arrived whole as one parameter/argument: {sent[:12]}")
    names = [value, _folder(value), *target.related]  # "x/" names the folder x
    others = [path for path in other_objects_changed(changed_entries(before, after), names)
              if not any(word in "/".join(path).lower() for word in target.within)]
    if others:
        problems.append(f"other objects changed: {others[:5]}")
    if not result.get("failed") and (after != before) != bool(result.get("changed")) and not others:
        problems.append(f"changed={result.get('changed')} but the world {'did' if after != before else 'did not'} change")
    return problems


# -- every other string option: a fixed pair of values each, so all options are attacked within the CI budget ------

def _appliance(estate: t.Any) -> dict[str, t.Any]:
    return {"address": estate.address("elm1"), "password": "Unidesk1", "ca_path": str(estate.ca_pem)}


def _connector(estate: t.Any, **args: t.Any) -> dict[str, t.Any]:
    return {"name": "atk-c", "agent": "hv1", "switch": "vNet-LAN50", "storage_path": "D:\\Hyper-V",
            "appliance": _appliance(estate), **args}


def _ps_spn(**args: t.Any) -> dict[str, t.Any]:
    return {"backend": "powershell", **args}


def _sweep(module: str, words: str, args: t.Callable[[t.Any, str], dict[str, t.Any]], **kwargs: t.Any) -> Target:
    kwargs.setdefault("expected", lambda v: [])  # the value is compared on the controller or validated first
    kwargs.setdefault("option", words)
    return Target(f"{module} {words}", module, args, **kwargs)


# A wildcard alone (it must match no other object), and one value with every quoting, shell, %VAR%, subexpression
# and wildcard character at once (it must arrive whole or be refused clearly).
SWEEP_VALUES = ["*", "x%OS%&whoami'\u2019\"$(x)`[a]?;#^|<>\u540d"]
SWEEP = [
    _sweep("hyperv_checkpoint_info", "vm_name", lambda e, v: {"vm_name": v}),
    _sweep("hyperv_checkpoint_info", "vm_name_pattern", lambda e, v: {"vm_name_pattern": v}),
    _sweep("hyperv_checkpoint_info", "name", lambda e, v: {"vm_name": "legacy1", "name": v}),
    _sweep("hyperv_vm_info", "name", lambda e, v: {"name": v}),
    _sweep("hyperv_switch_info", "name", lambda e, v: {"name": v}),
    _sweep("hyperv_switch_info", "name_pattern", lambda e, v: {"name_pattern": v}),
    _sweep("hyperv_smb_share_info", "name", lambda e, v: {"name": v}, machine="fs1"),
    _sweep("hyperv_smb_share_info", "name_pattern", lambda e, v: {"name_pattern": v}, machine="fs1"),
    _sweep("hyperv_replica_info", "vm_name", lambda e, v: {"vm_name": v}),
    _sweep("hyperv_replica_info", "vm_name_pattern", lambda e, v: {"vm_name_pattern": v}),
    _sweep("hyperv_migration_info", "name", lambda e, v: {"name": v}),
    _sweep("hyperv_vhd_info", "path", lambda e, v: {"path": [f"D:\\atk\\{v}.vhdx"]}),
    _sweep("hyperv_vhd_info", "folder", lambda e, v: {"folder": f"D:\\atk\\{v}"}),
    _sweep("hyperv_spn_info", "hosts", lambda e, v: _ps_spn(hosts=[v]), machine="dc1"),
    _sweep("hyperv_spn_info", "service_classes", lambda e, v: _ps_spn(hosts=["hv1"], service_classes=[v]),
           machine="dc1"),
    _sweep("hyperv_spn_info", "group", lambda e, v: _ps_spn(group=v), machine="dc1"),
    _sweep("hyperv_spn", "service_classes", lambda e, v: _ps_spn(hosts=["hv3"], service_classes=[v]), machine="dc1",
           related=("HV3",)),
    _sweep("hyperv_spn", "delegation.peers", lambda e, v: _ps_spn(hosts=["hv3"], delegation={"peers": [v]}),
           machine="dc1", related=("HV3",)),
    _sweep("hyperv_spn", "delegation.file_servers",
           lambda e, v: _ps_spn(hosts=["hv3"], delegation={"file_servers": [v]}), machine="dc1", related=("HV3",)),
    _sweep("hyperv_spn", "delegation.services",
           lambda e, v: _ps_spn(hosts=["hv3"], delegation={"peers": ["hv1"], "services": [v]}), machine="dc1",
           related=("HV3",)),
    _sweep("hyperv_spn", "group.container",
           lambda e, v: _ps_spn(hosts=["hv3"], service_classes=[], group={"name": "atk-g", "container": v}),
           machine="dc1", related=("HV3", "atk-g")),
    _sweep("hyperv_switch", "net_adapter_name",
           lambda e, v: {"name": "atk-ext", "switch_type": "external", "net_adapter_name": v}, related=("atk-ext",)),
    _sweep("hyperv_switch", "management_adapter_name",
           lambda e, v: {"name": "atk-int", "switch_type": "internal", "management_adapter_name": v},
           related=("atk-int",)),
    _sweep("hyperv_switch", "notes", lambda e, v: {"name": "atk-notes", "switch_type": "private", "notes": v},
           related=("atk-notes",), expected=lambda v: [v]),
    _sweep("hyperv_vhd", "convert_from",
           lambda e, v: {"path": "D:\\atk\\conv.vhdx", "convert_from": f"D:\\atk\\{v}.vhd"}),
    _sweep("hyperv_vm", "path", lambda e, v: {"name": "atk-path", "generation": 2, "path": f"D:\\atk\\{v}"},
           related=("atk-path",)),
    _sweep("hyperv_vm", "firmware.boot_order",
           lambda e, v: {"name": "atk-fw", "generation": 1, "firmware": {"boot_order": [v, "IDE", "CD", "Floppy"]}},
           related=("atk-fw",)),
    _sweep("hyperv_vm", "disks.path",
           lambda e, v: {"name": "atk-disk", "generation": 2, "disks": [{"path": f"D:\\atk\\{v}.vhdx", "size": "1GB"}]},
           related=("atk-disk",)),
    _sweep("hyperv_vm", "disks.parent_path",
           lambda e, v: {"name": "atk-diff", "generation": 2,
                         "disks": [{"path": "D:\\atk\\diff.vhdx", "parent_path": f"D:\\atk\\{v}.vhdx"}]},
           related=("atk-diff",)),
    _sweep("hyperv_vm", "network_adapters.vlan.allowed",
           lambda e, v: {"name": "atk-vlan", "generation": 2,
                         "network_adapters": [{"name": "nic", "switch": "vNet-LAN50", "vlan": {"allowed": [v]}}]},
           related=("atk-vlan",)),
    _sweep("hyperv_smb_share", "path", lambda e, v: {"name": "atk-share", "path": f"E:\\Shares\\{v}"},
           machine="fs1", related=("atk-share",)),
    _sweep("hyperv_smb_share", "name (create)", lambda e, v: {"name": v, "path": "E:\\Shares\\atk-named"},
           machine="fs1", option="name"),
    _sweep("hyperv_smb_share", "full_access",
           lambda e, v: {"name": "VM", "path": "E:\\Shares\\VM", "full_access": [v]}, machine="fs1",
           related=("VM",), expected=lambda v: [v]),
    _sweep("hyperv_smb_share", "change_access",
           lambda e, v: {"name": "VM", "path": "E:\\Shares\\VM", "change_access": [v]}, machine="fs1",
           related=("VM",), expected=lambda v: [v]),
    _sweep("hyperv_host", "management_client.hosts",
           lambda e, v: {"management_client": {"hosts": [v]}},
           within=("credssp", "credentialsdelegation", "trustedhosts")),
    _sweep("hyperv_replica", "replica_server",
           lambda e, v: {"name": "app1", "destination": _destination(e), "replica_server": v}),
    _sweep("hyperv_replica", "include_vhds",
           lambda e, v: {"name": "app1", "destination": _destination(e), "include_vhds": [f"D:\\{v}.vhdx"]}),
    _sweep("hyperv_replica", "exclude_vhds",
           lambda e, v: {"name": "app1", "destination": _destination(e), "exclude_vhds": [f"D:\\{v}.vhdx"]}),
    _sweep("hyperv_replica", "initial_replication_start_time",
           lambda e, v: {"name": "app1", "destination": _destination(e), "initial_replication": "scheduled",
                         "initial_replication_start_time": v}),
    _sweep("hyperv_replica", "export_path",
           lambda e, v: {"name": "app1", "destination": _destination(e), "initial_replication": "export",
                         "export_path": f"D:\\{v}"}),
    _sweep("hyperv_replica", "recovery_point",
           lambda e, v: {"name": "app1", "destination": _destination(e), "action": "test_failover",
                         "recovery_point": v}),
    _sweep("hyperv_replica_server", "default_storage_location",
           lambda e, v: {"default_storage_location": f"D:\\{v}"}, machine="hv2",
           related=("replica", "VIRT-HVRHTTPL-In-TCP-NoScope", "default_storage_location")),
    _sweep("hyperv_replica_server", "authorization_entries.primary_server",
           lambda e, v: {"allow_any_server": False, "authorization_entries": [
               {"primary_server": v, "storage_location": "D:\\Replica", "trust_group": "atk"}]}, machine="hv2",
           related=("replica", "VIRT-HVRHTTPL-In-TCP-NoScope", "entries", "allow_any_server")),
    _sweep("hyperv_replica_server", "authorization_entries.storage_location",
           lambda e, v: {"allow_any_server": False, "authorization_entries": [
               {"primary_server": "atk2.lab.test", "storage_location": f"D:\\{v}", "trust_group": "atk"}]},
           machine="hv2", related=("replica", "VIRT-HVRHTTPL-In-TCP-NoScope", "entries", "allow_any_server")),
    _sweep("hyperv_live_migration", "destination_path",
           lambda e, v: {"name": ["web1"], "mode": "storage", "destination_path": f"D:\\{v}"}, related=("web1",)),
    _sweep("hyperv_connector", "name", lambda e, v: _connector(e, name=v)),
    _sweep("hyperv_connector", "agent", lambda e, v: _connector(e, agent=v)),
    _sweep("hyperv_connector", "unc_path", lambda e, v: _connector(e, unc_path=f"\\\\fs1\\{v}")),
    _sweep("hyperv_connector", "agent_executable",
           lambda e, v: _connector(e, register_agent=True, agent_ignore_cert_errors=True,
                                   agent_executable=f"C:\\atk\\{v}.exe")),
    _sweep("hyperv_connector", "appliance.username",
           lambda e, v: _connector(e, appliance={**_appliance(e), "username": v})),
]


@pytest.mark.parametrize("target", SWEEP, ids=[target.area for target in SWEEP])
def test_every_other_string_option(estate: t.Any, target: Target) -> None:
    problems = {value: _attack(estate, target, value) for value in SWEEP_VALUES}
    for value, found in problems.items():
        count(f"hostile (sweep): {target.module}", not found)
    assert not any(problems.values()), (target.area, problems)


def test_every_string_option_is_attacked_or_exempt() -> None:
    """The argument specs name every string option; each is attacked (TARGETS, SWEEP) or exempt with a reason."""
    attacked = {(target.module, target.option_path) for target in [*TARGETS, *SWEEP]}
    missing = [f"{module} {option}" for module in module_names() for option in string_options(argument_spec(module))
               if (module, option) not in attacked and not exemption(module, option)]
    stale = [f"{module} {option}" for module, option in attacked
             if option not in string_options(argument_spec(module))]
    count("string options attacked or exempt", not missing and not stale)
    assert not missing, f"string options no attack covers (add a Target/_sweep or an EXEMPT reason): {missing}"
    assert not stale, f"attacked options the argument specs do not have: {stale}"


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
    """VM ``name`` on hv1, and hv2 a replica server that accepts it (the replica_server cases change its entries:
    set again at each test's first name, ending in 0)."""
    _new_vm(estate, name)
    if not name.endswith("0"):
        return
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


def _fault_problems(estate: t.Any, module: str, machine: str, args: dict[str, t.Any], kind: str, step: int) -> list[str]:
    """Run ``module`` with ``kind`` at request ``step`` to ``machine``, then twice more without a fault: what broke."""
    before, running = estate.snapshot(), _running(estate)
    estate.inject_fault(machine, kind, after=step, count=1)
    result = run_module(module, {**connection(estate, machine), **args})
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
    again = run_module(module, {**connection(estate, machine), **args})
    if again.get("failed"):
        problems.append(f"the re-run failed: {again.get('msg')}")
    third = run_module(module, {**connection(estate, machine), **args})
    if third.get("failed") or third.get("changed"):
        problems.append(f"the re-run did not converge: changed={third.get('changed')} {third.get('msg')}")
    return problems


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
        problems = _fault_problems(estate, module, machine, args(estate, name), kind, step)
        count(f"faults: {module} ({kind})", not problems)
        assert not problems, (module, kind, f"step {step} of {steps}", problems)


@pytest.mark.parametrize("kind", ["lost"])  # a reset after the batch was sent fails the same way; CI time is short
def test_replica_fault_at_each_apply_request(estate: t.Any, kind: str) -> None:
    """Every request of hyperv_replica's apply on the primary: a reset after Enable-VMReplication was sent, or its
    lost answer, used to fail with changed: false while hv1 replicated the VM (found by the matrix above at
    ATTACK_FAULT_STEPS=30)."""
    module, machine, args = next(entry for entry in FAULTED if entry[0] == "hyperv_replica")
    _replica_ready(estate, f"a{kind[0]}rep0")
    clean = _requests(estate, machine)
    checked = run_module(module, {**connection(estate, machine), **args(estate, f"a{kind[0]}rep0")}, check=True)
    reads = _requests(estate, machine) - clean
    first = run_module(module, {**connection(estate, machine), **args(estate, f"a{kind[0]}rep0")})
    assert not checked.get("failed") and not first.get("failed"), (checked.get("msg"), first.get("msg"))
    steps = _requests(estate, machine) - clean - reads
    assert steps > reads, (reads, steps)
    for number, step in enumerate(range(reads, steps), start=1):  # the apply's requests and the re-read's
        name = f"a{kind[0]}rep{number}"
        _replica_ready(estate, name)
        problems = _fault_problems(estate, module, machine, args(estate, name), kind, step)
        count(f"faults: hyperv_replica apply ({kind})", not problems)
        assert not problems, (kind, f"step {step} of {steps}", problems)


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
