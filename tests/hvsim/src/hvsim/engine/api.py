"""How cmdlet implementations plug into the engine.

A cmdlet is a function registered with ``@cmdlet("Get-VM")``. The engine validates and binds the
call against the catalog first, then calls the function once per pipeline input object (or once
with ``inv.input is NO_INPUT`` when nothing is piped in). The function yields output values
(``contract`` types or plain Python), calls ``inv.write_error`` for non-terminating errors and
raises ``CmdletError`` for terminating ones.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field

from hvsim.contract import ErrorInfo, Principal

NO_INPUT: typing.Final = object()


@dataclass
class Invocation:
    name: str  # canonical cmdlet name from the catalog, e.g. "Get-VM"
    parameter_set: str  # the parameter set the binder chose
    params: dict[str, typing.Any]  # bound parameters by canonical name (aliases resolved);
    # switches bound as True/False; values coerced to the declared type where PowerShell would
    # (String[] from a scalar -> list, Int64 from "123" -> int, ...). Includes the value bound
    # from the pipeline for this input object. Common parameters are NOT in here.
    principal: Principal
    world: typing.Any  # hvsim.world.World
    input: typing.Any = NO_INPUT  # the current pipeline input object, as received
    error_action: str = "Continue"  # Stop | Continue | SilentlyContinue | Ignore (engine applies it)
    _errors: list[ErrorInfo] = field(default_factory=list)
    _warnings: list[str] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return name in self.params

    def get(self, name: str, default: typing.Any = None) -> typing.Any:
        return self.params.get(name, default)

    def write_error(self, info: ErrorInfo) -> None:
        """A non-terminating error; the engine turns it into a terminating one under ErrorAction Stop."""
        if info.activity is None:
            info.activity = self.name
        self._errors.append(info)

    def write_warning(self, message: str) -> None:
        self._warnings.append(message)

    def take_time(self, seconds: float) -> None:
        """The cmdlet works for ``seconds`` of world time (hvsim.clock); the world lock is released meanwhile.
        Raises hvsim.clock.Stopped when the pipeline is stopped first: the cmdlet then changes nothing."""
        if seconds > 0:
            self.world.clock.wait(seconds)


CmdletFunc = typing.Callable[[Invocation], typing.Iterable[typing.Any] | None]

REGISTRY: dict[str, CmdletFunc] = {}


def cmdlet(*names: str) -> typing.Callable[[CmdletFunc], CmdletFunc]:
    """Register an implementation for one or more catalog cmdlet names."""

    def register(func: CmdletFunc) -> CmdletFunc:
        for name in names:
            if name in REGISTRY:
                raise ValueError(f"cmdlet {name} registered twice")
            REGISTRY[name] = func
        return func

    return register


NativeFunc = typing.Callable[[Principal, typing.Any, list[str]], "typing.Any"]
# (principal, world, argv without argv[0]) -> hvsim.contract.NativeResult

NATIVE_REGISTRY: dict[str, NativeFunc] = {}


def native(*exe_names: str) -> typing.Callable[[NativeFunc], NativeFunc]:
    """Register a native executable by its lower-case file name (``setspn.exe``; ``setspn`` also matches)."""

    def register(func: NativeFunc) -> NativeFunc:
        for exe in exe_names:
            NATIVE_REGISTRY[exe.lower()] = func
        return func

    return register
