"""Every field a module documents in RETURN carries a sample (on the leaves: a dict or list with ``contains``
gets its samples on the fields inside), so the rendered docs show what a task registers."""

from __future__ import annotations

import importlib
import pathlib
import typing as t

import pytest
import yaml

MODULES = sorted(p.stem for p in (pathlib.Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py")
                 if not p.name.startswith("_"))


def leaves_without_sample(fields: dict[str, t.Any], prefix: str = "") -> list[str]:
    missing = []
    for name, field in fields.items():
        if field.get("contains"):
            missing += leaves_without_sample(field["contains"], f"{prefix}{name}.")
        elif "sample" not in field:
            missing.append(prefix + name)
    return missing


def test_the_walk_finds_a_missing_sample_on_a_leaf() -> None:
    fields = {"a": {"type": "int", "sample": 1}, "b": {"type": "dict", "contains": {"c": {"type": "str"}}}}
    assert leaves_without_sample(fields) == ["b.c"]


@pytest.mark.parametrize("module", MODULES)
def test_every_returned_field_has_a_sample(module: str) -> None:
    source = importlib.import_module(f"ansible_collections.winvirt.hyperv.plugins.modules.{module}")
    returned = yaml.safe_load(source.RETURN) or {}
    assert leaves_without_sample(returned) == [], f"{module}: RETURN fields without a sample"


@pytest.mark.parametrize("module", MODULES)
def test_documentation_and_examples_are_yaml(module: str) -> None:
    """A ': ' in a plain scalar breaks a module's docs for ansible-doc and every docs tool (it happened twice)."""
    source = importlib.import_module(f"ansible_collections.winvirt.hyperv.plugins.modules.{module}")
    assert isinstance(yaml.safe_load(source.DOCUMENTATION), dict)
    assert isinstance(yaml.safe_load(source.EXAMPLES), list)
