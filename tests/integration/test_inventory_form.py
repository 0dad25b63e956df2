"""The inventory form: hosts with ansible_connection psrp (or winrm) and the usual variables run our modules with
no module_defaults and no connection: local, and that connection itself is never opened.

The proof that it is never opened: the play's ``psrp`` / ``winrm`` resolves to a tripwire, ansible-core's own
plugin (its source, so the same options and variables) whose ``_connect``, ``exec_command``, ``put_file`` and
``fetch_file`` write a line to a file and fail. A control task (``ansible.builtin.raw``) shows the tripwire is
what the play's connection resolves to. hvsim cannot run ansible.windows modules (they run arbitrary PowerShell),
so no ansible.windows task is mixed in here.
"""

from __future__ import annotations

import pathlib
import tempfile
import typing as t

import pytest
import yaml

from harness import PlaybookRun, _run, admin_credentials  # pylint: disable=protected-access
from test_hyperv_live_migration import enable_migrations, vm_names

import ansible.plugins.connection as connection_plugins

TRIPWIRE = '''

# --- test tripwire: the plugin above, whose connection must never be used (its methods replaced in this copy) ---
import os as _tripwire_os


def _tripwire(what):
    def trip(self, *args, **kwargs):
        with open(_tripwire_os.environ["INVENTORY_TRIPWIRE"], "a", encoding="utf-8") as stream:
            stream.write(f"{what} {self.get_option('remote_addr')}\\n")
        raise AnsibleConnectionFailure(f"tripwire: the {self.transport} connection was used ({what})")
    return trip


for _name in ("_connect", "exec_command", "put_file", "fetch_file"):
    setattr(Connection, _name, _tripwire(_name))
'''


def _tripwires(directory: pathlib.Path) -> pathlib.Path:
    """connection_plugins/psrp.py and winrm.py: ansible-core's plugins, each ending in the tripwire
    (ansible.legacy names find a configured plugin directory before the builtin ones)."""
    directory.mkdir()
    source = pathlib.Path(connection_plugins.__file__).parent
    for name in ("psrp", "winrm"):
        text = (source / f"{name}.py").read_text(encoding="utf-8")
        if "AnsibleConnectionFailure" not in text.split("class Connection", 1)[0]:
            text = text.replace("from __future__ import annotations",
                                "from __future__ import annotations\nfrom ansible.errors import AnsibleConnectionFailure", 1)
        (directory / f"{name}.py").write_text(text + TRIPWIRE, encoding="utf-8")
    return directory


def _play(hosts: str, tasks: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    return {"name": "inventory form", "hosts": hosts, "gather_facts": False, "tasks": tasks}


def _run_inventory(estate: t.Any, inventory: dict[str, t.Any], plays: list[dict[str, t.Any]],
                   *, arguments: tuple[str, ...] = ()) -> tuple[PlaybookRun, list[str]]:
    with tempfile.TemporaryDirectory(prefix="hvsim-inventory-") as name:
        workdir = pathlib.Path(name)
        (workdir / "tmp").mkdir()
        (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
        (workdir / "play.yml").write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
        tripwire = workdir / "tripwire.log"
        environment = {"ANSIBLE_CONNECTION_PLUGINS": str(_tripwires(workdir / "connection_plugins")),
                       "INVENTORY_TRIPWIRE": str(tripwire), "ANSIBLE_DISPLAY_TRACEBACK": "error"}
        run = _run(["-i", str(workdir / "inventory.yml"), *arguments, str(workdir / "play.yml")], workdir,
                   environment, estate)
        tripped = tripwire.read_text(encoding="utf-8").splitlines() if tripwire.exists() else []
    return run, tripped


def _psrp_inventory(estate: t.Any, *, auth: str = "credssp") -> tuple[dict[str, t.Any], str]:
    """hv1 and hv2 as a Windows user's inventory has them: psrp over HTTPS (psrp's default protocol and port),
    the lab's CA, the domain administrator, the password from a templated variable."""
    user, password = admin_credentials(estate, "hv1")
    hosts = {name: {"ansible_host": estate.address(name)} for name in ("hv1", "hv2")}
    inventory = {"all": {"vars": {
        "ansible_connection": "psrp",
        "ansible_user": user,
        "ansible_password": "{{ lab_admin_password }}",
        "lab_admin_password": password,
        "ansible_psrp_auth": auth,
        "ansible_psrp_ca_cert": str(estate.ca_pem),
    }, "hosts": hosts}}
    return inventory, password


def _winrm_inventory(estate: t.Any) -> tuple[dict[str, t.Any], str]:
    user, password = admin_credentials(estate, "hv1")
    inventory = {"all": {"vars": {
        "ansible_connection": "winrm",
        "ansible_user": user,
        "ansible_password": password,
        "ansible_port": 5986,
        "ansible_winrm_transport": ["ntlm"],
        "ansible_winrm_server_cert_validation": "validate",
        "ansible_winrm_ca_trust_path": str(estate.ca_pem),
    }, "hosts": {"hv1": {"ansible_host": estate.address("hv1")}}}}
    return inventory, password


def _calls(estate: t.Any, machine: str) -> list[dict[str, t.Any]]:
    return [record for record in estate.call_log() if record.get("machine") == machine and "command" in record]


def test_psrp_inventory_runs_our_modules_and_never_opens_psrp(lab3: t.Any) -> None:
    enable_migrations(lab3)
    inventory, password = _psrp_inventory(lab3)
    hv1_vms = sorted(vm.name for vm in lab3.world.machine("hv1").hyperv.vms.values())
    hv2_vms = sorted(vm.name for vm in lab3.world.machine("hv2").hyperv.vms.values())
    tasks = [
        {"name": "info", "winvirt.hyperv.hyperv_vm_info": {}, "register": "out"},
        {"name": "create", "winvirt.hyperv.hyperv_vm": {"name": "inv-vm1", "generation": 2, "state": "present"}},
        # a second host by its inventory name: hv2's own variables from hostvars
        {"name": "migrate", "winvirt.hyperv.hyperv_live_migration": {"name": ["app1"], "destination": {"hostname": "hv2"}}},
        # an explicit option wins over the inventory's: this task reads hv2 although it runs for hv1
        {"name": "explicit", "winvirt.hyperv.hyperv_vm_info": {"hostname": lab3.address("hv2")}},
    ]
    run, tripped = _run_inventory(lab3, inventory, [_play("hv1", tasks)], arguments=("-vvv",))

    assert run.rc == 0, run.stdout + run.stderr
    assert tripped == [], "the psrp connection of the inventory was used"
    assert sorted(vm["name"] for vm in run.result("info", "hv1")["vms"]) == hv1_vms
    assert run.result("create", "hv1")["changed"] is True
    assert "inv-vm1" in vm_names(lab3, "hv1")
    assert run.result("migrate", "hv1")["moved"] == ["app1"]
    assert "app1" in vm_names(lab3, "hv2") and "app1" not in vm_names(lab3, "hv1")
    assert sorted(vm["name"] for vm in run.result("explicit", "hv1")["vms"]) == sorted(hv2_vms + ["app1"])
    # the inventory's user and auth reached both hosts, over HTTPS with the lab's CA (psrp's defaults)
    for machine in ("hv1", "hv2"):
        sessions = {(record["user"].lower(), record["auth"]) for record in _calls(lab3, machine)}
        assert sessions == {(inventory["all"]["vars"]["ansible_user"].lower(), "credssp")}, (machine, sessions)
    # the password was templated for the modules and never shown, even at -vvv
    assert password not in run.stdout and password not in run.stderr


def test_tripwire_catches_a_task_that_uses_the_connection(lab3: t.Any) -> None:
    """The control: a task that does use the host's connection (raw) hits the tripwire, so the empty tripwire
    above means the connection was never opened, not that the tripwire was not in place."""
    inventory = _psrp_inventory(lab3)[0]
    tasks = [{"name": "raw", "ansible.builtin.raw": "hostname", "ignore_unreachable": True}]
    run, tripped = _run_inventory(lab3, inventory, [_play("hv1", tasks)])
    assert run.status("raw", "hv1") == "unreachable"
    assert tripped and tripped[0].startswith(("_connect ", "exec_command ")) and lab3.address("hv1") in tripped[0]


def test_winrm_inventory(lab3: t.Any) -> None:
    inventory, password = _winrm_inventory(lab3)
    run, tripped = _run_inventory(lab3, inventory, [_play("hv1", [
        {"name": "info", "winvirt.hyperv.hyperv_vm_info": {}},
        {"name": "raw", "ansible.builtin.raw": "hostname", "ignore_unreachable": True},
    ])])
    assert run.rc == 0, run.stdout + run.stderr
    assert sorted(vm["name"] for vm in run.result("info", "hv1")["vms"]) == \
        sorted(vm.name for vm in lab3.world.machine("hv1").hyperv.vms.values())
    assert [line.split()[0] for line in tripped] in (["_connect"], ["exec_command"]), "only the raw task used winrm"
    assert {(r["user"].lower(), r["auth"]) for r in _calls(lab3, "hv1")} == \
        {(inventory["all"]["vars"]["ansible_user"].lower(), "ntlm")}
    assert password not in run.stdout


@pytest.mark.parametrize("form", ["module_defaults", "connection_local"])
def test_explicit_forms_win_over_the_inventory(lab3: t.Any, form: str) -> None:
    """module_defaults win over the inventory's variables; connection: local with explicit options is unchanged.
    The inventory's password is wrong here, so a task that took it would fail."""
    inventory, password = _psrp_inventory(lab3)
    inventory["all"]["vars"]["lab_admin_password"] = "not-the-password"
    user = inventory["all"]["vars"]["ansible_user"]
    play = _play("hv1", [{"name": "info", "winvirt.hyperv.hyperv_vm_info": {}}])
    play["module_defaults"] = {"group/winvirt.hyperv.hyperv": {"password": password, "auth": "ntlm"}}
    if form == "connection_local":  # the form before this one: no ansible_connection, everything explicit
        del inventory["all"]["vars"]["ansible_connection"]
        play["connection"] = "local"
        play["module_defaults"]["group/winvirt.hyperv.hyperv"].update(
            hostname=lab3.address("hv1"), username=user, ssl=True, ca_trust_path=str(lab3.ca_pem))
    run, tripped = _run_inventory(lab3, inventory, [play])
    assert run.rc == 0, run.stdout + run.stderr
    assert tripped == []
    assert {(r["user"].lower(), r["auth"]) for r in _calls(lab3, "hv1")} == {(user.lower(), "ntlm")}


def test_remote_user_keyword_and_connection_password_file(lab3: t.Any, tmp_path: pathlib.Path) -> None:
    """What the task executor gives the connection beyond variables (the remote_user keyword, -u, and the
    connection password from --connection-password-file or --ask-pass, as AWX's Machine credential passes them)
    reaches the modules too: they read the connection plugin as the executor configured it."""
    inventory, password = _psrp_inventory(lab3, auth="ntlm")
    user = inventory["all"]["vars"].pop("ansible_user")
    del inventory["all"]["vars"]["ansible_password"]
    secret = tmp_path / "connection-password"
    secret.write_text(password + "\n", encoding="utf-8")
    play = _play("hv1", [{"name": "info", "winvirt.hyperv.hyperv_vm_info": {}}])
    play["remote_user"] = user
    run, tripped = _run_inventory(lab3, inventory, [play], arguments=("--connection-password-file", str(secret)))
    assert run.rc == 0, run.stdout + run.stderr
    assert tripped == []
    assert {(r["user"].lower(), r["auth"]) for r in _calls(lab3, "hv1")} == {(user.lower(), "ntlm")}


def test_replica_partner_by_inventory_name_and_a_delegated_task(lab3: t.Any) -> None:
    """hyperv_replica's destination is hv2 by its inventory name; hv2 is made a replica server by a task of hv1's
    play delegated to hv2 (delegate_to: the connection Ansible configures for hv2 gives hv2's options)."""
    inventory = _psrp_inventory(lab3, auth="ntlm")[0]
    tasks = [
        {"name": "server", "winvirt.hyperv.hyperv_replica_server": {"default_storage_location": "D:\\Replica"},
         "delegate_to": "hv2"},
        {"name": "enable", "winvirt.hyperv.hyperv_replica": {"name": "app1", "destination": {"hostname": "hv2"}}},
    ]
    run, tripped = _run_inventory(lab3, inventory, [_play("hv1", tasks)])
    assert run.rc == 0, run.stdout + run.stderr
    assert tripped == []
    assert run.result("server")["server"]["default_storage_location"] == "D:\\Replica"
    assert lab3.world.machine("hv2").platform.firewall_rules["VIRT-HVRHTTPL-In-TCP-NoScope"].enabled
    assert not lab3.world.machine("hv1").platform.firewall_rules["VIRT-HVRHTTPL-In-TCP-NoScope"].enabled
    primary = next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1")
    assert primary.replication_state == "Replicating"
    assert any(v.id == primary.id for v in lab3.world.machine("hv2").hyperv.vms.values())
