# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hyper-V host settings (Get-/Set-VMHost, live migration, migration networks, CredSSP server role).

FOR INTERNAL COLLECTION USE ONLY. Pure planning: commands to read, compare, commands to apply.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd


@dataclasses.dataclass(frozen=True)
class Setting:
    option: str  # hyperv_host's option name, a dotted path for suboptions (live_migration.authentication)
    prop: str  # the Get-VMHost property and Set-VMHost parameter
    values: dict[str, str] | None = None  # our choice -> Hyper-V enum name


# The one table mapping our options to Set-VMHost parameters.
SETTINGS: tuple[Setting, ...] = (
    Setting("virtual_machine_path", "VirtualMachinePath"),
    Setting("virtual_hard_disk_path", "VirtualHardDiskPath"),
    Setting("enhanced_session_mode", "EnableEnhancedSessionMode"),
    Setting("numa_spanning", "NumaSpanningEnabled"),
    Setting("max_storage_migrations", "MaximumStorageMigrations"),
    Setting("live_migration.max_migrations", "MaximumVirtualMachineMigrations"),
    Setting("live_migration.authentication", "VirtualMachineMigrationAuthenticationType",
            {"credssp": "CredSSP", "kerberos": "Kerberos"}),
    Setting("live_migration.performance", "VirtualMachineMigrationPerformanceOption",
            {"tcpip": "TCPIP", "compression": "Compression", "smb": "SMB"}),
    Setting("live_migration.use_any_network", "UseAnyNetworkForMigration"),
)
# What the host reports about itself (capabilities as the host states them, no version tables).
_REPORTED = ["ComputerName", "LogicalProcessorCount", "MemoryCapacity", "VirtualMachineMigrationEnabled",
             "MacAddressMinimum", "MacAddressMaximum"]
VMHOST_PROPERTIES = [s.prop for s in SETTINGS] + _REPORTED


def read_commands() -> list[Cmd]:
    return [
        Cmd("Get-VMHost", {}, select=VMHOST_PROPERTIES),
        Cmd("Get-VMMigrationNetwork", {}, select=["Subnet", "Priority"]),
    ]


@dataclasses.dataclass
class HostSettingsState:
    values: dict[str, t.Any]  # by option name, in our vocabulary
    migration_enabled: bool
    migration_networks: list[str]
    reported: dict[str, t.Any]

    def to_result(self) -> dict[str, t.Any]:
        """In hyperv_host's option names: the live migration settings under live_migration."""
        result: dict[str, t.Any] = {"live_migration": {"enabled": self.migration_enabled,
                                                       "networks": list(self.migration_networks)}}
        for option, value in self.values.items():
            group, _dot, name = option.rpartition(".")
            (result.setdefault(group, {}) if group else result)[name] = value
        return result


def _ours(setting: Setting, value: t.Any) -> t.Any:
    if setting.values is None:
        return value
    for ours, theirs in setting.values.items():
        if str(value).lower() == theirs.lower():
            return ours
    return str(value).lower() if value is not None else None


def normalise_subnet(subnet: str) -> str:
    """'10.0.0.1/24' and '10.0.0.0/24' are the same migration network."""
    return str(ipaddress.ip_network(subnet.strip(), strict=False))


def parse_state(results: list[list[t.Any]]) -> HostSettingsState:
    host = results[0][0] if results[0] else {}
    values = {s.option: _ours(s, host.get(s.prop)) for s in SETTINGS}
    networks = [normalise_subnet(str(row.get("Subnet"))) for row in results[1] if row.get("Subnet")]
    reported = {key: host.get(key) for key in _REPORTED}
    return HostSettingsState(values, bool(host.get("VirtualMachineMigrationEnabled")), sorted(networks), reported)


@dataclasses.dataclass(frozen=True)
class HostSettingsSpec:
    values: dict[str, t.Any]  # option name -> wanted value (None = leave alone)
    live_migration: bool | None = None
    migration_networks: tuple[str, ...] | None = None  # the full set when given

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.values.values()) and self.live_migration is None and self.migration_networks is None


@dataclasses.dataclass
class SettingsPlan:
    changes: list[str]
    commands: list[Cmd]
    after: dict[str, t.Any]


def _same(option: str, current: t.Any, wanted: t.Any) -> bool:
    if option.endswith("_path") and isinstance(current, str):
        def folder(path: str) -> str:  # Windows takes / as a separator, and a trailing one names the same folder
            return path.replace("/", "\\").rstrip("\\").lower()
        return folder(current) == folder(str(wanted))
    return bool(current == wanted)


def plan_settings(spec: HostSettingsSpec, current: HostSettingsState) -> SettingsPlan:
    changes: list[str] = []
    commands: list[Cmd] = []
    after = dataclasses.replace(current, values=dict(current.values), migration_networks=list(current.migration_networks))
    set_params: dict[str, t.Any] = {}
    for setting in SETTINGS:
        wanted = spec.values.get(setting.option)
        if wanted is None or _same(setting.option, current.values.get(setting.option), wanted):
            continue
        set_params[setting.prop] = setting.values[wanted] if setting.values else wanted
        changes.append(f"{setting.option}: {current.values.get(setting.option)!r} -> {wanted!r}")
        after.values[setting.option] = wanted
    if spec.live_migration is not None and spec.live_migration != current.migration_enabled:
        commands.append(Cmd("Enable-VMMigration" if spec.live_migration else "Disable-VMMigration", {}))
        changes.append(f"live migration {'enabled' if spec.live_migration else 'disabled'}")
        after.migration_enabled = spec.live_migration
    if set_params:
        commands.append(Cmd("Set-VMHost", set_params))
    if spec.migration_networks is not None:
        wanted_networks = [normalise_subnet(s) for s in spec.migration_networks]
        for subnet in sorted(set(current.migration_networks) - set(wanted_networks)):
            commands.append(Cmd("Remove-VMMigrationNetwork", {"Subnet": subnet}))
            changes.append(f"remove migration network {subnet}")
        for priority, subnet in enumerate(wanted_networks, start=1):
            if subnet not in current.migration_networks:
                commands.append(Cmd("Add-VMMigrationNetwork", {"Subnet": subnet, "Priority": priority}))
                changes.append(f"add migration network {subnet}")
        after.migration_networks = sorted(set(wanted_networks))
    return SettingsPlan(changes, commands, after.to_result())


# -- the CredSSP server role (workgroup hosts) -------------------------------------------------------

CREDSSP_SERVER_PATH = "WSMan:\\localhost\\Service\\Auth\\CredSSP"


def credssp_server_read() -> Cmd:
    return Cmd("Get-Item", {"Path": CREDSSP_SERVER_PATH}, select=["Value"])


def credssp_enabled(rows: list[t.Any]) -> bool:
    return bool(rows) and str(rows[0].get("Value")).lower() == "true"


def plan_credssp_server(wanted: bool | None, enabled: bool) -> list[Cmd]:
    if wanted is None or wanted == enabled:
        return []
    if wanted:
        return [Cmd("Enable-WSManCredSSP", {"Role": "Server", "Force": True})]
    return [Cmd("Disable-WSManCredSSP", {"Role": "Server"})]
