"""The shapes module reads expect, as Windows PowerShell 5.1 sends them over PSRP (depth 1).

Each value goes the way a real host's output goes: serialized by hvsim's serializer (PowerShell's remoting
rules, tests/hvsim/DESIGN.md "Output serialization"), deserialized by pypsrp, converted by the collection's
``to_plain``, then parsed by the module code under test.
"""

from __future__ import annotations

import typing as t
import xml.etree.ElementTree as ET

from hvsim.contract import Int64, PSOutObject
from hvsim.wire.values import to_ps
from psrpcore.types import serialize
from pypsrp.serializer import Serializer

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._convert import to_plain
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration import (
    INCOMPATIBILITY_PROPERTIES,
    compare_command,
    parse_report,
)

NS = "Microsoft.HyperV.PowerShell"


def over_the_wire(value: PSOutObject) -> t.Any:
    """What the module gets for one output object of a real host."""
    clixml = ET.tostring(serialize(to_ps(value), None)).decode()
    return to_plain(Serializer().deserialize(clixml))


def selected(value: PSOutObject, names: list[str]) -> PSOutObject:
    """``value | Select-Object names`` (a PSCustomObject of note properties)."""
    return PSOutObject([f"Selected.{value.type_names[0]}", "System.Management.Automation.PSCustomObject"],
                       {name: value.properties.get(name) for name in names})


def _error(message_id: int, message: str) -> PSOutObject:
    vm = PSOutObject([f"{NS}.VirtualMachine", f"{NS}.VirtualMachineBase", f"{NS}.VirtualizationObject"],
                     {"Name": "web1"}, to_string="VirtualMachine (Name = 'web1') [Id = '1']")
    return PSOutObject([f"{NS}.VMCompatibilityError"],
                       {"Message": message, "MessageId": Int64(message_id), "Source": vm})


def _report(*errors: PSOutObject) -> PSOutObject:
    return PSOutObject([f"{NS}.VMCompatibilityReport"], {"VM": None, "Destination": "hv2", "Incompatibilities": list(errors)})


def test_a_compare_vm_report_itself_carries_only_type_names() -> None:
    """Why the read expands on the host: the report's errors arrive as ToString() of VMCompatibilityError."""
    row = over_the_wire(_report(_error(33012, "Could not find Ethernet switch 'External'.")))
    assert row["Incompatibilities"] == [f"{NS}.VMCompatibilityError"]


def test_compare_vm_is_expanded_and_selected_on_the_host() -> None:
    command = compare_command({"Name": "web1", "DestinationHost": "hv2"})
    assert [link.cmdlet for link in command.chain()] == ["Compare-VM", "Select-Object"]
    assert command.piped[0].parameters == {"ExpandProperty": "Incompatibilities"}
    assert command.select == INCOMPATIBILITY_PROPERTIES == ["MessageId", "Message"]


def test_parse_report_reads_one_selected_row_per_incompatibility() -> None:
    errors = [_error(33012, "Could not find Ethernet switch 'External'."), _error(24004, "version")]
    rows = [over_the_wire(selected(error, INCOMPATIBILITY_PROPERTIES)) for error in errors]
    assert rows[0] == {"MessageId": 33012, "Message": "Could not find Ethernet switch 'External'."}
    assert parse_report(rows) == [(33012, "Could not find Ethernet switch 'External'."), (24004, "version")]
    assert parse_report([]) == []


def test_commands_are_structured() -> None:
    assert isinstance(compare_command({"Name": "x'; Remove-VM *"}), Cmd)
    assert compare_command({"Name": "x'; Remove-VM *"}).parameters == {"Name": "x'; Remove-VM *"}
