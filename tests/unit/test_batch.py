"""_batch: one PSRP command object per cmdlet call, outputs and errors told apart without boundary markers where
that is certain (empty results, several objects, two statements of one type), markers only where it is not."""

from __future__ import annotations

import gzip
import json
import pathlib
import uuid

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._batch import (
    QUIET_UNLESS_PASSTHRU, failed_statement, layout, split)
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import (
    DRIVE_PROPERTIES, VM_NAME_PARAMETER, from_vm, read_vm_commands, select_vm)
from hvsim.runner import start_estate

CATALOG = pathlib.Path(__file__).resolve().parents[1] / "hvsim" / "src" / "hvsim" / "data" / "cmdlet-catalog.json.gz"
MARKER = "winvirt-boundary-test"


def _cmdlets() -> dict:
    with gzip.open(CATALOG, "rt", encoding="utf-8") as handle:
        return json.load(handle)["cmdlets"]


def test_quiet_cmdlets_have_a_passthru_parameter() -> None:
    catalog = _cmdlets()
    for name in QUIET_UNLESS_PASSTHRU:
        names = {p.lower() for s in catalog[name]["parameter_sets"].values() for p in s}
        assert "passthru" in names, name


def test_vm_name_parameters_are_the_cmdlets_own() -> None:
    catalog = _cmdlets()
    for name, parameter in VM_NAME_PARAMETER.items():
        sets = catalog[name]["parameter_sets"]
        by_name = [s for s in sets.values() if parameter in s]
        assert by_name, (name, parameter)
        # everything the VM-object form takes, the by-name form takes too
        by_object = set().union(*(set(s) for k, s in sets.items() if k.startswith("VMObject"))) - {"VM"}
        assert by_object <= set(by_name[0]) | {"Delay", "For", "Timeout", "Wait"}, name


def test_a_vm_read_has_no_markers_and_no_get_vm_prefix() -> None:
    statements = layout(read_vm_commands(select_vm("web1")))
    assert not any(s.marker_before for s in statements)
    assert [len(s.command.chain()) for s in statements] == [1] * len(statements)
    assert statements[1].command.parameters == {"VMName": "web1"}
    drives = [s for s in statements if s.command.cmdlet in ("Get-VMHardDiskDrive", "Get-VMDvdDrive")]
    assert drives[0].select == tuple(DRIVE_PROPERTIES) and drives[1].tag == f"winvirt{statements.index(drives[1])}"


def test_a_vm_by_id_is_still_piped() -> None:
    command = from_vm(select_vm("web1", "ID1"), "Set-VMMemory", {"StartupBytes": 1})
    assert [link.cmdlet for link in command.chain()] == ["Get-VM", "Set-VMMemory"]


def test_a_pattern_lookup_with_other_names_is_still_piped() -> None:
    command = from_vm(Cmd("Get-VM", {"Name": "web*"}, patterns=True), "Get-VMNetworkAdapter", {"Name": "L[A]N"})
    assert [link.cmdlet for link in command.chain()] == ["Get-VM", "Get-VMNetworkAdapter"]
    assert command.piped[0].bound_parameters() == {"Name": "L`[A`]N"}


def test_empty_several_and_same_typed_results() -> None:
    commands = [Cmd("Get-VMHardDiskDrive", {"VMName": "a"}, select=["VMId", "Path"], missing_ok=True),
                Cmd("Get-VMDvdDrive", {"VMName": "a"}, select=["VMId", "Path"], missing_ok=True),
                Cmd("Get-VMMemory", {"VMName": "a"}, select=["VMId", "Startup"], missing_ok=True),
                Cmd("Get-VMHardDiskDrive", {"VMName": "b"}, select=["VMId", "Path"], missing_ok=True)]
    statements = layout(commands)
    assert not any(s.marker_before for s in statements)
    items = [{"VMId": "b", "Path": "b1", "winvirt3": None}, {"VMId": "b", "Path": "b2", "winvirt3": None}]
    assert split(statements, items, MARKER).results == [[], [], [], [{"VMId": "b", "Path": "b1"}, {"VMId": "b", "Path": "b2"}]]
    items = [{"VMId": "a", "Path": "a1"}, {"vmid": "a", "path": "d", "winvirt1": None}, {"VMId": "a", "Path": "x", "winvirt3": None}]
    assert split(statements, items, MARKER).results == [[{"VMId": "a", "Path": "a1"}], [{"vmid": "a", "path": "d"}], [],
                                                        [{"VMId": "a", "Path": "x"}]]


def test_raw_statements_get_a_marker_between_them_and_quiet_ones_do_not() -> None:
    commands = [Cmd("Test-Path", {"LiteralPath": "C:\\a"}), Cmd("Set-VM", {"Name": "a", "Notes": "n"}),
                Cmd("Test-Path", {"LiteralPath": "C:\\b"}), Cmd("Set-VMMemory", {"VMName": "a", "StartupBytes": 1})]
    statements = layout(commands)
    assert [s.marker_before for s in statements] == [False, False, True, False]
    assert split(statements, [False, MARKER, True], MARKER).results == [[False], [], [True], []]
    assert split(statements, [MARKER], MARKER).results == [[], [], [], []]


def test_passthru_makes_a_quiet_cmdlet_raw() -> None:
    statements = layout([Cmd("Start-VM", {"Name": "a", "Passthru": True}), Cmd("Test-Path", {"LiteralPath": "x"})])
    assert statements[1].marker_before


def test_errors_belong_to_the_statement_running_their_cmdlet() -> None:
    commands = [Cmd("Get-VM", {"Name": "a"}, select=["Name"], missing_ok=True), Cmd("Set-VM", {"Name": "a"}),
                Cmd("Set-VMMemory", {"VMName": "a"}), Cmd("Set-VMProcessor", {"VMName": "a"}),
                Cmd("Set-VMMemory", {"VMName": "a", "StartupBytes": 2})]
    statements = layout(commands)
    assert [s.marker_before for s in statements] == [False, False, False, False, True]
    assert failed_statement(statements, 0, "Set-VMProcessor") == 3
    assert failed_statement(statements, 0, "Set-VMMemory") == 2
    after_marker = split(statements, [{"Name": "a"}, MARKER], MARKER).position
    assert failed_statement(statements, after_marker, "Set-VMMemory") == 4
    assert failed_statement(statements, 0, "Get-VM") == 0  # a terminating error in the tolerant lookup
    assert failed_statement(statements, 0, None) == 1


@pytest.fixture(scope="module")
def estate():
    running = start_estate("lab3", block=(uuid.uuid4().int % 40) + 160, admin_port=0)
    yield running
    running.stop()


def test_the_split_holds_on_the_wire(estate) -> None:
    """Through hvsim (real pypsrp, real PSRP): no boundary markers, same types apart, nothing where nothing is."""
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "integration"))
    from harness import connection_defaults  # pylint: disable=import-outside-toplevel

    from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
    from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions

    defaults = connection_defaults(estate, "hv1")
    options = ConnectionOptions(hostname=defaults["hostname"], port=5985, username=defaults["username"],
                                password=defaults["password"], auth="ntlm", ssl=False, cert_validation=False,
                                ca_trust_path=None, certificate_pem=None, certificate_key_pem=None,
                                connection_timeout=10, operation_timeout=20, read_timeout=30, proxy=None)
    with HostClient(options) as client:
        names = [row["Name"] for row in client.run([Cmd("Get-VM", select=["Name"])])[0]]
        assert len(names) >= 2
        batch = [Cmd("Get-VM", {"Name": names[0]}, select=["Name", "Id"], missing_ok=True),
                 Cmd("Get-VM", {"Name": "no such VM"}, select=["Name", "Id"], missing_ok=True),
                 Cmd("Get-VM", select=["Name", "Id"], missing_ok=True),
                 Cmd("Get-VMMemory", {"VMName": names[1]}, select=["VMId"], missing_ok=True),
                 Cmd("Get-VM", {"Name": names[1]}, select=["Name", "Id"], missing_ok=True)]
        assert not any(statement.marker_before for statement in layout(batch))
        results = client.run(batch)
        assert [row["Name"] for row in results[0]] == [names[0]] and results[1] == []
        assert sorted(row["Name"] for row in results[2]) == sorted(names)
        assert len(results[3]) == 1 and [row["Name"] for row in results[4]] == [names[1]]
        assert all(set(row) == {"Name", "Id"} for row in results[0] + results[2] + results[4])
        raw = client.run([Cmd("Test-Path", {"LiteralPath": "C:\\Windows"}), Cmd("Test-Path", {"LiteralPath": "C:\\nowhere"})])
        assert raw == [[True], [False]]
