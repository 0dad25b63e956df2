"""The Windows features hvsim knows: Server Manager roles/features and DISM optional features (static data).

One table per tool. ``ServerFeature.dism`` is the optional feature name DISM shows the same feature
under on Windows Server (Enable-WindowsOptionalFeature on a server changes the Server Manager
feature). Client editions (Windows 10/11) have no Server Manager; their features are the
``CLIENT_FEATURES`` table, keyed by DISM name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerFeature:
    name: str
    display_name: str
    feature_type: str  # "Role" | "Role Service" | "Feature"
    parent: str | None = None
    restart: bool = False  # installing/removing it needs a restart to finish
    dism: str | None = None
    tools: tuple[str, ...] = ()  # what -IncludeManagementTools adds
    services: tuple[str, ...] = ()  # services (SERVICE_DEFS) the feature brings once installed
    needs_virtualization: bool = False


@dataclass(frozen=True)
class ClientFeature:
    name: str  # DISM FeatureName
    display_name: str
    parent: str | None = None
    restart: bool = False
    services: tuple[str, ...] = ()
    needs_virtualization: bool = False


_SERVER = (
    ServerFeature("FileAndStorage-Services", "File and Storage Services", "Role"),
    ServerFeature("File-Services", "File and iSCSI Services", "Role Service", "FileAndStorage-Services"),
    ServerFeature("FS-FileServer", "File Server", "Role Service", "File-Services", dism="File-Services"),
    ServerFeature("Storage-Services", "Storage Services", "Role Service", "FileAndStorage-Services"),
    ServerFeature("AD-Domain-Services", "Active Directory Domain Services", "Role",
                  dism="DirectoryServices-DomainController", tools=("RSAT", "RSAT-Role-Tools", "RSAT-AD-Tools",
                                                                     "RSAT-AD-PowerShell"),
                  services=("NTDS", "Kdc", "Netlogon")),
    ServerFeature("DNS", "DNS Server", "Role", dism="DNS-Server-Full-Role", services=("DNS",)),
    ServerFeature("Hyper-V", "Hyper-V", "Role", restart=True, dism="Microsoft-Hyper-V",
                  tools=("RSAT", "RSAT-Role-Tools", "RSAT-Hyper-V-Tools", "Hyper-V-Tools", "Hyper-V-PowerShell"),
                  services=("vmms", "vmcompute"), needs_virtualization=True),
    ServerFeature("Containers", "Containers", "Feature", restart=True, dism="Containers"),
    ServerFeature("Data-Center-Bridging", "Data Center Bridging", "Feature", dism="DataCenterBridging"),
    ServerFeature("Failover-Clustering", "Failover Clustering", "Feature", dism="FailoverCluster-FullServer",
                  tools=("RSAT", "RSAT-Feature-Tools", "RSAT-Clustering", "RSAT-Clustering-Mgmt",
                         "RSAT-Clustering-PowerShell"), services=("ClusSvc",)),
    ServerFeature("Multipath-IO", "Multipath I/O", "Feature", dism="MultipathIo"),
    ServerFeature("NET-Framework-45-Features", ".NET Framework 4.8 Features", "Feature"),
    ServerFeature("NET-Framework-45-Core", ".NET Framework 4.8", "Feature", "NET-Framework-45-Features"),
    ServerFeature("RSAT", "Remote Server Administration Tools", "Feature"),
    ServerFeature("RSAT-Feature-Tools", "Feature Administration Tools", "Feature", "RSAT"),
    ServerFeature("RSAT-Clustering", "Failover Clustering Tools", "Feature", "RSAT-Feature-Tools",
                  dism="RSAT-Clustering"),
    ServerFeature("RSAT-Clustering-Mgmt", "Failover Cluster Management Tools", "Feature", "RSAT-Clustering"),
    ServerFeature("RSAT-Clustering-PowerShell", "Failover Cluster Module for Windows PowerShell", "Feature",
                  "RSAT-Clustering", dism="RSAT-Clustering-PowerShell"),
    ServerFeature("RSAT-Role-Tools", "Role Administration Tools", "Feature", "RSAT"),
    ServerFeature("RSAT-AD-Tools", "AD DS and AD LDS Tools", "Feature", "RSAT-Role-Tools"),
    ServerFeature("RSAT-AD-PowerShell", "Active Directory module for Windows PowerShell", "Feature",
                  "RSAT-AD-Tools", dism="ActiveDirectory-PowerShell"),
    ServerFeature("RSAT-Hyper-V-Tools", "Hyper-V Management Tools", "Feature", "RSAT-Role-Tools",
                  dism="Microsoft-Hyper-V-Tools-All"),
    ServerFeature("Hyper-V-Tools", "Hyper-V GUI Management Tools", "Feature", "RSAT-Hyper-V-Tools",
                  dism="Microsoft-Hyper-V-Management-Clients"),
    ServerFeature("Hyper-V-PowerShell", "Hyper-V Module for Windows PowerShell", "Feature", "RSAT-Hyper-V-Tools",
                  dism="Microsoft-Hyper-V-Management-PowerShell"),
    ServerFeature("System-DataArchiver", "System Data Archiver", "Feature"),
    ServerFeature("PowerShellRoot", "Windows PowerShell", "Feature"),
    ServerFeature("PowerShell", "Windows PowerShell 5.1", "Feature", "PowerShellRoot"),
    ServerFeature("Windows-Defender", "Microsoft Defender Antivirus", "Feature", restart=True),
    ServerFeature("WoW64-Support", "WoW64 Support", "Feature"),
)
SERVER_FEATURES: dict[str, ServerFeature] = {feature.name: feature for feature in _SERVER}
# what every Windows Server has installed out of the box
SERVER_DEFAULTS = ("FileAndStorage-Services", "Storage-Services", "NET-Framework-45-Features",
                   "NET-Framework-45-Core", "System-DataArchiver", "PowerShellRoot", "PowerShell",
                   "Windows-Defender", "WoW64-Support")

_CLIENT = (
    ClientFeature("Microsoft-Hyper-V-All", "Hyper-V", restart=True),
    ClientFeature("Microsoft-Hyper-V", "Hyper-V Platform", "Microsoft-Hyper-V-All", restart=True,
                  services=("vmms", "vmcompute"), needs_virtualization=True),
    ClientFeature("Microsoft-Hyper-V-Hypervisor", "Hyper-V Hypervisor", "Microsoft-Hyper-V", restart=True,
                  needs_virtualization=True),
    ClientFeature("Microsoft-Hyper-V-Services", "Hyper-V Services", "Microsoft-Hyper-V", restart=True),
    ClientFeature("Microsoft-Hyper-V-Tools-All", "Hyper-V Management Tools", "Microsoft-Hyper-V-All"),
    ClientFeature("Microsoft-Hyper-V-Management-Clients", "Hyper-V GUI Management Tools",
                  "Microsoft-Hyper-V-Tools-All"),
    ClientFeature("Microsoft-Hyper-V-Management-PowerShell", "Hyper-V Module for Windows PowerShell",
                  "Microsoft-Hyper-V-Tools-All"),
    ClientFeature("Containers", "Containers", restart=True),
    ClientFeature("VirtualMachinePlatform", "Virtual Machine Platform", restart=True),
    ClientFeature("Microsoft-Windows-Subsystem-Linux", "Windows Subsystem for Linux", restart=True),
    ClientFeature("NetFx4-AdvSrvs", ".NET Framework 4.8 Advanced Services"),
    ClientFeature("MicrosoftWindowsPowerShellV2Root", "Windows PowerShell 2.0"),
)
CLIENT_FEATURES: dict[str, ClientFeature] = {feature.name: feature for feature in _CLIENT}
CLIENT_DEFAULTS = ("NetFx4-AdvSrvs",)

# PowerShell modules that come with a feature: module -> (server feature, client optional feature)
MODULE_FEATURES: dict[str, tuple[str | None, str | None]] = {
    "Hyper-V": ("Hyper-V-PowerShell", "Microsoft-Hyper-V-Management-PowerShell"),
    "ActiveDirectory": ("RSAT-AD-PowerShell", None),
    "FailoverClusters": ("RSAT-Clustering-PowerShell", None),
}


@dataclass(frozen=True)
class ServiceDef:
    name: str
    display_name: str
    start_type: str = "Automatic"  # ServiceStartMode name
    status: str = "Running"  # ServiceControllerStatus name
    service_type: str = "Win32OwnProcess"


_SERVICES = (
    ServiceDef("WinRM", "Windows Remote Management (WS-Management)", service_type="Win32ShareProcess"),
    ServiceDef("LanmanServer", "Server", service_type="Win32ShareProcess"),
    ServiceDef("LanmanWorkstation", "Workstation", service_type="Win32ShareProcess"),
    ServiceDef("EventLog", "Windows Event Log", service_type="Win32ShareProcess"),
    ServiceDef("MpsSvc", "Windows Defender Firewall", service_type="Win32ShareProcess"),
    ServiceDef("W32Time", "Windows Time", "Manual", service_type="Win32ShareProcess"),
    ServiceDef("Dnscache", "DNS Client", service_type="Win32ShareProcess"),
    ServiceDef("vmms", "Hyper-V Virtual Machine Management"),
    ServiceDef("vmcompute", "Hyper-V Host Compute Service", "Manual"),
    ServiceDef("NTDS", "Active Directory Domain Services"),
    ServiceDef("Kdc", "Kerberos Key Distribution Center", service_type="Win32ShareProcess"),
    ServiceDef("Netlogon", "Netlogon", service_type="Win32ShareProcess"),
    ServiceDef("DNS", "DNS Server"),
    ServiceDef("ClusSvc", "Cluster Service", "Disabled", "Stopped"),
)
SERVICE_DEFS: dict[str, ServiceDef] = {service.name.lower(): service for service in _SERVICES}
BASE_SERVICES = ("WinRM", "LanmanServer", "LanmanWorkstation", "EventLog", "MpsSvc", "W32Time", "Dnscache")
