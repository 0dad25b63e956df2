"""What the tests of both lanes share: the names they create, one play against a host, cleanup that always runs.

A real-lane test (one that takes the ``estate`` fixture, docs/testing.md) creates only objects named
``winvirt-test-<random>``, removes them in ``finally`` through the collection's own modules, and reads the hosts'
state through the independent reader (``estate.reader(host)``), never through hvsim's world.
"""

from __future__ import annotations

import ntpath
import typing
import uuid

from harness import PlaybookRun, run_playbook

PREFIX = "winvirt-test-"


def unique_name() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:8]}"


def play(estate: typing.Any, host: str, tasks: list[dict[str, typing.Any]], *, check: bool = False) -> PlaybookRun:
    return run_playbook(estate, tasks, host=host, auth=estate.auth, check=check)


def task(module: str, title: str = "task", **args: typing.Any) -> dict[str, typing.Any]:
    return {"name": title, f"winvirt.hyperv.{module}": args, "register": "out"}


def changed(run: PlaybookRun, title: str = "task") -> bool:
    """The task's ``changed``, after asserting the play succeeded."""
    assert run.rc == 0, run.stdout
    return bool(run.result(title)["changed"])


def cleanup(estate: typing.Any, host: str, module: str, **args: typing.Any) -> None:
    """Remove what a test created (``state: absent``); a failure here is the test's failure too."""
    gone = play(estate, host, [task(module, "cleanup", state="absent", **args)])
    assert gone.rc == 0, f"cleanup of {module} {args} on {host} failed, remove it by hand: {gone.stdout}"


def disk_folder(estate: typing.Any, host: str) -> str:
    """The host's default virtual hard disk folder (Get-VMHost VirtualHardDiskPath)."""
    [vmhost] = estate.reader(host).get("Get-VMHost", properties=["VirtualHardDiskPath"])
    return ntpath.normpath(str(vmhost["VirtualHardDiskPath"]))
