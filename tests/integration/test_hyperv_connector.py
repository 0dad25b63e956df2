"""hyperv_connector against hvsim and its emulated App Layering appliance: G2 rules, host checks, agent
registration, create / re-run / update with diff / delete, check mode; and the app_layering role."""

from __future__ import annotations

import json
import pathlib
import typing as t

from harness import run_playbook, run_playbook_file

CONNECTOR = "winvirt.hyperv.hyperv_connector"


def appliance(estate: t.Any, **changes: t.Any) -> dict[str, t.Any]:
    return {"address": estate.address("elm1"), "password": "Unidesk1", "ca_path": str(estate.ca_pem), **changes}


def task(estate: t.Any, title: str, **args: t.Any) -> dict[str, t.Any]:
    base = {"name": "HV gen1", "agent": "hv1", "switch": "vNet-LAN50", "storage_path": "D:\\Hyper-V",
            "register_agent": True, "agent_ignore_cert_errors": True, "appliance": appliance(estate)}
    return {"name": title, CONNECTOR: {**base, **args}, "register": "out"}


def state(estate: t.Any) -> tuple[t.Any, t.Any]:
    return estate.snapshot(), estate.appliances[0].snapshot()


def stored(estate: t.Any) -> list[dict[str, t.Any]]:
    return list(estate.appliances[0].snapshot()["configurations"].values())


def add_template(estate: t.Any, name: str, generation: int = 2, secure_boot: bool = False, nics: int = 1,
                 disks: int = 0) -> None:
    from hvsim.world.hyperv import VM, Drive, NetworkAdapter  # pylint: disable=import-outside-toplevel

    hyperv = estate.world.machine("hv1").hyperv
    vm_id = f"00000000-0000-4000-8000-{len(hyperv.vms):012d}"
    vm = VM(id=vm_id, name=name, generation=generation, version="12.0", path="D:\\Hyper-V", secure_boot=secure_boot,
            adapters=[NetworkAdapter(name="Network Adapter", id=f"{vm_id}/nic{n}", switch_name="vNet-LAN50")
                      for n in range(nics)],
            hard_drives=[Drive("SCSI", 0, n, f"D:\\Hyper-V\\{name}-{n}.vhdx") for n in range(disks)])
    with estate.world.lock:
        hyperv.vms[vm_id] = vm


def test_connector_lifecycle(lab3: t.Any) -> None:
    create = [task(lab3, "create")]
    before = state(lab3)
    checked = run_playbook(lab3, create, check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    result = checked.result("create")
    assert result["changed"] is True and result["agent_registered"] is True
    assert result["changes"][0].startswith("register the agent on")
    assert result["diff"]["after"]["memory_mb"] == 8192 and result["diff"]["before"] == {}
    assert state(lab3) == before, "check mode changed the world or the appliance"

    first = run_playbook(lab3, create)
    assert first.rc == 0, first.stdout
    result = first.result("create")
    assert result["changed"] is True and result["resulting_firmware"] == "BIOS" and result["test"]["success"] is True
    assert [a["name"] for a in lab3.appliances[0].snapshot()["agents"].values()] == ["HV1"]
    assert [(c["name"], c["memoryMb"], c["diskFormat"]) for c in stored(lab3)] == [("HV gen1", 8192, "VHD")]

    again = run_playbook(lab3, create)
    assert again.rc == 0 and again.result("create")["changed"] is False, again.stdout

    more = [task(lab3, "update", memory_mb=16384)]
    before = state(lab3)
    assert run_playbook(lab3, more, check=True).result("update")["changed"] is True
    assert state(lab3) == before
    update = run_playbook(lab3, more, diff=True)
    result = update.result("update")
    assert result["changed"] is True
    assert result["diff"]["before"]["memory_mb"] == 8192 and result["diff"]["after"]["memory_mb"] == 16384
    assert "memory_mb: 8192 -> 16384" in result["changes"][0]
    assert stored(lab3)[0]["memoryMb"] == 16384

    delete = [{"name": "delete", CONNECTOR: {"name": "HV gen1", "state": "absent", "appliance": appliance(lab3)},
               "register": "out"}]
    before = state(lab3)
    assert run_playbook(lab3, delete, check=True).result("delete")["changed"] is True
    assert state(lab3) == before
    assert run_playbook(lab3, delete).result("delete")["changed"] is True
    assert stored(lab3) == []
    assert run_playbook(lab3, delete).result("delete")["changed"] is False


def test_offline_rules_are_all_reported_before_any_remote_call(lab3: t.Any) -> None:
    lab3.reset_counters()
    before = state(lab3)
    run = run_playbook(lab3, [task(lab3, "bad", generation=2, disk_format="vhd", storage_path="Layers")])
    assert run.rc != 0
    result = run.result("bad")
    assert result["changed"] is False
    violations = " | ".join(result["violations"])
    assert "generation 2 requires offload_compositing" in violations
    assert "generation 2 supports only disk_format=vhdx" in violations
    assert "storage_path must be an absolute path" in violations
    assert lab3.counters("hv1")["pipelines"] == 0 and state(lab3) == before


def test_template_with_a_disk_or_without_a_nic_is_rejected(lab3: t.Any) -> None:
    add_template(lab3, "with-disk", disks=1)
    add_template(lab3, "no-nic", nics=0)
    run = run_playbook(lab3, [task(lab3, "disk", template_vm="with-disk", generation=2, disk_format="vhdx",
                                   offload_compositing=True),
                              task(lab3, "nic", template_vm="no-nic", generation=2, disk_format="vhdx",
                                   offload_compositing=True)])
    assert run.rc != 0
    assert "has 1 disk(s) attached; it must have none" in run.result("disk")["msg"]
    assert stored(lab3) == []


def test_uefi_template_needs_offload_and_gives_its_firmware(lab3: t.Any) -> None:
    add_template(lab3, "uefi-sb", secure_boot=True)
    refused = run_playbook(lab3, [task(lab3, "bluescreen", template_vm="uefi-sb")])
    assert refused.rc != 0 and "bluescreens" in refused.result("bluescreen")["msg"]
    accepted = run_playbook(lab3, [task(lab3, "gen2", template_vm="uefi-sb", generation=2, disk_format="vhdx",
                                        offload_compositing=True)])
    assert accepted.rc == 0, accepted.stdout
    assert accepted.result("gen2")["resulting_firmware"] == "UEFI secure boot"


def test_host_problems_are_listed_together(lab3: t.Any) -> None:
    run = run_playbook(lab3, [task(lab3, "host", switch="vNet-Missing", storage_path="Z:\\Layers",
                                   template_vm="ghost")])
    assert run.rc != 0
    violations = " | ".join(run.result("host")["violations"])
    assert "exists 0 times" in violations and "mapped drive" in violations and "'ghost' does not exist" in violations


def test_problems_name_the_host_as_it_names_itself(lab3: t.Any) -> None:
    """Not by the address the controller connects to (issue 15 item 8)."""
    run = run_playbook(lab3, [task(lab3, "named", switch="vNet-Missing")], check=True)
    assert run.rc != 0
    result = run.result("named")
    fqdn = lab3.world.machine("hv1").fqdn
    assert f"exists 0 times on {fqdn}" in " | ".join(result["violations"]), result["violations"]
    assert lab3.address("hv1") not in result["msg"], result["msg"]


def test_the_appliance_test_reason_is_reported(lab3: t.Any) -> None:
    run = run_playbook(lab3, [task(lab3, "unc", unc_path="\\\\fs1\\Layers")])
    assert run.rc != 0
    assert "TEST of 'HV gen1' failed" in run.result("unc")["msg"] and "not the same location" in run.result("unc")["msg"]
    assert stored(lab3) == []
    # the agent was registered before the TEST failed: the failed task says so
    assert [a["name"] for a in lab3.appliances[0].snapshot()["agents"].values()] == ["HV1"]
    assert run.result("unc")["changed"] is True
    assert any(c.startswith("register the agent on") for c in run.result("unc")["changes"])


def test_an_empty_name_is_refused_before_the_agent_is_registered(lab3: t.Any) -> None:
    lab3.reset_counters()
    before = state(lab3)
    run = run_playbook(lab3, [task(lab3, "nameless", name="")])
    result = run.result("nameless")
    assert run.rc != 0 and "name must not be empty" in result["msg"], result["msg"]
    assert result["changed"] is False and result["changes"] == []
    assert lab3.counters("hv1")["pipelines"] == 0 and state(lab3) == before, "no agent registered, nothing asked"


def test_form_and_host_rules_come_back_in_one_run(lab3: t.Any) -> None:
    before = state(lab3)
    run = run_playbook(lab3, [task(lab3, "both", generation=2, disk_format="vhd", switch="vNet-Missing")])
    assert run.rc != 0
    violations = " | ".join(run.result("both")["violations"])
    assert "generation 2 requires offload_compositing" in violations and "generation 2 supports only" in violations
    assert "'vNet-Missing' exists 0 times" in violations, violations
    assert run.result("both")["changed"] is False and state(lab3) == before, "refused before the agent is registered"


def test_untrusted_appliance_certificate_fails_with_a_hint(lab3: t.Any) -> None:
    run = run_playbook(lab3, [task(lab3, "tls", appliance=appliance(lab3, ca_path=None))])
    assert run.rc != 0
    assert "certificate" in run.result("tls")["msg"] and "ca_path" in run.result("tls")["msg"]


def test_the_password_is_not_logged(lab3: t.Any) -> None:
    run = run_playbook(lab3, [task(lab3, "create")])
    assert run.rc == 0, run.stdout
    assert "Unidesk1" not in json.dumps(run.results) and "Unidesk1" not in run.stdout


def test_role_converges(lab3: t.Any, tmp_path: pathlib.Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"port": 3512, "useHttpsFileTransfer": False, "ignoreCertificateErrors": True}))
    marker = tmp_path / "restarted"
    extra = {"ansible_connection": "local", "app_layering_connector_config_path": str(config),
             "app_layering_connector_restart_command": f"touch {marker}", "app_layering_https_file_transfer": True,
             "app_layering_appliance_ca_path": str(lab3.ca_pem)}
    first = run_playbook_file(lab3, "app_layering.yml", extra_vars=extra)
    assert first.rc == 0, first.stdout + first.stderr
    assert any(r["result"].get("changed") for r in first.results)
    assert json.loads(config.read_text()) == {"port": 3512, "useHttpsFileTransfer": True,
                                              "ignoreCertificateErrors": False}
    assert marker.exists()
    assert [c["name"] for c in stored(lab3)] == ["Hyper-V gen2"]
    marker.unlink()
    second = run_playbook_file(lab3, "app_layering.yml", extra_vars=extra)
    assert second.rc == 0, second.stdout
    assert not [r["task"] for r in second.results if r["result"].get("changed")]
    assert not marker.exists()
