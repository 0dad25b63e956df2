"""The collection's core stories, on hvsim (``make test``) and on a real Hyper-V lab (``make test-real``).

Each test drives the modules through ansible-playbook, then reads the hosts through the independent reader (plain
Get-* cmdlets over PSRP, ``reader.py``), never through hvsim's world; it creates only ``winvirt-test-<random>``
objects and removes them again in ``finally``. What each creates and needs is in docs/testing.md.
"""

from __future__ import annotations

import typing

import pytest
from harness import run_playbook
from real_lane import changed, cleanup, disk_folder, play, task, unique_name

GB = 1024**3


def test_vm_settings_change_in_check_mode_then_for_real(estate: typing.Any) -> None:
    host, name = estate.hyperv_hosts[0], unique_name()
    reader = estate.reader(host)
    properties = ["Name", "ProcessorCount", "MemoryStartup", "Notes"]
    base = {"name": name, "generation": 2, "processor_count": 1, "memory": {"startup_mb": 512}}
    bigger = {**base, "processor_count": 2, "memory": {"startup_mb": 1024}, "notes": "winvirt real lane"}
    try:
        assert changed(play(estate, host, [task("hyperv_vm", **base)]))
        assert changed(play(estate, host, [task("hyperv_vm", **bigger)], check=True))
        [row] = reader.get("Get-VM", {"Name": name}, properties)
        assert row == {"Name": name, "ProcessorCount": 1, "MemoryStartup": 512 * 1024**2, "Notes": ""}, \
            "check mode changed the VM"
        assert changed(play(estate, host, [task("hyperv_vm", **bigger)]))
        [row] = reader.get("Get-VM", {"Name": name}, properties)
        assert row == {"Name": name, "ProcessorCount": 2, "MemoryStartup": GB, "Notes": "winvirt real lane"}
        assert not changed(play(estate, host, [task("hyperv_vm", **bigger)]))
    finally:
        cleanup(estate, host, "hyperv_vm", name=name)
    assert reader.get("Get-VM", {"Name": name}) == []


def test_vm_adapter_on_a_new_switch_with_an_access_vlan(estate: typing.Any) -> None:
    host, vm, switch = estate.hyperv_hosts[0], unique_name(), unique_name()
    reader = estate.reader(host)
    adapter = {"name": "Network Adapter", "switch": switch, "vlan": {"mode": "access", "id": 42}}
    wanted = task("hyperv_vm", name=vm, generation=2, memory={"startup_mb": 512}, network_adapters=[adapter])
    try:
        assert changed(play(estate, host, [task("hyperv_switch", name=switch, switch_type="private")]))
        assert changed(play(estate, host, [wanted]))
        assert not changed(play(estate, host, [wanted]))
        assert reader.get("Get-VMNetworkAdapter", {"VMName": vm}, ["Name", "SwitchName"]) == [
            {"Name": "Network Adapter", "SwitchName": switch}]
        assert reader.get("Get-VMNetworkAdapterVlan", {"VMName": vm}, ["OperationMode", "AccessVlanId"]) == [
            {"OperationMode": "Access", "AccessVlanId": 42}]
    finally:
        cleanup(estate, host, "hyperv_vm", name=vm)
        cleanup(estate, host, "hyperv_switch", name=switch)
    assert reader.get("Get-VMSwitch", {"Name": switch}) == []


def test_checkpoint_is_created_unchanged_on_rerun_and_removed(estate: typing.Any) -> None:
    host, vm, checkpoint = estate.hyperv_hosts[0], unique_name(), unique_name()
    reader = estate.reader(host)
    try:
        assert changed(play(estate, host, [task("hyperv_vm", name=vm, generation=2, memory={"startup_mb": 512})]))
        take = task("hyperv_checkpoint", vm_name=vm, name=checkpoint, checkpoint_type="standard")
        assert changed(play(estate, host, [take]))
        assert not changed(play(estate, host, [take]))
        assert reader.names("Get-VMSnapshot", {"VMName": vm}) == {checkpoint}
        assert changed(play(estate, host, [task("hyperv_checkpoint", vm_name=vm, name=checkpoint, state="absent")]))
        assert reader.get("Get-VMSnapshot", {"VMName": vm}) == []
    finally:
        cleanup(estate, host, "hyperv_vm", name=vm)


def test_vhd_is_created_unchanged_on_rerun_and_deleted(estate: typing.Any) -> None:
    host = estate.hyperv_hosts[0]
    reader = estate.reader(host)
    path = f"{disk_folder(estate, host)}\\{unique_name()}.vhdx"
    create = task("hyperv_vhd", path=path, type="dynamic", size="1GB")
    try:
        assert changed(play(estate, host, [create]))
        assert not changed(play(estate, host, [create]))
        [row] = reader.get("Get-VHD", {"Path": path}, ["VhdType", "Size"])
        assert row == {"VhdType": "Dynamic", "Size": GB}
    finally:
        cleanup(estate, host, "hyperv_vhd", path=path, delete_file=True)
    assert reader.get("Get-Item", {"LiteralPath": path}) == []


def test_smb_share_is_created_unchanged_on_rerun_and_removed(estate: typing.Any) -> None:
    servers = estate.group("file_servers")
    if not servers:
        pytest.skip("the inventory has no host in group file_servers")
    server, name = servers[0], unique_name()
    reader = estate.reader(server)
    folder = f"C:\\{name}"
    share = task("hyperv_smb_share", name=name, path=folder, description="winvirt real lane",
                 read_access=["Everyone"])
    try:
        assert changed(play(estate, server, [share]))
        assert not changed(play(estate, server, [share]))
        [row] = reader.get("Get-SmbShare", {"Name": name}, ["Name", "Path", "Description"])
        assert row == {"Name": name, "Path": folder, "Description": "winvirt real lane"}
        access = reader.get("Get-SmbShareAccess", {"Name": name}, ["AccountName", "AccessControlType", "AccessRight"])
        assert access == [{"AccountName": "Everyone", "AccessControlType": "Allow", "AccessRight": "Read"}]
    finally:
        cleanup(estate, server, "hyperv_smb_share", name=name)
    assert reader.get("Get-SmbShare", {"Name": name}) == []


def test_host_setting_is_changed_unchanged_on_rerun_and_restored(estate: typing.Any) -> None:
    host = estate.hyperv_hosts[0]
    reader = estate.reader(host)
    [before] = reader.get("Get-VMHost", properties=["EnableEnhancedSessionMode"])
    original = bool(before["EnableEnhancedSessionMode"])
    flip = task("hyperv_host", enhanced_session_mode=not original)
    try:
        assert changed(play(estate, host, [flip]))
        assert not changed(play(estate, host, [flip]))
        [row] = reader.get("Get-VMHost", properties=["EnableEnhancedSessionMode"])
        assert row["EnableEnhancedSessionMode"] is (not original)
    finally:
        restored = play(estate, host, [task("hyperv_host", "restore", enhanced_session_mode=original)])
        assert restored.rc == 0, f"restore EnableEnhancedSessionMode={original} on {host} by hand: {restored.stdout}"
    [row] = reader.get("Get-VMHost", properties=["EnableEnhancedSessionMode"])
    assert row["EnableEnhancedSessionMode"] is original


def _migration_settings(estate: typing.Any, host: str) -> dict[str, typing.Any]:
    properties = ["VirtualMachineMigrationEnabled", "VirtualMachineMigrationAuthenticationType"]
    [row] = estate.reader(host).get("Get-VMHost", properties=properties)
    return {"enabled": bool(row["VirtualMachineMigrationEnabled"]),
            "authentication": str(row["VirtualMachineMigrationAuthenticationType"]).lower()}


def test_live_migration_moves_a_vm_and_is_unchanged_on_rerun(estate: typing.Any) -> None:
    """A VM (off, no disk) moved shared-nothing from the first host to the second with CredSSP (the second hop to
    the destination needs delegable credentials; docs/testing.md). Hosts whose migrations are off get them on
    (Kerberos authentication) for the test and their settings back afterwards."""
    if len(estate.hyperv_hosts) < 2:
        pytest.skip("the inventory has fewer than two hosts in group hyperv_hosts")
    source, target, vm = estate.hyperv_hosts[0], estate.hyperv_hosts[1], unique_name()
    saved = {host: _migration_settings(estate, host) for host in (source, target)}
    move = {"name": "move", "winvirt.hyperv.hyperv_live_migration": {
        "name": [vm], "destination": {"hostname": estate.address(target)}}, "register": "out"}
    try:
        for host, settings in saved.items():
            if not settings["enabled"]:
                enable = {"enabled": True, "authentication": "kerberos"}
                on = play(estate, host, [task("hyperv_host", live_migration=enable)])
                assert on.rc == 0, on.stdout
        assert changed(play(estate, source, [task("hyperv_vm", name=vm, generation=2, memory={"startup_mb": 512})]))
        moved = run_playbook(estate, [move], host=source, auth="credssp")
        assert moved.rc == 0 and moved.result("move")["moved"] == [vm], moved.stdout
        assert estate.reader(target).names("Get-VM", {"Name": vm}) == {vm}
        assert estate.reader(source).get("Get-VM", {"Name": vm}) == []
        again = run_playbook(estate, [move], host=source, auth="credssp")
        assert again.rc == 0 and again.result("move")["changed"] is False, again.stdout
    finally:
        for host in (source, target):
            cleanup(estate, host, "hyperv_vm", name=vm)
        for host, settings in saved.items():
            back = play(estate, host, [task("hyperv_host", "restore", live_migration=settings)])
            assert back.rc == 0, f"restore the live migration settings {settings} of {host} by hand: {back.stdout}"
    assert {host: _migration_settings(estate, host) for host in (source, target)} == saved


def _replication(estate: typing.Any, host: str, vm: str) -> list[dict[str, typing.Any]]:
    return estate.reader(host).get("Get-VMReplication", {"VMName": vm}, ["VMName", "Mode", "State"])


def test_replica_enable_and_test_failover(estate: typing.Any) -> None:
    """A VM with a 1 GB disk replicated from the first host to the second (Kerberos, port 80), a test failover
    started and cleaned up, replication removed. A second host that is not a Replica server is made one for the
    test (any primary, storage in its default virtual hard disk folder) and is not one afterwards."""
    if len(estate.hyperv_hosts) < 2:
        pytest.skip("the inventory has fewer than two hosts in group hyperv_hosts")
    source, target, vm = estate.hyperv_hosts[0], estate.hyperv_hosts[1], unique_name()
    [server] = estate.reader(target).get("Get-VMReplicationServer", properties=["RepEnabled"])
    was_server = bool(server["RepEnabled"])
    disk = f"{disk_folder(estate, source)}\\{vm}.vhdx"
    replica = {"hostname": estate.address(source), "destination": {"hostname": estate.address(target)}, "name": vm}

    def replica_task(title: str, **args: typing.Any) -> dict[str, typing.Any]:
        return {"name": title, "winvirt.hyperv.hyperv_replica": {**replica, **args}, "register": "out"}

    try:
        if not was_server:
            enabled = play(estate, target, [task("hyperv_replica_server", authentication="kerberos",
                                                 allow_any_server=True,
                                                 default_storage_location=disk_folder(estate, target))])
            assert enabled.rc == 0, enabled.stdout
        assert changed(play(estate, source, [task("hyperv_vm", name=vm, generation=2, memory={"startup_mb": 512},
                                                  disks=[{"path": disk, "size": "1GB"}])]))
        assert changed(play(estate, source, [replica_task("task")]))
        assert not changed(play(estate, source, [replica_task("task")]))
        assert _replication(estate, source, vm) == [{"VMName": vm, "Mode": "Primary", "State": "Replicating"}]
        assert _replication(estate, target, vm) == [{"VMName": vm, "Mode": "Replica", "State": "Replicating"}]
        assert changed(play(estate, source, [replica_task("task", action="test_failover")]))
        assert estate.reader(target).names("Get-VM", {"Name": f"{vm} - Test"}) == {f"{vm} - Test"}
        assert changed(play(estate, source, [replica_task("task", action="test_failover_cleanup")]))
        assert estate.reader(target).get("Get-VM", {"Name": f"{vm} - Test"}) == []
        assert changed(play(estate, source, [replica_task("task", state="absent")]))
        assert _replication(estate, source, vm) == [] and _replication(estate, target, vm) == []
    finally:
        play(estate, source, [replica_task("cleanup", action="test_failover_cleanup")])
        play(estate, source, [replica_task("cleanup", state="absent")])
        cleanup(estate, target, "hyperv_vm", name=vm, remove_disks=True)
        cleanup(estate, source, "hyperv_vm", name=vm, remove_disks=True)
        if not was_server:
            cleanup(estate, target, "hyperv_replica_server")
    assert estate.reader(target).get("Get-VM", {"Name": vm}) == []
    [server] = estate.reader(target).get("Get-VMReplicationServer", properties=["RepEnabled"])
    assert bool(server["RepEnabled"]) is was_server


def _accounts_match_the_directory(estate: typing.Any, dc: str, run: typing.Any) -> None:
    """hyperv_spn's reported accounts are what ``Get-ADComputer`` on the domain controller shows."""
    assert not changed(run)
    accounts = {account["host"]: account for account in run.result("task")["accounts"]}
    for host in estate.hyperv_hosts:
        [row] = estate.reader(dc).get("Get-ADComputer", {"Identity": host, "Properties": [
            "ServicePrincipalName", "msDS-AllowedToDelegateTo"]}, ["ServicePrincipalName", "msDS-AllowedToDelegateTo"])
        assert any(spn.upper().startswith("HOST/") for spn in accounts[host]["spns"]), accounts[host]  # a member
        assert sorted(accounts[host]["spns"], key=str.lower) == sorted(row["ServicePrincipalName"] or [], key=str.lower)
        assert sorted(accounts[host]["allowed_to_delegate_to"], key=str.lower) == sorted(
            row["msDS-AllowedToDelegateTo"] or [], key=str.lower)


def _domain_controller(estate: typing.Any) -> str:
    controllers = estate.group("domain_controllers")
    if not controllers:
        pytest.skip("the inventory has no host in group domain_controllers")
    return str(controllers[0])


def test_spn_query_matches_the_directory(estate: typing.Any) -> None:
    """hyperv_spn ``state: query`` (read only) with the ``powershell`` back end on the first domain controller: the
    SPNs and delegation it reports for each Hyper-V host are the computer account's (``Get-ADComputer``)."""
    dc = _domain_controller(estate)
    run = play(estate, dc, [task("hyperv_spn", backend="powershell", hosts=estate.hyperv_hosts, state="query")])
    _accounts_match_the_directory(estate, dc, run)


def test_spn_query_over_ldap_matches_the_directory(estate: typing.Any) -> None:
    """The same query with the ``ldap`` back end (LDAP over TLS from this machine to the DC, the inventory's
    ``hyperv_ldap`` options; on hvsim the Samba DC's)."""
    dc = _domain_controller(estate)
    if not estate.ldap:
        pytest.skip("the inventory sets no hyperv_ldap options (docs/testing.md)")
    run = play(estate, dc, [task("hyperv_spn", backend="ldap", hosts=estate.hyperv_hosts, state="query",
                                 **estate.ldap)])
    _accounts_match_the_directory(estate, dc, run)
