"""Tests that run on hvsim (``make test``) and on a real Hyper-V lab (``make test-real INVENTORY=FILE``).

They take the ``estate`` fixture (estates.Estate: addresses, one administrator, a reader) and assert through the
independent reader (plain Get-* calls), never through hvsim's world. Each creates only objects named
``winvirt-test-<random>`` and removes them again, also when it fails. The last test runs the real lane itself
against hvsim, so its collection and skip logic are tested through ``make test-real``.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import typing

import pytest
from estates import load_inventory
from harness import ROOT, estate_inventory
from real_lane import play, unique_name


def test_host_info_reports_what_the_host_has(estate: typing.Any) -> None:
    for host in estate.hyperv_hosts:
        run = play(estate, host, [{"name": "info", "winvirt.hyperv.hyperv_host_info": {}, "register": "out"}])
        assert run.rc == 0, run.stdout
        result = run.result("info")
        assert result["changed"] is False and result["hyperv_running"] is True
        reader = estate.reader(host)
        assert {s["name"] for s in result["switches"]} == reader.names("Get-VMSwitch")
        [vmhost] = reader.get("Get-VMHost", properties=["LogicalProcessorCount"])
        assert result["reported"]["LogicalProcessorCount"] == vmhost["LogicalProcessorCount"]


def test_private_switch_is_created_unchanged_on_rerun_and_removed(estate: typing.Any) -> None:
    host, name = estate.hyperv_hosts[0], unique_name()
    reader = estate.reader(host)
    switch = {"name": "switch", "winvirt.hyperv.hyperv_switch": {"name": name, "switch_type": "private"},
              "register": "out"}
    try:
        first, again = play(estate, host, [switch]), play(estate, host, [switch])
        assert first.rc == 0 and first.result("switch")["changed"] is True, first.stdout
        assert again.rc == 0 and again.result("switch")["changed"] is False, again.stdout
        [row] = reader.get("Get-VMSwitch", {"Name": name}, ["Name", "SwitchType"])
        assert row == {"Name": name, "SwitchType": "Private"}
    finally:
        gone = play(estate, host, [{"name": "remove", "winvirt.hyperv.hyperv_switch": {"name": name, "state": "absent"}}])
    assert gone.rc == 0, gone.stdout
    assert reader.get("Get-VMSwitch", {"Name": name}) == []


def test_vm_is_created_off_unchanged_on_rerun_and_removed(estate: typing.Any) -> None:
    host, name = estate.hyperv_hosts[0], unique_name()
    reader = estate.reader(host)
    vm = {"name": "vm", "winvirt.hyperv.hyperv_vm": {"name": name, "generation": 2, "processor_count": 1,
                                                     "memory": {"startup_mb": 512}, "state": "present"},
          "register": "out"}
    try:
        first, again = play(estate, host, [vm]), play(estate, host, [vm])
        assert first.rc == 0 and first.result("vm")["changed"] is True, first.stdout
        assert again.rc == 0 and again.result("vm")["changed"] is False, again.stdout
        [row] = reader.get("Get-VM", {"Name": name}, ["Name", "State", "Generation", "MemoryStartup"])
        assert row == {"Name": name, "State": "Off", "Generation": 2, "MemoryStartup": 512 * 1024 * 1024}
    finally:
        gone = play(estate, host, [{"name": "remove", "winvirt.hyperv.hyperv_vm": {"name": name, "state": "absent"}}])
    assert gone.rc == 0, gone.stdout
    assert reader.get("Get-VM", {"Name": name}) == []


@pytest.mark.hvsim
def test_make_test_real_runs_the_real_lane_and_skips_what_needs_hvsim(lab3: typing.Any,
                                                                      tmp_path: pathlib.Path) -> None:
    """``make test-real`` against lab3 through its inventory, as a Hyper-V team runs it against its lab."""
    inventory = estate_inventory(lab3, "lab3", tmp_path, by_address=True)  # no Kerberos here: NTLM by address
    inventory.write_text(inventory.read_text(encoding="utf-8").replace(
        "hyperv_user: Administrator@LAB.TEST", "hyperv_user: LAB\\Administrator"), encoding="utf-8")
    completed = subprocess.run(
        ["make", "-s", "test-real", f"INVENTORY={inventory}",
         "REAL_TESTS=tests/integration/test_real_lane.py tests/integration/test_real_lane_stories.py "
         "tests/integration/test_hyperv_vm_info.py",
         "REAL_ARGS=-k 'host_info_reports or spn_query_matches or lists_every_vm or make_test_real'"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False, env={**os.environ, "PYTEST_ADDOPTS": ""})
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert re.search(r"\b2 passed\b", output) and re.search(r"\b2 skipped\b", output), output
    assert output.count("real estate: needs hvsim") == 2, output


@pytest.mark.real
def test_an_inventory_without_hyperv_hosts_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "inventory.yml"
    path.write_text("all:\n  vars: {hyperv_user: admin}\n  children:\n    file_servers:\n      hosts: {fs1: {}}\n")
    with pytest.raises(ValueError, match="no host in group hyperv_hosts"):
        load_inventory(path)
    path.write_text("all:\n  vars:\n    hyperv_user: LAB\\Administrator\n"
                    "    hyperv_password: \"{{ lookup('ansible.builtin.env', 'HYPERV_PASSWORD', default='pw') }}\"\n"
                    "  children:\n    hyperv_hosts:\n      hosts: {hv1: {ansible_host: 10.0.0.11}}\n")
    estate = load_inventory(path)
    assert estate.hyperv_hosts == ["hv1"] and estate.address("hv1") == "10.0.0.11"
    assert estate.credentials("hv1") == ("LAB\\Administrator", os.environ.get("HYPERV_PASSWORD") or "pw")
    assert estate.ldap == {}
    path.write_text(path.read_text().replace(
        "  children:", "    hyperv_ldap: {ldap_server: dc1.lab.example, ldap_ca_path: /etc/ca.pem}\n  children:"))
    assert load_inventory(path).ldap == {"ldap_server": "dc1.lab.example", "ldap_ca_path": "/etc/ca.pem",
                                         "ldap_username": "LAB\\Administrator",
                                         "ldap_password": os.environ.get("HYPERV_PASSWORD") or "pw"}
