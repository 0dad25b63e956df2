"""Requirement B5 on three hosts: VLAN 20 VMs reach each other across hosts only when the management OS
side of vNet-LAN50 carries VLAN 20 too, and the role does that on a single-NIC host only with the cutoff accepted."""

from __future__ import annotations

import itertools
import typing as t

from harness import run_playbook_file

HOSTS = ("hv1", "hv2", "hv3")
# Each host gets its own lab VM, named after the host (the extra var is templated per host).
VMS = {"vlan_network_vms": [{"name": "lab-{{ inventory_hostname }}", "state": "running"}]}


def pairs() -> list[tuple[str, str]]:
    return [(f"{a}/lab-{a}", f"{b}/lab-{b}") for a, b in itertools.permutations(HOSTS, 2)]


def reachable_pairs(estate: t.Any) -> list[tuple[str, str]]:
    return [(src, dst) for src, dst in pairs() if estate.reachable(src, dst)]


def management_vlans(run: t.Any) -> dict[str, t.Any]:
    """Per host, the management OS VLAN of vNet-LAN50 as the role's last switch task reported it."""
    found: dict[str, t.Any] = {}
    for record in run.results:
        switch = record["result"].get("switch")
        if switch:
            found[record["host"]] = switch.get("management_vlan")
    return found


def test_b5_isolated_lab_network_across_three_hosts(lab3) -> None:
    before = lab3.snapshot()
    checked = run_playbook_file(lab3, "vlan_network.yml", inventory="lab3", extra_vars=VMS, check=True)
    assert checked.rc == 0, checked.stdout + checked.stderr
    assert lab3.snapshot() == before, "check mode changed the world"

    cautious = run_playbook_file(lab3, "vlan_network.yml", inventory="lab3", extra_vars=VMS)
    assert cautious.rc == 0, cautious.stdout + cautious.stderr
    # Every host reaches its management OS over vNet-LAN50 in lab3: without accepting the cutoff the role leaves
    # the management OS side untagged, says why, and the VLAN 20 VMs stay isolated per host.
    vlans = management_vlans(cautious)
    assert all(vlans.get(h) == {"mode": "untagged", "id": None} for h in HOSTS), vlans
    warned = {r["host"]: r["result"].get("warnings") or [] for r in cautious.results
              if r["task"].endswith("Put the management OS side of the switch on the VLAN")}
    assert set(warned) == set(HOSTS) and all(
        any("accept_management_cutoff" in w and "cannot reach VMs on other hosts" in w for w in found)
        for found in warned.values()), warned
    assert cautious.stdout.count("[WARNING]") + cautious.stderr.count("[WARNING]") >= len(HOSTS)
    assert reachable_pairs(lab3) == []
    assert all(lab3.reachable("lan", host) for host in HOSTS)

    again = run_playbook_file(lab3, "vlan_network.yml", inventory="lab3", extra_vars=VMS)
    assert again.rc == 0 and not any(r["result"].get("changed") for r in again.results), again.stdout

    accepted = run_playbook_file(lab3, "vlan_network.yml", inventory="lab3",
                                 extra_vars={**VMS, "vlan_network_accept_management_cutoff": True})
    assert accepted.rc == 0, accepted.stdout + accepted.stderr
    vlans = management_vlans(accepted)
    assert all(vlans.get(h) == {"mode": "access", "id": 20} for h in HOSTS), vlans
    assert reachable_pairs(lab3) == pairs()
    # The price of B5: untagged devices on the LAN no longer reach the hosts' management OS.
    assert not any(lab3.reachable("lan", host) for host in HOSTS)
