"""The engine's own cmdlets, the ones that shape output: Write-Output, Select-Object, Where-Object,
Out-Null."""

from __future__ import annotations

import fnmatch
import re
import typing

from hvsim.contract import CmdletError, ErrorInfo, PSOutObject
from hvsim.engine.api import NO_INPUT, Invocation, cmdlet
from hvsim.engine.binder import property_of, short_type_names

_PROPERTY_NAME = re.compile(r"^[\w*?\[\]-]+$")


@cmdlet("Write-Output")
def write_output(inv: Invocation) -> typing.Iterator[typing.Any]:
    value = inv.get("InputObject")
    if isinstance(value, list) and not inv.get("NoEnumerate"):
        yield from value
    elif value is not None:
        yield value


@cmdlet("Out-Null")
def out_null(inv: Invocation) -> None:
    return None


def _property_names(inv: Invocation, value: typing.Any, wanted: list[typing.Any]) -> list[str]:
    names: list[str] = []
    available = list(value.properties) if isinstance(value, PSOutObject) else (
        [str(k) for k in value] if isinstance(value, dict) else [])
    for item in wanted:
        if not isinstance(item, str) or not _PROPERTY_NAME.match(item):
            raise CmdletError(ErrorInfo(
                message="hvsim's Select-Object takes property names only (no calculated properties)",
                category="NotImplemented", fqid="NotImplemented,hvsim.SelectObject", activity=inv.name))
        if any(ch in item for ch in "*?["):
            names.extend(name for name in available if fnmatch.fnmatchcase(name.lower(), item.lower()))
        else:
            names.append(item)
    return names


@cmdlet("Select-Object")
def select_object(inv: Invocation) -> typing.Iterator[typing.Any]:
    value = inv.get("InputObject") if inv.input is NO_INPUT else inv.input
    if value is None and inv.input is NO_INPUT:
        return
    expand = inv.get("ExpandProperty")
    if expand:
        found, item = property_of(value, expand)
        if not found:
            inv.write_error(ErrorInfo(
                message=f"Property \"{expand}\" cannot be found.", category="InvalidArgument",
                fqid="ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand",
                exception_type="System.Management.Automation.PSArgumentException"))
            return
        if isinstance(item, list):
            yield from item
        else:
            yield item
        return
    wanted = inv.get("Property")
    if not wanted:
        yield value
        return
    properties: dict[str, typing.Any] = {}
    excluded = {name.lower() for name in inv.get("ExcludeProperty") or []}
    for name in _property_names(inv, value, list(wanted)):
        if name.lower() in excluded:
            continue
        found, item = property_of(value, name)
        properties[name] = item if found else None
    first_type = value.type_names[0] if isinstance(value, PSOutObject) and value.type_names else "System.Object"
    yield PSOutObject(type_names=[f"Selected.{first_type}", "System.Management.Automation.PSCustomObject"],
                      properties=properties)


def _compare(operator: str, left: typing.Any, right: typing.Any) -> bool:
    sensitive = operator.startswith("C") and operator[1:] in _OPERATORS
    op = operator[1:] if sensitive else operator
    if op in ("Is", "IsNot"):
        result = str(right).rsplit(".", 1)[-1].strip("[]").lower() in [n.lower() for n in short_type_names(left)]
        return result if op == "Is" else not result

    def norm(value: typing.Any) -> typing.Any:
        if isinstance(value, PSOutObject):
            value = value.to_string
        if isinstance(value, str) and not sensitive:
            return value.lower()
        return value

    if op in ("In", "NotIn"):
        items = right if isinstance(right, list) else [right]
        result = norm(left) in [norm(i) for i in items]
        return result if op == "In" else not result
    if op in ("Contains", "NotContains"):
        items = left if isinstance(left, list) else [left]
        result = norm(right) in [norm(i) for i in items]
        return result if op == "Contains" else not result
    a, b = norm(left), norm(right)
    if isinstance(a, (int, float)) and isinstance(b, str):
        try:
            b = type(a)(b)
        except ValueError:
            pass
    if isinstance(a, str) and not isinstance(b, str) and b is not None:
        b = str(b).lower() if not sensitive else str(b)
    checks: dict[str, typing.Callable[[], bool]] = {
        "EQ": lambda: a == b, "NE": lambda: a != b,
        "GT": lambda: a is not None and b is not None and a > b, "GE": lambda: a is not None and b is not None and a >= b,
        "LT": lambda: a is not None and b is not None and a < b, "LE": lambda: a is not None and b is not None and a <= b,
        "Like": lambda: isinstance(a, str) and fnmatch.fnmatchcase(a, str(b)),
        "NotLike": lambda: not (isinstance(a, str) and fnmatch.fnmatchcase(a, str(b))),
        "Match": lambda: isinstance(a, str) and re.search(str(b), a, 0 if sensitive else re.IGNORECASE) is not None,
        "NotMatch": lambda: not (isinstance(a, str) and re.search(str(b), a, 0 if sensitive else re.IGNORECASE)),
    }
    return checks[op]()


_OPERATORS = ("EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "In", "NotIn",
              "Contains", "NotContains", "Is", "IsNot")


@cmdlet("Where-Object")
def where_object(inv: Invocation) -> typing.Iterator[typing.Any]:
    if inv.parameter_set == "ScriptBlockSet":
        raise CmdletError(ErrorInfo(message="hvsim's Where-Object does not run script blocks",
                                    category="NotImplemented", fqid="NotImplemented,hvsim.WhereObject"))
    value = inv.input if inv.input is not NO_INPUT else inv.get("InputObject")
    if value is None:
        return
    operator = next((name for name, given in inv.params.items()
                     if given is True and name not in ("InputObject", "Property", "Value")), None)
    found, left = property_of(value, inv.get("Property"))
    if operator is None:
        if found and bool(left):
            yield value
        return
    if _compare(operator, left if found else None, inv.get("Value")):
        yield value
