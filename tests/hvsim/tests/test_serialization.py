"""Output as Windows PowerShell 5.1 serializes it over PSRP (depth 1), read by pypsrp.

The rules and their sources are in tests/hvsim/DESIGN.md ("Output serialization"); the property sets in
hvsim.world.hyperv_types.
"""

from __future__ import annotations

import datetime
import os
import typing
import uuid
import xml.etree.ElementTree as ET

import pytest
from psrpcore.types import serialize
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.serializer import Serializer
from pypsrp.wsman import WSMan

from hvsim.contract import Guid, PSEnumValue, PSOutObject, Version
from hvsim.runner import start_estate
from hvsim.wire.values import to_ps
from hvsim.world.hyperv_types import ALIASES, ENUMS, PROPERTIES

BLOCK = 90 + os.getpid() % 30
NS = "Microsoft.HyperV.PowerShell"
STATE = PSEnumValue(f"{NS}.VMState", "Running", 2)


def wire(value: typing.Any) -> typing.Any:
    """``value`` as pypsrp deserializes what hvsim sends."""
    return Serializer().deserialize(ET.tostring(serialize(to_ps(value), None)).decode())


def obj(type_name: str, to_string: str | None = None, **properties: typing.Any) -> PSOutObject:
    return PSOutObject([type_name], properties, to_string)


def bag(**properties: typing.Any) -> PSOutObject:
    return PSOutObject(["Selected.X", "System.Management.Automation.PSCustomObject"], properties)


def test_properties_of_a_top_level_object_are_written_at_depth_zero() -> None:
    adapter = obj(f"{NS}.VMNetworkAdapter", "VMNetworkAdapter (Name = 'nic')", Name="nic", SwitchName="LAN")
    error = obj(f"{NS}.VMCompatibilityError", Message="m")
    vm = wire(obj(f"{NS}.VirtualMachine", "VirtualMachine (Name = 'web1')", Name="web1", State=STATE,
                  Adapter=adapter, NetworkAdapters=[adapter, adapter], Errors=[error], Tags={"a": adapter}))
    props = vm.adapted_properties
    assert vm.types == [f"{NS}.VirtualMachine", "System.Object"] and vm.to_string == "VirtualMachine (Name = 'web1')"
    assert props["State"] == "Running", "an enum at depth 0 is its name"
    assert props["Adapter"] == "VMNetworkAdapter (Name = 'nic')", "a complex value at depth 0 is its ToString"
    assert props["NetworkAdapters"] == ["VMNetworkAdapter (Name = 'nic')"] * 2, "collections of objects: strings"
    assert props["Errors"] == [f"{NS}.VMCompatibilityError"], "no ToString override: the type name"
    assert props["Tags"] == {"a": "VMNetworkAdapter (Name = 'nic')"}, "a hashtable's values too"
    assert not vm.extended_properties, "a .NET object's own properties travel as <Props>"


def test_select_object_output_is_one_level_deeper() -> None:
    adapter = obj(f"{NS}.VMNetworkAdapter", "nic", Name="nic", State=STATE,
                  VlanSetting=obj(f"{NS}.VMNetworkAdapterVlanSetting", "vlan", AccessVlanId=20))
    row = wire(bag(Name="web1", State=STATE, NetworkAdapters=[adapter]))
    props = row.extended_properties
    assert row.types == ["Selected.X", "System.Management.Automation.PSCustomObject", "System.Object"]
    assert props["State"].to_string == "Running" and props["State"].property_sets == [2], "an enum object at depth 1"
    [nic] = props["NetworkAdapters"]
    assert nic.adapted_properties["Name"] == "nic" and nic.adapted_properties["State"] == "Running"
    assert nic.adapted_properties["VlanSetting"] == "vlan", "but no further"


def test_top_level_enum_and_primitive_known_types() -> None:
    enum = wire(STATE)
    assert enum.to_string == "Running" and enum.property_sets == [2] and "System.Enum" in enum.types
    when = datetime.datetime(2026, 3, 1, 8, 30, 15, 250000, tzinfo=datetime.timezone.utc)
    props = wire(obj("X", Id=Guid("6b0f1c1e-0000-4000-8000-000000000001"), Version=Version("10.0.17763.1"),
                     Created=when, Uptime=datetime.timedelta(hours=2, seconds=5), Size=1 << 40)).adapted_properties
    assert props["Id"] == uuid.UUID("6b0f1c1e-0000-4000-8000-000000000001"), "<G>"
    assert props["Version"] == "10.0.17763.1", "<Version>"
    assert datetime.datetime.fromisoformat(props["Created"]) == when, "<DT> (see DESIGN.md for its fraction digits)"
    assert props["Uptime"] == "PT2H5S", "<TS> as an xs:duration"
    assert props["Size"] == 1 << 40


def test_a_cim_instance_is_always_written_at_depth_one() -> None:
    share = PSOutObject(["Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/SMB/MSFT_SmbShare",
                         "Microsoft.Management.Infrastructure.CimInstance"], {"Name": "VMs", "Path": "D:\\VMs"})
    holder = wire(obj("X", Share=share))
    assert holder.adapted_properties["Share"].adapted_properties == {"Name": "VMs", "Path": "D:\\VMs"}


# -- the estate over the real wire -------------------------------------------------------------------

@pytest.fixture(scope="module")
def lab3() -> typing.Iterator[typing.Any]:
    estate = start_estate("lab3", block=BLOCK, http_port=15985, https_port=15986, admin_port=0)
    try:
        yield estate
    finally:
        estate.stop()


def invoke(estate: typing.Any, *chain: tuple[str, dict[str, typing.Any]], auth: str = "ntlm") -> list[typing.Any]:
    wsman = WSMan(estate.address("hv1"), port=estate.http_port, ssl=False, auth=auth,
                  username="LAB\\Administrator", password="Passw0rd!", connection_timeout=5, read_timeout=30)
    with wsman, RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        for cmdlet, parameters in chain:
            ps.add_cmdlet(cmdlet)
            for name, value in parameters.items():
                ps.add_parameter(name, value)
        output = ps.invoke()
        assert not ps.had_errors, [str(e) for e in ps.streams.error]
        return list(output)


def test_get_vm_sends_the_whole_virtual_machine_at_depth_one(lab3: typing.Any) -> None:
    [vm] = invoke(lab3, ("Get-VM", {"Name": "web1"}))
    declared = [name for name, _type in PROPERTIES[f"{NS}.VirtualMachine"]]
    props = vm.adapted_properties
    assert list(props) == [*ALIASES[f"{NS}.VirtualMachine"], *declared] and len(props) == 76
    assert vm.types[:3] == [f"{NS}.VirtualMachine", f"{NS}.VirtualMachineBase", f"{NS}.VirtualizationObject"]
    assert props["State"] == "Running" and isinstance(props["Id"], uuid.UUID)
    assert props["NetworkAdapters"] and all(a.startswith("VMNetworkAdapter (Name = ") for a in props["NetworkAdapters"])
    assert props["HardDrives"] and all(d.startswith("HardDiskDrive (Name = 'Hard Drive on ") for d in props["HardDrives"])
    assert props["CimSession"] == "CimSession: ." and props["ComPort1"] is None and props["IsDeleted"] is False


def test_selected_collections_carry_objects_whose_own_properties_are_flat(lab3: typing.Any) -> None:
    [row] = invoke(lab3, ("Get-VM", {"Name": "web1"}), ("Select-Object", {"Property": ["Name", "NetworkAdapters"]}))
    [nic] = row.extended_properties["NetworkAdapters"]
    assert nic.adapted_properties["SwitchName"] and nic.adapted_properties["VlanSetting"].startswith(
        f"{NS}.VMNetworkAdapterVlanSetting")
    assert nic.adapted_properties["Status"] == ["Ok"], "enums inside a collection at depth 0: names"


def test_compare_vm_incompatibilities_arrive_as_type_names_unless_expanded(lab3: typing.Any) -> None:
    with lab3.world.lock:
        for name in ("hv1", "hv3"):
            lab3.world.machine(name).hyperv.host.migration_enabled = True
        app1 = next(v for v in lab3.world.machine("hv1").hyperv.vms.values() if v.name == "app1")
        app1.adapters[0].switch_name = "Lab Private"
    compare = ("Compare-VM", {"Name": "app1", "DestinationHost": "hv3", "IncludeStorage": True})
    [report] = invoke(lab3, compare, auth="credssp")  # CredSSP migrations need the caller's credentials
    assert report.adapted_properties["Incompatibilities"]
    assert set(report.adapted_properties["Incompatibilities"]) == {f"{NS}.VMCompatibilityError"}
    rows = invoke(lab3, compare, ("Select-Object", {"ExpandProperty": "Incompatibilities"}),
                  ("Select-Object", {"Property": ["MessageId", "Message"]}), auth="credssp")
    assert 33012 in [row.extended_properties["MessageId"] for row in rows]


def test_every_enum_hvsim_sends_is_a_member_of_its_type(lab3: typing.Any) -> None:
    """Enum names and values come from the type data (hvsim.world.shapes refuses others)."""
    assert ENUMS[f"{NS}.SnapshotType"]["Replica"] == 6
    for chain in ([("Get-VM", {})], [("Get-VMSwitch", {})], [("Get-VMHost", {})],
                  [("Get-VM", {}), ("Get-VMNetworkAdapter", {})], [("Get-VM", {}), ("Get-VMHardDiskDrive", {})]):
        assert invoke(lab3, *chain)


def test_command_metadata_lists_the_catalog_cmdlets_the_machine_has(lab3: typing.Any) -> None:
    """GET_COMMAND_METADATA (pypsrp's RunspacePool.get_command_metadata) answers as Get-Command would: the matching
    cmdlets of the modules the machine has, Cmdlet only, each with its parameters (test_psrp_get_command_metadata.yml)."""
    from pypsrp.complex_objects import CommandType

    wsman = WSMan(lab3.address("hv1"), port=lab3.http_port, ssl=False, auth="ntlm", username="LAB\\Administrator",
                  password="Passw0rd!", connection_timeout=5, read_timeout=30)
    with wsman, RunspacePool(wsman) as pool:
        found = pool.get_command_metadata("Get-VMHost*")
        functions = pool.get_command_metadata("Get-VMHost*", command_types=CommandType.FUNCTION)
        elsewhere = pool.get_command_metadata("Get-VMHost*", namespace=["SmbShare"])
    names = [command.name for command in found]
    assert "Get-VMHost" in names and all(name.lower().startswith("get-vmhost") for name in names), names
    assert names == sorted(names, key=str.lower) and functions == [] and elsewhere == []
    get_vmhost = found[names.index("Get-VMHost")]
    assert get_vmhost.namespace == "Hyper-V" and str(get_vmhost.command_type) == "Cmdlet"
    computer = get_vmhost.parameters["ComputerName"]
    assert computer.parameter_type == "System.String[]" and computer.switch_parameter is False
