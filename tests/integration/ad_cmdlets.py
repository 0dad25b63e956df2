"""A test double for HostClient.run that performs the ActiveDirectory cmdlets on the live Samba DC.

It lets the ``powershell`` back end of hyperv_spn act on the same directory as the ``ldap`` back end
until hvsim models the ActiveDirectory module. Every command must first bind to a parameter set of
the real cmdlet catalog (names, mandatory parameters), as PowerShell would insist.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import typing as t

import ldap3

from samba_dc import BASE_DN, REALM, SambaDC

CATALOG = pathlib.Path(__file__).resolve().parents[1] / "hvsim" / "src" / "hvsim" / "data" / "cmdlet-catalog.json.gz"
COMMON = {"erroraction", "confirm", "whatif", "verbose"}
GROUP_TYPES = {"Global": 0x2, "DomainLocal": 0x4, "Universal": 0x8}


def load_catalog() -> dict[str, t.Any]:
    with gzip.open(CATALOG, "rt", encoding="utf-8") as handle:
        return t.cast(dict[str, t.Any], json.load(handle)["cmdlets"])


def binding_sets(catalog: dict[str, t.Any], cmdlet: str, parameters: t.Iterable[str]) -> list[str]:
    """The parameter sets a call with these named parameters binds to (none: PowerShell would refuse it)."""
    given = {name.lower() for name in parameters} - COMMON
    matching = []
    for set_name, spec in catalog[cmdlet]["parameter_sets"].items():
        names = {name.lower(): name for name in spec}
        if not given <= set(names):
            continue
        bound = {names[name] for name in given}
        if all(name in bound for name, info in spec.items() if info["required"]):
            matching.append(set_name)
    return matching


def _one(value: t.Any) -> t.Any:
    """ldap3 without schema gives every attribute as a list."""
    return value[0] if isinstance(value, list) and value else value


class AdCmdlets:
    """Runs Cmd batches (as HostClient.run would) against the DC, recording every call."""

    def __init__(self, dc: SambaDC) -> None:
        self.dc = dc
        self.catalog = load_catalog()
        self.calls: list[tuple[str, dict[str, t.Any]]] = []
        self.batches = 0

    def run(self, commands: t.Sequence[t.Any], *, retry: bool = False) -> list[list[t.Any]]:
        del retry
        self.batches += 1
        connection = self.dc.connect()
        try:
            results = []
            for command in commands:
                assert binding_sets(self.catalog, command.cmdlet, command.parameters), \
                    f"{command.describe()} binds to no parameter set of {command.cmdlet}"
                self.calls.append((command.cmdlet, dict(command.parameters)))
                handler = getattr(self, "_" + command.cmdlet.replace("-", "_").lower())
                results.append(handler(connection, command.parameters))
            return results
        finally:
            connection.unbind()

    # -- reads -------------------------------------------------------------------------------
    def _get_addomain(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        del connection, parameters
        return [{"DistinguishedName": BASE_DN, "DNSRoot": REALM.lower()}]

    @staticmethod
    def _search(connection: t.Any, parameters: dict[str, t.Any], object_filter: str, attributes: list[str]) -> list[t.Any]:
        connection.search(parameters.get("SearchBase", BASE_DN), f"(&{object_filter}{parameters['LDAPFilter']})",
                          attributes=attributes)
        return [entry for entry in connection.response if entry["type"] == "searchResEntry"]

    def _get_adcomputer(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        attributes = ["sAMAccountName", "dNSHostName", "servicePrincipalName", "msDS-AllowedToDelegateTo", "userAccountControl"]
        found = []
        for entry in self._search(connection, parameters, "(objectClass=computer)", attributes):
            values = entry["attributes"]
            found.append({
                "DistinguishedName": entry["dn"],
                "SamAccountName": _one(values["sAMAccountName"]),
                "DNSHostName": _one(values.get("dNSHostName")) or None,
                "servicePrincipalName": list(values.get("servicePrincipalName") or []),
                "msDS-AllowedToDelegateTo": list(values.get("msDS-AllowedToDelegateTo") or []),
                "userAccountControl": int(_one(values["userAccountControl"])),
            })
        return found

    def _get_adobject(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        return [{"DistinguishedName": entry["dn"], "servicePrincipalName": list(entry["attributes"].get("servicePrincipalName") or [])}
                for entry in self._search(connection, parameters, "(objectClass=*)", ["servicePrincipalName"])]

    def _get_adgroup(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[dict[str, t.Any]]:
        return [{"DistinguishedName": entry["dn"], "SamAccountName": _one(entry["attributes"]["sAMAccountName"]),
                 "member": list(entry["attributes"].get("member") or [])}
                for entry in self._search(connection, parameters, "(objectClass=group)", ["sAMAccountName", "member"])]

    # -- writes ------------------------------------------------------------------------------
    @staticmethod
    def _modify(connection: t.Any, dn: str, changes: dict[str, list[tuple[t.Any, list[t.Any]]]]) -> list[t.Any]:
        connection.modify(dn, changes)
        return []

    def _set_adcomputer(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[t.Any]:
        spns = parameters["ServicePrincipalNames"]
        operations = [(ldap3.MODIFY_DELETE, spns["Remove"])] if spns.get("Remove") else []
        operations += [(ldap3.MODIFY_ADD, spns["Add"])] if spns.get("Add") else []
        return self._modify(connection, parameters["Identity"], {"servicePrincipalName": operations})

    def _set_adobject(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[t.Any]:
        changes: dict[str, list[tuple[t.Any, list[t.Any]]]] = {}
        for key, operation in (("Remove", ldap3.MODIFY_DELETE), ("Add", ldap3.MODIFY_ADD), ("Replace", ldap3.MODIFY_REPLACE)):
            for attribute, values in (parameters.get(key) or {}).items():
                changes.setdefault(attribute, []).append((operation, values if isinstance(values, list) else [values]))
        return self._modify(connection, parameters["Identity"], changes)

    def _new_adgroup(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[t.Any]:
        group_type = GROUP_TYPES[parameters["GroupScope"]] | (0x80000000 if parameters.get("GroupCategory") == "Security" else 0)
        connection.add(f"CN={parameters['Name']},{parameters.get('Path') or 'CN=Users,' + BASE_DN}", ["top", "group"], {
            "sAMAccountName": parameters.get("SamAccountName") or parameters["Name"],
            "groupType": group_type - (1 << 32) if group_type & 0x80000000 else group_type,
            "description": parameters.get("Description") or "",
        })
        return []

    def _add_adgroupmember(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[t.Any]:
        return self._modify(connection, parameters["Identity"], {"member": [(ldap3.MODIFY_ADD, parameters["Members"])]})

    def _remove_adgroupmember(self, connection: t.Any, parameters: dict[str, t.Any]) -> list[t.Any]:
        return self._modify(connection, parameters["Identity"], {"member": [(ldap3.MODIFY_DELETE, parameters["Members"])]})
