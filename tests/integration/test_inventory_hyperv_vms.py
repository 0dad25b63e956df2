"""The winvirt.hyperv.hyperv_vms inventory plugin against hvsim: lab3's VMs with their facts and groups as the world
has them, a host that cannot be read, strict, a group of an earlier inventory source, the cache, a playbook that runs
on the inventory, and a fleet of 20 hosts (one pipeline per host)."""

from __future__ import annotations

import json
import pathlib
import typing as t

import pytest
import yaml

from harness import admin_credentials, estate_inventory, run_inventory, start_on_free_block

from hvsim.estate import fleet
from hvsim.runner import estate_spec

HOSTS = ("hv1", "hv2", "hv3")
MIB = 1024 * 1024


def _plain(value: t.Any) -> t.Any:
    """ansible-inventory's JSON with its unsafe-string wrappers taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def write_config(estate: t.Any, workdir: pathlib.Path, name: str = "lab.hyperv_vms.yml", hosts: t.Sequence[str] = HOSTS,
                 **options: t.Any) -> pathlib.Path:
    user, password = admin_credentials(estate, hosts[0] if hosts else "hv1")
    config = {"plugin": "winvirt.hyperv.hyperv_vms", "username": user, "password": password, "auth": "ntlm", **options}
    if hosts:
        config.setdefault("hyperv_hosts", [estate.address(host) for host in hosts])
    path = workdir / name
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def listed(run: t.Any) -> dict[str, t.Any]:
    assert run.rc == 0, run.stdout + run.stderr
    text = run.stdout if run.stdout.startswith("{") else run.stdout[run.stdout.index("\n{") + 1:]  # after -v's lines
    return t.cast(dict[str, t.Any], _plain(json.loads(text)))


def group_hosts(inventory: dict[str, t.Any], group: str) -> set[str]:
    return set(inventory.get(group, {}).get("hosts", []))


def world_vms(estate: t.Any, machine: str) -> list[t.Any]:
    return list(estate.world.machine(machine).hyperv.vms.values())


def test_lists_lab3_vms_with_the_worlds_facts_and_groups(lab3, tmp_path) -> None:
    source = write_config(lab3, tmp_path, keyed_groups=[
        {"key": "hyperv_network_adapters | map(attribute='vlan.id') | select | map('string') | list", "prefix": "vlan"},
    ], groups={"generation_1": "hyperv_generation == 1"},
        compose={"vm_address": "hyperv_ip_addresses | first | default('')"})
    lab3.reset_counters()
    run = run_inventory(lab3, [source], tmp_path)
    inventory = listed(run)
    hostvars = inventory["_meta"]["hostvars"]

    expected_names = set()
    for machine in HOSTS:
        netbios = lab3.world.machine(machine).netbios
        names = {vm.name for vm in world_vms(lab3, machine)}
        expected_names |= names
        assert group_hosts(inventory, f"hyperv_host_{netbios.lower()}") == names
        assert lab3.counters(machine)["pipelines"] == 1, f"{machine} is read in one pipeline"
        for vm in world_vms(lab3, machine):
            facts = hostvars[vm.name]
            guest = [address for adapter in vm.adapters for address in adapter.guest_ip_addresses]
            assert facts["hyperv_id"] == vm.id and facts["hyperv_state"] == vm.state
            assert facts["hyperv_generation"] == vm.generation and facts["hyperv_processor_count"] == vm.processor_count
            assert facts["hyperv_memory"]["startup_mb"] == vm.startup // MIB
            assert facts["hyperv_host"] == netbios and facts["hyperv_host_address"] == lab3.address(machine)
            assert facts["hyperv_ip_addresses"] == (guest if vm.state == "Running" else [])
            assert [a["switch"] for a in facts["hyperv_network_adapters"]] == [a.switch_name for a in vm.adapters]
            assert facts["hyperv_replication_mode"] == "None" and facts["hyperv_replication_health"] == "NotApplicable"
            assert facts["vm_address"] == (guest[0] if guest and vm.state == "Running" else "")
    assert set(hostvars) == expected_names and group_hosts(inventory, "hyperv_vms") == expected_names

    # lab3: web1 runs on VLAN 20 and reports two addresses; app1 is off, so its guest reports none
    assert hostvars["web1"]["hyperv_ip_addresses"] == ["10.0.20.21", "fe80::215:5dff:fe0b:21"]
    assert hostvars["web1"]["hyperv_network_adapters"][0]["vlan"]["id"] == 20
    assert hostvars["app1"]["hyperv_ip_addresses"] == [] and hostvars["app1"]["hyperv_state"] == "Off"
    assert group_hosts(inventory, "vlan_20") == {"web1"}
    assert group_hosts(inventory, "generation_1") == {vm.name for m in HOSTS for vm in world_vms(lab3, m)
                                                      if vm.generation == 1}
    running = {vm.name for m in HOSTS for vm in world_vms(lab3, m) if vm.state == "Running"}
    assert running and group_hosts(inventory, "hyperv_state_running") == running
    assert "Passw0rd!" not in run.stdout + run.stderr


def test_a_host_that_cannot_be_read_is_named_and_the_others_stay(lab3, tmp_path) -> None:
    lab3.set_power("hv3", False)
    source = write_config(lab3, tmp_path, connection_timeout=3, operation_timeout=3, read_timeout=5)
    run = run_inventory(lab3, [source], tmp_path)
    hostvars = listed(run)["_meta"]["hostvars"]
    assert {vm.name for vm in world_vms(lab3, "hv1")} <= set(hostvars)
    warning = " ".join(run.stderr.split())
    assert f"could not read the VMs of {lab3.address('hv3')}" in warning and "Hint:" in warning, run.stderr

    strict = write_config(lab3, tmp_path, name="strict.hyperv_vms.yml", strict=True, connection_timeout=3,
                          operation_timeout=3, read_timeout=5)
    failed = run_inventory(lab3, [strict], tmp_path)
    text = " ".join((failed.stdout + failed.stderr).split())
    assert failed.rc != 0 or listed(failed)["_meta"]["hostvars"] == {}, failed.stdout
    assert f"could not read the VMs of {lab3.address('hv3')}" in text


def test_wrong_password_fails_with_the_host_and_what_to_do(lab3, tmp_path) -> None:
    source = write_config(lab3, tmp_path, hosts=("hv1",), password="Not-The-Pass-7731", strict=True)
    run = run_inventory(lab3, [source], tmp_path)
    text = " ".join((run.stdout + run.stderr).split())
    assert f"could not read the VMs of {lab3.address('hv1')}" in text and "authentication" in text and "Hint:" in text
    assert "Not-The-Pass-7731" not in text, "the password is not echoed"


def test_hosts_of_a_group_from_an_earlier_source(lab3, tmp_path) -> None:
    hosts_file = estate_inventory(lab3, "lab3", tmp_path)  # hv1..hv3 in hyperv_hosts, by FQDN
    source = write_config(lab3, tmp_path, hosts=(), hyperv_host_group="hyperv_hosts")
    inventory = listed(run_inventory(lab3, [hosts_file, source], tmp_path))
    hostvars = inventory["_meta"]["hostvars"]
    assert {"hv1", "hv2", "hv3"} <= set(hostvars), "the hosts of the first source are still there"
    assert hostvars["web1"]["hyperv_host_address"] == "hv1.lab.test" and hostvars["web1"]["hyperv_host"] == "HV1"
    assert group_hosts(inventory, "hyperv_vms") == {vm.name for m in HOSTS for vm in world_vms(lab3, m)}

    alone = run_inventory(lab3, [source], tmp_path)  # without the source that defines the group
    assert "hyperv_host_group 'hyperv_hosts' is not a group of the inventory" in " ".join(alone.stderr.split())


def test_filters_and_hostnames(lab3, tmp_path) -> None:
    source = write_config(lab3, tmp_path, filters=["hyperv_state == 'Running'", "hyperv_generation == 2"],
                          hostnames=["hyperv_name ~ '.' ~ hyperv_host | lower"])
    hostvars = listed(run_inventory(lab3, [source], tmp_path))["_meta"]["hostvars"]
    expected = {f"{vm.name}.{lab3.world.machine(m).netbios.lower()}" for m in HOSTS for vm in world_vms(lab3, m)
                if vm.state == "Running" and vm.generation == 2}
    assert expected and set(hostvars) == expected


def test_the_cache_answers_until_flushed_and_holds_no_secret(lab3, tmp_path) -> None:
    cache = tmp_path / "cache"
    source = write_config(lab3, tmp_path, hosts=("hv1",), cache=True, cache_plugin="ansible.builtin.jsonfile",
                          cache_connection=str(cache), cache_timeout=3600)
    first = listed(run_inventory(lab3, [source], tmp_path))["_meta"]["hostvars"]
    assert first["web1"]["hyperv_notes"] == "IIS front end"
    with lab3.world.lock:
        next(vm for vm in world_vms(lab3, "hv1") if vm.name == "web1").notes = "changed on the host"
    lab3.reset_counters()
    cached = listed(run_inventory(lab3, [source], tmp_path))["_meta"]["hostvars"]
    assert cached["web1"]["hyperv_notes"] == "IIS front end" and lab3.counters("hv1")["pipelines"] == 0
    fresh = listed(run_inventory(lab3, [source], tmp_path, "--flush-cache"))["_meta"]["hostvars"]
    assert fresh["web1"]["hyperv_notes"] == "changed on the host"
    files = list(cache.iterdir())
    assert files and all("Passw0rd!" not in path.read_text() for path in files)


def test_a_playbook_runs_on_the_inventorys_vms(lab3, tmp_path) -> None:
    user, password = admin_credentials(lab3, "hv1")
    source = write_config(lab3, tmp_path)
    playbook = tmp_path / "notes.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "the running VMs of HV1, each through its host",
        "hosts": "hyperv_host_hv1:&hyperv_state_running",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": {"group/winvirt.hyperv.hyperv": {
            "hostname": "{{ hyperv_host_address }}", "username": user, "password": password, "auth": "ntlm"}},
        "tasks": [{"name": "notes", "winvirt.hyperv.hyperv_vm": {
            "name": "{{ hyperv_name }}", "notes": "{{ inventory_hostname }} on {{ hyperv_host }}: {{ hyperv_ip_addresses | join(' ') }}"}}],
    }]))
    run = run_inventory(lab3, [source], tmp_path, playbook=playbook)
    assert run.rc == 0, run.stdout + run.stderr
    for vm in world_vms(lab3, "hv1"):
        if vm.state == "Running":
            guest = " ".join(a for adapter in vm.adapters for a in adapter.guest_ip_addresses)
            assert vm.notes == f"{vm.name} on HV1: {guest}"
        else:
            assert not vm.notes.startswith(vm.name), "a VM that is off is not in the play"
    assert {record["host"] for record in run.results} == {vm.name for vm in world_vms(lab3, "hv1") if vm.state == "Running"}


@pytest.fixture
def fleet20() -> t.Iterator[t.Any]:
    estate = start_on_free_block(fleet(20, 5), salt=77)
    try:
        yield estate
    finally:
        estate.stop()


def test_a_fleet_of_20_hosts_one_pipeline_each(fleet20, tmp_path) -> None:
    hosts = tuple(sorted(name for name, machine in fleet20.world.machines.items() if name.startswith("hv")))
    assert len(hosts) == 20
    source = write_config(fleet20, tmp_path, hosts=hosts, workers=8)
    fleet20.reset_counters()
    inventory = listed(run_inventory(fleet20, [source], tmp_path))
    expected = {vm.name for host in hosts for vm in world_vms(fleet20, host)}
    assert len(expected) == 100 and set(inventory["_meta"]["hostvars"]) == expected
    for host in hosts:
        assert fleet20.counters(host)["pipelines"] == 1, host
        assert group_hosts(inventory, f"hyperv_host_{fleet20.world.machine(host).netbios.lower()}") == \
            {vm.name for vm in world_vms(fleet20, host)}


# -- hosts of a group, each with its own connection variables; templated settings -----------------------------------
HVOPS = ("hvops", "Ops-Secret-4417")  # a local administrator of hv2 only (lab3 as below): no other host accepts it


@pytest.fixture
def lab3_hvops() -> t.Iterator[t.Any]:
    """lab3 with a local administrator of its own on hv2, so hv1 and hv2 take different users and passwords."""
    spec = estate_spec("lab3")
    for machine in spec["machines"]:
        if machine["name"] == "hv2":
            machine.setdefault("local_accounts", {})[HVOPS[0]] = HVOPS[1]
    estate = start_on_free_block(spec, salt=31)
    try:
        yield estate
    finally:
        estate.stop()


def sessions(estate: t.Any, machine: str) -> set[tuple[str, str]]:
    """Who ran commands on ``machine`` and with which authentication, from hvsim's call log."""
    return {(record["user"].lower(), record["auth"]) for record in estate.call_log()
            if record.get("machine") == machine and "command" in record}


def assert_only_in_first_source(run: t.Any, inventory: dict[str, t.Any], hosts: dict[str, t.Any], *secrets: str) -> None:
    """The secrets are in the host variables of the first source's Hyper-V hosts (ansible-inventory lists them, as it
    would without this plugin) and nowhere else: not in the VMs' variables or groups, not in any message."""
    own = set(hosts["hyperv_hosts"]["hosts"])
    rest = {**inventory, "_meta": {"hostvars": {name: facts for name, facts in inventory["_meta"]["hostvars"].items()
                                                if name not in own}}}
    preamble = run.stdout[:run.stdout.index("{")]
    for secret in secrets:
        assert secret not in json.dumps(rest) and secret not in run.stderr and secret not in preamble


def test_group_hosts_each_with_their_own_user_password_and_port(lab3_hvops, tmp_path) -> None:
    """hv1 over HTTP on 5985 as the domain administrator with a templated password, hv2 over HTTPS (psrp's default
    port 5986) as a local account of hv2 with the lab's CA, hv3 through winrm variables with validation off: no
    connection setting in the source. A host that took another's user, password or port would fail its read."""
    estate = lab3_hvops
    admin, password = admin_credentials(estate, "hv1")
    hosts = {"hyperv_hosts": {
        "vars": {"ansible_connection": "psrp", "ansible_psrp_auth": "ntlm", "lab_secret": password},
        "hosts": {
            "hv1": {"ansible_host": estate.address("hv1"), "ansible_port": 5985, "ansible_user": admin,
                    "ansible_password": "{{ lab_secret }}"},
            "hv2": {"ansible_host": estate.address("hv2"), "ansible_user": HVOPS[0], "ansible_password": HVOPS[1],
                    "ansible_psrp_ca_cert": str(estate.ca_pem)},
            "hv3": {"ansible_connection": "winrm", "ansible_host": estate.address("hv3"), "ansible_port": 5986,
                    "ansible_user": admin, "ansible_password": password, "ansible_winrm_transport": ["ntlm"],
                    "ansible_winrm_server_cert_validation": "ignore"},
        }}}
    hosts_file = tmp_path / "hosts.yml"
    hosts_file.write_text(yaml.safe_dump(hosts), encoding="utf-8")
    source = tmp_path / "group.hyperv_vms.yml"
    source.write_text(yaml.safe_dump({"plugin": "winvirt.hyperv.hyperv_vms", "hyperv_host_group": "hyperv_hosts",
                                      "strict": True}), encoding="utf-8")
    run = run_inventory(estate, [hosts_file, source], tmp_path, "-vvv")
    inventory = listed(run)
    assert group_hosts(inventory, "hyperv_vms") == {vm.name for m in HOSTS for vm in world_vms(estate, m)}
    assert inventory["_meta"]["hostvars"]["web1"]["hyperv_host_address"] == estate.address("hv1")
    assert sessions(estate, "hv1") == {(admin.lower(), "ntlm")}
    assert sessions(estate, "hv2") == {(HVOPS[0], "ntlm")}
    assert sessions(estate, "hv3") == {(admin.lower(), "ntlm")}
    # the passwords are in the first source's own host variables, and nowhere else: not in the VMs' variables, not in
    # any message, even at -vvv
    assert_only_in_first_source(run, inventory, hosts, password, HVOPS[1])

    # the source's own setting wins over the hosts' variables (as module_defaults do in a play): hvops is hv2's only
    # account, so hv1 and hv3 fail, each named, and hv2 is still read
    source.write_text(yaml.safe_dump({"plugin": "winvirt.hyperv.hyperv_vms", "hyperv_host_group": "hyperv_hosts",
                                      "username": HVOPS[0], "password": HVOPS[1]}), encoding="utf-8")
    estate.reset_counters()
    run = run_inventory(estate, [hosts_file, source], tmp_path)
    warning = " ".join(run.stderr.split())
    assert group_hosts(listed(run), "hyperv_vms") == {vm.name for vm in world_vms(estate, "hv2")}
    assert f"could not read the VMs of {estate.address('hv1')}" in warning
    assert f"could not read the VMs of {estate.address('hv3')}" in warning
    assert_only_in_first_source(run, listed(run), hosts, HVOPS[1])


def test_a_host_whose_connection_variables_cannot_work_is_named(lab3, tmp_path) -> None:
    admin, password = admin_credentials(lab3, "hv1")
    hosts = {"hyperv_hosts": {"vars": {"ansible_connection": "winrm", "ansible_user": admin, "ansible_password": password,
                                       "ansible_port": 5985, "ansible_winrm_transport": ["ntlm"]},
                              "hosts": {"hv1": {"ansible_host": lab3.address("hv1")},
                                        "hv2": {"ansible_host": lab3.address("hv2"),
                                                "ansible_winrm_transport": ["pigeon"]}}}}
    hosts_file = tmp_path / "hosts.yml"
    hosts_file.write_text(yaml.safe_dump(hosts), encoding="utf-8")
    source = tmp_path / "group.hyperv_vms.yml"
    source.write_text(yaml.safe_dump({"plugin": "winvirt.hyperv.hyperv_vms", "hyperv_host_group": "hyperv_hosts"}))
    run = run_inventory(lab3, [hosts_file, source], tmp_path)
    warning = " ".join(run.stderr.split())
    assert group_hosts(listed(run), "hyperv_vms") == {vm.name for vm in world_vms(lab3, "hv1")}
    assert "could not read the VMs of hv2, so they are not in the inventory: its connection variables cannot be used" \
        in warning, run.stderr
    assert "ansible_winrm_transport ['pigeon']" in warning
    assert_only_in_first_source(run, listed(run), hosts, password)


def test_variables_from_group_vars_with_use_vars_plugins(lab3, tmp_path) -> None:
    """The password of the group in group_vars/ (where a vault usually keeps it) counts with use_vars_plugins."""
    admin, password = admin_credentials(lab3, "hv1")
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "hyperv_hosts.yml").write_text(yaml.safe_dump({"ansible_password": password}))
    # the inventory file's own group variable is wrong: group_vars/ wins over it, as in a play
    hosts = {"hyperv_hosts": {"vars": {"ansible_connection": "psrp", "ansible_psrp_protocol": "http",
                                       "ansible_psrp_auth": "ntlm", "ansible_user": admin,
                                       "ansible_password": "Not-The-Password-5"},
                              "hosts": {"hv1": {"ansible_host": lab3.address("hv1")}}}}
    hosts_file = tmp_path / "hosts.yml"
    hosts_file.write_text(yaml.safe_dump(hosts), encoding="utf-8")
    source = tmp_path / "group.hyperv_vms.yml"
    config = {"plugin": "winvirt.hyperv.hyperv_vms", "hyperv_host_group": "hyperv_hosts", "strict": True}
    source.write_text(yaml.safe_dump(config))
    without = run_inventory(lab3, [hosts_file, source], tmp_path)
    assert f"could not read the VMs of {lab3.address('hv1')}" in " ".join(without.stderr.split()), without.stderr
    assert "HTTP 401" in without.stderr and not group_hosts(listed(without), "hyperv_vms")
    source.write_text(yaml.safe_dump({**config, "use_vars_plugins": True}))
    run = run_inventory(lab3, [hosts_file, source], tmp_path)
    assert group_hosts(listed(run), "hyperv_vms") == {vm.name for vm in world_vms(lab3, "hv1")}
    assert_only_in_first_source(run, listed(run), hosts, password)


def test_templated_hyperv_hosts_entries_and_options(lab3, tmp_path) -> None:
    """Entries and options rendered from extra variables and lookups; the password never shows."""
    admin, password = admin_credentials(lab3, "hv1")
    source = tmp_path / "templated.hyperv_vms.yml"
    source.write_text(yaml.safe_dump({
        "plugin": "winvirt.hyperv.hyperv_vms", "strict": True, "auth": "ntlm",
        "username": "{{ lab_admin }}",
        "password": "{{ lookup('ansible.builtin.env', 'LAB_HV_PASSWORD') }}",
        "hyperv_hosts": ["{{ first_host }}",
                         {"hostname": "{{ lookup('ansible.builtin.env', 'LAB_HV3') }}",
                          "password": "{{ lookup('ansible.builtin.env', 'LAB_HV_PASSWORD') }}"}],
    }), encoding="utf-8")
    run = run_inventory(lab3, [source], tmp_path, "-vvv", "-e", f"first_host={lab3.address('hv1')}",
                        "-e", json.dumps({"lab_admin": admin}),
                        environment={"LAB_HV_PASSWORD": password, "LAB_HV3": lab3.address("hv3")})
    inventory = listed(run)
    assert group_hosts(inventory, "hyperv_vms") == {vm.name for m in ("hv1", "hv3") for vm in world_vms(lab3, m)}
    for machine in ("hv1", "hv3"):  # both read (hv3 may have no VM), hv2 not: it is in no entry
        assert sessions(lab3, machine) == {(admin.lower(), "ntlm")}, machine
    assert not sessions(lab3, "hv2")
    assert password not in run.stdout + run.stderr
