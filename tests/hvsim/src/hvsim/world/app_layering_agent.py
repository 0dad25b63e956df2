"""The Citrix App Layering Agent's executable on a Hyper-V host: ``registerwithelm``.

The agent is installed when its service is on the machine (estate: ``platform: services:``). It
registers by calling the appliance's SOAP API over HTTPS, as the real agent does, so a wrong
password, an unreachable appliance or an untrusted certificate fail the way they would.
"""

from __future__ import annotations

import ssl
import typing
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from hvsim.contract import NativeResult, Principal
from hvsim.engine.api import native

AGENT_EXE = "citrix.applayering.agent.service.exe"
AGENT_SERVICE = "Citrix.AppLayering.Agent.Service"
APPLIANCE_PORT = 443
USAGE = ("Usage: Citrix.AppLayering.Agent.Service.exe registerwithelm /elmaddress:<address> /user:<user> "
         "/password:<password> [/ignorecerterrors:true|false]\r\n")


def _options(argv: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for argument in argv:
        if argument.startswith("/") and ":" in argument:
            name, value = argument[1:].split(":", 1)
            options[name.lower()] = value
    return options


def _fail(message: str, code: int = 1) -> NativeResult:
    return NativeResult(stdout=b"", stderr=(message.rstrip() + "\r\n").encode(), exit_code=code)


def _register(address: str, body: bytes, ignore_cert_errors: bool) -> str:
    """POST RegisterAgent to the appliance; returns the fault message, or "" on success."""
    context = ssl.create_default_context()
    if ignore_cert_errors:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(f"https://{address}:{APPLIANCE_PORT}/Unidesk.Web/API.asmx", data=body,
                                     headers={"Content-Type": "text/xml; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, context=context, timeout=10) as response:  # nosec: loopback only
        root = ET.fromstring(response.read())
    message = next((element.text or "" for element in root.iter() if element.tag.endswith("Message")), None)
    return message if message is not None else ""


@native(AGENT_EXE)
def agent_exe(principal: Principal, world: typing.Any, argv: list[str]) -> NativeResult:
    from hvsim.appliance.soap import register_agent_request  # pylint: disable=import-outside-toplevel

    machine = world.machines[principal.machine]
    if AGENT_SERVICE.lower() not in machine.platform.services:
        return _fail("'Citrix.AppLayering.Agent.Service.exe' is not recognized as an internal or external command,"
                     "\r\noperable program or batch file.", 9009)
    if not argv or argv[0].lower() != "registerwithelm":
        return _fail(USAGE)
    options = _options(argv[1:])
    missing = [name for name in ("elmaddress", "user", "password") if not options.get(name)]
    if missing:
        return _fail(f"Missing {', '.join('/' + name for name in missing)}.\r\n{USAGE}")
    appliance = world.machine(options["elmaddress"])
    if appliance is None or appliance.role != "appliance":
        return _fail(f"Failed to register with {options['elmaddress']}: the appliance could not be reached.")
    body = register_agent_request(options["user"], options["password"], {
        "agentName": machine.netbios, "fqdn": machine.fqdn, "address": machine.address, "machine": machine.name})
    ignore = options.get("ignorecerterrors", "false").lower() == "true"
    try:
        fault = _register(appliance.address, body, ignore)
    except urllib.error.URLError as exc:
        reason = exc.reason if isinstance(exc.reason, str) else str(exc.reason)
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            reason = "the appliance's certificate is not trusted (use /ignorecerterrors:true or install its CA)"
        return _fail(f"Failed to register with {options['elmaddress']}: {reason}")
    if fault:
        return _fail(f"Failed to register with {options['elmaddress']}: {fault}")
    return NativeResult(stdout=f"The agent is registered with the appliance {options['elmaddress']}.\r\n".encode(),
                        stderr=b"", exit_code=0)
