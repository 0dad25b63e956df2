"""Parameter binding as PowerShell does it: names, aliases and unique prefixes, positions, switches,
parameter sets, mandatory parameters, type conversion, and pipeline input by value or property name.

Errors carry PowerShell's own FullyQualifiedErrorIds (NamedParameterNotFound, AmbiguousParameter,
MissingMandatoryParameter, AmbiguousParameterSet, PositionalParameterNotFound, ...).
"""

from __future__ import annotations

import re
import typing
import uuid
from dataclasses import dataclass, field

from hvsim.contract import CmdletError, CommandCall, Credential, ErrorInfo, PSOutObject, SecureValue
from hvsim.engine.catalog import ALL_SETS, CmdletInfo, Parameter

# common parameters: canonical name -> aliases
COMMON_PARAMETERS: dict[str, tuple[str, ...]] = {
    "Verbose": ("vb",), "Debug": ("db",), "ErrorAction": ("ea",), "WarningAction": ("wa",),
    "InformationAction": ("infa",), "ProgressAction": ("proga",), "ErrorVariable": ("ev",),
    "WarningVariable": ("wv",), "InformationVariable": ("iv",), "OutVariable": ("ov",), "OutBuffer": ("ob",),
    "PipelineVariable": ("pv",), "WhatIf": ("wi",), "Confirm": ("cf",),
}
COMMON_SWITCHES = {"Verbose", "Debug", "WhatIf", "Confirm"}
ACTION_PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break")
BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException"
INTEGER_TYPES = {"Int32": (-2**31, 2**31 - 1), "Int64": (-2**63, 2**63 - 1), "UInt64": (0, 2**64 - 1),
                 "UInt32": (0, 2**32 - 1), "UInt16": (0, 2**16 - 1), "Int16": (-2**15, 2**15 - 1),
                 "Byte": (0, 255), "SByte": (-128, 127)}
_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}
_NUMBER = re.compile(r"^\s*([+-]?(?:0x[0-9a-f]+|\d+(?:\.\d+)?))\s*(kb|mb|gb|tb|pb)?\s*$", re.IGNORECASE)


def command_class(cmdlet: CmdletInfo) -> str:
    """The FullyQualifiedErrorId suffix, e.g. ``Microsoft.HyperV.PowerShell.Commands.GetVM``."""
    bare = cmdlet.name.replace("-", "")
    if cmdlet.module == "Hyper-V":
        return f"Microsoft.HyperV.PowerShell.Commands.{bare}"
    return f"Microsoft.PowerShell.Commands.{bare}Command"


def binding_error(cmdlet: CmdletInfo, fqid: str, message: str, category: str = "InvalidArgument",
                  target: str | None = None) -> CmdletError:
    return CmdletError(ErrorInfo(
        message=message, category=category, fqid=f"{fqid},{command_class(cmdlet)}",
        exception_type=BINDING_EXCEPTION, hresult=-2146233087, target=target, activity=cmdlet.name,
        reason="ParameterBindingException"))


@dataclass
class Bound:
    """A call bound to one parameter set (pipeline input still to come per object)."""

    cmdlet: CmdletInfo
    parameter_set: str
    params: dict[str, typing.Any]
    common: dict[str, typing.Any] = field(default_factory=dict)
    # with pipeline input: every set the call could still bind to, best first (the input decides)
    options: list[tuple[str, dict[str, typing.Any]]] = field(default_factory=list)

    @property
    def error_action(self) -> str:
        return str(self.common.get("ErrorAction") or "Continue")

    def set_parameters(self) -> dict[str, Parameter]:
        return self.cmdlet.sets[self.parameter_set]


def _resolve_name(cmdlet: CmdletInfo, given: str) -> str:
    """Canonical name for ``given`` (exact name or alias first, then a unique prefix)."""
    names = cmdlet.parameter_names()
    for common, aliases in COMMON_PARAMETERS.items():
        names.setdefault(common.lower(), common)
        for alias in aliases:
            names.setdefault(alias, common)
    key = given.lower()
    if key in names:
        return names[key]
    matches = sorted({canonical for name, canonical in names.items() if name.startswith(key)})
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise binding_error(cmdlet, "NamedParameterNotFound",
                            f"A parameter cannot be found that matches parameter name '{given}'.", target=given)
    raise binding_error(cmdlet, "AmbiguousParameter",
                        f"Parameter cannot be processed because the parameter name '{given}' is ambiguous. "
                        f"Possible matches include: {' '.join('-' + m for m in matches)}.", target=given)


def _type_display(parameter: Parameter) -> str:
    base = parameter.base_type
    full = parameter.type_name.removesuffix("[]")
    return full if "." in full else f"System.{base}"


def convert(cmdlet: CmdletInfo, parameter: Parameter, value: typing.Any) -> typing.Any:
    """The value converted to the parameter's type as PowerShell's binder would, or a binding error."""
    if parameter.is_switch:
        if value is None:
            return True
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        raise _conversion_error(cmdlet, parameter, value, "Switch parameters accept only Boolean values.")
    if parameter.is_array:
        items = value if isinstance(value, (list, tuple)) else [value]
        return [_convert_scalar(cmdlet, parameter, item) for item in items]
    if isinstance(value, (list, tuple)) and parameter.base_type not in ("Object", "PSObject", "Hashtable"):
        if len(value) == 1:
            value = value[0]
        else:
            raise _conversion_error(cmdlet, parameter, value, "Specified method is not supported.")
    return _convert_scalar(cmdlet, parameter, value)


def _convert_scalar(cmdlet: CmdletInfo, parameter: Parameter, value: typing.Any) -> typing.Any:
    base = parameter.base_type
    if value is None:
        return None
    if base in INTEGER_TYPES:
        return _to_integer(cmdlet, parameter, value)
    if base == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        raise _conversion_error(cmdlet, parameter, value,
                                "Boolean parameters accept only Boolean values and numbers, such as $True, "
                                "$False, 1 or 0.")
    if base in ("Double", "Single", "Decimal"):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _conversion_error(cmdlet, parameter, value, "Input string was not in a correct format.") from None
    if base == "String":
        if isinstance(value, SecureValue):
            return "System.Security.SecureString"
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, PSOutObject):
            return value.to_string if value.to_string is not None else value.type_names[0]
        return str(value)
    if base == "Guid":
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            raise _conversion_error(cmdlet, parameter, value,
                                    "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."
                                    ) from None
    if base == "SecureString":
        if isinstance(value, SecureValue):
            return value
        raise _conversion_error(cmdlet, parameter, value,
                                'Cannot convert the value of type "System.String" to type "System.Security.SecureString".')
    if base == "PSCredential":
        if isinstance(value, Credential):
            return value
        if isinstance(value, str):
            return value  # PowerShell would prompt for the password; cmdlets see the user name
        raise _conversion_error(cmdlet, parameter, value, "")
    return value  # enums, Hyper-V objects, hashtables, PSObject: the cmdlet checks what it receives


def _to_integer(cmdlet: CmdletInfo, parameter: Parameter, value: typing.Any) -> int:
    low, high = INTEGER_TYPES[parameter.base_type]
    number: int | None = None
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, int):
        number = int(value)
    elif isinstance(value, float):
        number = round(value)
    elif isinstance(value, str):
        match = _NUMBER.match(value)
        if match:
            text, suffix = match.groups()
            base_value = int(text, 16) if text.lower().lstrip("+-").startswith("0x") else float(text)
            number = round(base_value * _MULTIPLIERS.get((suffix or "").lower(), 1))
    if number is None:
        raise _conversion_error(cmdlet, parameter, value, "Input string was not in a correct format.")
    if not low <= number <= high:
        raise _conversion_error(cmdlet, parameter, value,
                                f"Value was either too large or too small for {_type_display(parameter).rsplit('.', 1)[-1]}.")
    return number


def _conversion_error(cmdlet: CmdletInfo, parameter: Parameter, value: typing.Any, detail: str) -> CmdletError:
    shown = value if isinstance(value, (str, int, float)) else type(value).__name__
    return binding_error(
        cmdlet, "CannotConvertArgumentNoMessage",
        f"Cannot bind parameter '{parameter.name}'. Cannot convert value \"{shown}\" to type "
        f"\"{_type_display(parameter)}\". Error: \"{detail}\"", target=str(shown))


def _common_value(cmdlet: CmdletInfo, name: str, value: typing.Any) -> typing.Any:
    if name in COMMON_SWITCHES:
        return True if value is None else bool(value)
    if name in ("ErrorAction", "WarningAction", "InformationAction", "ProgressAction"):
        text = getattr(value, "name", value)
        for preference in ACTION_PREFERENCES:
            if str(text).lower() == preference.lower():
                return preference
        raise binding_error(cmdlet, "CannotConvertArgumentNoMessage",
                            f"Cannot bind parameter '{name}'. Cannot convert value \"{text}\" to type "
                            "\"System.Management.Automation.ActionPreference\". Error: \"Unable to match the "
                            "identifier name to a valid enumerator name. Specify one of the following enumerator "
                            f"names and try again: {', '.join(ACTION_PREFERENCES)}\"", target=str(text))
    return value


def bind(cmdlet: CmdletInfo, call: CommandCall, expects_input: bool) -> Bound:
    """Bind a call's arguments; ``expects_input``: objects will come down the pipeline."""
    named: dict[str, typing.Any] = {}
    common: dict[str, typing.Any] = {}
    positional: list[typing.Any] = []
    for given, value in call.parameters:
        if given is None:
            positional.append(value)
            continue
        canonical = _resolve_name(cmdlet, given.lstrip("-"))
        if canonical in named or canonical in common:
            raise binding_error(cmdlet, "ParameterAlreadyBound",
                                f"Cannot bind parameter because parameter '{canonical}' is specified more than once. "
                                "To provide multiple values to parameters that can accept multiple values, use the "
                                "array syntax. For example, \"-parameter value1,value2,value3\".", target=canonical)
        if canonical in COMMON_PARAMETERS and canonical not in cmdlet.parameter_names().values():
            common[canonical] = _common_value(cmdlet, canonical, value)
        else:
            named[canonical] = value
    candidates = [name for name, parameters in cmdlet.sets.items() if set(named) <= set(parameters)]
    if not candidates:
        raise binding_error(cmdlet, "AmbiguousParameterSet",
                            "Parameter set cannot be resolved using the specified named parameters. One or more "
                            "parameters issued cannot be used together or an insufficient number of parameters were "
                            "provided.")
    bound_per_set = {name: _bind_positionals(cmdlet, name, dict(named), positional) for name in candidates}
    usable = {name: bound for name, bound in bound_per_set.items() if bound is not None}
    if not usable:
        raise binding_error(cmdlet, "PositionalParameterNotFound",
                            f"A positional parameter cannot be found that accepts argument '{positional[-1]}'.",
                            target=str(positional[-1]))
    chosen = _choose_set(cmdlet, usable, expects_input)
    converted = _convert_all(cmdlet, chosen, usable[chosen])
    options: list[tuple[str, dict[str, typing.Any]]] = []
    if expects_input:
        ordered = [chosen] + [name for name in usable if name != chosen and _takes_pipeline(cmdlet, name, usable[name])]
        for name in ordered:
            try:
                options.append((name, _convert_all(cmdlet, name, usable[name])))
            except CmdletError:
                continue
    return Bound(cmdlet=cmdlet, parameter_set=chosen, params=converted, common=common, options=options)


def _convert_all(cmdlet: CmdletInfo, set_name: str, params: dict[str, typing.Any]) -> dict[str, typing.Any]:
    parameters = cmdlet.sets[set_name]
    return {name: convert(cmdlet, parameters[name], value) for name, value in params.items()}


def _bind_positionals(cmdlet: CmdletInfo, set_name: str, named: dict[str, typing.Any],
                      positional: list[typing.Any]) -> dict[str, typing.Any] | None:
    parameters = cmdlet.sets[set_name]
    open_positions = sorted((p for p in parameters.values() if p.position is not None and p.name not in named),
                            key=lambda p: typing.cast(int, p.position))
    if len(positional) > len(open_positions):
        return None
    for parameter, value in zip(open_positions, positional):
        named[parameter.name] = value
    return named


def _missing(cmdlet: CmdletInfo, set_name: str, params: dict[str, typing.Any], expects_input: bool) -> list[str]:
    missing = []
    for parameter in cmdlet.sets[set_name].values():
        if not parameter.required or parameter.name in params:
            continue
        if expects_input and (parameter.by_value or parameter.by_property_name):
            continue
        missing.append(parameter.name)
    return missing


def _choose_set(cmdlet: CmdletInfo, usable: dict[str, dict[str, typing.Any]], expects_input: bool) -> str:
    if len(usable) == 1:
        only = next(iter(usable))
        _require_mandatory(cmdlet, only, usable[only], expects_input)
        return only
    complete = [name for name, params in usable.items() if not _missing(cmdlet, name, params, expects_input)]
    if expects_input:
        complete = [name for name in complete if _takes_pipeline(cmdlet, name, usable[name])] or complete
    if len(complete) == 1:
        return complete[0]
    pool = complete or list(usable)
    if cmdlet.default_set in pool:
        chosen = typing.cast(str, cmdlet.default_set)
        _require_mandatory(cmdlet, chosen, usable[chosen], expects_input)
        return chosen
    # sets where a given parameter is mandatory say more than sets where it is merely allowed
    specific = [name for name in pool
                if any(cmdlet.sets[name][p].required for p in usable[name] if p in cmdlet.sets[name])]
    if len(specific) == 1:
        return specific[0]
    if not complete and len(pool) > 1:
        raise binding_error(cmdlet, "AmbiguousParameterSet",
                            "Parameter set cannot be resolved using the specified named parameters. One or more "
                            "parameters issued cannot be used together or an insufficient number of parameters were "
                            "provided.")
    if len(pool) > 1 and not expects_input:
        raise binding_error(cmdlet, "AmbiguousParameterSet",
                            "Parameter set cannot be resolved using the specified named parameters. One or more "
                            "parameters issued cannot be used together or an insufficient number of parameters were "
                            "provided.")
    return pool[0]


def _takes_pipeline(cmdlet: CmdletInfo, set_name: str, params: dict[str, typing.Any]) -> bool:
    return any((p.by_value or p.by_property_name) and p.name not in params for p in cmdlet.sets[set_name].values())


def _require_mandatory(cmdlet: CmdletInfo, set_name: str, params: dict[str, typing.Any], expects_input: bool) -> None:
    missing = _missing(cmdlet, set_name, params, expects_input)
    if missing:
        raise binding_error(cmdlet, "MissingMandatoryParameter",
                            "Cannot process command because of one or more missing mandatory parameters: "
                            f"{' '.join(missing)}.")


# -- pipeline input ---------------------------------------------------------------------------------

def short_type_names(value: typing.Any) -> list[str]:
    """Type names of a pipeline object, without namespaces (``Microsoft.HyperV.PowerShell.VirtualMachine``
    -> ``VirtualMachine``; ``Deserialized.`` prefixes dropped)."""
    if isinstance(value, PSOutObject):
        return [name.removeprefix("Deserialized.").rsplit(".", 1)[-1].split("#", 1)[0] for name in value.type_names]
    return {str: ["String"], bool: ["Boolean"], int: ["Int32", "Int64"], float: ["Double"]}.get(type(value), ["Object"])


def _fits(parameter: Parameter, value: typing.Any) -> bool:
    base = parameter.base_type
    if base in ("PSObject", "Object"):
        return True
    names = short_type_names(value)
    if base in names:
        return True
    if base == "String" and not isinstance(value, PSOutObject):
        return True
    return False


def property_of(value: typing.Any, name: str) -> tuple[bool, typing.Any]:
    """(found, value) of a property (case-insensitive) of a pipeline object."""
    if isinstance(value, PSOutObject):
        for key, item in value.properties.items():
            if key.lower() == name.lower():
                return True, item
    elif isinstance(value, dict):
        for key, item in value.items():
            if str(key).lower() == name.lower():
                return True, item
    return False, None


def bind_input(bound: Bound, value: typing.Any) -> tuple[str, dict[str, typing.Any]]:
    """(parameter set, parameters) for one pipeline object. As PowerShell does: first a ByValue parameter whose
    type the object has, in any candidate set; then ByPropertyName parameters, in any candidate set."""
    first_error: CmdletError | None = None
    options = bound.options or [(bound.parameter_set, bound.params)]
    for by_value in (True, False):
        for set_name, params in options:
            try:
                return set_name, _bind_one(bound.cmdlet, set_name, params, value, by_value)
            except CmdletError as exc:
                first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _bind_one(cmdlet: CmdletInfo, set_name: str, given: dict[str, typing.Any], value: typing.Any,
              by_value: bool) -> dict[str, typing.Any]:
    parameters = cmdlet.sets[set_name]
    params = dict(given)
    open_parameters = [p for p in parameters.values() if p.name not in params]
    taken = False
    if by_value:
        for parameter in open_parameters:
            if parameter.by_value and _fits(parameter, value):
                try:
                    params[parameter.name] = convert(cmdlet, parameter, value)
                except CmdletError:
                    continue
                taken = True
                break
    else:
        for parameter in open_parameters:
            if not parameter.by_property_name:
                continue
            for name in (parameter.name, *parameter.aliases):
                found, item = property_of(value, name)
                if found:
                    params[parameter.name] = convert(cmdlet, parameter, item)
                    taken = True
                    break
    if not taken:
        raise binding_error(cmdlet, "InputObjectNotBound",
                            "The input object cannot be bound to any parameters for the command either because the "
                            "command does not take pipeline input or the input and its properties do not match any "
                            "of the parameters that take pipeline input.")
    return _complete(cmdlet, set_name, params)


def _complete(cmdlet: CmdletInfo, set_name: str, params: dict[str, typing.Any]) -> dict[str, typing.Any]:
    missing = [p.name for p in cmdlet.sets[set_name].values() if p.required and p.name not in params]
    if missing:
        raise binding_error(cmdlet, "InputObjectNotBound",
                            "The input object cannot be bound because it did not contain the information required "
                            f"to bind all mandatory parameters: {' '.join(missing)}")
    return params


def is_all_sets(set_name: str) -> bool:
    return set_name == ALL_SETS
