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
    PSCredential,
    PSDateTime,
    PSDouble,
    PSDuration,
    PSEnumBase,
    PSInt,
    PSInt64,
    PSList,
    PSObject,
    PSSecureString,
    PSString,
    PSType,
    PSUInt,
    PSUInt64,
    add_note_property,
)

from hvsim.contract import Credential, ErrorInfo, Int64, PSEnumValue, PSOutObject, SecureValue, UInt32, UInt64

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


def to_ps(value: typing.Any, _depth: int = 0) -> typing.Any:
    """A contract value as a psrpcore object."""
    if _depth > 40:
        return PSString(str(value))
    if value is None:
        return None
    if isinstance(value, PSOutObject):
        obj = PSObject()
        names = list(value.type_names)
        if "System.Object" not in names:
            names.append("System.Object")
        obj.PSObject.type_names = names
        if value.to_string is not None:
            obj.PSObject.to_string = value.to_string
        for name, item in value.properties.items():
            add_note_property(obj, name, to_ps(item, _depth + 1))
        return obj
    if isinstance(value, PSEnumValue):
        member = _enum_member(value.type_name, value.name, value.value)
        if not value.name.isidentifier():
            member.PSObject.to_string = value.name
        return member
    if isinstance(value, bool):
        return value
    if isinstance(value, UInt64):
        return PSUInt64(int(value))
    if isinstance(value, UInt32):
        return PSUInt(int(value))
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
    if isinstance(value, dict):
        return {to_ps(key, _depth + 1): to_ps(item, _depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return PSList([to_ps(item, _depth + 1) for item in value])
    return PSString(str(value))


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
