"""hvsim.appliance: the emulated App Layering appliance over HTTPS, its own G2 rules, agents that
register through the agent's exe on a simulated host, and TEST against the simulated world."""

from __future__ import annotations

import json
import os
import ssl
import typing
import urllib.error
import urllib.request

import pytest

from hvsim.appliance import CONNECTOR_PORT, SESSION_HEADER
from hvsim.contract import Principal
from hvsim.native import run_command_line
from hvsim.runner import RunningEstate, start_estate
from hvsim.server import load_world_modules
from hvsim.world.hyperv import VM, Drive, NetworkAdapter

BLOCK = 20 + os.getpid() % 70
LOGIN = ('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
         '<Login xmlns="http://www.unidesk.com/"><userName>{user}</userName><password>{password}</password></Login>'
         '</soap:Body></soap:Envelope>')
AGENT_EXE = '"C:\\Program Files (x86)\\Citrix\\Agent\\Citrix.AppLayering.Agent.Service.exe"'


@pytest.fixture(name="estate")
def fixture_estate() -> typing.Iterator[RunningEstate]:
    estate = start_estate("lab3", block=BLOCK, admin_port=0)
    try:
        yield estate
    finally:
        estate.stop()


class Api:
    """A small client of the emulated appliance that trusts the estate CA."""

    def __init__(self, estate: RunningEstate) -> None:
        self.address = estate.address("elm1")
        self.tls = ssl.create_default_context(cafile=str(estate.ca_pem))
        self.token: str | None = None

    def login(self, user: str = "administrator", password: str = "Unidesk1") -> bytes:
        body = LOGIN.format(user=user, password=password).encode()
        request = urllib.request.Request(f"https://{self.address}/Unidesk.Web/API.asmx", data=body, method="POST",
                                         headers={"Content-Type": "text/xml; charset=utf-8"})
        with urllib.request.urlopen(request, context=self.tls) as response:
            text = response.read()
        if b"<SessionToken>" in text:
            self.token = text.split(b"<SessionToken>")[1].split(b"</SessionToken>")[0].decode()
        return text

    def call(self, method: str, path: str, data: typing.Any = None) -> tuple[int, typing.Any]:
        body = json.dumps(data).encode() if data is not None else None
        headers = {"Content-Type": "application/json", **({SESSION_HEADER: self.token} if self.token else {})}
        request = urllib.request.Request(f"https://{self.address}:{CONNECTOR_PORT}{path}", data=body, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, context=self.tls) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, json.loads(raw) if raw else None


def config(**changes: typing.Any) -> dict[str, typing.Any]:
    base = {"name": "HV gen1", "agent": "HV1", "templateVm": None, "cpus": 4, "memoryMb": 8192,
            "switch": "vNet-LAN50", "generation": 1, "diskFormat": "VHD", "offloadCompositing": False,
            "storagePath": "D:\\Hyper-V", "uncPath": None, "layerCacheSizeGb": 0}
    base.update(changes)
    return base


def register(estate: RunningEstate, password: str = "Unidesk1", ignore: str = "true") -> typing.Any:
    load_world_modules()
    principal = Principal("hv1", "LAB\\Administrator", "ntlm", False)
    line = (f"{AGENT_EXE} registerwithelm /elmaddress:{estate.address('elm1')} /user:administrator "
            f"/password:{password} /ignorecerterrors:{ignore}")
    return run_command_line(principal, estate.world, line)


def add_template(estate: RunningEstate, name: str, generation: int = 2, secure_boot: bool = False, nics: int = 1,
                 disks: int = 0) -> None:
    hyperv = estate.world.machine("hv1").hyperv
    vm_id = f"00000000-0000-4000-8000-{len(hyperv.vms):012d}"
    vm = VM(id=vm_id, name=name, generation=generation, version="12.0", path="D:\\Hyper-V", secure_boot=secure_boot,
            adapters=[NetworkAdapter(name="Network Adapter", id=f"{vm_id}/nic{n}", switch_name="vNet-LAN50")
                      for n in range(nics)],
            hard_drives=[Drive("SCSI", 0, n, f"D:\\Hyper-V\\{name}-{n}.vhdx") for n in range(disks)])
    with estate.world.lock:
        hyperv.vms[vm_id] = vm


def messages(body: dict[str, typing.Any]) -> str:
    return " | ".join(problem["message"] for problem in body["errors"])


def test_login_sessions(estate: RunningEstate) -> None:
    api = Api(estate)
    assert api.call("GET", "/api/Configurations")[0] == 401
    fault = api.login(password="wrong")
    assert b"<Error><Message>Invalid user name or password.</Message></Error>" in fault and api.token is None
    api.login()
    assert api.call("GET", "/api/Configurations") == (200, [])


def test_the_certificate_is_issued_by_the_estate_ca(estate: RunningEstate) -> None:
    api = Api(estate)
    api.tls = ssl.create_default_context()  # the system's CAs do not know the estate CA
    with pytest.raises(urllib.error.URLError):
        api.login()


@pytest.mark.parametrize(("bad", "good", "reason"), [
    ({"generation": 2, "diskFormat": "VHDX", "offloadCompositing": False},
     {"generation": 2, "diskFormat": "VHDX", "offloadCompositing": True}, "Generation 2 virtual machines require"),
    ({"generation": 2, "diskFormat": "VHD", "offloadCompositing": True},
     {"generation": 2, "diskFormat": "VHDX", "offloadCompositing": True}, "support only the VHDX"),
    ({"generation": 1, "diskFormat": "VHDX", "offloadCompositing": False},
     {"generation": 1, "diskFormat": "VHDX", "offloadCompositing": True}, "VHDX disk format requires"),
    ({"storagePath": "\\\\fs1\\Layers", "uncPath": "\\\\fs1\\VM"},
     {"storagePath": "\\\\fs1\\Layers", "uncPath": "\\\\fs1\\Layers"}, "must be the same location"),
    ({"storagePath": "Layers"}, {"storagePath": "D:\\Hyper-V"}, "must be a local path"),
])
def test_save_applies_the_g2_rules(estate: RunningEstate, bad: dict[str, typing.Any], good: dict[str, typing.Any],
                                   reason: str) -> None:
    api = Api(estate)
    api.login()
    status, body = api.call("POST", "/api/Configurations", config(**bad))
    assert status == 400 and reason in messages(body)
    assert estate.appliances[0].snapshot()["configurations"] == {}
    status, body = api.call("POST", "/api/Configurations", config(**good))
    assert status == 201, body
    assert estate.appliances[0].snapshot()["configurations"][body["id"]]["name"] == "HV gen1"


def test_configuration_lifecycle(estate: RunningEstate) -> None:
    api = Api(estate)
    api.login()
    status, created = api.call("POST", "/api/Configurations", config())
    assert status == 201
    assert api.call("POST", "/api/Configurations", config())[0] == 409
    status, updated = api.call("PUT", f"/api/Configurations/{created['id']}", config(memoryMb=16384))
    assert status == 200 and updated["memoryMb"] == 16384 and updated["id"] == created["id"]
    assert api.call("DELETE", f"/api/Configurations/{created['id']}")[0] == 204
    assert api.call("GET", f"/api/Configurations/{created['id']}")[0] == 404


def test_the_agent_registers_through_its_exe(estate: RunningEstate) -> None:
    api = Api(estate)
    api.login()
    assert api.call("GET", "/api/Agents") == (200, [])
    refused = register(estate, password="wrong")
    assert refused.exit_code == 1 and b"Invalid user name or password" in refused.stderr
    untrusted = register(estate, ignore="false")
    assert untrusted.exit_code == 1 and b"not trusted" in untrusted.stderr
    done = register(estate)
    assert done.exit_code == 0, done.stderr
    agents = api.call("GET", "/api/Agents")[1]
    assert [(a["name"], a["fqdn"], a["machine"]) for a in agents] == [("HV1", "hv1.lab.test", "hv1")]


def test_the_exe_is_missing_without_the_agent(estate: RunningEstate) -> None:
    with estate.world.lock:
        del estate.world.machine("hv1").platform.services["citrix.applayering.agent.service"]
    assert register(estate).exit_code == 9009


def test_verify_passes_on_a_prepared_host(estate: RunningEstate) -> None:
    register(estate)
    api = Api(estate)
    api.login()
    status, result = api.call("POST", "/api/Configurations/verify", config(layerCacheSizeGb=100))
    assert status == 200 and result == {"success": True, "errors": [], "resultingFirmware": "BIOS"}


@pytest.mark.parametrize(("template", "offload", "firmware"), [
    ({"generation": 1}, False, "BIOS"),
    ({"generation": 1}, True, "BIOS"),
    ({"generation": 2}, True, "UEFI"),
    ({"generation": 2, "secure_boot": True}, True, "UEFI secure boot"),
])
def test_verify_reports_the_resulting_firmware(estate: RunningEstate, template: dict[str, typing.Any], offload: bool,
                                               firmware: str) -> None:
    register(estate)
    add_template(estate, "al-template", **template)
    api = Api(estate)
    api.login()
    disk_format = "VHDX" if offload else "VHD"
    result = api.call("POST", "/api/Configurations/verify",
                      config(templateVm="al-template", offloadCompositing=offload, diskFormat=disk_format))[1]
    assert result["success"] is True, result
    assert result["resultingFirmware"] == firmware


@pytest.mark.parametrize(("template", "changes", "reason"), [
    ({"disks": 1}, {}, "must not have any disks attached (1 attached)"),
    ({"nics": 0}, {}, "must have at least one network adapter"),
    ({"generation": 2}, {"offloadCompositing": False}, "bluescreen"),
    (None, {"switch": "vNet-Missing"}, "The network switch 'vNet-Missing' was not found"),
    (None, {"storagePath": "D:\\Nowhere"}, "does not exist"),
    (None, {"storagePath": "Z:\\Layers"}, "mapped drive"),
    (None, {"layerCacheSizeGb": 5000}, "less than the layer disk cache size of 5000 GB"),
    (None, {"storagePath": "D:\\Hyper-V", "uncPath": "\\\\fs1\\Layers"}, "are not the same location"),
])
def test_verify_rejects_what_the_host_cannot_do(estate: RunningEstate, template: dict[str, typing.Any] | None,
                                                changes: dict[str, typing.Any], reason: str) -> None:
    register(estate)
    if template is not None:
        add_template(estate, "al-template", **template)
        changes = {"templateVm": "al-template", **changes}
    api = Api(estate)
    api.login()
    result = api.call("POST", "/api/Configurations/verify", config(**changes))[1]
    assert result["success"] is False and reason in messages(result)


def test_verify_unc_storage_on_the_file_server(estate: RunningEstate) -> None:
    register(estate)
    api = Api(estate)
    api.login()
    result = api.call("POST", "/api/Configurations/verify",
                      config(storagePath="\\\\fs1\\Layers", uncPath="\\\\fs1\\Layers", layerCacheSizeGb=10))[1]
    assert result["success"] is True, result


def test_verify_needs_the_agent_and_bits(estate: RunningEstate) -> None:
    api = Api(estate)
    api.login()
    unregistered = api.call("POST", "/api/Configurations/verify", config())[1]
    assert "Agent HV1 is not registered" in messages(unregistered)
    register(estate)
    platform = estate.world.machine("hv1").platform
    with estate.world.lock:
        platform.services["citrix.applayering.agent.service"].status = "Stopped"
        platform.services["bits"].start_type = "Disabled"
    result = api.call("POST", "/api/Configurations/verify", config())[1]
    assert "is not running" in messages(result) and "BITS is not available" in messages(result)
    assert estate.appliances[0].state.verifications == 2
