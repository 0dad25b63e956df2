# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's side of sessions: find or start the session helper of an inventory host.

FOR INTERNAL COLLECTION USE ONLY.

The helper is the ``winvirt.hyperv.psrp_session`` connection plugin run by ``ansible-connection``
(ansible-core's persistent connection machinery, as for network_cli). Its socket path is the one
``ansible-connection`` derives from the play context it is started with, here
(inventory host, no port, no user, this plugin, the ansible-playbook process): one helper per
inventory host and playbook run, whatever hosts its tasks connect to (the helper keeps one pool per
set of connection options). Computing the path here and probing the socket spares every task after
the first the start of a Python process only to learn the path.

Private ansible-core APIs used (network_cli depends on them as well; tests/unit/test_session_machinery.py
pins them): ``ansible.executor.task_executor.start_connection``, the ssh plugin's
``_create_control_path`` and ``C.PERSISTENT_CONTROL_PATH_DIR``.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import socket
import time
import typing as t

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader
from ansible.utils.display import Display
from ansible.utils.path import unfrackpath

from ansible_collections.winvirt.hyperv.plugins.module_utils._session_channel import HelperChannel, HelperUnreachable

CONNECTION = "winvirt.hyperv.psrp_session"
display = Display()


def session_plugin(task_vars: t.Mapping[str, t.Any], templar: t.Any) -> t.Any:
    """The connection plugin with its options resolved for this task (hyperv_sessions, idle timeout, ...)."""
    context = PlayContext()
    context.connection = CONNECTION
    plugin = connection_loader.get(CONNECTION, context, "/dev/null")
    var_options: dict[str, t.Any] = {}
    for name in C.config.get_plugin_vars("connection", plugin._load_name):
        if name in task_vars:
            var_options[name] = templar.template(task_vars[name])
    plugin.set_options(var_options=var_options)
    return plugin


def helper_context(inventory_hostname: str) -> PlayContext:
    """The play context the helper is started with: it names the socket, and carries no credentials."""
    context = PlayContext()
    context.connection = CONNECTION
    context.remote_addr = inventory_hostname
    context.port = None
    context.remote_user = None
    context.password = None
    context.verbosity = display.verbosity
    return context


def socket_path(inventory_hostname: str) -> str:
    """The helper's socket, as ansible-connection computes it (the playbook process is this worker's parent)."""
    ssh = connection_loader.get("ssh", class_only=True)
    control_path = ssh._create_control_path(inventory_hostname, None, None, CONNECTION, str(os.getppid()))  # pylint: disable=protected-access
    return unfrackpath(control_path % {"directory": unfrackpath(C.PERSISTENT_CONTROL_PATH_DIR)})


PROBE_HELLO_SECONDS = 5.0


def probe(path: str) -> str:
    """The helper on ``path``: ``alive`` (it answered a hello, which also re-arms its idle timer in full), ``busy``
    (it accepts connections but did not answer: serving another, or just ending), or ``absent`` (no socket, or
    nobody listening on it)."""
    if not listening(path):
        return "absent"
    channel = HelperChannel(path, hello_seconds=PROBE_HELLO_SECONDS)
    try:
        channel.open()
    except HelperUnreachable:
        return "busy"
    finally:
        channel.close()
    return "alive"


def listening(path: str) -> bool:
    """Whether anything accepts connections on ``path`` (the kernel accepts them for a listening socket)."""
    if not os.path.exists(path):
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        return False
    finally:
        sock.close()
    return True


def _vanished(path: str, seconds: float = 2.0) -> bool:
    """Give a helper that is ending (its idle timeout just passed) the moment it needs to remove its socket."""
    until = time.monotonic() + seconds
    while os.path.exists(path):
        if time.monotonic() >= until:
            return False
        time.sleep(0.05)
    return True


def clear_stale(path: str) -> None:
    """Remove the socket of a helper that died without cleaning up (ansible-connection would try to reuse it),
    under the lock ansible-connection takes to start one."""
    lock_path = unfrackpath("%s/.ansible_pc_lock_%s" % os.path.split(path))
    try:
        lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return
    try:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        if os.path.exists(path) and not listening(path):
            os.unlink(path)
    except OSError:
        pass
    finally:
        fcntl.lockf(lock, fcntl.LOCK_UN)
        os.close(lock)


def unavailable_reason() -> str | None:
    """Why this controller cannot keep sessions (then every task opens its own connection), or None."""
    if importlib.util.find_spec("pypsrp") is None:
        return "pypsrp is not installed for the controller's Python"
    return None


def session_socket(task_vars: t.Mapping[str, t.Any], templar: t.Any, task_uuid: str) -> str | None:
    """The socket of this inventory host's session helper, started if needed; None when sessions are off."""
    plugin = session_plugin(task_vars, templar)
    if not plugin.get_option("sessions"):
        return None
    reason = unavailable_reason()
    if reason:
        display.vvv(f"winvirt.hyperv: sessions off ({reason}); this task opens its own connection")
        return None
    inventory_hostname = str(task_vars.get("inventory_hostname") or "localhost")
    path = socket_path(inventory_hostname)
    state = probe(path)
    if state == "alive":
        return path
    if state == "busy" and not _vanished(path):
        display.vvv(f"winvirt.hyperv: the session helper of {inventory_hostname} is busy; this task opens its own connection")
        return None
    if os.path.exists(path):
        clear_stale(path)
    from ansible.executor.task_executor import start_connection  # pylint: disable=import-outside-toplevel

    try:
        started = start_connection(helper_context(inventory_hostname), plugin.get_options(), task_uuid)
    except (AnsibleError, OSError) as exc:
        display.warning(f"winvirt.hyperv could not start its session helper ({exc}); this task opens its own "
                        "connection. Set hyperv_sessions: false to stop trying.")
        return None
    return str(started)
