"""Types shared by hvsim's three layers.

- ``hvsim.wire``   speaks HTTP(S), WS-Management, auth, MS-WSMV encryption, PSRP (psrpcore server side)
                   and WinRS. It knows nothing about Hyper-V.
- ``hvsim.engine`` binds and runs PowerShell commands against the cmdlet catalog. It knows nothing
                   about the wire.
- ``hvsim.world``  holds the estate's state (machines, VMs, files, AD, ...) and implements the cmdlets
                   and native executables.

The wire layer converts psrpcore values to the plain Python values below on the way in, and these
output values to psrpcore objects (CLIXML) on the way out. Nothing here imports psrpcore.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------
# Who is calling
# ---------------------------------------------------------------------------------------------

AuthKind = typing.Literal["basic", "ntlm", "negotiate", "kerberos", "credssp", "certificate"]


@dataclass(frozen=True)
class Principal:
    """An authenticated WinRM session on one simulated machine."""

    machine: str  # name of the machine the session runs on (e.g. "hv1")
    user: str  # "DOMAIN\\user" for domain accounts, "user" for local accounts
    auth: AuthKind  # how the session authenticated
    delegable: bool  # the session holds credentials usable for a second hop (CredSSP)
    client_address: str = "127.0.0.1"
    client_principal: str = ""  # the name the authentication proved (Kerberos: Administrator@LAB.TEST)
    # a Kerberos session's proxy credential (the client's forwardable ticket) for S4U2Proxy, see hvsim.kerberos
    credentials: typing.Any = field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------------------------------------
# What is asked
# ---------------------------------------------------------------------------------------------

# Parameter values arrive as plain Python: str, int, float, bool, None, bytes, list, dict
# (a PowerShell hashtable), datetime, SecureValue, Credential. A switch parameter sent without a
# value (pypsrp add_parameter("Force")) arrives as None and means "present".


@dataclass(frozen=True)
class SecureValue:
    """A System.Security.SecureString; ``str()`` never shows the secret."""

    secret: str

    def __repr__(self) -> str:
        return "SecureValue(***)"

    __str__ = __repr__


@dataclass(frozen=True)
class Credential:
    """A System.Management.Automation.PSCredential."""

    username: str
    password: SecureValue


@dataclass
class CommandCall:
    """One command of a statement: ``name`` plus parameters in the order sent.

    A parameter name of None is a positional argument. ``merge_error_to_output`` mirrors PSRP's
    MergeMyResult/MergeToResult for the error stream.
    """

    name: str
    parameters: list[tuple[str | None, typing.Any]] = field(default_factory=list)
    is_script: bool = False
    merge_error_to_output: bool = False


Statement = list[CommandCall]  # commands joined by "|"; statements run one after another


# ---------------------------------------------------------------------------------------------
# What comes back
# ---------------------------------------------------------------------------------------------


class UInt64(int):
    """Serialise as <U64> (sizes in bytes)."""


class Int64(int):
    """Serialise as <I64> (memory in bytes). Plain ints serialise as <I32>, or <I64> if too large."""


class UInt32(int):
    """Serialise as <U32>."""


class UInt16(int):
    """Serialise as <U16> (CIM uint16 properties)."""


class Char(str):
    """A System.Char (serialised as <C>, its UTF-16 code), e.g. MSFT_Volume's DriveLetter."""


class Guid(str):
    """A System.Guid (serialised as <G>); the text is the lower-case 8-4-4-4-12 form."""


class Version(str):
    """A System.Version (serialised as <Version>), e.g. "10.0.17763.1"."""


@dataclass
class PSEnumValue:
    """A .NET enum value; CLIXML carries the type names, ToString (the name) and the integer."""

    type_name: str  # e.g. "Microsoft.HyperV.PowerShell.VMState"
    name: str  # e.g. "Running"; flags as "A, B"
    value: int


@dataclass
class PSOutObject:
    """A .NET object as a PowerShell client sees it after deserialisation.

    ``type_names`` most-derived first (the wire appends "System.Object" if missing).
    Property values: None, bool, int (and the wrappers above), float, str, bytes, datetime,
    timedelta, PSEnumValue, PSOutObject, list, dict.
    """

    type_names: list[str]
    properties: dict[str, typing.Any]
    to_string: str | None = None


@dataclass
class ErrorInfo:
    """An ErrorRecord: what the client sees in CategoryInfo, FullyQualifiedErrorId and Exception."""

    message: str
    category: str = "NotSpecified"  # System.Management.Automation.ErrorCategory name
    fqid: str = "NotSpecified"  # FullyQualifiedErrorId, e.g. "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVM"
    exception_type: str = "System.Management.Automation.RuntimeException"
    hresult: int = -2146233087  # Exception.HResult, signed 32-bit (0x80131501 by default)
    target: str | None = None  # CategoryInfo.TargetName / TargetObject
    activity: str | None = None  # CategoryInfo.Activity (usually the cmdlet name)
    reason: str | None = None  # CategoryInfo.Reason (short exception type name)


class CmdletError(Exception):
    """Raised by a cmdlet (or the binder) for a terminating error."""

    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(info.message)
        self.info = info


# Events a pipeline run yields to the wire layer, in order.


@dataclass
class Output:
    value: typing.Any


@dataclass
class ErrorEvent:  # a non-terminating error (error stream, or output if merged)
    info: ErrorInfo


@dataclass
class WarningEvent:
    message: str


@dataclass
class VerboseEvent:
    message: str


@dataclass
class Failed:  # the pipeline ended with a terminating error; nothing follows
    info: ErrorInfo


PipelineEvent = Output | ErrorEvent | WarningEvent | VerboseEvent | Failed


@dataclass
class NativeResult:
    stdout: bytes
    stderr: bytes
    exit_code: int


class ProgramNotFound(Exception):
    """A program started without cmd.exe (WINRS_SKIP_CMD_SHELL) that CreateProcess cannot find."""

    def __init__(self, program: str) -> None:
        super().__init__(program)
        self.program = program


@dataclass(frozen=True)
class AccountSecret:
    """One account the wire layer may authenticate (goes into pyspnego's NTLM_USER_FILE)."""

    domain: str  # "" for a machine-local account
    username: str
    password: str


class Backend(typing.Protocol):
    """What the wire layer needs from the rest of the simulator."""

    def machine_at(self, address: str) -> str | None:
        """Name of the machine listening on ``address`` (an IP), or None."""

    def is_reachable(self, machine: str) -> bool:
        """False while a machine is rebooting or powered off: the wire refuses connections."""

    def accounts(self) -> list[AccountSecret]:
        """Every account of the estate, for NTLM/CredSSP/Basic verification."""

    def authorize(
        self, machine: str, domain: str, username: str, auth: AuthKind, delegable: bool, client_address: str,
        client_principal: str = "", credentials: typing.Any = None,
    ) -> Principal | None:
        """An authenticated user may open a shell on ``machine`` (administrators only), or None -> 401/403."""

    def certificate_user(self, machine: str, client_cert_der: bytes) -> Principal | None:
        """Client certificate mapping: the local account a certificate maps to on ``machine``."""

    def run_pipeline(
        self, principal: Principal, statements: list[Statement], input_objects: list[typing.Any]
    ) -> typing.Iterator[PipelineEvent]:
        """Run statements in order; stop at the first Failed event."""

    def run_native(self, principal: Principal, command_line: str, *, through_cmd: bool = True) -> NativeResult:
        """Run a native executable in a WinRS cmd shell (``command_line`` as Windows would see it):
        through ``cmd.exe /c`` or, with WINRS_SKIP_CMD_SHELL, started directly (may raise ProgramNotFound)."""

    def record_wire(self, machine: str, messages: int, bytes_in: int, bytes_out: int) -> None:
        """Count WS-Management traffic per machine."""

    # A backend may also have ``record_http`` (hvsim.wire.accounting.HttpRecorder): the bytes and HTTP
    # exchanges that crossed each listener's socket, for benchmarks.
    # A backend may also have ``clock`` (hvsim.clock.WorldClock): Receives then let world time pass
    # for pipelines that wait on it.
