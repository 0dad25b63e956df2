"""The estate schema: the shipped estates and the fleet generator pass it; each kind of mistake a person makes in an
estate file is reported with its place; a file with problems is refused before anything starts (runner, hvsim check,
hvsim serve)."""

from __future__ import annotations

import pathlib
import typing

import pytest
import yaml

from hvsim.cli import main
from hvsim.estate import build_world, fleet
from hvsim.estate_schema import ESTATE, EstateError, Fields, ListOf, MapOf, field_paths, problems
from hvsim.runner import estate_spec

GOOD = """
name: mylab
domain: {dns_name: corp.test, admins: {Administrator: "Passw0rd!"}}
machines:
  - name: hv1
    address: 127.0.0.21
    fs:
      volumes: {"D:": {size_gb: 500}}
      files:
        - {path: "D:\\\\VMs\\\\base.vhdx", size_mb: 9000, vhd: {type: Dynamic, size_gb: 40}}
        - {path: "D:\\\\VMs\\\\web1.vhdx", size_mb: 500, vhd: {type: Differencing, size_gb: 40, parent: "D:\\\\VMs\\\\base.vhdx"}}
    platform:
      features: [Hyper-V, Hyper-V-PowerShell]
      net_adapters: [{name: Ethernet}]
    hyperv:
      switches: [{name: LAN, type: external, net_adapter: Ethernet, allow_management_os: true}]
      vms:
        - name: web1
          state: Running
          memory: {startup_mb: 4096}
          disks: [{path: "D:\\\\VMs\\\\web1.vhdx"}]
          network_adapters: [{switch: LAN, vlan: {mode: access, id: 20}}]
"""


@pytest.mark.parametrize("name", ["lab3", "workgroup"])
def test_shipped_estates_pass(name: str) -> None:
    assert problems(estate_spec(name)) == []


def test_fleet_estates_pass() -> None:
    assert problems(fleet(3, 5)) == []


def test_a_good_file_passes_and_each_mistake_is_named_where_it_is() -> None:
    assert problems(yaml.safe_load(GOOD)) == []
    bad = yaml.safe_load(GOOD.replace("startup_mb", "startupmb").replace("type: external", "type: externl")
                         .replace("127.0.0.21", "10.0.0.21").replace("web1.vhdx\"}]", "web2.vhdx\"}]")
                         .replace("switch: LAN", "switch: WAN").replace("size_gb: 500", "size_gb: lots"))
    found = problems(bad)
    vm = "machines[0] (hv1).hyperv.vms[0] (web1)"
    assert found == [
        "machines[0] (hv1).fs.volumes.D:.size_gb: must be a number, not 'lots'",
        "machines[0] (hv1).hyperv.switches[0] (LAN).type: must be one of external, internal, private, not 'externl'",
        f"{vm}.memory: unknown key 'startupmb' (did you mean 'startup_mb'?); known keys: startup_mb, dynamic, "
        "minimum_mb, maximum_mb",
        "machines[0] (hv1).address: 10.0.0.21 is not a loopback address (127.x.x.x); hvsim listens only on 127.0.0.0/8",
        f"{vm}.disks[0].path: D:\\VMs\\web2.vhdx is not a file of fs.files (add it there with a vhd: section)",
        f"{vm}.network_adapters[0].switch: no switch 'WAN' in hyperv.switches",
    ]


def test_missing_keys_duplicates_and_broken_references() -> None:
    spec = yaml.safe_load(GOOD)
    spec["machines"].append({"name": "HV1", "address": "127.0.0.21"})
    spec["machines"].append({"address": "127.0.0.22", "role": "hyperv-host"})
    spec["machines"][0]["fs"]["files"][1]["vhd"]["parent"] = "D:\\VMs\\gone.vhdx"
    spec["links"] = [{"between": ["hv1", "hv9"], "gbits": 10}]
    spec["colour"] = "blue"
    found = problems(spec)
    assert "top level: unknown key 'colour'; known keys: name, ports, admin, domain, networks, links, clock, machines" in found
    assert "machines[2]: missing required key 'name'" in found
    assert any(p.startswith("machines[2].role: must be one of hyperv_host, ") for p in found)
    assert "machines[1] (HV1): machine name 'hv1' is also machines[0]'s" in found
    assert "machines[1] (HV1).address: 127.0.0.21 is also hv1's" in found
    assert "machines[0] (hv1).fs.files[1].vhd.parent: D:\\VMs\\gone.vhdx is not a file of fs.files" in found
    assert "links[0].between: no machine named 'hv9'" in found
    assert problems(["machines"]) == ["the estate must be a mapping with a machines: list, not list"]


def test_a_file_with_problems_is_refused_by_the_runner_check_and_serve(tmp_path: pathlib.Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(GOOD.replace("startup_mb", "startupmb"), encoding="utf-8")
    with pytest.raises(EstateError) as refused:
        estate_spec(bad)
    assert len(refused.value.problems) == 1 and str(bad) in str(refused.value)
    assert main(["check", "--estate", str(good)]) == 0
    assert capsys.readouterr().out == f"estate OK: {good}: 1 machines, 1 VMs\n"
    assert main(["check", "--estate", str(bad)]) == 1
    assert "unknown key 'startupmb' (did you mean 'startup_mb'?)" in capsys.readouterr().err
    assert main(["serve", "--estate", str(bad)]) == 2, "serve must stop before it starts anything"
    assert "1 problem(s) in the estate" in capsys.readouterr().err


class Recorded(dict):  # type: ignore[type-arg]
    """A section of an estate spec that records every key the builders ask it for, at its schema path."""

    def __init__(self, value: dict, node: typing.Any, path: str, asked: set[tuple[str, str]]) -> None:
        super().__init__(value)
        self.node, self.path, self.asked = node, path, asked

    def _child(self, key: str, value: typing.Any) -> typing.Any:
        node = self.node.fields.get(key) if isinstance(self.node, Fields) else self.node.value
        name = key if isinstance(self.node, Fields) else "<name>"
        path = f"{self.path}.{name}" if self.path else str(name)
        return wrap(value, node, path, self.asked)

    def _ask(self, key: typing.Any) -> None:
        if isinstance(self.node, Fields):
            self.asked.add((self.path, str(key)))

    def get(self, key: typing.Any, default: typing.Any = None) -> typing.Any:
        self._ask(key)
        return self._child(key, super().get(key, default)) if key in self.keys() else default

    def __getitem__(self, key: typing.Any) -> typing.Any:
        self._ask(key)
        return self._child(key, super().__getitem__(key))

    def __contains__(self, key: object) -> bool:
        self._ask(key)
        return super().__contains__(key)

    def items(self) -> typing.Any:
        return [(key, self._child(key, value)) for key, value in super().items()]


def wrap(value: typing.Any, node: typing.Any, path: str, asked: set[tuple[str, str]]) -> typing.Any:
    if isinstance(node, ListOf) and isinstance(value, list):
        return [wrap(item, node.item, f"{path}[]", asked) for item in value]
    if isinstance(node, (Fields, MapOf)) and isinstance(value, dict):
        return Recorded(value, node, path, asked)
    return value


@pytest.mark.parametrize("spec", [estate_spec("lab3"), estate_spec("workgroup"), fleet(2, 3)], ids=["lab3", "workgroup", "fleet"])
def test_every_key_the_builders_ask_for_is_in_the_schema(spec: dict) -> None:
    asked: set[tuple[str, str]] = set()
    build_world(wrap(spec, ESTATE, "", asked))
    known = {(path if path != "(top level)" else ""): set(keys) for path, keys in field_paths()}
    unknown = sorted((path or "(top level)", key) for path, key in asked if key not in known.get(path, set()))
    assert unknown == [], "builders read keys the estate schema (and docs/testing-offline.md) does not know"
    assert ("machines[].hyperv.vms[].memory", "startup_mb") in asked, "the recording must see the builders' reads"
