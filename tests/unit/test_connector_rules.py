"""The App Layering connector rules (requirement G2), offline and on host facts: each rule fails and passes."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._connector_rules import (
    GIB,
    ConnectorConfig,
    HostFacts,
    TemplateFacts,
    host_violations,
    offline_violations,
    template_firmware,
)

BASE = ConnectorConfig(name="c", agent="hv1", switch="vNet-LAN50", storage_path="D:\\Layers")
GOOD_HOST = HostFacts(agent_service="Running", bits_start_type="Manual", switch_count=1, template=None,
                      template_count=0, storage_exists=True, local_drives=("C", "D"), free_bytes=500 * GIB)
TEMPLATE = TemplateFacts(generation=2, secure_boot=False, network_adapters=1, disks=0)


def config(**changes: object) -> ConnectorConfig:
    return dataclasses.replace(BASE, **changes)


@pytest.mark.parametrize(("bad", "good", "reason"), [
    ({"generation": 2, "disk_format": "vhdx"}, {"generation": 2, "disk_format": "vhdx", "offload_compositing": True},
     "generation 2 requires offload_compositing"),
    ({"generation": 2, "disk_format": "vhd", "offload_compositing": True},
     {"generation": 2, "disk_format": "vhdx", "offload_compositing": True}, "generation 2 supports only"),
    ({"disk_format": "vhdx"}, {"disk_format": "vhdx", "offload_compositing": True}, "vhdx requires offload"),
    ({"storage_path": "Layers"}, {"storage_path": "\\\\fs1\\Layers"}, "must be an absolute path"),
    ({"storage_path": "\\\\fs1\\Layers", "unc_path": "\\\\fs1\\VM"},
     {"storage_path": "\\\\fs1\\Layers", "unc_path": "\\\\fs1\\layers\\"}, "same location as unc_path"),
    ({"cpus": 0}, {"cpus": 1}, "cpus must be"),
    ({"layer_cache_size_gb": -1}, {"layer_cache_size_gb": 0}, "layer_cache_size_gb must be"),
])
def test_offline_rule(bad: dict[str, object], good: dict[str, object], reason: str) -> None:
    assert any(reason in problem for problem in offline_violations(config(**bad)))
    assert offline_violations(config(**good)) == []


def test_every_offline_violation_at_once() -> None:
    problems = offline_violations(config(generation=2, disk_format="vhd", storage_path="x", memory_mb=10))
    assert len(problems) == 4


@pytest.mark.parametrize(("template", "firmware"), [
    (None, "BIOS"),
    (dataclasses.replace(TEMPLATE, generation=1), "BIOS"),
    (TEMPLATE, "UEFI"),
    (dataclasses.replace(TEMPLATE, secure_boot=True), "UEFI secure boot"),
])
def test_resulting_firmware(template: TemplateFacts | None, firmware: str) -> None:
    assert template_firmware(template) == firmware


def facts(**changes: object) -> HostFacts:
    return dataclasses.replace(GOOD_HOST, **changes)


@pytest.mark.parametrize(("cfg", "host", "reason"), [
    ({}, {"agent_service": None}, "is not installed"),
    ({}, {"agent_service": "Stopped"}, "is Stopped: start it"),
    ({}, {"bits_start_type": "Disabled"}, "BITS is not available"),
    ({}, {"switch_count": 0}, "exists 0 times"),
    ({}, {"storage_exists": False}, "does not exist"),
    ({"storage_path": "Z:\\Layers"}, {}, "mapped drive"),
    ({"layer_cache_size_gb": 600}, {}, "has 500 GB free"),
    ({"template_vm": "t", "offload_compositing": True},
     {"template": dataclasses.replace(TEMPLATE, disks=1), "template_count": 1}, "must have none"),
    ({"template_vm": "t", "offload_compositing": True},
     {"template": dataclasses.replace(TEMPLATE, network_adapters=0), "template_count": 1}, "no network adapter"),
    ({"template_vm": "t"}, {"template": TEMPLATE, "template_count": 1}, "bluescreens"),
    ({"template_vm": "t"}, {}, "does not exist"),
])
def test_host_rule(cfg: dict[str, object], host: dict[str, object], reason: str) -> None:
    assert any(reason in p for p in host_violations(config(**cfg), facts(**host), agent_registered=True, host="hv1"))


def test_a_good_host_passes_and_unregistered_agent_is_reported() -> None:
    good = config(template_vm="t", offload_compositing=True, layer_cache_size_gb=100)
    host = facts(template=dataclasses.replace(TEMPLATE, generation=1), template_count=1)
    assert host_violations(good, host, agent_registered=True, host="hv1") == []
    assert any("not registered" in p for p in host_violations(good, host, agent_registered=False, host="hv1"))


def test_api_round_trip() -> None:
    cfg = config(generation=2, disk_format="vhdx", offload_compositing=True, template_vm="t", unc_path="\\\\a\\b")
    assert ConnectorConfig.from_api({**cfg.to_api(), "id": "x"}) == cfg
    assert cfg.to_api()["diskFormat"] == "VHDX"
