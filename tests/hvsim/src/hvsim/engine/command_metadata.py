"""Get-Command's view of a catalog cmdlet, as GET_COMMAND_METADATA answers it (test_psrp_get_command_metadata.yml).

Windows answers the message by running Get-Command and selecting Name, Namespace, HelpUri, CommandType,
ResolvedCommandName, OutputType and Parameters (``Selected.System.Management.Automation.CmdletInfo``), after a
``Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo`` with the Count; each parameter is a ParameterMetadata
(Name, ParameterType as its type's full name at depth 0, Aliases, IsDynamic, SwitchParameter). The catalog has no
HelpUri and no OutputType: hvsim sends null and an empty list (Windows sends the cmdlet's own).
"""

from __future__ import annotations

from hvsim.contract import PSEnumValue, PSOutObject
from hvsim.engine.catalog import CmdletInfo

CMDLET_TYPE = 8  # System.Management.Automation.CommandTypes.Cmdlet
_BAG = "System.Management.Automation.PSCustomObject"
_SHORT_TYPES = {"String": "System.String", "Int32": "System.Int32", "Int64": "System.Int64", "UInt64": "System.UInt64",
                "Boolean": "System.Boolean", "Object": "System.Object", "Guid": "System.Guid", "TimeSpan": "System.TimeSpan",
                "DateTime": "System.DateTime", "Hashtable": "System.Collections.Hashtable", "UInt32": "System.UInt32",
                "Int16": "System.Int16", "Byte": "System.Byte", "Char": "System.Char", "Double": "System.Double"}


def _type_name(catalog_type: str) -> str:
    """The catalog's type as a .NET full name (``String[]`` -> ``System.String[]``)."""
    base, array = (catalog_type[:-2], "[]") if catalog_type.endswith("[]") else (catalog_type, "")
    return _SHORT_TYPES.get(base, base) + array


def command_info(info: CmdletInfo) -> PSOutObject:
    parameters: dict[str, PSOutObject] = {}
    for parameter_set in info.sets.values():
        for parameter in parameter_set.values():
            parameters.setdefault(parameter.name, PSOutObject(
                ["System.Management.Automation.ParameterMetadata"],
                {"Name": parameter.name, "ParameterType": _type_name(parameter.type_name),
                 "Aliases": list(parameter.aliases), "IsDynamic": False, "SwitchParameter": parameter.is_switch},
                to_string="System.Management.Automation.ParameterMetadata"))
    return PSOutObject(["Selected.System.Management.Automation.CmdletInfo", _BAG], {
        "Name": info.name, "Namespace": info.module, "HelpUri": None,
        "CommandType": PSEnumValue("System.Management.Automation.CommandTypes", "Cmdlet", CMDLET_TYPE),
        "ResolvedCommandName": None, "OutputType": [], "Parameters": parameters})
