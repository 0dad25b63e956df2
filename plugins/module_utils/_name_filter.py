# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name options of the ``_info`` modules: an exact name, or a pattern that says it is one.

FOR INTERNAL COLLECTION USE ONLY.

``name`` is matched exactly: a switch called ``Lab [A]`` is found as itself, never as the pattern ``Lab A``
(the Cmd escapes ``* ? [ ]``). ``name_pattern`` goes to the cmdlet as the wildcard pattern it documents.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._validate import name_problem


@dataclasses.dataclass(frozen=True)
class NameFilter:
    name: str | None = None
    pattern: str | None = None

    @property
    def parameters(self) -> dict[str, str]:
        """The ``-Name`` (or other selecting parameter) value; empty selects every object."""
        value = self.name if self.name is not None else self.pattern
        return {} if value is None else {"Name": value}

    @property
    def patterns(self) -> bool:
        """Whether the value goes out as a wildcard pattern (Cmd(patterns=...))."""
        return self.pattern is not None


def argument_spec(name_key: str = "name", pattern_key: str = "name_pattern") -> dict[str, t.Any]:
    """The two options (each module documents them); use with ``mutually_exclusive=[(name_key, pattern_key)]``."""
    return {name_key: {"type": "str"}, pattern_key: {"type": "str"}}


def from_params(params: dict[str, t.Any], name_key: str = "name", pattern_key: str = "name_pattern") -> NameFilter:
    return NameFilter(params.get(name_key), params.get(pattern_key))


def problems(params: dict[str, t.Any], name_key: str = "name", pattern_key: str = "name_pattern") -> list[str]:
    found = [name_problem(name_key, params.get(name_key))]
    if params.get(pattern_key) is not None and not str(params[pattern_key]).strip():
        found.append(f"{pattern_key} must not be empty (leave it out to list every object)")
    return [problem for problem in found if problem]
