# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AnsibleModule every winvirt.hyperv module starts from.

FOR INTERNAL COLLECTION USE ONLY.

It adds the connection options, gives the task one client per host (so every call to that host
reuses one runspace pool), and turns a HyperVError into a failure that says what, where and what
to do. With a session helper (the action plugin passes its socket as ``_ansible_socket``) the
client is a SessionClient whose pool outlives the task; otherwise a HostClient opened for this task
and closed when the module exits.
"""

from __future__ import annotations

import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._client import PYPSRP_IMPORT_ERROR, HostClient
from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import (
    ConnectionOptions,
    ConnectionOptionsError,
    connection_argument_spec,
    destination_argument_spec,
    resolve_connection,
    resolve_destination,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._session_channel import HelperChannel
from ansible_collections.winvirt.hyperv.plugins.module_utils._session_client import SessionClient


class HyperVModule(AnsibleModule):
    def __init__(self, argument_spec: dict[str, t.Any], *, with_destination: bool = False, **kwargs: t.Any) -> None:
        spec = connection_argument_spec()
        if with_destination:
            spec.update(destination_argument_spec())
        spec.update(argument_spec)
        self._clients: dict[tuple[str, int], HostClient | SessionClient] = {}  # before super(): it may fail_json
        self._channel: HelperChannel | None = None  # the task's connection to its session helper, if it has one
        super().__init__(argument_spec=spec, **kwargs)
        if PYPSRP_IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("pypsrp"), exception=PYPSRP_IMPORT_ERROR)

    def connection_options(self) -> ConnectionOptions:
        try:
            return resolve_connection(self.params)
        except ConnectionOptionsError as exc:
            self.fail_json(msg=str(exc))
            raise  # unreachable: fail_json exits

    def destination_options(self, key: str = "destination") -> ConnectionOptions | None:
        try:
            return resolve_destination(self.params, key)
        except ConnectionOptionsError as exc:
            self.fail_json(msg=str(exc))
            raise

    def client(self, options: ConnectionOptions | None = None) -> HostClient | SessionClient:
        """The task's client for ``options`` (default: the module's own host)."""
        options = options or self.connection_options()
        key = (options.hostname.lower(), options.port)
        if key not in self._clients:
            if options.ssl and not options.cert_validation:
                self.warn(f"{options.hostname}: cert_validation is off, so the host's TLS certificate is not checked and "
                          "anyone on the way can read and change this session; give the CA in ca_trust_path instead")
            socket_path = getattr(self, "_socket_path", None)
            if socket_path and self._channel is None:
                self._channel = HelperChannel(socket_path)
            self._clients[key] = SessionClient(options, self._channel) if self._channel else HostClient(options)
        return self._clients[key]

    @property
    def round_trips(self) -> int:
        return sum(client.round_trips for client in self._clients.values())

    def _close_clients(self) -> None:
        for client in self._clients.values():
            client.end_task()
        self._clients.clear()
        if self._channel is not None:
            self._channel.close()

    def exit_json(self, **kwargs: t.Any) -> t.NoReturn:
        self._close_clients()
        super().exit_json(**kwargs)

    def fail_json(self, msg: str, **kwargs: t.Any) -> t.NoReturn:
        self._close_clients()
        super().fail_json(msg=msg, **kwargs)

    def fail_hyperv(self, error: HyperVError, *, msg_detail: str | None = None, **result: t.Any) -> t.NoReturn:
        """Fail with ``error``; ``msg_detail`` adds what the failure left behind (after a partial apply)."""
        message = str(error) if msg_detail is None else f"{error} ({msg_detail})"
        self.fail_json(msg=message, error=error.to_result(), **result)

    def fail_after_apply(self, error: HyperVError, after: AfterApply[t.Any], *, changes: list[str],
                         **result: t.Any) -> t.NoReturn:
        """Fail with ``error`` raised while applying ``changes``: re-read the object as ``after`` says and report
        ``changed`` (with what the re-read shows) when it differs from before, or that the outcome is unknown when
        it cannot be read back. The one place every changing module says what a failed apply left behind."""
        outcome = after.outcome()
        if outcome.unknown:
            self.fail_hyperv(error, changed=True, changes=changes, round_trips=self.round_trips,
                             msg_detail=after.unknown_detail(outcome.reread_error), **result)
        result.update(after.report(outcome.now, outcome.changed) if after.report else {})
        result.setdefault("changes", changes)
        self.fail_hyperv(error, changed=outcome.changed or after.also_changed, round_trips=self.round_trips,
                         msg_detail=after.detail(outcome.changed), **result)
