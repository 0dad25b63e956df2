# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows features a Hyper-V host needs: reading their state and installing them (pure planning).

FOR INTERNAL COLLECTION USE ONLY.

Two tools install them. On Windows Server, Server Manager (Install-WindowsFeature) is the way, and
``-IncludeManagementTools`` brings the Hyper-V Manager and PowerShell module with the role. On a
client OS (Windows 10/11) Server Manager does not exist, and inside a VM without exposed
virtualization extensions Install-WindowsFeature refuses the role; there DISM
(Enable-WindowsOptionalFeature -Online -All -NoRestart) is the only way.
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


# The one table of features this collection installs.
FEATURES: dict[str, Feature] = {
    feature.name: feature
    for feature in (
        Feature("Hyper-V", "Microsoft-Hyper-V"),
        Feature("RSAT-Hyper-V-Tools", "Microsoft-Hyper-V-Tools-All"),
        Feature("RSAT-Clustering", None),
        Feature("Multipath-IO", "MultipathIo"),
    )
}

_INSTALLED = {"installed", "enabled"}
_PENDING = {"installpending", "enablepending"}


@dataclasses.dataclass(frozen=True)
class FeatureState:
    name: str
    state: str  # installed | install_pending | available | unknown

    @property
    def present(self) -> bool:
        return self.state in ("installed", "install_pending")


def choose_method(requested: str, is_client_os: bool) -> str:
    if requested != "auto":
        return requested
    return "dism" if is_client_os else "server_manager"


def read_commands(names: t.Sequence[str], method: str) -> list[Cmd]:
    if method == "server_manager":
        return [Cmd("Get-WindowsFeature", {"Name": list(names)}, select=["Name", "InstallState"])]
    return [
        Cmd("Get-WindowsOptionalFeature", {"Online": True, "FeatureName": dism_name(name)},
            select=["FeatureName", "State"], missing_ok=True)
        for name in names
    ]


def dism_name(name: str) -> str:
    feature = FEATURES[name]
    if feature.dism_name is None:
        raise ValueError(f"{name} cannot be installed with DISM (Enable-WindowsOptionalFeature); on a client OS it is "
                         "part of the Remote Server Administration Tools capabilities")
    return feature.dism_name


def _normalise(raw: t.Any) -> str:
    value = str(raw or "").replace(" ", "").lower()
    if value in _INSTALLED:
        return "installed"
    if value in _PENDING:
        return "install_pending"
    return "available" if value else "unknown"


def parse_states(names: t.Sequence[str], method: str, results: list[list[t.Any]]) -> list[FeatureState]:
    if method == "server_manager":
        rows = {str(row.get("Name")): row for row in results[0]}
        return [FeatureState(name, _normalise(rows[name].get("InstallState")) if name in rows else "unknown")
                for name in names]
    states = []
    for name, rows in zip(names, results):
        states.append(FeatureState(name, _normalise(rows[0].get("State")) if rows else "unknown"))
    return states


@dataclasses.dataclass
class FeaturePlan:
    to_install: list[str]
    commands: list[Cmd]
    errors: list[str]
    pending_reboot: bool  # something was already installed and waits for a reboot


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
        command = Cmd("Install-WindowsFeature", params, select=["Success", "RestartNeeded", "ExitCode"])
    else:
        command = Cmd("Enable-WindowsOptionalFeature",
                      {"Online": True, "FeatureName": [dism_name(n) for n in missing], "All": True, "NoRestart": True},
                      select=["RestartNeeded"])
    return FeaturePlan(missing, [command], errors, pending)


def restart_needed(rows: list[t.Any]) -> bool:
    """From Install-WindowsFeature (RestartNeeded Yes/No/Maybe) or Enable-WindowsOptionalFeature (bool)."""
    for row in rows:
        value = row.get("RestartNeeded") if isinstance(row, dict) else None
        if value is True or str(value).lower() in ("yes", "maybe", "true"):
            return True
    return False
