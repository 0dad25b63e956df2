"""Runs statements (pipelines of cmdlet calls) against the world, as a PowerShell runspace would.

Per command: bind against the catalog, then call the registered implementation once per pipeline
input object (or once without input). ErrorAction is applied per command: non-terminating errors
go to the error stream (Continue), are dropped (SilentlyContinue/Ignore), or end the run (Stop).
Terminating errors (CmdletError) always end the run. Every call is reported to ``on_call``.
"""

from __future__ import annotations

import typing

from hvsim.clock import Stopped
from hvsim.contract import (
    CmdletError,
    CommandCall,
    Credential,
    ErrorEvent,
    ErrorInfo,
    Failed,
    Output,
    PipelineEvent,
    Principal,
    SecureValue,
    Statement,
    WarningEvent,
)
from hvsim.engine import generic  # noqa: F401  (registers Select-Object, Where-Object, ...)
from hvsim.engine.api import NO_INPUT, REGISTRY, Invocation
from hvsim.engine.binder import Bound, bind, bind_input
from hvsim.engine.catalog import Catalog, CmdletInfo, load_catalog

CallRecorder = typing.Callable[[dict[str, typing.Any]], None]
QUIET = ("SilentlyContinue", "Ignore")


class _Stop(Exception):
    """The run ends here (a terminating error, or a non-terminating one under ErrorAction Stop)."""

    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info


def not_recognized(name: str) -> ErrorInfo:
    return ErrorInfo(
        message=(f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
                 "program. Check the spelling of the name, or if a path was included, verify that the path is "
                 "correct and try again."),
        category="ObjectNotFound", fqid="CommandNotFoundException",
        exception_type="System.Management.Automation.CommandNotFoundException", target=name,
        reason="CommandNotFoundException")


def not_implemented(name: str) -> ErrorInfo:
    return ErrorInfo(message=f"hvsim does not implement {name}", category="NotImplemented",
                     fqid=f"NotImplemented,hvsim.{name}", exception_type="System.NotImplementedException",
                     hresult=-2147467263, target=name, activity=name, reason="NotImplementedException")


def loggable(value: typing.Any) -> typing.Any:
    """A parameter value for the call log: secrets masked."""
    if isinstance(value, SecureValue):
        return "***"
    if isinstance(value, Credential):
        return {"username": value.username, "password": "***"}
    if isinstance(value, (list, tuple)):
        return [loggable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): loggable(item) for key, item in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return type(value).__name__


def module_available(world: typing.Any, machine_name: str, module: str) -> bool:
    """Is the PowerShell module of a cmdlet installed on the machine (the platform decides)?"""
    machine = world.machines.get(machine_name)
    platform = getattr(machine, "platform", None)
    check = getattr(platform, "module_available", None)
    return True if check is None else bool(check(module))


class Engine:
    def __init__(self, catalog: Catalog | None = None) -> None:
        self.catalog = catalog or load_catalog()

    def run(self, principal: Principal, world: typing.Any, statements: list[Statement],
            input_objects: list[typing.Any], on_call: CallRecorder | None = None) -> typing.Iterator[PipelineEvent]:
        events: list[PipelineEvent] = []
        for index, statement in enumerate(statements):
            with world.lock:
                try:
                    values = input_objects if index == 0 and input_objects else None
                    for value in self._run_statement(principal, world, statement, values, events, on_call):
                        events.append(Output(value))
                except _Stop as stop:
                    events.append(Failed(stop.info))
                    break
        return iter(events)

    def _run_statement(self, principal: Principal, world: typing.Any, statement: Statement,
                       input_objects: list[typing.Any] | None, events: list[PipelineEvent],
                       on_call: CallRecorder | None) -> list[typing.Any]:
        values = input_objects
        for call in statement:
            values = self._run_command(principal, world, call, values, events, on_call)
        return values or []

    def _run_command(self, principal: Principal, world: typing.Any, call: CommandCall,
                     input_objects: list[typing.Any] | None, events: list[PipelineEvent],
                     on_call: CallRecorder | None) -> list[typing.Any]:
        record: dict[str, typing.Any] = {
            "machine": principal.machine, "user": principal.user, "auth": principal.auth,
            "client_principal": principal.client_principal, "command": call.name,
            "parameters": {name or f"<{i}>": loggable(value) for i, (name, value) in enumerate(call.parameters)},
            "parameter_set": None, "outcome": "ok", "error": None,
        }
        try:
            outputs = self._invoke(principal, world, call, input_objects, events, record)
        except _Stop as stop:
            record["outcome"], record["error"] = "failed", stop.info.message
            raise
        except Stopped:
            record["outcome"], record["error"] = "stopped", "The pipeline has been stopped."
            raise
        finally:
            if on_call is not None and not _is_plumbing(call.name):
                on_call(record)
        return outputs

    def _invoke(self, principal: Principal, world: typing.Any, call: CommandCall,
                input_objects: list[typing.Any] | None, events: list[PipelineEvent],
                record: dict[str, typing.Any]) -> list[typing.Any]:
        if call.is_script:
            raise _Stop(ErrorInfo(message="hvsim runs cmdlet calls only, not script text", category="NotImplemented",
                                  fqid="ScriptNotSupported,hvsim", exception_type="System.NotSupportedException"))
        info = self.catalog.find(call.name)
        if info is None or not module_available(world, principal.machine, info.module):
            raise _Stop(not_recognized(call.name))
        implementation = REGISTRY.get(info.name)
        if implementation is None:
            raise _Stop(not_implemented(info.name))
        try:
            bound = bind(info, call, expects_input=input_objects is not None)
        except CmdletError as exc:
            raise _Stop(exc.info) from None
        record["parameter_set"] = bound.parameter_set
        outputs: list[typing.Any] = []
        if input_objects is None:
            self._call_once(principal, world, info, bound, bound.parameter_set, bound.params, NO_INPUT,
                            events, outputs, record)
            return outputs
        for value in input_objects:
            try:
                set_name, params = bind_input(bound, value)
            except CmdletError as exc:
                self._error(bound, exc.info, events, record)
                continue
            self._call_once(principal, world, info, bound, set_name, params, value, events, outputs, record)
        return outputs

    def _call_once(self, principal: Principal, world: typing.Any, info: CmdletInfo, bound: Bound, set_name: str,
                   params: dict[str, typing.Any], value: typing.Any, events: list[PipelineEvent],
                   outputs: list[typing.Any], record: dict[str, typing.Any]) -> None:
        invocation = Invocation(name=info.name, parameter_set=set_name, params=params, principal=principal,
                                world=world, input=value, error_action=bound.error_action)
        implementation = REGISTRY[info.name]
        try:
            produced = implementation(invocation)
            if produced is not None:
                for item in produced:
                    outputs.append(item)
        except CmdletError as exc:
            if exc.info.activity is None:
                exc.info.activity = info.name
            self._flush(bound, invocation, events, record)
            raise _Stop(exc.info) from None
        self._flush(bound, invocation, events, record)

    def _flush(self, bound: Bound, invocation: Invocation, events: list[PipelineEvent],
               record: dict[str, typing.Any]) -> None:
        warnings, invocation._warnings = invocation._warnings, []
        if bound.common.get("WarningAction") not in QUIET:
            events.extend(WarningEvent(message) for message in warnings)
        errors, invocation._errors = invocation._errors, []
        for info in errors:
            self._error(bound, info, events, record)

    @staticmethod
    def _error(bound: Bound, info: ErrorInfo, events: list[PipelineEvent], record: dict[str, typing.Any]) -> None:
        if info.activity is None:
            info.activity = bound.cmdlet.name
        if record["outcome"] == "ok":
            record["outcome"], record["error"] = "error", info.message
        action = bound.error_action
        if action == "Stop":
            raise _Stop(info)
        if action in QUIET:
            return
        events.append(ErrorEvent(info))


def _is_plumbing(name: str) -> bool:
    """Output shaping the client adds to every call (not worth a call-log line of its own)."""
    return name.lower() in ("select-object", "write-output", "where-object", "sort-object", "out-null")
