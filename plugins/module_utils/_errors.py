# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One error type for everything that fails on or on the way to a host, and the one table of hints.

FOR INTERNAL COLLECTION USE ONLY.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t


@dataclasses.dataclass(frozen=True)
class Hint:
    code: int | None  # HRESULT / Win32 code as an unsigned 32-bit number, or None for text-only matches
    pattern: str | None  # a regular expression on the message (case-insensitive), or None
    category: str  # what kind of failure this is, in a word or two
    remedy: str  # what to do


# The remediation table: one place for every known code. First match wins.
HINTS: tuple[Hint, ...] = (
    Hint(
        0x80090303,
        r"target is unknown or unreachable",
        "missing SPN",
        "The destination host's computer account lacks its Hyper-V service principal names (event 14050 "
        "'could not register SPN' in Microsoft-Windows-Hyper-V-VMMS/Admin). Register them with "
        "winvirt.hyperv.hyperv_spn (the default SPN set covers 'Microsoft Virtual System Migration Service' "
        "and 'Hyper-V Replica Service' for the NetBIOS name and the FQDN).",
    ),
    Hint(
        0x8009030E,
        r"no credentials are available",
        "Kerberos double hop",
        "The operation was started from a third machine and the host cannot pass your credentials on. Either "
        "configure constrained delegation on the source host's computer account with winvirt.hyperv.hyperv_spn "
        "(peers: the destination, service 'Microsoft Virtual System Migration Service' and cifs), or connect with "
        "auth=credssp and set the hosts' migration authentication type to CredSSP (winvirt.hyperv.hyperv_host).",
    ),
    Hint(
        0x8009030C,
        r"logon attempt failed|unknown user name or bad password",
        "authentication failed",
        "The user name or password was refused. Check username (DOMAIN\\user or user@domain for domain accounts, "
        "plain user for local ones) and password.",
    ),
    Hint(
        None,
        r"Error copying file to .*certificate authority is invalid",
        "App Layering file transfer certificate",
        "The App Layering connector copies disks over HTTPS and the appliance's file transfer certificate is "
        "expired or not trusted by the Hyper-V host. Upload a renewed certificate to the appliance "
        "and trust its CA on the host, or switch HTTPS file transfer off (roles/app_layering "
        "app_layering_https_file_transfer: false sets useHttpsFileTransfer: false and ignoreCertificateErrors: true "
        "in the connector's config.json) and restart the connector.",
    ),
    Hint(
        None,
        r"certificate verify failed|CERTIFICATE_VERIFY_FAILED|certificate authority is invalid|certificate has expired",
        "certificate not trusted",
        "The host's HTTPS certificate could not be validated. Point ca_trust_path at the PEM of the CA that "
        "issued it (or renew an expired certificate). Only as a deliberate choice: cert_validation=false.",
    ),
    Hint(
        0x80070005,
        r"access is denied|unauthorized",
        "access denied",
        "The account is not allowed to do this on the host: it must be a member of the local Administrators "
        "(or Hyper-V Administrators) group. For a local account on a workgroup host, remote UAC filtering "
        "also applies (LocalAccountTokenFilterPolicy).",
    ),
    Hint(
        None,
        r"\b401\b|authentication failed|AuthenticationError|AuthenticationException|did not respon[sd] with a CredSSP",
        "authentication failed",
        "WinRM refused the credentials (HTTP 401). Check username/password and auth: basic needs ssl=true and "
        "Basic enabled on the listener; local accounts need ntlm or credssp; credssp needs "
        "Enable-WSManCredSSP -Role Server on the host (winvirt.hyperv.hyperv_host credssp_server: true).",
    ),
    Hint(
        None,
        r"The term '(?:Hyper-V\\)?[A-Za-z]+-(?:VM|VHD)[A-Za-z]*' is not recognized",
        "Hyper-V module missing",
        "The host has no Hyper-V PowerShell module, so its Hyper-V cmdlets are unknown. Install the management tools "
        "with their PowerShell module: winvirt.hyperv.hyperv_host features: [RSAT-Hyper-V-Tools] (which installs "
        "Hyper-V-PowerShell with it; on Windows Server by hand: Install-WindowsFeature RSAT-Hyper-V-Tools "
        "-IncludeAllSubFeature), or features: [Hyper-V] for the role with its tools.",
    ),
    Hint(
        None,
        r"processor does not have required virtualization capabilities|hypervisor is not running|"
        r"virtualization support is disabled in the firmware",
        "no virtualization extensions",
        "The machine cannot run the Hyper-V role as it is. For a nested Hyper-V host (a VM), turn on "
        "Set-VMProcessor -ExposeVirtualizationExtensions $true for it on the outer host while it is off, and install "
        "the role with winvirt.hyperv.hyperv_host feature_method: dism. On hardware, enable VT-x/AMD-V in the firmware.",
    ),
    Hint(
        0x80338012,
        r"connection refused|Max retries exceeded|timed out|Failed to establish a new connection|Name or service not known|Connection reset",
        "WinRM unreachable",
        "Nothing answered on the WinRM port. Check the host is up and reachable, that WinRM is enabled "
        "(Enable-PSRemoting -Force on the host), that the firewall allows TCP 5985 (HTTP) or 5986 (HTTPS), "
        "and that port/ssl match the listener.",
    ),
)


def find_hint(code: int | None, message: str) -> Hint | None:
    """The first hint whose code equals ``code`` or whose pattern matches ``message``."""
    unsigned = code & 0xFFFFFFFF if code is not None else None
    for hint in HINTS:
        if unsigned is not None and hint.code == unsigned:
            return hint
    for hint in HINTS:
        if hint.pattern and re.search(hint.pattern, message, re.IGNORECASE):
            return hint
    return None


_HEX_CODE = re.compile(r"0x[0-9A-Fa-f]{8}")


def code_in_text(message: str) -> int | None:
    """An HRESULT such as 0x80090303 quoted in a message (Hyper-V puts them in the text)."""
    match = _HEX_CODE.search(message)
    return int(match.group(0), 16) if match else None


# Failure categories (HostClient._transport_error, the batch deadline) after which a batch may have run on the host.
OUTCOME_UNKNOWN = frozenset({"WinRM unreachable", "WinRM transport", "WinRM fault", "timeout"})


class HyperVError(Exception):
    """Something failed on, or on the way to, a host.

    ``str()`` is the whole story in one line: what failed, on which host, why, and what to do.
    """

    def __init__(
        self,
        host: str,
        message: str,
        *,
        command: str | None = None,
        category: str | None = None,
        code: int | None = None,
        error_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        if code is None:
            code = code_in_text(message)
        known = find_hint(code, message)
        self.host = host
        self.message = message.strip()
        self.command = command
        self.category = category or (known.category if known else "error")
        self.code = code & 0xFFFFFFFF if code is not None else None
        self.error_id = error_id
        self.hint = hint or (known.remedy if known else None)
        self.not_started = False  # set by the client when the host refused a batch before any of it ran
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [f"{self.host}:"]
        if self.command:
            parts.append(f"'{self.command}' failed:")
        parts.append(self.message)
        if self.code is not None and f"0x{self.code:08X}".lower() not in self.message.lower():
            parts.append(f"(0x{self.code:08X})")
        text = " ".join(parts)
        if self.hint:
            text += f" Hint: {self.hint}"
        return text

    @property
    def outcome_unknown(self) -> bool:
        """Whether the host may have acted on a batch although it failed: the connection broke, or the batch was
        stopped, after it was sent (a command's own error ends the batch at that command instead)."""
        return self.category in OUTCOME_UNKNOWN

    def to_result(self) -> dict[str, t.Any]:
        """The fields a module returns beside ``msg`` when it fails."""
        return {
            "host": self.host,
            "command": self.command,
            "category": self.category,
            "code": f"0x{self.code:08X}" if self.code is not None else None,
            "error_id": self.error_id,
            "hint": self.hint,
        }
