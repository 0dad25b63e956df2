# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of every winvirt.hyperv module: each module's action plugin (plugins/action/<module>.py) is this class.

It runs the module on the controller, as a ``connection: local`` task does, and gives it the socket
of the inventory host's session helper (``winvirt.hyperv.psrp_session``), so the module's PowerShell
sessions outlive the task. With ``hyperv_sessions: false`` (or ``HYPERV_SESSIONS=false``) the module
opens and closes its own connection, as before.
"""

from __future__ import annotations

import typing as t

from ansible.plugins.action import ActionBase
from ansible.plugins.loader import connection_loader
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.winvirt.hyperv.plugins.plugin_utils._inventory_options import (
    InventoryOptionsError,
    connection_kind,
    inventory_args,
)
from ansible_collections.winvirt.hyperv.plugins.plugin_utils._session import session_socket

display = Display()


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: t.Any = None, task_vars: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars if task_vars is not None else {}
        try:  # before the swap: it reads the host's own connection plugin
            module_args, warnings = inventory_args(self._module_args(), task_vars, templar=self._templar,
                                                   connection=self._connection)
        except InventoryOptionsError as exc:
            return merge_hash(result, {"failed": True, "changed": False, "msg": str(exc)})
        for warning in warnings:
            display.warning(warning)
        self._run_on_controller(task_vars)

        # a module that runs elsewhere (a jump host over ssh, as the task's connection says) cannot reach the helper
        socket_path = session_socket(task_vars, self._templar, self._task._uuid) if self._on_controller() else None
        # _execute_module hands the module this socket (_ansible_socket); in the task's own args it also tells the
        # strategy to close the helper when the play ends
        module_vars = dict(task_vars, ansible_socket=socket_path)
        if socket_path:
            self._task.args["_ansible_socket"] = socket_path

        if self._on_controller():
            self._pipeline()
        wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_args=module_args, task_vars=module_vars,
                                                         wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _module_args(self) -> dict[str, t.Any]:
        """The task's own arguments (module_defaults included), without the socket a previous run left in them."""
        args = dict(self._task.args)
        args.pop("_ansible_socket", None)
        return args

    def _pipeline(self) -> None:
        """Hand the module its arguments (the password among them) through a pipe, not in a file written to the
        temporary directory first: the local connection can, as long as no become plugin has to answer a prompt."""
        if self._connection.become is None:
            try:
                self._connection.set_option("pipelining", True)
            except (KeyError, AttributeError):
                pass

    def _on_controller(self) -> bool:
        """Whether the module runs on the controller (ansible-core's local connection, by whichever name)."""
        return getattr(self._connection, "transport", None) == "local"

    def _run_on_controller(self, task_vars: dict[str, t.Any]) -> None:
        """The one place where a Windows host's own connection (ansible_connection: psrp or winrm) is set aside: the module
        runs on the controller through a local connection with the controller's Python, and the host's connection
        is never opened (the module connects with the options its variables gave)."""
        if connection_kind(self._connection) is None:
            return  # local already, or a connection the modules run over (ssh to a jump host)
        context = self._play_context.copy()
        context.connection = "local"
        context.shell = "sh"
        context.executable = "/bin/sh"
        local = connection_loader.get("local", context, "/dev/null")
        local.set_options()
        self._connection = local
        self._play_context = context
        if task_vars.get("ansible_playbook_python"):
            task_vars["ansible_python_interpreter"] = task_vars["ansible_playbook_python"]
