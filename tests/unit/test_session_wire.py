"""What crosses the session helper's socket: commands, connection options, results and errors, as data."""

from __future__ import annotations

import json

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import ConnectionOptions
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._session_wire import (
    PROTOCOL,
    WireError,
    batch_request,
    command_from_data,
    command_to_data,
    error_reply,
    ok_reply,
    options_from_data,
    options_to_data,
    parse_reply,
    parse_request,
)

OPTIONS = ConnectionOptions(hostname="hv1.lab.test", port=5985, username="LAB\\admin", password="Passw0rd!", auth="ntlm",
                            ssl=False, cert_validation=True, ca_trust_path=None, certificate_pem=None,
                            certificate_key_pem=None, connection_timeout=30, operation_timeout=20, read_timeout=30,
                            proxy=None, command_timeout=600)


def hostile() -> Cmd:
    """A pipeline with a hostile name, sizes past Int32, a hashtable, a switch and a Select-Object list."""
    return Cmd("Get-VM", {"Name": "x'; Remove-VM * #"}, missing_ok=True).pipe(
        Cmd("Set-VM", {"MemoryStartupBytes": 8 * 2**30, "Notes": "[a]*?", "Passthru": True,
                       "Tags": {"owner": "ops", "ids": [1, 2]}}, select=["Name", "State"]))


def test_a_command_comes_back_the_same_and_is_sent_the_same() -> None:
    command = hostile()
    data = json.loads(json.dumps(command_to_data(command)))
    again = command_from_data(data)
    assert again == command
    assert again.describe() == command.describe()  # the same parameters bound, the same names escaped
    assert [link.bound_parameters() for link in again.chain()] == [link.bound_parameters() for link in command.chain()]
    assert again.parameters["Name"] == "x'; Remove-VM * #", "a value stays a value: no PowerShell text was built"


def test_patterns_cross_so_a_wildcard_lookup_stays_a_pattern() -> None:
    pattern = Cmd("Get-VM", {"Name": "web*"}, patterns=True)
    exact = Cmd("Get-VM", {"Name": "web*"})
    assert command_from_data(command_to_data(pattern)).bound_parameters() == {"Name": "web*"}
    assert command_from_data(command_to_data(exact)).bound_parameters() == {"Name": "web`*"}


@pytest.mark.parametrize("value", [b"bytes", object(), {1: "non-string key"}, {"x"}])
def test_values_json_cannot_carry_are_refused_not_converted(value: object) -> None:
    with pytest.raises(WireError, match="Set-VM -Notes"):
        command_to_data(Cmd("Set-VM", {"Notes": value}))


@pytest.mark.parametrize("data", [
    {"cmdlet": "Get-VM; Remove-VM", "parameters": {}},
    {"cmdlet": "Get-VM", "parameters": {"Name; rm": "x"}},
    {"cmdlet": "Get-VM", "parameters": ["Name", "x"]},
    {"parameters": {}},
])
def test_the_helper_checks_a_command_again(data: dict[str, object]) -> None:
    with pytest.raises((WireError, ValueError)):
        command_from_data(data)


def test_connection_options_cross_whole() -> None:
    assert options_from_data(json.loads(json.dumps(options_to_data(OPTIONS)))) == OPTIONS
    with pytest.raises(WireError, match="password"):
        options_from_data({k: v for k, v in options_to_data(OPTIONS).items() if k != "password"})


def test_a_batch_request_is_parsed_back_into_commands_and_options() -> None:
    text = batch_request(OPTIONS, "HV1", [hostile(), Cmd("Get-VMHost")], retry=True, deadline_seconds=42.5)
    request = parse_request(text)
    assert request["options"] == OPTIONS and request["name"] == "HV1"
    assert request["commands"] == [hostile(), Cmd("Get-VMHost")]
    assert request["retry"] is True and request["deadline"] == 42.5


def test_another_protocol_version_is_refused() -> None:
    data = json.loads(batch_request(OPTIONS, "HV1", [Cmd("Get-VMHost")], retry=False, deadline_seconds=None))
    data["protocol"] = PROTOCOL + 1
    with pytest.raises(WireError, match="different versions"):
        parse_request(json.dumps(data))


def test_results_come_back_as_plain_data() -> None:
    rows = [[{"Name": "web1", "State": "Running", "MemoryStartup": 2**33, "Ids": [1, 2]}], [], ["text"]]
    reply = parse_reply(ok_reply(results=rows, host_waited=12.0))
    assert reply["results"] == rows and reply["host_waited"] == 12.0


def test_an_error_crosses_field_by_field() -> None:
    original = HyperVError("HV1", "Access is denied.", command="Move-VM -Name 'web1'", category="PermissionDenied",
                           code=-2147024891, error_id="AccessDenied,Microsoft.HyperV.PowerShell.Commands.MoveVM")
    with pytest.raises(HyperVError) as raised:
        parse_reply(error_reply(original))
    again = raised.value
    assert str(again) == str(original)
    assert again.to_result() == original.to_result()
    assert again.hint and "Administrators" in again.hint and again.to_result()["code"] == "0x80070005"


def test_an_error_without_a_known_hint_keeps_none() -> None:
    original = HyperVError("HV1", "something odd", category="error")
    with pytest.raises(HyperVError) as raised:
        parse_reply(error_reply(original))
    assert raised.value.to_result() == original.to_result() and raised.value.hint is None


@pytest.mark.parametrize("text", ["not json", json.dumps([1]), json.dumps({"results": []}), None])
def test_a_reply_of_the_wrong_shape_is_a_wire_error(text: object) -> None:
    with pytest.raises(WireError):
        parse_reply(text)
