"""Fixtures: a fresh simulated estate per test, on an address block of its own."""

from __future__ import annotations

import os
import typing

import pytest

from hvsim.runner import RunningEstate, start_estate

# A block per test process, so parallel runs on one machine never share addresses.
BLOCK = 100 + os.getpid() % 150


def _estate(name: str) -> typing.Iterator[RunningEstate]:
    estate = start_estate(name, block=BLOCK, admin_port=0)
    try:
        yield estate
    finally:
        estate.stop()


@pytest.fixture
def lab3() -> typing.Iterator[RunningEstate]:
    yield from _estate("lab3")


@pytest.fixture
def workgroup() -> typing.Iterator[RunningEstate]:
    yield from _estate("workgroup")
