"""PowerShell wildcard rules for the names the controller matches itself (_wildcard.py)."""

from __future__ import annotations

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils import _wildcard as wildcard
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_plan import select_vms
from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import pattern_problem


@pytest.mark.parametrize("pattern, name, expected", [
    ("web*", "WEB1", True),
    ("web?", "web12", False),
    ("web[1-3]", "web2", True),
    ("web[1-3]", "web4", False),
    ("web[!1]", "web!", True),   # no negation in PowerShell: '!' is a member of the set
    ("web[!1]", "web2", False),  # fnmatch would say True here
    ("web`[1`]", "web[1]", True),
    ("web`[1`]", "web1", False),
    ("a`*", "a*", True),
    ("a`*", "ab", False),
    ("*", "x'; Remove-VM *", True),
    ("a.b*", "aXb", False),  # regular-expression characters are literal
])
def test_matches_as_get_vm_name_does(pattern: str, name: str, expected: bool) -> None:
    assert wildcard.matches(pattern, name) is expected


@pytest.mark.parametrize("name, expected", [("web1", False), ("web*", True), ("web`*", False), ("a]", True),
                                            ("web`[1`]", False), ("x?", True)])
def test_is_pattern_ignores_escaped_characters(name: str, expected: bool) -> None:
    assert wildcard.is_pattern(name) is expected


def test_an_unclosed_bracket_is_refused_before_anything_runs() -> None:
    problem = pattern_problem("name", "web[1")
    assert problem is not None and "not closed" in problem and "`[" in problem
    assert pattern_problem("name", "web`[1") is None and pattern_problem("name", "web1") is None


def test_migration_selects_by_powershell_rules() -> None:
    # fnmatch would take web[!2] as "web and not 2" and pick web1
    moving, done, problems = select_vms(["web[!2]", "APP*"], ["web1", "web!", "web2", "app1", "db1"], ["app2"])
    assert moving == ["web!", "web2", "app1"] and done == ["app2"] and not problems
