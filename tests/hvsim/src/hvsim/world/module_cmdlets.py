"""Get-Module -ListAvailable: the PowerShell modules a machine has, from the catalog and its installed features.

A module is on the machine when its feature is installed (``PlatformState.module_available``, the same
rule that makes its cmdlets "not recognized" otherwise). Microsoft's Get-Module documentation: with
``-ListAvailable`` it lists the modules installed in a ``$env:PSModulePath`` folder, whether imported or
not; ``-Name`` takes wildcards; a name that matches nothing writes no error and returns nothing.
"""

from __future__ import annotations

import typing

from hvsim.contract import CmdletError, ErrorInfo, PSEnumValue, PSOutObject, Version
from hvsim.engine.api import Invocation, cmdlet
from hvsim.engine.catalog import load_catalog
from hvsim.world import platform_types
from hvsim.world.platform_cmdlets import as_list, local_machine, matches
from hvsim.world.shapes import shaped

_SYSTEM_MODULES = "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules"


def _module_object(name: str, commands: list[str]) -> PSOutObject:
    """The module's PSModuleInfo with its full property set (``platform_types``): what hvsim models of it (name, path,
    manifest, version, exported commands); the rest carries the type's default."""
    base = f"{_SYSTEM_MODULES}\\{name}"
    # the collections are never null on a module object (PowerShell's source); a dictionary of exports is sent as the
    # list of its names, as hvsim sent ExportedCommands before (how one travels at depth 1 is not settled)
    empty = {prop: [] for prop, dotnet in platform_types.PROPERTIES[platform_types.MODULE_INFO_TYPE]
             if "IEnumerable<" in dotnet or "Dictionary<" in dotnet}
    return shaped([platform_types.MODULE_INFO_TYPE], {
        **empty,
        "Name": name,
        "Path": f"{base}\\{name}.psd1",
        "ModuleBase": base,
        "ModuleType": PSEnumValue("System.Management.Automation.ModuleType", "Manifest", 2),
        "Version": Version("2.0.0.0" if name == "Hyper-V" else "1.0.0.0"),
        "ExportedCommands": sorted(commands),
    }, to_string=name)


@cmdlet("Get-Module")
def get_module(inv: Invocation) -> typing.Iterator[PSOutObject]:
    if not inv.get("ListAvailable"):
        raise CmdletError(ErrorInfo(
            message="hvsim lists available modules only (Get-Module -ListAvailable)", category="NotImplemented",
            fqid="NotImplemented,hvsim.Get-Module", exception_type="System.NotImplementedException",
            hresult=-2147467263))
    platform = local_machine(inv).platform
    patterns = [str(p) for p in as_list(inv.get("Name"))]
    for name, commands in sorted(load_catalog().modules().items()):
        if patterns and not any(matches(p, name) for p in patterns):
            continue
        if platform is None or platform.module_available(name):
            yield _module_object(name, commands)
