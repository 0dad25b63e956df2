# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deserialised PowerShell objects (pypsrp) to plain Python data.

FOR INTERNAL COLLECTION USE ONLY.

Enums become their names, numbers stay ints (sizes in bytes), DateTime/TimeSpan stay the ISO-style
strings pypsrp gives, objects become dicts of their properties, collections become lists/dicts.
"""

from __future__ import annotations

import typing as t

_ENUM_TYPES = ("System.Enum",)


def _types_of(value: t.Any) -> list[str]:
    types = getattr(value, "types", None)
    if types is None:
        types = getattr(value, "_types", None)
    return list(types or [])


def to_plain(value: t.Any, _depth: int = 0) -> t.Any:
    """Convert one deserialised value; unknown objects fall back to their ToString."""
    if _depth > 32:
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {str(to_plain(key, _depth + 1)): to_plain(item, _depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_plain(item, _depth + 1) for item in value]
    types = _types_of(value)
    if any(name in types for name in _ENUM_TYPES):
        return _enum_name(value)
    adapted = getattr(value, "adapted_properties", None)
    extended = getattr(value, "extended_properties", None)
    if isinstance(adapted, dict) or isinstance(extended, dict):
        properties = {**(adapted or {}), **(extended or {})}
        if properties:
            return {str(name): to_plain(item, _depth + 1) for name, item in properties.items()}
        property_sets = getattr(value, "property_sets", None)
        if property_sets:
            return to_plain(property_sets[0] if len(property_sets) == 1 else property_sets, _depth + 1)
    text = getattr(value, "to_string", None)
    if text is None:
        text = getattr(value, "_to_string", None)
    return text if text is not None else str(value)


def _enum_name(value: t.Any) -> str | int:
    text = getattr(value, "to_string", None)
    if text is None:
        text = getattr(value, "_to_string", None)
    if text is not None:
        return str(text)
    property_sets = getattr(value, "property_sets", None) or []
    return property_sets[0] if property_sets else str(value)
