# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What hyperv_connector reads from the agent's Hyper-V host, in one round trip, and how it registers the agent.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._connector_rules import (
    AGENT_SERVICE,
    BITS_SERVICE,
    ConnectorConfig,
    HostFacts,
    TemplateFacts,
    is_unc,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_facts import host_name, name_command

AGENT_EXE = "C:\\Program Files (x86)\\Citrix\\Agent\\Citrix.AppLayering.Agent.Service.exe"
PASSWORD_ARGUMENT = 3  # index of /password:... in register_arguments


def read_commands(config: ConnectorConfig) -> list[Cmd]:
    """Agent service, BITS, the switch, the storage path, volumes, the host's own name, the template VM (VM, NICs,
    disks, firmware)."""
    template = config.template_vm or ""
    commands = [
        Cmd("Get-Service", {"Name": AGENT_SERVICE}, select=["Name", "Status"], missing_ok=True),
        Cmd("Get-Service", {"Name": BITS_SERVICE}, select=["Name", "Status", "StartType"], missing_ok=True),
        Cmd("Get-VMSwitch", {"Name": config.switch}, select=["Name"], missing_ok=True),
        Cmd("Test-Path", {"LiteralPath": config.storage_path}),
        Cmd("Get-Volume", {}, select=["DriveLetter", "SizeRemaining"]),
        name_command(),
    ]
    if template:
        commands += [
            Cmd("Get-VM", {"Name": template}, select=["Name", "Generation"], missing_ok=True),
            Cmd("Get-VMNetworkAdapter", {"VMName": template}, select=["Name"], missing_ok=True),
            Cmd("Get-VMHardDiskDrive", {"VMName": template}, select=["Path"], missing_ok=True),
            Cmd("Get-VMFirmware", {"VMName": template}, select=["SecureBoot"], missing_ok=True),
        ]
    return commands


def _letter(value: t.Any) -> str:
    return chr(value).upper() if isinstance(value, int) else str(value or "")[:1].upper()


def parse_host_facts(config: ConnectorConfig, results: list[list[t.Any]]) -> HostFacts:
    agent, bits, switches, exists, volumes, names = results[:6]
    drives = {_letter(v.get("DriveLetter")): v.get("SizeRemaining") for v in volumes if v.get("DriveLetter")}
    free = None if is_unc(config.storage_path) else drives.get(config.storage_path[:1].upper())
    template = None
    template_count = 0
    if config.template_vm:
        vms, adapters, disks, firmware = results[6:10]
        template_count = len(vms)
        if template_count == 1:
            secure = firmware[0].get("SecureBoot") if firmware else None
            template = TemplateFacts(generation=int(vms[0].get("Generation") or 1),
                                     secure_boot=str(secure).lower() in ("on", "true"),
                                     network_adapters=len(adapters), disks=len(disks))
    return HostFacts(
        agent_service=str(agent[0].get("Status")) if agent else None,
        bits_start_type=str(bits[0].get("StartType")) if bits else None,
        switch_count=len(switches),
        template=template,
        template_count=template_count,
        storage_exists=bool(exists and exists[0]),
        local_drives=tuple(sorted(drives)),
        free_bytes=int(free) if free is not None else None,
        name=host_name(names[0]) if names else "",
    )


def register_arguments(appliance_address: str, user: str, password: str, ignore_cert_errors: bool) -> list[str]:
    """``registerwithelm`` arguments; the password is at PASSWORD_ARGUMENT so it can be masked."""
    return ["registerwithelm", f"/elmaddress:{appliance_address}", f"/user:{user}", f"/password:{password}",
            f"/ignorecerterrors:{'true' if ignore_cert_errors else 'false'}"]


def agent_matches(agent: dict[str, t.Any], wanted: str) -> bool:
    key = wanted.lower()
    return key in (str(agent.get("name", "")).lower(), str(agent.get("fqdn", "")).lower(),
                   str(agent.get("address", "")).lower())
