"""Active Directory of the estate's domain: computer accounts with SPNs and constrained delegation,
security groups; the ActiveDirectory cmdlets and setspn.exe acting on them.

Migration and Replica read the same accounts (``spns_of``, ``may_delegate``), so registering SPNs
or delegation with hyperv_spn changes what Move-VM does, as it does on a real domain.
"""

from __future__ import annotations

import re
import typing
import uuid
from dataclasses import dataclass, field

from hvsim.contract import CmdletError, ErrorInfo, Guid, NativeResult, PSOutObject, Principal
from hvsim.engine.api import Invocation, cmdlet, native
from hvsim.world.platform_types import AD_DEFAULTS

if typing.TYPE_CHECKING:
    from hvsim.world.model import World

WORKSTATION_TRUST_ACCOUNT = 0x1000
SERVER_TRUST_ACCOUNT = 0x2000
TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000
AD_NS = "Microsoft.ActiveDirectory.Management"
MIGRATION_SERVICE = "Microsoft Virtual System Migration Service"
REPLICA_SERVICE = "Hyper-V Replica Service"



_HEX_PAIR = re.compile(r"[0-9A-Fa-f]{2}")


def escape_rdn_value(value: str) -> str:
    """How AD writes a name into a DN (RFC 4514 section 2.4): special characters and a leading or trailing
    space escaped with a backslash."""
    escaped = re.sub(r'([,+"\\<>;=#])', r"\\\1", value)
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    if escaped.startswith(" "):
        escaped = "\\" + escaped
    return escaped


def dn_key(dn: str) -> str:
    """A DN as the directory compares it (RFC 4514 section 3, matching per RFC 4517 distinguishedNameMatch):
    escapes resolved (``\\,`` and ``\\2C`` are the same comma), unescaped spaces around ``=`` ``,`` ``+``
    dropped, case ignored. The result is only a key (its commas separate RDNs; escaped ones are \\2c)."""
    rdns: list[str] = []
    current: list[str] = []  # characters of the attribute value, each tagged escaped or not
    kept_spaces: list[bool] = []
    attribute: str | None = None
    i = 0

    def close_value() -> str:
        # drop unescaped leading/trailing spaces only
        start, end = 0, len(current)
        while start < end and current[start] == " " and not kept_spaces[start]:
            start += 1
        while end > start and current[end - 1] == " " and not kept_spaces[end - 1]:
            end -= 1
        return "".join(("\\%02x" % ord(ch)) if ch in ',+=\\"<>;#' else ch for ch in current[start:end]).lower()

    while i <= len(dn):
        char = dn[i] if i < len(dn) else ","
        if attribute is None:
            if char == "=":
                attribute = "".join(current).strip().lower()
                current, kept_spaces = [], []
            elif i < len(dn):
                current.append(char)
                kept_spaces.append(False)
            i += 1
            continue
        if char == "\\" and i + 1 < len(dn):
            pair = dn[i + 1:i + 3]
            if _HEX_PAIR.fullmatch(pair):
                current.append(chr(int(pair, 16)))
                i += 3
            else:
                current.append(dn[i + 1])
                i += 2
            kept_spaces.append(True)
            continue
        if char in ",+;":
            rdns.append(f"{attribute}={close_value()}" + ("+" if char == "+" else ""))
            attribute, current, kept_spaces = None, [], []
            i += 1
            continue
        current.append(char)
        kept_spaces.append(False)
        i += 1
    return ",".join(rdns).replace("+,", "+")


@dataclass
class ADObject:
    dn: str
    sam_account_name: str
    object_class: str  # computer | group
    dns_host_name: str | None = None
    spns: list[str] = field(default_factory=list)
    delegate_to: list[str] = field(default_factory=list)
    user_account_control: int = WORKSTATION_TRUST_ACCOUNT
    members: list[str] = field(default_factory=list)  # group member DNs
    description: str = ""
    group_scope: str = "Global"

    def attribute(self, name: str) -> list[str]:
        """LDAP attribute values (lower-case name) for filters."""
        values: dict[str, list[str]] = {
            "samaccountname": [self.sam_account_name], "serviceprincipalname": self.spns,
            "msds-allowedtodelegateto": self.delegate_to, "distinguishedname": [self.dn],
            "dnshostname": [self.dns_host_name] if self.dns_host_name else [],
            "objectclass": ["top", self.object_class] + (["person", "user"] if self.object_class == "computer" else []),
            "cn": [self.dn.split(",", 1)[0].split("=", 1)[1]], "name": [self.dn.split(",", 1)[0].split("=", 1)[1]],
            "useraccountcontrol": [str(self.user_account_control)], "member": self.members,
        }
        return values.get(name.lower(), [])


@dataclass
class Directory:
    dns_name: str
    netbios: str
    objects: dict[str, ADObject] = field(default_factory=dict)  # dn_key(DN) -> object
    admins: set[str] = field(default_factory=set)  # lower-case user names of the domain's administrators
    # A real AD (hvsim.world.directory_ldap.LdapStore): objects are read from it before each use and changes
    # written back. None: the in-model directory (estates started without a DC, see DESIGN.md).
    store: typing.Any = None
    # The KDC (hvsim.kerberos.Realm): second hops are what it grants. None: decided from msDS-AllowedToDelegateTo.
    realm: typing.Any = None

    def refresh(self) -> None:
        """Read the objects from the DC (a no-op for the in-model directory)."""
        if self.store is not None:
            self.objects = self.store.load()

    def snapshot(self) -> dict[str, tuple[typing.Any, ...]]:
        from hvsim.world.directory_ldap import state  # pylint: disable=import-outside-toplevel

        return {key: state(obj) for key, obj in self.objects.items()}

    def write_back(self, before: dict[str, tuple[typing.Any, ...]]) -> None:
        """Write what changed since ``before`` (a ``snapshot()``) to the DC."""
        if self.store is not None:
            self.store.save(before, self.objects)

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={part}" for part in self.dns_name.split("."))

    def computer(self, machine_name: str) -> ADObject | None:
        sam = machine_name.upper().rstrip("$") + "$"
        return next((o for o in self.objects.values() if o.sam_account_name.upper() == sam), None)

    def holders(self, spn: str) -> list[ADObject]:
        return [o for o in self.objects.values() if spn.lower() in (s.lower() for s in o.spns)]

    def has_spn(self, machine: typing.Any, service: str) -> bool:
        """The machine's account holds ``service/<netbios>`` or ``service/<fqdn>``."""
        self.refresh()
        account = self.computer(machine.name)
        if account is None:
            return False
        names = {f"{service}/{machine.netbios}".lower(), f"{service}/{machine.fqdn}".lower()}
        return any(s.lower() in names for s in account.spns)

    def _delegating_account(self, source: str, target: str, service: str) -> ADObject | None:
        """``source``'s account when its msDS-AllowedToDelegateTo lists ``service/<target>`` (NetBIOS name or FQDN)."""
        account = self.computer(source)
        short = target.split(".")[0].lower()
        for entry in account.delegate_to if account is not None else []:
            entry_service, _, host = entry.lower().partition("/")
            if entry_service == service.lower() and host.split(".")[0] == short:
                return account
        return None

    def second_hop(self, principal: Principal, source: typing.Any, target: typing.Any, service: str) -> int | None:
        """Constrained delegation of ``principal``'s session on ``source`` to ``service/target``: None when
        allowed, else the SSPI status Windows reports (0x8009030E no credentials, 0x80090303 unknown target).

        With a KDC (``realm``) the KDC decides: S4U2Proxy with a Kerberos session's forwardable ticket, S4U2Self
        then S4U2Proxy for any other session (granted only with protocol transition). Samba's KDC cannot issue
        tickets for SPNs with spaces (the Hyper-V services), so for those the ticket asked for is ``cifs/<target>``
        (which hyperv_spn delegates alongside) and the service's own entry is checked in msDS-AllowedToDelegateTo.
        Without a KDC the same rules are read from the directory's entries."""
        from hvsim.kerberos import SEC_E_NO_CREDENTIALS, second_hop  # pylint: disable=import-outside-toplevel

        self.refresh()
        account = self._delegating_account(source.name, target.name, service)
        if self.realm is not None and source.name in self.realm.keytabs:
            if " " in service and account is None:
                return SEC_E_NO_CREDENTIALS
            ticket_service = "cifs" if " " in service else service
            delegated = principal.credentials if principal.auth == "kerberos" else None
            return second_hop(self.realm, source.name, principal.client_principal or principal.user, delegated,
                              ticket_service, target.fqdn)
        if account is None:
            return SEC_E_NO_CREDENTIALS
        if principal.auth == "kerberos" or account.user_account_control & TRUSTED_TO_AUTH_FOR_DELEGATION:
            return None
        return SEC_E_NO_CREDENTIALS

    def may_delegate(self, principal: Principal, source: typing.Any, target: typing.Any, service: str) -> bool:
        return self.second_hop(principal, source, target, service) is None

    def account_exists(self, name: str) -> bool:
        """A domain user, group or computer account of that name (``HV1$``, ``Domain Admins``, ``Administrator``)."""
        self.refresh()
        wanted = name.lower()
        if wanted in {"domain admins", "domain users", "domain computers", "administrator"} | self.admins:
            return True
        return any(o.sam_account_name.lower() in (wanted, wanted + "$") for o in self.objects.values())


def build(world: World, spec: dict[str, typing.Any] | None) -> Directory | None:
    if not spec or world.domain is None:
        return None
    directory = Directory(dns_name=world.domain.dns_name, netbios=world.domain.netbios,
                          admins={name.lower() for name in world.domain.admins})
    starting_spns = {str(k).lower(): list(v or []) for k, v in (spec.get("spns") or {}).items()}
    for machine in world.machines.values():
        if machine.domain is None:
            continue
        is_dc = machine.role == "domain_controller"
        container = "OU=Domain Controllers" if is_dc else "CN=Computers"
        spns = [f"{service}/{name}" for service in ("HOST", "RestrictedKrbHost", "WSMAN")
                for name in (machine.netbios, machine.fqdn)]
        spns += [f"{service}/{name}" for service in starting_spns.get(machine.name, [])
                 for name in (machine.netbios, machine.fqdn)]
        dn = f"CN={machine.netbios},{container},{directory.base_dn}"
        directory.objects[dn_key(dn)] = ADObject(
            dn=dn, sam_account_name=f"{machine.netbios}$", object_class="computer", dns_host_name=machine.fqdn,
            spns=spns, user_account_control=(SERVER_TRUST_ACCOUNT | 0x80000) if is_dc else WORKSTATION_TRUST_ACCOUNT)
    return directory


# -- LDAP filters (RFC 4515, the subset the AD cmdlets are given) -------------------------------------

def _unescape(value: str) -> str:
    return re.sub(r"\\([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value)


def _parse(text: str, index: int = 0) -> tuple[typing.Callable[[ADObject], bool], int]:
    if text[index] != "(":
        raise ValueError(f"expected '(' at {index}")
    index += 1
    operator = text[index]
    if operator in "&|!":
        index += 1
        parts = []
        while text[index] == "(":
            part, index = _parse(text, index)
            parts.append(part)
        if text[index] != ")":
            raise ValueError(f"expected ')' at {index}")
        if operator == "&":
            return (lambda o: all(p(o) for p in parts)), index + 1
        if operator == "|":
            return (lambda o: any(p(o) for p in parts)), index + 1
        return (lambda o: not parts[0](o)), index + 1
    end = index
    while text[end] != ")":
        if text[end] == "(":
            raise ValueError(f"unexpected '(' at {end}")
        end += 1
    attribute, _, raw = text[index:end].partition("=")
    if not attribute or not _:
        raise ValueError(f"not an item: {text[index:end]}")
    pieces = [_unescape(p) for p in raw.split("*")]

    def matches(obj: ADObject) -> bool:
        for value in obj.attribute(attribute):
            if raw == "*":
                return True
            pattern = ".*".join(re.escape(p) for p in pieces)
            if re.fullmatch(pattern, value, re.IGNORECASE):
                return True
        return False

    return matches, end + 1


def ldap_filter(inv: Invocation, text: str) -> typing.Callable[[ADObject], bool]:
    try:
        predicate, end = _parse(text.strip())
        if end != len(text.strip()):
            raise ValueError("text after the filter")
        return predicate
    except (ValueError, IndexError) as exc:
        raise CmdletError(_ad_error(inv, f"The search filter cannot be recognized ({exc})", "ReadError",
                                    "ActiveDirectoryServer:8254")) from None


# -- cmdlets ---------------------------------------------------------------------------------------

def _ad_error(inv: Invocation, message: str, category: str, code: str, target: str | None = None) -> ErrorInfo:
    return ErrorInfo(message=message, category=category,
                     fqid=f"{code},{AD_NS}.Commands.{inv.name.replace('-', '')}",
                     exception_type=f"{AD_NS}.ADException", hresult=-2146233088, target=target, activity=inv.name,
                     reason="ADException")


def _directory(inv: Invocation) -> Directory:
    directory = typing.cast("Directory | None", inv.world.directory)
    machine = inv.world.machines[inv.principal.machine]
    if directory is None or machine.domain is None:
        raise CmdletError(_ad_error(inv, "Unable to find a default server with Active Directory Web Services running.",
                                    "ResourceUnavailable", "ActiveDirectoryServer:1355"))
    directory.refresh()
    return directory


_F = typing.TypeVar("_F", bound=typing.Callable[..., typing.Any])


def _writes(function: _F) -> _F:
    """A cmdlet that changes the directory: what it changed is written to the DC (when there is one)."""

    def run(inv: Invocation) -> typing.Any:
        directory = _directory(inv)
        before = directory.snapshot()
        try:
            return function(inv)
        finally:
            try:
                directory.write_back(before)
            except Exception as exc:  # pylint: disable=broad-except
                # The DC refused the write (e.g. a sAMAccountName with a character AD does not allow): the
                # directory is what the DC holds, and the cmdlet fails with the DC's own words (DESIGN.md).
                directory.refresh()
                raise CmdletError(_ad_error(inv, f"The server refused the change: {exc}", "NotSpecified",
                                            "ActiveDirectoryServer:0")) from exc

    run.__name__ = function.__name__
    run.__doc__ = function.__doc__
    return typing.cast(_F, run)


def _find(inv: Invocation, directory: Directory, identity: typing.Any, kind: str | None = None) -> ADObject:
    text = str(identity.properties.get("DistinguishedName") if isinstance(identity, PSOutObject) else identity)
    found = directory.objects.get(dn_key(text))
    if found is None:
        name = text.upper()
        found = next((o for o in directory.objects.values()
                      if o.sam_account_name.upper() in (name, name + "$") and (kind is None or o.object_class == kind)),
                     None)
    if found is None:
        raise CmdletError(_ad_error(inv, f"Cannot find an object with identity: '{text}' under: '{directory.base_dn}'.",
                                    "ObjectNotFound", "ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management."
                                    "ADIdentityNotFoundException", text))
    return found


def ad_object(obj: ADObject, wanted: list[str] | None) -> PSOutObject:
    kind = {"computer": "ADComputer", "group": "ADGroup"}.get(obj.object_class, "ADObject")
    name = obj.dn.split(",", 1)[0].split("=", 1)[1]
    known: dict[str, typing.Any] = {"DistinguishedName": obj.dn, "Name": name, "ObjectClass": obj.object_class,
                                    "SamAccountName": obj.sam_account_name,
                                    "ObjectGUID": Guid(str(uuid.uuid5(uuid.NAMESPACE_URL, "ad/" + obj.dn.lower())))}
    if obj.object_class == "computer":
        known.update(DNSHostName=obj.dns_host_name, Enabled=True)
    if obj.object_class == "group":
        known.update(GroupScope=obj.group_scope, GroupCategory="Security")
    # the cmdlet's default set (platform_types.AD_DEFAULTS); what hvsim does not model (SID, UPN) is null
    properties = {prop: known.get(prop) for prop in AD_DEFAULTS[f"{AD_NS}.{kind}"]}
    extra = {"serviceprincipalname": ("servicePrincipalName", list(obj.spns)),
             "msds-allowedtodelegateto": ("msDS-AllowedToDelegateTo", list(obj.delegate_to)),
             "useraccountcontrol": ("userAccountControl", obj.user_account_control),
             "member": ("member", list(obj.members)), "description": ("Description", obj.description)}
    for item in wanted or []:
        if item == "*":
            properties.update({label: value for label, value in extra.values()})
        elif item.lower() in extra:
            label, value = extra[item.lower()]
            properties[label] = value
    return PSOutObject(type_names=[f"{AD_NS}.{kind}", f"{AD_NS}.ADObject"], properties=properties, to_string=obj.dn)


def _search(inv: Invocation, kind: str | None) -> typing.Iterator[PSOutObject]:
    directory = _directory(inv)
    if inv.get("Identity") is not None:
        yield ad_object(_find(inv, directory, inv.get("Identity"), kind), inv.get("Properties"))
        return
    if inv.get("Filter") is not None:
        raise CmdletError(_ad_error(inv, "hvsim's AD takes -LDAPFilter (the PowerShell -Filter language is not "
                                         "simulated)", "NotImplemented", "NotImplemented"))
    predicate = ldap_filter(inv, inv.get("LDAPFilter"))
    base = dn_key(str(inv.get("SearchBase") or directory.base_dn))
    for obj in sorted(directory.objects.values(), key=lambda o: o.dn.lower()):
        key = dn_key(obj.dn)
        if (kind is None or obj.object_class == kind) and (key == base or key.endswith("," + base)) and predicate(obj):
            yield ad_object(obj, inv.get("Properties"))


@cmdlet("Get-ADDomain")
def get_ad_domain(inv: Invocation) -> typing.Iterator[PSOutObject]:
    directory = _directory(inv)
    known = {"DistinguishedName": directory.base_dn, "DNSRoot": directory.dns_name, "NetBIOSName": directory.netbios,
             "Name": directory.dns_name.split(".")[0], "ObjectClass": "domainDNS", "Forest": directory.dns_name,
             "ComputersContainer": f"CN=Computers,{directory.base_dn}",
             "UsersContainer": f"CN=Users,{directory.base_dn}"}
    yield PSOutObject(type_names=[f"{AD_NS}.ADDomain"],
                      properties={prop: known.get(prop) for prop in AD_DEFAULTS[f"{AD_NS}.ADDomain"]},
                      to_string=directory.base_dn)


@cmdlet("Get-ADComputer")
def get_ad_computer(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _search(inv, "computer")


@cmdlet("Get-ADGroup")
def get_ad_group(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _search(inv, "group")


@cmdlet("Get-ADObject")
def get_ad_object(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _search(inv, None)


def _values(value: typing.Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _add_spns(inv: Invocation, directory: Directory, obj: ADObject, spns: list[str]) -> None:
    for spn in spns:
        other = [h for h in directory.holders(spn) if h is not obj]
        if other:
            raise CmdletError(_ad_error(
                inv, "The operation failed because SPN value provided for addition/modification is not unique "
                     f"forest-wide ({spn} is held by {other[0].dn})", "InvalidOperation",
                "ActiveDirectoryServer:8647", obj.dn))
        if spn.lower() not in (s.lower() for s in obj.spns):
            obj.spns.append(spn)


def _change(inv: Invocation, directory: Directory, obj: ADObject, verb: str, attribute: str, value: typing.Any) -> None:
    name = attribute.lower()
    if name == "useraccountcontrol":
        if verb != "Replace":
            raise CmdletError(_ad_error(inv, "userAccountControl is single-valued: use -Replace", "InvalidArgument",
                                        "ActiveDirectoryServer:8311"))
        obj.user_account_control = int(_values(value)[0])
        return
    if name == "serviceprincipalname":
        if verb == "Add":
            _add_spns(inv, directory, obj, _values(value))
            return
        target = obj.spns
    elif name == "msds-allowedtodelegateto":
        target = obj.delegate_to
    elif name == "description":
        obj.description = _values(value)[0] if verb != "Remove" else ""
        return
    else:
        raise CmdletError(_ad_error(inv, f"hvsim's AD does not keep attribute {attribute}", "NotImplemented",
                                    "NotImplemented"))
    if verb == "Replace":
        target[:] = _values(value)
    elif verb == "Add":
        for item in _values(value):
            if item.lower() not in (t.lower() for t in target):
                target.append(item)
    else:
        lowered = {item.lower() for item in _values(value)}
        target[:] = [t for t in target if t.lower() not in lowered]


@cmdlet("Set-ADComputer")
@_writes
def set_ad_computer(inv: Invocation) -> None:
    directory = _directory(inv)
    obj = _find(inv, directory, inv.get("Identity"), "computer")
    spns = inv.get("ServicePrincipalNames")
    if isinstance(spns, dict):
        for verb, value in spns.items():
            verb = str(verb).capitalize()
            _change(inv, directory, obj, verb if verb in ("Add", "Remove", "Replace") else "Replace",
                    "servicePrincipalName", value)
    elif spns is not None:
        _change(inv, directory, obj, "Replace", "servicePrincipalName", spns)
    _apply_attribute_tables(inv, directory, obj)
    if inv.get("TrustedToAuthForDelegation") is not None:
        if inv.get("TrustedToAuthForDelegation"):
            obj.user_account_control |= TRUSTED_TO_AUTH_FOR_DELEGATION
        else:
            obj.user_account_control &= ~TRUSTED_TO_AUTH_FOR_DELEGATION


def _apply_attribute_tables(inv: Invocation, directory: Directory, obj: ADObject) -> None:
    for verb in ("Remove", "Add", "Replace"):
        table = inv.get(verb)
        if isinstance(table, dict):
            for attribute, value in table.items():
                _change(inv, directory, obj, verb, str(attribute), value)
    for attribute in inv.get("Clear") or []:
        _change(inv, directory, obj, "Replace", attribute, [])


@cmdlet("Set-ADObject")
@_writes
def set_ad_object(inv: Invocation) -> None:
    directory = _directory(inv)
    _apply_attribute_tables(inv, directory, _find(inv, directory, inv.get("Identity")))


@cmdlet("New-ADGroup")
@_writes
def new_ad_group(inv: Invocation) -> None:
    directory = _directory(inv)
    name = inv.get("Name")
    dn = f"CN={escape_rdn_value(str(name))},{inv.get('Path') or 'CN=Users,' + directory.base_dn}"
    sam = inv.get("SamAccountName") or name
    if dn_key(dn) in directory.objects or any(o.sam_account_name.lower() == sam.lower() for o in directory.objects.values()):
        raise CmdletError(_ad_error(inv, "The specified group already exists", "ResourceExists",
                                    "ActiveDirectoryServer:1318", dn))
    directory.objects[dn_key(dn)] = ADObject(dn=dn, sam_account_name=sam, object_class="group",
                                             description=inv.get("Description") or "",
                                             group_scope=str(inv.get("GroupScope")), user_account_control=0)


def _members(inv: Invocation, directory: Directory) -> tuple[ADObject, list[ADObject]]:
    group = _find(inv, directory, inv.get("Identity"), "group")
    return group, [_find(inv, directory, member) for member in inv.get("Members") or []]


@cmdlet("Add-ADGroupMember")
@_writes
def add_ad_group_member(inv: Invocation) -> None:
    group, members = _members(inv, _directory(inv))
    for member in members:
        if dn_key(member.dn) not in (dn_key(m) for m in group.members):
            group.members.append(member.dn)


@cmdlet("Remove-ADGroupMember")
@_writes
def remove_ad_group_member(inv: Invocation) -> None:
    group, members = _members(inv, _directory(inv))
    gone = {dn_key(m.dn) for m in members}
    group.members = [m for m in group.members if dn_key(m) not in gone]


# -- setspn.exe ---------------------------------------------------------------------------------------

def _out(text: str, code: int = 0) -> NativeResult:
    return NativeResult(stdout=text.replace("\n", "\r\n").encode(), stderr=b"", exit_code=code)


@native("setspn.exe")
def setspn(principal: Principal, world: typing.Any, argv: list[str]) -> NativeResult:
    """setspn -L <account> | -S <spn> <account> | -D <spn> <account> | -Q <spn>."""
    directory = typing.cast("Directory | None", world.directory)
    if directory is None or world.machines[principal.machine].domain is None:
        return _out("Unable to locate account: the computer is not joined to a domain\n", 1)
    directory.refresh()
    before = directory.snapshot()
    try:
        return _setspn(directory, argv)
    finally:
        directory.write_back(before)


def _setspn(directory: Directory, argv: list[str]) -> NativeResult:
    if len(argv) < 2:
        return _out("Usage: setspn [modifiers switch] [accountname]\n", 1)
    switch = argv[0].lower().lstrip("-/")

    def account(name: str) -> ADObject | None:
        sam = name.split("\\")[-1].upper()
        return next((o for o in directory.objects.values() if o.sam_account_name.upper() in (sam, sam + "$")), None)

    if switch == "l":
        found = account(argv[1])
        if found is None:
            return _out(f"FindDomainForAccount: Call to DsGetDcNameWithAccountW failed with return value 0x00000525\n"
                        f"Unable to locate account {argv[1]}\n", 1)
        lines = [f"Registered ServicePrincipalNames for {found.dn}:"] + [f"\t{spn}" for spn in found.spns]
        return _out("\n".join(lines) + "\n")
    if switch == "q":
        holders = directory.holders(argv[1])
        if not holders:
            return _out(f"Checking domain DC={directory.dns_name.replace('.', ',DC=')}\n\nNo such SPN found.\n", 1)
        lines = [f"Checking domain {directory.base_dn}"]
        for holder in holders:
            lines += [holder.dn, *[f"\t{spn}" for spn in holder.spns]]
        return _out("\n".join(lines) + "\n\nExisting SPN found!\n")
    if switch in ("s", "d") and len(argv) >= 3:
        spn, found = argv[1], account(argv[2])
        if found is None:
            return _out(f"Unable to locate account {argv[2]}\n", 1)
        if switch == "s":
            others = [h for h in directory.holders(spn) if h is not found]
            if others:
                return _out(f"Checking domain {directory.base_dn}\n{others[0].dn}\n\t{spn}\n\nDuplicate SPN found, "
                            "aborting operation!\n", 1)
            if spn.lower() in (s.lower() for s in found.spns):
                return _out(f"Checking domain {directory.base_dn}\n\nDuplicate SPN found, aborting operation!\n", 1)
            found.spns.append(spn)
            return _out(f"Checking domain {directory.base_dn}\n\nRegistering ServicePrincipalNames for {found.dn}\n"
                        f"\t{spn}\nUpdated object\n")
        before = len(found.spns)
        found.spns = [s for s in found.spns if s.lower() != spn.lower()]
        if len(found.spns) == before:
            return _out(f"Unregistering ServicePrincipalNames for {found.dn}\n\t{spn}\nFailed to remove SPN: "
                        "the SPN is not registered on the account\n", 1)
        return _out(f"Unregistering ServicePrincipalNames for {found.dn}\n\t{spn}\nUpdated object\n")
    return _out(f"Unknown switch {argv[0]}\n", 1)
