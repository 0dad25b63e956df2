"""A machine's registry: keys and values (the item provider in hvsim.world.items reads and writes it).

Keys are stored by lower-case path in short-hive form (``hklm\\software\\policies``) with the name
as created; values by name (as created) -> (kind, value). Kinds are RegistryValueKind names:
String, ExpandString, DWord, QWord, MultiString, Binary. The default value has the name "".

Path forms accepted everywhere: ``HKLM:\\SOFTWARE\\x``, ``HKCU:\\...``, ``HKEY_LOCAL_MACHINE\\...``,
``Registry::HKEY_LOCAL_MACHINE\\...``, ``Microsoft.PowerShell.Core\\Registry::HKLM\\...``.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass, field

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine

HIVES = {
    "hklm": "HKEY_LOCAL_MACHINE",
    "hkcu": "HKEY_CURRENT_USER",
    "hkcr": "HKEY_CLASSES_ROOT",
    "hku": "HKEY_USERS",
    "hkcc": "HKEY_CURRENT_CONFIG",
}
LONG_HIVES = {long.lower(): short for short, long in HIVES.items()}
KINDS = ("String", "ExpandString", "DWord", "QWord", "MultiString", "Binary", "Unknown", "None")


class RegistryPathError(ValueError):
    """Not a registry path."""


def split_path(path: str) -> tuple[str, str]:
    """``HKLM:\\SOFTWARE\\X`` -> ("hklm", "SOFTWARE\\X") (hive short name, rest as written)."""
    text = path.replace("/", "\\").strip()
    for prefix in ("microsoft.powershell.core\\registry::", "registry::"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
            break
    head, _, rest = text.partition("\\")
    hive = head.rstrip(":").lower()
    if hive in LONG_HIVES:
        hive = LONG_HIVES[hive]
    if hive not in HIVES:
        raise RegistryPathError(path)
    rest = "\\".join(part for part in rest.split("\\") if part)
    return hive, rest


def is_registry_path(path: str) -> bool:
    try:
        split_path(path)
    except RegistryPathError:
        return False
    text = path.replace("/", "\\").lower()
    return "::" in text or text.split("\\", 1)[0].endswith(":") or text.split("\\", 1)[0] in LONG_HIVES


def key_of(path: str) -> str:
    """The storage key of a registry path (lower case, short hive)."""
    hive, rest = split_path(path)
    return (hive + "\\" + rest).lower() if rest else hive


def long_name(key_name: str) -> str:
    """``HKLM\\SOFTWARE\\X`` -> ``HKEY_LOCAL_MACHINE\\SOFTWARE\\X`` (RegistryKey.Name)."""
    hive, _, rest = key_name.partition("\\")
    long = HIVES[hive.lower()]
    return long + ("\\" + rest if rest else "")


@dataclass
class RegistryKey:
    name: str  # short-hive form as created: "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows"
    values: dict[str, tuple[str, typing.Any]] = field(default_factory=dict)  # name -> (kind, value)


@dataclass
class Registry:
    keys: dict[str, RegistryKey] = field(default_factory=dict)  # key_of(path) -> key

    # -- keys ---------------------------------------------------------------------------------
    def key_exists(self, path: str) -> bool:
        return key_of(path) in self.keys

    def get_key(self, path: str) -> RegistryKey | None:
        return self.keys.get(key_of(path))

    def create_key(self, path: str) -> RegistryKey:
        """Create the key and any missing parents; an existing key is returned as is."""
        hive, rest = split_path(path)
        name = hive.upper()
        current = self.keys.setdefault(hive, RegistryKey(name))
        for part in rest.split("\\") if rest else []:
            name = name + "\\" + part
            found = self.keys.get(name.lower())
            if found is None:
                found = RegistryKey(name)
                self.keys[name.lower()] = found
            else:
                name = found.name
            current = found
        return current

    def delete_key(self, path: str) -> None:
        """Delete the key and everything below it."""
        key = key_of(path)
        for name in [k for k in self.keys if k == key or k.startswith(key + "\\")]:
            del self.keys[name]

    def subkeys(self, path: str) -> list[str]:
        """Names (last component, as created) of the key's direct subkeys, sorted."""
        prefix = key_of(path) + "\\"
        names = [k.name.rsplit("\\", 1)[-1] for lower, k in self.keys.items()
                 if lower.startswith(prefix) and "\\" not in lower[len(prefix):]]
        return sorted(names, key=str.lower)

    # -- values -------------------------------------------------------------------------------
    def _value_name(self, key: RegistryKey, name: str) -> str | None:
        for existing in key.values:
            if existing.lower() == name.lower():
                return existing
        return None

    def get_value(self, path: str, name: str) -> tuple[str, typing.Any] | None:
        key = self.get_key(path)
        if key is None:
            return None
        found = self._value_name(key, name)
        return key.values[found] if found is not None else None

    def set_value(self, path: str, name: str, kind: str, value: typing.Any) -> None:
        """Set (or create) a value; the key must exist (KeyError otherwise)."""
        key = self.get_key(path)
        if key is None:
            raise KeyError(path)
        found = self._value_name(key, name)
        key.values[found if found is not None else name] = (kind, coerce(kind, value))

    def delete_value(self, path: str, name: str) -> bool:
        key = self.get_key(path)
        if key is None:
            return False
        found = self._value_name(key, name)
        if found is None:
            return False
        del key.values[found]
        return True


def coerce(kind: str, value: typing.Any) -> typing.Any:
    """A value as the registry stores it for ``kind`` (DWORD from "1", MultiString from a scalar, ...)."""
    if kind == "DWord":
        number = int(value) if not isinstance(value, str) else int(value, 0)
        return number & 0xFFFFFFFF if number < 0 else number
    if kind == "QWord":
        return int(value) if not isinstance(value, str) else int(value, 0)
    if kind == "MultiString":
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
    if kind == "Binary":
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, (list, tuple)):
            return bytes(int(v) for v in value)
        return bytes([int(value)])
    return "" if value is None else str(value)


def kind_for(value: typing.Any) -> str:
    """The kind PowerShell picks for a value written without -Type."""
    if isinstance(value, bool):
        return "String"
    if isinstance(value, int):
        return "DWord" if -(2**31) <= value < 2**32 else "QWord"
    if isinstance(value, (list, tuple)):
        return "MultiString"
    if isinstance(value, (bytes, bytearray)):
        return "Binary"
    return "String"


def new_registry(machine: Machine, spec: dict[str, typing.Any] | None = None) -> Registry:
    """The registry every Windows machine starts with, plus the estate's entries.

    ``spec`` maps key paths to values: ``{"HKLM:\\SOFTWARE\\X": {"Name": 1, "Other": {"type": "String",
    "value": "v"}}}`` (a value without a type gets the kind PowerShell would pick).
    """
    registry = Registry()
    for hive in HIVES:
        registry.create_key(hive)
    current = registry.create_key("HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion")
    parts = (machine.os_version.split(".") + ["0", "0", "0"])[:3]
    product = machine.os_caption.removeprefix("Microsoft ")
    current.values.update({
        "ProductName": ("String", product),
        "CurrentBuild": ("String", parts[2]),
        "CurrentBuildNumber": ("String", parts[2]),
        "CurrentMajorVersionNumber": ("DWord", int(parts[0]) if parts[0].isdigit() else 10),
        "CurrentMinorVersionNumber": ("DWord", int(parts[1]) if parts[1].isdigit() else 0),
        "CurrentVersion": ("String", "6.3"),
        "InstallationType": ("String", "Client" if machine.is_client_os else "Server"),
        "EditionID": ("String", product.rsplit(" ", 1)[-1] if product else ""),
    })
    for path in (
        "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows",
        "HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion",
        "HKLM:\\SYSTEM\\CurrentControlSet\\Control",
        "HKLM:\\SYSTEM\\CurrentControlSet\\Services",
        "HKCU:\\Software\\Microsoft",
    ):
        registry.create_key(path)
    for path, values in (spec or {}).items():
        registry.create_key(path)
        for name, value in (values or {}).items():
            if isinstance(value, dict) and "value" in value:
                registry.set_value(path, name, str(value.get("type") or kind_for(value["value"])), value["value"])
            else:
                registry.set_value(path, name, kind_for(value), value)
    return registry
