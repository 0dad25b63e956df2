"""WS-Management SOAP envelopes: parse requests, build responses and faults (MS-WSMV)."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "wsmv": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "xml": "http://www.w3.org/XML/1998/namespace",
    "wsen": "http://schemas.xmlsoap.org/ws/2004/09/enumeration",
    "pwsh": "http://schemas.microsoft.com/powershell",
}
for _prefix, _uri in NS.items():
    if _prefix != "xml":
        ET.register_namespace(_prefix, _uri)

TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
ACTION_CREATE = f"{TRANSFER}/Create"
ACTION_DELETE = f"{TRANSFER}/Delete"
ACTION_GET = f"{TRANSFER}/Get"
ACTION_COMMAND = f"{SHELL}/Command"
ACTION_SEND = f"{SHELL}/Send"
ACTION_RECEIVE = f"{SHELL}/Receive"
ACTION_SIGNAL = f"{SHELL}/Signal"
ACTION_DISCONNECT = f"{SHELL}/Disconnect"
ACTION_RECONNECT = f"{SHELL}/Reconnect"
ACTION_CONNECT = f"{SHELL}/Connect"
ACTION_ENUMERATE = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
RESOURCE_SHELLS = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
RESOURCE_COMMANDS = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"
STATE_DONE = f"{SHELL}/CommandState/Done"
STATE_RUNNING = f"{SHELL}/CommandState/Running"
SIGNAL_TERMINATE = f"{SHELL}/signal/terminate"
RESOURCE_CMD = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
RESOURCE_POWERSHELL_PREFIX = "http://schemas.microsoft.com/powershell/"

# WS-Management fault codes (MS-WSMV / winerror.h)
ERROR_OPERATION_TIMEOUT = 2150858793
ERROR_SHELL_NOT_FOUND = 2150858843
ERROR_ACCESS_DENIED = 5
ERROR_UNSUPPORTED = 2150858817
ERROR_INVALID_PARAMETER = 87  # a Receive on a cmd shell without a CommandId (test_winrs_fail_poll_process.yml)
ERROR_FILE_NOT_FOUND = 2147942402  # HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)


def q(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"


@dataclass
class Request:
    action: str
    resource_uri: str
    message_id: str
    selectors: dict[str, str]
    options: dict[str, str]
    operation_timeout: float
    body: ET.Element
    envelope: ET.Element = field(repr=False)
    max_envelope: int = 153600  # wsman:MaxEnvelopeSize: the largest response the client accepts (bytes)

    def find(self, path: str) -> ET.Element | None:
        return self.body.find(path, NS)


class SoapError(Exception):
    """A WS-Management fault to return to the client (HTTP 500)."""

    def __init__(self, code: int, message: str, subcode: str = "w:InternalError", value: str = "s:Receiver") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.value = value


_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


def parse_duration(text: str | None, default: float = 20.0) -> float:
    match = _DURATION.match((text or "").strip())
    if not match:
        return default
    hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_request(data: bytes) -> Request:
    try:
        envelope = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SoapError(2150858778, f"The WS-Management service cannot process the request because the XML is invalid: {exc}",
                        subcode="w:SchemaValidationError", value="s:Sender") from exc
    header = envelope.find("s:Header", NS)
    body = envelope.find("s:Body", NS)
    if header is None or body is None:
        raise SoapError(2150858778, "The SOAP envelope has no Header or Body.", subcode="w:SchemaValidationError",
                        value="s:Sender")

    def text(path: str) -> str:
        element = header.find(path, NS)
        return (element.text or "").strip() if element is not None else ""

    selectors = {item.attrib.get("Name", ""): (item.text or "") for item in header.findall("wsman:SelectorSet/wsman:Selector", NS)}
    options = {item.attrib.get("Name", ""): (item.text or "") for item in header.findall("wsman:OptionSet/wsman:Option", NS)}
    return Request(
        action=text("wsa:Action"),
        resource_uri=text("wsman:ResourceURI"),
        message_id=text("wsa:MessageID"),
        selectors=selectors,
        options=options,
        operation_timeout=parse_duration(text("wsman:OperationTimeout")),
        body=body,
        max_envelope=int(text("wsman:MaxEnvelopeSize") or 153600),
        envelope=envelope,
    )


def _envelope(action: str, relates_to: str) -> tuple[ET.Element, ET.Element]:
    envelope = ET.Element(q("s", "Envelope"))
    header = ET.SubElement(envelope, q("s", "Header"))
    ET.SubElement(header, q("wsa", "Action")).text = action
    ET.SubElement(header, q("wsa", "MessageID")).text = f"uuid:{str(uuid.uuid4()).upper()}"
    ET.SubElement(header, q("wsa", "To")).text = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
    ET.SubElement(header, q("wsa", "RelatesTo")).text = relates_to
    body = ET.SubElement(envelope, q("s", "Body"))
    return envelope, body


def response(request: Request, action: str | None = None) -> tuple[ET.Element, ET.Element]:
    """A response envelope for ``request`` and its (empty) Body to fill."""
    return _envelope(action or f"{request.action}Response", request.message_id)


def to_bytes(envelope: ET.Element) -> bytes:
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=False)


def fault(error: SoapError, machine: str, relates_to: str = "") -> bytes:
    envelope, body = _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to)
    fault_el = ET.SubElement(body, q("s", "Fault"))
    code = ET.SubElement(fault_el, q("s", "Code"))
    ET.SubElement(code, q("s", "Value")).text = error.value
    subcode = ET.SubElement(code, q("s", "Subcode"))
    ET.SubElement(subcode, q("s", "Value")).text = error.subcode
    reason = ET.SubElement(fault_el, q("s", "Reason"))
    reason_text = ET.SubElement(reason, q("s", "Text"))
    reason_text.set(q("xml", "lang"), "en-US")
    reason_text.text = error.message
    detail = ET.SubElement(fault_el, q("s", "Detail"))
    wsman_fault = ET.SubElement(detail, q("f", "WSManFault"), {"Code": str(error.code), "Machine": machine})
    ET.SubElement(wsman_fault, q("f", "Message")).text = error.message
    return to_bytes(envelope)
