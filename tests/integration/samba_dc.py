"""The Samba AD DC of the tests (hvsim.samba): one per test process, shared by its estates.

Starting a DC costs a few seconds (provision, then samba), so the tests of one process (a pytest-xdist
worker) share it; each estate that uses it resets the accounts to its starting state (``kerberize``) and the
AD tests reset them to HOST SPNs only (``clean_dc``). The DC is stopped, its process group killed, when the
process's session ends.
"""

from __future__ import annotations

import pathlib
import tempfile
import typing

import pytest
from hvsim.samba import (  # noqa: F401  pylint: disable=unused-import
    ADMIN,
    ADMIN_PASSWORD,
    BASE_DN,
    COMPUTERS,
    DC_NAME,
    DOMAIN,
    REALM,
    SambaDC,
    host_spns,
    kerberize,
    start_samba_dc,
    unavailable_reason,
)


@pytest.fixture(scope="session")
def samba_dc() -> typing.Iterator[SambaDC]:
    """One Samba AD DC per test process (pytest-xdist worker), with computer accounts hv1, hv2, hv3 and fs1."""
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="samba-dc-") as name:
        dc = start_samba_dc(pathlib.Path(name))
        try:
            yield dc
        finally:
            dc.stop()


@pytest.fixture
def clean_dc(samba_dc: SambaDC) -> SambaDC:  # pylint: disable=redefined-outer-name
    """The process's DC, reset to its initial accounts for this test."""
    samba_dc.reset()
    return samba_dc
