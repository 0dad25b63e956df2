# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Windows machine says about itself: OS, edition, domain membership, whether Hyper-V runs.

FOR INTERNAL COLLECTION USE ONLY. Nothing here knows a version table: the module
reports what the host reports.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

_OS = ["Caption", "Version", "BuildNumber", "ProductType", "OperatingSystemSKU", "LastBootUpTime"]
_CS = ["Name", "DNSHostName", "Domain", "PartOfDomain", "Manufacturer", "Model", "HypervisorPresent",
       "NumberOfLogicalProcessors", "TotalPhysicalMemory"]


def read_commands() -> list[Cmd]:
    return [
        Cmd("Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}, select=_OS),
        Cmd("Get-CimInstance", {"ClassName": "Win32_ComputerSystem"}, select=_CS),
        Cmd("Get-Service", {"Name": "vmms"}, select=["Name", "Status"], missing_ok=True),
    ]


NAME_PROPERTIES = ["ComputerName", "FullyQualifiedDomainName"]


def name_command() -> Cmd:
    """What the Hyper-V host calls itself (messages name hosts so, not by the address the controller used)."""
    return Cmd("Get-VMHost", select=NAME_PROPERTIES)


def host_name(row: dict[str, t.Any]) -> str:
    """A Get-VMHost row's name for messages: its FQDN (hv1.lab.test), else its computer name; "" if neither."""
    return str(row.get("FullyQualifiedDomainName") or row.get("ComputerName") or "")


def boot_time_command() -> Cmd:
    return Cmd("Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}, select=["LastBootUpTime"])


@dataclasses.dataclass(frozen=True)
class HostFacts:
    os: dict[str, t.Any]
    computer: dict[str, t.Any]
    hyperv_service: str | None  # Status of vmms, None when the service does not exist

    @property
    def is_client_os(self) -> bool:
        return str(self.os.get("ProductType")) == "1"

    @property
    def hyperv_running(self) -> bool:
        return (self.hyperv_service or "").lower() == "running"

    @property
    def last_boot(self) -> str | None:
        value = self.os.get("LastBootUpTime")
        return None if value is None else str(value)

    def to_result(self) -> dict[str, t.Any]:
        product = {"1": "workstation", "2": "domain_controller", "3": "server"}.get(str(self.os.get("ProductType")), "unknown")
        return {
            "os_caption": self.os.get("Caption"),
            "os_version": self.os.get("Version"),
            "os_build": self.os.get("BuildNumber"),
            "os_sku": self.os.get("OperatingSystemSKU"),
            "product_type": product,
            "is_client_os": self.is_client_os,
            "last_boot_time": self.last_boot,
            "computer_name": self.computer.get("Name"),
            "dns_host_name": self.computer.get("DNSHostName"),
            "domain": self.computer.get("Domain"),
            "part_of_domain": bool(self.computer.get("PartOfDomain")),
            "model": self.computer.get("Model"),
            "manufacturer": self.computer.get("Manufacturer"),
            "hypervisor_present": self.computer.get("HypervisorPresent"),
            "logical_processors": self.computer.get("NumberOfLogicalProcessors"),
            "total_physical_memory": self.computer.get("TotalPhysicalMemory"),
            "hyperv_service": self.hyperv_service,
        }


def parse_facts(results: list[list[t.Any]]) -> HostFacts:
    os_row = results[0][0] if results[0] else {}
    cs_row = results[1][0] if results[1] else {}
    service = results[2][0].get("Status") if results[2] else None
    return HostFacts(os_row, cs_row, None if service is None else str(service))
