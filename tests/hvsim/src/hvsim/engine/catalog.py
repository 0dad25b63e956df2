"""The cmdlet catalog: parameter sets of the real Windows Server 2025 cmdlets (data/cmdlet-catalog.json.gz).

Every call hvsim runs is bound against this catalog first, so a module cannot send what real
PowerShell would reject.
"""

from __future__ import annotations

import functools
import gzip
import json
import pathlib
import typing
from dataclasses import dataclass, field

CATALOG_PATH = pathlib.Path(__file__).resolve().parents[1] / "data" / "cmdlet-catalog.json.gz"
ALL_SETS = "__AllParameterSets"
# The catalog captured New-Item with the WSMan provider's dynamic parameters, where ConnectionURI is mandatory.
# They exist only for WSMan: paths; on the file system and registry nothing of them is mandatory.
PROVIDER_DYNAMIC = {"New-Item": ("ConnectionURI",)}
# Parameters real cmdlets have that the documentation the catalog was built from leaves out, with where they are
# shown in use: Set-VM -EnhancedSessionTransportType (Windows 10 1803 / Server 2019 and later) in Microsoft's
# Virtualization team blog "Sneak Peek: Taking a Spin with Enhanced Linux VMs" (2018-02-28).
UNDOCUMENTED_PARAMETERS: dict[str, dict[str, dict[str, typing.Any]]] = {
    "Set-VM": {"EnhancedSessionTransportType": {
        "type": "Microsoft.HyperV.PowerShell.EnhancedSessionTransportType", "position": "Named", "required": False,
        "aliases": [], "pipeline": "False"}},
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type_name: str  # as the catalog spells it, e.g. "String[]" or "System.Management.Automation.SwitchParameter"
    required: bool
    position: int | None
    aliases: tuple[str, ...]
    by_value: bool
    by_property_name: bool

    @property
    def base_type(self) -> str:
        """``System.String[]`` -> ``String``."""
        return self.type_name.removesuffix("[]").rsplit(".", 1)[-1]

    @property
    def is_array(self) -> bool:
        return self.type_name.endswith("[]") or self.base_type in ("StringCollection",)

    @property
    def is_switch(self) -> bool:
        return self.base_type == "SwitchParameter"


@dataclass
class CmdletInfo:
    name: str
    module: str
    default_set: str | None
    sets: dict[str, dict[str, Parameter]] = field(default_factory=dict)

    def parameter_names(self) -> dict[str, str]:
        """Lower-case name or alias -> canonical parameter name, over every set."""
        names: dict[str, str] = {}
        for parameters in self.sets.values():
            for parameter in parameters.values():
                names[parameter.name.lower()] = parameter.name
                for alias in parameter.aliases:
                    names.setdefault(alias.lower(), parameter.name)
        return names


def _parameter(name: str, info: dict[str, typing.Any]) -> Parameter:
    position = str(info.get("position", "Named"))
    pipeline = str(info.get("pipeline", "False"))
    return Parameter(
        name=name,
        type_name=str(info.get("type", "Object")),
        required=bool(info.get("required")),
        position=int(position) if position.isdigit() else None,
        aliases=tuple(info.get("aliases") or ()),
        by_value=pipeline.startswith("True") and "ByValue" in pipeline,
        by_property_name=pipeline.startswith("True") and "ByPropertyName" in pipeline,
    )


class Catalog:
    def __init__(self, data: dict[str, typing.Any]) -> None:
        self._cmdlets: dict[str, CmdletInfo] = {}
        for name, info in data.items():
            cmdlet = CmdletInfo(name=name, module=str(info.get("module", "")), default_set=info.get("default_set"))
            dynamic = PROVIDER_DYNAMIC.get(name, ())
            extra = UNDOCUMENTED_PARAMETERS.get(name, {})
            for set_name, parameters in (info.get("parameter_sets") or {}).items():
                cmdlet.sets[set_name] = {p: _parameter(p, {**i, "required": False} if p in dynamic else i)
                                         for p, i in {**parameters, **extra}.items()}
            self._cmdlets[name.lower()] = cmdlet

    def find(self, name: str) -> CmdletInfo | None:
        """A cmdlet by name, case-insensitive; a module-qualified name (``Hyper-V\\Get-VM``) works too."""
        key = name.rsplit("\\", 1)[-1].lower()
        return self._cmdlets.get(key)

    def __len__(self) -> int:
        return len(self._cmdlets)

    def modules(self) -> dict[str, list[str]]:
        """Module name -> the cmdlets it exports, as the catalog captured them."""
        found: dict[str, list[str]] = {}
        for info in self._cmdlets.values():
            if info.module:
                found.setdefault(info.module, []).append(info.name)
        return found


@functools.lru_cache(maxsize=1)
def load_catalog(path: pathlib.Path = CATALOG_PATH) -> Catalog:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return Catalog(json.load(handle)["cmdlets"])
