"""hyperv_vhd against hvsim: create, re-run, check mode, diff, grow, guarded shrink, differencing chain, convert, delete."""

from __future__ import annotations

import typing as t

from harness import run_playbook
from test_hyperv_vm import calls, disk_dir, example_tasks, world_file_exists

VHD = "winvirt.hyperv.hyperv_vhd"
GB = 1024**3


def task(title: str, **args: t.Any) -> dict[str, t.Any]:
    return {"name": title, VHD: args, "register": "out"}


def test_vhd_lifecycle(lab3) -> None:
    path = disk_dir(lab3) + "\\it-data.vhdx"
    create = [task("create", path=path, size="2GB")]
    before = lab3.snapshot()
    checked = run_playbook(lab3, create, check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert checked.result("create")["changed"] is True
    assert checked.result("create")["diff"]["after"]["size"] == 2 * GB
    assert lab3.snapshot() == before and not world_file_exists(lab3, path)

    first = run_playbook(lab3, create)
    result = first.result("create")
    assert first.rc == 0, first.stdout
    assert result["changed"] is True and result["round_trips"] == 2
    assert result["vhd"]["type"] == "dynamic" and result["vhd"]["format"] == "vhdx" and result["vhd"]["size"] == 2 * GB
    assert world_file_exists(lab3, path)
    assert [c["parameters"].get("Dynamic") for c in calls(lab3, "New-VHD")] == [True]

    again = run_playbook(lab3, create)
    assert again.result("create")["changed"] is False and again.result("create")["round_trips"] == 1

    grown = run_playbook(lab3, [task("grow", path=path, size="4GB")], diff=True)
    assert grown.result("grow")["changed"] is True and grown.result("grow")["vhd"]["size"] == 4 * GB
    assert grown.result("grow")["diff"]["before"]["size"] == 2 * GB

    refused = run_playbook(lab3, [task("shrink", path=path, size="1GB")])
    assert refused.rc != 0 and "allow_shrink" in refused.result("shrink")["msg"]

    kept = run_playbook(lab3, [task("delete", path=path, state="absent")])
    assert kept.rc != 0 and "delete_file" in kept.result("delete")["msg"] and world_file_exists(lab3, path)
    deleted = run_playbook(lab3, [task("delete", path=path, state="absent", delete_file=True)])
    assert deleted.rc == 0 and deleted.result("delete")["changed"] is True
    assert not world_file_exists(lab3, path)


def test_differencing_chain_and_convert(lab3) -> None:
    folder = disk_dir(lab3)
    base, child, grandchild = (f"{folder}\\it-{n}.vhdx" for n in ("base", "child", "grandchild"))
    run = run_playbook(lab3, [task("base", path=base, size="1GB", type="fixed"),
                              task("child", path=child, parent_path=base),
                              task("grandchild", path=grandchild, parent_path=child)])
    assert run.rc == 0, run.stdout
    links = run.result("grandchild")["vhd"]["chain"]
    assert [link["path"].lower() for link in links] == [grandchild.lower(), child.lower(), base.lower()]
    assert [link["type"] for link in links] == ["differencing", "differencing", "fixed"]

    legacy = f"{folder}\\it-legacy.vhd"
    converted = f"{folder}\\it-legacy.vhdx"
    assert run_playbook(lab3, [task("legacy", path=legacy, size="1GB")]).rc == 0
    convert = [task("convert", path=converted, convert_from=legacy, remove_source=True)]
    done = run_playbook(lab3, convert)
    assert done.rc == 0, done.stdout
    assert done.result("convert")["vhd"]["format"] == "vhdx"
    assert world_file_exists(lab3, converted) and not world_file_exists(lab3, legacy)
    assert run_playbook(lab3, convert).result("convert")["changed"] is False


def test_bad_input(lab3) -> None:
    before = lab3.snapshot()
    for args, words in (({"path": "C:\\x.img", "size": "1GB"}, ".vhd or .vhdx"),
                        ({"path": "C:\\x.vhdx", "size": "-1GB"}, "size"),
                        ({"path": "C:\\x.vhdx", "parent_path": "C:\\p.vhd"}, "format of its parent"),
                        ({"path": disk_dir(lab3) + "\\it-nothing.vhdx"}, "give size")):
        run = run_playbook(lab3, [task("bad", **args)])
        assert run.rc != 0 and words in run.result("bad")["msg"], run.result("bad")["msg"]
    assert lab3.snapshot() == before


def test_examples_run(lab3) -> None:
    folder = disk_dir(lab3)
    sources = [{"name": f"source {n}", VHD: {"path": f"{folder}\\{n}", "size": "1GB"}} for n in ("ws2025.vhdx", "legacy.vhd")]
    examples = example_tasks("hyperv_vhd", folder)
    run = run_playbook(lab3, [*sources, *examples])
    assert run.rc == 0, run.stdout
    assert [r["status"] for r in run.results].count("failed") == 0 and len(run.results) == len(sources) + len(examples)
    assert world_file_exists(lab3, f"{folder}\\legacy.vhdx") and not world_file_exists(lab3, f"{folder}\\legacy.vhd")
    assert not world_file_exists(lab3, f"{folder}\\data.vhdx")


def test_a_batch_that_outlasts_command_timeout_is_stopped_and_the_task_fails(lab3) -> None:
    """New-VHD -Fixed writes the whole disk (100 GB at 500 MB/s: 200 s of world time); with command_timeout 60
    the client stops it on the host after its Receives were answered with OperationTimeout for 60 s, and
    the task fails saying so; nothing is created. With the default the same task completes."""
    from harness import connection_defaults

    path = disk_dir(lab3) + "\\it-fixed.vhdx"
    started = lab3.world.clock.now
    connection = {**connection_defaults(lab3, "hv1"), "command_timeout": 60}
    failed = run_playbook(lab3, [task("fixed", path=path, size="100GB", type="fixed")], connection=connection)
    assert failed.rc != 0
    message = failed.result("fixed")["msg"]
    assert "did not finish within 60 s and was stopped on the host" in message and "New-VHD" in message, message
    assert not world_file_exists(lab3, path)
    assert 40 <= lab3.world.clock.now - started <= 80
    assert lab3.counters("hv1")["operation_timeouts"] >= 2

    done = run_playbook(lab3, [task("fixed", path=path, size="100GB", type="fixed")])
    assert done.rc == 0, done.stdout
    assert world_file_exists(lab3, path)
