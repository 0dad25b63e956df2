# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv_live_migration's directory checks: the SPNs and constrained delegation a Kerberos move needs, read from
Active Directory over LDAP before anything moves.

FOR INTERNAL COLLECTION USE ONLY.

Without them the hosts' own errors say only the first missing piece, and only once migrations are enabled
(0x80090303 for a missing SPN, 0x8009030E for missing delegation). What a move needs is Microsoft's "Set up hosts for
live migration without Failover Clustering": the destination's computer account holds the SPNs of the
"Microsoft Virtual System Migration Service" (registered by the Hyper-V host), and with Kerberos authentication
the source's computer account is trusted to delegate to the destination's "Microsoft Virtual System Migration
Service" and "cifs" services (constrained delegation, msDS-AllowedToDelegateTo), "Use Kerberos only" unless the
session reaching the source is not Kerberos (then "Use any authentication protocol": protocol transition, the
userAccountControl bit TRUSTED_TO_AUTH_FOR_DELEGATION).
"""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._migration_plan import HostFacts, Problem
from ansible_collections.winvirt.hyperv.plugins.module_utils._spn_plan import (
    FILE_SERVICE,
    MIGRATION_SERVICE,
    Account,
    account_key,
    delegation_protocol,
    wanted_spns,
)


# Sessions that leave the user's credentials on the source (CredSSP delegates them; Basic sends the password).
CREDENTIALS_ON_SOURCE = ("credssp", "basic")


def accounts_to_read(source: HostFacts, destination: HostFacts) -> list[str]:
    """The sAMAccountNames of the two hosts' computer accounts."""
    return list(dict.fromkeys([account_key(source.name), account_key(destination.name)]))


def _missing(wanted: t.Iterable[str], present: t.Iterable[str]) -> list[str]:
    have = {value.lower() for value in present}
    return [value for value in wanted if value.lower() not in have]


def directory_problems(source: HostFacts, destination: HostFacts, accounts: t.Mapping[str, Account | None],
                       domain_dns_name: str, mode: str, session_auth: str, where: str) -> list[Problem]:
    """Every SPN and delegation problem of a move from ``source`` to ``destination`` (``mode`` shared_nothing or
    vm_only), as the directory at ``where`` holds the accounts. ``session_auth`` is how this task's session to the
    source authenticated (kerberos, ntlm, credssp...)."""
    source_account = accounts.get(account_key(source.name))
    destination_account = accounts.get(account_key(destination.name))
    problems = [Problem(f"{where} has no computer account {account_key(host.name)} for {host.name}.",
                        "Join the host to the domain, or check ldap_server and ldap_base_dn point at its domain.")
                for host, account in ((source, source_account), (destination, destination_account)) if account is None]
    if source_account is None or destination_account is None:
        return problems
    migration_spns = wanted_spns(destination_account, [MIGRATION_SERVICE], domain_dns_name)
    missing_spns = _missing(migration_spns, destination_account.spns)
    if missing_spns:
        problems.append(Problem(
            f"{destination.name}'s computer account ({where}) lacks the SPN {', '.join(missing_spns)}: the source cannot "
            "get a Kerberos ticket for the destination's migration service (the move would fail with 0x80090303).",
            f"winvirt.hyperv.hyperv_spn with hosts: [{destination_account.netbios_name}] registers it (the Hyper-V host "
            "also registers it when its Virtual Machine Management service starts with rights to its account)."))
    if destination.authentication.lower() != "kerberos" or source.authentication.lower() != "kerberos":
        return problems  # CredSSP migration authentication carries the user's own credentials: no delegation
    if session_auth in CREDENTIALS_ON_SOURCE:
        return problems  # the source holds the user's credentials itself: nothing to delegate
    services = [MIGRATION_SERVICE, FILE_SERVICE] if mode == "shared_nothing" else [MIGRATION_SERVICE]
    missing_delegation = _missing(wanted_spns(destination_account, services, domain_dns_name),
                                  source_account.delegate_to)
    if missing_delegation:
        problems.append(Problem(
            f"{source.name}'s computer account ({where}) may not delegate to {', '.join(missing_delegation)}: the "
            "source cannot act for you on the destination (the move would fail with 0x8009030E).",
            f"winvirt.hyperv.hyperv_spn with hosts: [{source_account.netbios_name}] and delegation.peers: "
            f"[{source_account.netbios_name}, {destination_account.netbios_name}]"
            + (" and delegation.protocol: any" if session_auth != "kerberos" else "") + "."))
    elif session_auth != "kerberos" and delegation_protocol(source_account) != "any":
        problems.append(Problem(
            f"{source.name}'s computer account ({where}) delegates with Kerberos only, and this task's session to "
            f"{source.name} authenticated with {session_auth.upper()}, which Kerberos-only delegation cannot pass on "
            "(the move would fail with 0x8009030E).",
            "Allow protocol transition: winvirt.hyperv.hyperv_spn delegation.protocol: any (roles/live_migration "
            "live_migration_delegation_protocol: any), or connect to the host's FQDN with auth=kerberos or negotiate."))
    return problems
