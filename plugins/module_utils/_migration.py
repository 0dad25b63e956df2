# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a live migration reads from its two hosts, and the commands that move VMs.

FOR INTERNAL COLLECTION USE ONLY. The decisions are in _migration_plan.
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._host_facts import NAME_PROPERTIES, host_name
from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_plan import (
    AUTHENTICATION_CODES,
    Adapter,
    DiskFile,
    HostFacts,
    Problem,
    VmFacts,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._vm_state import parse_vms, read_vm_commands

VHD_PROPERTIES = ["Path", "FileSize", "ParentPath", "DiskIdentifier"]
HOST_PROPERTIES = [*NAME_PROPERTIES, "VirtualMachineMigrationEnabled",
                   "VirtualMachineMigrationAuthenticationType", "LogicalProcessorCount"]


def host_commands() -> list[Cmd]:
    """A host's migration settings and switches, its Windows version (which decides how parents move), whether it
    is a domain member, and the configuration versions it runs."""
    return [Cmd("Get-VMHost", select=HOST_PROPERTIES), Cmd("Get-VMSwitch", select=["Name"]),
            Cmd("Get-CimInstance", {"ClassName": "Win32_OperatingSystem"}, select=["Version"]),
            Cmd("Get-CimInstance", {"ClassName": "Win32_ComputerSystem"}, select=["PartOfDomain"]),
            Cmd("Get-VMHostSupportedVersion", select=["Version"])]


HOST_ROWS = len(host_commands())


def source_commands() -> list[Cmd]:
    """The source host, its VMs with their parts, and the VMs' disk files (for the bytes to move)."""
    return [*host_commands(), *read_vm_commands(Cmd("Get-VM")),
            Cmd("Get-VM", missing_ok=True, piped=[Cmd("Get-VMHardDiskDrive"), Cmd("Get-VHD")], select=VHD_PROPERTIES)]


def destination_commands() -> list[Cmd]:
    return [*host_commands(), Cmd("Get-VM", select=["Name", "Id"], missing_ok=True)]


def _rows(value: t.Any) -> list[dict[str, t.Any]]:
    return [row for row in value if isinstance(row, dict)]


def parse_host(rows: list[list[t.Any]], vm_rows: list[t.Any]) -> HostFacts:
    """The rows of host_commands (in that order), and the host's VMs."""
    host = next(iter(_rows(rows[0])), {})
    system = next(iter(_rows(rows[2])), {})
    computer = next(iter(_rows(rows[3])), {})
    return HostFacts(
        name=host_name(host),
        migration_enabled=bool(host.get("VirtualMachineMigrationEnabled")),
        authentication=str(host.get("VirtualMachineMigrationAuthenticationType") or ""),
        switches=tuple(str(row["Name"]) for row in _rows(rows[1]) if row.get("Name")),
        vms={str(row["Name"]): str(row.get("Id") or "") for row in _rows(vm_rows) if row.get("Name")},
        os_version=str(system.get("Version") or ""),
        domain_member=computer.get("PartOfDomain") is not False,
        logical_processors=int(host.get("LogicalProcessorCount") or 0),
        configuration_versions=tuple(str(row.get("Version")) for row in _rows(rows[4]) if row.get("Version")),
    )


def parse_source(rows: list[list[t.Any]]) -> tuple[HostFacts, dict[str, VmFacts]]:
    views = parse_vms(rows[HOST_ROWS:-1])
    sizes = {str(row.get("Path") or "").lower(): int(row.get("FileSize") or 0) for row in _rows(rows[-1])}
    vms: dict[str, VmFacts] = {}
    for view in views:
        disks = tuple(d.path for d in view.disks if d.path)
        vms[view.name] = VmFacts(
            name=view.name, id=str(view.id or ""), state=view.state, path=str(view.path or ""), disks=disks,
            disk_bytes=sum(sizes.get(path.lower(), 0) for path in disks),
            adapters=tuple(Adapter(a.name, a.switch) for a in view.adapters),
            version=str(view.version or ""), processor_count=int(view.processor_count or 0))
    host = parse_host(rows, [{"Name": v.name, "Id": v.id} for v in vms.values()])
    return host, vms


def source_vm_ids(rows: list[list[t.Any]]) -> list[tuple[str, str]]:
    """(name, Id) of every VM in the rows of source_commands, VMs that share a name included."""
    return [(view.name, str(view.id or "")) for view in parse_vms(rows[HOST_ROWS:-1])]


def disk_files(rows: list[t.Any]) -> dict[str, DiskFile]:
    """Get-VHD rows by lower-case path."""
    found = {}
    for row in _rows(rows):
        if row.get("Path"):
            found[str(row["Path"]).lower()] = DiskFile(str(row["Path"]), str(row.get("ParentPath") or "") or None,
                                                       str(row.get("DiskIdentifier") or ""), int(row.get("FileSize") or 0))
    return found


def vhd_command(paths: t.Iterable[str]) -> Cmd:
    return Cmd("Get-VHD", {"Path": sorted(set(paths), key=str.lower)}, select=VHD_PROPERTIES, missing_ok=True)


def unread_parents(files: t.Mapping[str, DiskFile]) -> list[str]:
    """Parents named by the files read so far that have not been read themselves."""
    return sorted({f.parent_path for f in files.values() if f.parent_path and f.parent_path.lower() not in files},
                  key=str.lower)


def admin_share_path(host: str, path: str) -> str:
    """``D:\\x\\y.vhdx`` on ``host`` -> ``\\\\host\\D$\\x\\y.vhdx`` (the administrative share)."""
    return f"\\\\{host}\\{path[0].upper()}$" + path[2:]


def copy_commands(parents: t.Sequence[DiskFile], destination: str) -> tuple[list[Cmd], list[Cmd]]:
    """(on the destination: make the parents' folders; on the source: copy each file, root first, to the
    destination's admin share) - one batch for each host, however many parents."""
    folders = dict.fromkeys(parent.path.rsplit("\\", 1)[0] for parent in parents)
    make = [Cmd("New-Item", {"ItemType": "Directory", "Path": folder, "Force": True}, select=["FullName"])
            for folder in folders]
    copy = [Cmd("Copy-Item", {"LiteralPath": parent.path, "Destination": admin_share_path(destination, parent.path)})
            for parent in parents]
    return make, copy


def parent_switches(host_moves_parents: bool, keep_source_parents: bool) -> dict[str, t.Any]:
    """What Move-VM, Move-VMStorage and Compare-VM do with the source's copies of the parents they move: kept
    (-RetainVhdCopiesOnSource; a base image is usually shared) or deleted (-RemoveSourceUnmanagedVhds).
    Hosts that leave parents behind (Windows Server 2012) get neither."""
    if not host_moves_parents:
        return {}
    return {"RetainVhdCopiesOnSource": True} if keep_source_parents else {"RemoveSourceUnmanagedVhds": True}


def move_parameters(name: str, destination: str, mode: str, destination_path: str | None,
                    vhd_paths: t.Mapping[str, str] | None, parents: t.Mapping[str, t.Any] | None = None) -> dict[str, t.Any]:
    """Move-VM/Compare-VM parameters for one VM (parameter sets NameSingleDestination / NameMultipleDestinations)."""
    parameters: dict[str, t.Any] = {"Name": name, "DestinationHost": destination}
    if mode != "shared_nothing":
        return parameters
    if vhd_paths:
        if destination_path:
            parameters["VirtualMachinePath"] = destination_path
        parameters["Vhds"] = [{"SourceFilePath": src, "DestinationFilePath": dst} for src, dst in vhd_paths.items()]
    elif destination_path:
        parameters["IncludeStorage"] = True
        parameters["DestinationStoragePath"] = destination_path
    else:
        parameters["IncludeStorage"] = True
    parameters.update(parents or {})
    return parameters


# Compare-VM's VMCompatibilityReport holds its VMCompatibilityError objects in Incompatibilities. Windows PowerShell
# remoting serializes output to depth 1, so that property would arrive as a list of the errors' ToString(), the bare
# type name "Microsoft.HyperV.PowerShell.VMCompatibilityError": the errors are expanded and selected on the host.
INCOMPATIBILITY_PROPERTIES = ["MessageId", "Message"]


def compare_command(parameters: dict[str, t.Any]) -> Cmd:
    """``Compare-VM <parameters> | Select-Object -ExpandProperty Incompatibilities | Select-Object MessageId, Message``."""
    return Cmd("Compare-VM", parameters, piped=[Cmd("Select-Object", {"ExpandProperty": "Incompatibilities"})],
               select=INCOMPATIBILITY_PROPERTIES)


def parse_report(rows: list[t.Any]) -> list[tuple[int, str]]:
    """The rows of ``compare_command`` (one per incompatibility) as (MessageId, Message)."""
    return [(int(row.get("MessageId") or 0), str(row.get("Message") or "")) for row in _rows(rows)]


def session_problem(error: t.Any, source: HostFacts, destination: HostFacts, session_auth: str = "kerberos") -> Problem:
    """A Compare-VM that could not even reach the destination: the hosts cannot authenticate to each other.
    ``session_auth`` is how this task's session to the source really authenticated (HostClient.session_auth)."""
    code = getattr(error, "code", None)
    what = f"{source.name} cannot start a migration to {destination.name}: {getattr(error, 'message', error)}"
    if code == 0x8009030E and session_auth == "ntlm":
        fix = ("This task's session to the source authenticated with NTLM (auth=ntlm, or negotiate to an IP "
               "address, for which no Kerberos ticket exists), and Kerberos-only constrained delegation cannot pass "
               "an NTLM session on. Allow protocol transition on the source's computer account with "
               "winvirt.hyperv.hyperv_spn (delegation.protocol: any; roles/live_migration "
               "live_migration_delegation_protocol: any), or connect to the host's FQDN with auth=kerberos or "
               "negotiate, or use auth=credssp with CredSSP migration authentication (winvirt.hyperv.hyperv_host).")
    elif code == 0x8009030D and not (source.domain_member and destination.domain_member):
        workgroup = " and ".join(h.name for h in (source, destination) if not h.domain_member)
        fix = (f"{workgroup} {'is' if ' and ' not in workgroup else 'are'} not in a domain, so only CredSSP can "
               "carry your credentials to the source: run the task with auth=credssp. Prepare it once: "
               "winvirt.hyperv.hyperv_host with credssp_server: true on each host, and with management_client "
               f"(CredSSP client role delegating to wsman/{source.name}, the host in TrustedHosts, and the policy "
               "allowing fresh credentials with NTLM-only server authentication) on the machine the task runs "
               "from. Keep live_migration.authentication: credssp on both hosts.")
    elif code == 0x8009030D:
        fix = ("The hosts use CredSSP for migrations, which needs your own credentials on the source: connect with "
               "auth=credssp (winvirt.hyperv.hyperv_host credssp_server: true on the source), or switch both hosts to "
               "live_migration.authentication: kerberos with constrained delegation (winvirt.hyperv.hyperv_spn).")
    else:
        fix = getattr(error, "hint", None) or "See the message; check that the destination is reachable from the source."
    return Problem(what, fix)


def is_authentication_failure(error: t.Any) -> bool:
    return getattr(error, "code", None) in AUTHENTICATION_CODES


def reconnect_commands(vm: str, adapters: t.Iterable[tuple[str, str, str]], to_target: bool) -> list[Cmd]:
    """Connect the VM's adapters to their mapped switches (``to_target``) or back to the source's."""
    return [Cmd("Connect-VMNetworkAdapter", {"VMName": vm, "Name": adapter, "SwitchName": target if to_target else old})
            for adapter, old, target in adapters]


def disconnect_commands(vm: str, adapters: t.Iterable[tuple[str, str, str]]) -> list[Cmd]:
    return [Cmd("Disconnect-VMNetworkAdapter", {"VMName": vm, "Name": adapter}) for adapter, _old, _new in adapters]
