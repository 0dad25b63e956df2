"""`hvsim serve` as a process (ready line, SIGTERM) and the admin API (world, reachability, faults, counters)."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import typing
import urllib.request

import pytest
import requests
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvsim.runner import start_estate

BLOCK = 60 + os.getpid() % 30


def admin(estate: typing.Any, path: str, body: dict[str, typing.Any] | None = None) -> typing.Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(estate.admin.url + path, data=data, method="POST" if data else "GET",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback admin API
        return json.loads(response.read())


def get_vm_names(estate: typing.Any) -> list[str]:
    wsman = WSMan(estate.address("hv1"), port=estate.http_port, ssl=False, auth="ntlm",
                  username="LAB\\Administrator", password="Passw0rd!", connection_timeout=5, read_timeout=10)
    with wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-VM").add_cmdlet("Select-Object").add_parameter("ExpandProperty", "Name")
        return sorted(str(name) for name in ps.invoke())


@pytest.fixture()
def lab3() -> typing.Iterator[typing.Any]:
    estate = start_estate("lab3", block=BLOCK, http_port=15985, https_port=15986, admin_port=0)
    try:
        yield estate
    finally:
        estate.stop()


def test_admin_api_world_reachability_faults_and_counters(lab3: typing.Any) -> None:
    world = admin(lab3, "/world")
    assert sorted(world["machines"]) == ["dc1", "elm1", "fs1", "hv1", "hv2", "hv3", "mgmt1"]
    assert admin(lab3, "/reachable?src=lan&dst=hv1") == {"reachable": True}
    assert get_vm_names(lab3) == ["app1", "legacy1", "web1", "ws1"]
    counters = admin(lab3, "/counters")["hv1"]
    assert counters["pipelines"] >= 1 and counters["cmdlet_calls"] >= 1 and counters["wsman_messages"] > 3
    admin(lab3, "/counters/reset", {})
    assert admin(lab3, "/counters")["hv1"]["pipelines"] == 0

    admin(lab3, "/faults", {"machine": "hv1", "kind": "http503", "count": 1})
    with pytest.raises(Exception):  # noqa: B017 - whichever error pypsrp raises for a 503
        get_vm_names(lab3)
    assert get_vm_names(lab3) == ["app1", "legacy1", "web1", "ws1"], "the fault was for one request only"

    admin(lab3, "/faults", {"machine": "hv1", "kind": "http503", "count": 5})
    admin(lab3, "/faults", {"machine": "hv1", "kind": "clear"})  # the documented kinds: clear and delay (issue 16)
    assert get_vm_names(lab3) == ["app1", "legacy1", "web1", "ws1"], "clear removed the pending fault"
    admin(lab3, "/faults", {"machine": "hv1", "kind": "delay", "seconds": 0.5, "count": 1})
    started = time.monotonic()
    get_vm_names(lab3)
    assert time.monotonic() - started >= 0.5

    admin(lab3, "/faults", {"machine": "hv1", "kind": "disk_full", "volume": "D:"})
    assert lab3.world.machine("hv1").fs.free_space("D:") == 0
    admin(lab3, "/power", {"machine": "hv2", "state": "off"})
    assert admin(lab3, "/reachable?src=lan&dst=hv2") == {"reachable": False}


def test_admin_api_moves_the_world_clock(lab3: typing.Any) -> None:
    assert admin(lab3, "/clock", {"seconds": 90}) == {"now": 90.0}
    assert admin(lab3, "/clock", {"seconds": 30.5}) == {"now": 120.5}
    assert lab3.world.clock.now == 120.5


def test_serve_prints_ready_and_stops_on_sigterm(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "calls.jsonl"
    process = subprocess.Popen(  # noqa: S603 - our own command-line entry point
        [sys.executable, "-m", "hvsim.cli", "serve", "--estate", "workgroup", "--block", str(BLOCK + 40),
         "--http-port", "15987", "--https-port", "15988", "--admin-port", "0", "--call-log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "hvsim ready"
        details = json.loads(process.stdout.readline())
        assert details["machines"]["wg1"] == f"127.{BLOCK + 40}.0.21" and details["call_log"] == str(log)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_a_lost_answer_means_the_request_was_handled(lab3: typing.Any) -> None:
    """`lost`: the host acts on the request, then the connection resets instead of the answer."""
    wsman = WSMan(lab3.address("hv1"), port=lab3.http_port, ssl=False, auth="ntlm",
                  username="LAB\\Administrator", password="Passw0rd!", connection_timeout=5, read_timeout=10)
    pool = RunspacePool(wsman)
    pool.open()
    ps = PowerShell(pool)
    ps.add_cmdlet("New-VMSwitch").add_parameter("Name", "lost-answer").add_parameter("SwitchType", "Private")
    admin(lab3, "/faults", {"machine": "hv1", "kind": "lost", "count": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        ps.invoke()
    # the session's connection is gone with its authentication (a new one would start over); the host acted anyway
    assert [s.name for s in lab3.world.machine("hv1").hyperv.switches.values()].count("lost-answer") == 1


NO_KDC_CONF = pathlib.Path(__file__).resolve().parents[3] / "integration" / "hostmap" / "krb5-no-kdc.conf"


def _auths(log: pathlib.Path, machine: str) -> set[tuple[str, str]]:
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return {(r["auth"], r.get("client_principal", "")) for r in records if r["machine"] == machine}


def test_negotiate_without_a_kdc_is_the_ntlm_it_is(lab3: typing.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No KDC serves this estate: the client gets no ticket and Negotiate falls back to NTLM, which the call log
    records as NTLM (it was once relabelled Kerberos for domain users), so no Kerberos-only rule applies to it."""
    monkeypatch.setenv("KRB5_CONFIG", str(NO_KDC_CONF))
    wsman = WSMan(lab3.address("hv1"), port=lab3.http_port, ssl=False, auth="negotiate",
                  username="Administrator@LAB.TEST", password="Passw0rd!", connection_timeout=5, read_timeout=10)
    with wsman, RunspacePool(wsman) as pool:
        PowerShell(pool).add_cmdlet("Get-VM").invoke()
    assert {auth for auth, _principal in _auths(lab3.call_log_path, "hv1")} == {"ntlm"}


def test_serve_with_a_samba_dc_is_kerberos_by_name(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`hvsim serve --kdc samba`: a Samba AD DC on dc1's address is the domain's KDC; a client asking for
    HTTP/hv1.lab.test gets a ticket and the host accepts it (the call log says kerberos and who)."""
    from hvsim.samba import unavailable_reason  # pylint: disable=import-outside-toplevel

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    log = tmp_path / "calls.jsonl"
    block = BLOCK + 80
    process = subprocess.Popen(  # noqa: S603 - our own command-line entry point
        [sys.executable, "-m", "hvsim.cli", "serve", "--estate", "lab3", "--kdc", "samba", "--block", str(block),
         "--http-port", "15989", "--https-port", "15990", "--admin-port", "0", "--call-log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "hvsim ready"
        details = json.loads(process.stdout.readline())
        assert details["kdc"]["realm"] == "LAB.TEST" and details["kdc"]["address"] == details["machines"]["dc1"]
        assert process.stdout.readline().startswith("hvsim directory: a Samba AD DC is the domain's KDC")
        monkeypatch.setenv("KRB5_CONFIG", details["kdc"]["krb5_conf"])
        wsman = WSMan(details["machines"]["hv1"], port=15989, ssl=False, auth="kerberos",
                      negotiate_hostname_override="hv1.lab.test", username="Administrator@LAB.TEST",
                      password="Passw0rd!", connection_timeout=5, read_timeout=10)
        with wsman, RunspacePool(wsman) as pool:
            PowerShell(pool).add_cmdlet("Get-VM").invoke()
        assert _auths(log, "hv1") == {("kerberos", "Administrator@LAB.TEST")}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
