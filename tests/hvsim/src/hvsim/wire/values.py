"""psrpcore values <-> the plain values of hvsim.contract.

Inbound (client -> server): psrpcore deserialises the CLIXML of command parameters and pipeline
input; ``to_plain`` turns those into str/int/bool/list/dict/SecureValue/Credential.
Outbound (server -> client): ``to_ps`` turns contract values (PSOutObject, PSEnumValue, UInt64, ...)
into psrpcore objects that serialise to the CLIXML Windows PowerShell would send.
"""

from __future__ import annotations

import datetime
import enum
import functools
import typing
import uuid

from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    ErrorRecord,
    NETException,
    PSByteArray,
    PSChar,
    PSCredential,
    PSDateTime,
    PSDouble,
    PSDuration,
    PSEnumBase,
    PSInt,
    PSInt64,
    PSGuid,
    PSList,
    PSNoteProperty,
    PSObject,
    PSSecureString,
    PSString,
    PSType,
    PSUInt,
    PSUInt16,
    PSUInt64,
    PSVersion,
    add_note_property,
)

from hvsim.contract import (
    Char,
    Credential,
    ErrorInfo,
    Guid,
    Int64,
    PSEnumValue,
    PSOutObject,
    SecureValue,
    UInt16,
    UInt32,
    UInt64,
    Version,
)

_INT32 = (-(2**31), 2**31 - 1)


# -- inbound ---------------------------------------------------------------------------------
def to_plain(value: typing.Any, _depth: int = 0) -> typing.Any:
    """A deserialised psrpcore value as plain Python (see hvsim.contract)."""
    if _depth > 40:
        return str(value)
    if value is None:
        return None
    if isinstance(value, PSSecureString):
        return SecureValue(str(value.decrypt()))
    if isinstance(value, PSCredential):
        password = value.Password
        secret = str(password.decrypt()) if isinstance(password, PSSecureString) else str(password or "")
        return Credential(str(value.UserName), SecureValue(secret))
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime):
        return datetime.datetime.fromtimestamp(value.timestamp(), tz=value.tzinfo) if value.tzinfo else value
    if isinstance(value, datetime.timedelta):
        return datetime.timedelta(seconds=value.total_seconds())
    if isinstance(value, dict):
        return {to_plain(key, _depth + 1): to_plain(item, _depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_plain(item, _depth + 1) for item in value]
    if isinstance(value, PSObject):
        meta = value.PSObject
        properties = {**{p.name: p.get_value(value) for p in meta.adapted_properties},
                      **{p.name: p.get_value(value) for p in meta.extended_properties}}
        if properties:
            return PSOutObject(
                type_names=[name.removeprefix("Deserialized.") for name in meta.type_names],
                properties={name: to_plain(item, _depth + 1) for name, item in properties.items()},
                to_string=meta.to_string,
            )
        return meta.to_string if meta.to_string is not None else str(value)
    return value


# -- outbound --------------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _enum_member(type_name: str, name: str, value: int) -> typing.Any:
    """A one-member psrpcore enum that serialises as the .NET enum ``type_name``."""
    member = name if name.isidentifier() else "Value"
    base = PSEnumBase(f"Enum_{abs(hash((type_name, name, value)))}", {member: value})  # type: ignore[call-overload]
    cls = PSType([type_name])(base)
    return cls[member]


# Windows PowerShell serializes pipeline output for remoting to depth 1 (Fragmentor.SerializationDepthForRemoting,
# engine/remoting/fragmentor.cs) with the remoting options (UseDepthFromTypes: a type's SerializationDepth in its
# type data wins). The rules below follow InternalSerializer in engine/serialization.cs (see tests/hvsim/DESIGN.md):
# - a complex object at depth 0 is written as its ToString() string (HandlePSObjectAsString), so are enums;
# - a complex object at depth d > 0 writes its adapted (.NET) properties at d - 1 (WritePSObjectProperties) and its
#   instance members (note properties: Select-Object's output, [pscustomobject]) at d (WriteMemberInfoCollection);
# - containers (lists, hashtables) do not count: their items are written at the container's own depth;
# - primitive known types (string, numbers, bool, Guid, DateTime, TimeSpan, Version, byte[]) are always written;
# - a CimInstance is always written at depth 1 (GetDepthOfSerialization).
REMOTING_DEPTH = 1
# SerializationDepth from type data for the types hvsim returns. PowerShell's own types.ps1xml sets it only for
# PowerShell-internal types (JobStateEventArgs 2, CompletionResult 1, System.Net.IPAddress 1: TypeTable_Types_Ps1Xml.cs),
# none of which hvsim returns; no public copy of the Hyper-V module's type data was found, so none is assumed.
TYPE_SERIALIZATION_DEPTH: dict[str, int] = {}
PROPERTY_BAG = "System.Management.Automation.PSCustomObject"
CIM_INSTANCE = "Microsoft.Management.Infrastructure.CimInstance"


def is_property_bag(value: PSOutObject) -> bool:
    """A PSCustomObject (Select-Object output, [pscustomobject]): every property is an instance note property."""
    return PROPERTY_BAG in value.type_names


def to_string(value: typing.Any) -> str:
    """What ToString() gives for a contract value (the string a complex object becomes at depth 0)."""
    if value is None:
        return ""
    if isinstance(value, PSOutObject):
        if value.to_string is not None:
            return value.to_string
        if is_property_bag(value):
            return "@{" + "; ".join(f"{name}={to_string(item)}" for name, item in value.properties.items()) + "}"
        return value.type_names[0] if value.type_names else "System.Object"
    if isinstance(value, PSEnumValue):
        return value.name
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (list, tuple, set)):
        return " ".join(to_string(item) for item in value)
    return str(value)


def _depth_of(value: PSOutObject, depth: int) -> int:
    """InternalSerializer.GetDepthOfSerialization: CimInstance 1, type data's SerializationDepth, else ``depth``."""
    if any(name.startswith(CIM_INSTANCE) for name in value.type_names):
        return 1
    for name in value.type_names:
        if name in TYPE_SERIALIZATION_DEPTH:
            return TYPE_SERIALIZATION_DEPTH[name]
    return depth


def to_ps(value: typing.Any, depth: int = REMOTING_DEPTH) -> typing.Any:
    """A contract value as the psrpcore object Windows PowerShell would serialize at ``depth``."""
    if value is None:
        return None
    if isinstance(value, PSOutObject):
        return _complex(value, _depth_of(value, depth))
    if isinstance(value, PSEnumValue):
        if depth == 0:
            return PSString(value.name)
        member = _enum_member(value.type_name, value.name, value.value)
        if not value.name.isidentifier():
            member.PSObject.to_string = value.name
        return member
    if isinstance(value, bool):
        return value
    if isinstance(value, Guid):
        return PSGuid(str(value))
    if isinstance(value, Char):
        return PSChar(str(value))
    if isinstance(value, Version):
        return PSVersion(str(value))
    if isinstance(value, UInt64):
        return PSUInt64(int(value))
    if isinstance(value, UInt32):
        return PSUInt(int(value))
    if isinstance(value, UInt16):
        return PSUInt16(int(value))
    if isinstance(value, Int64):
        return PSInt64(int(value))
    if isinstance(value, int):
        return PSInt(value) if _INT32[0] <= value <= _INT32[1] else PSInt64(value)
    if isinstance(value, float):
        return PSDouble(value)
    if isinstance(value, str):
        return PSString(value)
    if isinstance(value, (bytes, bytearray)):
        return PSByteArray(bytes(value))
    if isinstance(value, datetime.datetime):
        return PSDateTime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                          value.microsecond, tzinfo=value.tzinfo or datetime.timezone.utc)
    if isinstance(value, datetime.timedelta):
        return PSDuration(seconds=value.total_seconds())
    if isinstance(value, SecureValue):
        return PSSecureString(value.secret)
    # containers do not use depth: their items are written at the container's own depth
    if isinstance(value, dict):
        return {to_ps(key, depth): to_ps(item, depth) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return PSList([to_ps(item, depth) for item in value])
    return PSString(str(value))


def _complex(value: PSOutObject, depth: int) -> typing.Any:
    if depth <= 0:
        return PSString(to_string(value))
    obj = PSObject()
    names = list(value.type_names)
    if "System.Object" not in names:
        names.append("System.Object")
    obj.PSObject.type_names = names
    if is_property_bag(value):
        # a property bag writes no ToString, and its note properties keep the object's depth
        for name, item in value.properties.items():
            add_note_property(obj, name, to_ps(item, depth))
        return obj
    obj.PSObject.to_string = to_string(value)
    obj.PSObject.adapted_properties = [PSNoteProperty(name, to_ps(item, depth - 1))
                                       for name, item in value.properties.items()]
    return obj


def error_record(info: ErrorInfo) -> ErrorRecord:
    """An ErrorRecord as Windows PowerShell serialises it (Exception, CategoryInfo, FullyQualifiedErrorId)."""
    exception = NETException(Message=info.message, HResult=info.hresult)
    exception.PSObject.type_names = [info.exception_type, "System.Exception", "System.Object"]
    exception.PSObject.to_string = f"{info.exception_type}: {info.message}"
    try:
        category = ErrorCategory[info.category]
    except KeyError:
        category = ErrorCategory.NotSpecified
    reason = info.reason or info.exception_type.rsplit(".", 1)[-1]
    category_info = ErrorCategoryInfo(
        Category=category,
        Activity=info.activity or "",
        Reason=reason,
        TargetName=info.target or "",
        TargetType="String" if info.target else "",
    )
    record = ErrorRecord(
        Exception=exception,
        CategoryInfo=category_info,
        TargetObject=info.target,
        FullyQualifiedErrorId=info.fqid,
    )
    record.PSObject.to_string = info.message
    return record
