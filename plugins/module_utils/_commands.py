# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Structured PowerShell commands: a cmdlet name and parameter values, never script text.

FOR INTERNAL COLLECTION USE ONLY.

A value such as ``x'; Remove-VM *`` passed as a parameter reaches the host as that string, bound
to that parameter; nothing here ever concatenates values into PowerShell source.

Names are exact: a parameter that selects existing Hyper-V or SMB objects by name treats ``* ? [ ]``
as wildcards (PowerShell's WildcardPattern; Microsoft's own examples: ``Start-VM -Name Test*`` starts
every VM whose name starts with Test), so such values go out escaped with PowerShell's wildcard escape,
the backtick (WildcardPattern.Escape), and ``V*`` selects only a VM named ``V*``.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

_CMDLET_NAME = re.compile(r"^(?:[A-Za-z][\w.-]*\\)?[A-Za-z]+-[A-Za-z0-9]+$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_WILDCARD_CHARACTERS = "*?[]`"
_NAME_SELECTORS = frozenset({"VMName", "VMNetworkAdapterName"})  # always an existing object's name
_CREATING_VERBS = frozenset({"New", "Add"})  # their -Name is the new object's name: taken literally


def literal_name(name: str) -> str:
    """PowerShell's WildcardPattern.Escape: a backtick before each ``* ? [ ]`` and backtick."""
    return "".join("`" + char if char in _WILDCARD_CHARACTERS else char for char in name)


def takes_wildcards(cmdlet: str, parameter: str) -> bool:
    """Whether ``-parameter`` of ``cmdlet`` selects existing Hyper-V VMs, switches, checkpoints, adapters or
    SMB shares by a name that the cmdlet matches as a wildcard pattern."""
    verb, noun = (cmdlet.rpartition("\\")[2].split("-", 1) + [""])[:2]
    if noun.startswith("VM"):
        return parameter in _NAME_SELECTORS or (parameter == "Name" and verb not in _CREATING_VERBS)
    if noun.startswith("SmbShare"):
        return parameter == "Name" and verb not in _CREATING_VERBS
    return False


def _literal(value: t.Any) -> t.Any:
    if isinstance(value, str):
        return literal_name(value)
    if isinstance(value, (list, tuple)):
        return [_literal(item) for item in value]
    return value


@dataclasses.dataclass
class Cmd:
    """One cmdlet call, optionally piped into further cmdlets (``Get-VM -Name x | Stop-VM``).

    Switch parameters take ``True`` (``-Force:$true`` binds like ``-Force``) or ``False``.
    ``select`` appends ``Select-Object -Property ...`` so the host returns only what is needed.
    ``missing_ok`` runs the call with ErrorAction SilentlyContinue (a lookup of something that may
    not exist); otherwise ErrorAction is Stop, so the first error ends the batch and is reported.
    ``patterns`` sends names as they are, for a lookup whose option is documented as a wildcard pattern
    (hyperv_vm_info ``name``); otherwise names that select objects go out escaped and match exactly.
    """

    cmdlet: str
    parameters: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    select: list[str] | None = None
    missing_ok: bool = False
    piped: list[Cmd] = dataclasses.field(default_factory=list)
    patterns: bool = False

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

    def bound_parameters(self) -> dict[str, t.Any]:
        """The parameters as sent: names that select objects escaped so they match exactly."""
        return {name: (_literal(value) if not self.patterns and takes_wildcards(self.cmdlet, name) else value)
                for name, value in self.parameters.items()}

    def describe(self) -> str:
        """A readable rendering for error messages and logs (secrets are the caller's to mask)."""
        parts = []
        for cmd in self.chain():
            rendered = [cmd.cmdlet]
            for name, value in cmd.bound_parameters().items():
                rendered.append(f"-{name} {_render(value)}")
            parts.append(" ".join(rendered))
        return " | ".join(parts)


# PowerShell's single quotes: the ASCII one and the typographic ones its tokenizer also accepts
# (CharExtensions.IsSingleQuote: U+2018, U+2019, U+201A, U+201B); inside '...' each is doubled.
_SINGLE_QUOTES = re.compile("['\u2018\u2019\u201a\u201b]")


def _render(value: t.Any) -> str:
    if isinstance(value, str):
        return "'" + _SINGLE_QUOTES.sub(lambda match: match.group(0) * 2, value) + "'"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, (list, tuple)):
        return ",".join(_render(item) for item in value)
    if isinstance(value, dict):
        return "@{" + "; ".join(f"{key}={_render(item)}" for key, item in value.items()) + "}"
    return str(value)
