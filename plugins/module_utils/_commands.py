# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Structured PowerShell commands: a cmdlet name and parameter values, never script text.

FOR INTERNAL COLLECTION USE ONLY.

A value such as ``x'; Remove-VM *`` passed as a parameter reaches the host as that string, bound
to that parameter; nothing here ever concatenates values into PowerShell source.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

_CMDLET_NAME = re.compile(r"^(?:[A-Za-z][\w.-]*\\)?[A-Za-z]+-[A-Za-z0-9]+$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclasses.dataclass
class Cmd:
    """One cmdlet call, optionally piped into further cmdlets (``Get-VM -Name x | Stop-VM``).

    Switch parameters take ``True`` (``-Force:$true`` binds like ``-Force``) or ``False``.
    ``select`` appends ``Select-Object -Property ...`` so the host returns only what is needed.
    ``missing_ok`` runs the call with ErrorAction SilentlyContinue (a lookup of something that may
    not exist); otherwise ErrorAction is Stop, so the first error ends the batch and is reported.
    """

    cmdlet: str
    parameters: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    select: list[str] | None = None
    missing_ok: bool = False
    piped: list[Cmd] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if not _CMDLET_NAME.match(self.cmdlet):
            raise ValueError(f"not a cmdlet name: {self.cmdlet!r}")
        for name in self.parameters:
            if not _PARAMETER_NAME.match(name):
                raise ValueError(f"not a parameter name: {name!r}")

    def pipe(self, other: Cmd) -> Cmd:
        """Pipe this command's output into ``other``; returns self for chaining."""
        self.piped.append(other)
        return self

    def chain(self) -> list[Cmd]:
        return [self, *self.piped]

    def describe(self) -> str:
        """A readable rendering for error messages and logs (secrets are the caller's to mask)."""
        parts = []
        for cmd in self.chain():
            rendered = [cmd.cmdlet]
            for name, value in cmd.parameters.items():
                rendered.append(f"-{name} {_render(value)}")
            parts.append(" ".join(rendered))
        return " | ".join(parts)


def _render(value: t.Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, (list, tuple)):
        return ",".join(_render(item) for item in value)
    if isinstance(value, dict):
        return "@{" + "; ".join(f"{key}={_render(item)}" for key, item in value.items()) + "}"
    return str(value)
