"""The appliance's SOAP endpoint (/Unidesk.Web/API.asmx): Login, Logout and the agent's RegisterAgent.

Faults come back as HTTP 200 with an Error element in the result, as the real appliance does.
"""

from __future__ import annotations

import typing
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from hvsim.appliance.state import Agent, ApplianceState

SOAP_PATH = "/Unidesk.Web/API.asmx"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
API_NS = "http://www.unidesk.com/"


def _envelope(operation: str, inner: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
            f'<{operation}Response xmlns="{API_NS}"><{operation}Result>{inner}</{operation}Result>'
            f'</{operation}Response></soap:Body></soap:Envelope>').encode()


def _error(operation: str, message: str) -> bytes:
    return _envelope(operation, f"<Error><Message>{escape(message)}</Message></Error>")


def _arguments(body: bytes) -> tuple[str, dict[str, str]]:
    root = ET.fromstring(body)
    soap_body = root.find(f"{{{SOAP_NS}}}Body")
    if soap_body is None or not len(soap_body):
        raise ValueError("no SOAP body")
    call = soap_body[0]
    operation = call.tag.split("}")[-1]
    return operation, {child.tag.split("}")[-1]: child.text or "" for child in call}


def handle_soap(state: ApplianceState, body: bytes, session_token: str | None) -> bytes:
    """Answer one SOAP request; always HTTP 200."""
    try:
        operation, args = _arguments(body)
    except (ET.ParseError, ValueError) as exc:
        return _error("Unknown", f"The request is not a SOAP call: {exc}")
    if operation == "Login":
        token = state.login(args.get("userName", ""), args.get("password", ""))
        if token is None:
            return _error("Login", "Invalid user name or password.")
        return _envelope("Login", f"<SessionToken>{token}</SessionToken>")
    if operation == "Logout":
        state.logout(session_token or "")
        return _envelope("Logout", "")
    if operation == "RegisterAgent":
        if state.login(args.get("userName", ""), args.get("password", "")) is None:
            return _error("RegisterAgent", "Invalid user name or password.")
        agent = Agent(name=args.get("agentName", "").upper(), fqdn=args.get("fqdn", ""),
                      address=args.get("address", ""), machine=args.get("machine", ""))
        if not agent.name or not agent.machine:
            return _error("RegisterAgent", "agentName and machine are required.")
        state.register_agent(agent)
        return _envelope("RegisterAgent", f"<AgentName>{escape(agent.name)}</AgentName>")
    return _error(operation, f"Unknown operation {operation}.")


def register_agent_request(user: str, password: str, agent: dict[str, typing.Any]) -> bytes:
    """The RegisterAgent call the agent's exe sends."""
    fields = {"userName": user, "password": password, **{k: str(v) for k, v in agent.items()}}
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
            f'<RegisterAgent xmlns="{API_NS}">{inner}</RegisterAgent></soap:Body></soap:Envelope>').encode()
