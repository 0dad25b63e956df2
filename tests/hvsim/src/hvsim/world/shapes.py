"""Output objects with the full property set of their real type (``hvsim.world.hyperv_types``).

A cmdlet gives the values it models; every other property of the type carries the .NET default of its declared
type (null, 0, false, the enum member of value 0 or else the first member, an empty collection), so a client sees
the property list a real host sends. A name the type does not have is a programming error (KeyError).
"""

from __future__ import annotations

import datetime
import typing

from hvsim.contract import Char, Guid, Int64, PSEnumValue, PSOutObject, UInt16, UInt32, UInt64, Version
from hvsim.world import hyperv_types, platform_types

# every output type hvsim builds with its full property set: Hyper-V's and the platform's (each list cites its source)
PROPERTIES: dict[str, tuple[tuple[str, str], ...]] = {**hyperv_types.PROPERTIES, **platform_types.PROPERTIES}
ALIASES: dict[str, dict[str, str]] = {**hyperv_types.ALIASES, **platform_types.ALIASES}
ENUMS: dict[str, dict[str, int]] = {**hyperv_types.ENUMS, **platform_types.ENUMS}

EMPTY_GUID = Guid("00000000-0000-0000-0000-000000000000")
# Microsoft.Management.Infrastructure.CimSession of a local Hyper-V cmdlet call; its ToString is "CimSession: ."
CIM_SESSION_TYPE = "Microsoft.Management.Infrastructure.CimSession"
_COLLECTIONS = ("[]", "System.Collections.Generic.List<", "System.Collections.Generic.IReadOnlyList<",
                "System.Collections.Generic.IReadOnlyCollection<", "System.Collections.Generic.IList<",
                "System.Collections.ObjectModel.")
_NUMBERS: dict[str, typing.Callable[[int], int]] = {
    "System.Int32": int, "System.Int16": int, "System.Byte": int, "System.UInt16": UInt16, "System.Int64": Int64,
    "System.UInt32": UInt32, "System.UInt64": UInt64}


def cim_session() -> PSOutObject:
    return PSOutObject([CIM_SESSION_TYPE], {}, to_string="CimSession: .")


def default_of(dotnet_type: str) -> typing.Any:
    """The .NET default value of a declared property type."""
    if dotnet_type.startswith("System.Nullable<") or dotnet_type in ("System.String", "System.Object"):
        return None
    if any(marker in dotnet_type for marker in _COLLECTIONS):
        return []
    if dotnet_type in _NUMBERS:
        return _NUMBERS[dotnet_type](0)
    if dotnet_type == "System.Boolean":
        return False
    if dotnet_type == "System.Guid":
        return EMPTY_GUID
    if dotnet_type == "System.TimeSpan":
        return datetime.timedelta(0)
    if dotnet_type == "System.DateTime":
        return datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)
    if dotnet_type == "System.Version":
        return Version("0.0")
    if dotnet_type == CIM_SESSION_TYPE:
        return cim_session()
    if dotnet_type in ENUMS:
        members = ENUMS[dotnet_type]
        name = next((n for n, v in members.items() if v == 0), next(iter(members)))
        return PSEnumValue(dotnet_type, name, members[name])
    return None  # a complex object hvsim does not model


def _nullable_base(dotnet_type: str) -> str:
    return dotnet_type[len("System.Nullable<"):-1] if dotnet_type.startswith("System.Nullable<") else dotnet_type


def typed(name: str, value: typing.Any, dotnet_type: str) -> typing.Any:
    """``value`` as the declared .NET type serializes (Guid as <G>, Int64 as <I64>, ...); an enum value must be a
    member of the declared enum with its real value."""
    base = _nullable_base(dotnet_type)
    if value is None:
        return None
    if base == "System.Guid" and isinstance(value, str) and not isinstance(value, Guid):
        return Guid(value)
    if base == "System.DateTime" and not isinstance(value, datetime.datetime):
        # the world keeps some times as ISO text; PowerShell sends a DateTime property as <DT>, never as <S>
        try:
            return datetime.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{name}: {value!r} is not a {base}") from None
    if base == "System.Char" and isinstance(value, str) and len(value) == 1:
        return Char(value)
    if base in _NUMBERS and isinstance(value, int) and not isinstance(value, bool):
        return _NUMBERS[base](value)
    if isinstance(value, PSEnumValue) and base in ENUMS:
        flags = [part.strip() for part in value.name.split(",")]
        if value.type_name != base or any(ENUMS[base].get(flag) is None for flag in flags) or (
                len(flags) == 1 and ENUMS[base][flags[0]] != value.value):
            raise ValueError(f"{name}: {value} is not a value of {base}")
    return value


def shaped(type_names: list[str], values: dict[str, typing.Any], to_string: str | None = None) -> PSOutObject:
    """An object of ``type_names[0]`` (a key of PROPERTIES): its alias properties, then every property in the
    type's order, from ``values`` or defaulted."""
    declared = PROPERTIES[type_names[0]]
    aliases = ALIASES.get(type_names[0], {})
    null_default = type_names[0] in platform_types.NULL_DEFAULT
    known = {name for name, _type in declared} | set(aliases)
    unknown = set(values) - known
    if unknown:
        raise KeyError(f"{type_names[0]} has no property {', '.join(sorted(unknown))}")
    properties: dict[str, typing.Any] = {}
    for name, dotnet_type in declared:
        properties[name] = typed(name, values[name], dotnet_type) if name in values else (
            None if null_default else default_of(dotnet_type))
    if "CimSession" in properties and properties["CimSession"] is None:
        properties["CimSession"] = cim_session()
    # an alias gives its target's value; a script property (no target) what the cmdlet gave, else null
    ordered = {alias: values.get(alias, properties.get(target)) for alias, target in aliases.items()}
    ordered.update(properties)
    return PSOutObject(list(type_names), ordered, to_string)


def property_names(type_name: str) -> frozenset[str]:
    """Every property an object of ``type_name`` carries (its own and its type data's), for readers' checks."""
    return frozenset([name for name, _type in PROPERTIES[type_name]] + list(ALIASES.get(type_name, {})))
