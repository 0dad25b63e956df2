from pypsrp.complex_objects import GenericComplexObject

from ansible_collections.winvirt.hyperv.plugins.module_utils._convert import to_plain


def _obj(types, adapted=None, extended=None, to_string=None, property_sets=None):
    obj = GenericComplexObject()
    obj.types = types
    obj.adapted_properties = adapted or {}
    obj.extended_properties = extended or {}
    obj.to_string = to_string
    obj.property_sets = property_sets or []
    return obj


def test_enums_become_names() -> None:
    state = _obj(["Microsoft.HyperV.PowerShell.VMState", "System.Enum", "System.ValueType", "System.Object"],
                 to_string="Running", property_sets=[2])
    assert to_plain(state) == "Running"


def test_objects_become_dicts_recursively_with_sizes_as_ints() -> None:
    disk = _obj(["Microsoft.HyperV.PowerShell.HardDiskDrive"], adapted={"Path": "C:\\vm\\a.vhdx", "ControllerNumber": 0})
    vm = _obj(
        ["Selected.Microsoft.HyperV.PowerShell.VirtualMachine", "System.Management.Automation.PSCustomObject"],
        extended={"Name": "web1", "MemoryStartup": 4294967296, "HardDrives": [disk], "Notes": None},
    )
    assert to_plain(vm) == {
        "Name": "web1",
        "MemoryStartup": 4294967296,
        "HardDrives": [{"Path": "C:\\vm\\a.vhdx", "ControllerNumber": 0}],
        "Notes": None,
    }


def test_objects_without_properties_fall_back_to_tostring() -> None:
    assert to_plain(_obj(["System.Guid"], to_string="6b0f1c1e-0000-0000-0000-000000000001")) == (
        "6b0f1c1e-0000-0000-0000-000000000001"
    )


def test_containers_and_primitives() -> None:
    assert to_plain({"a": [1, True, None, b"x"]}) == {"a": [1, True, None, "x"]}
