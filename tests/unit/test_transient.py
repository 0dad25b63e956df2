"""One classification of transport faults for the PowerShell channel (pypsrp) and the native one (pywinrm)."""

from __future__ import annotations

import pypsrp.exceptions
import pytest
import requests.exceptions
import winrm.exceptions

from ansible_collections.winvirt.hyperv.plugins.module_utils._transient import is_transient


@pytest.mark.parametrize("exc", [
    requests.exceptions.ConnectionError("reset"),
    requests.exceptions.ReadTimeout("slow"),
    requests.exceptions.ConnectTimeout("no answer"),
    requests.exceptions.ChunkedEncodingError("cut"),
    ConnectionResetError(104, "reset by peer"),
    pypsrp.exceptions.WinRMTransportError("http", 503, "busy"),
    winrm.exceptions.WinRMTransportError("http", 502, "bad gateway"),
], ids=lambda exc: type(exc).__name__ + str(getattr(exc, "code", "")))
def test_faults_worth_another_try(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize("exc", [
    None,
    requests.exceptions.SSLError("certificate verify failed"),
    pypsrp.exceptions.AuthenticationError("401"),
    pypsrp.exceptions.WinRMTransportError("http", 401, "unauthorized"),
    pypsrp.exceptions.WinRMTransportError("http", 500, "fault"),
    winrm.exceptions.WinRMTransportError("http", 400, "bad request"),
    pypsrp.exceptions.WSManFaultError(503, "machine", "reason", 503),  # a fault's code is not an HTTP status
    ValueError("a bug"),
], ids=lambda exc: type(exc).__name__ + str(getattr(exc, "code", "")))
def test_faults_that_another_try_cannot_fix(exc: BaseException | None) -> None:
    assert not is_transient(exc)
