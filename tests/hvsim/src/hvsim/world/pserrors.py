"""PowerShell's wording of the errors the item, VHD and SMB cmdlets raise (shared by those modules)."""

from __future__ import annotations

from hvsim.contract import ErrorInfo

# HRESULTs as Exception.HResult reports them (signed 32-bit)
E_ITEM_NOT_FOUND = -2146233087  # 0x80131501 (ItemNotFoundException, a RuntimeException)
E_IO = -2146232800  # 0x80131620 System.IO.IOException without a Win32 code
E_FILE_NOT_FOUND = -2147024894  # 0x80070002
E_PATH_NOT_FOUND = -2147024893  # 0x80070003
E_ACCESS_DENIED = -2147024891  # 0x80070005
E_SHARING_VIOLATION = -2147024864  # 0x80070020
E_FILE_EXISTS = -2147024816  # 0x80070050
E_DISK_FULL = -2147024784  # 0x80070070
E_ALREADY_EXISTS = -2147024713  # 0x800700B7
E_BAD_NETPATH = -2147024843  # 0x80070035
E_BAD_NET_NAME = -2147024829  # 0x80070043
E_VIRTUALIZATION = -2146233088  # 0x80131500 (VirtualizationException)


def command_class(cmdlet: str) -> str:
    """``Get-ChildItem`` -> ``Microsoft.PowerShell.Commands.GetChildItemCommand``."""
    return "Microsoft.PowerShell.Commands." + cmdlet.replace("-", "") + "Command"


def path_not_found(cmdlet: str, path: str) -> ErrorInfo:
    return ErrorInfo(
        message=f"Cannot find path '{path}' because it does not exist.",
        category="ObjectNotFound",
        fqid=f"PathNotFound,{command_class(cmdlet)}",
        exception_type="System.Management.Automation.ItemNotFoundException",
        hresult=E_ITEM_NOT_FOUND,
        target=path,
        activity=cmdlet,
        reason="ItemNotFoundException",
    )


def drive_not_found(cmdlet: str, path: str) -> ErrorInfo:
    drive = path.split(":", 1)[0]
    return ErrorInfo(
        message=f"Cannot find drive. A drive with the name '{drive}' does not exist.",
        category="ObjectNotFound",
        fqid=f"DriveNotFound,{command_class(cmdlet)}",
        exception_type="System.Management.Automation.DriveNotFoundException",
        hresult=E_ITEM_NOT_FOUND,
        target=drive,
        activity=cmdlet,
        reason="DriveNotFoundException",
    )


def io_error(cmdlet: str, fqid: str, message: str, path: str, hresult: int = E_IO,
             category: str = "WriteError", exception: str = "System.IO.IOException") -> ErrorInfo:
    return ErrorInfo(
        message=message,
        category=category,
        fqid=f"{fqid},{command_class(cmdlet)}",
        exception_type=exception,
        hresult=hresult,
        target=path,
        activity=cmdlet,
        reason=exception.rsplit(".", 1)[-1],
    )


def access_denied(cmdlet: str, path: str, fqid: str = "ItemExistsUnauthorizedAccessError") -> ErrorInfo:
    return io_error(cmdlet, fqid, f"Access to the path '{path}' is denied.", path, E_ACCESS_DENIED,
                    "PermissionDenied", "System.UnauthorizedAccessException")


def network_error(cmdlet: str, path: str, kind: str) -> ErrorInfo:
    message = "The network path was not found." if kind == "network_path" else "The network name cannot be found."
    hresult = E_BAD_NETPATH if kind == "network_path" else E_BAD_NET_NAME
    return io_error(cmdlet, "ItemExistsIOError", message, path, hresult, "ReadError")


def not_supported(cmdlet: str, path: str) -> ErrorInfo:
    return ErrorInfo(
        message="Provider operation stopped because the provider does not support this operation.",
        category="NotImplemented",
        fqid=f"NotSupported,{command_class(cmdlet)}",
        exception_type="System.Management.Automation.PSNotSupportedException",
        hresult=-2146233067,
        target=path,
        activity=cmdlet,
        reason="PSNotSupportedException",
    )


def host_prompt(cmdlet: str, path: str, prompt: str) -> ErrorInfo:
    """What a ShouldContinue prompt becomes in a remote session without an interactive host."""
    return ErrorInfo(
        message=("A command that prompts the user failed because the host program or the command type does not "
                 "support user interaction. The host was attempting to request confirmation with the following "
                 f"message: {prompt}"),
        category="ResourceUnavailable",
        fqid=f"HostException,{command_class(cmdlet)}",
        exception_type="System.Management.Automation.Host.HostException",
        hresult=-2146233087,
        target=path,
        activity=cmdlet,
        reason="HostException",
    )


def argument_error(cmdlet: str, message: str, target: str | None = None,
                   exception: str = "System.Management.Automation.PSArgumentException") -> ErrorInfo:
    return ErrorInfo(
        message=message,
        category="InvalidArgument",
        fqid=f"{exception},{command_class(cmdlet)}",
        exception_type=exception,
        hresult=-2147024809,  # 0x80070057 E_INVALIDARG
        target=target,
        activity=cmdlet,
        reason=exception.rsplit(".", 1)[-1],
    )


def virtualization_error(cmdlet: str, cmdlet_class: str, category: str, message: str, target: str | None = None,
                         module: str = "Microsoft.Vhd.PowerShell.Cmdlets") -> ErrorInfo:
    """A Hyper-V VirtualizationException (FullyQualifiedErrorId "<Category>,<module>.<Class>")."""
    return ErrorInfo(
        message=message,
        category=category,
        fqid=f"{category},{module}.{cmdlet_class}",
        exception_type="Microsoft.HyperV.PowerShell.VirtualizationException",
        hresult=E_VIRTUALIZATION,
        target=target,
        activity=cmdlet,
        reason="VirtualizationException",
    )
