"""A task that fails after changing something says changed: true and how things are now; the next run converges
(issue 16)."""

from __future__ import annotations

import typing as t

from harness import run_playbook

VM = "winvirt.hyperv.hyperv_vm"


def world_vm(estate: t.Any, name: str) -> t.Any:
    return next((v for v in estate.world.machine("hv1").hyperv.vms.values() if v.name == name), None)


def test_a_vm_created_before_a_refused_setting_is_reported_changed(lab3: t.Any) -> None:
    bad = [{"name": "vm", VM: {"name": "big1", "generation": 2, "processor_count": 100000}, "register": "out"}]
    run = run_playbook(lab3, bad)
    result = run.result("vm")
    assert run.status("vm") == "failed", run.stdout
    assert world_vm(lab3, "big1") is not None, "the VM was created before the processor count was refused"
    assert result["changed"] is True and "part of the plan was applied" in result["msg"], result
    assert result["vm"]["name"] == "big1"

    fixed = [{"name": "vm", VM: {"name": "big1", "generation": 2, "processor_count": 2}, "register": "out"}]
    again = run_playbook(lab3, fixed)
    assert again.rc == 0 and world_vm(lab3, "big1").processor_count == 2, again.stdout
    assert run_playbook(lab3, fixed).result("vm")["changed"] is False


def test_a_refused_change_says_what_it_left(lab3: t.Any) -> None:
    before = lab3.snapshot()
    checkpoints = [{"name": "vm", VM: {"name": "legacy1", "processor_count": 100000}, "register": "out"}]
    run = run_playbook(lab3, checkpoints)  # legacy1 is off: nothing to stop, nothing done
    assert run.status("vm") == "failed" and lab3.snapshot() == before
    assert run.result("vm")["changed"] is False and "nothing was changed" in run.result("vm")["msg"]

    restart = [{"name": "vm", VM: {"name": "web1", "processor_count": 100000, "allow_restart": True}, "register": "out"}]
    run = run_playbook(lab3, restart)  # web1 runs: stopped for the change, started again after the refusal
    result = run.result("vm")
    assert run.status("vm") == "failed" and world_vm(lab3, "web1").state == "Running"
    assert result["changed"] is True and "stopped for the change and started again" in result["msg"], result


def test_a_lost_answer_to_move_vm_still_reports_the_move(lab3: t.Any) -> None:
    """A connection reset after Move-VM ran (the issue: failed with moved: [] while the VM was on hv2)."""
    from attack import connection, run_module  # pylint: disable=import-outside-toplevel
    from test_hyperv_live_migration import enable_migrations, vm_names  # pylint: disable=import-outside-toplevel

    enable_migrations(lab3)

    def move(vm: str, source: str = "hv1", target: str = "hv2") -> dict[str, t.Any]:
        return run_module("hyperv_live_migration", {**connection(lab3, source), "auth": "credssp", "name": [vm],
                                                    "destination": {"hostname": lab3.address(target),
                                                                    "port": lab3.http_port}})

    start = lab3.counters("hv1")["wsman_messages"]
    assert not move("legacy1").get("failed")
    steps = lab3.counters("hv1")["wsman_messages"] - start
    lost_answers = 0
    for back in range(1, 8):  # the last requests of a move: Move-VM's Command, its Receives, closing the session
        lab3.inject_fault("hv1", "reset", after=steps - back, count=1)
        result = move("web1")
        lab3.inject_fault("hv1", "clear")
        on_target = "web1" in vm_names(lab3, "hv2")
        if on_target:
            assert "web1" in result.get("moved", []) and result["changed"] is True, (back, result)
            lost_answers += bool(result.get("failed"))
            assert not move("web1", "hv2", "hv1").get("failed")  # back for the next step
        else:
            assert not result.get("changed"), (back, result)
    assert lost_answers, "no step lost Move-VM's answer: the test did not test the finding"


def test_a_lost_answer_to_move_vm_still_connects_the_mapped_switch(lab3: t.Any) -> None:
    """app1 uses "Lab Private", which hv3 lacks: switch_map sends it to vNet-LAN50. When Move-VM's answer is lost
    (the host moved the VM, then the connection reset instead of the answer), the adapters are still connected on
    the destination and the task says the move happened."""
    from attack import connection, run_module  # pylint: disable=import-outside-toplevel
    from test_hyperv_live_migration import (  # pylint: disable=import-outside-toplevel
        connect_app1_to_lab_private, enable_migrations, register_spns, vm_names)

    enable_migrations(lab3)
    register_spns(lab3, ["hv3"])  # lab3's hv3 has no Hyper-V SPNs yet
    with lab3.world.lock:  # app1 at hv3's configuration version, so only the switch stands in the way
        next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1").version = "10.0"

    def move(source: str, target: str) -> dict[str, t.Any]:
        return run_module("hyperv_live_migration", {
            **connection(lab3, source), "auth": "credssp", "name": ["app1"],
            "switch_map": {"Lab Private": "vNet-LAN50"},
            "destination": {"hostname": lab3.address(target), "port": lab3.http_port}})

    def switches_on(machine: str) -> list[str | None]:
        vm = next(v for v in lab3.world.machine(machine).hyperv.vms.values() if v.name == "app1")
        return [adapter.switch_name for adapter in vm.adapters]

    connect_app1_to_lab_private(lab3)
    start = lab3.counters("hv1")["wsman_messages"]
    assert not move("hv1", "hv3").get("failed")
    steps = lab3.counters("hv1")["wsman_messages"] - start
    lost_answers = 0
    for back in range(1, 8):  # the last requests on the source: Move-VM's Command and Receives, closing the session
        assert not move("hv3", "hv1").get("failed")
        connect_app1_to_lab_private(lab3)
        lab3.inject_fault("hv1", "lost", after=steps - back, count=1)
        result = move("hv1", "hv3")
        lab3.inject_fault("hv1", "clear")
        if "app1" in vm_names(lab3, "hv3"):
            assert result["changed"] is True and result.get("moved") == ["app1"], (back, result)
            assert switches_on("hv3") == ["vNet-LAN50"], (back, result, switches_on("hv3"))
            lost_answers += bool(result.get("failed"))
        else:
            assert not result.get("changed") and switches_on("hv1") == ["Lab Private"], \
                (back, result.get("msg"), result.get("warnings"), [c.get("command") for c in lab3.call_log()[-6:]])
    assert lost_answers, "no step lost Move-VM's answer: the test did not test the finding"
