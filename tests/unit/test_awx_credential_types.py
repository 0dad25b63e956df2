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
    for secret in ("password", "certificate_key"):
        if secret in fields:
            assert fields[secret].get("secret") is True
    assert set(definition["inputs"]["required"]) <= set(fields)


def option_of(variable: str) -> dict:
    for spec in (connection_argument_spec(), ldap_argument_spec()):
        for option in spec.values():
            if variable in option.get("fallback", (None, []))[1]:
                return option
    raise KeyError(variable)


@pytest.mark.parametrize("path", TYPES, ids=[p.name for p in TYPES])
def test_form_prefills_and_choices_are_the_modules(path: pathlib.Path) -> None:
    """A field's default (AWX's form prefill) is the option's default, its choices among the option's."""
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    for variable, template in definition["injectors"]["env"].items():
        option = option_of(variable)
        for field in definition["inputs"]["fields"]:
            if template.strip() == "{{ %s }}" % field["id"]:
                assert set(field.get("choices", [])) <= set(option.get("choices", field.get("choices", []))), variable
                if "default" in field:
                    assert field["default"] == option["default"], variable


@pytest.mark.parametrize("path", TYPES, ids=[p.name for p in TYPES])
def test_unticked_boxes_mean_the_modules_defaults(path: pathlib.Path) -> None:
    """AWX injects an unset boolean as false: no box may carry a prefill that says otherwise."""
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    for field in definition["inputs"]["fields"]:
        if field.get("type") == "boolean":
            assert field.get("default", False) is False, field["id"]


def test_there_are_credential_types() -> None:
    assert {p.name for p in TYPES} == {
        "credential_type_hyperv.yml", "credential_type_hyperv_certificate.yml", "credential_type_hyperv_ldap.yml"
    }
