# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The session helper: PSRP runspace pools that outlive a task, served by ansible-connection."""

from __future__ import annotations

DOCUMENTATION = r"""
name: psrp_session
short_description: Keeps the PowerShell sessions of winvirt.hyperv modules open across the tasks of a play
description:
  - Not a connection to set on hosts. The modules of this collection start it themselves (through their action
    plugins) as a persistent connection, the same machinery network connections such as
    C(ansible.netcommon.network_cli) use. C(ansible-connection) runs it as a process of the user running the play,
    one per inventory host, listening on a private socket in the persistent control directory (C(~/.ansible/pc)).
  - It keeps one authenticated PowerShell Remoting (PSRP) runspace pool per set of connection options (host, port,
    user, password, auth, TLS settings), so consecutive tasks to the same Hyper-V host authenticate and open a
    runspace once instead of every task. Modules that talk to a second host (the destination of a live migration,
    a Replica partner) get a pool for that host in the same helper.
  - Credentials reach the helper with each request over its socket and are kept only in its memory. Nothing is
    written to disk or logged; for that reason O(persistent_log_messages) is always off here.
  - A session closes (its pools are deleted on the hosts) after O(persistent_connect_timeout) seconds without a
    task, when the play ends, and on C(meta) V(reset_connection).
  - Set O(sessions=false) (variable C(hyperv_sessions), environment E(HYPERV_SESSIONS)) to give every task its own
    connection again, opened and closed by the module, as before this plugin existed.
author:
  - winvirt.hyperv contributors (@winvirt)
version_added: 0.1.0
options:
  sessions:
    description:
      - Whether the modules of this collection keep their sessions open across tasks.
      - V(false) opens and closes a connection in every task, as without this plugin; use it to debug, or where
        C(ansible-connection) cannot run.
    type: bool
    default: true
    env:
      - name: HYPERV_SESSIONS
    vars:
      - name: hyperv_sessions
  persistent_connect_timeout:
    description:
      - The idle timeout, in seconds. A session that no task used for this long is closed (its runspace pools
        deleted on the hosts) and its helper ends; the next task opens a new one.
    type: int
    default: 30
    ini:
      - section: persistent_connection
        key: connect_timeout
    env:
      - name: ANSIBLE_PERSISTENT_CONNECT_TIMEOUT
      - name: HYPERV_SESSION_IDLE_TIMEOUT
    vars:
      - name: ansible_connect_timeout
      - name: hyperv_session_idle_timeout
  persistent_command_timeout:
    description:
      - A hard limit, in seconds, on one request to the helper (one batch of PowerShell commands). V(0), the
        default, sets none.
      - Every batch is already bounded by the modules' own C(command_timeout) option (the command is stopped on
        the host when it passes) and, for long operations such as a live migration, the module's C(timeout); a
        limit here ends the request without stopping the command on the host, so set it, if at all, above the
        longest operation of the play (a Move-VM of a large VM can take an hour).
      - Unlike O(persistent_connect_timeout), it does not follow the C([persistent_connection]) settings of
        network connections, whose 30 s default would cut such operations short.
    type: int
    default: 0
    env:
      - name: HYPERV_SESSION_COMMAND_TIMEOUT
    vars:
      - name: hyperv_session_command_timeout
  persistent_log_messages:
    description:
      - Always off for this plugin, whatever is set. C(ansible-connection) would log every request, and requests
        to this helper carry the connection's password.
    type: boolean
    default: false
    env:
      - name: ANSIBLE_PERSISTENT_LOG_MESSAGES
    vars:
      - name: ansible_persistent_log_messages
"""

import typing as t

from ansible.plugins.connection import NetworkConnectionBase

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._deadline import Deadline
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._session_wire import (
    WireError,
    error_reply,
    ok_reply,
    parse_request,
)

# WinRM's "the shell was not found" (ERROR_WSMAN_SHELL_NOT_FOUND): the host no longer has the pool this helper
# kept (restarted, or the shell idled out there). When it refuses a batch's Command with it (HostClient marks the
# error not_started: nothing of the batch ran) on a pool opened by an earlier task, the helper opens a new pool and
# sends the batch again; the same fault later in a batch is reported, since part of the batch may have run.
SHELL_NOT_FOUND = 0x8033805B


class Connection(NetworkConnectionBase):
    """Runspace pools by connection options, for the batches the modules send (see _session_wire)."""

    transport = "winvirt.hyperv.psrp_session"
    has_pipelining = False

    def __init__(self, play_context: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(play_context, *args, **kwargs)
        self._clients: dict[ConnectionOptions, t.Any] = {}  # HostClient by its full options (password included)
        self._used: set[ConnectionOptions] = set()  # pools that ran a batch already (may have gone stale)

    def _connect(self) -> Connection:
        self._connected = True  # pools open on the first batch for their host
        return self

    def get_option(self, option: str, hostvars: t.Any = None) -> t.Any:
        if option == "persistent_log_messages":
            return False  # requests carry the password: never logged (see DOCUMENTATION)
        return super().get_option(option, hostvars)

    # -- JSON-RPC methods (a module's SessionClient calls them) ------------------------------
    def hello(self, payload: str) -> str:
        """The first request on a connection: answered only if the module speaks this helper's protocol."""
        try:
            parse_request(payload, with_options=False)
        except (WireError, HyperVError) as exc:
            return error_reply(_unreadable(exc))
        return ok_reply()

    def run_batch(self, payload: str) -> str:
        """Run one batch of structured commands; returns ``_session_wire``'s reply text."""
        try:
            request = parse_request(payload)
        except (WireError, HyperVError) as exc:
            return error_reply(_unreadable(exc))
        options: ConnectionOptions = request["options"]
        commands = request["commands"]
        seconds = request.get("deadline")
        deadline = Deadline(float(seconds) if seconds is not None else options.command_timeout)
        reused = options in self._used
        client = self._client(options, request["name"])
        try:
            try:
                results = client.run(commands, retry=bool(request.get("retry")), deadline=deadline)
            except HyperVError as err:
                if not (reused and err.code == SHELL_NOT_FOUND and err.not_started):
                    raise
                self._drop(options)
                client = self._client(options, request["name"])
                results = client.run(commands, retry=bool(request.get("retry")), deadline=deadline)
        except HyperVError as err:
            if err.category == "timeout":
                self._drop(options)  # the stopped pipeline leaves the pool in no known state
            return error_reply(err)
        except Exception as exc:  # pylint: disable=broad-except  # a bug or a signal: report it as data
            self._drop(options)
            return error_reply(HyperVError(client.name, f"the session helper failed: {type(exc).__name__}: {exc}",
                                           command=commands[0].describe() if commands else None,
                                           category="session helper"))
        self._used.add(options)
        return ok_reply(results=results, host_waited=deadline.host_wait_credit)

    def session_auth(self, payload: str) -> str:
        """How the host's open session authenticated (Negotiate: kerberos or ntlm)."""
        try:
            request = parse_request(payload)
        except (WireError, HyperVError) as exc:
            return error_reply(_unreadable(exc))
        return ok_reply(auth=self._client(request["options"], request["name"]).session_auth())

    def drop_session(self, payload: str) -> str:
        """Close one host's pool (the module saw the host restart); the next batch opens a new one."""
        try:
            request = parse_request(payload)
        except (WireError, HyperVError) as exc:
            return error_reply(_unreadable(exc))
        self._drop(request["options"])
        return ok_reply()

    # -- lifecycle ---------------------------------------------------------------------------
    def _client(self, options: ConnectionOptions, name: str) -> t.Any:
        client = self._clients.get(options)
        if client is None:
            # imported here: the action plugin loads this plugin in every task only to read its options
            from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient  # pylint: disable=import-outside-toplevel

            client = self._clients[options] = HostClient(options)
        client.name = name or options.hostname
        return client

    def _drop(self, options: ConnectionOptions) -> None:
        self._used.discard(options)
        client = self._clients.pop(options, None)
        if client is not None:
            client.close()

    def close(self) -> None:
        """Idle timeout, end of play, reset_connection: delete every pool on its host, then end."""
        clients, self._clients = list(self._clients.values()), {}
        self._used.clear()
        for client in clients:
            client.close()
        super().close()


def _unreadable(exc: Exception) -> HyperVError:
    return HyperVError("session helper", f"the request could not be read: {exc}", category="session helper",
                       hint="The module and the helper come from different collection versions? Run the play again.")
