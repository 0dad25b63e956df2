"""An independent PSRP reader for assertions: plain ``Get-*`` calls over pypsrp, nothing from the collection.

The tests read the estate through it so the same assertion holds on hvsim and on a real Hyper-V lab: it sends
``<cmdlet> <parameters> | Select-Object <properties>`` (selected note properties survive remoting's depth 1) and
returns each output object as a dict of plain values (enums as their names, Guids as lower-case text).
"""

from __future__ import annotations

import dataclasses
import typing
import uuid

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan


@dataclasses.dataclass(frozen=True)
class Reader:
    address: str
    username: str
    password: str
    auth: str = "ntlm"
    port: int = 5985
    ssl: bool = False
    cert_validation: bool = True

    def get(self, cmdlet: str, parameters: dict[str, typing.Any] | None = None,
            properties: typing.Sequence[str] = ("Name",)) -> list[dict[str, typing.Any]]:
        """``cmdlet`` with ``parameters`` (ErrorAction SilentlyContinue: nothing found is an empty list)."""
        wsman = WSMan(self.address, port=self.port, ssl=self.ssl, auth=self.auth, username=self.username,
                      password=self.password, cert_validation=self.cert_validation, connection_timeout=10,
                      read_timeout=60)
        with wsman, RunspacePool(wsman) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet(cmdlet)
            for name, value in (parameters or {}).items():
                ps.add_parameter(name, value)
            ps.add_parameter("ErrorAction", "SilentlyContinue")
            ps.add_cmdlet("Select-Object").add_parameter("Property", list(properties))
            return [{name: _plain(value) for name, value in _properties(item).items()} for item in ps.invoke()]

    def names(self, cmdlet: str, parameters: dict[str, typing.Any] | None = None) -> set[str]:
        return {str(row["Name"]) for row in self.get(cmdlet, parameters)}


def _properties(item: typing.Any) -> dict[str, typing.Any]:
    found = dict(getattr(item, "adapted_properties", None) or {})
    found.update(getattr(item, "extended_properties", None) or {})
    return found


def _plain(value: typing.Any) -> typing.Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if hasattr(value, "adapted_properties") or hasattr(value, "extended_properties"):
        text = getattr(value, "to_string", None)
        types = getattr(value, "types", None) or []
        if "System.Enum" in types and text is not None:
            return str(text)
        return {name: _plain(item) for name, item in _properties(value).items()} or text
    return value
