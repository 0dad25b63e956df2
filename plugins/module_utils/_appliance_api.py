# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client of the Citrix App Layering appliance (ELM) for Hyper-V connector configurations.

FOR INTERNAL COLLECTION USE ONLY.

Citrix publishes no REST API for the appliance. What this client calls, and which parts are not
documented by the vendor, is listed in docs/app_layering.md:
- SOAP ``https://<elm>/Unidesk.Web/API.asmx`` ``Login`` (session token) and ``Logout``;
- the Hyper-V connector's JSON API ``https://<elm>:3512/api/Configurations`` (GET/POST/PUT/DELETE),
  ``/api/Configurations/verify`` (TEST) and ``/api/Agents``, with the token in a ``SessionToken`` header.
Certificates are validated unless the user turns that off; the password never leaves this object
except in the Login body.
"""

from __future__ import annotations

import json
import typing as t
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import SSLValidationError, open_url

SOAP_PATH = "/Unidesk.Web/API.asmx"
SESSION_HEADER = "SessionToken"
_SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_API_NS = "http://www.unidesk.com/"
_CERT_HINT = ("trust the appliance's certificate with appliance.ca_path (its CA in PEM), or set "
              "appliance.validate_certs=false for a self-signed appliance you accept")


class ApplianceError(Exception):
    """A failed appliance call: what, where, why, and a hint."""

    def __init__(self, address: str, doing: str, message: str, *, status: int | None = None,
                 details: list[str] | None = None, hint: str | None = None) -> None:
        self.address = address
        self.doing = doing
        self.message = message
        self.status = status
        self.details = details or []
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"appliance {self.address}: {self.doing} failed: {self.message}"
        if self.details:
            text += " " + "; ".join(self.details)
        if self.hint:
            text += f" Hint: {self.hint}"
        return text


class ApplianceClient:
    def __init__(self, address: str, username: str, password: str, *, validate_certs: bool = True,
                 ca_path: str | None = None, management_port: int = 443, connector_port: int = 3512,
                 timeout: int = 30) -> None:
        self.address = address
        self._username = username
        self._password = password
        self._validate_certs = validate_certs
        self._ca_path = ca_path
        self._management = f"https://{address}:{management_port}"
        self._connector = f"https://{address}:{connector_port}"
        self._timeout = timeout
        self._token: str | None = None
        self.calls = 0

    # -- transport ---------------------------------------------------------------------------
    def _open(self, doing: str, url: str, method: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        self.calls += 1
        try:
            response = open_url(url, data=body, method=method, headers=headers, validate_certs=self._validate_certs,
                                ca_path=self._ca_path, timeout=self._timeout, use_proxy=False)
            return response.getcode(), response.read()
        except HTTPError as err:
            return err.code, err.read() or b""
        except SSLValidationError as err:
            raise ApplianceError(self.address, doing, f"the certificate is not trusted: {err}", hint=_CERT_HINT) from err
        except URLError as err:
            reason = str(err.reason)
            reachability = "check the address and that ports 443 and 3512 are reachable from the controller"
            hint = _CERT_HINT if "certificate" in reason.lower() else reachability
            raise ApplianceError(self.address, doing, f"cannot reach the appliance: {reason}", hint=hint) from err
        except OSError as err:
            raise ApplianceError(self.address, doing, f"cannot reach the appliance: {err}") from err

    def _soap(self, operation: str, arguments: dict[str, str]) -> ET.Element:
        inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in arguments.items())
        body = (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{_SOAP_NS}"><soap:Body>'
                f'<{operation} xmlns="{_API_NS}">{inner}</{operation}></soap:Body></soap:Envelope>').encode()
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{_API_NS}{operation}"'}
        if self._token:
            headers[SESSION_HEADER] = self._token
        status, raw = self._open(operation, self._management + SOAP_PATH, "POST", body, headers)
        if status != 200:
            raise ApplianceError(self.address, operation, f"HTTP {status}", status=status)
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as err:
            raise ApplianceError(self.address, operation, f"the answer is not XML: {err}") from err
        for element in root.iter():
            if element.tag.endswith("}Error") or element.tag == "Error":
                message = next((child.text for child in element.iter() if child.tag.endswith("Message")), None)
                raise ApplianceError(self.address, operation, message or "the appliance reported an error")
        return root

    def _json(self, doing: str, method: str, path: str, data: t.Any = None) -> tuple[int, t.Any]:
        if self._token is None:
            self.login()
        body = json.dumps(data).encode() if data is not None else None
        headers = {"Content-Type": "application/json", "Accept": "application/json", SESSION_HEADER: self._token or ""}
        status, raw = self._open(doing, self._connector + path, method, body, headers)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = {"message": raw[:300].decode("utf-8", "replace")}
        if status >= 400 and status != 404:
            message = parsed.get("message", f"HTTP {status}") if isinstance(parsed, dict) else f"HTTP {status}"
            errors = parsed.get("errors", []) if isinstance(parsed, dict) else []
            raise ApplianceError(self.address, doing, message, status=status,
                                 details=[f"{e.get('field')}: {e.get('message')}" for e in errors])
        return status, parsed

    # -- session -----------------------------------------------------------------------------
    def login(self) -> None:
        root = self._soap("Login", {"userName": self._username, "password": self._password})
        token = next((e.text for e in root.iter() if e.tag.endswith("SessionToken")), None)
        if not token:
            raise ApplianceError(self.address, "Login", "no session token in the answer")
        self._token = token

    def logout(self) -> None:
        if self._token is not None:
            try:
                self._soap("Logout", {})
            finally:
                self._token = None

    # -- agents and configurations -------------------------------------------------------------
    def agents(self) -> list[dict[str, t.Any]]:
        return list(self._json("list agents", "GET", "/api/Agents")[1] or [])

    def find_configuration(self, name: str) -> dict[str, t.Any] | None:
        configurations = self._json("list connector configurations", "GET", "/api/Configurations")[1] or []
        return next((c for c in configurations if str(c.get("name", "")).lower() == name.lower()), None)

    def create(self, data: dict[str, t.Any]) -> dict[str, t.Any]:
        return dict(self._json("create the connector configuration", "POST", "/api/Configurations", data)[1])

    def update(self, config_id: str, data: dict[str, t.Any]) -> dict[str, t.Any]:
        status, body = self._json("update the connector configuration", "PUT", f"/api/Configurations/{config_id}", data)
        if status == 404:
            raise ApplianceError(self.address, "update the connector configuration", "it was deleted meanwhile")
        return dict(body)

    def delete(self, config_id: str) -> None:
        self._json("delete the connector configuration", "DELETE", f"/api/Configurations/{config_id}")

    def verify(self, data: dict[str, t.Any]) -> dict[str, t.Any]:
        """TEST: ``{"success", "errors": [{"field", "message"}], "resultingFirmware"}``."""
        return dict(self._json("TEST the connector configuration", "POST", "/api/Configurations/verify", data)[1])
