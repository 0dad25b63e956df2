"""Fixtures: a fresh simulated estate per test, on an address block of its own."""

from __future__ import annotations

import os
import pathlib
import sys
import typing

import pytest

# The tests import the playbook harness that sits beside them (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from samba_dc import clean_dc, samba_dc  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

try:
    from hvsim.runner import start_estate

    SIMULATOR_MISSING: str | None = None
except ImportError as exc:  # the simulator core (issue 4) is still being built
    SIMULATOR_MISSING = f"hvsim is not complete yet: {exc}"

# A block per test process, so parallel runs on one machine never share addresses.
BLOCK = 100 + os.getpid() % 150


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SIMULATOR_MISSING is None:
        return
    marker = pytest.mark.skip(reason=SIMULATOR_MISSING)
    for item in items:
        if "integration" in str(item.path) and item.get_closest_marker("samba") is None:
            item.add_marker(marker)


def _estate(name: str) -> typing.Iterator[typing.Any]:
    estate = start_estate(name, block=BLOCK, admin_port=0)
    try:
        yield estate
    finally:
        estate.stop()


@pytest.fixture
def lab3() -> typing.Iterator[typing.Any]:
    yield from _estate("lab3")


@pytest.fixture
def workgroup() -> typing.Iterator[typing.Any]:
    yield from _estate("workgroup")
