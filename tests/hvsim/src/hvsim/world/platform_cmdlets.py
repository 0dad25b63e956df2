"""Cmdlets over hvsim.world.platform: Windows features (Server Manager and DISM), Restart-Computer,
Get-CimInstance (Win32_OperatingSystem, Win32_ComputerSystem), Get-Service, Get-NetAdapter, Get-NetIPAddress."""

from __future__ import annotations

import ipaddress
import re
import typing

from hvsim.contract import CmdletError, ErrorInfo, PSEnumValue, PSOutObject, UInt32, UInt64
from hvsim.engine import wildcard
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world import features as catalog
from hvsim.world.hyperv_jobs import computer_system_objects, concrete_job_objects, migration_job_objects
from hvsim.world.network import management_interface, management_subnet
from hvsim.world.platform import NetAdapter, PlatformState, feature_parent, stable_guid
from hvsim.world import platform_types
from hvsim.world.shapes import shaped

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine

SM = "Microsoft.Windows.ServerManager.Commands"
DISM = "Microsoft.Dism.Commands"
CIM = "Microsoft.Management.Infrastructure.CimInstance"
INSTALL_STATES = {"Available": 0, "Installed": 1, "InstallPending": 2, "UninstallPending": 3, "Removed": 4}
SERVER_TO_DISM = {"Available": "Disabled", "Installed": "Enabled", "InstallPending": "EnablePending",
                  "UninstallPending": "DisablePending", "Removed": "DisabledWithPayloadRemoved"}
SERVICE_STATUS = {"Stopped": 1, "StartPending": 2, "StopPending": 3, "Running": 4, "ContinuePending": 5,
                  "PausePending": 6, "Paused": 7}
START_MODE = {"Boot": 0, "System": 1, "Automatic": 2, "Manual": 3, "Disabled": 4}
SERVICE_TYPE = {"Win32OwnProcess": 16, "Win32ShareProcess": 32}
GIB = 1024**3
E_DISM_UNKNOWN_FEATURE = -2146498548  # 0x800F080C
E_DISM_PARENT_DISABLED = -2146498302  # 0x800F0902


# -- helpers -------------------------------------------------------------------------------------

def local_machine(inv: Invocation) -> Machine:
    return inv.world.machines[inv.principal.machine]


def target_machine(inv: Invocation, cmdlet_class: str) -> Machine:
    """The machine -ComputerName names (first of a list), or the session's own machine."""
    names = inv.get("ComputerName")
    name = names[0] if isinstance(names, list) and names else names
    if not name or str(name).lower() in ("localhost", ".", "127.0.0.1"):
        return local_machine(inv)
    found = inv.world.machine(str(name))
    if found is None or found.platform is None or not found.platform.is_reachable():
        raise CmdletError(ErrorInfo(
            message="The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)",
            category="ResourceUnavailable", fqid=f"HRESULT 0x800706ba,{cmdlet_class}",
            exception_type="System.Runtime.InteropServices.COMException", hresult=-2147023174, target=str(name)))
    return found


def as_list(value: typing.Any) -> list[typing.Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def name_of(value: typing.Any, prop: str = "Name") -> str:
    """A name given as a string or as an object (pipeline input, Feature[] parameters)."""
    if isinstance(value, PSOutObject):
        return str(value.properties.get(prop, ""))
    if isinstance(value, dict):
        return str(value.get(prop, ""))
    return str(value)


def matches(pattern: str, name: str) -> bool:
    """PowerShell wildcard matching (case-insensitive)."""
    return wildcard.matches(pattern, name)


def has_wildcard(pattern: str) -> bool:
    return wildcard.contains_wildcard(pattern)


def enum(type_name: str, name: str, values: dict[str, int]) -> PSEnumValue:
    return PSEnumValue(type_name, name, values.get(name, 0))


def cim_types(namespace: str, class_name: str, *bases: str) -> list[str]:
    return [f"{CIM}#{namespace}/{class_name}", *(f"{CIM}#{namespace}/{base}" for base in bases),
            f"{CIM}#{class_name}", CIM]


# -- Server Manager features ---------------------------------------------------------------------

def _feature_path(name: str) -> list[str]:
    chain: list[str] = []
    current: str | None = name
    while current is not None and current in catalog.SERVER_FEATURES:
        chain.insert(0, catalog.SERVER_FEATURES[current].display_name)
        current = catalog.SERVER_FEATURES[current].parent
    return chain


def feature_object(platform: PlatformState, feature: catalog.ServerFeature) -> PSOutObject:
    state = platform.feature_state(feature.name) or "Available"
    path = _feature_path(feature.name)
    children = [f.name for f in catalog.SERVER_FEATURES.values() if f.parent == feature.name]
    return PSOutObject(
        type_names=[f"{SM}.Feature"],
        properties={
            "Name": feature.name,
            "DisplayName": feature.display_name,
            "Description": f"{feature.display_name}.",
            "Installed": state == "Installed",
            "InstallState": enum(f"{SM}.InstallState", state, INSTALL_STATES),
            "FeatureType": feature.feature_type,
            "Path": "\\".join(path),
            "Depth": len(path),
            "DependsOn": [],
            "Parent": feature.parent,
            "ServerComponentDescriptor": "ServerComponent_" + feature.name.replace("-", "_"),
            "SubFeatures": children,
            "SystemService": list(feature.services),
            "Notification": [],
            "BestPracticesModelId": None,
            "EventQuery": None,
            "PostConfigurationNeeded": False,
            "AdditionalInfo": {"MajorVersion": 10, "MinorVersion": 0, "NumericId": 0, "InstallName": feature.name},
        },
        to_string=f"[{'X' if state == 'Installed' else ' '}] {feature.display_name}",
    )


@cmdlet("Get-WindowsFeature")
def get_windows_feature(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine = target_machine(inv, f"{SM}.GetWindowsFeatureCommand")
    patterns = [str(p) for p in as_list(inv.get("Name"))]
    for feature in catalog.SERVER_FEATURES.values():
        if not patterns or any(matches(p, feature.name) for p in patterns):
            yield feature_object(machine.platform, feature)


def _invalid_feature(cmdlet_class: str, name: str) -> CmdletError:
    return CmdletError(ErrorInfo(
        message=f"ArgumentNotValid: The role, role service, or feature name is not valid: '{name}'. The name was not "
                "found.",
        category="InvalidArgument", fqid=f"NameDoesNotExist,{SM}.{cmdlet_class}", exception_type="System.Exception",
        target=name))


def _requested_features(inv: Invocation, cmdlet_class: str) -> list[catalog.ServerFeature]:
    requested = [name_of(value) for value in as_list(inv.get("Name"))]
    found = []
    for name in requested:
        feature = next((f for f in catalog.SERVER_FEATURES.values() if f.name.lower() == name.lower()), None)
        if feature is None:
            raise _invalid_feature(cmdlet_class, name)
        found.append(feature)
    return found


def _descendants(name: str) -> list[str]:
    children = [f.name for f in catalog.SERVER_FEATURES.values() if f.parent == name]
    return [item for child in children for item in (child, *_descendants(child))]


def _install_set(features: list[catalog.ServerFeature], tools: bool, all_sub: bool) -> list[str]:
    names: list[str] = []
    for feature in features:
        wanted = [feature.name, *(feature.tools if tools else ()), *(_descendants(feature.name) if all_sub else ())]
        for name in wanted:
            chain: list[str] = []
            current: str | None = name
            while current is not None:
                chain.insert(0, current)
                current = feature_parent(current, False)
            names += [item for item in chain if item not in names]
    return names


def _feature_result(feature: catalog.ServerFeature, restart: bool) -> PSOutObject:
    return PSOutObject(
        type_names=[f"{SM}.FeatureResult"],
        properties={"DisplayName": feature.display_name, "Name": feature.name, "Id": 0, "Message": "",
                    "RestartNeeded": restart, "SkipReason": enum(f"{SM}.SkipReason", "NotSkipped", {}),
                    "Success": True},
        to_string=feature.display_name)


def _operation_result(changed: list[str], restart: bool) -> PSOutObject:
    exit_code = "SuccessRestartRequired" if restart else ("Success" if changed else "NoChangeNeeded")
    return PSOutObject(
        type_names=[f"{SM}.FeatureOperationResult"],
        properties={
            "Success": True,
            "RestartNeeded": enum(f"{SM}.RestartState", "Yes" if restart else "No", {"No": 0, "Yes": 1, "Maybe": 2}),
            "FeatureResult": [_feature_result(catalog.SERVER_FEATURES[name],
                                              restart and catalog.SERVER_FEATURES[name].restart) for name in changed],
            "ExitCode": enum(f"{SM}.FeatureOperationExitCode", exit_code,
                             {"Success": 0, "NoChangeNeeded": 1003, "SuccessRestartRequired": 3010, "Failed": 1}),
        })


def _not_virtualizable(cmdlet_class: str, feature: str) -> CmdletError:
    return CmdletError(ErrorInfo(
        message=("The request to add or remove features on the specified server failed.\r\nInstallation of one or more "
                 "roles, role services, or features failed.\r\n"
                 f"{feature} cannot be installed: The processor does not have required virtualization capabilities."),
        category="InvalidOperation", fqid=f"DISMAPI_Error__Failed_To_Enable_Updates,{SM}.{cmdlet_class}",
        exception_type="System.Exception", hresult=-2146233088, target=feature))


def _restart_warning(inv: Invocation, verb: str) -> None:
    inv.write_warning(f"You must restart this server to finish the {verb} process.")


@cmdlet("Install-WindowsFeature")
def install_windows_feature(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if inv.has("Vhd") or inv.has("ConfigurationFilePath"):
        raise CmdletError(_unsupported(inv.name, "installing into a VHD or from a configuration file"))
    machine = target_machine(inv, f"{SM}.AddWindowsFeatureCommand")
    platform = machine.platform
    requested = _requested_features(inv, "AddWindowsFeatureCommand")
    names = _install_set(requested, bool(inv.get("IncludeManagementTools")), bool(inv.get("IncludeAllSubFeature")))
    todo = [n for n in names if platform.features.get(n) not in ("Installed", "InstallPending")]
    for name in todo:
        if catalog.SERVER_FEATURES[name].needs_virtualization and not platform.virtualization_capable:
            raise _not_virtualizable("AddWindowsFeatureCommand", name)
    restart = any(catalog.SERVER_FEATURES[n].restart for n in todo)
    for name in todo:
        platform.features[name] = "InstallPending" if catalog.SERVER_FEATURES[name].restart else "Installed"
    platform.sync()
    yield _operation_result(todo, restart)
    if restart:
        if inv.get("Restart"):
            platform.begin_restart()
        else:
            _restart_warning(inv, "installation")


@cmdlet("Uninstall-WindowsFeature")
def uninstall_windows_feature(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if inv.has("Vhd"):
        raise CmdletError(_unsupported(inv.name, "removing from a VHD"))
    machine = target_machine(inv, f"{SM}.RemoveWindowsFeatureCommand")
    platform = machine.platform
    requested = _requested_features(inv, "RemoveWindowsFeatureCommand")
    names: list[str] = []
    for feature in requested:
        for name in (feature.name, *_descendants(feature.name),
                     *(feature.tools if inv.get("IncludeManagementTools") else ())):
            if name not in names and platform.features.get(name) in ("Installed", "InstallPending"):
                names.append(name)
    restart = any(catalog.SERVER_FEATURES[n].restart and platform.features[n] == "Installed" for n in names)
    for name in names:
        if catalog.SERVER_FEATURES[name].restart and platform.features[name] == "Installed":
            platform.features[name] = "UninstallPending"
        else:
            platform.features[name] = "Removed" if inv.get("Remove") else "Available"
    platform.sync()
    yield _operation_result(names, restart)
    if restart:
        if inv.get("Restart"):
            platform.begin_restart()
        else:
            _restart_warning(inv, "removal")


def _unsupported(cmdlet_name: str, what: str) -> ErrorInfo:
    return ErrorInfo(message=f"hvsim does not simulate {what}", category="NotImplemented",
                     fqid=f"NotImplemented,hvsim.{cmdlet_name}", exception_type="System.NotImplementedException",
                     hresult=-2147467263)


# -- DISM optional features ----------------------------------------------------------------------

class DismFeature(typing.NamedTuple):
    name: str  # DISM FeatureName
    key: str  # the key in PlatformState.features
    display_name: str
    parent: str | None  # DISM name of the parent
    restart: bool
    needs_virtualization: bool


def dism_features(platform: PlatformState) -> dict[str, DismFeature]:
    """The optional features DISM shows on this machine, by lower-case DISM name."""
    if platform.is_client_os:
        return {f.name.lower(): DismFeature(f.name, f.name, f.display_name, f.parent, f.restart,
                                            f.needs_virtualization) for f in catalog.CLIENT_FEATURES.values()}
    found: dict[str, DismFeature] = {}
    for feature in catalog.SERVER_FEATURES.values():
        if not feature.dism:
            continue
        parent = feature.parent
        while parent is not None and not catalog.SERVER_FEATURES[parent].dism:
            parent = catalog.SERVER_FEATURES[parent].parent
        found[feature.dism.lower()] = DismFeature(
            feature.dism, feature.name, feature.display_name,
            catalog.SERVER_FEATURES[parent].dism if parent else None, feature.restart, feature.needs_virtualization)
    return found


def dism_state(platform: PlatformState, feature: DismFeature) -> str:
    state = platform.feature_state(feature.key) or ("Disabled" if platform.is_client_os else "Available")
    return state if platform.is_client_os else SERVER_TO_DISM.get(state, "Disabled")


def _unknown_dism(cmdlet_name: str, name: str) -> CmdletError:
    return CmdletError(ErrorInfo(
        message=f"Feature name {name} is unknown.", category="NotSpecified",
        fqid=f"Microsoft.Dism.Commands.{cmdlet_name.replace('-', '')}Command",
        exception_type="System.Runtime.InteropServices.COMException", hresult=E_DISM_UNKNOWN_FEATURE, target=name))


def _require_online(inv: Invocation) -> None:
    if inv.has("Path"):
        raise CmdletError(_unsupported(inv.name, "servicing an offline Windows image"))


def _dism_enum(name: str, member: str) -> PSEnumValue:
    return enum(f"{DISM}.{name}", member, platform_types.ENUMS[f"{DISM}.{name}"])


# type names as hvsim sent them before (whether a feature object also derives from ImageObject: no source found)
_FEATURE_TYPES = [platform_types.DISM_ADVANCED_FEATURE_TYPE, platform_types.DISM_BASIC_FEATURE_TYPE,
                  f"{DISM}.BaseDismObject"]


def _image_values(restart: bool) -> dict[str, typing.Any]:
    """An online session's image properties (the same on every DISM object the cmdlets write)."""
    return {"Online": True, "RestartNeeded": restart, "LogPath": "C:\\Windows\\Logs\\DISM\\dism.log",
            "LogLevel": _dism_enum("LogLevel", "WarningsInfo")}


def _dism_object(platform: PlatformState, feature: DismFeature, advanced: bool) -> PSOutObject:
    """A BasicFeatureObject (FeatureName and State), or with -FeatureName an AdvancedFeatureObject (display name,
    description, restart type, custom properties too): Get-WindowsOptionalFeature's two documented outputs."""
    values: dict[str, typing.Any] = {"FeatureName": feature.name,
                                     "State": _dism_enum("FeatureState", dism_state(platform, feature)),
                                     **_image_values(False)}
    if advanced:
        values.update(DisplayName=feature.display_name, Description=f"{feature.display_name}.", CustomProperties=[],
                      RestartRequired=_dism_enum("RestartType", "Possible" if feature.restart else "No"))
    return shaped(_FEATURE_TYPES[0 if advanced else 1:], values, to_string=feature.name)


@cmdlet("Get-WindowsOptionalFeature")
def get_windows_optional_feature(inv: Invocation) -> typing.Iterator[PSOutObject]:
    _require_online(inv)
    platform = local_machine(inv).platform
    known = dism_features(platform)
    pattern = inv.get("FeatureName")
    if pattern is None:
        for feature in known.values():
            yield _dism_object(platform, feature, advanced=False)
        return
    selected = [f for f in known.values() if matches(str(pattern), f.name)]
    if not selected and not has_wildcard(str(pattern)):
        inv.write_error(_unknown_dism(inv.name, str(pattern)).info)  # non-terminating: -ErrorAction applies
    for feature in selected:
        yield _dism_object(platform, feature, advanced=True)


def _dism_enable_set(inv: Invocation, known: dict[str, DismFeature], platform: PlatformState) -> list[DismFeature]:
    chosen: list[DismFeature] = []
    for name in [str(n) for n in as_list(inv.get("FeatureName"))]:
        feature = known.get(name.lower())
        if feature is None:
            raise _unknown_dism(inv.name, name)
        chain = [feature]
        while chain[0].parent is not None and dism_state(platform, known[chain[0].parent.lower()]) not in (
                "Enabled", "EnablePending"):
            if not inv.get("All"):
                raise CmdletError(ErrorInfo(
                    message="One or several parent features are disabled so current feature can not be enabled.",
                    category="NotSpecified", fqid="Microsoft.Dism.Commands.EnableWindowsOptionalFeatureCommand",
                    exception_type="System.Runtime.InteropServices.COMException", hresult=E_DISM_PARENT_DISABLED,
                    target=feature.name))
            chain.insert(0, known[chain[0].parent.lower()])
        chosen += [item for item in chain if item not in chosen]
    return chosen


def _image_object(restart: bool) -> PSOutObject:
    return shaped([platform_types.DISM_IMAGE_TYPE, f"{DISM}.BaseDismObject"], _image_values(restart))


def _restart_prompt(inv: Invocation) -> CmdletError:
    return CmdletError(ErrorInfo(
        message=("A command that prompts the user failed because the host program or the command type does not "
                 "support user interaction. The host was attempting to request confirmation with the following "
                 "message: Do you want to restart the computer to complete this operation now?"),
        category="ResourceUnavailable",
        fqid=f"HostException,Microsoft.Dism.Commands.{inv.name.replace('-', '')}Command",
        exception_type="System.Management.Automation.Host.HostException", reason="HostException"))


def _set_dism(platform: PlatformState, feature: DismFeature, enable: bool) -> None:
    if platform.is_client_os:
        if enable:
            platform.features[feature.key] = "EnablePending" if feature.restart else "Enabled"
        else:
            platform.features[feature.key] = "DisablePending" if feature.restart else "Disabled"
    elif enable:
        platform.features[feature.key] = "InstallPending" if feature.restart else "Installed"
    else:
        platform.features[feature.key] = "UninstallPending" if feature.restart else "Available"


@cmdlet("Enable-WindowsOptionalFeature")
def enable_windows_optional_feature(inv: Invocation) -> typing.Iterator[PSOutObject]:
    _require_online(inv)
    platform = local_machine(inv).platform
    known = dism_features(platform)
    chosen = _dism_enable_set(inv, known, platform)
    todo = [f for f in chosen if dism_state(platform, f) not in ("Enabled", "EnablePending")]
    for feature in todo:
        if feature.needs_virtualization and not platform.virtualization_capable:
            raise CmdletError(ErrorInfo(
                message="A hypervisor feature is not available to the user.", category="NotSpecified",
                fqid="Microsoft.Dism.Commands.EnableWindowsOptionalFeatureCommand",
                exception_type="System.Runtime.InteropServices.COMException", hresult=-1073741790,
                target=feature.name))
    for feature in todo:
        _set_dism(platform, feature, True)
    platform.sync()
    restart = any(f.restart for f in todo)
    yield _image_object(restart)
    if restart and not inv.get("NoRestart"):
        raise _restart_prompt(inv)


@cmdlet("Disable-WindowsOptionalFeature")
def disable_windows_optional_feature(inv: Invocation) -> typing.Iterator[PSOutObject]:
    _require_online(inv)
    platform = local_machine(inv).platform
    known = dism_features(platform)
    todo: list[DismFeature] = []
    for name in [str(n) for n in as_list(inv.get("FeatureName"))]:
        feature = known.get(name.lower())
        if feature is None:
            raise _unknown_dism(inv.name, name)
        children = [f for f in known.values() if f.parent and f.parent.lower() == feature.name.lower()]
        todo += [f for f in (feature, *children) if f not in todo and dism_state(platform, f) in ("Enabled",
                                                                                                    "EnablePending")]
    for feature in todo:
        _set_dism(platform, feature, False)
    platform.sync()
    restart = any(f.restart for f in todo)
    yield _image_object(restart)
    if restart and not inv.get("NoRestart"):
        raise _restart_prompt(inv)


# -- Restart-Computer ----------------------------------------------------------------------------

@cmdlet("Restart-Computer")
def restart_computer(inv: Invocation) -> None:
    names = [str(n) for n in as_list(inv.get("ComputerName"))] or ["localhost"]
    for name in names:
        if name.lower() in ("localhost", ".", inv.principal.machine):
            target: Machine | None = local_machine(inv)
        else:
            target = inv.world.machine(name)
        if target is None or target.platform is None or not target.platform.is_reachable():
            inv.write_error(ErrorInfo(
                message=f"Failed to restart the computer {name} with the following error message: The RPC server is "
                        "unavailable. (Exception from HRESULT: 0x800706BA)",
                category="OperationStopped", fqid="RestartcomputerFailed,Microsoft.PowerShell.Commands."
                                                  "RestartComputerCommand",
                exception_type="System.InvalidOperationException", target=name))
            continue
        target.platform.begin_restart()


# -- CIM -----------------------------------------------------------------------------------------

def _sku(caption: str) -> int:
    for word, sku in (("Datacenter", 8), ("Standard", 7), ("Enterprise", 4), ("Education", 121), ("Pro", 48),
                      ("Home", 101)):
        if word in caption:
            return sku
    return 0


def _product_type(machine: Machine) -> int:
    if machine.is_client_os:
        return 1
    return 2 if machine.role == "domain_controller" else 3


def _domain_role(machine: Machine) -> int:
    """0 standalone workstation, 1 member workstation, 2 standalone server, 3 member server, 5 primary DC."""
    product = _product_type(machine)
    if product == 2:
        return 5
    return (0 if product == 1 else 2) + (1 if machine.domain else 0)


def hardware(machine: Machine) -> dict[str, typing.Any]:
    """Manufacturer, model, logical processors, memory bytes: the platform's `hardware:` section, else what
    Hyper-V's host settings say (``logical_processors``, ``memory_gb``/``memory_capacity``), else defaults."""
    given = machine.platform.hardware
    host = getattr(getattr(machine, "hyperv", None), "host", None)
    processors = given.get("logical_processors") or getattr(host, "logical_processors", None) or \
        getattr(host, "logical_processor_count", None) or 4
    memory = getattr(host, "memory_capacity", None)
    memory_gb = given.get("memory_gb") or getattr(host, "memory_gb", None)
    physical = machine.role == "hyperv_host"
    return {
        "manufacturer": given.get("manufacturer") or ("Dell Inc." if physical else "Microsoft Corporation"),
        "model": given.get("model") or ("PowerEdge R760" if physical else "Virtual Machine"),
        "logical_processors": int(processors),
        "memory_bytes": int(memory) if memory and not memory_gb else int(float(memory_gb or 16) * GIB),
    }


def operating_system(machine: Machine) -> PSOutObject:
    platform = machine.platform
    build = (machine.os_version.split(".") + ["0", "0", "0"])[2]
    memory_kb = hardware(machine)["memory_bytes"] // 1024
    caption = machine.os_caption
    return shaped(
        cim_types("root/cimv2", "Win32_OperatingSystem", "CIM_OperatingSystem", "CIM_LogicalElement",
                  "CIM_ManagedSystemElement"),
        {
            "Caption": caption,
            "Version": machine.os_version,
            "BuildNumber": build,
            "ProductType": UInt32(_product_type(machine)),
            "OperatingSystemSKU": UInt32(_sku(caption)),
            "LastBootUpTime": platform.last_boot_time(),
            "CSName": machine.netbios,
            "OSArchitecture": "64-bit",
            "Manufacturer": "Microsoft Corporation",
            "Name": f"{caption}|C:\\Windows|\\Device\\Harddisk0\\Partition2",
            "OSType": 18,
            "Status": "OK",
            "SystemDirectory": "C:\\Windows\\system32",
            "WindowsDirectory": "C:\\Windows",
            "SystemDrive": "C:",
            "BootDevice": "\\Device\\HarddiskVolume1",
            "Locale": "0409",
            "OSLanguage": UInt32(1033),
            "ServicePackMajorVersion": 0,
            "ServicePackMinorVersion": 0,
            "TotalVisibleMemorySize": UInt64(memory_kb),
            "FreePhysicalMemory": UInt64(memory_kb * 3 // 4),
            "RegisteredUser": "Windows User",
            "Organization": "",
            "SerialNumber": "00454-60000-00001-AA" + f"{sum(map(ord, machine.name)) % 1000:03d}",
            "PSComputerName": None,
        },
        to_string=f"Win32_OperatingSystem: {caption}",
    )


def computer_system(machine: Machine) -> PSOutObject:
    info = hardware(machine)
    return shaped(
        cim_types("root/cimv2", "Win32_ComputerSystem", "CIM_UnitaryComputerSystem",
                  "CIM_ComputerSystem", "CIM_System", "CIM_LogicalElement", "CIM_ManagedSystemElement"),
        {
            "Name": machine.netbios,
            "Caption": machine.netbios,
            "DNSHostName": machine.name,
            "Domain": machine.domain or "WORKGROUP",
            "PartOfDomain": machine.domain is not None,
            "Workgroup": None if machine.domain else "WORKGROUP",
            "DomainRole": UInt32(_domain_role(machine)),
            "Manufacturer": info["manufacturer"],
            "Model": info["model"],
            "HypervisorPresent": machine.platform.hyperv_installed(),
            "NumberOfLogicalProcessors": UInt32(info["logical_processors"]),
            "NumberOfProcessors": UInt32(2 if info["logical_processors"] >= 16 else 1),
            "TotalPhysicalMemory": UInt64(info["memory_bytes"]),
            "SystemType": "x64-based PC",
            "Status": "OK",
            "UserName": None,
            "PSComputerName": None,
        },
        to_string=f"Win32_ComputerSystem (Name = \"{machine.netbios}\")",
    )


CIM_CLASSES: dict[str, typing.Callable[[Machine], PSOutObject]] = {
    "win32_operatingsystem": operating_system,
    "win32_computersystem": computer_system,
}
# Every namespace's classes, each built for a machine at a world time (seconds); Hyper-V's root/virtualization/v2
# answers the classes hvsim models (hvsim.world.hyperv_jobs)
CimBuilder = typing.Callable[["Machine", float], "PSOutObject | list[PSOutObject]"]
CIM_NAMESPACES: dict[str, dict[str, CimBuilder]] = {
    "root/cimv2": {name: (lambda machine, _now, build=build: build(machine)) for name, build in CIM_CLASSES.items()},
    "root/virtualization/v2": {"msvm_migrationjob": migration_job_objects, "msvm_concretejob": concrete_job_objects,
                               "msvm_computersystem": computer_system_objects},
}
# Get-CimAssociatedInstance: (association, class of the input, result class) -> the associated instances hvsim models
# (hvsim.world.hyperv_jobs: Msvm_AffectedJobElement between a VM's Msvm_ComputerSystem and its Msvm_ConcreteJob)
CIM_ASSOCIATIONS: dict[tuple[str, str, str], typing.Callable[["Machine", float, PSOutObject], list[PSOutObject]]] = {
    ("msvm_affectedjobelement", "msvm_computersystem", "msvm_concretejob"):
        lambda machine, now, system: concrete_job_objects(machine, now, str(system.properties.get("Name") or "")),
}
# Get-CimInstance -Filter: a WQL WHERE clause (Microsoft Learn, "WHERE Clause (WMI)"); hvsim takes one comparison of a
# property with a quoted string (WQL compares strings case-insensitively) and says so for anything else
_WQL_EQUALS = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<quote>['\"])(?P<value>[^'\"]*)(?P=quote)\s*$")


def _cim_error(message: str, code: str, hresult: int, target: str) -> CmdletError:
    return CmdletError(ErrorInfo(
        message=message, category="MetadataError" if code == "0x80041010" else "InvalidArgument",
        fqid=f"HRESULT {code},Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
        exception_type="Microsoft.Management.Infrastructure.CimException", hresult=hresult, target=target))


@cmdlet("Get-CimInstance")
def get_cim_instance(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if inv.has("InputObject") or inv.has("ResourceUri") or inv.has("CimSession"):
        raise CmdletError(_unsupported(inv.name, "CIM sessions, resource URIs or instance refreshes"))
    namespace = str(inv.get("Namespace") or "root/cimv2").replace("\\", "/").lower()
    classes = CIM_NAMESPACES.get(namespace)
    if classes is None:
        raise _cim_error("Invalid namespace ", "0x8004100e", -2147217394, namespace)
    class_name = str(inv.get("ClassName") or "")
    if inv.has("Query"):
        words = str(inv.get("Query")).split()
        lowered = [w.lower() for w in words]
        class_name = words[lowered.index("from") + 1] if "from" in lowered[:-1] else ""
    build = classes.get(class_name.lower())
    if build is None:
        raise _cim_error("Invalid class ", "0x80041010", -2147217392, class_name)
    names = [str(n) for n in as_list(inv.get("ComputerName"))] or ["localhost"]
    for name in names:
        machine = local_machine(inv) if name.lower() in ("localhost", ".") else inv.world.machine(name)
        if machine is None or not machine.platform.is_reachable():
            inv.write_error(ErrorInfo(
                message="WinRM cannot complete the operation. Verify that the specified computer name is valid, that "
                        "the computer is accessible over the network, and that a firewall exception for the WinRM "
                        "service is enabled and allows access from this computer.",
                category="ConnectionError", fqid="HRESULT 0x80338126,Microsoft.Management.Infrastructure.CimCmdlets."
                                                 "GetCimInstanceCommand",
                exception_type="Microsoft.Management.Infrastructure.CimException", hresult=-2144108250, target=name))
            continue
        built = build(machine, inv.world.clock.now)
        yield from _filtered(inv, built if isinstance(built, list) else [built])


def _filtered(inv: Invocation, instances: list[PSOutObject]) -> list[PSOutObject]:
    if not inv.has("Filter"):
        return instances
    match = _WQL_EQUALS.match(str(inv.get("Filter")))
    if match is None:
        raise CmdletError(_unsupported(inv.name, "WQL filters other than one Property = 'value' comparison"))
    name, value = match["name"].lower(), match["value"].lower()
    return [instance for instance in instances
            if any(key.lower() == name and str(item).lower() == value for key, item in instance.properties.items())]


@cmdlet("Get-CimAssociatedInstance")
def get_cim_associated_instance(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if inv.has("ResourceUri") or inv.has("CimSession") or inv.has("ComputerName"):
        raise CmdletError(_unsupported(inv.name, "CIM sessions, resource URIs or remote computers"))
    association = str(inv.get("Association") or "").lower()
    result_class = str(inv.get("ResultClassName") or "").lower()
    machine = local_machine(inv)
    for instance in as_list(inv.get("InputObject")):
        kind = next((name.rsplit("/", 1)[-1].lower() for name in getattr(instance, "type_names", [])
                     if name.startswith("Microsoft.Management.Infrastructure.CimInstance#")), "")
        follow = CIM_ASSOCIATIONS.get((association, kind, result_class))
        if follow is None:
            raise CmdletError(_unsupported(inv.name, f"the association {association or '(any)'} from {kind or 'this object'} "
                                                     f"to {result_class or '(any class)'}"))
        yield from follow(machine, inv.world.clock.now, instance)


# -- services ------------------------------------------------------------------------------------

def service_object(machine: Machine, name: str) -> PSOutObject:
    service = machine.platform.services[name.lower()]
    status = enum("System.ServiceProcess.ServiceControllerStatus", service.status, SERVICE_STATUS)
    return shaped(
        [platform_types.SERVICE_TYPE, "System.ComponentModel.Component", "System.MarshalByRefObject"],
        {
            "Name": service.name,
            "ServiceName": service.name,
            "DisplayName": service.display_name,
            "Status": status,
            "StartType": enum("System.ServiceProcess.ServiceStartMode", service.start_type, START_MODE),
            "ServiceType": enum("System.ServiceProcess.ServiceType", service.service_type, SERVICE_TYPE),
            "MachineName": ".",
            "CanStop": service.status == "Running",
            "CanPauseAndContinue": False,
            "CanShutdown": service.status == "Running" and service.name.lower() in ("vmms", "winrm"),
            "DependentServices": [],
            "ServicesDependedOn": [],
            "RequiredServices": [],
        },
        to_string="System.ServiceProcess.ServiceController")


def _service_not_found(by: str, value: str) -> ErrorInfo:
    return ErrorInfo(
        message=f"Cannot find any service with service {by} '{value}'.", category="ObjectNotFound",
        fqid=f"NoServiceFoundForGiven{'Name' if by == 'name' else 'DisplayName'},Microsoft.PowerShell.Commands."
             "GetServiceCommand",
        exception_type="Microsoft.PowerShell.Commands.ServiceCommandException", target=value,
        reason="ServiceCommandException")


@cmdlet("Get-Service")
def get_service(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine = target_machine(inv, "Microsoft.PowerShell.Commands.GetServiceCommand")
    services = sorted(machine.platform.services.values(), key=lambda s: s.name.lower())
    if inv.has("InputObject"):
        patterns, by = [name_of(v) for v in as_list(inv.get("InputObject"))], "name"
    elif inv.has("DisplayName"):
        patterns, by = [str(p) for p in as_list(inv.get("DisplayName"))], "display name"
    else:
        patterns, by = [str(p) for p in as_list(inv.get("Name"))] or ["*"], "name"
    for pattern in patterns:
        found = [s for s in services if matches(pattern, s.display_name if by == "display name" else s.name)]
        if not found and not has_wildcard(pattern):
            inv.write_error(_service_not_found(by, pattern))
        for service in found:
            yield service_object(machine, service.name)


# -- network adapters and IP addresses -----------------------------------------------------------

NET_NS = "ROOT/StandardCimv2"


def _not_found(cmdlet_name: str, cim_class: str, prop: str, value: typing.Any) -> ErrorInfo:
    return ErrorInfo(
        message=f"No {cim_class} objects found with property '{prop}' equal to '{value}'.  Verify the value of the "
                "property and retry.",
        category="ObjectNotFound", fqid=f"CmdletizationQuery_NotFound_{prop},{cmdlet_name}",
        exception_type="Microsoft.PowerShell.Cmdletization.Cim.CimJobException", hresult=-2146233088,
        target=str(value), reason=cim_class)


def net_adapter_object(machine: Machine, adapter: NetAdapter) -> PSOutObject:
    guid = stable_guid(machine.name, adapter.mac)
    return shaped(
        cim_types(NET_NS, "MSFT_NetAdapter", "CIM_NetworkPort", "CIM_LogicalPort", "CIM_LogicalDevice",
                  "CIM_EnabledLogicalElement", "CIM_LogicalElement", "CIM_ManagedSystemElement"),
        {
            "Name": adapter.name,
            "InterfaceDescription": adapter.description,
            "ifIndex": UInt32(adapter.interface_index),
            "InterfaceIndex": UInt32(adapter.interface_index),
            "Status": adapter.status,
            "MacAddress": adapter.mac,
            "LinkSpeed": adapter.link_speed if adapter.status == "Up" else "0 bps",
            "ifAlias": adapter.name,
            "InterfaceAlias": adapter.name,
            "ifDesc": adapter.description,
            "DriverDescription": adapter.description.split(" #")[0],
            "Virtual": adapter.virtual,
            "VlanID": adapter.vlan_id,
            "MediaConnectionState": enum("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetAdapter."
                                         "MediaConnectState", "Connected" if adapter.status == "Up" else
                                         "Disconnected", {"Unknown": 0, "Connected": 1, "Disconnected": 2}),
            "AdminStatus": "Up" if adapter.status != "Disabled" else "Down",
            "ifOperStatus": "Up" if adapter.status == "Up" else "Down",
            "MediaType": "802.3",
            "PhysicalMediaType": "Unspecified" if adapter.virtual else "802.3",
            "MtuSize": UInt32(1500),
            "FullDuplex": True,
            "ConnectorPresent": not adapter.virtual,
            "HardwareInterface": not adapter.virtual,
            "DeviceID": guid,
            "InterfaceGuid": guid,
            "ComponentID": "vms_mp" if adapter.virtual else "pci\\ven_8086",
            "SystemName": machine.fqdn,
            "PSComputerName": None,
        },
        to_string=adapter.name)


@cmdlet("Get-NetAdapter")
def get_net_adapter(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine = local_machine(inv)
    adapters = sorted(machine.platform.net_adapters.values(), key=lambda a: a.interface_index)
    if inv.get("Physical"):
        adapters = [a for a in adapters if not a.virtual]
    if inv.has("InterfaceIndex"):
        selectors = [("InterfaceIndex", str(i), lambda a: str(a.interface_index))
                     for i in as_list(inv.get("InterfaceIndex"))]
    elif inv.has("InterfaceDescription"):
        selectors = [("InterfaceDescription", str(d), lambda a: a.description)
                     for d in as_list(inv.get("InterfaceDescription"))]
    else:
        selectors = [("Name", str(n), lambda a: a.name) for n in as_list(inv.get("Name"))] or \
            [("Name", "*", lambda a: a.name)]
    seen: list[str] = []
    for prop, pattern, key in selectors:
        found = [a for a in adapters if matches(pattern, key(a))]
        if not found and not has_wildcard(pattern):
            inv.write_error(_not_found(inv.name, "MSFT_NetAdapter", prop, pattern))
        for adapter in found:
            if adapter.name not in seen:
                seen.append(adapter.name)
                yield net_adapter_object(machine, adapter)


class IPEntry(typing.NamedTuple):
    address: str
    prefix: int
    adapter: NetAdapter | None  # None: the loopback pseudo-interface


def ip_addresses(inv: Invocation, machine: Machine) -> list[IPEntry]:
    """Every IPv4 address of the machine; its own (loopback) address stands in for its management IP."""
    entries = [IPEntry("127.0.0.1", 8, None)]
    management = management_interface(inv.world, machine)
    subnet = management_subnet(inv.world)
    for adapter in sorted(machine.platform.net_adapters.values(), key=lambda a: a.interface_index):
        if adapter.bound_switch is not None:
            continue
        for cidr in adapter.ipv4:
            interface = ipaddress.ip_interface(cidr)
            entries.append(IPEntry(str(interface.ip), interface.network.prefixlen, adapter))
        if adapter is management:
            prefix = subnet.prefixlen if subnet is not None else 24
            entries.append(IPEntry(machine.address, prefix, adapter))
    return entries


def ip_object(machine: Machine, entry: IPEntry) -> PSOutObject:
    alias = entry.adapter.name if entry.adapter else "Loopback Pseudo-Interface 1"
    index = entry.adapter.interface_index if entry.adapter else 1
    return shaped(
        cim_types(NET_NS, "MSFT_NetIPAddress", "CIM_IPProtocolEndpoint", "CIM_ProtocolEndpoint",
                  "CIM_ServiceAccessPoint", "CIM_EnabledLogicalElement", "CIM_LogicalElement",
                  "CIM_ManagedSystemElement"),
        {
            "IPAddress": entry.address,
            "IPv4Address": entry.address,
            "IPv6Address": None,
            "InterfaceAlias": alias,
            "InterfaceIndex": UInt32(index),
            "AddressFamily": PSEnumValue("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetIPAddress."
                                         "AddressFamily", "IPv4", 2),
            "Type": PSEnumValue("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetIPAddress.Type", "Unicast", 1),
            "PrefixLength": entry.prefix,
            "PrefixOrigin": PSEnumValue("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetIPAddress."
                                        "PrefixOrigin", "WellKnown" if entry.adapter is None else "Manual",
                                        2 if entry.adapter is None else 1),
            "SuffixOrigin": PSEnumValue("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetIPAddress."
                                        "SuffixOrigin", "WellKnown" if entry.adapter is None else "Manual",
                                        2 if entry.adapter is None else 1),
            "AddressState": PSEnumValue("Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetIPAddress."
                                        "AddressState", "Preferred", 4),
            "SkipAsSource": False,
            "PolicyStore": "ActiveStore",
            "PSComputerName": None,
            "SystemName": machine.fqdn,
        },
        to_string=entry.address)


@cmdlet("Get-NetIPAddress")
def get_net_ip_address(inv: Invocation) -> typing.Iterator[PSOutObject]:
    machine = local_machine(inv)
    entries = ip_addresses(inv, machine)
    families = [str(f).lower() for f in as_list(inv.get("AddressFamily"))]
    if families and "ipv4" not in families:
        entries = []
    filters: list[tuple[str, list[str], typing.Callable[[IPEntry], str]]] = [
        ("IPAddress", [str(v) for v in as_list(inv.get("IPAddress"))], lambda e: e.address),
        ("InterfaceAlias", [str(v) for v in as_list(inv.get("InterfaceAlias"))],
         lambda e: e.adapter.name if e.adapter else "Loopback Pseudo-Interface 1"),
        ("InterfaceIndex", [str(v) for v in as_list(inv.get("InterfaceIndex"))],
         lambda e: str(e.adapter.interface_index if e.adapter else 1)),
    ]
    for prop, wanted, key in filters:
        if not wanted:
            continue
        for value in wanted:
            if not has_wildcard(value) and not any(matches(value, key(e)) for e in entries):
                inv.write_error(_not_found(inv.name, "MSFT_NetIPAddress", prop, value))
        entries = [e for e in entries if any(matches(value, key(e)) for value in wanted)]
    for entry in entries:
        yield ip_object(machine, entry)

