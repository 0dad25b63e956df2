"""A running estate: the world, the engine and the listeners, glued together as the wire's Backend."""

from __future__ import annotations

import importlib
import json
import pathlib
import pkgutil
import threading
import typing
from dataclasses import dataclass, field

import hvsim.world
from hvsim.contract import (AccountSecret, AuthKind, NativeResult, PipelineEvent, Principal, ProgramNotFound, PSOutObject,
                            Statement)
from hvsim.clock import WorldClock
from hvsim.engine import wildcard
from hvsim.engine.command_metadata import CMDLET_TYPE, command_info
from hvsim.engine.executor import Engine
from hvsim.native import commands_of, run_command_line
from hvsim.world.model import World


def load_world_modules() -> None:
    """Import every hvsim.world module so their cmdlets and executables register themselves."""
    for info in pkgutil.iter_modules(hvsim.world.__path__):
        importlib.import_module(f"hvsim.world.{info.name}")


@dataclass
class MachineCounters:
    wsman_messages: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    pipelines: int = 0
    runspace_pools_opened: int = 0  # PowerShell shells created (a RunspacePool opened): instrumentation for tests
    runspace_pools_closed: int = 0  # ... and deleted by their client (WS-Transfer Delete)
    cmdlet_calls: int = 0
    native_calls: int = 0
    failed_calls: int = 0
    operation_timeouts: int = 0  # Receives answered with the OperationTimeout fault (2150858793)
    largest_reply: int = 0  # bytes of the largest SOAP envelope answered (before message encryption)
    # as they crossed the listener's socket (hvsim.wire.accounting): instrumentation for benchmarks
    tcp_connections: int = 0
    http_exchanges_auth: int = 0  # 401 challenges and empty-body authentication legs
    http_exchanges_wsman: int = 0  # a SOAP envelope handled (200 or a fault)
    http_exchanges_other: int = 0  # 404, 503, malformed requests
    http_request_bytes: int = 0  # request line, headers and body as received
    http_response_bytes: int = 0  # status line, headers and body as sent
    wsman_actions: dict[str, int] = field(default_factory=dict)  # WS-Management exchanges by action (Command, ...)

    def as_dict(self) -> dict[str, typing.Any]:
        return {**self.__dict__, "wsman_actions": dict(self.wsman_actions)}


@dataclass
class Simulation:
    """Implements hvsim.contract.Backend over one World."""

    world: World
    call_log: pathlib.Path | None = None
    counters: dict[str, MachineCounters] = field(default_factory=dict)
    engine: Engine = field(default_factory=Engine)
    _log_lock: threading.Lock = field(default_factory=threading.Lock)
    _http_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        load_world_modules()
        for name in self.world.machines:
            self.counters[name] = MachineCounters()
        if self.call_log is not None:
            self.call_log.parent.mkdir(parents=True, exist_ok=True)
            self.call_log.write_text("")

    # -- Backend: who is there -------------------------------------------------------------
    def machine_at(self, address: str) -> str | None:
        for machine in self.world.machines.values():
            if machine.address == address:
                return machine.name
        return None

    def is_reachable(self, machine: str) -> bool:
        target = self.world.machines.get(machine)
        if target is None:
            return False
        platform = target.platform
        return platform is None or platform.is_reachable()

    def accounts(self) -> list[AccountSecret]:
        secrets: dict[tuple[str, str], AccountSecret] = {}
        domain = self.world.domain
        if domain is not None:
            for user, password in domain.admins.items():
                secrets[(domain.netbios.upper(), user.lower())] = AccountSecret(domain.netbios, user, password)
                # the UPN form (user@lab.test): a Kerberos user name that falls back to NTLM arrives as the user
                # name with an empty domain, and a DC resolves it (pyspnego's NTLM_USER_FILE takes this form)
                upn = f"{user}@{domain.dns_name}"
                secrets[("", upn.lower())] = AccountSecret("", upn, password)
        for machine in self.world.machines.values():
            for user, password in machine.local_accounts.items():
                secrets[(machine.netbios, user.lower())] = AccountSecret(machine.netbios, user, password)
                secrets.setdefault(("", user.lower()), AccountSecret("", user, password))
        return list(secrets.values())

    def realm(self) -> typing.Any:
        """The estate's Kerberos realm (hvsim.kerberos.Realm) when a KDC serves it, else None."""
        return getattr(self.world.directory, "realm", None)

    def authorize(
        self, machine: str, domain: str, username: str, auth: AuthKind, delegable: bool, client_address: str,
        client_principal: str = "", credentials: typing.Any = None,
    ) -> Principal | None:
        target = self.world.machines.get(machine)
        if target is None:
            return None
        user = username.split("@", 1)[0] if "@" in username else username
        if "@" in username and not domain:
            domain = username.split("@", 1)[1].split(".", 1)[0]
        world_domain = self.world.domain
        is_domain_user = bool(
            world_domain
            and target.domain
            and domain
            and domain.upper() in (world_domain.netbios.upper(), world_domain.dns_name.upper())
        )
        if is_domain_user and world_domain is not None:
            if user.lower() not in {name.lower() for name in world_domain.admins}:
                return None
            account = f"{world_domain.netbios}\\{user}"
        else:
            if domain and domain.upper() not in (target.netbios, "", "."):
                return None
            if user.lower() not in {name.lower() for name in target.local_accounts}:
                return None
            account = user
        service_auth = getattr(target.platform, "auth_enabled", None)
        if auth == "credssp" and service_auth is not None and not service_auth("credssp"):
            # WinRM offers CredSSP only once the service role is on (Enable-WSManCredSSP -Role Server)
            return None
        return Principal(machine=target.name, user=account, auth=auth, delegable=delegable, client_address=client_address,
                         client_principal=client_principal or username, credentials=credentials)

    def certificate_user(self, machine: str, client_cert_der: bytes) -> Principal | None:
        target = self.world.machines.get(machine)
        if target is None or target.platform is None:
            return None
        user = target.platform.certificate_mapping(client_cert_der)
        if user is None:
            return None
        return Principal(machine=target.name, user=user, auth="certificate", delegable=False)

    # -- Backend: work ---------------------------------------------------------------------
    def run_pipeline(
        self, principal: Principal, statements: list[Statement], input_objects: list[typing.Any]
    ) -> typing.Iterator[PipelineEvent]:
        self.counters[principal.machine].pipelines += 1
        return self.engine.run(principal, self.world, statements, input_objects, on_call=self._record_call)

    def command_metadata(self, principal: Principal, names: list[str], command_types: int,
                         namespaces: list[str]) -> list[PSOutObject]:
        """GET_COMMAND_METADATA's answer (Windows runs Get-Command for it): the catalog's cmdlets of the modules the
        machine has whose name (and module, when namespaces are given) match, as Get-Command's CmdletInfo."""
        if not command_types & CMDLET_TYPE:
            return []
        target = self.world.machines.get(principal.machine)
        platform = getattr(target, "platform", None)
        found = []
        for module, commands in sorted(self.engine.catalog.modules().items()):
            if platform is not None and not platform.module_available(module):
                continue
            if namespaces and not any(wildcard.matches(pattern, module) for pattern in namespaces):
                continue
            for name in commands:
                info = self.engine.catalog.find(name)
                if info is not None and any(wildcard.matches(pattern, name) for pattern in names or ["*"]):
                    found.append(command_info(info))
        return sorted(found, key=lambda item: str(item.properties["Name"]).lower())

    def os_version(self, machine: str) -> str:
        """The Windows build a machine runs (its PSVersionTable follows it)."""
        target = self.world.machines.get(machine)
        return target.os_version if target is not None else "10.0.17763"

    @property
    def clock(self) -> WorldClock:
        return self.world.clock

    def run_native(self, principal: Principal, command_line: str, *, through_cmd: bool = True) -> NativeResult:
        counters = self.counters[principal.machine]
        counters.native_calls += 1
        record: dict[str, typing.Any] = {
            "machine": principal.machine,
            "user": principal.user,
            "auth": principal.auth,
            "client_principal": principal.client_principal,
            "shell": "cmd" if through_cmd else "none",
            **native_for_log(command_line, commands_of(command_line, through_cmd=through_cmd)),
        }
        try:
            result = run_command_line(principal, self.world, command_line, through_cmd=through_cmd)
        except ProgramNotFound:
            counters.failed_calls += 1
            self._log({**record, "exit_code": None, "outcome": "error"})
            raise
        self._log({**record, "exit_code": result.exit_code, "outcome": "ok" if result.exit_code == 0 else "error"})
        if result.exit_code != 0:
            counters.failed_calls += 1
        return result

    def record_fault(self, machine: str, code: int) -> None:
        counters = self.counters.get(machine)
        if counters is not None and code == 2150858793:
            counters.operation_timeouts += 1

    def boot_generation(self, machine: str) -> int:
        """How often ``machine`` has booted (a restart or a power cycle ends the WinRM shells of the boot before)."""
        target = self.world.machines.get(machine)
        platform = target.platform if target is not None else None
        return int(getattr(platform, "boot_count", 0))

    def record_shell(self, machine: str, opened: bool) -> None:
        """Count a PowerShell shell (RunspacePool) created or deleted on ``machine``."""
        counters = self.counters.get(machine)
        if counters is None:
            return
        if opened:
            counters.runspace_pools_opened += 1
        else:
            counters.runspace_pools_closed += 1

    def record_wire(self, machine: str, messages: int, bytes_in: int, bytes_out: int) -> None:
        counters = self.counters.get(machine)
        if counters is None:
            return
        counters.wsman_messages += messages
        counters.bytes_in += bytes_in
        counters.bytes_out += bytes_out
        counters.largest_reply = max(counters.largest_reply, bytes_out)

    def record_http(self, machine: str, *, connections: int = 0, exchange: str | None = None, action: str | None = None,
                    request_bytes: int = 0, response_bytes: int = 0) -> None:
        """Count what crossed a listener's socket (hvsim.wire.accounting); listener threads call this at once."""
        with self._http_lock:
            counters = self.counters.get(machine)
            if counters is None:
                return
            counters.tcp_connections += connections
            counters.http_request_bytes += request_bytes
            counters.http_response_bytes += response_bytes
            if exchange is not None:
                name = f"http_exchanges_{exchange}"
                setattr(counters, name, getattr(counters, name) + 1)
            if action is not None:
                counters.wsman_actions[action] = counters.wsman_actions.get(action, 0) + 1

    # -- observation -----------------------------------------------------------------------
    def _record_call(self, record: dict[str, typing.Any]) -> None:
        counters = self.counters.get(record.get("machine", ""))
        if counters is not None:
            counters.cmdlet_calls += 1
            if record.get("outcome") != "ok":
                counters.failed_calls += 1
        self._log(record)

    def _log(self, record: dict[str, typing.Any]) -> None:
        if self.call_log is None:
            return
        line = json.dumps(record, default=str)
        with self._log_lock, self.call_log.open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")

    def reset_counters(self) -> None:
        for name in self.counters:
            self.counters[name] = MachineCounters()


_SECRET_ARGUMENT_PREFIXES = ("/password:", "-password:", "/p:")


def _masked_argument(argument: str) -> str:
    if argument.lower().startswith(_SECRET_ARGUMENT_PREFIXES):
        return argument[: argument.index(":") + 1] + "***"
    return argument


def native_for_log(command_line: str, commands: list[list[str]]) -> dict[str, typing.Any]:
    """A native command for the call log: each process's argv as the program reads it, passwords
    (/password:...) masked whole, however they were quoted; the raw line only when it holds no secret."""
    argvs = [[_masked_argument(argument) for argument in argv] for argv in commands]
    has_secret = any(argument.lower().startswith(_SECRET_ARGUMENT_PREFIXES) for argv in commands for argument in argv)
    return {"native": "(masked: holds a password)" if has_secret else command_line, "argv": argvs}
