"""Cmd: exact names (wildcards escaped where a cmdlet would glob) and describe() quoting as PowerShell reads it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd, literal_name, takes_wildcards
from hvsim.engine.wildcard import contains_wildcard, matches

QUOTES = "'\u2018\u2019\u201a\u201b"


def read_single_quoted(text: str) -> str:
    """PowerShell's tokenizer on a '...' string: any of the five single quotes opens/closes, a doubled one is literal."""
    assert text[0] in QUOTES and text[-1] in QUOTES
    out, i = [], 1
    while i < len(text) - 1:
        if text[i] in QUOTES:
            assert text[i + 1] in QUOTES, f"string ends early at {i}: {text!r}"
            out.append(text[i])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(QUOTES + "a $`\"(){};|&\n")), max_size=20))
def test_describe_quotes_every_single_quote_kind(value: str) -> None:
    rendered = Cmd("Get-VM", {"Notes": value}).describe()
    assert read_single_quoted(rendered.split(" -Notes ", 1)[1]) == value


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("*?[]`ab-1 ")), max_size=12), st.text(alphabet=st.sampled_from(list("*?[]`ab-1 ")), max_size=12))
def test_an_escaped_name_matches_only_itself(name: str, other: str) -> None:
    escaped = literal_name(name)
    assert not contains_wildcard(escaped)
    assert matches(escaped, name)
    assert matches(escaped, other) == (name.lower() == other.lower())


@pytest.mark.parametrize(
    ("cmdlet", "parameter", "expected"),
    [
        ("Get-VM", "Name", True), ("Stop-VM", "Name", True), ("Move-VM", "Name", True), ("Get-VMSwitch", "Name", True),
        ("Remove-VMReplication", "VMName", True), ("Add-VMHardDiskDrive", "VMName", True),
        ("Set-VMNetworkAdapterVlan", "VMNetworkAdapterName", True), ("Get-SmbShare", "Name", True),
        ("Remove-SmbShare", "Name", True), ("Grant-SmbShareAccess", "Name", True),
        ("New-VM", "Name", False), ("New-VMSwitch", "Name", False), ("Add-VMNetworkAdapter", "Name", False),
        ("New-SmbShare", "Name", False), ("Grant-SmbShareAccess", "AccountName", False), ("Get-Service", "Name", False),
        ("Checkpoint-VM", "SnapshotName", False), ("Connect-VMNetworkAdapter", "SwitchName", False),
    ],
)
def test_which_parameters_take_wildcards(cmdlet: str, parameter: str, expected: bool) -> None:
    assert takes_wildcards(cmdlet, parameter) is expected


def test_bound_parameters_escape_selectors_only() -> None:
    command = Cmd("Get-VM", {"Name": ["V*", "web[1]"]}).pipe(Cmd("Get-VMNetworkAdapter"))
    assert command.bound_parameters() == {"Name": ["V`*", "web`[1`]"]}
    assert command.parameters == {"Name": ["V*", "web[1]"]}  # what the module asked for stays as given
    assert Cmd("New-VM", {"Name": "V*"}).bound_parameters() == {"Name": "V*"}
    assert "-Name 'V`*'" in command.describe()


def test_a_documented_pattern_goes_out_as_it_is() -> None:
    """hyperv_vm_info's name is a wildcard pattern by design: that lookup opts out of escaping."""
    assert Cmd("Get-VM", {"Name": "web*"}, patterns=True).bound_parameters() == {"Name": "web*"}
