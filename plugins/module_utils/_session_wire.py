# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What crosses the socket between a module and the session helper: data, never PowerShell text.

FOR INTERNAL COLLECTION USE ONLY.

A module asks the helper (the ``winvirt.hyperv.psrp_session`` connection plugin, served by
``ansible-connection``) to run a batch of structured commands. Commands travel as their fields
(cmdlet, parameters, select, ...) and are rebuilt as ``Cmd`` objects on the other side, so the
helper builds the pipeline exactly as a per-task ``HostClient`` would; results come back as the
plain data ``to_plain`` made of them, and a failure as the fields of its ``HyperVError``.
Both directions are one JSON text each (the JSON-RPC result is that text, so nothing is pickled).
"""

from __future__ import annotations

import dataclasses
import json
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError

PROTOCOL = 1  # bumped when the request or reply shape changes; the helper refuses another version
_OPTION_FIELDS = tuple(field.name for field in dataclasses.fields(ConnectionOptions))
_ERROR_FIELDS = ("host", "message", "command", "category", "code", "error_id", "hint")


class WireError(ValueError):
    """A request or reply that does not have the expected shape."""


def _plain(value: t.Any, where: str) -> t.Any:
    """Only JSON's own types cross: a parameter value of any other type is refused, not converted."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item, where) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise WireError(f"{where}: a hashtable with non-string keys cannot be sent to the session helper")
        return {key: _plain(item, where) for key, item in value.items()}
    raise WireError(f"{where}: a {type(value).__name__} value cannot be sent to the session helper")


# -- commands ----------------------------------------------------------------------------------
def command_to_data(command: Cmd) -> dict[str, t.Any]:
    return {
        "cmdlet": command.cmdlet,
        "parameters": {name: _plain(value, f"{command.cmdlet} -{name}") for name, value in command.parameters.items()},
        "select": list(command.select) if command.select is not None else None,
        "missing_ok": command.missing_ok,
        "patterns": command.patterns,
        "piped": [command_to_data(link) for link in command.piped],
    }


def command_from_data(data: t.Mapping[str, t.Any]) -> Cmd:
    """Rebuild a Cmd; its own checks (cmdlet and parameter names) run again on this side."""
    try:
        parameters = data["parameters"]
        if not isinstance(parameters, dict):
            raise WireError("parameters must be a mapping")
        command = Cmd(str(data["cmdlet"]), dict(parameters),
                      select=[str(name) for name in data["select"]] if data.get("select") is not None else None,
                      missing_ok=bool(data.get("missing_ok")), patterns=bool(data.get("patterns")))
        for link in data.get("piped") or []:
            command.pipe(command_from_data(link))
    except (KeyError, TypeError) as exc:
        raise WireError(f"not a command: {exc}") from None
    return command


# -- connection options ------------------------------------------------------------------------
def options_to_data(options: ConnectionOptions) -> dict[str, t.Any]:
    return {name: getattr(options, name) for name in _OPTION_FIELDS}


def options_from_data(data: t.Mapping[str, t.Any]) -> ConnectionOptions:
    missing = [name for name in _OPTION_FIELDS if name not in data]
    if missing:
        raise WireError(f"connection options without {', '.join(missing)}")
    return ConnectionOptions(**{name: data[name] for name in _OPTION_FIELDS})


# -- errors ------------------------------------------------------------------------------------
def error_to_data(error: HyperVError) -> dict[str, t.Any]:
    return {name: getattr(error, name) for name in _ERROR_FIELDS}


def error_from_data(data: t.Mapping[str, t.Any]) -> HyperVError:
    """The same error as raised in the helper: what, where and what to do, field for field."""
    return HyperVError(str(data.get("host") or "?"), str(data.get("message") or "the session helper reported a failure"),
                       command=data.get("command"), category=data.get("category"), code=data.get("code"),
                       error_id=data.get("error_id"), hint=data.get("hint"))


# -- requests and replies ----------------------------------------------------------------------
def batch_request(options: ConnectionOptions, name: str, commands: t.Sequence[Cmd], *, retry: bool,
                  deadline_seconds: float | None) -> str:
    return json.dumps({
        "protocol": PROTOCOL,
        "options": options_to_data(options),
        "name": name,
        "commands": [command_to_data(command) for command in commands],
        "retry": retry,
        "deadline": deadline_seconds,
    })


def hello_request() -> str:
    """The first request on a connection: the helper answers it if it speaks this protocol."""
    return json.dumps({"protocol": PROTOCOL})


def session_request(options: ConnectionOptions, name: str) -> str:
    """A request about the session itself (how it authenticated, drop it)."""
    return json.dumps({"protocol": PROTOCOL, "options": options_to_data(options), "name": name})


def parse_request(text: str, *, with_options: bool = True) -> dict[str, t.Any]:
    try:
        request = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(request, dict) or request.get("protocol") != PROTOCOL:
        raise WireError(f"the module and the session helper speak different versions (helper: {PROTOCOL}); "
                        "a collection upgrade during the play? Run the play again")
    if not with_options:
        return request
    request["options"] = options_from_data(request.get("options") or {})
    if "commands" in request:
        request["commands"] = [command_from_data(data) for data in request["commands"]]
    return request


def ok_reply(**fields: t.Any) -> str:
    return json.dumps({"ok": True, **fields})


def error_reply(error: HyperVError) -> str:
    return json.dumps({"ok": False, "error": error_to_data(error)})


def parse_reply(text: t.Any) -> dict[str, t.Any]:
    """The helper's reply; raises the HyperVError it carries."""
    try:
        reply = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise WireError(f"the session helper's reply is not JSON: {exc}") from None
    if not isinstance(reply, dict) or "ok" not in reply:
        raise WireError("the session helper's reply has no outcome")
    if not reply["ok"]:
        raise error_from_data(reply.get("error") or {})
    return reply
