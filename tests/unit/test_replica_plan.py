"""The pure parts of hyperv_replica and hyperv_replica_server: reading, what a replica server accepts, plans."""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._replica import (
    RecoveryPoint,
    ReplicaHost,
    Side,
    VmFacts,
    host_read_commands,
    parse_host,
    status,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_plan import (
    ReplicationSpec,
    plan_replication,
    spec_problems,
)
from ansible_collections.winvirt.hyperv.plugins.module_utils._replica_server import (
    HTTP_RULE,
    HTTPS_RULE,
    OWN_KERBEROS_RULE,
    AuthorizationEntry,
    ServerFacts,
    ServerSpec,
    acceptance_problems,
    parse_server,
    plan_server,
)

OPEN = ((HTTP_RULE, True), (HTTPS_RULE, False))
ACCEPTING = ServerFacts(enabled=True, default_storage_location="D:\\Replica", firewall=OPEN)
APP1 = VmFacts("app1", "id-1", "Off", ("D:\\VHD\\app1.vhdx", "D:\\VHD\\app1-backup.vhdx"))


def side(**changes: t.Any) -> Side:
    base = Side(mode="Primary", state="Replicating", health="Normal", primary="hv1.lab.test", replica="hv2.lab.test",
                port=80, authentication="kerberos", certificate_thumbprint=None, compression=True, frequency=300,
                recovery_history=0, vss_frequency=0, last_replication="2026-11-01T08:01:00",
                initial_replication_start=None, replicated_disks=("D:\\VHD\\app1.vhdx",))
    return dataclasses.replace(base, **changes)


def host(name: str, server: ServerFacts = ACCEPTING, **changes: t.Any) -> ReplicaHost:
    base = ReplicaHost(name=name, fqdn=f"{name}.lab.test", netbios=name.upper(), server=server, vm=None, test_vm=None,
                       side=None, pending_bytes=None, recovery_points=())
    return dataclasses.replace(base, **changes)


def cmdlets(plan: t.Any) -> list[tuple[str, str]]:
    return [(step.host, cmd.cmdlet) for step in plan.steps for cmd in step.commands]


# -- replica server --------------------------------------------------------------------------------

def test_acceptance_names_each_problem() -> None:
    assert acceptance_problems(ACCEPTING, "hv2", ["hv1.lab.test"], "kerberos", 80) == []
    assert "is disabled" in acceptance_problems(ServerFacts(), "hv2", ["hv1"], "kerberos", 80)[0]
    closed = dataclasses.replace(ACCEPTING, firewall=((HTTP_RULE, False),))
    assert "Hyper-V Replica HTTP Listener (TCP-In)" in acceptance_problems(closed, "hv2", ["hv1"], "kerberos", 80)[0]
    entries = dataclasses.replace(ACCEPTING, allow_any_server=False,
                                  authorization_entries=(AuthorizationEntry("*.lab.test", "D:\\R", "lab"),))
    assert acceptance_problems(entries, "hv2", ["hv1.lab.test"], "kerberos", 80) == []
    assert "does not authorize" in acceptance_problems(entries, "hv2", ["hv1.other.test"], "kerberos", 80)[0]
    assert "port 80, not 8080" in acceptance_problems(ACCEPTING, "hv2", ["hv1"], "kerberos", 8080)[0]
    assert "does not accept certificate" in acceptance_problems(ACCEPTING, "hv2", ["hv1"], "certificate", 443)[0]


def test_server_plan_enables_opens_the_rule_and_then_plans_nothing() -> None:
    spec = ServerSpec(state="present", default_storage_location="D:\\Replica")
    current = ServerFacts(firewall=((HTTP_RULE, False), (HTTPS_RULE, False)))
    plan = plan_server(spec, current)
    assert [c.cmdlet for c in plan.commands] == ["Set-VMReplicationServer", "Enable-NetFirewallRule"]
    assert plan.commands[0].parameters["ReplicationEnabled"] is True
    assert plan.commands[1].parameters == {"Name": HTTP_RULE}
    assert plan_server(spec, plan.after).commands == []
    assert plan_server(ServerSpec(state="present"), current).errors == [
        "allow_any_server=true needs default_storage_location"]


def test_a_listener_on_another_port_gets_the_collections_own_rule_for_that_port() -> None:
    """The built-in listener rules are fixed to TCP 80/443: enabling them would open the wrong port."""
    spec = ServerSpec(state="present", default_storage_location="D:\\Replica", kerberos_port=8080)
    current = dataclasses.replace(ACCEPTING, firewall=((HTTP_RULE, False), (HTTPS_RULE, False)))
    plan = plan_server(spec, current)
    rules = [c for c in plan.commands if "NetFirewallRule" in c.cmdlet]
    assert [(c.cmdlet, c.parameters["Name"]) for c in rules] == [("New-NetFirewallRule", OWN_KERBEROS_RULE)]
    assert rules[0].parameters["LocalPort"] == ["8080"] and rules[0].parameters["Protocol"] == "TCP"
    assert plan_server(spec, plan.after).commands == [], "idempotent"
    moved = plan_server(dataclasses.replace(spec, kerberos_port=8443), plan.after)
    assert [(c.cmdlet, c.parameters.get("LocalPort")) for c in moved.commands if "Firewall" in c.cmdlet] == [
        ("Set-NetFirewallRule", ["8443"])]
    back = plan_server(dataclasses.replace(spec, kerberos_port=80), plan.after)
    assert [(c.cmdlet, c.parameters["Name"]) for c in back.commands if "Firewall" in c.cmdlet] == [
        ("Enable-NetFirewallRule", HTTP_RULE), ("Remove-NetFirewallRule", OWN_KERBEROS_RULE)]
    closed = dataclasses.replace(plan.after, firewall=tuple((r, False) for r, _e in plan.after.firewall))
    assert "closed for replication on TCP port 8080" in acceptance_problems(
        dataclasses.replace(closed, kerberos_port=8080), "hv2", ["hv1"], "kerberos", 8080)[0]


def test_server_plan_makes_the_entries_authoritative_and_disables() -> None:
    current = dataclasses.replace(ACCEPTING, allow_any_server=False, authorization_entries=(
        AuthorizationEntry("old.lab.test", "D:\\R", "x"), AuthorizationEntry("*.lab.test", "D:\\R", "lab")))
    wanted = (AuthorizationEntry("*.lab.test", "D:\\Replica", "lab"), AuthorizationEntry("hv9", "D:\\R", "lab"))
    plan = plan_server(ServerSpec(state="present", allow_any_server=False, authorization_entries=wanted), current)
    assert [c.cmdlet for c in plan.commands] == ["Set-VMReplicationAuthorizationEntry",
                                                 "New-VMReplicationAuthorizationEntry",
                                                 "Remove-VMReplicationAuthorizationEntry"]
    disable = plan_server(ServerSpec(state="absent"), ACCEPTING)
    assert [(c.cmdlet, c.parameters.get("Name")) for c in disable.commands] == [
        ("Set-VMReplicationServer", None), ("Disable-NetFirewallRule", HTTP_RULE)]


# -- reading ---------------------------------------------------------------------------------------

def test_parse_host_reads_the_side_disks_and_recovery_points() -> None:
    rows = [[{"ComputerName": "HV2", "FullyQualifiedDomainName": "hv2.lab.test"}],
            [{"ReplicationEnabled": True, "AllowedAuthenticationType": "Kerberos", "ReplicationAllowedFromAnyServer": True,
              "DefaultStorageLocation": "D:\\Replica", "KerberosAuthenticationPort": 80}],
            [], [{"Name": HTTP_RULE, "Enabled": "True"}, {"Name": HTTPS_RULE, "Enabled": "False"}], [],
            [{"Name": "app1", "Id": "id-1", "State": "Off"}, {"Name": "app1 - Test", "Id": "id-2", "State": "Running"}],
            [{"Path": "D:\\R\\app1.vhdx"}],
            [{"ReplicationMode": "Replica", "ReplicationState": "Replicating", "ReplicationHealth": "Normal",
              "PrimaryServerName": "hv1.lab.test", "ReplicaServerName": "hv2.lab.test", "ReplicaServerPort": 80,
              "AuthenticationType": "Kerberos", "ReplicationFrequencySec": 300, "RecoveryHistory": 2}],
            [{"Path": "D:\\R\\app1.vhdx"}], [{"PendingReplicationSize": 0}],
            [{"Name": "p1", "Id": "x", "SnapshotType": "Replica", "CreationTime": "t"},
             {"Name": "standard", "Id": "y", "SnapshotType": "Standard", "CreationTime": "t"}]]
    assert len(rows) == len(host_read_commands("app1"))
    parsed = parse_host("127.0.0.12", "app1", rows)
    assert parsed.fqdn == "hv2.lab.test" and parsed.server.rule_enabled(HTTP_RULE) is True
    assert parsed.vm == VmFacts("app1", "id-1", "Off", ("D:\\R\\app1.vhdx",))
    assert parsed.test_vm is not None and parsed.test_vm.state == "Running"
    assert parsed.side is not None and parsed.side.mode == "Replica" and parsed.side.recovery_history == 2
    assert [p.name for p in parsed.recovery_points] == ["p1"]
    assert parsed.is_named("HV2") and parsed.is_named("hv2.lab.test") and not parsed.is_named("hv1.lab.test")


# -- state present / absent ---------------------------------------------------------------------

def test_enable_excludes_a_vhd_and_starts_the_initial_replication() -> None:
    spec = ReplicationSpec(name="app1", exclude_vhds=("d:\\vhd\\APP1-backup.vhdx",), recovery_points=2)
    plan = plan_replication(spec, host("hv1", vm=APP1), host("hv2"))
    assert plan.problems == []
    assert cmdlets(plan) == [("primary", "Enable-VMReplication"), ("primary", "Start-VMInitialReplication")]
    enable = plan.steps[0].commands[0].parameters
    assert enable["ExcludedVhdPath"] == ["D:\\VHD\\app1-backup.vhdx"] and enable["ReplicaServerName"] == "hv2.lab.test"
    assert enable["ReplicaServerPort"] == 80 and enable["AuthenticationType"] == "Kerberos"
    assert len(plan.steps) == 1, "one round trip on the primary"


def test_enable_is_refused_with_every_reason_and_no_steps() -> None:
    spec = ReplicationSpec(name="app1", exclude_vhds=("D:\\VHD\\nope.vhdx",))
    plan = plan_replication(spec, host("hv1", vm=APP1), host("hv2", server=ServerFacts(firewall=OPEN)))
    assert plan.steps == [] and len(plan.problems) == 2
    assert "nope.vhdx is not attached" in plan.problems[0] and "is disabled" in plan.problems[1]
    assert "not exist on the primary" in plan_replication(ReplicationSpec(name="app1"), host("hv1"), host("hv2")).problems[0]


def test_settings_change_in_place_and_a_second_run_plans_nothing() -> None:
    spec = ReplicationSpec(name="app1", exclude_vhds=("D:\\VHD\\app1-backup.vhdx",), frequency=30)
    plan = plan_replication(spec, host("hv1", vm=APP1, side=side()), host("hv2"))
    assert cmdlets(plan) == [("primary", "Set-VMReplication")]
    assert plan.steps[0].commands[0].parameters == {"VMName": "app1", "ReplicationFrequencySec": 30}
    same = plan_replication(dataclasses.replace(spec, frequency=300), host("hv1", vm=APP1, side=side()), host("hv2"))
    assert same.steps == [] and same.changes == []
    disks = plan_replication(ReplicationSpec(name="app1"), host("hv1", vm=APP1, side=side()), host("hv2"))
    assert "only before the initial replication" in disks.problems[0]


def test_absent_removes_both_sides_and_the_test_vm() -> None:
    replica = host("hv2", vm=APP1, side=side(mode="Replica"), test_vm=VmFacts("app1 - Test", "t", "Running"))
    plan = plan_replication(ReplicationSpec(name="app1", state="absent"), host("hv1", vm=APP1, side=side()), replica)
    assert cmdlets(plan) == [("primary", "Remove-VMReplication"), ("replica", "Stop-VMFailover"),
                             ("replica", "Remove-VMReplication")]
    assert plan_replication(ReplicationSpec(name="app1", state="absent"), host("hv1"), host("hv2")).steps == []


# -- failovers -------------------------------------------------------------------------------------

def failover_hosts(vm_state: str = "Running") -> tuple[ReplicaHost, ReplicaHost]:
    return (host("hv1", vm=dataclasses.replace(APP1, state=vm_state), side=side()),
            host("hv2", vm=APP1, side=side(mode="Replica")))


def test_planned_failover_refuses_a_running_vm_then_prepares_fails_over_reverses_and_starts() -> None:
    primary, replica = failover_hosts()
    refused = plan_replication(ReplicationSpec(name="app1", action="planned_failover"), primary, replica)
    assert refused.steps == [] and "allow_shutdown" in refused.problems[0]
    plan = plan_replication(ReplicationSpec(name="app1", action="planned_failover", allow_shutdown=True), primary, replica)
    assert cmdlets(plan) == [("primary", "Stop-VM"), ("primary", "Start-VMFailover"), ("replica", "Start-VMFailover"),
                             ("replica", "Set-VMReplication"), ("replica", "Start-VM")]
    assert plan.steps[0].commands[1].parameters["Prepare"] is True
    assert plan.steps[1].commands[1].parameters["ReplicaServerName"] == "hv1.lab.test"
    not_accepting = dataclasses.replace(primary, server=ServerFacts())
    blocked = plan_replication(ReplicationSpec(name="app1", action="planned_failover", allow_shutdown=True),
                               not_accepting, replica)
    assert "former primary must accept it" in blocked.problems[0]


def test_planned_failover_done_already_plans_nothing() -> None:
    primary = host("hv1", vm=APP1, side=side(mode="Replica", primary="hv2.lab.test", replica="hv1.lab.test"))
    replica = host("hv2", vm=dataclasses.replace(APP1, state="Running"),
                   side=side(primary="hv2.lab.test", replica="hv1.lab.test"))
    assert plan_replication(ReplicationSpec(name="app1", action="planned_failover"), primary, replica).steps == []


def test_test_failover_from_a_recovery_point_and_cleanup() -> None:
    _primary, replica = failover_hosts()
    replica = dataclasses.replace(replica, recovery_points=(RecoveryPoint("p1", "id", "Replica", "t"),))
    plan = plan_replication(ReplicationSpec(name="app1", action="test_failover", recovery_point="p1"), None, replica)
    assert cmdlets(plan) == [("replica", "Get-VMSnapshot"), ("replica", "Start-VM")]
    assert plan.steps[0].commands[0].piped[0].parameters["AsTest"] is True
    assert plan.steps[0].commands[1].parameters == {"Name": "app1 - Test"}
    missing = plan_replication(ReplicationSpec(name="app1", action="test_failover", recovery_point="p9"), None, replica)
    assert "it has: p1" in missing.problems[0]
    with_test = dataclasses.replace(replica, test_vm=VmFacts("app1 - Test", "t", "Running"))
    assert plan_replication(ReplicationSpec(name="app1", action="test_failover"), None, with_test).steps == []
    cleanup = plan_replication(ReplicationSpec(name="app1", action="test_failover_cleanup"), None, with_test)
    assert cmdlets(cleanup) == [("replica", "Stop-VMFailover")]


def test_unplanned_failover_without_the_primary_and_refused_while_it_runs_the_vm() -> None:
    primary, replica = failover_hosts()
    spec = ReplicationSpec(name="app1", action="unplanned_failover", reverse=False)
    plan = plan_replication(spec, None, replica)
    assert cmdlets(plan) == [("replica", "Start-VMFailover"), ("replica", "Start-VM"), ("replica", "Complete-VMFailover")]
    assert "planned_failover" in plan_replication(spec, primary, replica).problems[0]
    done = dataclasses.replace(replica, vm=dataclasses.replace(APP1, state="Running"),
                               side=side(mode="Replica", state="FailedOver"))
    assert plan_replication(spec, None, done).steps == []
    later = plan_replication(dataclasses.replace(spec, reverse=True), None, done)
    assert later.steps == [] and "not reachable" in later.warnings[0]


def test_resume_and_resynchronize() -> None:
    primary = host("hv1", vm=APP1, side=side(state="Suspended"))
    replica = host("hv2", vm=APP1, side=side(mode="Replica"))
    assert cmdlets(plan_replication(ReplicationSpec(name="app1", action="resume"), primary, replica)) == [
        ("primary", "Resume-VMReplication")]
    critical = host("hv1", vm=APP1, side=side(health="Critical", state="WaitingForStartResynchronize"))
    assert "action=resynchronize" in plan_replication(ReplicationSpec(name="app1", action="resume"), critical,
                                                      replica).problems[0]
    resync = plan_replication(ReplicationSpec(name="app1", action="resynchronize"), critical, replica)
    assert resync.steps[0].commands[0].parameters == {"VMName": "app1", "Resynchronize": True}


def test_spec_problems_and_status() -> None:
    assert spec_problems(ReplicationSpec(name="x", frequency=60, app_consistent_frequency=2)) == [
        "frequency must be 30, 300 or 900 seconds, not 60",
        "app_consistent_frequency (1 to 12 hours) needs recovery_points of at least 1"]
    primary, replica = failover_hosts()
    replica = dataclasses.replace(replica, recovery_points=(RecoveryPoint("p1", "id", "Replica", "t"),))
    seen = status(primary, replica)
    assert seen["state"] == "Replicating" and seen["running_on"] == "hv1.lab.test"
    assert [p["name"] for p in seen["recovery_points"]] == ["p1"]


def test_a_missing_storage_folder_is_refused_before_anything_or_created_when_asked() -> None:
    current = ServerFacts(firewall=((HTTP_RULE, False),))
    refused = plan_server(ServerSpec(state="present", default_storage_location="D:\\Replica"), current,
                          missing=["D:\\Replica"], host="hv2")
    assert refused.commands == [] and "D:\\Replica does not exist on hv2" in refused.errors[0]
    assert "create_storage_location" in refused.errors[0]
    created = plan_server(ServerSpec(state="present", default_storage_location="D:\\Replica",
                                     create_storage_location=True), current, missing=["D:\\Replica"])
    assert [c.cmdlet for c in created.commands][:2] == ["New-Item", "Set-VMReplicationServer"]
    assert "create the folder D:\\Replica" in created.changes


def test_parse_server_reads_firewall_rows_as_windows_sends_them() -> None:
    """MSFT_NetProtocolPortFilter.LocalPort is a string array; MSFT_NetFirewallRule.Enabled is uint16 in the class
    (1 enabled, 2 disabled) and its enum name through NetSecurity; both forms read alike."""
    rows = [[{"ReplicationEnabled": True}], [],
            [{"Name": HTTP_RULE, "Enabled": 1}, {"Name": HTTPS_RULE, "Enabled": 2},
             {"Name": OWN_KERBEROS_RULE, "Enabled": "True"}],
            [{"InstanceID": OWN_KERBEROS_RULE, "LocalPort": ["8080"]}]]
    facts = parse_server(rows)
    assert facts.firewall == tuple(sorted(((HTTP_RULE, True), (HTTPS_RULE, False), (OWN_KERBEROS_RULE, True))))
    assert facts.rule_ports == ((OWN_KERBEROS_RULE, "8080"),)
