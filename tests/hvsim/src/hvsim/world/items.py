"""The item-provider cmdlets over the file system, the registry and WSMan: Test-Path, Get-Item,
Get-ChildItem, New-Item, Remove-Item, Copy-Item, Move-Item, Set-Item, Get-ItemProperty,
Get-ItemPropertyValue, Set-ItemProperty, New-ItemProperty, Remove-ItemProperty.

Paths are dispatched by hvsim.world.item_paths.locate. What a provider cannot do (New-Item on WSMan,
Set-Item on a file, ...) fails as PowerShell's "provider does not support this operation". Wildcards
are expanded in the last path segment only. Set-Item's WSMan dynamic parameter -Concatenate is not in
the cmdlet catalog, so it is not offered (the binder would refuse it).
"""

from __future__ import annotations

import typing
from fnmatch import fnmatchcase

from hvsim.contract import CmdletError, ErrorInfo, PSEnumValue, PSOutObject
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world import pserrors
from hvsim.world.filesystem import FsError, leaf_name, parent_of
from hvsim.world.item_paths import (Location, child_names, exists, expand, fs_error, has_wildcard, is_container,
                                    item_object, locate, registry_properties_object, registry_value, wsman_display,
                                    wsman_kind)
from hvsim.world.registry import KINDS, coerce, kind_for, long_name

TRUSTED_HOSTS_PROMPT = ("WinRM Security Configuration.\r\nThis command modifies the TrustedHosts list for the WinRM "
                        "client. The computers in the TrustedHosts list might not be authenticated. The client might "
                        "send credential information to these computers. Are you sure that you want to modify this "
                        "list?")


# -- helpers -------------------------------------------------------------------------------------

def _paths(inv: Invocation) -> tuple[list[str], bool]:
    """The paths given (Path or LiteralPath) and whether wildcards apply."""
    if inv.has("LiteralPath"):
        return [str(p) for p in _as_list(inv.get("LiteralPath"))], False
    return [str(p) for p in _as_list(inv.get("Path"))], True


def _as_list(value: typing.Any) -> list[typing.Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _text(value: typing.Any) -> str:
    return value.name if isinstance(value, PSEnumValue) else str(value)


def _locate(inv: Invocation, raw: str, write: bool = False) -> Location | None:
    """locate(), with its failure written as a non-terminating error (None)."""
    try:
        return locate(inv.world, inv.principal, inv.name, raw, write)
    except CmdletError as err:
        inv.write_error(err.info)
        return None


def _resolved(inv: Invocation, raw: str, wildcards: bool, write: bool = False) -> list[Location]:
    """The existing items a path names; a path naming nothing is a non-terminating PathNotFound."""
    location = _locate(inv, raw, write)
    if location is None:
        return []
    found = expand(location) if wildcards else [location]
    found = [item for item in found if exists(item)]
    if not found and not (wildcards and has_wildcard(location.path)):
        inv.write_error(pserrors.path_not_found(inv.name, raw))
    return found


def _unsupported(inv: Invocation, location: Location) -> CmdletError:
    return CmdletError(pserrors.not_supported(inv.name, location.raw))


# -- Test-Path, Get-Item, Get-ChildItem ----------------------------------------------------------

@cmdlet("Test-Path")
def test_path(inv: Invocation) -> typing.Iterator[bool]:
    paths, wildcards = _paths(inv)
    wanted = _text(inv.get("PathType") or "Any").lower()
    for raw in paths:
        if inv.get("IsValid"):
            yield bool(raw.strip()) and not any(char in raw for char in '<>|"')
            continue
        try:
            location = locate(inv.world, inv.principal, inv.name, raw)
        except CmdletError:
            yield False
            continue
        found = [item for item in (expand(location) if wildcards else [location]) if exists(item)]
        if wanted == "leaf":
            found = [item for item in found if not is_container(item)]
        elif wanted == "container":
            found = [item for item in found if is_container(item)]
        yield bool(found)


@cmdlet("Get-Item")
def get_item(inv: Invocation) -> typing.Iterator[PSOutObject]:
    paths, wildcards = _paths(inv)
    for raw in paths:
        for location in _resolved(inv, raw, wildcards):
            yield item_object(location)


def _children(location: Location, recurse: bool, depth: int | None) -> typing.Iterator[Location]:
    for name in child_names(location):
        child_path = (location.path.rstrip("\\") + "\\" + name) if location.path else name
        child = location.child(child_path)
        yield child
        if recurse and is_container(child) and (depth is None or depth > 0):
            yield from _children(child, recurse, None if depth is None else depth - 1)


def _keep(inv: Invocation, location: Location) -> bool:
    container = is_container(location)
    if inv.get("File") and container or inv.get("Directory") and not container:
        return False
    name = location.path.rsplit("\\", 1)[-1]
    if inv.get("Filter") and not fnmatchcase(name.lower(), str(inv.get("Filter")).lower()):
        return False
    include = [str(p).lower() for p in _as_list(inv.get("Include"))]
    exclude = [str(p).lower() for p in _as_list(inv.get("Exclude"))]
    if include and not any(fnmatchcase(name.lower(), p) for p in include):
        return False
    return not any(fnmatchcase(name.lower(), p) for p in exclude)


@cmdlet("Get-ChildItem")
def get_child_item(inv: Invocation) -> typing.Iterator[typing.Any]:
    paths, wildcards = _paths(inv)
    depth = inv.get("Depth")
    recurse = bool(inv.get("Recurse")) or depth is not None
    home = f"C:\\Users\\{inv.principal.user.rsplit(chr(92), 1)[-1]}\\Documents"
    for raw in paths or [home]:
        for location in _resolved(inv, raw, wildcards):
            items = list(_children(location, recurse, None if depth is None else int(depth))) \
                if is_container(location) else [location]
            for item in items:
                if _keep(inv, item):
                    yield item.path.rsplit("\\", 1)[-1] if inv.get("Name") else item_object(item)


# -- New-Item, Remove-Item -----------------------------------------------------------------------

def _exists_error(inv: Invocation, location: Location) -> ErrorInfo:
    if location.provider == "Registry":
        return pserrors.io_error(inv.name, "System.IO.IOException", "A key at this path already exists.",
                                 location.raw, category="ResourceExists")
    fqid = "DirectoryExist" if is_container(location) else "NewItemIOError"
    message = f"An item with the specified name {location.shown(location.path)} already exists." \
        if is_container(location) else f"The file '{location.shown(location.path)}' already exists."
    return pserrors.io_error(inv.name, fqid, message, location.raw, pserrors.E_FILE_EXISTS, "ResourceExists")


def _new_fs_item(inv: Invocation, location: Location, item_type: str) -> PSOutObject:
    fs = location.machine.fs
    force = bool(inv.get("Force"))
    if fs.exists(location.path):
        if not force or (item_type == "directory") != fs.is_dir(location.path):
            raise CmdletError(_exists_error(inv, location))
        if item_type == "directory":
            return item_object(location)
    parent = parent_of(location.path)
    if item_type == "file" and parent is not None and not fs.is_dir(parent) and not force:
        raise CmdletError(fs_error(inv.name, FsError("parent_not_found", location.path), location.raw))
    try:
        if item_type == "directory":
            fs.mkdir(location.path)
        else:
            value = inv.get("Value")
            fs.write_file(location.path, len(str(value).encode("utf-8")) if value is not None else 0)
    except FsError as err:
        raise CmdletError(fs_error(inv.name, err, location.raw)) from None
    return item_object(location)


def _new_registry_key(inv: Invocation, location: Location) -> PSOutObject:
    registry = location.machine.platform.registry
    parent = location.path.rsplit("\\", 1)[0] if "\\" in location.path else None
    if registry.key_exists(location.path):
        if not inv.get("Force"):
            raise CmdletError(_exists_error(inv, location))
        registry.delete_key(location.path)  # New-Item -Force replaces a key: its values and subkeys are gone
    elif parent is not None and not registry.key_exists(parent) and not inv.get("Force"):
        raise CmdletError(pserrors.path_not_found(inv.name, location.raw.rsplit("\\", 1)[0]))
    registry.create_key(location.path)
    value = inv.get("Value")
    if value is not None:
        registry.set_value(location.path, "", "String", value)
    return item_object(location)


@cmdlet("New-Item")
def new_item(inv: Invocation) -> typing.Iterator[PSOutObject]:
    item_type = str(inv.get("ItemType") or "").lower()
    for raw in [str(p) for p in _as_list(inv.get("Path"))]:
        if inv.has("Name"):
            raw = raw.rstrip("\\/") + "\\" + str(inv.get("Name"))
        location = _locate(inv, raw, write=True)
        if location is None:
            continue
        if location.provider == "WSMan":
            raise _unsupported(inv, location)
        if location.provider == "Registry":
            yield _new_registry_key(inv, location)
        elif item_type in ("directory", "file", ""):
            if not item_type:
                item_type = "file"
            yield _new_fs_item(inv, location, item_type)
        else:
            raise CmdletError(pserrors.argument_error(
                inv.name, f"The provider does not support the item type '{inv.get('ItemType')}'.", location.raw))


def _has_children(location: Location) -> bool:
    return is_container(location) and bool(child_names(location))


@cmdlet("Remove-Item")
def remove_item(inv: Invocation) -> None:
    paths, wildcards = _paths(inv)
    for raw in paths:
        for location in _resolved(inv, raw, wildcards, write=True):
            if location.provider == "WSMan":
                raise _unsupported(inv, location)
            shown = location.shown(location.path)
            if _has_children(location) and not inv.get("Recurse"):
                raise CmdletError(pserrors.host_prompt(
                    inv.name, shown, f"The item at {location.raw} has children and the Recurse parameter was not "
                                     "specified. If you continue, all children will be removed with the item. Are you "
                                     "sure you want to continue?"))
            if location.provider == "Registry":
                location.machine.platform.registry.delete_key(location.path)
                continue
            try:
                location.machine.fs.remove(location.path, recurse=True)
            except FsError as err:
                inv.write_error(fs_error(inv.name, err, shown))


# -- Copy-Item, Move-Item ------------------------------------------------------------------------

def _destination(inv: Invocation, source: Location) -> Location | None:
    raw = str(inv.get("Destination") or "")
    if not raw:
        raw = source.raw.rsplit("\\", 1)[-1]
    target = _locate(inv, raw, write=True)
    if target is None:
        return None
    if target.provider != "FileSystem" or source.provider != "FileSystem":
        raise _unsupported(inv, target)
    if target.machine.fs.is_dir(target.path):
        target = target.child(target.path + "\\" + leaf_name(source.machine.fs.display_path(source.path)))
    return target


@cmdlet("Copy-Item")
def copy_item(inv: Invocation) -> typing.Iterator[PSOutObject]:
    paths, wildcards = _paths(inv)
    for raw in paths:
        for source in _resolved(inv, raw, wildcards):
            target = _destination(inv, source)
            if target is None:
                continue
            try:
                if source.machine.fs.is_dir(source.path) and not inv.get("Recurse"):
                    target.machine.fs.mkdir(target.path)
                else:
                    if source.machine.fs.is_file(source.path):  # a large file (a parent VHD) takes world time
                        inv.take_time(inv.world.transfer_seconds(source.machine.name, target.machine.name,
                                                                 source.machine.fs.get(source.path).size))
                    source.machine.fs.copy(source.path, target.machine.fs, target.path)
            except FsError as err:
                inv.write_error(fs_error(inv.name, err, target.raw if err.path == target.path else source.raw))
                continue
            if inv.get("PassThru"):
                yield item_object(target)


@cmdlet("Move-Item")
def move_item(inv: Invocation) -> typing.Iterator[PSOutObject]:
    paths, wildcards = _paths(inv)
    for raw in paths:
        for source in _resolved(inv, raw, wildcards, write=True):
            target = _destination(inv, source)
            if target is None:
                continue
            try:
                if target.machine.fs.is_file(target.path) and inv.get("Force"):
                    target.machine.fs.remove(target.path)
                if target.machine is source.machine:
                    source.machine.fs.move(source.path, target.path)
                else:
                    if target.machine.fs.exists(target.path):
                        raise FsError("exists", target.path)
                    source.machine.fs.copy(source.path, target.machine.fs, target.path)
                    source.machine.fs.remove(source.path, recurse=True)
            except FsError as err:
                inv.write_error(fs_error(inv.name, err, target.raw if err.path == target.path else source.raw))
                continue
            if inv.get("PassThru"):
                yield item_object(target)


# -- Set-Item ------------------------------------------------------------------------------------

def _wsman_value(value: typing.Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@cmdlet("Set-Item")
def set_item(inv: Invocation) -> typing.Iterator[PSOutObject]:
    paths, wildcards = _paths(inv)
    for raw in paths:
        for location in _resolved(inv, raw, wildcards, write=True):
            if location.provider == "WSMan":
                wsman = location.machine.platform.wsman
                key = location.path.lower().strip("\\")
                if wsman_kind(wsman, key) != "leaf":
                    raise CmdletError(pserrors.argument_error(
                        inv.name, f"The path {wsman_display(key)} is a container; set a value on one of its items.",
                        location.raw))
                if key == "localhost\\client\\trustedhosts" and not inv.get("Force"):
                    raise CmdletError(pserrors.host_prompt(inv.name, location.raw, TRUSTED_HOSTS_PROMPT))
                wsman[key] = _wsman_value(inv.get("Value"))
            elif location.provider == "Registry":
                value = inv.get("Value")
                kind = _kind(inv, "Type") or kind_for(value)
                location.machine.platform.registry.set_value(location.path, "", kind, value)
            else:
                raise _unsupported(inv, location)
            if inv.get("PassThru"):
                yield item_object(location)


# -- item properties (registry) ------------------------------------------------------------------

def _kind(inv: Invocation, parameter: str) -> str | None:
    given = inv.get(parameter)
    if given is None:
        return None
    text = _text(given)
    for kind in KINDS:
        if kind.lower() == text.lower():
            return kind
    raise CmdletError(pserrors.argument_error(
        inv.name, f"Cannot convert value \"{text}\" to type \"Microsoft.Win32.RegistryValueKind\". Error: \"Unable to "
                  "match the identifier name to a valid enumerator name. Specify one of the following enumerator "
                  "names and try again:\r\nUnknown, String, ExpandString, Binary, DWord, MultiString, QWord, None\"",
        text))


def _registry_keys(inv: Invocation) -> list[Location]:
    """The existing registry keys the paths name; file system paths are refused (not simulated)."""
    paths, wildcards = _paths(inv)
    keys = []
    for raw in paths:
        for location in _resolved(inv, raw, wildcards, write=inv.name != "Get-ItemProperty"):
            if location.provider != "Registry":
                raise _unsupported(inv, location)
            keys.append(location)
    return keys


def _missing_property(inv: Invocation, name: str, location: Location) -> ErrorInfo:
    return pserrors.argument_error(inv.name, f"Property {name} does not exist at path "
                                             f"{long_name(location.path)}.", name)


@cmdlet("Get-ItemProperty")
def get_item_property(inv: Invocation) -> typing.Iterator[PSOutObject]:
    names = [str(n) for n in _as_list(inv.get("Name"))] or None
    for location in _registry_keys(inv):
        key = location.machine.platform.registry.get_key(location.path)
        for name in names or []:
            if not has_wildcard(name) and key is not None and not any(v.lower() == name.lower() for v in key.values):
                inv.write_error(_missing_property(inv, name, location))
        result = registry_properties_object(location, names)
        if any(not p.startswith("PS") for p in result.properties):  # a key without values gives nothing
            yield result


@cmdlet("Get-ItemPropertyValue")
def get_item_property_value(inv: Invocation) -> typing.Iterator[typing.Any]:
    names = [str(n) for n in _as_list(inv.get("Name"))]
    for location in _registry_keys(inv):
        registry = location.machine.platform.registry
        for name in names:
            found = registry.get_value(location.path, name)
            if found is None:
                raise CmdletError(_missing_property(inv, name, location))
            yield registry_value(*found)


@cmdlet("Set-ItemProperty")
def set_item_property(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if inv.has("InputObject"):
        raise CmdletError(pserrors.not_supported(inv.name, "InputObject"))
    name, value = str(inv.get("Name")), inv.get("Value")
    for location in _registry_keys(inv):
        registry = location.machine.platform.registry
        existing = registry.get_value(location.path, name)
        kind = _kind(inv, "Type") or (existing[0] if existing else kind_for(value))
        try:
            registry.set_value(location.path, name, kind, value)
        except (TypeError, ValueError):
            raise CmdletError(pserrors.argument_error(inv.name, f"The value \"{value}\" is not valid for a {kind} "
                                                                "registry value.", name)) from None
        if inv.get("PassThru"):
            yield registry_properties_object(location, [name])


@cmdlet("New-ItemProperty")
def new_item_property(inv: Invocation) -> typing.Iterator[PSOutObject]:
    name, value = str(inv.get("Name")), inv.get("Value")
    kind = _kind(inv, "PropertyType") or "String"
    for location in _registry_keys(inv):
        registry = location.machine.platform.registry
        if registry.get_value(location.path, name) is not None and not inv.get("Force"):
            inv.write_error(pserrors.io_error(inv.name, "System.IO.IOException", "The property already exists.",
                                              location.raw, category="ResourceExists"))
            continue
        try:
            registry.set_value(location.path, name, kind, coerce(kind, value) if value is not None else
                               coerce(kind, 0 if kind in ("DWord", "QWord") else ""))
        except (TypeError, ValueError):
            raise CmdletError(pserrors.argument_error(inv.name, f"The value \"{value}\" is not valid for a {kind} "
                                                                "registry value.", name)) from None
        yield registry_properties_object(location, [name])


@cmdlet("Remove-ItemProperty")
def remove_item_property(inv: Invocation) -> None:
    names = [str(n) for n in _as_list(inv.get("Name"))]
    for location in _registry_keys(inv):
        registry = location.machine.platform.registry
        for name in names:
            if not registry.delete_value(location.path, name):
                inv.write_error(_missing_property(inv, name, location))

