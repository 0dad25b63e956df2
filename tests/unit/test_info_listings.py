"""The pure parts of the _info modules: the name filter, and how each listing is built from the rows the host sends
(grouping by VMId or share name, exact-name filters, sorting)."""

from __future__ import annotations

from ansible_collections.winvirt.hyperv.plugins.module_utils import _name_filter as names
from ansible_collections.winvirt.hyperv.plugins.module_utils._checkpoint import info_commands as checkpoint_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._checkpoint import info_listing as checkpoint_listing
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica import info_commands as replica_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica import info_result
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_server import SERVER_ROWS
from ansible_collections.winvirt.hyperv.plugins.module_utils._smb_share import info_commands as share_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._smb_share import info_listing as share_listing
from ansible_collections.winvirt.hyperv.plugins.module_utils._switch import listing, listing_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import VhdFile, disk_files, report


def test_an_exact_name_goes_out_escaped_and_a_pattern_as_it_is() -> None:
    exact = names.from_params({"name": "Lab [A]*", "name_pattern": None})
    pattern = names.from_params({"name": None, "name_pattern": "Lab*"})
    assert listing_commands(exact.parameters, exact.patterns)[0].bound_parameters() == {"Name": "Lab `[A`]`*"}
    assert listing_commands(pattern.parameters, pattern.patterns)[0].bound_parameters() == {"Name": "Lab*"}
    assert share_commands(exact.parameters, exact.patterns)[1].chain()[0].bound_parameters() == {"Name": "Lab `[A`]`*"}
    every = names.from_params({})
    assert every.parameters == {} and checkpoint_commands(every.parameters, every.patterns)[0].parameters == {}


def test_replica_filters_by_vm_name_on_the_replication_cmdlets_and_by_name_on_get_vm() -> None:
    wanted = names.from_params({"vm_name": "app[1]", "vm_name_pattern": None}, "vm_name", "vm_name_pattern")
    commands = replica_commands(wanted.parameters, wanted.patterns)
    assert commands[1 + SERVER_ROWS].bound_parameters() == {"VMName": "app`[1`]"}
    assert commands[-1].bound_parameters() == {"Name": "app`[1`]"}


def test_name_problems() -> None:
    assert names.problems({"name": " x", "name_pattern": None}) == ["name must not start or end with spaces (got ' x')"]
    assert names.problems({"name": None, "name_pattern": "  "}) == [
        "name_pattern must not be empty (leave it out to list every object)"]
    assert names.problems({"vm_name": "web1"}, "vm_name", "vm_name_pattern") == []


def test_switch_listing_gives_each_management_adapter_its_own_vlan_by_parent_adapter_id() -> None:
    switches = [{"Name": "vNet", "Id": "s1", "SwitchType": "External", "NetAdapterInterfaceDescription": "Intel X710",
                 "AllowManagementOS": True}, {"Name": "Lab", "Id": "s2", "SwitchType": "Private"}]
    adapters = [{"Name": "vNet", "Id": "a1", "SwitchName": "vNet", "IsManagementOs": True},
                {"Name": "Backup", "Id": "a2", "SwitchName": "vNet", "IsManagementOs": True},
                {"Name": "Network Adapter", "Id": "a3", "VMName": "web1", "SwitchName": "vNet", "IsManagementOs": False}]
    vlans = [{"OperationMode": "Untagged", "ParentAdapter": {"Id": "a1"}},
             {"OperationMode": "Access", "AccessVlanId": 20, "ParentAdapter": {"Id": "A2"}}]
    nics = [{"Name": "Ethernet", "InterfaceDescription": "Intel X710"}]
    lab, vnet = listing([switches, adapters, vlans, nics])
    assert (lab["name"], lab["management_vlan"], lab["management_adapters"], lab["vm_adapters"]) == ("Lab", None, [], [])
    assert vnet["net_adapter_name"] == "Ethernet" and vnet["management_vlan"] == {"mode": "untagged", "id": None}
    assert vnet["management_adapters"] == [{"name": "vNet", "vlan": {"mode": "untagged", "id": None}},
                                           {"name": "Backup", "vlan": {"mode": "access", "id": 20}}]
    assert vnet["vm_adapters"] == [{"vm_name": "web1", "name": "Network Adapter"}]


def test_checkpoint_listing_groups_by_vm_id_and_filters_checkpoint_names_exactly() -> None:
    vms = [{"Name": "b", "Id": "V2", "State": "Off", "CheckpointType": "Standard", "ParentSnapshotId": None},
           {"Name": "a", "Id": "v1", "State": "Running", "CheckpointType": "Production", "ParentSnapshotId": "c2"}]
    snapshots = [{"VMId": "v1", "Name": "one", "Id": "c1", "SnapshotType": "Standard", "State": "Off"},
                 {"VMId": "v1", "Name": "one*", "Id": "c2", "ParentSnapshotId": "c1", "SnapshotType": "Standard",
                  "State": "Running"},
                 {"VMId": "v2", "Name": "one", "Id": "c3", "SnapshotType": "Standard", "State": "Off"}]
    a, b = checkpoint_listing(vms, snapshots, None)
    assert [c["id"] for c in a["checkpoints"]] == ["c1", "c2"] and [c["id"] for c in b["checkpoints"]] == ["c3"]
    assert [(c["parent_id"], c["is_current"], c["includes_memory"]) for c in a["checkpoints"]] == \
        [(None, False, False), ("c1", True, True)]
    a, b = checkpoint_listing(vms, snapshots, "one*")
    assert [c["id"] for c in a["checkpoints"]] == ["c2"] and b["checkpoints"] == []


def test_share_listing_gives_each_share_its_own_access_rows() -> None:
    shares = [{"Name": "VM", "Path": "E:\\VM", "Special": False}, {"Name": "C$", "Path": "C:\\", "Special": True}]
    access = [{"Name": "VM", "AccountName": "LAB\\HV1$", "AccessControlType": "Allow", "AccessRight": "Full"},
              {"Name": "vm", "AccountName": "LAB\\Guests", "AccessControlType": "Deny", "AccessRight": "Full"},
              {"Name": "C$", "AccountName": "BUILTIN\\Administrators", "AccessControlType": "Allow", "AccessRight": "Full"}]
    special, vm = share_listing(shares, access)
    assert (special["name"], special["special"], special["full_access"]) == ("C$", True, ["BUILTIN\\Administrators"])
    assert (vm["full_access"], vm["no_access"], vm["special"]) == (["LAB\\HV1$"], ["LAB\\Guests"], False)


def test_replica_result_keeps_each_vms_disks_sizes_and_recovery_points_apart() -> None:
    server = [[{"ReplicationEnabled": True, "DefaultStorageLocation": "D:\\Replica"}], [], [], []]
    replication = [{"VMName": name, "VMId": vm_id, "ReplicationMode": "Replica", "ReplicationState": "Replicating",
                    "ReplicationHealth": "Normal", "PrimaryServerName": "hv1", "ReplicaServerName": "hv2",
                    "ReplicaServerPort": 80, "RecoveryHistory": 2} for name, vm_id in (("web1", "w"), ("app1", "a"))]
    disks = [{"VMId": "w", "Path": "D:\\w.vhdx"}, {"VMId": "a", "Path": "D:\\a.vhdx"}]
    measured = [{"VMId": "a", "PendingReplicationSize": 4096}]
    points = [{"VMId": "w", "Name": "p1", "Id": "1", "SnapshotType": "Replica", "CreationTime": "t1"},
              {"VMId": "w", "Name": "std", "Id": "2", "SnapshotType": "Standard", "CreationTime": "t2"},
              {"VMId": "a", "Name": "p2", "Id": "3", "SnapshotType": "AppConsistentReplica", "CreationTime": "t3"}]
    result = info_result([[{"ComputerName": "HV2", "FullyQualifiedDomainName": "hv2.lab.test"}], *server,
                          replication, disks, measured, points])
    assert result["host"] == "hv2.lab.test" and result["server"]["default_storage_location"] == "D:\\Replica"
    app1, web1 = result["replications"]
    assert (app1["vm_name"], app1["pending_size"], app1["settings"]["replicated_vhds"]) == ("app1", 4096, ["D:\\a.vhdx"])
    assert [(p["name"], p["app_consistent"]) for p in app1["recovery_points"]] == [("p2", True)]
    assert (web1["pending_size"], [p["name"] for p in web1["recovery_points"]]) == (None, ["p1"])


def test_vhd_report_and_folder_listing() -> None:
    files = [{"FullName": "D:\\d\\b.VHDX"}, {"FullName": "D:\\d\\a.avhdx"}, {"FullName": "D:\\d\\notes.txt"}, "junk"]
    assert disk_files(files) == ["D:\\d\\a.avhdx", "D:\\d\\b.VHDX"]
    child = VhdFile("D:\\d\\c.vhdx", "vhdx", "differencing", 1024, 512, None, "D:\\d\\gone.vhdx", False)
    entry = report("d:/D/C.vhdx", {"d:\\d\\c.vhdx": child})
    assert entry["missing"] is False and entry["chain"][-1] == {"path": "D:\\d\\gone.vhdx", "missing": True}
    assert report("D:\\d\\x.vhdx", {}) == {"path": "D:\\d\\x.vhdx", "missing": True, "chain": []}
