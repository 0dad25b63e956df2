# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``powershell`` back end of hyperv_spn: the ActiveDirectory cmdlets on a DC or management host over WinRM.

FOR INTERNAL COLLECTION USE ONLY.

The same interface as the ``ldap`` back end (_ad_ldap.LdapDirectory), so both give one plan and one
result. Reads are two batches (domain + accounts + group, then the holders of the wanted SPNs);
each changed account is one batch of Set-ADComputer / Set-ADObject with exactly the values to add
and remove. Names reach the cmdlets as parameter values (LDAP filters escaped), never as script.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError
from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_plan import Account, AccountChange, Group, GroupChange, domain_of

ACCOUNT_PROPERTIES = ["DistinguishedName", "SamAccountName", "DNSHostName", "servicePrincipalName",
                      "msDS-AllowedToDelegateTo", "userAccountControl"]
GROUP_SCOPES = {"global": "Global", "domain_local": "DomainLocal", "universal": "Universal"}
DUPLICATE_HINT = ("An SPN is already held by another account (SPNs are unique in the forest). Find it with "
                  "setspn -Q <spn> and remove it there first.")
MODULE_HINT = ("The ActiveDirectory PowerShell module is missing on the host: connect to a domain controller, or "
               "install RSAT-AD-PowerShell on the management host.")


def escape_rdn_value(value: str) -> str:
    """An attribute value for a DN (RFC 4514 section 2.4): ``, + " \\ < > ; =`` and ``#`` escaped, and a leading
    or trailing space (which a DN parser would otherwise drop)."""
    escaped = re.sub(r'([,+"\\<>;=#])', r"\\\1", value)
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    if escaped.startswith(" "):
        escaped = "\\" + escaped
    return escaped


def escape_filter(value: str) -> str:
    """RFC 4515 escaping for a value inside an LDAP filter."""
    return re.sub(r"[\\*()\x00]", lambda match: f"\\{ord(match.group(0)):02x}", value)


class PowerShellDirectory:
    """The directory as seen through one HostClient (the task's WinRM session)."""

    def __init__(self, client: t.Any, server: str | None = None, base_dn: str | None = None) -> None:
        self.client = client
        self.server = server
        self.base_dn = base_dn or ""
        self._domain = ""
        self._group: Group | None = None

    # -- lifecycle (the client is the module's to close) ------------------------------------
    def open(self) -> None:
        """Nothing to do: the first read batch also reads the domain."""

    def close(self) -> None:
        """The module closes its clients."""

    @property
    def domain_dns_name(self) -> str:
        return self._domain or domain_of(self.base_dn)

    @property
    def where(self) -> str:
        via = f" through {self.server}" if self.server else ""
        return f"{self.base_dn} (ActiveDirectory cmdlets on {self.client.options.hostname}{via})"

    def _params(self, **parameters: t.Any) -> dict[str, t.Any]:
        if self.server:
            parameters["Server"] = self.server
        return parameters

    def _search(self, **parameters: t.Any) -> dict[str, t.Any]:
        if self.base_dn:
            parameters["SearchBase"] = self.base_dn
        return self._params(**parameters)

    # -- reads -----------------------------------------------------------------------------
    def read_commands(self, sam_account_names: t.Sequence[str], group_name: str | None) -> list[Cmd]:
        wanted = "".join(f"(sAMAccountName={escape_filter(name)})" for name in sam_account_names)
        commands = [
            Cmd("Get-ADDomain", self._params(), select=["DistinguishedName", "DNSRoot"]),
            Cmd("Get-ADComputer", self._search(LDAPFilter=f"(|{wanted})", Properties=ACCOUNT_PROPERTIES[2:]),
                select=ACCOUNT_PROPERTIES),
        ]
        if group_name:
            commands.append(Cmd("Get-ADGroup", self._search(LDAPFilter=f"(sAMAccountName={escape_filter(group_name)})",
                                                            Properties=["member"]),
                                select=["DistinguishedName", "SamAccountName", "member"]))
        return commands

    def read_state(self, sam_account_names: t.Sequence[str], group_name: str | None) -> dict[str, Account | None]:
        """Domain, accounts and group in one round trip; the group is kept for read_group."""
        results = self._run(self.read_commands(sam_account_names, group_name), retry=True)
        domain = results[0][0] if results[0] else {}
        self._domain = str(domain.get("DNSRoot") or "").lower()
        if not self.base_dn:
            self.base_dn = str(domain.get("DistinguishedName") or "")
        found: dict[str, Account | None] = {name: None for name in sam_account_names}
        for item in results[1]:
            sam = str(item.get("SamAccountName") or "")
            key = next((name for name in sam_account_names if name.lower() == sam.lower()), sam)
            found[key] = Account(
                dn=str(item["DistinguishedName"]),
                sam_account_name=sam,
                dns_host_name=item.get("DNSHostName") or None,
                spns=tuple(_many(item.get("servicePrincipalName"))),
                delegate_to=tuple(_many(item.get("msDS-AllowedToDelegateTo"))),
                user_account_control=int(item.get("userAccountControl") or 0),
            )
        self._group = None
        if group_name and results[2]:
            item = results[2][0]
            self._group = Group(str(item["DistinguishedName"]), str(item.get("SamAccountName") or group_name),
                                tuple(_many(item.get("member"))))
        return found

    def read_computers(self, sam_account_names: t.Sequence[str], group_name: str | None = None) -> dict[str, Account | None]:
        return self.read_state(sam_account_names, group_name)

    def spn_holders(self, spns: t.Sequence[str]) -> dict[str, list[str]]:
        holders: dict[str, list[str]] = {}
        if not spns:
            return holders
        wanted = {spn.lower() for spn in spns}
        search = "(|" + "".join(f"(servicePrincipalName={escape_filter(spn)})" for spn in spns) + ")"
        command = Cmd("Get-ADObject", self._search(LDAPFilter=search, Properties=["servicePrincipalName"]),
                      select=["DistinguishedName", "servicePrincipalName"])
        for item in self._run([command], retry=True)[0]:
            for spn in _many(item.get("servicePrincipalName")):
                if spn.lower() in wanted:
                    holders.setdefault(spn.lower(), []).append(str(item["DistinguishedName"]))
        return holders

    def read_group(self, name: str) -> Group | None:  # pylint: disable=unused-argument
        """The group read with the accounts (read_state)."""
        return self._group

    def group_dn(self, name: str, container: str | None) -> str:
        return f"CN={escape_rdn_value(name)},{container or 'CN=Users,' + self.base_dn}"

    # -- writes ----------------------------------------------------------------------------
    def account_commands(self, change: AccountChange) -> list[Cmd]:
        commands = []
        spns: dict[str, list[str]] = {}
        if change.add_spns:
            spns["Add"] = list(change.add_spns)
        if change.remove_spns:
            spns["Remove"] = list(change.remove_spns)
        if spns:
            commands.append(Cmd("Set-ADComputer", self._params(Identity=change.dn, ServicePrincipalNames=spns)))
        attributes: dict[str, t.Any] = {}
        if change.remove_delegation:
            attributes["Remove"] = {"msDS-AllowedToDelegateTo": list(change.remove_delegation)}
        if change.add_delegation:
            attributes["Add"] = {"msDS-AllowedToDelegateTo": list(change.add_delegation)}
        if change.user_account_control:
            attributes["Replace"] = {"userAccountControl": change.user_account_control[1]}
        if attributes:
            commands.append(Cmd("Set-ADObject", self._params(Identity=change.dn, **attributes)))
        return commands

    def group_commands(self, change: GroupChange) -> list[Cmd]:
        commands = []
        if change.create:
            container = change.dn.split(",", 1)[1] if "," in change.dn else self.base_dn
            commands.append(Cmd("New-ADGroup", self._params(
                Name=change.name, SamAccountName=change.name, GroupScope=GROUP_SCOPES[change.scope],
                GroupCategory="Security", Path=container, Description="Hyper-V hosts (managed by winvirt.hyperv.hyperv_spn)")))
        if change.add_members:
            commands.append(Cmd("Add-ADGroupMember", self._params(Identity=change.dn, Members=list(change.add_members))))
        if change.remove_members:
            commands.append(Cmd("Remove-ADGroupMember", self._params(Identity=change.dn, Members=list(change.remove_members),
                                                                     Confirm=False)))
        return commands

    def apply_account(self, change: AccountChange) -> None:
        self._run(self.account_commands(change))

    def apply_group(self, change: GroupChange) -> None:
        self._run(self.group_commands(change))

    def _run(self, commands: list[Cmd], *, retry: bool = False) -> list[list[t.Any]]:
        try:
            return t.cast(list[list[t.Any]], self.client.run(commands, retry=retry))
        except HyperVError as err:
            text = err.message.lower()
            if "not unique forest-wide" in text or "0x21c7" in text or "8647" in text:
                raise HyperVError(err.host, err.message, command=err.command, category="duplicate SPN", hint=DUPLICATE_HINT) from None
            if "is not recognized as the name of a cmdlet" in text or "commandnotfound" in str(err.error_id).lower():
                raise HyperVError(err.host, err.message, command=err.command, category="missing module", hint=MODULE_HINT) from None
            raise


def _many(value: t.Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return [str(value)]
