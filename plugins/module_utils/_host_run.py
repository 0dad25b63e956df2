# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One hyperv_host task: read, plan, apply, restart if allowed, finish the settings.

FOR INTERNAL COLLECTION USE ONLY.

Round trips: (1) facts (+ CredSSP / management client state); (2) features and Hyper-V settings,
which need to know the OS (which tool) and whether Hyper-V runs (skipped when neither is asked
for); (3) every change at once, with the settings read again at its end. After a restart the
settings that needed the role running take one more read and one more apply.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils import _features as features
from ansible_collections.winvirt.hyperv.plugins.module_utils import _host_settings as settings
from ansible_collections.winvirt.hyperv.plugins.module_utils import _management_client as mgmt
from ansible_collections.winvirt.hyperv.plugins.module_utils._client import HostClient
from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_facts import HostFacts, parse_facts
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_facts import read_commands as facts_read
from ansible_collections.winvirt.hyperv.plugins.module_utils._reboot import restart_and_wait


@dataclasses.dataclass(frozen=True)
class HostSpec:
    features: tuple[str, ...] = ()
    feature_method: str = "auto"
    reboot: bool = False
    reboot_timeout: int = 900
    settings: settings.HostSettingsSpec = dataclasses.field(default_factory=lambda: settings.HostSettingsSpec({}))
    credssp_server: bool | None = None
    management_client: mgmt.ClientSpec | None = None


class _Batch:
    """Commands gathered for one round trip, each part remembering where its results start."""

    def __init__(self) -> None:
        self.commands: list[Cmd] = []
        self.slots: dict[str, slice] = {}

    def add(self, key: str, commands: t.Sequence[Cmd]) -> None:
        start = len(self.commands)
        self.commands.extend(commands)
        self.slots[key] = slice(start, len(self.commands))

    def run(self, client: HostClient, *, retry: bool = False) -> dict[str, list[list[t.Any]]]:
        results = client.run(self.commands, retry=retry) if self.commands else []
        return {key: results[part] for key, part in self.slots.items()}


class HostRun:
    def __init__(self, client: HostClient, spec: HostSpec, *, check_mode: bool, warn: t.Callable[[str], None]) -> None:
        self.client = client
        self.spec = spec
        self.check_mode = check_mode
        self.warn = warn
        self.changes: list[str] = []
        self.applied = False  # the apply round trip ran: a failure after it has changed the machine

    # -- reading -----------------------------------------------------------------------------
    def _read_facts(self) -> tuple[HostFacts, dict[str, list[list[t.Any]]]]:
        batch = _Batch()
        batch.add("facts", facts_read())
        batch.add("reboot_pending", [features.reboot_pending_command()])
        if self.spec.credssp_server is not None:
            batch.add("credssp", [settings.credssp_server_read()])
        if self.spec.management_client is not None:
            batch.add("client", mgmt.read_commands())
        results = batch.run(self.client, retry=True)
        return parse_facts(results["facts"]), results

    def _read_hyperv(self, method: str, hyperv_running: bool) -> dict[str, list[list[t.Any]]]:
        batch = _Batch()
        if self.spec.features:
            batch.add("features", features.read_commands(self.spec.features, method))
        if hyperv_running and not self.spec.settings.empty:
            batch.add("settings", settings.read_commands())
        return batch.run(self.client, retry=True)

    # -- the task ----------------------------------------------------------------------------
    def execute(self) -> dict[str, t.Any]:
        spec = self.spec
        facts, first = self._read_facts()
        method = features.choose_method(spec.feature_method, facts.is_client_os)
        refusal = features.dism_refusal(spec.features, method, str(facts.os.get("Caption") or ""), facts.is_client_os)
        if refusal:
            raise ValueError(refusal)
        second = self._read_hyperv(method, facts.hyperv_running)
        result: dict[str, t.Any] = {"facts": facts.to_result(), "rebooted": False}
        before: dict[str, t.Any] = {}
        after: dict[str, t.Any] = {}
        apply = _Batch()

        feature_plan = None
        if spec.features:
            states = features.parse_states(spec.features, method, second["features"])
            feature_plan = features.plan_features(states, method)
            if feature_plan.errors:
                raise ValueError(" ".join(feature_plan.errors))
            before["features"] = {s.name: s.state for s in states}
            after["features"] = {s.name: ("installed" if s.name in feature_plan.to_install else s.state) for s in states}
            if feature_plan.to_install:
                tool = "Install-WindowsFeature" if method == "server_manager" else "Enable-WindowsOptionalFeature"
                self.changes.append(f"install {', '.join(feature_plan.to_install)} with {tool}")
                apply.add("install", feature_plan.commands)
                apply.add("modules", [features.module_check(module) for module in feature_plan.modules])

        if spec.credssp_server is not None:
            enabled = settings.credssp_enabled(first["credssp"][0])
            before["credssp_server"] = enabled
            after["credssp_server"] = spec.credssp_server
            commands = settings.plan_credssp_server(spec.credssp_server, enabled)
            if commands:
                self.changes.append(f"{'enable' if spec.credssp_server else 'disable'} the CredSSP server role")
                apply.add("credssp", commands)

        if spec.management_client is not None:
            client_state = mgmt.parse_state(first["client"])
            client_plan = mgmt.plan_client(spec.management_client, client_state)
            before["management_client"] = client_state.to_result()
            after["management_client"] = client_plan.after
            self.changes.extend(client_plan.changes)
            apply.add("client", client_plan.commands)

        settings_pending = False
        if not spec.settings.empty:
            installing_hyperv = feature_plan is not None and "Hyper-V" in (feature_plan.to_install or ())
            if facts.hyperv_running:
                state = settings.parse_state(second["settings"])
                settings_plan = settings.plan_settings(spec.settings, state)
                before["settings"] = state.to_result()
                after["settings"] = settings_plan.after
                result["settings"] = settings_plan.after
                result["reported"] = state.reported
                self.changes.extend(settings_plan.changes)
                if settings_plan.commands:
                    apply.add("settings", settings_plan.commands)
                    apply.add("settings_after", settings.read_commands())
            elif installing_hyperv or (feature_plan is not None and feature_plan.pending_reboot):
                settings_pending = True
            else:
                raise ValueError("Hyper-V is not running on this host (the vmms service "
                                 f"{'is ' + facts.hyperv_service if facts.hyperv_service else 'does not exist'}), so its "
                                 "settings cannot be read or set; add Hyper-V to features (and reboot: true)")

        # a restart any earlier install (this module's, DISM's, Windows Update's) still waits for counts too
        servicing_pending = bool(first["reboot_pending"][0] and first["reboot_pending"][0][0] is True)
        reboot_required = bool(feature_plan and feature_plan.pending_reboot) or servicing_pending
        result["changed"] = bool(self.changes)
        result["changes"] = self.changes
        result["diff"] = {"before": before, "after": after}
        if "features" in after:
            result["features"] = after["features"] if self.check_mode else before["features"]
        for key in ("credssp_server", "management_client"):
            if key in after:
                result[key] = after[key] if self.check_mode else before[key]
        if self.check_mode:
            result["reboot_required"] = reboot_required or bool(feature_plan and feature_plan.to_install)
            if settings_pending:
                self.warn("Hyper-V settings cannot be planned before the Hyper-V role runs on the host")
            return result

        applied = self._apply(apply)
        if "install" in applied:
            reboot_required = reboot_required or features.restart_needed(applied["install"][0])
            states_after = {name: ("install_pending" if reboot_required else "installed") for name in feature_plan.to_install}
            result["features"] = {**before["features"], **states_after}
            missing = [module for module, rows in zip(feature_plan.modules, applied["modules"]) if not rows]
            if missing:
                raise ValueError(
                    f"{', '.join(feature_plan.to_install)} installed, but the PowerShell module "
                    f"{', '.join(missing)} is still not on the host (Get-Module -ListAvailable finds nothing), so "
                    "the Hyper-V cmdlets are 'not recognized'; install its sub feature (Hyper-V-PowerShell, or "
                    "Microsoft-Hyper-V-Management-PowerShell with DISM) on the host and run the task again")
        for key in ("credssp_server", "management_client"):
            if key in after:
                result[key] = after[key]
        if "settings_after" in applied:
            result["settings"] = settings.parse_state(applied["settings_after"]).to_result()

        if reboot_required and spec.reboot:
            restart_and_wait(self.client, facts.last_boot, spec.reboot_timeout)
            self.changes.append("restart the host")
            result["rebooted"] = True
            result["changed"] = True
            reboot_required = False
            if spec.features:
                refreshed = self._read_hyperv(method, False)
                states = features.parse_states(spec.features, method, refreshed["features"])
                result["features"] = {s.name: s.state for s in states}
            if settings_pending:
                result.update(self._settings_after_restart())
                settings_pending = False
        if settings_pending:
            self.warn("Hyper-V settings were not applied: the role needs a restart first. Restart the host (or set "
                      "reboot: true) and run the task again.")
        result["reboot_required"] = reboot_required
        result["changes"] = self.changes
        result["changed"] = bool(self.changes)
        return result

    def _settings_after_restart(self) -> dict[str, t.Any]:
        read = _Batch()
        read.add("facts", facts_read())
        read.add("settings", settings.read_commands())
        current = read.run(self.client, retry=True)
        if not parse_facts(current["facts"]).hyperv_running:
            raise ValueError("the host restarted but the Hyper-V service (vmms) is not running")
        state = settings.parse_state(current["settings"])
        plan = settings.plan_settings(self.spec.settings, state)
        self.changes.extend(plan.changes)
        if not plan.commands:
            return {"settings": state.to_result(), "reported": state.reported}
        apply = _Batch()
        apply.add("settings", plan.commands)
        apply.add("settings_after", settings.read_commands())
        applied = self._apply(apply)
        return {"settings": settings.parse_state(applied["settings_after"]).to_result(), "reported": state.reported}

    def _apply(self, batch: _Batch) -> dict[str, list[list[t.Any]]]:
        """Run an apply batch; ``applied`` says whether the machine may have changed, also when the connection
        broke after the batch was sent."""
        try:
            applied = batch.run(self.client)
        except HyperVError as err:
            self.applied = self.applied or (bool(batch.commands) and err.outcome_unknown)
            raise
        self.applied = self.applied or bool(batch.commands)
        return applied
