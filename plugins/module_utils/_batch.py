# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many commands in one PowerShell pipeline: how each output object and error maps back to its command.

FOR INTERNAL COLLECTION USE ONLY.

A batch goes out as statements of one PSRP pipeline, and its output comes back as one ordered stream.
Each statement's output is told apart without extra commands where that is certain:

- A statement that selects properties (``Cmd.select``) returns objects whose properties are exactly that
  list: Select-Object adds a property the input lacks with a null value (PowerShell's
  ``SelectObjectCommand.ProcessParameter``: "allow 'Select-Object -Property noexist-name' to return a PSObject
  with property noexist-name", the Windows PowerShell idiom ``"" | Select-Object A, B``). So the set of
  property names identifies the statement. When two statements select the same set (the same type, or two
  types read alike), the later one also selects a property named after its position, which no object has
  (``winvirt3``): it comes back null and is dropped here.
- A statement without ``select`` whose last cmdlet has a ``-PassThru`` parameter, not given, writes nothing
  (PowerShell's standard parameter: "PassThru ... the cmdlet returns an object that it would not otherwise
  return"; the cmdlets are listed below from Microsoft's reference, tests/unit/test_batch.py checks them
  against the cmdlet catalog).
- Any other unselected statement's output is "raw": it belongs to the first raw statement at or after the
  last statement known to have written.
- An error names its cmdlet (ErrorRecord CategoryInfo.Activity: the command that wrote it): it belongs to the
  first statement at or after the last known one whose pipeline runs that cmdlet. A tolerant lookup
  (``missing_ok``: ErrorAction SilentlyContinue) writes no error records, so it is skipped unless nothing else
  runs that cmdlet.

Only where that cannot tell two statements apart (two raw statements, or two statements running the same
cmdlet, with no certain output between them) does a ``Write-Output <marker>`` statement still go between them.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

# Cmdlets the collection runs that have a -PassThru parameter (Microsoft's cmdlet reference, as in
# the cmdlet catalog): without it they write no output.
QUIET_UNLESS_PASSTHRU = frozenset({
    "Add-ADGroupMember", "Add-VMDvdDrive", "Add-VMHardDiskDrive", "Add-VMMigrationNetwork", "Add-VMNetworkAdapter",
    "Add-VMScsiController", "Checkpoint-VM", "Complete-VMFailover", "Connect-VMNetworkAdapter", "Convert-VHD",
    "Copy-Item", "Disable-NetFirewallRule", "Disable-VMMigration", "Disconnect-VMNetworkAdapter",
    "Enable-NetFirewallRule", "Enable-VMMigration", "Enable-VMReplication", "Move-VM", "New-ADGroup",
    "Remove-ADGroupMember", "Remove-NetFirewallRule", "Remove-SmbShare", "Remove-VM", "Remove-VMDvdDrive",
    "Remove-VMMigrationNetwork", "Remove-VMNetworkAdapter", "Remove-VMReplication",
    "Remove-VMReplicationAuthorizationEntry", "Remove-VMSnapshot", "Resize-VHD", "Restart-VM", "Restore-VMSnapshot",
    "Resume-VM", "Resume-VMReplication", "Save-VM", "Set-ADComputer", "Set-ADObject", "Set-Item", "Set-ItemProperty",
    "Set-NetFirewallRule", "Set-SmbShare", "Set-VHD", "Set-VM", "Set-VMBios", "Set-VMDvdDrive", "Set-VMFirmware",
    "Set-VMHardDiskDrive", "Set-VMHost", "Set-VMMemory", "Set-VMNetworkAdapter", "Set-VMNetworkAdapterVlan",
    "Set-VMProcessor", "Set-VMReplication", "Set-VMReplicationAuthorizationEntry", "Set-VMReplicationServer",
    "Set-VMSwitch", "Start-VM", "Start-VMFailover", "Start-VMInitialReplication", "Stop-VM", "Stop-VMFailover",
    "Suspend-VM", "Suspend-VMReplication", "Update-VMVersion",
})
TAG_PREFIX = "winvirt"
_WILDCARDS = frozenset("*?[]")


def _short(cmdlet: str) -> str:
    return cmdlet.rpartition("\\")[2].lower()


@dataclasses.dataclass(frozen=True)
class Statement:
    """One command as sent: the properties it selects (with its tag, if it needs one) and whether a boundary
    marker goes before it."""

    command: Cmd
    select: tuple[str, ...] | None
    marker_before: bool
    tag: str | None = None

    @property
    def signature(self) -> frozenset[str] | None:
        """The property names its output objects carry, when they are certain."""
        if self.select is None or any(char in _WILDCARDS for name in self.select for char in name):
            return None
        return frozenset(name.lower() for name in self.select)

    @property
    def cmdlets(self) -> frozenset[str]:
        """The cmdlets whose errors may end this statement. The Select-Object that ``select`` appends is not
        one: property names that exist nowhere come back null rather than failing (see above)."""
        return frozenset(_short(link.cmdlet) for link in self.command.chain())

    @property
    def quiet(self) -> bool:
        if self.select is not None:
            return False
        last = self.command.chain()[-1]
        passthru = any(name.lower() == "passthru" and value for name, value in last.parameters.items())
        return last.cmdlet.rpartition("\\")[2] in QUIET_UNLESS_PASSTHRU and not passthru

    @property
    def raw(self) -> bool:
        return self.signature is None and not self.quiet


def layout(commands: t.Sequence[Cmd]) -> list[Statement]:
    """The statements of one batch: tags where two select the same properties, markers only where needed."""
    statements: list[Statement] = []
    seen: set[frozenset[str]] = set()
    group: list[Statement] = []  # the statements since the last marker
    for index, command in enumerate(commands):
        select = tuple(command.select) if command.select else None
        tag = None
        candidate = Statement(command, select, False)
        if candidate.signature is not None:
            if candidate.signature in seen:
                tag = f"{TAG_PREFIX}{index}"
                select = (*select, tag)  # type: ignore[misc]
                candidate = Statement(command, select, False, tag)
            seen.add(candidate.signature)  # type: ignore[arg-type]
        if group and any(_confusable(other, candidate) for other in group):
            candidate = dataclasses.replace(candidate, marker_before=True)
            group = []
        group.append(candidate)
        statements.append(candidate)
    return statements


def _confusable(earlier: Statement, later: Statement) -> bool:
    if earlier.raw and later.raw:
        return True
    shared = earlier.cmdlets & later.cmdlets
    return bool(shared) and not (earlier.command.missing_ok or later.command.missing_ok)


@dataclasses.dataclass
class Split:
    """The output of a batch by statement, and the index of the statement the first error belongs to."""

    results: list[list[t.Any]]
    position: int  # the last statement known to have run (written output or passed a marker)


def split(statements: t.Sequence[Statement], items: t.Iterable[t.Any], marker: str) -> Split:
    """Assign the batch's output ``items`` (plain Python, as ``to_plain`` gives them) to their statements."""
    results: list[list[t.Any]] = [[] for _statement in statements]
    by_signature = {s.signature: i for i, s in enumerate(statements) if s.signature is not None}
    marker_targets = [i for i, s in enumerate(statements) if s.marker_before]
    markers = 0
    position = 0
    for item in items:
        if item == marker and isinstance(item, str):
            position = max(position, marker_targets[markers])
            markers += 1
            continue
        index = None
        if isinstance(item, dict):
            index = by_signature.get(frozenset(str(key).lower() for key in item))
        if index is not None:
            tag = statements[index].tag
            if tag is not None:
                item = {key: value for key, value in item.items() if str(key).lower() != tag}
        else:
            index = next((i for i in range(position, len(statements)) if statements[i].raw), position)
        position = max(position, index)
        results[index].append(item)
    return Split(results, position)


def failed_statement(statements: t.Sequence[Statement], position: int, activity: str | None) -> int:
    """The statement an error belongs to: the first at or after ``position`` that runs the cmdlet the error
    names, preferring those that report errors (not ``missing_ok``)."""
    candidates = range(min(position, len(statements) - 1), len(statements))
    if activity:
        wanted = _short(activity)
        running = [i for i in candidates if wanted in statements[i].cmdlets]
        reporting = [i for i in running if not statements[i].command.missing_ok]
        if reporting or running:
            return (reporting or running)[0]
    reporting = [i for i in candidates if not statements[i].command.missing_ok]
    return reporting[0] if reporting else candidates[0]
