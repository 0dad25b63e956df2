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

_CIM_TYPES = {"string": "System.String", "boolean": "System.Boolean", "datetime": "System.DateTime",
              "uint8": "System.Byte", "sint16": "System.Int16", "uint16": "System.UInt16", "uint32": "System.UInt32",
              "uint64": "System.UInt64", "sint64": "System.Int64", "char16": "System.Char"}


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

PROPERTIES: dict[str, tuple[tuple[str, str], ...]] = {
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
    # Microsoft Learn, "MSFT_NetAdapter class" (previous-versions/windows/desktop/legacy/hh968170): the syntax
    # block, in its order. The copies read here break off after DriverDate; the rest (DriverDateData ...
    # AdminLocked) is hvsim's recollection of the same page, not re-checked (tests/hvsim/DESIGN.md)
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
    # PowerShell source, src/Microsoft.WSMan.Management/ConfigProvider.cs: WSManConfigLeafElement (SourceOfValue,
    # Value) : WSManConfigElement (Name, TypeNameOfElement, Type), plus the provider's PS* note properties
    WSMAN_LEAF_TYPE: (
        *_PROVIDER_NOTES, ("SourceOfValue", "System.Object"), ("Value", "System.Object"), ("Name", "System.String"),
        ("TypeNameOfElement", "System.String"), ("Type", "System.String"),
    ),
}

# Type-data members. Sources: ServiceController's Name and RequiredServices are alias properties of PowerShell's own
# types.ps1xml (PowerShell source, TypeTable_Types_Ps1Xml.cs, type System.ServiceProcess.ServiceController); the
# file-system items' Mode, BaseName (and FileInfo's VersionInfo) come from the same file (System.IO.FileInfo /
# System.IO.DirectoryInfo). The NetAdapter and NetTCPIP modules' type data (ifIndex, MacAddress, LinkSpeed,
# InterfaceAlias, ... ; PolicyStore) has **no public copy found**: these names are the ones Microsoft Learn's
# Get-NetAdapter / Get-NetIPAddress examples show in their output.
ALIASES: dict[str, dict[str, str]] = {
    SERVICE_TYPE: {"Name": "ServiceName", "RequiredServices": "ServicesDependedOn"},
    FILE_TYPE: {"Mode": "", "VersionInfo": "", "BaseName": ""},
    DIRECTORY_TYPE: {"Mode": "", "BaseName": ""},
    NET_ADAPTER_TYPE: dict.fromkeys(("ifAlias", "InterfaceAlias", "ifIndex", "ifDesc", "ifName", "DriverVersion",
                                     "LinkLayerAddress", "MacAddress", "LinkSpeed", "MediaType", "PhysicalMediaType",
                                     "AdminStatus", "MediaConnectionState", "DriverInformation", "DriverFileName",
                                     "NdisVersion", "ifOperStatus"), ""),
    IP_ADDRESS_TYPE: {"PolicyStore": ""},
}

# CIM instances: a property the provider does not set is null, whatever its declared type
NULL_DEFAULT = frozenset(name for name in PROPERTIES if name.startswith(CIM))
