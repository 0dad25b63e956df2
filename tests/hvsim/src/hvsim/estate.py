"""Estate YAML -> World (see tests/hvsim/notes/world-interfaces.md), and the `fleet` estate generator.

``build_world`` creates the machines, then per machine calls each world part's ``build`` in the
agreed order: filesystem, platform, smb, hyperv; then the directory (AD) once for the world.
"""

from __future__ import annotations

import importlib
import random
import typing

from hvsim.world.model import DomainInfo, Machine, World

PART_ORDER = ("filesystem", "platform", "smb", "hyperv")
PART_ATTRIBUTE = {"filesystem": "fs", "platform": "platform", "smb": "smb", "hyperv": "hyperv"}
PART_SECTION = {"filesystem": "fs", "platform": "platform", "smb": "smb", "hyperv": "hyperv"}
# folders every Windows machine has on its system volume
WINDOWS_FOLDERS = ("C:\\Windows\\System32", "C:\\ProgramData\\Microsoft\\Windows", "C:\\Users\\Public",
                   "C:\\Program Files", "C:\\Windows\\Temp")


def _part(name: str) -> typing.Any:
    """A world part module, or None while its owner has not written it yet."""
    try:
        return importlib.import_module(f"hvsim.world.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"hvsim.world.{name}":
            raise
        return None


def make_domain(spec: dict[str, typing.Any] | None) -> DomainInfo | None:
    if not spec:
        return None
    dns_name = str(spec["dns_name"]).lower()
    netbios = str(spec.get("netbios") or dns_name.split(".")[0]).upper()
    return DomainInfo(dns_name=dns_name, netbios=netbios, admins=dict(spec.get("admins") or {}))


def make_machine(spec: dict[str, typing.Any], domain: DomainInfo | None) -> Machine:
    name = str(spec["name"]).lower()
    role = spec.get("role", "hyperv_host")
    joined = domain is not None and bool(spec.get("domain_joined", role != "appliance"))
    accounts = {str(k): str(v) for k, v in (spec.get("local_accounts") or {}).items()}
    if joined and not accounts and domain is not None and domain.admins:
        accounts = {"Administrator": next(iter(domain.admins.values()))}
    machine = Machine(
        name=name,
        address=str(spec["address"]),
        role=role,
        fqdn=f"{name}.{domain.dns_name}" if joined and domain is not None else name,
        domain=domain.dns_name if joined and domain is not None else None,
        local_accounts=accounts,
    )
    for key in ("os_caption", "os_version", "is_client_os"):
        if key in spec:
            setattr(machine, key, type(getattr(machine, key))(spec[key]))
    return machine


def _hyperv_folders(machine: Machine, spec: dict[str, typing.Any]) -> list[str]:
    """Folders Windows and Hyper-V have made before the estate starts (the host's default paths)."""
    folders = list(WINDOWS_FOLDERS)
    host = (spec.get("hyperv") or {}).get("host") or {}
    for key in ("virtual_machine_path", "virtual_hard_disk_path"):
        if host.get(key):
            folders.append(str(host[key]))
    if machine.role == "hyperv_host":
        folders += ["C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
                    "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks"]
    return folders


def build_world(spec: dict[str, typing.Any]) -> World:
    """The world of an estate spec (a parsed estates/*.yml)."""
    world = World(domain=make_domain(spec.get("domain")), networks=list(spec.get("networks") or []),
                  links=_links(spec.get("links") or []))
    world.clock.time_scale = float((spec.get("clock") or {}).get("time_scale", 0.0))
    machine_specs: list[tuple[Machine, dict[str, typing.Any]]] = []
    for machine_spec in spec.get("machines", []):
        machine = make_machine(machine_spec, world.domain)
        if machine.name in world.machines:
            raise ValueError(f"machine {machine.name} is in the estate twice")
        world.machines[machine.name] = machine
        machine_specs.append((machine, machine_spec))
    parts = {name: _part(name) for name in PART_ORDER}
    for machine, machine_spec in machine_specs:
        for name in PART_ORDER:
            module = parts[name]
            section = machine_spec.get(PART_SECTION[name]) or {}
            if module is not None:
                setattr(machine, PART_ATTRIBUTE[name], module.build(machine, section, world))
            if name == "filesystem":
                for folder in _hyperv_folders(machine, machine_spec):
                    if machine.fs.volume_of(folder) is not None:
                        machine.fs.mkdir(folder)
    directory = _part("directory")
    if directory is not None:
        world.directory = directory.build(world, spec.get("domain"))
    replica = _part("hyperv_replica")
    if replica is not None:
        world.clock.on_advance(replica.follow_clock(world))
    return world


def _links(specs: list[dict[str, typing.Any]]) -> dict[frozenset[str], float]:
    """``links: [{between: [hv1, hv2], gbits: 10}]``: the bandwidth between two machines."""
    links: dict[frozenset[str], float] = {}
    for link in specs:
        pair = [str(name).lower() for name in link["between"]]
        if len(pair) != 2:
            raise ValueError(f"a link is between two machines, not {pair}")
        links[frozenset(pair)] = float(link["gbits"]) * 1_000_000_000
    return links


# -- the `fleet` estate --------------------------------------------------------------------------

def _address(index: int) -> str:
    """127.0.0.x while it lasts (move_to_block moves those), then 127.0.<n>.x."""
    if index < 250:
        return f"127.0.0.{index + 1}"
    return f"127.0.{index // 250}.{index % 250 + 1}"


def fleet(n_hosts: int, vms_per_host: int, seed: int = 0) -> dict[str, typing.Any]:
    """A generated estate: one DC, ``n_hosts`` Hyper-V hosts with ``vms_per_host`` VMs each (disks on
    D:), a file server and a management client. The same arguments always give the same estate."""
    if n_hosts < 1 or vms_per_host < 0:
        raise ValueError("a fleet needs at least one host and zero or more VMs per host")
    rng = random.Random(seed)
    machines: list[dict[str, typing.Any]] = [{
        "name": "dc1", "address": _address(9), "role": "domain_controller",
        "platform": {"features": ["AD-Domain-Services", "DNS", "RSAT-AD-PowerShell"],
                     "net_adapters": [{"name": "Ethernet", "ipv4": ["10.0.0.10/16"]}]},
    }]
    vhd_dir = "D:\\Hyper-V\\Virtual Hard Disks"
    for host in range(1, n_hosts + 1):
        name = f"hv{host:03d}"
        index = 100 + host
        files = []
        vms = []
        for number in range(1, vms_per_host + 1):
            vm_name = f"{name}-vm{number:03d}"
            size_gb = rng.choice((40, 60, 80, 127))
            files.append({"path": f"{vhd_dir}\\{vm_name}.vhdx", "size_mb": rng.randint(2000, size_gb * 400),
                          "vhd": {"type": "Dynamic", "size_gb": size_gb}})
            vms.append({
                "name": vm_name,
                "generation": 2,
                "state": rng.choice(("Running", "Running", "Off")),
                "processor_count": rng.choice((1, 2, 4)),
                "memory": {"startup_mb": rng.choice((1024, 2048, 4096, 8192))},
                "disks": [{"path": f"{vhd_dir}\\{vm_name}.vhdx", "controller": "SCSI", "number": 0, "location": 0}],
                "network_adapters": [{"name": "Network Adapter", "switch": "External",
                                      # the guest's address (reported while it runs); one per VM up to 254 VMs a host
                                      "ip_addresses": [f"10.{128 + host // 256}.{host % 256}.{number}"]
                                      if number < 255 else []}],
            })
        octets = f"{index // 250}.{index % 250 + 1}"
        machines.append({
            "name": name,
            "address": _address(index),
            "role": "hyperv_host",
            "fs": {
                "volumes": {"C:": {"size_gb": 256, "used_gb": 60, "label": "System"},
                            "D:": {"size_gb": 4096, "used_gb": 50, "label": "VMs"}},
                "folders": ["D:\\Hyper-V", vhd_dir],
                "files": files,
            },
            "platform": {
                "features": ["Hyper-V", "Hyper-V-PowerShell", "RSAT-Hyper-V-Tools"],
                "net_adapters": [
                    {"name": "Ethernet", "description": "Intel(R) Ethernet Controller X710 for 10GbE SFP+",
                     "mac": f"00-15-5D-{host // 256:02X}-{host % 256:02X}-01"},
                    {"name": "Ethernet 2", "description": "Intel(R) Ethernet Controller X710 for 10GbE SFP+ #2",
                     "mac": f"00-15-5D-{host // 256:02X}-{host % 256:02X}-02", "ipv4": [f"10.50.{octets}/16"]},
                ],
            },
            "hyperv": {
                "host": {"virtual_machine_path": "D:\\Hyper-V", "virtual_hard_disk_path": vhd_dir,
                         "logical_processors": 32, "memory_gb": 256},
                "switches": [{"name": "External", "type": "external", "net_adapter": "Ethernet",
                              "allow_management_os": True, "management_ipv4": [f"10.0.{octets}/16"]}],
                "vms": vms,
            },
        })
    machines.append({
        "name": "fs1", "address": _address(19), "role": "file_server",
        "fs": {"volumes": {"C:": {"size_gb": 128, "used_gb": 40, "label": "System"},
                           "E:": {"size_gb": 16384, "used_gb": 500, "label": "Storage"}},
               "folders": ["E:\\Shares\\VM"]},
        "platform": {"features": ["FS-FileServer"], "net_adapters": [{"name": "Ethernet", "ipv4": ["10.0.0.20/16"]}]},
        "smb": {"shares": [{"name": "VM", "path": "E:\\Shares\\VM", "description": "Hyper-V VM storage",
                            "full_access": ["FLEET\\Domain Admins"]}]},
    })
    machines.append({
        "name": "mgmt1", "address": _address(20), "role": "management_client",
        "os_caption": "Microsoft Windows 11 Enterprise", "is_client_os": True,
        "fs": {"volumes": {"C:": {"size_gb": 512, "used_gb": 120, "label": "Windows"}}},
        "platform": {"optional_features": ["Microsoft-Hyper-V-Management-PowerShell"],
                     "net_adapters": [{"name": "Ethernet", "ipv4": ["10.0.0.21/16"]}]},
    })
    return {
        "name": f"fleet-{n_hosts}x{vms_per_host}",
        "ports": {"http": 5985, "https": 5986},
        "admin": {"port": 0},
        "domain": {"dns_name": "fleet.test", "netbios": "FLEET", "admins": {"Administrator": "Passw0rd!"}},
        "networks": [{"name": "management", "subnet": "10.0.0.0/16"},
                     {"name": "migration", "subnet": "10.50.0.0/16"}],
        "machines": machines,
    }
