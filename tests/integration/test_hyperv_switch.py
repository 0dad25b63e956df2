"""hyperv_switch against hvsim: create, re-run, check mode, diff, update, delete, bad input, the B5 guard."""

from __future__ import annotations

import typing as t

from harness import run_playbook

SWITCH = "winvirt.hyperv.hyperv_switch"


def world_switch(estate: t.Any, name: str, machine: str = "hv1") -> t.Any:
    """The simulated switch object named ``name`` on ``machine`` (None if absent)."""
    hyperv = estate.world.machine(machine).hyperv
    return hyperv.switches.get(name)


def task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, SWITCH: args, "register": "out"}


def test_internal_switch_lifecycle(lab3) -> None:
    create = [task("create", name="Lab Internal", switch_type="internal", notes="lab only")]
    before = lab3.snapshot()
    checked = run_playbook(lab3, create, check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert checked.result("create")["changed"] is True
    assert checked.result("create")["diff"]["after"]["switch_type"] == "internal"
    assert lab3.snapshot() == before, "check mode changed the world"

    first = run_playbook(lab3, create)
    assert first.rc == 0, first.stdout
    assert first.result("create")["changed"] is True
    switch = world_switch(lab3, "Lab Internal")
    assert switch is not None and switch.switch_type.lower() == "internal" and switch.notes == "lab only"
    assert first.result("create")["round_trips"] == 2

    again = run_playbook(lab3, create)
    assert again.result("create")["changed"] is False
    assert again.result("create")["round_trips"] == 1

    update = run_playbook(lab3, [task("update", name="Lab Internal", switch_type="private")], diff=True)
    result = update.result("update")
    assert result["changed"] is True
    assert result["diff"]["before"]["switch_type"] == "internal" and result["diff"]["after"]["switch_type"] == "private"
    assert world_switch(lab3, "Lab Internal").switch_type.lower() == "private"

    removed = run_playbook(lab3, [task("remove", name="Lab Internal", state="absent")])
    assert removed.result("remove")["changed"] is True
    assert world_switch(lab3, "Lab Internal") is None
    gone = run_playbook(lab3, [task("remove", name="Lab Internal", state="absent")])
    assert gone.result("remove")["changed"] is False


def test_names_are_data_not_code(lab3) -> None:
    name = "lab 'x'; Remove-VMSwitch * — Ω"
    others = set(lab3.world.machine("hv1").hyperv.switches)
    run = run_playbook(lab3, [task("create", name=name, switch_type="private")])
    assert run.rc == 0, run.stdout
    assert world_switch(lab3, name) is not None
    assert others <= set(lab3.world.machine("hv1").hyperv.switches)
    assert run_playbook(lab3, [task("create", name=name, switch_type="private")]).result("create")["changed"] is False


def test_unknown_nic_fails_and_lists_the_nics(lab3) -> None:
    run = run_playbook(lab3, [task("create", name="ext", switch_type="external", net_adapter_name="No Such NIC")])
    assert run.rc != 0
    result = run.result("create")
    assert run.status("create") == "failed" and result["changed"] is False
    assert "No Such NIC" in result["msg"] and "it has:" in result["msg"]
    assert world_switch(lab3, "ext") is None


def _connection_switch(estate: t.Any) -> str:
    """The switch whose management OS adapter carries hv1's address in the estate."""
    info = run_playbook(estate, [{"name": "info", "winvirt.hyperv.hyperv_host_info": {}, "register": "out"}])
    for switch in info.result("info")["switches"]:
        probe = run_playbook(estate, [task("probe", name=switch["name"])], check=True)
        if probe.result("probe")["management_connection"]["over_this_switch"]:
            return str(switch["name"])
    raise AssertionError("no switch of hv1 carries the management connection")


def test_management_vlan_on_the_connection_switch_needs_the_cutoff_accepted(lab3) -> None:
    name = _connection_switch(lab3)
    before = lab3.snapshot()
    refused = run_playbook(lab3, [task("vlan", name=name, management_vlan={"mode": "access", "id": 20})])
    assert refused.rc != 0
    msg = refused.result("vlan")["msg"]
    assert "accept_management_cutoff" in msg and lab3.address("hv1") in msg
    assert lab3.snapshot() == before
    shown = refused.result("vlan")["switch"]
    assert shown is not None and shown["management_vlan"] != {"mode": "access", "id": 20}, \
        "a refused change is not the switch's state"

    accepted = run_playbook(lab3, [task("vlan", name=name, management_vlan={"mode": "access", "id": 20},
                                        accept_management_cutoff=True)], diff=True)
    result = accepted.result("vlan")
    assert result["changed"] is True, accepted.stdout
    assert result["diff"]["after"]["management_vlan"] == {"mode": "access", "id": 20}
    calls = [c for c in lab3.call_log() if c["command"] == "Set-VMNetworkAdapterVlan" and c["machine"] == "hv1"]
    assert calls and calls[-1]["parameters"].get("VlanId") == 20 and calls[-1]["parameters"].get("ManagementOS") in (True, None)


def test_failed_results_carry_the_real_traceback_when_asked(lab3, monkeypatch) -> None:
    """ansible-core puts "(traceback unavailable)" in every failed module result; with tracebacks enabled
    (ANSIBLE_DISPLAY_TRACEBACK=error, as README says) the result holds the module's real traceback instead."""
    name = _connection_switch(lab3)
    monkeypatch.setenv("ANSIBLE_DISPLAY_TRACEBACK", "error")
    refused = run_playbook(lab3, [task("vlan", name=name, management_vlan={"mode": "access", "id": 20})])
    exception = refused.result("vlan")["exception"]
    assert refused.rc != 0 and exception != "(traceback unavailable)"
    assert "Traceback" in exception and "hyperv_switch" in exception, exception
