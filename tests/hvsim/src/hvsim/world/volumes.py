"""Get-Volume: the machine's volumes with their size and free space (MSFT_Volume)."""

from __future__ import annotations

import typing

from hvsim.contract import CmdletError, ErrorInfo, PSOutObject, UInt64
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.platform_types import VOLUME_TYPE
from hvsim.world.shapes import shaped

if typing.TYPE_CHECKING:
    from hvsim.world.filesystem import Volume

CIM = "Microsoft.Management.Infrastructure.CimInstance"
STORAGE_NS = "ROOT/Microsoft/Windows/Storage"


def _letter(value: typing.Any) -> str:
    return chr(value).upper() if isinstance(value, int) else str(value)[:1].upper()


def _volume_guid(letter: str) -> str:
    """A stable volume GUID for the volume's Path (hvsim's own; Windows assigns one when it mounts a volume)."""
    code = f"{ord(letter[0].upper()):08x}"
    return f"{code}-0000-0000-0000-{code[-4:]}00000000"


def volume_object(volume: Volume) -> PSOutObject:
    # MSFT_Volume's documented properties (hvsim.world.platform_types); HealthStatus and DriveType are declared
    # UInt16/UInt32 but Get-Volume shows their names: how they travel has no source found, hvsim sends the names
    return shaped(
        [VOLUME_TYPE, f"{CIM}#MSFT_Volume", CIM],
        {
            "DriveLetter": volume.letter[0].upper(),
            "Path": f"\\\\?\\Volume{{{_volume_guid(volume.letter)}}}\\",
            "FileSystemLabel": volume.label,
            "FileSystem": volume.file_system,
            "DriveType": "Fixed",
            "HealthStatus": "Healthy",
            "Size": UInt64(volume.size),
            "SizeRemaining": UInt64(max(volume.size - volume.used, 0)),
        },
        to_string=f"MSFT_Volume (DriveLetter = \"{volume.letter[0].upper()}\")")


@cmdlet("Get-Volume")
def get_volume(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if inv.parameter_set != "ByDriveLetter" or inv.has("CimSession"):
        raise CmdletError(ErrorInfo(message=f"hvsim: Get-Volume supports -DriveLetter only, not the "
                                            f"{inv.parameter_set} parameter set.", category="NotImplemented"))
    machine = inv.world.machines[inv.principal.machine]
    volumes = sorted(machine.fs.volumes.values(), key=lambda v: v.letter)
    wanted = inv.get("DriveLetter")
    if wanted is None:
        yield from (volume_object(volume) for volume in volumes)
        return
    for value in wanted if isinstance(wanted, list) else [wanted]:
        letter = _letter(value)
        found = [volume for volume in volumes if volume.letter[0].upper() == letter]
        if not found:
            inv.write_error(ErrorInfo(
                message=f"No MSFT_Volume objects found with property 'DriveLetter' equal to '{letter}'.  Verify the "
                        "value of the property and retry.",
                category="ObjectNotFound", fqid="CmdletizationQuery_NotFound_DriveLetter,Get-Volume",
                exception_type="Microsoft.Management.Infrastructure.CimException", target=letter))
        yield from (volume_object(volume) for volume in found)
