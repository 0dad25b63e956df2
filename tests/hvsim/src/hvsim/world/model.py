"""The estate's top-level state: machines and the world that holds them.

Each part of a machine's state lives in its own module, owned there:
- ``fs``        hvsim.world.filesystem.FileSystem   (volumes, folders, files incl. VHD/VHDX metadata)
- ``hyperv``    hvsim.world.hyperv.HyperVState      (VMs, switches, host settings, checkpoints)
- ``platform``  hvsim.world.platform.PlatformState  (registry, services, features, firewall, WSMan,
                                                     reboot/reachability)
- ``smb``       hvsim.world.smb.SmbState            (shares with share and NTFS permissions)
The directory (AD computer accounts, SPNs, delegation, groups) is one per world:
``World.directory`` (hvsim.world.directory.Directory).

All cmdlets run under ``World.lock`` (the engine takes it per statement), so state changes are
atomic with respect to concurrent sessions.
"""

from __future__ import annotations

import threading
import typing
from dataclasses import dataclass, field

from hvsim.clock import WorldClock

# A link's speed when the estate names none: 1 Gbit/s Ethernet. Copies within one machine run at a
# disk rate of 500 MB/s (an assumption of hvsim's, not a measured Windows figure).
DEFAULT_LINK_BITS = 1_000_000_000
LOCAL_COPY_BYTES = 500_000_000

if typing.TYPE_CHECKING:
    from hvsim.world.directory import Directory
    from hvsim.world.filesystem import FileSystem
    from hvsim.world.hyperv import HyperVState
    from hvsim.world.platform import PlatformState
    from hvsim.world.smb import SmbState

MachineRole = typing.Literal["hyperv_host", "file_server", "domain_controller", "management_client", "appliance"]


@dataclass
class Machine:
    name: str  # short (NetBIOS) name, lower case, e.g. "hv1"
    address: str  # loopback IP the machine listens on, e.g. "127.0.0.11"
    role: MachineRole
    fqdn: str  # "hv1.lab.test", or the short name for workgroup machines
    domain: str | None  # DNS domain name when domain-joined
    os_caption: str = "Microsoft Windows Server 2025 Datacenter"
    os_version: str = "10.0.26100"
    is_client_os: bool = False
    local_accounts: dict[str, str] = field(default_factory=dict)  # user -> password (local administrators)
    fs: FileSystem = typing.cast("FileSystem", None)
    hyperv: HyperVState = typing.cast("HyperVState", None)
    platform: PlatformState = typing.cast("PlatformState", None)
    smb: SmbState = typing.cast("SmbState", None)

    @property
    def netbios(self) -> str:
        return self.name.upper()


@dataclass
class DomainInfo:
    dns_name: str  # "lab.test"
    netbios: str  # "LAB"
    admins: dict[str, str] = field(default_factory=dict)  # domain admin user -> password


@dataclass
class World:
    machines: dict[str, Machine] = field(default_factory=dict)
    domain: DomainInfo | None = None
    networks: list[dict[str, typing.Any]] = field(default_factory=list)  # the estate's routed networks, first = management
    directory: Directory = typing.cast("Directory", None)
    lock: threading.RLock = field(default_factory=threading.RLock)
    clock: WorldClock = typing.cast(WorldClock, None)  # world time (hvsim.clock), made on the world's lock
    links: dict[frozenset[str], float] = field(default_factory=dict)  # machine pair -> bits per second

    def __post_init__(self) -> None:
        if self.clock is None:
            self.clock = WorldClock(self.lock)

    def bandwidth(self, source: str, destination: str) -> float:
        """Bytes per second between two machines: the estate's ``links`` entry, else 1 Gbit/s."""
        bits = self.links.get(frozenset((source.lower(), destination.lower())), DEFAULT_LINK_BITS)
        return bits / 8

    def transfer_seconds(self, source: str, destination: str, size: int) -> float:
        """World seconds to copy ``size`` bytes between two machines (one machine: its disk rate)."""
        if source.lower() == destination.lower():
            return size / LOCAL_COPY_BYTES
        return size / self.bandwidth(source, destination)

    def machine(self, name: str) -> Machine | None:
        """Find a machine by short name, FQDN or address (case-insensitive)."""
        key = name.lower()
        for machine in self.machines.values():
            if key in (machine.name, machine.fqdn.lower(), machine.address):
                return machine
        return None
