"""The AWX credential types inject only variables the modules read as fallbacks, and every secret is secret."""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import connection_argument_spec
from ansible_collections.winvirt.hyperv.plugins.module_utils._ldap_connection import ldap_argument_spec

ROOT = pathlib.Path(__file__).resolve().parents[2]
TYPES = sorted((ROOT / "extensions" / "awx").glob("credential_type_*.yml"))


def fallbacks() -> set[str]:
    names: set[str] = set()
    for spec in (connection_argument_spec(), ldap_argument_spec()):
        for option in spec.values():
            if "fallback" in option:
                names.update(option["fallback"][1])
    return names


@pytest.mark.parametrize("path", TYPES, ids=[p.name for p in TYPES])
def test_injected_variables_are_module_fallbacks(path: pathlib.Path) -> None:
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    injected = set(definition["injectors"]["env"])
    assert injected and injected <= fallbacks(), injected - fallbacks()
    fields = {field["id"]: field for field in definition["inputs"]["fields"]}
    assert fields["password"].get("secret") is True
    assert set(definition["inputs"]["required"]) <= set(fields)


def test_there_are_credential_types() -> None:
    assert {p.name for p in TYPES} == {"credential_type_hyperv.yml", "credential_type_hyperv_ldap.yml"}
