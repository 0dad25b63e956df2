"""The estate's directory kept in a real Active Directory (the Samba DC the tests start), over LDAP.

``hvsim.world.directory.Directory`` keeps its objects in memory; with a store attached it reads them from the
DC before every use and writes what a cmdlet changed back, so the DC is the one source of truth: what
hyperv_spn writes (through the ActiveDirectory cmdlets, setspn.exe or its own LDAP back end), what samba-tool
changes, what the KDC sees and what the migration, Replica and SMB second-hop rules read are the same entries.
"""

from __future__ import annotations

import threading
import typing

if typing.TYPE_CHECKING:
    from hvsim.world.directory import ADObject

_ATTRIBUTES = ["sAMAccountName", "objectClass", "dNSHostName", "servicePrincipalName", "msDS-AllowedToDelegateTo",
               "userAccountControl", "member", "description", "groupType"]
_GLOBAL, _DOMAIN_LOCAL, _UNIVERSAL, _SECURITY = 0x2, 0x4, 0x8, 0x80000000


class LdapStore:
    """Computer and group objects of one domain, read and written over an ldap3 connection factory."""

    def __init__(self, connect: typing.Callable[[], typing.Any], base_dn: str) -> None:
        self._connect = connect
        self.base_dn = base_dn
        self._connection: typing.Any = None
        self._lock = threading.Lock()

    def _conn(self) -> typing.Any:
        if self._connection is None or not self._connection.bound:
            self._connection = self._connect()
        return self._connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.unbind()
                except Exception:  # pylint: disable=broad-except
                    pass
                self._connection = None

    def load(self) -> dict[str, ADObject]:
        from hvsim.world.directory import ADObject  # pylint: disable=import-outside-toplevel

        with self._lock:
            conn = self._conn()
            entries = conn.extend.standard.paged_search(
                self.base_dn, "(|(objectClass=computer)(objectClass=group))", attributes=_ATTRIBUTES, generator=False)
        objects: dict[str, ADObject] = {}
        for entry in entries:
            if entry.get("type") != "searchResEntry":
                continue
            attrs = entry["attributes"]
            classes = [c.lower() for c in attrs.get("objectClass") or []]
            kind = "computer" if "computer" in classes else "group"
            group_type = int(_first(attrs.get("groupType")) or 0) & 0xF
            objects[entry["dn"].lower()] = ADObject(
                dn=entry["dn"], sam_account_name=str(_first(attrs.get("sAMAccountName")) or ""), object_class=kind,
                dns_host_name=_first(attrs.get("dNSHostName")) or None,
                spns=list(attrs.get("servicePrincipalName") or []),
                delegate_to=list(attrs.get("msDS-AllowedToDelegateTo") or []),
                user_account_control=int(_first(attrs.get("userAccountControl")) or 0),
                members=list(attrs.get("member") or []), description=str(_first(attrs.get("description")) or ""),
                group_scope={_DOMAIN_LOCAL: "DomainLocal", _UNIVERSAL: "Universal"}.get(group_type, "Global"))
        return objects

    def save(self, before: dict[str, tuple[typing.Any, ...]], objects: dict[str, ADObject]) -> None:
        """Write the objects whose state differs from ``before`` (key -> ``state(obj)``); add new groups."""
        import ldap3  # pylint: disable=import-outside-toplevel

        with self._lock:
            conn = self._conn()
            for key, obj in objects.items():
                now = state(obj)
                if before.get(key) == now:
                    continue
                if key not in before:
                    if obj.object_class != "group":
                        continue
                    scope = {"DomainLocal": _DOMAIN_LOCAL, "Universal": _UNIVERSAL}.get(obj.group_scope, _GLOBAL)
                    attributes: dict[str, typing.Any] = {"sAMAccountName": obj.sam_account_name,
                                                         "groupType": _signed(scope | _SECURITY)}
                    if obj.description:
                        attributes["description"] = obj.description
                    conn.add(obj.dn, ["top", "group"], attributes)
                    _check(conn, f"add {obj.dn}")
                    if not obj.members:
                        continue
                changes: dict[str, list[tuple[typing.Any, list[typing.Any]]]] = {}
                values: dict[str, list[typing.Any]] = {"description": [obj.description] if obj.description else []}
                if obj.object_class == "computer":
                    values.update({"servicePrincipalName": obj.spns, "msDS-AllowedToDelegateTo": obj.delegate_to,
                                   "userAccountControl": [obj.user_account_control]})
                else:
                    values["member"] = obj.members
                for attribute, value in values.items():
                    changes[attribute] = [(ldap3.MODIFY_REPLACE, list(value))]
                conn.modify(obj.dn, changes)
                _check(conn, f"modify {obj.dn}")


def state(obj: ADObject) -> tuple[typing.Any, ...]:
    return (tuple(obj.spns), tuple(obj.delegate_to), obj.user_account_control, tuple(obj.members), obj.description)


def _first(value: typing.Any) -> typing.Any:
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def _signed(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


def _check(conn: typing.Any, what: str) -> None:
    result = getattr(conn, "result", None) or {}
    if result.get("result", 0) not in (0,):
        raise RuntimeError(f"the directory refused to {what}: {result.get('description')} {result.get('message')}")
