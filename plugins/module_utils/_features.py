# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows features a Hyper-V host needs: reading their state and installing them (pure planning).

FOR INTERNAL COLLECTION USE ONLY.

Two tools install them. On Windows Server, Server Manager (Install-WindowsFeature) is the way, and
``-IncludeManagementTools`` brings the Hyper-V Manager and PowerShell module with the role. On a
client OS (Windows 10/11) Server Manager does not exist, and inside a VM without exposed
virtualization extensions Install-WindowsFeature refuses the role; there DISM
(Enable-WindowsOptionalFeature -Online -All -NoRestart) is the only way.

A management-tools feature is a parent whose sub features carry the tools: RSAT-Hyper-V-Tools holds
"Hyper-V GUI Management Tools" (Hyper-V-Tools) and "Hyper-V Module for Windows PowerShell"
(Hyper-V-PowerShell). Installing the parent alone leaves the PowerShell module out, so a tools feature
counts as installed only with its parts, is installed with -IncludeAllSubFeature (Server Manager) or
with its parts named (DISM, whose -All adds parents, not children), and the Hyper-V module is looked
for after the install.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

METHODS = ("auto", "server_manager", "dism")


@dataclasses.dataclass(frozen=True)
class Feature:
    name: str  # Server Manager name, which is also the option value
    dism_name: str | None  # the optional feature DISM knows it by, None if DISM cannot install it
    parts: tuple[str, ...] = ()  # Server Manager sub features that must be installed with it
    dism_parts: tuple[str, ...] = ()  # the same parts by their DISM names
    module: str | None = None  # the PowerShell module the feature brings, looked for after installing it


# The one table of features this collection installs.
FEATURES: dict[str, Feature] = {
    feature.name: feature
    for feature in (
        Feature("Hyper-V", "Microsoft-Hyper-V"),
        Feature("RSAT-Hyper-V-Tools", "Microsoft-Hyper-V-Tools-All", ("Hyper-V-Tools", "Hyper-V-PowerShell"),
                ("Microsoft-Hyper-V-Management-Clients", "Microsoft-Hyper-V-Management-PowerShell"), "Hyper-V"),
        Feature("RSAT-Clustering", None, ("RSAT-Clustering-Mgmt", "RSAT-Clustering-PowerShell")),
        Feature("Multipath-IO", "MultipathIo"),
    )
}

_INSTALLED = {"installed", "enabled"}
_PENDING = {"installpending", "enablepending"}


@dataclasses.dataclass(frozen=True)
class FeatureState:
    name: str
    state: str  # installed | install_pending | partial | available | unknown

    @property
    def present(self) -> bool:
        return self.state in ("installed", "install_pending")


def feature(name: str) -> Feature:
    """The table's entry, or a plain feature without parts for a name only read (Failover-Clustering)."""
    return FEATURES.get(name) or Feature(name, None)


def choose_method(requested: str, is_client_os: bool) -> str:
    if requested != "auto":
        return requested
    return "dism" if is_client_os else "server_manager"


def dism_refusal(names: t.Sequence[str], method: str, os_caption: str, is_client_os: bool) -> str | None:
    """Why DISM cannot install some of ``names`` on this OS (all of them in one sentence), or None."""
    if method != "dism":
        return None
    refused = [name for name in names if FEATURES[name].dism_name is None]
    if not refused:
        return None
    where = os_caption or ("this client OS" if is_client_os else "this Windows Server")
    fix = ("install them as Remote Server Administration Tools capabilities (Add-WindowsCapability) or leave "
           "them out" if is_client_os else "use feature_method: server_manager (or auto) for them")
    return (f"{', '.join(refused)} cannot be installed with DISM (Enable-WindowsOptionalFeature) on {where}: "
            f"{fix}")


def _queried(names: t.Sequence[str], method: str) -> list[str]:
    """Each feature followed by its parts, in the names the tool knows them by."""
    found: list[str] = []
    for name in names:
        entry = feature(name)
        if method == "server_manager":
            found += [entry.name, *entry.parts]
        else:
            found += [dism_name(name), *entry.dism_parts]
    return found


def read_commands(names: t.Sequence[str], method: str) -> list[Cmd]:
    if method == "server_manager":
        return [Cmd("Get-WindowsFeature", {"Name": _queried(names, method)}, select=["Name", "InstallState"])]
    return [
        Cmd("Get-WindowsOptionalFeature", {"Online": True, "FeatureName": name}, select=["FeatureName", "State"],
            missing_ok=True)
        for name in _queried(names, method)
    ]


def dism_name(name: str) -> str:
    dism = feature(name).dism_name
    if dism is None:
        raise ValueError(f"{name} cannot be installed with DISM (Enable-WindowsOptionalFeature)")
    return dism


def _normalise(raw: t.Any) -> str:
    value = str(raw or "").replace(" ", "").lower()
    if value in _INSTALLED:
        return "installed"
    if value in _PENDING:
        return "install_pending"
    return "available" if value else "unknown"


def _combined(own: str, parts: list[str]) -> str:
    """A feature installed without all its parts (the PowerShell module, say) is only partly installed.

    A part the host does not show at all (another Windows version's split) is not held against it.
    """
    if own not in ("installed", "install_pending") or all(p in ("installed", "install_pending", "unknown")
                                                          for p in parts):
        return own
    return "partial"


def parse_states(names: t.Sequence[str], method: str, results: list[list[t.Any]]) -> list[FeatureState]:
    if method == "server_manager":
        rows = {str(row.get("Name")).lower(): row for row in results[0]}
        found = {name: _normalise(rows[name.lower()].get("InstallState")) if name.lower() in rows else "unknown"
                 for name in _queried(names, method)}
    else:
        found = {name: (_normalise(rows[0].get("State")) if rows else "unknown")
                 for name, rows in zip(_queried(names, method), results)}
    states = []
    for name in names:
        entry = feature(name)
        own, parts = ((entry.name, entry.parts) if method == "server_manager" else (dism_name(name), entry.dism_parts))
        states.append(FeatureState(name, _combined(found[own], [found[p] for p in parts])))
    return states


@dataclasses.dataclass
class FeaturePlan:
    to_install: list[str]
    commands: list[Cmd]
    errors: list[str]
    pending_reboot: bool  # something was already installed and waits for a reboot
    modules: list[str] = dataclasses.field(default_factory=list)  # PowerShell modules the install must bring


def plan_features(states: t.Sequence[FeatureState], method: str) -> FeaturePlan:
    unknown = [s.name for s in states if s.state == "unknown"]
    errors = [f"the host does not offer the feature(s) {', '.join(unknown)} ({method})"] if unknown else []
    missing = [s.name for s in states if not s.present and s.state != "unknown"]
    pending = any(s.state == "install_pending" for s in states)
    if not missing:
        return FeaturePlan([], [], errors, pending)
    if method == "server_manager":
        params: dict[str, t.Any] = {"Name": missing}
        if "Hyper-V" in missing:
            params["IncludeManagementTools"] = True
        if any(FEATURES[name].parts for name in missing):
            params["IncludeAllSubFeature"] = True
        command = Cmd("Install-WindowsFeature", params, select=["Success", "RestartNeeded", "ExitCode"])
    else:
        names = [item for name in missing for item in (dism_name(name), *FEATURES[name].dism_parts)]
        command = Cmd("Enable-WindowsOptionalFeature",
                      {"Online": True, "FeatureName": names, "All": True, "NoRestart": True},
                      select=["RestartNeeded"])
    modules = [FEATURES[name].module for name in missing if FEATURES[name].module]
    return FeaturePlan(missing, [command], errors, pending, t.cast(list[str], modules))


def module_check(module: str) -> Cmd:
    """The module as PowerShell finds it (no rows: cmdlets of it will be 'not recognized')."""
    return Cmd("Get-Module", {"ListAvailable": True, "Name": module}, select=["Name", "Version"])


# Component Based Servicing keeps this key while installed packages or features wait for a restart,
# whichever tool (Server Manager, DISM, Windows Update) installed them.
CBS_REBOOT_PENDING = "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending"


def reboot_pending_command() -> Cmd:
    return Cmd("Test-Path", {"Path": CBS_REBOOT_PENDING})


def restart_needed(rows: list[t.Any]) -> bool:
    """From Install-WindowsFeature (RestartNeeded Yes/No/Maybe) or Enable-WindowsOptionalFeature (bool)."""
    for row in rows:
        value = row.get("RestartNeeded") if isinstance(row, dict) else None
        if value is True or str(value).lower() in ("yes", "maybe", "true"):
            return True
    return False
