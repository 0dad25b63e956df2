# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WinRM connection options: the argument spec every module shares, and their resolution.

FOR INTERNAL COLLECTION USE ONLY. The documentation of these options is the
``winvirt.hyperv.connection`` doc fragment; keep both in step.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._env import env_fallback

AUTH_CHOICES = ["negotiate", "ntlm", "kerberos", "credssp", "certificate", "basic"]


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """The options of the ``winvirt.hyperv.connection`` fragment, with their HYPERV_* fallbacks."""
    return {
        "hostname": {"type": "str", "required": True, "aliases": ["host"], "fallback": (env_fallback, ["HYPERV_HOST"])},
        "port": {"type": "int", "fallback": (env_fallback, ["HYPERV_PORT"])},
        "username": {"type": "str", "aliases": ["user"], "fallback": (env_fallback, ["HYPERV_USER"])},
        "password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["HYPERV_PASSWORD"])},
        "auth": {"type": "str", "choices": AUTH_CHOICES, "default": "negotiate", "fallback": (env_fallback, ["HYPERV_AUTH"])},
        "ssl": {"type": "bool", "default": False, "fallback": (env_fallback, ["HYPERV_SSL"])},
        "cert_validation": {"type": "bool", "default": True, "fallback": (env_fallback, ["HYPERV_CERT_VALIDATION"])},
        "ca_trust_path": {"type": "path", "fallback": (env_fallback, ["HYPERV_CA_TRUST_PATH"])},
        "certificate_pem": {"type": "path", "fallback": (env_fallback, ["HYPERV_CERTIFICATE_PEM"])},
        "certificate_key_pem": {"type": "path", "no_log": False, "fallback": (env_fallback, ["HYPERV_CERTIFICATE_KEY_PEM"])},
        "connection_timeout": {"type": "int", "default": 30, "fallback": (env_fallback, ["HYPERV_CONNECTION_TIMEOUT"])},
        "operation_timeout": {"type": "int", "default": 20, "fallback": (env_fallback, ["HYPERV_OPERATION_TIMEOUT"])},
        "read_timeout": {"type": "int", "default": 30, "fallback": (env_fallback, ["HYPERV_READ_TIMEOUT"])},
        "command_timeout": {"type": "int", "default": 1800, "fallback": (env_fallback, ["HYPERV_COMMAND_TIMEOUT"])},
        "proxy": {"type": "str", "no_log": True, "fallback": (env_fallback, ["HYPERV_PROXY"])},  # may hold user:password
    }


# Options a second host may override; the rest always come from the first host.
DESTINATION_OVERRIDABLE = ("port", "username", "password", "auth", "ssl", "cert_validation", "ca_trust_path")


def destination_argument_spec() -> dict[str, dict[str, t.Any]]:
    """The ``destination`` option of the ``winvirt.hyperv.connection.destination`` fragment."""
    base = connection_argument_spec()
    suboptions: dict[str, dict[str, t.Any]] = {"hostname": {"type": "str", "required": True}}
    for name in DESTINATION_OVERRIDABLE:
        option = {key: value for key, value in base[name].items() if key in ("type", "choices", "no_log")}
        suboptions[name] = option
    return {"destination": {"type": "dict", "options": suboptions}}


@dataclasses.dataclass(frozen=True)
class ConnectionOptions:
    hostname: str
    port: int
    username: str | None
    password: str | None = dataclasses.field(repr=False)
    auth: str
    ssl: bool
    cert_validation: bool
    ca_trust_path: str | None
    certificate_pem: str | None
    certificate_key_pem: str | None
    connection_timeout: int
    operation_timeout: int
    read_timeout: int
    proxy: str | None
    command_timeout: int = 1800  # seconds one batch may run on the host before it is stopped

    @property
    def endpoint(self) -> str:
        scheme = "https" if self.ssl else "http"
        return f"{scheme}://{self.hostname}:{self.port}/wsman"


class ConnectionOptionsError(ValueError):
    """The options cannot work together; raised before any connection is tried."""


def resolve_connection(params: t.Mapping[str, t.Any]) -> ConnectionOptions:
    """Turn validated module parameters into ConnectionOptions, checking combinations."""
    ssl = bool(params["ssl"])
    port = params.get("port") or (5986 if ssl else 5985)
    auth = params["auth"]
    problems: list[str] = []
    if not 1 <= int(port) <= 65535:
        problems.append(f"port must be a TCP port from 1 to 65535, not {port}")
    if auth == "basic" and not ssl:
        problems.append("auth=basic sends the password in clear text; WinRM refuses it over HTTP: set ssl=true")
    if auth == "certificate":
        if not ssl:
            problems.append("auth=certificate needs ssl=true")
        if not params.get("certificate_pem") or not params.get("certificate_key_pem"):
            problems.append("auth=certificate needs certificate_pem and certificate_key_pem")
    elif not params.get("username"):
        problems.append(f"auth={auth} needs username (or the HYPERV_USER environment variable)")
    if params["read_timeout"] <= params["operation_timeout"]:
        problems.append(
            f"read_timeout ({params['read_timeout']}) must be greater than operation_timeout ({params['operation_timeout']})"
        )
    if params.get("command_timeout", 1800) <= 0:
        problems.append(f"command_timeout ({params['command_timeout']}) must be a positive number of seconds")
    if problems:
        raise ConnectionOptionsError(f"Invalid connection options for {params['hostname']}: " + "; ".join(problems))
    return ConnectionOptions(
        hostname=params["hostname"],
        port=int(port),
        username=params.get("username"),
        password=params.get("password"),
        auth=auth,
        ssl=ssl,
        cert_validation=bool(params["cert_validation"]),
        ca_trust_path=params.get("ca_trust_path") or None,  # an empty value (an unset AWX field) is no CA file
        certificate_pem=params.get("certificate_pem"),
        certificate_key_pem=params.get("certificate_key_pem"),
        connection_timeout=params["connection_timeout"],
        operation_timeout=params["operation_timeout"],
        read_timeout=params["read_timeout"],
        proxy=params.get("proxy"),
        command_timeout=int(params.get("command_timeout") or 1800),
    )


def resolve_destination(params: t.Mapping[str, t.Any], key: str = "destination") -> ConnectionOptions | None:
    """The second host's options: its own values where given, the first host's otherwise."""
    overrides = params.get(key)
    if not overrides:
        return None
    merged = dict(params)
    merged["hostname"] = overrides["hostname"]
    if overrides.get("ssl") is not None and overrides.get("port") is None:
        merged["port"] = None  # follow the destination's own ssl choice for the default port
    for name in DESTINATION_OVERRIDABLE:
        if overrides.get(name) is not None:
            merged[name] = overrides[name]
    return resolve_connection(merged)
