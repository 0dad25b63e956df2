"""TEST of a Hyper-V connector configuration: the appliance asks the agent's host, here the simulated world.

Each check reads the state the estate really has (the agent's service, BITS, the switch, the
template VM, the storage location), never a flag in the request.
"""

from __future__ import annotations

import typing

from hvsim.appliance.rules import Problem, check_fields
from hvsim.appliance.state import ApplianceState
from hvsim.world.filesystem import FsError, is_unc, path_key, resolve

if typing.TYPE_CHECKING:
    from hvsim.world.model import Machine, World

AGENT_SERVICE = "Citrix.AppLayering.Agent.Service"
GIB = 1024 ** 3


def _problem(name: str, message: str) -> Problem:
    return {"field": name, "message": message}


def template_firmware(machine: Machine, name: str) -> tuple[str | None, list[Problem]]:
    """The firmware a template VM gives published VMs (BIOS, UEFI, UEFI secure boot), and its problems."""
    vms = [vm for vm in machine.hyperv.vms.values() if vm.name.lower() == name.lower()]
    if len(vms) != 1:
        found = "was not found" if not vms else f"is not unique ({len(vms)} virtual machines have that name)"
        return None, [_problem("templateVm", f"The template virtual machine '{name}' {found} on {machine.fqdn}.")]
    vm = vms[0]
    problems = []
    if not vm.adapters:
        problems.append(_problem("templateVm", f"The template virtual machine '{name}' must have at least one network "
                                               "adapter."))
    if vm.hard_drives:
        problems.append(_problem("templateVm", f"The template virtual machine '{name}' must not have any disks "
                                               f"attached ({len(vm.hard_drives)} attached)."))
    if vm.generation == 1:
        return "BIOS", problems
    return ("UEFI secure boot" if vm.secure_boot else "UEFI"), problems


def _storage_problems(world: World, host: Machine, config: dict[str, typing.Any]) -> list[Problem]:
    storage = str(config["storagePath"])
    if not is_unc(storage) and host.fs.volume_of(storage) is None:
        return [_problem("storagePath", f"Storage path {storage} is on a mapped drive or a drive {host.fqdn} does "
                                        "not have; use the UNC path of the location instead.")]
    try:
        server, local = resolve(world, host, storage)
    except FsError:
        return [_problem("storagePath", f"Storage path {storage} cannot be reached from {host.fqdn}.")]
    if not server.fs.is_dir(local):
        return [_problem("storagePath", f"Storage path {storage} does not exist.")]
    problems = []
    cache_bytes = int(config.get("layerCacheSizeGb") or 0) * GIB
    if cache_bytes and server.fs.free_space(local) < cache_bytes:
        free_gb = server.fs.free_space(local) // GIB
        problems.append(_problem("layerCacheSizeGb", f"Storage path {storage} has {free_gb} GB free, less than the "
                                                      f"layer disk cache size of {config['layerCacheSizeGb']} GB."))
    unc = str(config.get("uncPath") or "")
    if unc:
        try:
            unc_server, unc_local = resolve(world, host, unc)
        except FsError:
            return [*problems, _problem("uncPath", f"UNC path {unc} cannot be reached.")]
        if (unc_server.name, path_key(unc_local)) != (server.name, path_key(local)):
            problems.append(_problem("storagePath", f"Storage path {storage} and UNC path {unc} are not the same "
                                                    "location."))
    return problems


def verify(world: World, appliance: ApplianceState, config: dict[str, typing.Any]) -> dict[str, typing.Any]:
    """TEST: ``{"success", "errors", "resultingFirmware"}`` for ``config`` against the world."""
    with appliance.lock:
        appliance.verifications += 1
    problems = check_fields(config)
    if problems:
        return {"success": False, "errors": problems, "resultingFirmware": None}
    agent = appliance.find_agent(str(config["agent"]))
    if agent is None:
        return {"success": False, "errors": [_problem("agent", f"Agent {config['agent']} is not registered with this "
                                                                "appliance.")], "resultingFirmware": None}
    with world.lock:
        host = world.machine(agent.machine)
        if host is None or host.platform is None or not host.platform.is_reachable():
            return {"success": False, "errors": [_problem("agent", f"Agent {agent.name} cannot be reached.")],
                    "resultingFirmware": None}
        service = host.platform.services.get(AGENT_SERVICE.lower())
        if service is None or service.status != "Running":
            problems.append(_problem("agent", f"The App Layering Agent service on {agent.fqdn} is not running."))
        bits = host.platform.services.get("bits")
        if bits is None or bits.start_type == "Disabled":
            problems.append(_problem("agent", f"BITS is not available on {agent.fqdn}; disk transfers need it."))
        switches = [s for s in host.hyperv.switches.values() if s.name.lower() == str(config["switch"]).lower()]
        if len(switches) != 1:
            problems.append(_problem("switch", f"The network switch '{config['switch']}' was not found on "
                                               f"{agent.fqdn}." if not switches else
                                               f"The network switch '{config['switch']}' is not unique."))
        firmware = "BIOS"
        if config.get("templateVm"):
            found, template_problems = template_firmware(host, str(config["templateVm"]))
            problems += template_problems
            firmware = found or firmware
            if found and found.startswith("UEFI") and not config.get("offloadCompositing"):
                problems.append(_problem("offloadCompositing", "A UEFI template virtual machine without Offload "
                                                               "Compositing produces a virtual machine that fails to "
                                                               "boot (bluescreen). Enable Offload Compositing."))
        problems += _storage_problems(world, host, config)
    return {"success": not problems, "errors": problems, "resultingFirmware": firmware}
