# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Windows management client that manages workgroup Hyper-V hosts, pure planning.

FOR INTERNAL COLLECTION USE ONLY.

For every host it manages, the client needs
- the host in WSMan TrustedHosts (WSMan:\\localhost\\Client\\TrustedHosts),
- CredSSP as a client, allowed to delegate to it: ``Enable-WSManCredSSP -Role Client
  -DelegateComputer <fqdn>`` (which writes the AllowFreshCredentials policy with ``wsman/<fqdn>``),
- the policy "Allow delegating fresh credentials with NTLM-only server authentication" listing
  ``wsman/<fqdn>``: under HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\CredentialsDelegation the
  DWORDs AllowFreshCredentialsWhenNTLMOnly=1 and ConcatenateDefaults_AllowFreshNTLMOnly=1, and a
  subkey AllowFreshCredentialsWhenNTLMOnly whose values "1", "2", ... are the ``wsman/<fqdn>`` entries.
Entries are only ever added; whatever else the client trusts stays.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._commands import Cmd

TRUSTED_HOSTS = "WSMan:\\localhost\\Client\\TrustedHosts"
CREDSSP_CLIENT = "WSMan:\\localhost\\Client\\Auth\\CredSSP"
POLICY_PARENT = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows"
POLICY_KEY = POLICY_PARENT + "\\CredentialsDelegation"
FRESH = "AllowFreshCredentials"
FRESH_NTLM = "AllowFreshCredentialsWhenNTLMOnly"
FLAGS_NTLM = (FRESH_NTLM, "ConcatenateDefaults_AllowFreshNTLMOnly")


@dataclasses.dataclass(frozen=True)
class ClientSpec:
    hosts: tuple[str, ...]
    trusted_hosts: bool = True
    credssp_delegation: bool = True
    ntlm_only_policy: bool = True


def risk_warnings(client: ClientSpec | None) -> list[str]:
    """A management client that would trust, or delegate fresh credentials to, every computer (Microsoft's
    Enable-WSManCredSSP and TrustedHosts accept ``*``; both documents warn of the risk)."""
    if client is None:
        return []
    everyone = [h for h in client.hosts if not h.strip("*?.")]
    if not everyone or not (client.credssp_delegation or client.trusted_hosts):
        return []
    risks = (("delegates CredSSP credentials to", client.credssp_delegation), ("trusts", client.trusted_hosts))
    what = " and ".join(words for words, on in risks if on)
    return [f"management_client.hosts {', '.join(repr(h) for h in everyone)} {what} every computer the client "
            "connects to; name the Hyper-V hosts or a domain pattern such as '*.lab.test' instead"]


@dataclasses.dataclass
class ClientState:
    trusted_hosts: list[str]
    credssp_client: bool
    policy_key_exists: bool
    policy_values: dict[str, t.Any]
    fresh: dict[str, str]  # value name -> "wsman/<fqdn>" under AllowFreshCredentials (None: key missing)
    fresh_key_exists: bool
    fresh_ntlm: dict[str, str]
    fresh_ntlm_key_exists: bool

    def to_result(self) -> dict[str, t.Any]:
        return {
            "trusted_hosts": list(self.trusted_hosts),
            "credssp_client": self.credssp_client,
            "credssp_delegate_computers": sorted(self.fresh.values()),
            "ntlm_only_policy_enabled": all(str(self.policy_values.get(name)) == "1" for name in FLAGS_NTLM),
            "ntlm_only_delegate_computers": sorted(self.fresh_ntlm.values()),
        }


def read_commands() -> list[Cmd]:
    return [
        Cmd("Get-Item", {"Path": TRUSTED_HOSTS}, select=["Value"]),
        Cmd("Get-Item", {"Path": CREDSSP_CLIENT}, select=["Value"]),
        Cmd("Get-ItemProperty", {"Path": POLICY_KEY}, missing_ok=True),
        Cmd("Get-ItemProperty", {"Path": f"{POLICY_KEY}\\{FRESH}"}, missing_ok=True),
        Cmd("Get-ItemProperty", {"Path": f"{POLICY_KEY}\\{FRESH_NTLM}"}, missing_ok=True),
    ]


def _numbered(rows: list[t.Any]) -> dict[str, str]:
    if not rows or not isinstance(rows[0], dict):
        return {}
    return {str(k): str(v) for k, v in rows[0].items() if str(k).isdigit()}


def parse_state(results: list[list[t.Any]]) -> ClientState:
    trusted_raw = str(results[0][0].get("Value") or "") if results[0] else ""
    policy = results[2][0] if results[2] and isinstance(results[2][0], dict) else {}
    return ClientState(
        trusted_hosts=[h.strip() for h in trusted_raw.split(",") if h.strip()],
        credssp_client=bool(results[1]) and str(results[1][0].get("Value")).lower() == "true",
        policy_key_exists=bool(results[2]),
        policy_values={name: policy.get(name) for name in (*FLAGS_NTLM, FRESH, "ConcatenateDefaults_AllowFresh")},
        fresh=_numbered(results[3]),
        fresh_key_exists=bool(results[3]),
        fresh_ntlm=_numbered(results[4]),
        fresh_ntlm_key_exists=bool(results[4]),
    )


def _trusted(host: str, trusted: list[str]) -> bool:
    lowered = [h.lower() for h in trusted]
    if "*" in lowered or host.lower() in lowered:
        return True
    return any(h.startswith("*.") and host.lower().endswith(h[1:]) for h in lowered)


@dataclasses.dataclass
class ClientPlan:
    changes: list[str]
    commands: list[Cmd]
    after: dict[str, t.Any]


def _next_names(existing: dict[str, str], count: int) -> list[str]:
    used = {int(k) for k in existing}
    names: list[str] = []
    candidate = 1
    while len(names) < count:
        if candidate not in used:
            names.append(str(candidate))
        candidate += 1
    return names


def plan_client(spec: ClientSpec, state: ClientState) -> ClientPlan:
    changes: list[str] = []
    commands: list[Cmd] = []
    after = state.to_result()
    if spec.trusted_hosts:
        missing = [h for h in spec.hosts if not _trusted(h, state.trusted_hosts)]
        if missing:
            value = ",".join([*state.trusted_hosts, *missing])
            commands.append(Cmd("Set-Item", {"Path": TRUSTED_HOSTS, "Value": value, "Force": True}))
            changes.append(f"add {', '.join(missing)} to WSMan TrustedHosts")
            after["trusted_hosts"] = value.split(",")
    policy_key_exists = state.policy_key_exists
    if spec.credssp_delegation:
        listed = {v.lower() for v in state.fresh.values()}
        missing = [h for h in spec.hosts if f"wsman/{h}".lower() not in listed]
        if missing or not state.credssp_client:
            commands.append(Cmd("Enable-WSManCredSSP", {"Role": "Client", "DelegateComputer": missing or list(spec.hosts),
                                                        "Force": True}))
            changes.append(f"enable CredSSP as a client delegating to {', '.join(missing or spec.hosts)}")
            policy_key_exists = True
            after["credssp_client"] = True
            after["credssp_delegate_computers"] = sorted({*state.fresh.values(), *(f"wsman/{h}" for h in missing)})
    if spec.ntlm_only_policy:
        commands_before = len(commands)
        if not policy_key_exists:
            commands.append(Cmd("New-Item", {"Path": POLICY_PARENT, "Name": "CredentialsDelegation"}))
        for flag in FLAGS_NTLM:
            if str(state.policy_values.get(flag)) != "1":
                commands.append(Cmd("Set-ItemProperty", {"Path": POLICY_KEY, "Name": flag, "Value": 1, "Type": "DWord"}))
        listed = {v.lower() for v in state.fresh_ntlm.values()}
        missing = [h for h in spec.hosts if f"wsman/{h}".lower() not in listed]
        if missing and not state.fresh_ntlm_key_exists:
            commands.append(Cmd("New-Item", {"Path": POLICY_KEY, "Name": FRESH_NTLM}))
        for name, host in zip(_next_names(state.fresh_ntlm, len(missing)), missing):
            commands.append(Cmd("New-ItemProperty", {"Path": f"{POLICY_KEY}\\{FRESH_NTLM}", "Name": name,
                                                     "Value": f"wsman/{host}", "PropertyType": "String"}))
        if len(commands) > commands_before:
            changes.append("allow delegating fresh credentials with NTLM-only server authentication to "
                           + ", ".join(f"wsman/{h}" for h in (missing or spec.hosts)))
            after["ntlm_only_policy_enabled"] = True
            after["ntlm_only_delegate_computers"] = sorted({*state.fresh_ntlm.values(), *(f"wsman/{h}" for h in missing)})
    return ClientPlan(changes, commands, after)
