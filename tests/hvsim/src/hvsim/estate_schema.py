"""The estate YAML schema: every key the world's builders read, checked before anything is built.

An estate file is written by people (docs/testing-offline.md), so a typo must not silently become a default (a VM
with ``startupmb: 4096`` would start with 1024 MB). ``problems(spec)`` lists every unknown key, missing key, wrong
type or impossible value with its place in the file (``machines[1] (hv1).hyperv.vms[0] (web1).memory``), and the
cross-references the builders rely on (a VM's disk is a file of its machine, an external switch's NIC exists,
addresses are loopback and unique). ``hvsim check --estate FILE`` prints them; ``runner.estate_spec`` refuses a
file that has any.

The schema mirrors the builders (estate.py, world/filesystem.py, world/platform.py, world/smb.py, world/hyperv.py,
world/directory.py, runner.py): a key they start reading belongs here too. tests/hvsim/tests/test_estate_schema.py
builds the shipped estates and a fleet from specs that record every key the builders ask a section for and fails on
one the schema does not know (a section a builder copies before reading, such as platform.hardware, is not seen).
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import ntpath
import typing


class EstateError(ValueError):
    """An estate file with problems; ``problems`` holds each one."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s) in the estate:\n" + "\n".join(f"  - {p}" for p in problems))


# -- schema nodes ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Value:
    """A scalar of one of ``kinds`` (str, int, float, bool), optionally one of ``choices`` (compared without case)."""

    kinds: tuple[type, ...]
    choices: tuple[str, ...] = ()
    what: str = ""


@dataclasses.dataclass(frozen=True)
class Fields:
    """A mapping with known keys."""

    fields: dict[str, typing.Any]
    required: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class MapOf:
    """A mapping whose keys are names (volume letters, service names, ...) and whose values are ``value``."""

    value: typing.Any


@dataclasses.dataclass(frozen=True)
class ListOf:
    item: typing.Any


class Anything:
    """Free-form (registry contents: hvsim.world.registry.new_registry documents them)."""


TEXT = Value((str,), what="text")
INT = Value((int,), what="a whole number")
NUMBER = Value((int, float), what="a number")
BOOL = Value((bool,), what="true or false")
SCALAR = Value((str, int, float, bool), what="text, a number or true/false")
TEXTS = ListOf(TEXT)

VOLUME = Fields({"size_gb": NUMBER, "used_gb": NUMBER, "label": TEXT, "file_system": TEXT})
VHD = Fields({"type": Value((str,), ("Fixed", "Dynamic", "Differencing")), "format": Value((str,), ("VHD", "VHDX")),
              "size_gb": NUMBER, "size_bytes": INT, "parent": TEXT})
FILE = Fields({"path": TEXT, "size_mb": NUMBER, "size_bytes": INT, "vhd": VHD, "same_as": TEXT}, required=("path",))
FS = Fields({"volumes": MapOf(VOLUME), "folders": TEXTS, "files": ListOf(FILE)})

NET_ADAPTER = Fields({"name": TEXT, "description": TEXT, "mac": TEXT, "ipv4": TEXTS, "interface_index": INT,
                      "status": TEXT, "link_speed": TEXT}, required=("name",))
SERVICE = Fields({"display_name": TEXT, "status": Value((str,), ("Running", "Stopped", "Paused")),
                  "start_type": Value((str,), ("Automatic", "Manual", "Disabled"))})
FIREWALL_RULE = Fields({"name": TEXT, "display_name": TEXT, "group": TEXT, "enabled": BOOL, "direction": TEXT,
                        "action": TEXT, "profile": TEXT, "protocol": TEXT, "local_port": SCALAR, "description": TEXT},
                       required=("name",))
HARDWARE = Fields({"manufacturer": TEXT, "model": TEXT, "logical_processors": INT, "memory_gb": NUMBER})
PLATFORM = Fields({
    "features": TEXTS, "optional_features": TEXTS, "pending_features": TEXTS, "net_adapters": ListOf(NET_ADAPTER),
    "services": MapOf(SERVICE), "firewall_rules": ListOf(FIREWALL_RULE), "registry": Anything(), "wsman": MapOf(SCALAR),
    "certificate_mappings": MapOf(TEXT), "hardware": HARDWARE, "virtualization": BOOL, "reboot_seconds": NUMBER,
    "last_boot": TEXT})

SHARE = Fields({"name": TEXT, "path": TEXT, "description": TEXT, "full_access": TEXTS, "change_access": TEXTS,
                "read_access": TEXTS, "no_access": TEXTS}, required=("name", "path"))
NTFS_ENTRY = Fields({"account": TEXT, "rights": Value((str,), ("FullControl", "Modify", "ReadAndExecute", "Read", "Write")),
                     "allow": BOOL}, required=("account",))
SMB = Fields({"shares": ListOf(SHARE), "ntfs": MapOf(ListOf(NTFS_ENTRY))})

HOST = Fields({"virtual_machine_path": TEXT, "virtual_hard_disk_path": TEXT, "logical_processors": INT,
               "memory_gb": NUMBER, "max_configuration_version": SCALAR})
SWITCH = Fields({"name": TEXT, "type": Value((str,), ("external", "internal", "private")), "net_adapter": TEXT,
                 "allow_management_os": BOOL, "management_ipv4": TEXTS, "notes": TEXT}, required=("name",))
VLAN = Fields({"mode": Value((str,), ("access", "trunk", "untagged")), "id": INT, "native_id": INT,
               "allowed": ListOf(INT)})
VM = Fields({
    "name": TEXT, "generation": Value((int,), ("1", "2")), "version": SCALAR, "path": TEXT,
    "state": Value((str, bool), ("Off", "Running", "Paused", "Saved")), "processor_count": INT, "notes": TEXT,
    "memory": Fields({"startup_mb": INT, "dynamic": BOOL, "minimum_mb": INT, "maximum_mb": INT}),
    "firmware": Fields({"secure_boot": BOOL, "template": Value((str,), ("MicrosoftWindows", "MicrosoftUEFICertificateAuthority",
                                                                       "OpenSourceShieldedVM"))}),
    "disks": ListOf(Fields({"path": TEXT, "controller": Value((str,), ("SCSI", "IDE")), "number": INT, "location": INT},
                           required=("path",))),
    # ip_addresses: what the guest reports (Get-VMNetworkAdapter IPAddresses, shown while the VM runs)
    "network_adapters": ListOf(Fields({"name": TEXT, "switch": TEXT, "vlan": VLAN, "ip_addresses": ListOf(TEXT)})),
    "checkpoints": ListOf(Fields({"name": TEXT}, required=("name",))),
}, required=("name",))
HYPERV = Fields({"host": HOST, "switches": ListOf(SWITCH), "vms": ListOf(VM)})

ROLES = ("hyperv_host", "domain_controller", "file_server", "management_client", "appliance")
MACHINE = Fields({
    "name": TEXT, "address": TEXT, "role": Value((str,), ROLES), "domain_joined": BOOL, "local_accounts": MapOf(TEXT),
    "os_caption": TEXT, "os_version": TEXT, "is_client_os": BOOL,
    "fs": FS, "platform": PLATFORM, "smb": SMB, "hyperv": HYPERV,
}, required=("name", "address"))
DOMAIN = Fields({"dns_name": TEXT, "netbios": TEXT, "admins": MapOf(TEXT), "spns": MapOf(TEXTS)}, required=("dns_name",))
ESTATE = Fields({
    "name": TEXT, "ports": Fields({"http": INT, "https": INT}), "admin": Fields({"port": INT, "address": TEXT}),
    "domain": DOMAIN, "networks": ListOf(Fields({"name": TEXT, "subnet": TEXT}, required=("name", "subnet"))),
    "links": ListOf(Fields({"between": TEXTS, "gbits": NUMBER}, required=("between", "gbits"))),
    "clock": Fields({"time_scale": NUMBER}), "machines": ListOf(MACHINE),
}, required=("machines",))


# -- walking --------------------------------------------------------------------------------------

def _kind_ok(value: typing.Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in kinds  # YAML's true is not a number here
    return isinstance(value, kinds)


def _label(item: typing.Any) -> str:
    return f" ({item['name']})" if isinstance(item, dict) and isinstance(item.get("name"), (str, int)) else ""


def _check(node: typing.Any, value: typing.Any, where: str, found: list[str]) -> None:
    if isinstance(node, Anything):
        return
    if isinstance(node, Value):
        if not _kind_ok(value, node.kinds):
            found.append(f"{where}: must be {node.what or _choices_text(node)}, not {value!r}")
        elif node.choices and str(value).lower() not in {c.lower() for c in node.choices} and not isinstance(value, bool):
            found.append(f"{where}: must be one of {_choices_text(node)}, not {value!r}")
        return
    if isinstance(node, ListOf):
        if not isinstance(value, list):
            found.append(f"{where}: must be a list, not {value!r}")
            return
        for index, item in enumerate(value):
            _check(node.item, item, f"{where}[{index}]{_label(item)}", found)
        return
    if not isinstance(value, dict):
        found.append(f"{where}: must be a mapping (key: value), not {value!r}")
        return
    if isinstance(node, MapOf):
        for key, item in value.items():
            _check(node.value, item, f"{where}.{key}", found)
        return
    shown = where or "top level"
    for key in node.required:
        if value.get(key) is None:
            found.append(f"{shown}: missing required key '{key}'")
    for key, item in value.items():
        if key not in node.fields:
            close = difflib.get_close_matches(str(key), node.fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            found.append(f"{shown}: unknown key '{key}'{hint}; known keys: {', '.join(node.fields)}")
        elif item is not None:
            _check(node.fields[key], item, f"{where}.{key}" if where else key, found)


def _choices_text(node: Value) -> str:
    return ", ".join(node.choices)


# -- what the builders rely on across sections --------------------------------------------------

def _cross_references(spec: dict[str, typing.Any], found: list[str]) -> None:
    machines = [m for m in spec.get("machines") or [] if isinstance(m, dict)]
    seen_names: dict[str, int] = {}
    seen_addresses: dict[str, str] = {}
    for index, machine in enumerate(machines):
        where = f"machines[{index}]{_label(machine)}"
        name = str(machine.get("name", "")).lower()
        if name in seen_names:
            found.append(f"{where}: machine name '{name}' is also machines[{seen_names[name]}]'s")
        seen_names.setdefault(name, index)
        address = str(machine.get("address", ""))
        try:
            if not ipaddress.ip_address(address) in ipaddress.ip_network("127.0.0.0/8"):
                found.append(f"{where}.address: {address} is not a loopback address (127.x.x.x); hvsim listens only "
                             "on 127.0.0.0/8")
        except ValueError:
            found.append(f"{where}.address: {address!r} is not an IPv4 address")
        if address in seen_addresses:
            found.append(f"{where}.address: {address} is also {seen_addresses[address]}'s")
        seen_addresses.setdefault(address, name)
        _machine_references(machine, where, found)
    names = set(seen_names)
    for index, link in enumerate(spec.get("links") or []):
        for other in (link.get("between") or []) if isinstance(link, dict) else []:
            if str(other).lower() not in names:
                found.append(f"links[{index}].between: no machine named '{other}'")
    domain = spec.get("domain") if isinstance(spec.get("domain"), dict) else {}
    for other in (domain.get("spns") or {}) if isinstance(domain.get("spns"), dict) else {}:
        if str(other).lower() not in names:
            found.append(f"domain.spns: no machine named '{other}'")


def _key(path: str) -> str:
    return ntpath.normpath(path.replace("/", "\\")).lower()


def _machine_references(machine: dict[str, typing.Any], where: str, found: list[str]) -> None:
    fs = machine.get("fs") if isinstance(machine.get("fs"), dict) else {}
    files = {_key(str(f["path"])) for f in fs.get("files") or [] if isinstance(f, dict) and f.get("path")}
    volumes = {str(v)[:2].upper() for v in (fs.get("volumes") or {"C:": {}})}
    for index, item in enumerate(fs.get("files") or []):
        if not isinstance(item, dict) or not item.get("path"):
            continue
        if str(item["path"])[:2].upper() not in volumes:
            found.append(f"{where}.fs.files[{index}].path: {item['path']} is on no volume of the machine "
                         f"(volumes: {', '.join(sorted(volumes))})")
        parent = (item.get("vhd") or {}).get("parent") if isinstance(item.get("vhd"), dict) else None
        if parent and _key(str(parent)) not in files:
            found.append(f"{where}.fs.files[{index}].vhd.parent: {parent} is not a file of fs.files")
    platform = machine.get("platform") if isinstance(machine.get("platform"), dict) else {}
    nics = {str(n.get("name")).lower() for n in platform.get("net_adapters") or [{"name": "Ethernet"}] if isinstance(n, dict)}
    hyperv = machine.get("hyperv") if isinstance(machine.get("hyperv"), dict) else {}
    switches = set()
    for index, switch in enumerate(hyperv.get("switches") or []):
        if not isinstance(switch, dict):
            continue
        switches.add(str(switch.get("name")).lower())
        if str(switch.get("type", "private")).lower() == "external":
            nic = switch.get("net_adapter")
            if nic is None:
                found.append(f"{where}.hyperv.switches[{index}]{_label(switch)}: an external switch needs net_adapter")
            elif str(nic).lower() not in nics:
                found.append(f"{where}.hyperv.switches[{index}]{_label(switch)}.net_adapter: no platform.net_adapters "
                             f"entry named '{nic}'")
    for index, vm in enumerate(hyperv.get("vms") or []):
        if not isinstance(vm, dict):
            continue
        at = f"{where}.hyperv.vms[{index}]{_label(vm)}"
        for number, disk in enumerate(vm.get("disks") or []):
            if isinstance(disk, dict) and disk.get("path") and _key(str(disk["path"])) not in files:
                found.append(f"{at}.disks[{number}].path: {disk['path']} is not a file of fs.files (add it there with "
                             "a vhd: section)")
        for number, adapter in enumerate(vm.get("network_adapters") or []):
            if isinstance(adapter, dict) and adapter.get("switch") and str(adapter["switch"]).lower() not in switches:
                found.append(f"{at}.network_adapters[{number}].switch: no switch '{adapter['switch']}' in hyperv.switches")
            vlan = adapter.get("vlan") if isinstance(adapter, dict) and isinstance(adapter.get("vlan"), dict) else {}
            if str(vlan.get("mode", "")).lower() == "access" and not 1 <= int(vlan.get("id") or 0) <= 4094:
                found.append(f"{at}.network_adapters[{number}].vlan.id: access mode needs an id from 1 to 4094")


def problems(spec: typing.Any) -> list[str]:
    """Every problem of an estate spec (a parsed estate YAML); empty when it is fine."""
    if not isinstance(spec, dict):
        return [f"the estate must be a mapping with a machines: list, not {type(spec).__name__}"]
    found: list[str] = []
    _check(ESTATE, spec, "", found)
    _cross_references(spec, found)
    return found


def validate(spec: typing.Any, source: str = "estate") -> None:
    """Raise EstateError listing every problem of ``spec``."""
    found = problems(spec)
    if found:
        raise EstateError(source, found)


def field_paths(node: typing.Any = ESTATE, path: str = "") -> typing.Iterator[tuple[str, tuple[str, ...]]]:
    """Each mapping of the schema with its known keys, by path (``machines[].hyperv.vms[].memory``); the estate
    reference in docs/testing-offline.md has one row for each."""
    if isinstance(node, ListOf):
        yield from field_paths(node.item, f"{path}[]")
    elif isinstance(node, MapOf):
        yield from field_paths(node.value, f"{path}.<name>")
    elif isinstance(node, Fields):
        yield path or "(top level)", tuple(node.fields)
        for key, child in node.fields.items():
            yield from field_paths(child, f"{path}.{key}" if path else key)
