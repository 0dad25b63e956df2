# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ldap`` back end of hyperv_spn: computer accounts, SPN holders and a group, read and written over LDAP.

FOR INTERNAL COLLECTION USE ONLY.

Reads take three searches whatever the number of hosts (accounts, SPN holders, group); each changed
account is one modify with exactly the values to add and remove, never a replace of the whole list,
so entries other tools keep on the account survive.
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._ldap_connection import LdapOptions, connect
from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_plan import Account, AccountChange, Group, GroupChange, domain_of

try:
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import escape_rdn
except ImportError:  # reported by _ldap_connection.connect
    pass

ACCOUNT_ATTRIBUTES = ["sAMAccountName", "dNSHostName", "servicePrincipalName", "msDS-AllowedToDelegateTo", "userAccountControl"]
GROUP_TYPES = {"global": 0x2, "domain_local": 0x4, "universal": 0x8}
SECURITY_ENABLED = 0x80000000

# Hints by LDAP result description; the diagnostic text of the DC is always quoted beside them.
RESULT_HINTS = {
    "insufficientAccessRights": "The bind account may not change this. Writing servicePrincipalName, "
    "msDS-AllowedToDelegateTo and the delegation bits of userAccountControl needs Domain Admins (or delegated write "
    "rights plus SeEnableDelegationPrivilege on the DCs).",
    "noSuchObject": "The DN does not exist on this DC. Check ldap_base_dn (or leave it unset to use the domain's "
    "default naming context) and group.container.",
    "invalidDNSyntax": "That is not a distinguished name; write it as CN=...,OU=...,DC=example,DC=com.",
    "constraintViolation": "The DC refused a value. 0000202F means an SPN (or an alias of one, such as cifs/ for "
    "host/) is already held by another account: find it with setspn -Q <spn> and remove it there first.",
    "strongerAuthRequired": "The DC requires signing or TLS for this bind: use ldap_encryption=ldaps or starttls.",
    "unwillingToPerform": "The DC refused the operation as a whole; the diagnostic above says why.",
}


class LdapDirectory:
    """One bound connection to a DC for the whole task."""

    def __init__(self, options: LdapOptions) -> None:
        self.options = options
        self._connection: t.Any = None
        self.base_dn = options.base_dn or ""

    # -- lifecycle -------------------------------------------------------------------------
    def open(self) -> None:
        self._connection = connect(self.options)
        if not self.base_dn:
            entries = self._search("", "(objectClass=*)", ["defaultNamingContext"], scope="BASE", doing="read the rootDSE")
            values = entries[0]["attributes"].get("defaultNamingContext") if entries else None
            if not values:
                raise self._error("read the rootDSE", "", "the DC did not say its defaultNamingContext",
                                  hint="Set ldap_base_dn to the domain's DN, for example DC=example,DC=com.")
            self.base_dn = values if isinstance(values, str) else values[0]
        self._search(self.base_dn, "(objectClass=*)", ["objectClass"], scope="BASE", doing="read the base DN")

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.unbind()
            except Exception:  # pylint: disable=broad-except
                pass  # the DC may already have closed it; nothing to clean up

    @property
    def domain_dns_name(self) -> str:
        return domain_of(self.base_dn)

    @property
    def where(self) -> str:
        return f"{self.base_dn} on {self.options.url}"

    # -- reads -----------------------------------------------------------------------------
    def read_computers(self, sam_account_names: t.Sequence[str], group_name: str | None = None) -> dict[str, Account | None]:
        """The accounts by sAMAccountName (None when missing); the group is read by read_group."""
        del group_name
        found: dict[str, Account | None] = {name: None for name in sam_account_names}
        if not sam_account_names:
            return found
        wanted = "".join(f"(sAMAccountName={escape_filter_chars(name)})" for name in sam_account_names)
        search = f"(&(objectClass=computer)(|{wanted}))"
        for entry in self._search(self.base_dn, search, ACCOUNT_ATTRIBUTES, doing="read the computer accounts"):
            attributes = entry["attributes"]
            sam = _single(attributes.get("sAMAccountName"))
            key = next((name for name in sam_account_names if name.lower() == sam.lower()), sam)
            found[key] = Account(
                dn=entry["dn"],
                sam_account_name=sam,
                dns_host_name=_single(attributes.get("dNSHostName")) or None,
                spns=tuple(_many(attributes.get("servicePrincipalName"))),
                delegate_to=tuple(_many(attributes.get("msDS-AllowedToDelegateTo"))),
                user_account_control=int(_single(attributes.get("userAccountControl")) or 0),
            )
        return found

    def spn_holders(self, spns: t.Sequence[str]) -> dict[str, list[str]]:
        """Lower-cased SPN -> DNs of every object in the domain holding it."""
        holders: dict[str, list[str]] = {}
        if not spns:
            return holders
        wanted = {spn.lower() for spn in spns}
        search = "(|" + "".join(f"(servicePrincipalName={escape_filter_chars(spn)})" for spn in spns) + ")"
        for entry in self._search(self.base_dn, search, ["servicePrincipalName"], doing="look for duplicate SPNs"):
            for spn in _many(entry["attributes"].get("servicePrincipalName")):
                if spn.lower() in wanted:
                    holders.setdefault(spn.lower(), []).append(entry["dn"])
        return holders

    def read_group(self, name: str) -> Group | None:
        search = f"(&(objectClass=group)(sAMAccountName={escape_filter_chars(name)}))"
        entries = self._search(self.base_dn, search, ["member", "sAMAccountName"], doing=f"read group '{name}'")
        if not entries:
            return None
        attributes = entries[0]["attributes"]
        return Group(entries[0]["dn"], _single(attributes.get("sAMAccountName")) or name, tuple(_many(attributes.get("member"))))

    def group_dn(self, name: str, container: str | None) -> str:
        return f"CN={escape_rdn(name)},{container or 'CN=Users,' + self.base_dn}"

    # -- writes ----------------------------------------------------------------------------
    def apply_account(self, change: AccountChange) -> None:
        changes: dict[str, list[tuple[t.Any, list[t.Any]]]] = {}
        _add_values(changes, "servicePrincipalName", change.add_spns, change.remove_spns)
        _add_values(changes, "msDS-AllowedToDelegateTo", change.add_delegation, change.remove_delegation)
        if change.user_account_control:
            changes["userAccountControl"] = [(ldap3.MODIFY_REPLACE, [change.user_account_control[1]])]
        self._check(self._connection.modify(change.dn, changes), f"modify {change.dn}", change.dn)

    def apply_group(self, change: GroupChange) -> None:
        if change.create:
            group_type = (GROUP_TYPES[change.scope] | SECURITY_ENABLED) - (1 << 32)  # a signed 32-bit value
            attributes = {"sAMAccountName": change.name, "groupType": group_type,
                          "description": "Hyper-V hosts (managed by winvirt.hyperv.hyperv_spn)"}
            self._check(self._connection.add(change.dn, ["top", "group"], attributes), f"create group {change.dn}", change.dn)
        changes: dict[str, list[tuple[t.Any, list[t.Any]]]] = {}
        _add_values(changes, "member", change.add_members, change.remove_members)
        if changes:
            self._check(self._connection.modify(change.dn, changes), f"change the members of {change.dn}", change.dn)

    # -- plumbing --------------------------------------------------------------------------
    def _search(self, base: str, search: str, attributes: list[str], *, doing: str, scope: str = "SUBTREE") -> list[dict[str, t.Any]]:
        ldap_scope = ldap3.BASE if scope == "BASE" else ldap3.SUBTREE
        try:
            ok = self._connection.search(base, search, search_scope=ldap_scope, attributes=attributes)
        except LDAPException as exc:
            raise self._error(doing, base, f"{type(exc).__name__}: {exc}") from None
        if not ok and self._connection.result.get("description") != "success":
            self._check(False, doing, base)
        return [entry for entry in self._connection.response or [] if entry.get("type") == "searchResEntry"]

    def _check(self, ok: bool, doing: str, dn: str) -> None:
        if ok:
            return
        result = self._connection.result or {}
        description = str(result.get("description"))
        message = str(result.get("message") or "").strip()
        raise self._error(doing, dn, f"{description}: {message}" if message else description,
                          category=f"LDAP {description}", hint=RESULT_HINTS.get(description))

    def _error(self, doing: str, dn: str, message: str, *, category: str = "LDAP error", hint: str | None = None) -> HyperVError:
        where = f" (DN '{dn}')" if dn else ""
        return HyperVError(self.options.server, f"LDAP at {self.options.url} could not {doing}{where}: {message}",
                           command=doing, category=category, hint=hint)


def _add_values(changes: dict[str, list[tuple[t.Any, list[t.Any]]]], attribute: str,
                add: t.Sequence[str], remove: t.Sequence[str]) -> None:
    operations: list[tuple[t.Any, list[t.Any]]] = []
    if remove:
        operations.append((ldap3.MODIFY_DELETE, list(remove)))
    if add:
        operations.append((ldap3.MODIFY_ADD, list(add)))
    if operations:
        changes[attribute] = operations


def _single(value: t.Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _many(value: t.Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]
