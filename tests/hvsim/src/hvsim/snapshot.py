"""The world as JSON-able data: for the admin API and for tests comparing before and after."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import typing

_SKIP_TYPES = (type(typing.cast(typing.Any, None)),)


def to_data(value: typing.Any, _seen: frozenset[int] = frozenset()) -> typing.Any:
    """Dataclasses, dicts, lists, sets, enums and dates as plain JSON data; locks and callables dropped."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (datetime.datetime, datetime.date, datetime.timedelta)):
        return str(value)
    if id(value) in _seen:
        return "<cycle>"
    seen = _seen | {id(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        result: dict[str, typing.Any] = {}
        for item in dataclasses.fields(value):
            if item.name.startswith("_"):
                continue
            field_value = getattr(value, item.name)
            if _is_runtime_object(field_value):
                continue
            result[item.name] = to_data(field_value, seen)
        return result
    if isinstance(value, dict):
        return {str(key): to_data(item, seen) for key, item in value.items() if not _is_runtime_object(item)}
    if isinstance(value, (list, tuple)):
        return [to_data(item, seen) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_data(item, seen) for item in value), key=str)
    if _is_runtime_object(value):
        return None
    if hasattr(value, "__dict__"):
        return {key: to_data(item, seen) for key, item in vars(value).items()
                if not key.startswith("_") and not _is_runtime_object(item)}
    return str(value)


def _is_runtime_object(value: typing.Any) -> bool:
    return callable(value) or type(value).__name__ in ("RLock", "lock", "Lock", "Thread", "Event", "Condition")
