"""The engine binds calls as PowerShell does and applies ErrorAction per command."""

from __future__ import annotations

import threading
import typing
from dataclasses import dataclass, field

import pytest

from hvsim.contract import CmdletError, CommandCall, ErrorInfo, Failed, Output, Principal, PSOutObject
from hvsim.engine.api import NO_INPUT, REGISTRY, Invocation
from hvsim.engine.binder import bind
from hvsim.engine.catalog import load_catalog
from hvsim.engine.executor import Engine

PRINCIPAL = Principal(machine="hv1", user="LAB\\Administrator", auth="kerberos", delegable=False)


@dataclass
class FakeWorld:
    machines: dict[str, typing.Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)


def call(name: str, *params: tuple[str | None, typing.Any]) -> CommandCall:
    return CommandCall(name=name, parameters=list(params))


def bound(name: str, *params: tuple[str | None, typing.Any], expects_input: bool = False) -> typing.Any:
    catalog = load_catalog()
    info = catalog.find(name)
    assert info is not None
    return bind(info, call(name, *params), expects_input)


def binding_error(name: str, *params: tuple[str | None, typing.Any], expects_input: bool = False) -> ErrorInfo:
    with pytest.raises(CmdletError) as caught:
        bound(name, *params, expects_input=expects_input)
    return caught.value.info


def test_names_aliases_prefixes_and_positions() -> None:
    assert bound("Get-VM", ("VMName", "web1")).params == {"Name": ["web1"]}
    assert bound("get-vm", (None, "web1")).params == {"Name": ["web1"]}
    result = bound("Set-VMProcessor", ("VMName", "web1"), ("Count", "4"))
    assert result.params == {"VMName": ["web1"], "Count": 4}
    assert bound("Get-VM", ("Id", "0d4b8d0e-62f5-4e0e-9d8c-5b0b4f7c1a11")).parameter_set == "Id"
    assert bound("New-VM", ("Name", "a"), ("MemoryStartupBytes", "2GB"), ("NoVHD", None)).params["MemoryStartupBytes"] == 2 * 1024**3
    assert bound("Stop-VM", ("Name", "a"), ("Force", True), ("ErrorAction", "Stop")).common == {"ErrorAction": "Stop"}


def test_powershell_refusals_carry_its_error_ids() -> None:
    assert binding_error("Get-VM", ("Bogus", 1)).fqid == "NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM"
    assert binding_error("Set-VMProcessor", ("Count", 2)).fqid.startswith("MissingMandatoryParameter,")
    assert binding_error("Get-VM", ("Name", "a"), ("Id", "0d4b8d0e-62f5-4e0e-9d8c-5b0b4f7c1a11")).fqid.startswith(
        "AmbiguousParameterSet,")
    assert binding_error("Set-VMMemory", ("VMName", "a"), ("StartupBytes", "lots")).fqid.startswith(
        "CannotConvertArgumentNoMessage,")
    assert binding_error("Set-VM", ("Name", "a"), ("ProcessorCount", 2), ("P", 1)).fqid.startswith("AmbiguousParameter,")
    assert "ambiguous" in binding_error("Set-VM", ("Name", "a"), ("P", 1)).message
    assert binding_error("Set-VM", ("Name", "a"), ("ErrorAction", "Sometimes")).category == "InvalidArgument"


def test_pipeline_input_satisfies_mandatory_parameters() -> None:
    result = bound("Set-VMProcessor", ("Count", 2), expects_input=True)
    assert result.params == {"Count": 2}


@pytest.fixture()
def fake_get_vm(monkeypatch: pytest.MonkeyPatch) -> list[Invocation]:
    seen: list[Invocation] = []

    def get_vm(inv: Invocation) -> typing.Iterator[typing.Any]:
        seen.append(inv)
        for name in inv.get("Name") or ["a", "b"]:
            if name == "missing":
                inv.write_error(ErrorInfo(message=f"Hyper-V was unable to find a virtual machine with name \"{name}\".",
                                          category="InvalidArgument", fqid="InvalidParameter,GetVM"))
                continue
            if name == "boom":
                raise CmdletError(ErrorInfo(message="terminating"))
            yield PSOutObject(type_names=["Microsoft.HyperV.PowerShell.VirtualMachine"],
                              properties={"Name": name, "State": "Running", "ProcessorCount": 2}, to_string=name)

    def stop_vm(inv: Invocation) -> typing.Iterator[typing.Any]:
        seen.append(inv)
        assert inv.input is not NO_INPUT
        yield inv.get("VM")[0]

    monkeypatch.setitem(REGISTRY, "Get-VM", get_vm)
    monkeypatch.setitem(REGISTRY, "Stop-VM", stop_vm)
    return seen


def run(*statements: list[CommandCall]) -> list[typing.Any]:
    log: list[dict[str, typing.Any]] = []
    events = list(Engine().run(PRINCIPAL, FakeWorld(), list(statements), [], on_call=log.append))
    return [events, log]


def test_error_action_per_command(fake_get_vm: list[Invocation]) -> None:
    events, log = run([call("Get-VM", ("Name", ["a", "missing"]), ("ErrorAction", "SilentlyContinue"))],
                      [call("Get-VM", ("Name", ["missing", "c"]))])
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Output", "ErrorEvent", "Output"]
    assert [entry["outcome"] for entry in log] == ["error", "error"]
    events, log = run([call("Get-VM", ("Name", ["missing"]), ("ErrorAction", "Stop"))],
                      [call("Write-Output", ("InputObject", "marker"))])
    assert [type(e).__name__ for e in events] == ["Failed"]
    assert log[0]["outcome"] == "failed"
    events, _ = run([call("Get-VM", ("Name", ["boom"]), ("ErrorAction", "SilentlyContinue"))])
    assert isinstance(events[0], Failed), "a terminating error ignores ErrorAction"


def test_unknown_and_unimplemented_commands_fail(fake_get_vm: list[Invocation]) -> None:
    events, _ = run([call("Get-Nothing")])
    assert isinstance(events[0], Failed) and events[0].info.fqid == "CommandNotFoundException"
    events, _ = run([call("Get-VMHostCluster")])
    assert isinstance(events[0], Failed) and "does not implement" in events[0].info.message


def test_pipes_select_and_where(fake_get_vm: list[Invocation]) -> None:
    events, _ = run([call("Get-VM"), call("Where-Object", ("Property", "Name"), ("EQ", None), ("Value", "B")),
                     call("Select-Object", ("Property", ["Name", "Nope"]))])
    assert len(events) == 1 and isinstance(events[0], Output)
    assert events[0].value.properties == {"Name": "b", "Nope": None}
    assert events[0].value.type_names[0] == "Selected.Microsoft.HyperV.PowerShell.VirtualMachine"
    events, log = run([call("Get-VM", ("Name", "a")), call("Stop-VM", ("Force", None))])
    assert [e.value.properties["Name"] for e in events] == ["a"]
    assert [entry["command"] for entry in log] == ["Get-VM", "Stop-VM"]
    events, _ = run([call("Get-VM", ("Name", "missing"), ("ErrorAction", "SilentlyContinue")), call("Stop-VM")])
    assert events == [], "nothing piped: the downstream command does nothing"
