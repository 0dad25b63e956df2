"""The property sets of the non-Hyper-V output types hvsim returns, as data (Hyper-V's: ``hyperv_types``).

Each type's list names its source; tests/hvsim/DESIGN.md "Output objects: property sets and their sources" has the
table. CIM classes are written as Microsoft Learn's MOF syntax blocks and converted with ``_mof``: a CIM instance's
unset property is null whatever its type (``NULL_DEFAULT``), and PowerShell adds ``PSComputerName`` after the
class's properties (``CimInstanceAdapter``). ``ALIASES`` are type-data members (alias or script properties) that
PowerShell adds to an object; a type-data member is written like an adapted property at depth 1.
"""

from __future__ import annotations

CIM = "Microsoft.Management.Infrastructure.CimInstance"
OS_TYPE = f"{CIM}#root/cimv2/Win32_OperatingSystem"
CS_TYPE = f"{CIM}#root/cimv2/Win32_ComputerSystem"
VOLUME_TYPE = f"{CIM}#ROOT/Microsoft/Windows/Storage/MSFT_Volume"
NET_ADAPTER_TYPE = f"{CIM}#ROOT/StandardCimv2/MSFT_NetAdapter"
IP_ADDRESS_TYPE = f"{CIM}#ROOT/StandardCimv2/MSFT_NetIPAddress"
SERVICE_TYPE = "System.ServiceProcess.ServiceController"
FILE_TYPE = "System.IO.FileInfo"
DIRECTORY_TYPE = "System.IO.DirectoryInfo"
WSMAN_LEAF_TYPE = "Microsoft.WSMan.Management.WSManConfigLeafElement"
REGISTRY_KEY_TYPE = "Microsoft.Win32.RegistryKey"
SMB_SHARE_TYPE = f"{CIM}#ROOT/Microsoft/Windows/SMB/MSFT_SmbShare"
SMB_ACE_TYPE = f"{CIM}#ROOT/Microsoft/Windows/SMB/MSFT_SmbShareAccessControlEntry"
FIREWALL_RULE_TYPE = f"{CIM}#root/standardcimv2/MSFT_NetFirewallRule"
PORT_FILTER_TYPE = f"{CIM}#root/standardcimv2/MSFT_NetProtocolPortFilter"
MIGRATION_JOB_TYPE = f"{CIM}#root/virtualization/v2/Msvm_MigrationJob"
MODULE_INFO_TYPE = "System.Management.Automation.PSModuleInfo"
DISM = "Microsoft.Dism.Commands"
DISM_IMAGE_TYPE = f"{DISM}.ImageObject"
DISM_BASIC_FEATURE_TYPE = f"{DISM}.BasicFeatureObject"
DISM_ADVANCED_FEATURE_TYPE = f"{DISM}.AdvancedFeatureObject"

_CIM_TYPES = {"string": "System.String", "boolean": "System.Boolean", "datetime": "System.DateTime",
              "uint8": "System.Byte", "sint16": "System.Int16", "uint16": "System.UInt16", "uint32": "System.UInt32",
              "uint64": "System.UInt64", "sint64": "System.Int64", "char16": "System.Char", "sint8": "System.SByte",
              "interval": "System.TimeSpan"}  # interval: a MOF datetime holding an interval (a TimeSpan in .NET)


def _mof(syntax: str) -> tuple[tuple[str, str], ...]:
    """``string Name; uint16 Codes[]; ...`` (Microsoft Learn's class syntax) as (name, .NET type) pairs, then
    PSComputerName."""
    pairs = []
    for declaration in syntax.split(";"):
        words = declaration.split("=")[0].split()
        if not words:
            continue
        cim_type, name = words[0].lower(), words[1]
        array = name.endswith("[]")
        pairs.append((name.removesuffix("[]"), _CIM_TYPES[cim_type] + ("[]" if array else "")))
    return (*pairs, ("PSComputerName", "System.String"))


# PowerShell's provider note properties on every item (Microsoft Learn, about_Providers / "PSPath" in
# System.Management.Automation.SessionStateProviderBase: the PS* properties the provider adds to each item it writes)
_PROVIDER_NOTES = (("PSPath", "System.String"), ("PSParentPath", "System.String"), ("PSChildName", "System.String"),
                   ("PSDrive", "System.Management.Automation.PSDriveInfo"),
                   ("PSProvider", "System.Management.Automation.ProviderInfo"), ("PSIsContainer", "System.Boolean"))
# System.IO.FileSystemInfo's public properties (Microsoft Learn, .NET Framework 4.8 API reference)
_FILE_SYSTEM_INFO = (("Exists", "System.Boolean"), ("FullName", "System.String"), ("Extension", "System.String"),
                     ("CreationTime", "System.DateTime"), ("CreationTimeUtc", "System.DateTime"),
                     ("LastAccessTime", "System.DateTime"), ("LastAccessTimeUtc", "System.DateTime"),
                     ("LastWriteTime", "System.DateTime"), ("LastWriteTimeUtc", "System.DateTime"),
                     ("Attributes", "System.IO.FileAttributes"))

# DISM's image properties, which every DISM object carries (Enable-/Disable-WindowsOptionalFeature's ImageObject; a
# feature object). Names and order: a recorded `Get-WindowsOptionalFeature -Online` object listed whole (a
# BasicFeatureObject: FeatureName, State, then these eight; PowerShell Universal Dashboard admin-center script,
# RolesAndFeatures page, found on GitHub); the ImageObject's default view shows Path, Online, RestartNeeded (a recorded
# Enable-WindowsOptionalFeature output). Types: LogLevel is the cmdlets' -LogLevel parameter type (Microsoft Learn,
# Dism module cmdlet reference); the others are text, a flag and paths as the recordings show (True/False, blank)
_DISM_IMAGE = (("Path", "System.String"), ("Online", "System.Boolean"), ("WinPath", "System.String"),
               ("SysDrivePath", "System.String"), ("RestartNeeded", "System.Boolean"), ("LogPath", "System.String"),
               ("ScratchDirectory", "System.String"), ("LogLevel", f"{DISM}.LogLevel"))

PROPERTIES: dict[str, tuple[tuple[str, str], ...]] = {
    DISM_IMAGE_TYPE: _DISM_IMAGE,
    DISM_BASIC_FEATURE_TYPE: (("FeatureName", "System.String"), ("State", f"{DISM}.FeatureState"), *_DISM_IMAGE),
    # AdvancedFeatureObject (Get-WindowsOptionalFeature -FeatureName): the six its default view shows, in that order
    # (Microsoft Learn's own recorded output, e.g. the Android emulator hardware-acceleration troubleshooting page:
    # FeatureName, DisplayName, Description, RestartRequired, State, CustomProperties), then the image properties (the
    # BasicFeatureObject's, which it extends: Microsoft Learn lists both as Get-WindowsOptionalFeature's outputs).
    # RestartRequired, CustomProperties mirror the DISM API's DismFeatureInfo (Microsoft Learn, "DismFeatureInfo
    # structure": RestartRequired a DismRestartType, CustomProperty an array). CustomProperties' managed element type
    # is not documented: an array here (a list of "path : value" lines in the view)
    DISM_ADVANCED_FEATURE_TYPE: (
        ("FeatureName", "System.String"), ("DisplayName", "System.String"), ("Description", "System.String"),
        ("RestartRequired", f"{DISM}.RestartType"), ("State", f"{DISM}.FeatureState"),
        ("CustomProperties", "System.Object[]"), *_DISM_IMAGE),
    # PSModuleInfo (Get-Module): its public properties in source order, from PowerShell's source
    # (src/System.Management.Automation/engine/Modules/PSModuleInfo.cs, an early open-source revision that still has
    # ModuleType.Workflow and ExportedWorkflows, i.e. Windows PowerShell 5.1's code), without ExperimentalFeatures
    # (PowerShell 6.2+). Checked against Microsoft Learn's recorded `Get-Module ... -List | Format-List -Property *`
    # (New-ModuleManifest, example "Get information about a module"), which shows the same names in the same order
    # minus those added in PowerShell 5 (ImplementingAssembly, Tags ... RepositorySourceLocation, Prefix,
    # CompatiblePSEditions, ExportedDscResources)
    MODULE_INFO_TYPE: (
        ("LogPipelineExecutionDetails", "System.Boolean"), ("Name", "System.String"), ("Path", "System.String"),
        ("ImplementingAssembly", "System.Reflection.Assembly"), ("Definition", "System.String"),
        ("Description", "System.String"), ("Guid", "System.Guid"), ("HelpInfoUri", "System.String"),
        ("ModuleBase", "System.String"), ("PrivateData", "System.Object"),
        ("Tags", "System.Collections.Generic.IEnumerable<System.String>"), ("ProjectUri", "System.Uri"),
        ("IconUri", "System.Uri"), ("LicenseUri", "System.Uri"), ("ReleaseNotes", "System.String"),
        ("RepositorySourceLocation", "System.Uri"), ("Version", "System.Version"),
        ("ModuleType", "System.Management.Automation.ModuleType"), ("Author", "System.String"),
        ("AccessMode", "System.Management.Automation.ModuleAccessMode"), ("ClrVersion", "System.Version"),
        ("CompanyName", "System.String"), ("Copyright", "System.String"), ("DotNetFrameworkVersion", "System.Version"),
        ("ExportedFunctions", "System.Collections.Generic.Dictionary<System.String, FunctionInfo>"),
        ("Prefix", "System.String"),
        ("ExportedCmdlets", "System.Collections.Generic.Dictionary<System.String, CmdletInfo>"),
        ("ExportedCommands", "System.Collections.Generic.Dictionary<System.String, CommandInfo>"),
        ("FileList", "System.Collections.Generic.IEnumerable<System.String>"),
        ("CompatiblePSEditions", "System.Collections.Generic.IEnumerable<System.String>"),
        ("ModuleList", "System.Collections.Generic.IEnumerable<System.Object>"),
        ("NestedModules", "System.Collections.ObjectModel.ReadOnlyCollection<PSModuleInfo>"),
        ("PowerShellHostName", "System.String"), ("PowerShellHostVersion", "System.Version"),
        ("PowerShellVersion", "System.Version"), ("ProcessorArchitecture", "System.Reflection.ProcessorArchitecture"),
        ("Scripts", "System.Collections.Generic.IEnumerable<System.String>"),
        ("RequiredAssemblies", "System.Collections.Generic.IEnumerable<System.String>"),
        ("RequiredModules", "System.Collections.ObjectModel.ReadOnlyCollection<PSModuleInfo>"),
        ("RootModule", "System.String"),
        ("ExportedVariables", "System.Collections.Generic.Dictionary<System.String, PSVariable>"),
        ("ExportedAliases", "System.Collections.Generic.Dictionary<System.String, AliasInfo>"),
        ("ExportedWorkflows", "System.Collections.Generic.Dictionary<System.String, FunctionInfo>"),
        ("ExportedDscResources", "System.Collections.ObjectModel.ReadOnlyCollection<System.String>"),
        ("SessionState", "System.Management.Automation.SessionState"),
        ("OnRemove", "System.Management.Automation.ScriptBlock"),
        ("ExportedFormatFiles", "System.Collections.ObjectModel.ReadOnlyCollection<System.String>"),
        ("ExportedTypeFiles", "System.Collections.ObjectModel.ReadOnlyCollection<System.String>"),
    ),
    # Microsoft Learn, "Win32_OperatingSystem class" (MicrosoftDocs/win32 desktop-src/CIMWin32Prov/
    # win32-operatingsystem.md, commit 01b587c1): the syntax block, in its (alphabetic) order
    OS_TYPE: _mof("""
        string BootDevice; string BuildNumber; string BuildType; string Caption; string CodeSet; string CountryCode;
        string CreationClassName; string CSCreationClassName; string CSDVersion; string CSName; sint16 CurrentTimeZone;
        boolean DataExecutionPrevention_Available; boolean DataExecutionPrevention_32BitApplications;
        boolean DataExecutionPrevention_Drivers; uint8 DataExecutionPrevention_SupportPolicy; boolean Debug;
        string Description; boolean Distributed; uint32 EncryptionLevel; uint8 ForegroundApplicationBoost = 2;
        uint64 FreePhysicalMemory; uint64 FreeSpaceInPagingFiles; uint64 FreeVirtualMemory; datetime InstallDate;
        uint32 LargeSystemCache; datetime LastBootUpTime; datetime LocalDateTime; string Locale; string Manufacturer;
        uint32 MaxNumberOfProcesses; uint64 MaxProcessMemorySize; string MUILanguages[]; string Name;
        uint32 NumberOfLicensedUsers; uint32 NumberOfProcesses; uint32 NumberOfUsers; uint32 OperatingSystemSKU;
        string Organization; string OSArchitecture; uint32 OSLanguage; uint32 OSProductSuite; uint16 OSType;
        string OtherTypeDescription; Boolean PAEEnabled; string PlusProductID; string PlusVersionNumber;
        boolean PortableOperatingSystem; boolean Primary; uint32 ProductType; string RegisteredUser;
        string SerialNumber; uint16 ServicePackMajorVersion; uint16 ServicePackMinorVersion;
        uint64 SizeStoredInPagingFiles; string Status; uint32 SuiteMask; string SystemDevice; string SystemDirectory;
        string SystemDrive; uint64 TotalSwapSpaceSize; uint64 TotalVirtualMemorySize; uint64 TotalVisibleMemorySize;
        string Version; string WindowsDirectory; uint8 QuantumLength; uint8 QuantumType;"""),
    # Microsoft Learn, "Win32_ComputerSystem class" (MicrosoftDocs/win32 desktop-src/CIMWin32Prov/
    # win32-computersystem.md, commit 3387bbf7): the syntax block, in its order
    CS_TYPE: _mof("""
        uint16 AdminPasswordStatus; boolean AutomaticManagedPagefile; boolean AutomaticResetBootOption;
        boolean AutomaticResetCapability; uint16 BootOptionOnLimit; uint16 BootOptionOnWatchDog;
        boolean BootROMSupported; string BootupState; uint16 BootStatus[]; string Caption; uint16 ChassisBootupState;
        string ChassisSKUNumber; string CreationClassName; sint16 CurrentTimeZone; boolean DaylightInEffect;
        string Description; string DNSHostName; string Domain; uint16 DomainRole; boolean EnableDaylightSavingsTime;
        uint16 FrontPanelResetStatus; boolean HypervisorPresent; boolean InfraredSupported;
        string InitialLoadInfo[]; datetime InstallDate; uint16 KeyboardPasswordStatus; string LastLoadInfo;
        string Manufacturer; string Model; string Name; string NameFormat; boolean NetworkServerModeEnabled;
        uint32 NumberOfLogicalProcessors; uint32 NumberOfProcessors; uint8 OEMLogoBitmap[]; string OEMStringArray[];
        boolean PartOfDomain; sint64 PauseAfterReset; uint16 PCSystemType; uint16 PCSystemTypeEx;
        uint16 PowerManagementCapabilities[]; boolean PowerManagementSupported; uint16 PowerOnPasswordStatus;
        uint16 PowerState; uint16 PowerSupplyState; string PrimaryOwnerContact; string PrimaryOwnerName;
        uint16 ResetCapability; sint16 ResetCount; sint16 ResetLimit; string Roles[]; string Status;
        string SupportContactDescription[]; string SystemFamily; string SystemSKUNumber; uint16 SystemStartupDelay;
        string SystemStartupOptions[]; uint8 SystemStartupSetting; string SystemType; uint16 ThermalState;
        uint64 TotalPhysicalMemory; string UserName; uint16 WakeUpType; string Workgroup;"""),
    # Microsoft Learn, "MSFT_Volume class" (windows-hardware/drivers/storage/msft-volume): MSFT_StorageObject's
    # properties ("MSFT_StorageObject class", same set) then the volume's, in the syntax block's order
    VOLUME_TYPE: _mof("""
        String ObjectId; String PassThroughClass; String PassThroughIds; String PassThroughNamespace;
        String PassThroughServer; String UniqueId;
        Char16 DriveLetter; String Path; UInt16 HealthStatus; String FileSystem; String FileSystemLabel;
        UInt16 FileSystemType; UInt64 Size; UInt64 SizeRemaining; UInt32 DriveType; UInt32 DedupMode;"""),
    # Microsoft Learn, "MSFT_NetAdapter class" (previous-versions/windows/desktop/legacy/hh968170; MicrosoftDocs/win32
    # desktop-src/FWP/wmi/netadaptercimprov/msft-netadapter.md, commit 4d08f848, re-checked whole): the syntax block,
    # in its order. The block declares PnPDeviceID a second time after DriverMinorNdisVersion; CIM property names are
    # case-insensitive, so it is the one PNPDeviceID above and is not repeated
    NET_ADAPTER_TYPE: _mof("""
        string Caption; string Description; datetime InstallDate; string Name; string Status; uint16 Availability;
        uint32 ConfigManagerErrorCode; boolean ConfigManagerUserConfig; string CreationClassName; string DeviceID;
        boolean ErrorCleared; string ErrorDescription; uint32 LastErrorCode; string PNPDeviceID;
        uint16 PowerManagementCapabilities[]; boolean PowerManagementSupported; uint16 StatusInfo;
        string SystemCreationClassName; string SystemName; uint64 Speed; uint64 MaxSpeed; uint64 RequestedSpeed;
        uint16 UsageRestriction; uint16 PortType; string OtherPortType; string OtherNetworkPortType;
        uint16 PortNumber; uint16 LinkTechnology; string OtherLinkTechnology; string PermanentAddress;
        string NetworkAddresses[]; boolean FullDuplex; boolean AutoSense; uint64 SupportedMaximumTransmissionUnit;
        uint64 ActiveMaximumTransmissionUnit; string InterfaceDescription; string InterfaceName; uint64 NetLuid;
        string InterfaceGuid; uint32 InterfaceIndex; string DeviceName; uint32 NetLuidIndex; boolean Virtual;
        boolean Hidden; boolean NotUserRemovable; boolean IMFilter; uint32 InterfaceType; boolean HardwareInterface;
        boolean WdmInterface; boolean EndPointInterface; boolean iSCSIInterface; uint32 State; uint32 NdisMedium;
        uint32 NdisPhysicalMedium; uint32 InterfaceOperationalStatus;
        boolean OperationalStatusDownDefaultPortNotAuthenticated; boolean OperationalStatusDownMediaDisconnected;
        boolean OperationalStatusDownInterfacePaused; boolean OperationalStatusDownLowPowerState;
        uint32 InterfaceAdminStatus; uint32 MediaConnectState; uint32 MtuSize; uint16 VlanID;
        uint64 TransmitLinkSpeed; uint64 ReceiveLinkSpeed; boolean PromiscuousMode; boolean DeviceWakeUpEnable;
        boolean ConnectorPresent; uint32 MediaDuplexState; string DriverDate; uint64 DriverDateData;
        string DriverVersionString; string DriverName; string DriverDescription; uint16 MajorDriverVersion;
        uint16 MinorDriverVersion; uint8 DriverMajorNdisVersion; uint8 DriverMinorNdisVersion;
        string DriverProvider; string ComponentID; uint32 LowerLayerInterfaceIndices[];
        uint32 HigherLayerInterfaceIndices[]; boolean AdminLocked;"""),
    # Microsoft Learn, "MSFT_NetIPAddress class" (windows/win32/fwp/wmi/nettcpipprov/msft-netipaddress): the syntax
    # block, in its order
    IP_ADDRESS_TYPE: _mof("""
        string InstanceID; string Caption; string ElementName; datetime InstallDate; string StatusDescriptions[];
        string Status; uint16 HealthState; uint16 CommunicationStatus; uint16 DetailedStatus; uint16 OperatingStatus;
        uint16 PrimaryStatus; string OtherEnabledState; uint16 RequestedState = 12; uint16 EnabledDefault = 2;
        uint16 TransitioningToState = 12; uint16 AvailableRequestedStates[]; string SystemCreationClassName;
        string SystemName; string CreationClassName; string Description; string Name; uint16 OperationalStatus[];
        uint16 EnabledState; datetime TimeOfLastStateChange; string NameFormat; uint16 ProtocolType;
        string OtherTypeDescription; uint16 ProtocolIFType = 4096; string IPv4Address; string IPv6Address;
        string Address; string SubnetMask; uint8 PrefixLength; uint16 AddressType; uint16 IPVersionSupport;
        uint16 AddressOrigin = 0; uint32 InterfaceIndex; string InterfaceAlias; string IPAddress;
        uint16 AddressFamily; uint8 Type; uint8 Store; uint16 PrefixOrigin; uint16 SuffixOrigin;
        uint16 AddressState; datetime ValidLifetime; datetime PreferredLifetime; boolean SkipAsSource;"""),
    # Microsoft Learn, "MSFT_SmbShare class" (ClassVersion 30, previous-versions/windows/desktop/smb/msft-smbshare)
    SMB_SHARE_TYPE: _mof("""
        string Name; string ScopeName; boolean Scoped; uint32 ShareType; boolean Special; boolean Temporary;
        boolean ShadowCopy; string Path; string Volume; string Description; uint32 ConcurrentUserLimit;
        uint32 CurrentUsers; string SecurityDescriptor; boolean EncryptData; uint32 FolderEnumerationMode;
        uint32 CachingMode; boolean ContinuouslyAvailable; uint32 CATimeout; uint32 ShareState; uint32 SmbInstance;
        uint32 AvailabilityType;"""),
    # Microsoft Learn, "MSFT_SmbShareAccessControlEntry class" (ClassVersion 7)
    SMB_ACE_TYPE: _mof("""
        string Name; string ScopeName; string AccountName; uint32 AccessControlType; uint32 AccessRight;"""),
    # Microsoft Learn, "MSFT_NetFirewallRule class" (windows/win32/fwp/wmi/wfascimprov/msft-netfirewallrule): the
    # syntax block, in its order
    FIREWALL_RULE_TYPE: _mof("""
        uint16 Profiles; boolean LooseSourceMapping; boolean LocalOnlyMapping; string RuleGroup; string DisplayName;
        string DisplayGroup; uint16 EdgeTraversalPolicy; string Platforms[]; uint16 Direction; uint16 Action;
        uint16 PrimaryStatus; uint32 StatusCode; string Status; uint16 EnforcementStatus[];
        uint16 PolicyStoreSourceType; string PolicyStoreSource; string Owner; string SystemCreationClassName;
        string SystemName; string CreationClassName; string PolicyRuleName; uint16 ConditionListType;
        string RuleUsage; uint16 Priority; boolean Mandatory; uint16 SequencedActions; uint16 ExecutionStrategy;
        uint16 PolicyDecisionStrategy; string PolicyRoles[]; uint16 Enabled = 1; string CommonName;
        string PolicyKeywords[]; string InstanceID; string Caption; string Description; string ElementName;"""),
    # Microsoft Learn, "MSFT_NetProtocolPortFilter class": the names in MOF order (the declared types are not
    # re-checked here: these are the ones hvsim sent before, ports and ICMP types as string arrays)
    PORT_FILTER_TYPE: _mof("""
        string Protocol; string RemotePort[]; string LocalPort[]; string IcmpType[]; uint32 DynamicTransport;
        string Name; string SystemCreationClassName; string SystemName; string CreationClassName; boolean IsNegated;
        datetime InstallDate; uint16 OperationalStatus[]; string StatusDescriptions[]; string Status;
        uint16 HealthState; uint16 CommunicationStatus; uint16 DetailedStatus; uint16 OperatingStatus;
        uint16 PrimaryStatus; string InstanceID; string Caption; string Description; string ElementName;"""),
    # Microsoft Learn, "Msvm_MigrationJob class" (MicrosoftDocs/win32 desktop-src/HyperV_v2/msvm-migrationjob.md,
    # commit 3387bbf7): the syntax block, in its order; ElapsedTime, RunStartInterval and TimeBeforeRemoval are
    # intervals ("interval" here), which PowerShell gives as TimeSpan
    MIGRATION_JOB_TYPE: _mof("""
        string InstanceID; string Caption; string Description; string ElementName; datetime InstallDate; string Name;
        uint16 OperationalStatus[] = { 2 }; string StatusDescriptions[] = { "OK" }; string Status;
        uint16 HealthState = 5; uint16 CommunicationStatus; uint16 DetailedStatus; uint16 OperatingStatus;
        uint16 PrimaryStatus; string JobStatus; datetime TimeSubmitted; datetime ScheduledStartTime;
        datetime StartTime; interval ElapsedTime; uint32 JobRunTimes; uint8 RunMonth; sint8 RunDay;
        sint8 RunDayOfWeek; interval RunStartInterval; uint16 LocalOrUtcTime; datetime UntilTime; string Notify;
        string Owner; uint32 Priority; uint16 PercentComplete; boolean DeleteOnCompletion; uint16 ErrorCode;
        string ErrorDescription; uint16 RecoveryAction; string OtherRecoveryAction; uint16 JobState;
        datetime TimeOfLastStateChange; interval TimeBeforeRemoval = 00000000000500.000000:000; boolean Cancellable;
        string ErrorSummaryDescription; uint16 MigrationType; string VirtualSystemName; string DestinationHost;
        string NewSystemSettingData; string NewResourceSettingData[]; uint16 JobType;"""),
    # Microsoft Learn, .NET Framework 4.8 API reference, "ServiceController Class": its public properties
    # (Component's Container and Site included), in the page's (alphabetic) order
    SERVICE_TYPE: (
        ("CanPauseAndContinue", "System.Boolean"), ("CanShutdown", "System.Boolean"), ("CanStop", "System.Boolean"),
        ("Container", "System.ComponentModel.IContainer"),
        ("DependentServices", "System.ServiceProcess.ServiceController[]"), ("DisplayName", "System.String"),
        ("MachineName", "System.String"), ("ServiceHandle", "System.Runtime.InteropServices.SafeHandle"),
        ("ServiceName", "System.String"), ("ServicesDependedOn", "System.ServiceProcess.ServiceController[]"),
        ("ServiceType", "System.ServiceProcess.ServiceType"), ("Site", "System.ComponentModel.ISite"),
        ("StartType", "System.ServiceProcess.ServiceStartMode"),
        ("Status", "System.ServiceProcess.ServiceControllerStatus"),
    ),
    # Microsoft Learn, .NET Framework 4.8 API reference, "FileInfo Class" / "DirectoryInfo Class" (their own
    # properties, then FileSystemInfo's), plus the provider's PS* note properties
    FILE_TYPE: (
        *_PROVIDER_NOTES, ("Name", "System.String"), ("Length", "System.Int64"), ("DirectoryName", "System.String"),
        ("Directory", "System.IO.DirectoryInfo"), ("IsReadOnly", "System.Boolean"), *_FILE_SYSTEM_INFO,
    ),
    DIRECTORY_TYPE: (
        *_PROVIDER_NOTES, ("Name", "System.String"), ("Parent", "System.IO.DirectoryInfo"),
        ("Root", "System.IO.DirectoryInfo"), *_FILE_SYSTEM_INFO,
    ),
    # Microsoft Learn, .NET Framework 4.8 API reference, "RegistryKey Class" (Handle, Name, SubKeyCount, ValueCount,
    # View), plus the provider's PS* note properties
    REGISTRY_KEY_TYPE: (
        *_PROVIDER_NOTES, ("Handle", "Microsoft.Win32.SafeHandles.SafeRegistryHandle"), ("Name", "System.String"),
        ("SubKeyCount", "System.Int32"), ("ValueCount", "System.Int32"), ("View", "Microsoft.Win32.RegistryView"),
    ),
    # PowerShell source, src/Microsoft.WSMan.Management/ConfigProvider.cs: WSManConfigLeafElement (SourceOfValue,
    # Value) : WSManConfigElement (Name, TypeNameOfElement, Type), plus the provider's PS* note properties
    WSMAN_LEAF_TYPE: (
        *_PROVIDER_NOTES, ("SourceOfValue", "System.Object"), ("Value", "System.Object"), ("Name", "System.String"),
        ("TypeNameOfElement", "System.String"), ("Type", "System.String"),
    ),
}

# Type-data members. Sources: ServiceController's Name and RequiredServices are alias properties of PowerShell's own
# types.ps1xml (PowerShell source, TypeTable_Types_Ps1Xml.cs, type System.ServiceProcess.ServiceController); the
# file-system items' Mode, BaseName (and FileInfo's VersionInfo) and a registry key's Property come from the same
# file (System.IO.FileInfo / System.IO.DirectoryInfo / Microsoft.Win32.RegistryKey). The NetAdapter and NetTCPIP modules' type data (ifIndex, MacAddress, LinkSpeed,
# InterfaceAlias, ... ; PolicyStore) has **no public copy found**: these names are the ones Microsoft Learn's
# Get-NetAdapter / Get-NetIPAddress examples show in their output.
ALIASES: dict[str, dict[str, str]] = {
    SERVICE_TYPE: {"Name": "ServiceName", "RequiredServices": "ServicesDependedOn"},
    FILE_TYPE: {"Mode": "", "VersionInfo": "", "BaseName": ""},
    DIRECTORY_TYPE: {"Mode": "", "BaseName": ""},
    REGISTRY_KEY_TYPE: {"Property": ""},  # types.ps1xml: the key's value names
    NET_ADAPTER_TYPE: dict.fromkeys(("ifAlias", "InterfaceAlias", "ifIndex", "ifDesc", "ifName", "DriverVersion",
                                     "LinkLayerAddress", "MacAddress", "LinkSpeed", "MediaType", "PhysicalMediaType",
                                     "AdminStatus", "MediaConnectionState", "DriverInformation", "DriverFileName",
                                     "NdisVersion", "ifOperStatus"), ""),
    IP_ADDRESS_TYPE: {"PolicyStore": ""},
    # NetSecurity's type data: no public copy found (hvsim's earlier names, kept)
    FIREWALL_RULE_TYPE: dict.fromkeys(("Name", "ID", "Group", "Profile", "RemoteDynamicKeywordAddresses"), ""),
    PORT_FILTER_TYPE: {"DynamicTarget": ""},
}

# Enums of the platform's types (Hyper-V's: hyperv_types.ENUMS). DISM: RestartType mirrors DismRestartType (Microsoft
# Learn, "DismRestartType enumeration": No 0, Possible 1, Required 2); LogLevel the -LogLevel values the DISM cmdlets
# document (1 errors, 2 warnings, 3 warnings and information); FeatureState the names Get-WindowsOptionalFeature shows,
# valued as DismPackageFeatureState (Microsoft Learn, "DismPackageFeatureState enumeration": UninstallPending 1, Staged
# 2, Removed 3, Installed 4, InstallPending 5): the managed enum's own values are **not documented**, hvsim assumes
# these, and lists only the members it sends
ENUMS: dict[str, dict[str, int]] = {
    # PowerShell source (the PSModuleInfo.cs revision above): enum ModuleType, enum ModuleAccessMode; .NET's
    # System.Reflection.ProcessorArchitecture (Microsoft Learn, .NET Framework 4.8 API reference)
    "System.Management.Automation.ModuleType": {"Script": 0, "Binary": 1, "Manifest": 2, "Cim": 3, "Workflow": 4},
    "System.Management.Automation.ModuleAccessMode": {"ReadWrite": 0, "ReadOnly": 1, "Constant": 2},
    "System.Reflection.ProcessorArchitecture": {"None": 0, "MSIL": 1, "X86": 2, "IA64": 3, "Amd64": 4, "Arm": 5},
    f"{DISM}.RestartType": {"No": 0, "Possible": 1, "Required": 2},
    f"{DISM}.LogLevel": {"Errors": 1, "Warnings": 2, "WarningsInfo": 3},
    f"{DISM}.FeatureState": {"DisablePending": 1, "Disabled": 2, "DisabledWithPayloadRemoved": 3, "Enabled": 4,
                             "EnablePending": 5},
}

# CIM instances: a property the provider does not set is null, whatever its declared type
NULL_DEFAULT = frozenset(name for name in PROPERTIES if name.startswith(CIM))


# Active Directory module objects: the properties a Get-AD* cmdlet always returns (its default set); it adds the
# attributes named in -Properties. Source: "Active Directory: PowerShell AD Module Properties" (Microsoft Learn,
# archive/technet-wiki/12031), the default property lists for Get-ADComputer, Get-ADGroup and Get-ADObject;
# Get-ADDomain's set as Microsoft Learn's Get-ADDomain example output lists it.
AD_NS = "Microsoft.ActiveDirectory.Management"
AD_DEFAULTS: dict[str, tuple[str, ...]] = {
    f"{AD_NS}.ADComputer": ("DistinguishedName", "DNSHostName", "Enabled", "Name", "ObjectClass", "ObjectGUID",
                            "SamAccountName", "SID", "UserPrincipalName"),
    f"{AD_NS}.ADGroup": ("DistinguishedName", "GroupCategory", "GroupScope", "Name", "ObjectClass", "ObjectGUID",
                         "SamAccountName", "SID"),
    f"{AD_NS}.ADObject": ("DistinguishedName", "Name", "ObjectClass", "ObjectGUID"),
    f"{AD_NS}.ADDomain": (
        "AllowedDNSSuffixes", "ChildDomains", "ComputersContainer", "DeletedObjectsContainer", "DistinguishedName",
        "DNSRoot", "DomainControllersContainer", "DomainMode", "DomainSID", "ForeignSecurityPrincipalsContainer",
        "Forest", "InfrastructureMaster", "LastLogonReplicationInterval", "LinkedGroupPolicyObjects",
        "LostAndFoundContainer", "ManagedBy", "Name", "NetBIOSName", "ObjectClass", "ObjectGUID", "ParentDomain",
        "PDCEmulator", "QuotasContainer", "ReadOnlyReplicaDirectoryServers", "ReplicaDirectoryServers", "RIDMaster",
        "SubordinateReferences", "SystemsContainer", "UsersContainer"),
}
