"""The Hyper-V connector's JSON API (port 3512): configurations, their TEST, and the registered agents.

Every call needs a session token from the SOAP Login in the ``SessionToken`` header.
"""

from __future__ import annotations

import json
import typing

from hvsim.appliance.checks import verify
from hvsim.appliance.rules import check_fields
from hvsim.appliance.state import ApplianceState

if typing.TYPE_CHECKING:
    from hvsim.world.model import World

Response = tuple[int, typing.Any]  # status, JSON body
PREFIX = "/api/Configurations"


def handle_json(world: World, state: ApplianceState, method: str, path: str, token: str | None,
                body: bytes) -> Response:
    if state.session_user(token) is None:
        return 401, {"message": "A valid session token is required (log in first)."}
    path = path.split("?", 1)[0].rstrip("/")
    try:
        data = json.loads(body) if body else {}
    except json.JSONDecodeError as exc:
        return 400, {"message": f"The body is not JSON: {exc}"}
    if method == "GET" and path == "/api/Agents":
        with state.lock:
            return 200, [vars(agent).copy() for agent in state.agents.values()]
    if method == "POST" and path == f"{PREFIX}/verify":
        return 200, verify(world, state, data)
    if path == PREFIX:
        if method == "GET":
            with state.lock:
                return 200, list(state.configurations.values())
        if method == "POST":
            return _save(state, data, None)
    if path.startswith(PREFIX + "/"):
        config_id = path[len(PREFIX) + 1:]
        with state.lock:
            current = state.configurations.get(config_id)
        if current is None:
            return 404, {"message": f"No configuration {config_id}."}
        if method == "GET":
            return 200, current
        if method == "PUT":
            return _save(state, data, config_id)
        if method == "DELETE":
            with state.lock:
                state.configurations.pop(config_id, None)
            return 204, None
    return 404, {"message": f"No route {method} {path}."}


def _save(state: ApplianceState, data: dict[str, typing.Any], config_id: str | None) -> Response:
    data = {key: value for key, value in data.items() if key != "id"}
    problems = check_fields(data)
    if problems:
        return 400, {"message": "The configuration is not valid.", "errors": problems}
    with state.lock:
        same_name = state.find_configuration(str(data["name"]))
        if same_name is not None and same_name["id"] != config_id:
            return 409, {"message": f"A configuration named {data['name']} already exists."}
        return (200 if config_id else 201), state.save_configuration(data, config_id)
