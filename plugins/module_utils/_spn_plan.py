# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure plan of hyperv_spn: which SPNs, delegation entries and group members to add or remove.

FOR INTERNAL COLLECTION USE ONLY.

Input is what a directory back end read (computer accounts, the holders of the wanted SPNs, the
group); output is a list of per-object changes that any back end can apply, with words for humans.
SPNs and delegation entries compare case-insensitively, as Active Directory does.
"""

from __future__ import annotations

import dataclasses
import typing as t

# The one place for the Hyper-V service classes.
MIGRATION_SERVICE = "Microsoft Virtual System Migration Service"
REPLICA_SERVICE = "Hyper-V Replica Service"
CONSOLE_SERVICE = "Microsoft Virtual Console Service"
DEFAULT_SERVICE_CLASSES = (MIGRATION_SERVICE, REPLICA_SERVICE, CONSOLE_SERVICE)
FILE_SERVICE = "cifs"

# userAccountControl bits (MS-ADTS 2.2.16).
TRUSTED_FOR_DELEGATION = 0x80000  # unconstrained delegation
TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000  # protocol transition: constrained delegation "use any protocol"

STATES = ("present", "absent", "query")
PROTOCOLS = ("kerberos", "any")


@dataclasses.dataclass(frozen=True)
class Account:
    """A computer account as read from the directory."""

    dn: str
    sam_account_name: str  # HV1$
    dns_host_name: str | None
    spns: tuple[str, ...] = ()
    delegate_to: tuple[str, ...] = ()
    user_account_control: int = 0x1000  # WORKSTATION_TRUST_ACCOUNT

    @property
    def netbios_name(self) -> str:
        return self.sam_account_name.rstrip("$")

    def names(self, domain_dns_name: str) -> tuple[str, str]:
        """The NetBIOS name and the FQDN a service on this computer is reached by."""
        fqdn = self.dns_host_name or f"{self.netbios_name.lower()}.{domain_dns_name}"
        return self.netbios_name, fqdn

    def to_result(self, host: str) -> dict[str, t.Any]:
        uac = self.user_account_control
        return {
            "host": host,
            "dn": self.dn,
            "sam_account_name": self.sam_account_name,
            "dns_host_name": self.dns_host_name,
            "spns": sorted(self.spns, key=str.lower),
            "allowed_to_delegate_to": sorted(self.delegate_to, key=str.lower),
            "delegation_protocol": delegation_protocol(self),
            "unconstrained_delegation": bool(uac & TRUSTED_FOR_DELEGATION),
            "user_account_control": uac,
        }


def delegation_protocol(account: Account) -> str:
    """V(any) with protocol transition, V(kerberos) with entries and without it, V(none) otherwise."""
    if account.user_account_control & TRUSTED_TO_AUTH_FOR_DELEGATION:
        return "any"
    return "kerberos" if account.delegate_to else "none"


@dataclasses.dataclass(frozen=True)
class Group:
    dn: str
    name: str
    members: tuple[str, ...] = ()  # member DNs


@dataclasses.dataclass(frozen=True)
class DelegationSpec:
    file_servers: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    services: tuple[str, ...] = ()  # explicit entries such as HTTP/web1.lab.test
    protocol: str = "kerberos"
    exclusive: bool = False


@dataclasses.dataclass(frozen=True)
class GroupSpec:
    name: str
    container: str | None = None  # where to create it; None: CN=Users under the base DN
    scope: str = "global"


@dataclasses.dataclass(frozen=True)
class SpnSpec:
    hosts: tuple[str, ...]
    state: str = "present"
    service_classes: tuple[str, ...] = DEFAULT_SERVICE_CLASSES
    delegation: DelegationSpec | None = None
    group: GroupSpec | None = None

    def names_to_read(self) -> tuple[str, ...]:
        """Every computer the plan needs from the directory: the hosts, their peers, the file servers."""
        names: list[str] = list(self.hosts)
        if self.delegation:
            names += [*self.delegation.peers, *self.delegation.file_servers]
        return tuple(dict.fromkeys(account_key(name) for name in names))


def account_key(name: str) -> str:
    """The sAMAccountName a host name maps to: hv1, hv1.lab.test and HV1$ all give HV1$."""
    short = name.strip().split(".")[0].rstrip("$")
    return f"{short.upper()}$"


def validate_spec(spec: SpnSpec) -> list[str]:
    """Problems in the options themselves, found before the directory is asked anything."""
    problems: list[str] = []
    if not spec.hosts:
        problems.append("hosts must name at least one computer")
    for name in spec.service_classes:
        if not name.strip() or "/" in name:
            problems.append(f"service class {name!r} must be a non-empty name without '/' (the host part is added)")
    delegation = spec.delegation
    if delegation:
        for entry in delegation.services:
            if "/" not in entry.strip("/"):
                problems.append(f"delegation service {entry!r} must be a full SPN such as HTTP/web1.lab.test")
        if delegation.exclusive and spec.state != "present":
            problems.append("delegation.exclusive needs state=present")
        if delegation.protocol not in PROTOCOLS:
            problems.append(f"delegation.protocol must be one of {', '.join(PROTOCOLS)}")
    return problems


def wanted_spns(account: Account, service_classes: t.Iterable[str], domain_dns_name: str) -> list[str]:
    """Each service class for the account's NetBIOS name and FQDN (setspn -S <class>/<name>)."""
    return [f"{service}/{name}" for service in service_classes for name in account.names(domain_dns_name)]


def wanted_delegation(host: Account, spec: DelegationSpec, accounts: t.Mapping[str, Account], domain_dns_name: str) -> list[str]:
    """msDS-AllowedToDelegateTo entries for a host: cifs on file servers, migration + cifs on each other peer."""
    entries: list[str] = []
    for server in spec.file_servers:
        entries += wanted_spns(accounts[account_key(server)], [FILE_SERVICE], domain_dns_name)
    for peer in spec.peers:
        peer_account = accounts[account_key(peer)]
        if peer_account.dn.lower() == host.dn.lower():
            continue
        entries += wanted_spns(peer_account, [MIGRATION_SERVICE, FILE_SERVICE], domain_dns_name)
    entries += [entry.strip() for entry in spec.services]
    return _unique(entries)


@dataclasses.dataclass(frozen=True)
class AccountChange:
    """What to change on one computer account; the values removed are spelled as stored."""

    host: str
    dn: str
    add_spns: tuple[str, ...] = ()
    remove_spns: tuple[str, ...] = ()
    add_delegation: tuple[str, ...] = ()
    remove_delegation: tuple[str, ...] = ()
    user_account_control: tuple[int, int] | None = None  # (before, after) when it changes

    def __bool__(self) -> bool:
        return bool(self.add_spns or self.remove_spns or self.add_delegation or self.remove_delegation
                    or self.user_account_control)

    def descriptions(self) -> list[str]:
        words = [f"{self.host}: add SPN '{spn}'" for spn in self.add_spns]
        words += [f"{self.host}: remove SPN '{spn}'" for spn in self.remove_spns]
        words += [f"{self.host}: allow delegation to '{entry}'" for entry in self.add_delegation]
        words += [f"{self.host}: stop delegation to '{entry}'" for entry in self.remove_delegation]
        if self.user_account_control:
            words.append(f"{self.host}: {_describe_uac(*self.user_account_control)}")
        return words

    def apply_to(self, account: Account) -> Account:
        """The account as it is after this change."""
        uac = self.user_account_control[1] if self.user_account_control else account.user_account_control
        return dataclasses.replace(
            account,
            spns=_apply(account.spns, self.add_spns, self.remove_spns),
            delegate_to=_apply(account.delegate_to, self.add_delegation, self.remove_delegation),
            user_account_control=uac,
        )


@dataclasses.dataclass(frozen=True)
class GroupChange:
    name: str
    dn: str
    create: bool = False
    scope: str = "global"
    add_members: tuple[str, ...] = ()
    remove_members: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.create or bool(self.add_members or self.remove_members)

    def descriptions(self) -> list[str]:
        words = [f"create {self.scope} security group '{self.name}' ({self.dn})"] if self.create else []
        words += [f"add '{member}' to group '{self.name}'" for member in self.add_members]
        words += [f"remove '{member}' from group '{self.name}'" for member in self.remove_members]
        return words


@dataclasses.dataclass
class SpnPlan:
    accounts: dict[str, Account]  # host as given -> account before
    changes: list[AccountChange] = dataclasses.field(default_factory=list)
    group: Group | None = None
    group_change: GroupChange | None = None
    errors: list[str] = dataclasses.field(default_factory=list)
    missing_hosts: list[str] = dataclasses.field(default_factory=list)  # state=absent: hosts without an account

    @property
    def changed(self) -> bool:
        return bool(self.changes) or bool(self.group_change)

    def descriptions(self) -> list[str]:
        words = [word for change in self.changes for word in change.descriptions()]
        if self.group_change:
            words += self.group_change.descriptions()
        return words

    def after(self) -> dict[str, Account]:
        by_dn = {change.dn.lower(): change for change in self.changes}
        return {host: by_dn[account.dn.lower()].apply_to(account) if account.dn.lower() in by_dn else account
                for host, account in self.accounts.items()}

    def group_after(self) -> dict[str, t.Any] | None:
        if self.group is None and self.group_change is None:
            return None
        members = list(self.group.members) if self.group else []
        change = self.group_change
        if change:
            members = list(_apply(tuple(members), change.add_members, change.remove_members))
        name = self.group.name if self.group else change.name if change else ""
        dn = self.group.dn if self.group else change.dn if change else ""
        return {"name": name, "dn": dn, "members": sorted(members, key=str.lower)}


def plan_spns(
    spec: SpnSpec,
    accounts: t.Mapping[str, Account | None],
    holders: t.Mapping[str, t.Sequence[str]],
    domain_dns_name: str,
    group: Group | None = None,
    group_dn: str | None = None,
    where: str = "the directory",
) -> SpnPlan:
    """The changes that bring the directory to ``spec``.

    ``accounts`` maps account_key(name) to the account read (None when missing); ``holders`` maps a
    lower-cased SPN to the DNs of every object holding it; ``group_dn`` is where a missing group
    would be created; ``where`` names the directory in messages (the DC and base DN).
    """
    missing = [name for name in dict.fromkeys(spec.names_to_read()) if accounts.get(name) is None]
    gone_hosts: list[str] = []
    if spec.state == "absent":  # a deleted account holds nothing any more: nothing to remove there
        gone_hosts = [host for host in spec.hosts if account_key(host) in missing]
        missing = [name for name in missing if name not in {account_key(host) for host in gone_hosts}]
    if missing:
        wanted = ", ".join(missing)
        return SpnPlan({}, errors=[
            f"no computer account for {wanted} in {where} (searched by sAMAccountName). Join the machine to the domain "
            "or fix the name; give a file server or peer outside this domain as a full entry in delegation.services."
        ])
    found = {name: t.cast(Account, accounts[name]) for name in accounts if accounts[name] is not None}
    hosts = {host: found[account_key(host)] for host in spec.hosts if host not in gone_hosts}
    plan = SpnPlan(hosts, missing_hosts=gone_hosts)
    if spec.state == "query":
        plan.group = group
        return plan
    for host, account in hosts.items():
        change = _plan_account(spec, host, account, found, holders, domain_dns_name)
        if isinstance(change, str):
            plan.errors.append(change)
        elif change:
            plan.changes.append(change)
    if spec.group:
        plan.group = group
        plan.group_change = _plan_group(spec.state, spec.group, [account.dn for account in hosts.values()], group, group_dn)
    return plan


def _plan_account(
    spec: SpnSpec,
    host: str,
    account: Account,
    accounts: t.Mapping[str, Account],
    holders: t.Mapping[str, t.Sequence[str]],
    domain_dns_name: str,
) -> AccountChange | str:
    spns = wanted_spns(account, spec.service_classes, domain_dns_name)
    have_spns = {spn.lower(): spn for spn in account.spns}
    if spec.state == "present":
        taken = []
        for spn in spns:
            others = [dn for dn in holders.get(spn.lower(), ()) if dn.lower() != account.dn.lower()]
            if others and spn.lower() not in have_spns:
                taken.append(f"'{spn}' is held by {'; '.join(others)}")
        if taken:
            return (f"{host}: cannot register SPNs on {account.dn} because SPNs are unique in the forest: "
                    + ", ".join(taken) + ". Remove them from that account first (setspn -D <spn> <account>, "
                    "or this module with state=absent for that host) if it is not the right owner.")
        add_spns = tuple(spn for spn in spns if spn.lower() not in have_spns)
        remove_spns: tuple[str, ...] = ()
    else:
        add_spns = ()
        remove_spns = tuple(have_spns[spn.lower()] for spn in spns if spn.lower() in have_spns)
    add_delegation: tuple[str, ...] = ()
    remove_delegation: tuple[str, ...] = ()
    uac_change = None
    if spec.delegation:
        entries = wanted_delegation(account, spec.delegation, accounts, domain_dns_name)
        have = {entry.lower(): entry for entry in account.delegate_to}
        wanted_keys = {entry.lower() for entry in entries}
        uac = account.user_account_control
        if spec.state == "present":
            add_delegation = tuple(entry for entry in entries if entry.lower() not in have)
            if spec.delegation.exclusive:
                remove_delegation = tuple(entry for key, entry in have.items() if key not in wanted_keys)
            new_uac = uac & ~TRUSTED_FOR_DELEGATION
            if spec.delegation.protocol == "any":
                new_uac |= TRUSTED_TO_AUTH_FOR_DELEGATION
            else:
                new_uac &= ~TRUSTED_TO_AUTH_FOR_DELEGATION
        else:
            remove_delegation = tuple(have[key] for key in wanted_keys if key in have)
            remaining = set(have) - wanted_keys
            new_uac = uac if remaining else uac & ~TRUSTED_TO_AUTH_FOR_DELEGATION
        remove_delegation = tuple(sorted(remove_delegation, key=str.lower))
        if new_uac != uac:
            uac_change = (uac, new_uac)
    return AccountChange(host, account.dn, add_spns, remove_spns, add_delegation, remove_delegation, uac_change)


def _plan_group(state: str, wanted: GroupSpec, member_dns: list[str], group: Group | None,
                group_dn: str | None) -> GroupChange | None:
    present = {dn.lower() for dn in group.members} if group else set()
    if state == "present":
        add = tuple(dn for dn in member_dns if dn.lower() not in present)
        if group is None:
            return GroupChange(wanted.name, group_dn or "", create=True, scope=wanted.scope, add_members=add)
        return GroupChange(wanted.name, group.dn, add_members=add) if add else None
    if group is None:
        return None
    remove = tuple(member for member in group.members if member.lower() in {dn.lower() for dn in member_dns})
    return GroupChange(wanted.name, group.dn, remove_members=remove) if remove else None


def _describe_uac(before: int, after: int) -> str:
    words = []
    if before & TRUSTED_FOR_DELEGATION and not after & TRUSTED_FOR_DELEGATION:
        words.append("turn off unconstrained delegation")
    if after & TRUSTED_TO_AUTH_FOR_DELEGATION and not before & TRUSTED_TO_AUTH_FOR_DELEGATION:
        words.append("allow delegation with any authentication protocol (protocol transition)")
    if before & TRUSTED_TO_AUTH_FOR_DELEGATION and not after & TRUSTED_TO_AUTH_FOR_DELEGATION:
        words.append("allow delegation with Kerberos only (no protocol transition)")
    words.append(f"userAccountControl 0x{before:X} -> 0x{after:X}")
    return ", ".join(words)


def _apply(values: tuple[str, ...], add: t.Iterable[str], remove: t.Iterable[str]) -> tuple[str, ...]:
    gone = {value.lower() for value in remove}
    kept = [value for value in values if value.lower() not in gone]
    return tuple(_unique([*kept, *add]))


def _unique(values: t.Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.lower(), value)
    return list(seen.values())


def spns_to_check(spec: SpnSpec, accounts: t.Mapping[str, Account | None], domain_dns_name: str) -> list[str]:
    """The SPNs whose holders the plan needs to know: every SPN a present task would add."""
    if spec.state != "present":
        return []
    spns: list[str] = []
    for host in spec.hosts:
        account = accounts.get(account_key(host))
        if account is not None:
            spns += wanted_spns(account, spec.service_classes, domain_dns_name)
    return _unique(spns)


def domain_of(base_dn: str) -> str:
    """The DNS domain of a naming context: DC=lab,DC=test -> lab.test."""
    labels = [part.split("=", 1)[1] for part in base_dn.split(",") if part.strip().lower().startswith("dc=")]
    return ".".join(label.strip() for label in labels).lower()
