"""Cmdlets over hvsim.world.platform's firewall rules and WSMan CredSSP settings: Get-/New-/Remove-/Enable-/
Disable-/Set-NetFirewallRule, Get-NetFirewallPortFilter, Enable-/Disable-/Get-WSManCredSSP.

Enable-WSManCredSSP -Role Client -DelegateComputer X does what Windows does: WSMan client CredSSP on,
and the "Allow delegating fresh credentials" policy (HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\
CredentialsDelegation: AllowFreshCredentials=1, ConcatenateDefaults_AllowFresh=1, and under the
AllowFreshCredentials subkey values "1", "2", ... = "wsman/X", appended when missing).
"""

from __future__ import annotations

import typing

from hvsim.contract import CmdletError, ErrorInfo, PSEnumValue, PSOutObject, UInt16, UInt32
from hvsim.engine.api import Invocation, cmdlet
from hvsim.world.platform import FirewallRule, PlatformState
from hvsim.world.platform_cmdlets import as_list, cim_types, has_wildcard, local_machine, matches, name_of
from hvsim.world.shapes import shaped

NETSEC = "Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetSecurity"
ENABLED = {"True": 1, "False": 2}
DIRECTION = {"Inbound": 1, "Outbound": 2}
ACTION = {"NotConfigured": 0, "Allow": 2, "Block": 4}
PROFILE = {"Any": 0, "Domain": 1, "Private": 2, "Public": 4, "NotApplicable": 2147483648}
POLICY_KEY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation"
FRESH = "AllowFreshCredentials"
# MSFT_NetFirewallRule's properties between Owner and Enabled (MOF order) that hvsim does not model
_UNSET_BEFORE_ENABLED = ("SystemCreationClassName", "SystemName", "CreationClassName", "PolicyRuleName",
                         "ConditionListType", "RuleUsage", "Priority", "Mandatory", "SequencedActions",
                         "ExecutionStrategy", "PolicyDecisionStrategy", "PolicyRoles")


# -- firewall ------------------------------------------------------------------------------------

def rule_object(rule: FirewallRule) -> PSOutObject:
    """An MSFT_NetFirewallRule instance as Get-NetFirewallRule gives it: hvsim's earlier names that the class does not
    declare (Name, ID, Group, Profile, RemoteDynamicKeywordAddresses; NetSecurity's type data, no public copy found),
    then the class's properties in MOF order (Microsoft Learn, "MSFT_NetFirewallRule class"), then PSComputerName.
    Class properties hvsim does not model (CIM_PolicyRule's, SystemName, ...) are unset (null)."""
    enabled = "True" if rule.enabled else "False"
    return shaped(
        cim_types("root/standardcimv2", "MSFT_NetFirewallRule", "MSFT_NetSACap"),
        {
            "Name": rule.name,
            "ID": rule.name,
            "Group": rule.group,
            "Profile": PSEnumValue(f"{NETSEC}.Profile", rule.profile, PROFILE.get(rule.profile, 0)),
            "RemoteDynamicKeywordAddresses": [],
            "Profiles": UInt16(PROFILE.get(rule.profile, 0) & 0xFFFF),
            "LooseSourceMapping": False,
            "LocalOnlyMapping": False,
            "RuleGroup": rule.group,
            "DisplayName": rule.display_name,
            "DisplayGroup": rule.group,
            "EdgeTraversalPolicy": PSEnumValue(f"{NETSEC}.EdgeTraversal", "Block", 0),
            "Platforms": [],
            "Direction": PSEnumValue(f"{NETSEC}.Direction", rule.direction, DIRECTION.get(rule.direction, 1)),
            "Action": PSEnumValue(f"{NETSEC}.Action", rule.action, ACTION.get(rule.action, 2)),
            "PrimaryStatus": PSEnumValue(f"{NETSEC}.PrimaryStatus", "OK", 1),
            "StatusCode": UInt32(65536),
            "Status": "The rule was parsed successfully from the store. (65536)",
            "EnforcementStatus": "NotApplicable",
            "PolicyStoreSourceType": PSEnumValue(f"{NETSEC}.PolicyStoreType", "Local", 1),
            "PolicyStoreSource": "PersistentStore",
            "Owner": None,
            **dict.fromkeys(_UNSET_BEFORE_ENABLED),
            "Enabled": PSEnumValue(f"{NETSEC}.Enabled", enabled, ENABLED[enabled]),
            "CommonName": None,
            "PolicyKeywords": None,
            "InstanceID": rule.name,
            "Caption": None,
            "Description": rule.description,
            "ElementName": None,
            "PSComputerName": None,
        },
        to_string=rule.name)


def _text(value: typing.Any) -> str:
    if isinstance(value, PSEnumValue):
        return value.name
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _query_filters(inv: Invocation) -> list[tuple[str, list[str]]]:
    return [(prop, [_text(v) for v in as_list(inv.get(prop))])
            for prop in ("Enabled", "Direction", "Action", "DisplayGroup", "Group", "Description") if inv.has(prop)]


def _rule_value(rule: FirewallRule, prop: str) -> str:
    return {"Enabled": "True" if rule.enabled else "False", "Direction": rule.direction, "Action": rule.action,
            "DisplayGroup": rule.group, "Group": rule.group, "Description": rule.description}[prop]


# parameter set -> (parameter, FirewallRule attribute); other sets filter by query parameters
SELECTORS = {"ByName": ("Name", "name"), "ByDisplayName": ("DisplayName", "display_name"),
             "ByGroup": ("Group", "group"), "ByDisplayGroup": ("DisplayGroup", "group")}


def selected_rules(inv: Invocation, platform: PlatformState) -> list[FirewallRule]:
    """The rules a firewall cmdlet's parameter set names; a missing literal name is a non-terminating error."""
    rules = sorted(platform.firewall_rules.values(), key=lambda r: r.name.lower())
    if inv.has("InputObject"):
        names = [name_of(v) for v in as_list(inv.get("InputObject"))]
        return [r for r in rules if r.name in names]
    selector = SELECTORS.get(inv.parameter_set)
    if selector is None:
        for prop, wanted in _query_filters(inv):
            rules = [r for r in rules if any(matches(w, _rule_value(r, prop)) for w in wanted)]
        return rules
    prop, attribute = selector
    found: list[FirewallRule] = []
    for pattern in [str(p) for p in as_list(inv.get(prop))]:
        matched = [r for r in rules if matches(pattern, getattr(r, attribute))]
        if not matched and not has_wildcard(pattern):
            inv.write_error(ErrorInfo(
                message=f"No MSFT_NetFirewallRule objects found with property '{prop}' equal to '{pattern}'.  "
                        "Verify the value of the property and retry.",
                category="ObjectNotFound", fqid=f"CmdletizationQuery_NotFound_{prop},{inv.name}",
                exception_type="Microsoft.PowerShell.Cmdletization.Cim.CimJobException", hresult=-2146233088,
                target=pattern, reason="MSFT_NetFirewallRule"))
        found += [r for r in matched if r not in found]
    return found


@cmdlet("Get-NetFirewallRule")
def get_net_firewall_rule(inv: Invocation) -> typing.Iterator[PSOutObject]:
    for rule in selected_rules(inv, local_machine(inv).platform):
        yield rule_object(rule)


def _set_enabled(inv: Invocation, enabled: bool) -> typing.Iterator[PSOutObject]:
    for rule in selected_rules(inv, local_machine(inv).platform):
        rule.enabled = enabled
        if inv.get("PassThru"):
            yield rule_object(rule)


@cmdlet("Enable-NetFirewallRule")
def enable_net_firewall_rule(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _set_enabled(inv, True)


@cmdlet("Disable-NetFirewallRule")
def disable_net_firewall_rule(inv: Invocation) -> typing.Iterator[PSOutObject]:
    yield from _set_enabled(inv, False)


@cmdlet("New-NetFirewallRule")
def new_net_firewall_rule(inv: Invocation) -> typing.Iterator[PSOutObject]:
    """A rule in the persistent store (Microsoft Learn, New-NetFirewallRule: Direction defaults to Inbound, Action to
    Allow, Enabled to True, Profile to Any; -Name defaults to a new GUID). An existing Name is refused."""
    platform = local_machine(inv).platform
    import uuid

    name = str(inv.get("Name") or "{" + str(uuid.uuid4()) + "}")
    if name in platform.firewall_rules:
        raise CmdletError(ErrorInfo(
            message="Cannot create a file when that file already exists.", category="ResourceExists",
            fqid=f"Windows System Error 183,{inv.name}", exception_type="Microsoft.Management.Infrastructure.CimException",
            hresult=-2147024713, target=name, reason="MSFT_NetFirewallRule"))
    rule = FirewallRule(
        name=name, display_name=str(inv.get("DisplayName")), group=str(inv.get("Group") or ""),
        enabled=_choice(inv, "Enabled", ENABLED) == "True" if inv.has("Enabled") else True,
        direction=_choice(inv, "Direction", DIRECTION) if inv.has("Direction") else "Inbound",
        action=_choice(inv, "Action", ACTION) if inv.has("Action") else "Allow",
        profile=_choice(inv, "Profile", PROFILE) if inv.has("Profile") else "Any",
        protocol=str(inv.get("Protocol") or "Any"),
        local_port=",".join(str(p) for p in as_list(inv.get("LocalPort"))) if inv.has("LocalPort") else "Any",
        description=str(inv.get("Description") or ""))
    platform.firewall_rules[name] = rule
    yield rule_object(rule)


@cmdlet("Remove-NetFirewallRule")
def remove_net_firewall_rule(inv: Invocation) -> None:
    platform = local_machine(inv).platform
    for rule in selected_rules(inv, platform):
        del platform.firewall_rules[rule.name]


@cmdlet("Get-NetFirewallPortFilter")
def get_net_firewall_port_filter(inv: Invocation) -> typing.Iterator[PSOutObject]:
    """A rule's port filter (MSFT_NetProtocolPortFilter), for the rule piped in; its InstanceID is the rule's."""
    platform = local_machine(inv).platform
    given = inv.get("AssociatedNetFirewallRule")
    names = [name_of(v) for v in as_list(given)] if given is not None else list(platform.firewall_rules)
    for name in names:
        rule = platform.firewall_rules.get(name)
        if rule is None:
            continue
        yield shaped(
            cim_types("root/standardcimv2", "MSFT_NetProtocolPortFilter", "MSFT_NetFilter"),
            _port_filter_properties(rule),
            to_string=f"MSFT_NetProtocolPortFilter (InstanceID = \"{rule.name}\")")


def _port_filter_properties(rule: FirewallRule) -> dict[str, typing.Any]:
    """hvsim's DynamicTarget (the cmdlet's name for DynamicTransport; NetSecurity's type data, no public copy found),
    then MSFT_NetProtocolPortFilter's properties in MOF order (Microsoft Learn, "MSFT_NetProtocolPortFilter class";
    the ports and ICMP types are string arrays), then PSComputerName; unmodelled properties are unset (null)."""
    return {"DynamicTarget": "Any", "Protocol": rule.protocol, "RemotePort": ["Any"],
            "LocalPort": [port.strip() for port in rule.local_port.split(",")], "IcmpType": ["Any"],
            "DynamicTransport": UInt32(0),
            **dict.fromkeys(("Name", "SystemCreationClassName", "SystemName", "CreationClassName", "IsNegated",
                             "InstallDate", "OperationalStatus", "StatusDescriptions", "Status", "HealthState",
                             "CommunicationStatus", "DetailedStatus", "OperatingStatus", "PrimaryStatus")),
            "InstanceID": rule.name, "Caption": None, "Description": None, "ElementName": None,
            "PSComputerName": None}


def _choice(inv: Invocation, prop: str, allowed: dict[str, int]) -> str:
    value = _text(inv.get(prop))
    for name in allowed:
        if name.lower() == value.lower():
            return name
    raise CmdletError(ErrorInfo(
        message=f"Cannot bind parameter '{prop}'. Cannot convert value \"{value}\" to type \"{NETSEC}.{prop}\". "
                f"Error: \"Unable to match the identifier name {value} to a valid enumerator name. Specify one of the "
                f"following enumerator names and try again:\r\n{', '.join(allowed)}\"",
        category="InvalidArgument", fqid=f"CannotConvertArgumentNoMessage,{inv.name}",
        exception_type="System.Management.Automation.ParameterBindingException", target=value))


@cmdlet("Set-NetFirewallRule")
def set_net_firewall_rule(inv: Invocation) -> typing.Iterator[PSOutObject]:
    changes: dict[str, typing.Any] = {}
    if inv.has("Enabled"):
        changes["enabled"] = _choice(inv, "Enabled", ENABLED) == "True"
    for prop, allowed in (("Action", ACTION), ("Direction", DIRECTION), ("Profile", PROFILE)):
        if inv.has(prop):
            changes[prop.lower()] = _choice(inv, prop, allowed)
    for prop, attribute in (("NewDisplayName", "display_name"), ("Description", "description"),
                            ("Protocol", "protocol")):
        if inv.has(prop):
            changes[attribute] = str(inv.get(prop))
    if inv.has("LocalPort"):
        changes["local_port"] = ",".join(str(p) for p in as_list(inv.get("LocalPort")))
    for rule in selected_rules(inv, local_machine(inv).platform):
        for attribute, value in changes.items():
            setattr(rule, attribute, value)
        if inv.get("PassThru"):
            yield rule_object(rule)


# -- WSMan CredSSP -------------------------------------------------------------------------------

def _role(inv: Invocation) -> str:
    role = str(inv.get("Role") or "")
    for known in ("Client", "Server"):
        if role.lower() == known.lower():
            return known
    raise CmdletError(ErrorInfo(
        message=f"Cannot validate argument on parameter 'Role'. The argument \"{role}\" does not belong to the set "
                "\"Client,Server\" specified by the ValidateSet attribute. Supply an argument that is in the set and "
                "then try the command again.",
        category="InvalidData",
        fqid=f"ParameterArgumentValidationError,Microsoft.WSMan.Management.{inv.name.replace('-', '')}Command",
        exception_type="System.Management.Automation.ParameterBindingValidationException", target=role))


def _auth_object(platform: PlatformState, role: str) -> PSOutObject:
    prefix = f"localhost\\{role.lower()}\\auth\\"
    names = {"basic": "Basic", "digest": "Digest", "kerberos": "Kerberos", "negotiate": "Negotiate",
             "certificate": "Certificate", "credssp": "CredSSP", "cbthardeninglevel": "CbtHardeningLevel"}
    properties: dict[str, typing.Any] = {
        "cfg": f"http://schemas.microsoft.com/wbem/wsman/1/config/{role.lower()}/auth", "lang": "en-US"}
    for key, value in sorted(platform.wsman.items()):
        if key.startswith(prefix) and "\\" not in key[len(prefix):]:
            properties[names.get(key[len(prefix):], key[len(prefix):])] = value
    return PSOutObject(type_names=["System.Xml.XmlElement", "System.Xml.XmlLinkedNode", "System.Xml.XmlNode"],
                       properties=properties, to_string="cfg:Auth")


def delegate_entries(platform: PlatformState) -> dict[str, str]:
    """The AllowFreshCredentials policy list: value name -> "wsman/<host>"."""
    key = platform.registry.get_key(f"{POLICY_KEY}\\{FRESH}")
    if key is None:
        return {}
    return {name: str(value) for name, (_, value) in key.values.items()}


def _delegate_to(platform: PlatformState, computers: list[str]) -> None:
    registry = platform.registry
    registry.create_key(POLICY_KEY)
    registry.set_value(POLICY_KEY, FRESH, "DWord", 1)
    registry.set_value(POLICY_KEY, "ConcatenateDefaults_AllowFresh", "DWord", 1)
    registry.create_key(f"{POLICY_KEY}\\{FRESH}")
    listed = delegate_entries(platform)
    used = {int(name) for name in listed if name.isdigit()}
    present = {value.lower() for value in listed.values()}
    number = 1
    for computer in computers:
        entry = f"wsman/{computer}"
        if entry.lower() in present:
            continue
        while number in used:
            number += 1
        registry.set_value(f"{POLICY_KEY}\\{FRESH}", str(number), "String", entry)
        used.add(number)
        present.add(entry.lower())


@cmdlet("Enable-WSManCredSSP")
def enable_wsman_credssp(inv: Invocation) -> typing.Iterator[PSOutObject]:
    platform = local_machine(inv).platform
    role = _role(inv)
    computers = [str(c) for c in as_list(inv.get("DelegateComputer"))]
    if role == "Client":
        if not computers:
            raise CmdletError(ErrorInfo(
                message="The DelegateComputer parameter is required when the Role is Client. Specify the computers "
                        "to delegate credentials to and try again.",
                category="InvalidArgument", fqid="InvalidArgument,Microsoft.WSMan.Management.EnableWSManCredSSPCommand",
                exception_type="System.ArgumentException", hresult=-2147024809))
        platform.wsman["localhost\\client\\auth\\credssp"] = "true"
        _delegate_to(platform, computers)
    else:
        if computers:
            raise CmdletError(ErrorInfo(
                message="The DelegateComputer parameter is not valid when the Role is Server. Remove it and try "
                        "again.",
                category="InvalidArgument", fqid="InvalidArgument,Microsoft.WSMan.Management.EnableWSManCredSSPCommand",
                exception_type="System.ArgumentException", hresult=-2147024809))
        platform.wsman["localhost\\service\\auth\\credssp"] = "true"
    yield _auth_object(platform, role)


@cmdlet("Disable-WSManCredSSP")
def disable_wsman_credssp(inv: Invocation) -> None:
    platform = local_machine(inv).platform
    role = _role(inv)
    if role == "Server":
        platform.wsman["localhost\\service\\auth\\credssp"] = "false"
        return
    platform.wsman["localhost\\client\\auth\\credssp"] = "false"
    for name, value in delegate_entries(platform).items():
        if value.lower().startswith("wsman/"):
            platform.registry.delete_value(f"{POLICY_KEY}\\{FRESH}", name)
    if platform.registry.key_exists(POLICY_KEY) and not delegate_entries(platform):
        platform.registry.set_value(POLICY_KEY, FRESH, "DWord", 0)


@cmdlet("Get-WSManCredSSP")
def get_wsman_credssp(inv: Invocation) -> typing.Iterator[str]:
    platform = local_machine(inv).platform
    targets = sorted(delegate_entries(platform).values(), key=str.lower)
    if platform.auth_enabled("credssp", "client") and targets:
        yield ("The machine is configured to allow delegating fresh credentials to the following target(s): "
               + ", ".join(targets))
    else:
        yield "The machine is not configured to allow delegating fresh credentials."
    if platform.auth_enabled("credssp", "service"):
        yield "This computer is configured to receive credentials from a remote client computer."
    else:
        yield "This computer is not configured to receive credentials from a remote client computer."
