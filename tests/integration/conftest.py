"""Fixtures: a fresh simulated estate per test, on an address block of its own."""

from __future__ import annotations

import json
import os
import pathlib
import sys
import typing

import pytest

# The tests import the playbook harness that sits beside them (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from samba_dc import SambaDC, clean_dc, kerberize, samba_dc, unavailable_reason  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

from estates import load_inventory, simulated  # noqa: E402  pylint: disable=wrong-import-position
from harness import start_on_free_block  # noqa: E402  pylint: disable=wrong-import-position


def _kdc_unavailable() -> str | None:
    """Why lab3 estates run without the Samba DC (None: they have it). ``HVSIM_TEST_KDC=none`` runs them on
    hvsim's in-model directory, e.g. to compare timings; Kerberos-only delegation then fails as on Windows."""
    if os.environ.get("HVSIM_TEST_KDC", "").lower() == "none":
        return "HVSIM_TEST_KDC=none"
    return unavailable_reason()


def _estate(name: str, request: pytest.FixtureRequest | None = None) -> typing.Iterator[typing.Any]:
    """A started estate; a domain estate gets the process's Samba DC as KDC and directory where one can run."""
    estate = start_on_free_block(name)
    try:
        if request is not None and estate.world.domain is not None and _kdc_unavailable() is None:
            kerberize(request.getfixturevalue("samba_dc"), estate)
        yield estate
    finally:
        estate.stop()


@pytest.fixture
def lab3(request: pytest.FixtureRequest) -> typing.Iterator[typing.Any]:
    """lab3 with the process's Samba DC as KDC and directory (hosts accept real tickets; playbooks connect by
    FQDN, so Negotiate is Kerberos); hvsim's in-model directory where no DC can run (Negotiate is then NTLM)."""
    yield from _estate("lab3", request)


@pytest.fixture(scope="module")
def lab3_shared(request: pytest.FixtureRequest) -> typing.Iterator[typing.Any]:
    """One lab3 for a whole test file whose tests each check their own change (the attack suite)."""
    yield from _estate("lab3", request)


@pytest.fixture
def workgroup() -> typing.Iterator[typing.Any]:
    yield from _estate("workgroup")


@pytest.fixture
def lab3_kerberos(samba_dc: SambaDC) -> typing.Iterator[typing.Any]:  # pylint: disable=redefined-outer-name
    """lab3 whose KDC and directory are the process's Samba DC, or a skip where none can run: for the tests
    that are about Kerberos itself."""
    for estate in _estate("lab3"):
        kerberize(samba_dc, estate)
        yield estate


def _directory_line() -> str:
    """Which directory the estates use, so the in-model path is never silent (shown with -q too)."""
    reason = _kdc_unavailable()
    if reason is None:
        return "hvsim directory: lab3 estates -> the Samba DC of each test process (KDC + directory over LDAP)"
    return (f"hvsim directory: lab3 estates -> the in-model directory, no KDC ({reason}): Negotiate is NTLM, "
            "Kerberos tests skipped (see tests/hvsim/DESIGN.md)")


# The attack suite's figures: each process (an xdist worker, or pytest alone) writes its counts at the end of its
# session; the process that prints the summary adds them up.
FIGURES_DIR = pathlib.Path(__file__).resolve().parents[2] / "build" / "attack-figures"


def pytest_sessionstart(session: typing.Any) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without workers): start afresh
        for stale in FIGURES_DIR.glob("*.json"):
            stale.unlink()


def pytest_sessionfinish(session: typing.Any) -> None:
    attack = sys.modules.get("attack")
    if attack is not None and attack.FIGURES:
        FIGURES_DIR.mkdir(parents=True, exist_ok=True)
        (FIGURES_DIR / f"{os.getpid()}.json").write_text(json.dumps(dict(attack.FIGURES)))


def pytest_terminal_summary(terminalreporter: typing.Any) -> None:
    """Which directory the estates used; the attack suite's figures (tried / held per area), when it ran."""
    terminalreporter.write_line(_directory_line())
    totals: dict[str, list[int]] = {}
    for part in FIGURES_DIR.glob("*.json"):
        for area, (tried, held) in json.loads(part.read_text()).items():
            totals.setdefault(area, [0, 0])
            totals[area][0] += tried
            totals[area][1] += held
    if totals:
        from attack import figures_table  # noqa: PLC0415  pylint: disable=import-outside-toplevel

        terminalreporter.write_sep("=", "attack suite figures (tried / held per area)")
        terminalreporter.write_line(figures_table(totals))


# -- the real-estate lane (make test-real INVENTORY=FILE, docs/testing.md) ----------------------------------------
# Tests that take the ``estate`` fixture run on hvsim's lab3 here and on a real lab given an inventory; a test that
# takes hvsim's own fixtures (the world, its control, the Samba DC) is marked ``hvsim`` and skipped there.
HVSIM_FIXTURES = frozenset({"lab3", "lab3_kerberos", "workgroup", "samba_dc", "clean_dc"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--real-inventory", default=None, metavar="FILE",
                     help="run against the real estate this Ansible inventory describes (make test-real)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hvsim: needs hvsim's world or its control (faults, power, clock); "
                                       "skipped on a real estate")
    config.addinivalue_line("markers", "real: runs on a real estate too (takes the estate fixture)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    real = config.getoption("--real-inventory") is not None
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & HVSIM_FIXTURES or item.get_closest_marker("hvsim") is not None:
            item.add_marker(pytest.mark.hvsim)
            if real:
                item.add_marker(pytest.mark.skip(reason="real estate: needs hvsim (its world, control or Samba DC)"))
        elif "estate" in fixtures or item.get_closest_marker("real") is not None:
            item.add_marker(pytest.mark.real)
        elif real:
            item.add_marker(pytest.mark.skip(reason="real estate: needs hvsim (not written for the estate fixture)"))


@pytest.fixture(scope="session")
def _real_estate(request: pytest.FixtureRequest) -> typing.Any:
    path = request.config.getoption("--real-inventory")
    return load_inventory(path) if path else None


@pytest.fixture
def estate(_real_estate: typing.Any, request: pytest.FixtureRequest) -> typing.Iterator[typing.Any]:
    """The real estate of --real-inventory, else a fresh hvsim lab3 seen only through estates.Estate."""
    if _real_estate is not None:
        yield _real_estate
        return
    for running in _estate("lab3", request):
        seen = simulated(running)
        if getattr(running.world.directory, "store", None) is not None:  # the Samba DC is its directory
            seen.ldap = request.getfixturevalue("samba_dc").module_options()
        yield seen
