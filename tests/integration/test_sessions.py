"""Sessions that outlive a task (issue 17): consecutive tasks to a host share one RunspacePool kept by the
winvirt.hyperv.psrp_session helper; it closes after its idle timeout and at the end of the play, keeps
credentials in memory only, and a failure inside a session still reports what, where and what to do."""

from __future__ import annotations

import os
import pathlib
import tempfile
import time
import typing as t

from harness import admin_credentials, run_playbook
from test_hyperv_vm import disk_dir

INFO = "winvirt.hyperv.hyperv_vm_info"
VM = "winvirt.hyperv.hyperv_vm"


def pools(estate: t.Any, machine: str = "hv1") -> tuple[int, int]:
    counters = estate.counters(machine)
    return counters["runspace_pools_opened"], counters["runspace_pools_closed"]


def sockets_in(directory: pathlib.Path) -> list[str]:
    return [entry.name for entry in directory.iterdir() if entry.is_socket()]


def wait_until(condition: t.Callable[[], bool], seconds: float) -> bool:
    """Poll a condition another process makes true; a bound, not a timing assertion."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.1)
    return True


def reads(count: int) -> list[dict[str, t.Any]]:
    return [{"name": f"read {index}", INFO: {"name": "web1"}} for index in range(count)]


def test_two_tasks_against_one_host_share_one_runspace(lab3: t.Any) -> None:
    lab3.reset_counters()
    run = run_playbook(lab3, reads(2))
    assert run.rc == 0, run.stdout
    assert [r["status"] for r in run.results] == ["ok", "ok"]
    assert run.result("read 1")["vms"][0]["name"] == "web1"
    assert pools(lab3) == (1, 1), "one pool opened by the first task, deleted once when the play ended"


def test_sessions_off_gives_each_task_its_own_connection(lab3: t.Any) -> None:
    lab3.reset_counters()
    run = run_playbook(lab3, reads(2), extra_vars={"hyperv_sessions": False})
    assert run.rc == 0, run.stdout
    assert pools(lab3) == (2, 2)
    lab3.reset_counters()
    run = run_playbook(lab3, reads(2), environment={"HYPERV_SESSIONS": "false"})
    assert run.rc == 0, run.stdout
    assert pools(lab3) == (2, 2)


def test_each_host_and_each_set_of_options_gets_its_own_pool(lab3: t.Any) -> None:
    """hv1 twice, hv2 once, and hv1 again with other options: three pools in the one helper of localhost."""
    from harness import connection_defaults

    lab3.reset_counters()
    tasks = [*reads(2), {"name": "hv2", INFO: {**connection_defaults(lab3, "hv2"), "name": "nosuchvm"}},
             {"name": "other options", INFO: {"name": "web1", "operation_timeout": 25}}]
    run = run_playbook(lab3, tasks)
    assert run.rc == 0, run.stdout
    assert pools(lab3, "hv1") == (2, 2) and pools(lab3, "hv2") == (1, 1)


def test_the_idle_timeout_closes_the_session(lab3: t.Any) -> None:
    """With a 3 s idle timeout an 8 s pause ends the first session: hvsim sees its pool deleted, and the next task
    opens another (with the session still open it would have reused the first)."""
    lab3.reset_counters()
    tasks = [*reads(1), {"name": "wait", "ansible.builtin.pause": {"seconds": 8}}, {"name": "again", INFO: {"name": "web1"}}]
    run = run_playbook(lab3, tasks, extra_vars={"hyperv_session_idle_timeout": 3})
    assert run.rc == 0, run.stdout
    assert pools(lab3) == (2, 2)


def _files_containing(root: pathlib.Path, secret: bytes) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_socket():
            if secret in path.read_bytes():
                found.append(str(path))
    return found


def test_credentials_never_reach_disk_or_logs(lab3: t.Any) -> None:
    """-vvvv, a log file and persistent_log_messages asked for: the password is in none of them, nor in the
    control directory or the temporary directories; the session helper got it over its socket only."""
    _user, password = admin_credentials(lab3, "hv1")
    with tempfile.TemporaryDirectory(prefix="hvsim-secrets-") as name:
        root = pathlib.Path(name)
        control, remote_tmp, log = root / "pc", root / "remote-tmp", root / "ansible.log"
        environment = {
            "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": str(control),
            "ANSIBLE_REMOTE_TEMP": str(remote_tmp),
            "ANSIBLE_LOG_PATH": str(log),
            "ANSIBLE_PERSISTENT_LOG_MESSAGES": "true",
        }
        tasks = [*reads(2), {"name": "bad", VM: {"name": "big-secret", "generation": 2, "processor_count": 100000}}]
        run = run_playbook(lab3, tasks, environment=environment, verbosity=4)
        assert run.status("read 1") == "ok" and run.status("bad") == "failed", run.stdout
        assert "persistent connection idle timeout" not in run.stdout
        assert password not in run.stdout and password not in run.stderr
        assert "Pipelining is enabled." in run.stdout, "the module's arguments went through a pipe, not a file"
        assert log.exists() and password.encode() not in log.read_bytes()
        assert control.exists() and oct(control.stat().st_mode & 0o777) == "0o700"
        assert _files_containing(root, password.encode()) == []
        assert wait_until(lambda: not sockets_in(control), seconds=30), "the helper ended with the play"


def test_a_failure_inside_a_session_reports_what_where_and_what_to_do(lab3: t.Any) -> None:
    """A warm session, then a task whose setting the host refuses after it created the VM: the structured error
    crosses the helper field by field, changed is true, and the next task in the same session converges."""
    lab3.reset_counters()
    run = run_playbook(lab3, [
        *reads(1),
        {"name": "bad", VM: {"name": "big2", "generation": 2, "processor_count": 100000}, "ignore_errors": True},
        {"name": "fixed", VM: {"name": "big2", "generation": 2, "processor_count": 2}},
    ])
    result = run.result("bad")
    assert run.status("bad") == "failed", run.stdout
    assert result["changed"] is True and "part of the plan was applied" in result["msg"], result
    error = result["error"]
    assert error["host"] and error["command"] and "Set-VMProcessor" in error["command"], error
    assert error["category"] not in (None, "session helper"), error
    assert error["host"] in result["msg"] and error["command"] in result["msg"], result["msg"]
    assert run.status("fixed") == "ok" and run.result("fixed")["changed"] is True, run.stdout
    vm = next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "big2")
    assert vm.processor_count == 2
    assert pools(lab3) == (1, 1), "the failure did not cost the session"


def test_command_timeout_still_bounds_a_task_in_a_session(lab3: t.Any) -> None:
    """The helper runs the batch under the task's own deadline: New-VHD -Fixed of 100 GB (200 s of world time) is
    stopped on the host after command_timeout 60; the pool is dropped and the next task opens a new one."""
    from harness import connection_defaults

    path = disk_dir(lab3) + "\\it-session-fixed.vhdx"
    connection = {**connection_defaults(lab3, "hv1"), "command_timeout": 60}
    lab3.reset_counters()
    run = run_playbook(lab3, [*reads(1),
                              {"name": "fixed", "winvirt.hyperv.hyperv_vhd": {"path": path, "size": "100GB", "type": "fixed"},
                               "ignore_errors": True},
                              {"name": "after", INFO: {"name": "web1"}}], connection=connection)
    assert run.status("fixed") == "failed", run.stdout
    message = run.result("fixed")["msg"]
    assert "did not finish within 60 s and was stopped on the host" in message, message
    assert run.result("fixed")["error"]["category"] == "timeout"
    assert run.status("after") == "ok"
    assert pools(lab3) == (2, 2), "the stopped pipeline's pool dropped, a new one for the next task"


def test_no_helper_is_left_running(lab3: t.Any) -> None:
    with tempfile.TemporaryDirectory(prefix="hvsim-pc-") as name:
        run = run_playbook(lab3, reads(1), environment={"ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": name})
        assert run.rc == 0
        # ansible-playbook's end-of-play reset returns once the helper has closed its pools; the helper then
        # unlinks its socket after answering (ansible-connection's shutdown), so the playbook may exit first.
        assert wait_until(lambda: not sockets_in(pathlib.Path(name)), seconds=30), os.listdir(name)


def test_native_programs_do_not_cost_the_session(lab3: t.Any) -> None:
    """hyperv_smb_share runs icacls.exe over WinRS between its PowerShell batches: the batches before and after
    it, and the next task's, still go to the one session (WinRS shells are not RunspacePools)."""
    folder = "E:\\Shares\\Session Store"
    share = {"name": "SessionStore", "path": folder, "full_access": ["LAB\\HV1$"], "ntfs_full_control": ["LAB\\HV1$"]}
    lab3.reset_counters()
    run = run_playbook(lab3, [{"name": "share", "winvirt.hyperv.hyperv_smb_share": share},
                              {"name": "change", "winvirt.hyperv.hyperv_smb_share": {**share, "description": "VMs"}}],
                       host="fs1")
    assert run.rc == 0, run.stdout
    assert run.result("share")["changed"] is True and run.result("change")["changed"] is True
    assert lab3.world.machine("fs1").smb.share("SessionStore").description == "VMs"
    counters = lab3.counters("fs1")
    assert counters["native_calls"] >= 2, "icacls ran"
    assert pools(lab3, "fs1") == (1, 1)


def test_a_pool_the_host_lost_in_a_restart_is_opened_again(lab3: t.Any) -> None:
    """hv1 power-cycles between two tasks (through hvsim's admin API, as something outside the play might restart
    it): the kept pool is gone there, the host answers the next batch's Command with "shell not found" before
    anything ran, and the helper opens a new pool and sends the batch again; the read runs once."""
    def get_vm_calls() -> int:
        return len([r for r in lab3.call_log() if r.get("machine") == "hv1" and r.get("command") == "Get-VM"])

    power = [{"name": f"power {state}", "ansible.builtin.uri": {
        "url": f"{lab3.admin.url}/power", "method": "POST", "body_format": "json",
        "body": {"machine": "hv1", "state": state}}} for state in ("off", "on")]
    start = get_vm_calls()
    assert run_playbook(lab3, reads(2)).rc == 0
    two_reads = get_vm_calls() - start

    lab3.reset_counters()
    start = get_vm_calls()
    run = run_playbook(lab3, [*reads(1), *power, {"name": "again", INFO: {"name": "web1"}}])
    assert run.rc == 0, run.stdout
    assert run.result("again")["vms"][0]["name"] == "web1"
    assert pools(lab3)[0] == 2, "the lost pool was replaced"
    assert get_vm_calls() - start == two_reads, "no batch ran twice"
