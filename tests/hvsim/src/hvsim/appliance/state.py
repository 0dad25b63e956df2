"""What the emulated App Layering appliance (ELM) remembers: users, sessions, agents, connector configurations."""

from __future__ import annotations

import copy
import secrets
import threading
import typing
import uuid
from dataclasses import dataclass, field

DEFAULT_USERS = {"administrator": "Unidesk1"}  # the appliance's factory login


@dataclass
class Agent:
    """An App Layering Agent registered with the appliance (it runs as the machine account of its host)."""

    name: str  # the host's NetBIOS name, upper case, as the management console lists it
    fqdn: str
    address: str
    machine: str  # the world machine the agent runs on


@dataclass
class ApplianceState:
    users: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_USERS))
    agents: dict[str, Agent] = field(default_factory=dict)  # by upper-case name
    configurations: dict[str, dict[str, typing.Any]] = field(default_factory=dict)  # by id
    verifications: int = 0  # TEST runs (reads, so not part of the snapshot)
    _sessions: dict[str, str] = field(default_factory=dict, repr=False)  # token -> user
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def login(self, user: str, password: str) -> str | None:
        with self._lock:
            known = next((name for name in self.users if name.lower() == user.lower()), None)
            if known is None or self.users[known] != password:
                return None
            token = secrets.token_hex(16)
            self._sessions[token] = known
            return token

    def logout(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def session_user(self, token: str | None) -> str | None:
        with self._lock:
            return self._sessions.get(token or "")

    def register_agent(self, agent: Agent) -> None:
        with self._lock:
            self.agents[agent.name.upper()] = agent

    def find_agent(self, name: str) -> Agent | None:
        """An agent by its name or its host's FQDN or address (case-insensitive)."""
        key = name.lower()
        with self._lock:
            for agent in self.agents.values():
                if key in (agent.name.lower(), agent.fqdn.lower(), agent.address):
                    return agent
        return None

    def find_configuration(self, name: str) -> dict[str, typing.Any] | None:
        with self._lock:
            for config in self.configurations.values():
                if str(config["name"]).lower() == name.lower():
                    return copy.deepcopy(config)
        return None

    def save_configuration(self, config: dict[str, typing.Any], config_id: str | None = None) -> dict[str, typing.Any]:
        with self._lock:
            config_id = config_id or str(uuid.uuid4())
            stored = {**copy.deepcopy(config), "id": config_id}
            self.configurations[config_id] = stored
            return copy.deepcopy(stored)

    def snapshot(self) -> dict[str, typing.Any]:
        """The appliance's lasting state as plain data (sessions and TEST counts left out)."""
        with self._lock:
            return {
                "users": sorted(self.users),
                "agents": {name: vars(agent).copy() for name, agent in sorted(self.agents.items())},
                "configurations": copy.deepcopy(self.configurations),
            }
