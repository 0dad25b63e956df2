"""The private ansible-core APIs sessions depend on (as network_cli does), pinned on every supported version, and
the controller side of sessions: where the helper's socket is, how it is probed, and its options."""

from __future__ import annotations

import ast
import inspect
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import threading

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "plugins" / "connection" / "psrp_session.py"


def _documentation() -> dict:
    tree = ast.parse(PLUGIN.read_text())
    text = next(node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION")
    return yaml.safe_load(text)


def test_start_connection_and_the_control_path_are_as_used() -> None:
    from ansible.executor.task_executor import start_connection
    from ansible.plugins.loader import connection_loader

    assert list(inspect.signature(start_connection).parameters) == ["play_context", "options", "task_uuid"]
    ssh = connection_loader.get("ssh", class_only=True)
    assert list(inspect.signature(ssh._create_control_path).parameters)[:5] == ["host", "port", "user", "connection", "pid"]


def test_the_module_gets_the_socket_from_task_vars_and_the_strategy_closes_it() -> None:
    from ansible.plugins.action import ActionBase
    from ansible.plugins.strategy import StrategyBase

    assert "task_vars.get('ansible_socket')" in inspect.getsource(ActionBase._update_module_args)
    assert "'_ansible_socket'" in inspect.getsource(StrategyBase.update_active_connections)
    assert "conn.reset()" in inspect.getsource(StrategyBase.cleanup)


def test_ansible_connection_reads_the_options_the_plugin_documents() -> None:
    from ansible.cli.scripts import ansible_connection_cli_stub as stub
    from ansible.module_utils import connection
    from ansible.plugins.connection import NetworkConnectionBase  # noqa: F401  pylint: disable=unused-import

    source = inspect.getsource(stub.ConnectionProcess)
    read = {name for name in ("persistent_connect_timeout", "persistent_command_timeout", "persistent_log_messages")
            if f"get_option('{name}')" in source or f'get_option("{name}")' in source}
    assert read == {"persistent_connect_timeout", "persistent_command_timeout", "persistent_log_messages"}
    assert set(_documentation()["options"]) >= read | {"sessions"}
    assert all(hasattr(connection, name) for name in ("request_builder", "send_data", "recv_data"))


def test_the_documented_defaults() -> None:
    options = _documentation()["options"]
    assert options["persistent_connect_timeout"]["default"] == 30
    assert options["persistent_command_timeout"]["default"] == 0, "no alarm: a long Move-VM is bounded by its own timeout"
    assert "ini" not in options["persistent_command_timeout"], "network_cli's 30 s command_timeout must not reach us"
    assert options["sessions"]["default"] is True
    assert {v["name"] for v in options["sessions"]["vars"]} == {"hyperv_sessions"}
    assert {e["name"] for e in options["sessions"]["env"]} == {"HYPERV_SESSIONS"}


def test_the_socket_path_is_the_one_ansible_connection_computes() -> None:
    from ansible import constants as C
    from ansible.plugins.loader import connection_loader
    from ansible.utils.path import unfrackpath

    from ansible_collections.winvirt.hyperv.plugins.plugin_utils import _session

    ssh = connection_loader.get("ssh", class_only=True)
    context = _session.helper_context("hv1")
    # what ansible_connection_cli_stub.main does with the play context it is given, and the playbook pid
    expected = unfrackpath(ssh._create_control_path(context.remote_addr, context.port, context.remote_user,
                                                    context.connection, str(os.getppid()))
                           % {"directory": unfrackpath(C.PERSISTENT_CONTROL_PATH_DIR)})
    assert _session.socket_path("hv1") == expected
    assert _session.socket_path("hv2") != expected
    assert context.password is None and context.remote_user is None


class _Helper:
    """ansible-connection's serving loop in miniature (accept, then requests until the client closes), answering
    hello as the psrp_session plugin does."""

    def __init__(self, path: str) -> None:
        from ansible.utils.jsonrpc import JsonRpcServer

        self.server = JsonRpcServer()
        self.server.register(self)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def hello(self, payload: str) -> str:
        from ansible_collections.winvirt.hyperv.plugins.module_utils._session_wire import ok_reply, parse_request

        parse_request(payload, with_options=False)
        return ok_reply()

    def _serve(self) -> None:
        from ansible.module_utils.connection import recv_data, send_data

        while True:
            try:
                conn = self.sock.accept()[0]
            except OSError:
                return
            while (data := recv_data(conn)) is not None:
                send_data(conn, self.server.handle_request(data).encode())
            conn.close()

    def stop(self) -> None:
        from ansible.utils.jsonrpc import JsonRpcServer

        JsonRpcServer._objects.discard(self)
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the serving thread, which close() alone does not
        self.thread.join(5)
        self.sock.close()


def test_a_helper_is_alive_only_while_it_answers(monkeypatch) -> None:
    from ansible_collections.winvirt.hyperv.plugins.plugin_utils import _session

    monkeypatch.setattr(_session, "PROBE_HELLO_SECONDS", 0.5)
    with tempfile.TemporaryDirectory() as name:
        path = os.path.join(name, "abc")
        assert _session.probe(path) == "absent"
        helper = _Helper(path)
        try:
            assert _session.probe(path) == "alive"
            assert _session.probe(path) == "alive", "the loop serves the next connection"
        finally:
            helper.stop()
        assert os.path.exists(path) and _session.probe(path) == "absent", "nobody listens: a stale socket"
        _session.clear_stale(path)
        assert not os.path.exists(path)

        mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # listens, never answers: busy or ending
        mute.bind(path)
        mute.listen(4)
        try:
            assert _session.probe(path) == "busy"
            _session.clear_stale(path)
            assert os.path.exists(path), "a socket someone listens on is never removed"
        finally:
            mute.close()


def test_a_module_falls_back_only_when_its_hello_is_not_answered(monkeypatch) -> None:
    from ansible_collections.winvirt.hyperv.plugins.module_utils._session_channel import HelperChannel, HelperUnreachable

    with tempfile.TemporaryDirectory() as name:
        path = os.path.join(name, "abc")
        channel = HelperChannel(path, hello_seconds=0.5)
        try:
            channel.open()
        except HelperUnreachable as exc:
            assert "FileNotFoundError" in str(exc)
        else:
            raise AssertionError("no helper, yet the channel opened")
        helper = _Helper(path)
        try:
            channel = HelperChannel(path, hello_seconds=0.5)
            channel.open()
            channel.open()  # one connection for the whole task
            channel.close()
        finally:
            helper.stop()


def test_the_helper_never_logs_its_requests() -> None:
    """Loaded as ansible-connection loads it (in a process of its own: the plugin loader's collection finder is
    not for this test process), persistent_log_messages stays off whatever is asked."""
    script = """
from ansible.plugins.loader import init_plugin_loader, connection_loader
from ansible.playbook.play_context import PlayContext
init_plugin_loader()
context = PlayContext()
context.connection = "winvirt.hyperv.psrp_session"
plugin = connection_loader.get("winvirt.hyperv.psrp_session", context, "/dev/null")
plugin.set_options(direct={"persistent_log_messages": True, "persistent_connect_timeout": 5})
print(plugin.get_option("persistent_log_messages"), plugin.get_option("persistent_connect_timeout"),
      plugin.get_option("persistent_command_timeout"), plugin.get_option("sessions"))
"""
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "5", "0", "True"], done.stdout + done.stderr
