"""Every cmdlet hvsim implements refuses what PowerShell refuses, before its implementation runs."""

from __future__ import annotations

import typing

import pytest

from hvsim.contract import CommandCall, Failed, Principal
from hvsim.engine.api import REGISTRY
from hvsim.engine.catalog import load_catalog
from hvsim.engine.executor import Engine
from hvsim.estate import build_world
from hvsim.runner import estate_spec
from hvsim.server import load_world_modules
from hvsim.snapshot import to_data

load_world_modules()
IMPLEMENTED = sorted(REGISTRY)
ON_HOST = Principal(machine="hv1", user="LAB\\Administrator", auth="kerberos", delegable=False)
ON_DC = Principal(machine="dc1", user="LAB\\Administrator", auth="kerberos", delegable=False)


@pytest.fixture(scope="module")
def world() -> typing.Any:
    return build_world(estate_spec("lab3"))


def principal_for(name: str) -> Principal:
    info = load_catalog().find(name)
    return ON_DC if info is not None and info.module == "ActiveDirectory" else ON_HOST


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_an_unknown_parameter_is_refused_and_changes_nothing(world: typing.Any, name: str) -> None:
    before = to_data(world)
    events = list(Engine().run(principal_for(name), world, [[CommandCall(name, [("NoSuchParameterX", 1)])]], []))
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert events[0].info.fqid.startswith("NamedParameterNotFound,") and "NoSuchParameterX" in events[0].info.message
    assert to_data(world) == before


def _mandatory_everywhere(name: str) -> str | None:
    """A parameter mandatory in every parameter set of the cmdlet (so leaving it out can never bind)."""
    info = load_catalog().find(name)
    assert info is not None
    sets = [{p.name for p in parameters.values() if p.required} for parameters in info.sets.values()]
    common = set.intersection(*sets) if sets else set()
    return sorted(common)[0] if common else None


@pytest.mark.parametrize("name", [n for n in IMPLEMENTED if _mandatory_everywhere(n)])
def test_a_missing_mandatory_parameter_is_refused(world: typing.Any, name: str) -> None:
    events = list(Engine().run(principal_for(name), world, [[CommandCall(name, [])]], []))
    assert len(events) == 1 and isinstance(events[0], Failed)
    assert events[0].info.fqid.split(",")[0] in ("MissingMandatoryParameter", "AmbiguousParameterSet")


def test_every_implemented_cmdlet_is_in_the_catalog() -> None:
    catalog = load_catalog()
    assert [name for name in IMPLEMENTED if catalog.find(name) is None] == []
