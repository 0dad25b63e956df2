"""Every command the VM and VHD plans send binds to a parameter set of the real cmdlet catalog.

A small model of PowerShell's binder: named parameters must all be in one set, the set's mandatory
parameters must be given or bound from the pipeline, and a piped object must fit the type of a
ByValue pipeline parameter of that set.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import typing as t

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd import VhdFile, normalize_path
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd_plan import VhdSpec, plan_vhd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vhd_plan import read_commands as vhd_reads
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_change import Observed
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_plan import plan_vm, read_commands
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_spec import VlanSpec, build_spec
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import Adapter, Drive, VmView

CATALOG = pathlib.Path(__file__).resolve().parents[1] / "hvsim" / "src" / "hvsim" / "data" / "cmdlet-catalog.json.gz"
COMMON = {"erroraction"}
# The catalog holds New-Item with the WSMan provider's dynamic parameters; ConnectionURI is mandatory only on
# WSMan: paths (hvsim's binder knows the same, hvsim/engine/catalog.py PROVIDER_DYNAMIC).
PROVIDER_DYNAMIC = {("New-Item", "ConnectionURI")}
# What each cmdlet writes to the pipeline (the types our chains pipe on).
OUTPUT = {"Get-VM": "VirtualMachine", "Get-VMNetworkAdapter": "VMNetworkAdapter", "Get-VMDvdDrive": "DvdDrive",
          "Get-VMHardDiskDrive": "HardDiskDrive"}
ACCEPTS = {"VirtualMachine": ("VirtualMachine",), "VMNetworkAdapter": ("VMNetworkAdapter", "VMNetworkAdapterBase"),
           "DvdDrive": ("DvdDrive",), "HardDiskDrive": ("HardDiskDrive",)}


@pytest.fixture(scope="module")
def catalog() -> dict[str, t.Any]:
    with gzip.open(CATALOG, "rt", encoding="utf-8") as handle:
        return t.cast(dict[str, t.Any], json.load(handle)["cmdlets"])


def _names(parameters: dict[str, t.Any]) -> dict[str, str]:
    """lower-case name or alias -> parameter name."""
    found = {}
    for name, info in parameters.items():
        found[name.lower()] = name
        for alias in info.get("aliases") or []:
            found[alias.lower()] = name
    return found


def _fits(info: dict[str, t.Any], piped: str) -> bool:
    base = str(info["type"]).rsplit(".", maxsplit=1)[-1].rstrip("[]")
    return "ByValue" in str(info["pipeline"]) and (base in ACCEPTS[piped] or base == "PSObject")


def binds(catalog: dict[str, t.Any], link: Cmd, piped: str | None) -> list[str]:
    """The parameter sets ``link`` binds to (with an object of type ``piped`` on the pipeline)."""
    sets = catalog[link.cmdlet]["parameter_sets"]
    given = {name.lower() for name in link.parameters} - COMMON
    matching = []
    for set_name, parameters in sets.items():
        names = _names(parameters)
        if not given <= set(names):
            continue
        bound = {names[g] for g in given}
        missing = [p for p, info in parameters.items()
                   if info["required"] and p not in bound and (link.cmdlet, p) not in PROVIDER_DYNAMIC]
        if piped is None:
            if not missing:
                matching.append(set_name)
            continue
        takers = [p for p, info in parameters.items() if p not in bound and _fits(info, piped)]
        if takers and all(m in takers for m in missing) and len(missing) <= 1:
            matching.append(set_name)
    return matching


def output_of(link: Cmd, piped: str | None) -> str | None:
    return piped if link.cmdlet == "Where-Object" else OUTPUT.get(link.cmdlet)


def assert_binds(catalog: dict[str, t.Any], commands: list[Cmd]) -> None:
    for command in commands:
        piped: str | None = None
        for link in command.chain():
            assert link.cmdlet in catalog, f"{link.cmdlet} is not a cmdlet of the catalog"
            assert binds(catalog, link, piped), f"no parameter set of {link.cmdlet} binds: {command.describe()}"
            piped = output_of(link, piped)


def _vm() -> VmView:
    return VmView(name="web1", id="0d4b8d0e-62f5-4e0e-9d8c-5b0b4f7c1a11", state="Running", generation=2,
                  version="9.0", processor_count=2, startup_mb=2048, dynamic_memory=True, minimum_mb=512,
                  maximum_mb=4096, buffer_percent=20, secure_boot=True, secure_boot_template="MicrosoftWindows",
                  disks=[Drive("C:\\a.vhdx", "SCSI", 0, 0)], dvd_drives=[Drive(None, "SCSI", 0, 1)], scsi_controllers=1,
                  adapters=[Adapter("LAN", "vNet-LAN50", "00155D000001", True, VlanSpec("untagged"))])


EVERYTHING = {
    "processor_count": 4, "memory": {"startup_mb": 4096, "dynamic": True, "minimum_mb": 1024, "maximum_mb": 8192,
                                     "buffer_percent": 30},
    "firmware": {"secure_boot": True, "secure_boot_template": "MicrosoftUEFICertificateAuthority"},
    "notes": "n", "automatic_start_action": "start", "automatic_stop_action": "shut_down",
    "checkpoint_type": "production_only", "configuration_version": "12.0",
    "disks": [{"path": "C:\\VMs\\new.vhdx", "size": "1GB", "controller_number": 1},
              {"path": "C:\\diff.vhdx", "type": "differencing", "parent_path": "C:\\a.vhdx"},
              {"path": "C:\\a.vhdx", "controller_location": 7}],
    "dvd": {"path": "C:\\x.iso"},
    "network_adapters": [{"name": "LAN", "switch": "Internal", "mac_address": "00155D000002",
                          "vlan": {"mode": "trunk", "allowed": ["1-5"], "native_id": 1}},
                         {"name": "nic[2]", "switch": "Internal", "vlan": {"mode": "access", "id": 5}},
                         {"name": "Off", "connected": False}],
    "allow_restart": True, "state": "saved",
}


@pytest.mark.parametrize("name", ["web1", "x'; Remove-VM *"])
def test_vm_reads_and_creation_bind(catalog: dict[str, t.Any], name: str) -> None:
    wanted = build_spec({"name": name, "path": "C:\\VMs", **EVERYTHING})
    assert_binds(catalog, read_commands(wanted))
    plan = plan_vm(wanted, Observed(vms=[], switches=["Internal"], vhds={normalize_path("C:\\a.vhdx"): _file("C:\\a.vhdx")},
                                    iso_exists=True))
    assert plan.errors == [] and plan.commands
    assert_binds(catalog, plan.commands)


def _file(path: str) -> VhdFile:
    return VhdFile(path, "vhdx", "dynamic", 1024**3, None, None, None, True)


def test_vm_updates_power_and_removal_bind(catalog: dict[str, t.Any]) -> None:
    files = {normalize_path(p): _file(p) for p in ("C:\\a.vhdx",)}
    plan = plan_vm(build_spec({"name": "web1", **EVERYTHING}), Observed(vms=[_vm()], switches=["Internal"], vhds=files,
                                                                        iso_exists=True))
    assert plan.errors == [] and len(plan.commands) > 10
    assert_binds(catalog, [*plan.commands, *plan.recovery])
    for state in ("running", "stopped", "paused", "saved", "restarted"):
        for current in ("Running", "Off", "Paused", "Saved"):
            vm = _vm()
            vm.state = current
            assert_binds(catalog, plan_vm(build_spec({"name": "web1", "state": state}),
                                          Observed(vms=[vm], switches=[], vhds={})).commands)
    gone = plan_vm(build_spec({"name": "web1", "state": "absent", "remove_disks": True}), Observed(vms=[_vm()], switches=[], vhds={}))
    assert_binds(catalog, gone.commands)
    eject = plan_vm(build_spec({"name": "web1", "dvd": {"state": "absent"}}), Observed(vms=[_vm()], switches=[], vhds={}))
    assert_binds(catalog, eject.commands)


def test_vhd_commands_bind(catalog: dict[str, t.Any]) -> None:
    parent = {normalize_path("C:\\p.vhdx"): _file("C:\\p.vhdx")}
    for spec, known in ((VhdSpec("C:\\a.vhdx", size=1024**3), {}),
                        (VhdSpec("C:\\a.vhdx", vhd_type="fixed", size=1024**3), {}),
                        (VhdSpec("C:\\c.vhdx", parent_path="C:\\p.vhdx"), parent),
                        (VhdSpec("C:\\p.vhdx", size=2 * 1024**3), parent),
                        (VhdSpec("C:\\n.vhd", convert_from="C:\\p.vhdx", vhd_type="fixed", remove_source=True), parent),
                        (VhdSpec("C:\\p.vhdx", state="absent", delete_file=True), parent)):
        assert_binds(catalog, vhd_reads(spec))
        plan = plan_vhd(spec, known, [])
        assert plan.errors == [] and plan.commands, spec
        assert_binds(catalog, plan.commands)


def test_the_binder_model_refuses_what_powershell_refuses(catalog: dict[str, t.Any]) -> None:
    assert not binds(catalog, Cmd("Set-VMProcessor", {"Count": 2}), None), "VMName is mandatory"
    assert not binds(catalog, Cmd("Set-VMProcessor", {"Cores": 2}), "VirtualMachine")
    assert not binds(catalog, Cmd("Connect-VMNetworkAdapter", {"SwitchName": "s"}), "VirtualMachine")
    assert binds(catalog, Cmd("Connect-VMNetworkAdapter", {"SwitchName": "s"}), "VMNetworkAdapter")
