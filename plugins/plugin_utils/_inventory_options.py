# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module connection options from the inventory's own psrp / winrm connection variables.

FOR INTERNAL COLLECTION USE ONLY (the action plugin calls it on the controller).

A host with ``ansible_connection: psrp`` (or ``winrm``) already says how to reach it: ``ansible_host``,
``ansible_user``, ``ansible_password``, ``ansible_port`` and the ``ansible_psrp_*`` / ``ansible_winrm_*``
variables. These are read through ansible-core's own connection plugin (its option definitions decide which
variables count, their precedence, templating and types: ``ansible/plugins/connection/psrp.py`` and
``winrm.py`` DOCUMENTATION), then translated into this collection's options (``module_utils/_connection.py``).
Only options the task does not set are added, so task arguments and ``module_defaults`` win. The
translation follows each plugin's own semantics:

- psrp: ``protocol`` defaults to https unless ``port`` is 5985; ``port`` defaults to 5986 for https and 5985
  for http; ``cert_validation: ignore`` turns validation off (``ca_cert`` is then ignored).
- winrm: ``port`` defaults to 5986; ``ansible_winrm_scheme`` defaults to http only for port 5985;
  ``ansible_winrm_transport`` is a list tried in order (the first one these modules speak is used:
  ``plaintext`` is Basic over HTTP, ``ssl`` is a client certificate when one is given and Basic otherwise);
  the other ``ansible_winrm_<name>`` variables are pywinrm's ``Protocol`` arguments
  (``server_cert_validation``, ``ca_trust_path``, ``cert_pem``, ``cert_key_pem``, ``proxy``,
  ``read_timeout_sec``, ``operation_timeout_sec``); ``ansible_winrm_connection_timeout`` sets the operation
  timeout and a read timeout 10 seconds longer, as the winrm plugin does.
"""

from __future__ import annotations

import typing as t

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.winvirt.hyperv.plugins.module_utils._connection import (
    DESTINATION_OVERRIDABLE,
    connection_argument_spec,
)

# The connection plugins whose variables describe a WinRM endpoint, by the names a play may use.
_KINDS = {
    "psrp": "psrp", "ansible.builtin.psrp": "psrp", "ansible.legacy.psrp": "psrp",
    "winrm": "winrm", "ansible.builtin.winrm": "winrm", "ansible.legacy.winrm": "winrm",
}

# pywinrm transports -> this collection's auth (None: decided by whether a client certificate is given).
_WINRM_TRANSPORTS: dict[str, str | None] = {
    "negotiate": "negotiate", "ntlm": "ntlm", "kerberos": "kerberos", "credssp": "credssp",
    "certificate": "certificate", "basic": "basic", "plaintext": "basic", "ssl": None,
}

# Connection variables that change how the host authenticates or which endpoint answers, which these
# modules cannot follow; a host that sets them gets a warning instead of a silent difference.
_PSRP_UNFOLLOWED = {
    "path": "wsman", "configuration_name": "Microsoft.PowerShell", "negotiate_hostname_override": None,
    "negotiate_service": "WSMAN", "negotiate_delegate": None, "credssp_auth_mechanism": "auto",
}
_WINRM_UNFOLLOWED = ("path", "kerberos_hostname_override", "kerberos_delegation", "service", "realm")
_WINRM_FOLLOWED = ("server_cert_validation", "ca_trust_path", "cert_pem", "cert_key_pem", "proxy",
                   "read_timeout_sec", "operation_timeout_sec", "transport", "scheme", "host", "user", "pass",
                   "password", "port", "connection_timeout")


class InventoryOptionsError(ValueError):
    """A connection variable this collection cannot translate; the message names the host and the variable."""


def connection_kind(name: t.Any) -> str | None:
    """``psrp`` or ``winrm`` for a connection plugin name (or a loaded plugin), None for any other."""
    load_name = getattr(name, "_load_name", name)
    if not isinstance(load_name, str):
        return None
    return _KINDS.get(load_name.rsplit(".plugins.connection.", 1)[-1] if ".plugins.connection." in load_name else load_name)


def connection_options_from_vars(
    task_vars: t.Mapping[str, t.Any],
    task_args: t.Mapping[str, t.Any],
    *,
    templar: t.Any = None,
    connection: t.Any = None,
) -> dict[str, t.Any]:
    """The options to ADD to ``task_args``: the host's WinRM settings from its psrp / winrm variables.

    ``connection`` is the task's connection plugin as the task executor configured it (the action plugin's
    ``self._connection``): its options already hold the templated variables, delegation and keywords. Without
    it the plugin is loaded and configured from ``task_vars`` (``ansible_connection`` decides which), which
    needs ``templar`` (the action plugin's ``self._templar``) to resolve templated values. Returns ``{}``
    when the task's connection is not psrp or winrm: ``connection: local`` and ``delegate_to: localhost`` keep
    their explicit options alone, even on a host whose own variables say psrp.
    """
    if connection is not None and not isinstance(connection, str):
        if connection_kind(connection) is None:
            return {}
        plugin = connection
    else:
        name = connection if isinstance(connection, str) else _template(templar, task_vars.get("ansible_connection"))
        if connection_kind(name) is None:
            return {}
        plugin = configured_plugin(name, task_vars, templar)
    options = options_from_plugin(plugin, _host_label(task_vars))
    return {name: value for name, value in options.items() if not _given(task_args, name, linked=True)}


def inventory_args(
    task_args: t.Mapping[str, t.Any],
    task_vars: t.Mapping[str, t.Any],
    *,
    templar: t.Any,
    connection: t.Any = None,
) -> tuple[dict[str, t.Any], list[str]]:
    """The module's arguments for the inventory form, and warnings: ``task_args`` with the host's connection
    options where the task sets none (``connection_options_from_vars``), a ``destination`` named by its inventory
    name resolved from hostvars (``second_host_options``), and a warning naming the connection variables the
    host sets that the modules cannot follow. Raises InventoryOptionsError for a variable it cannot translate."""
    args = dict(task_args)
    for name, value in connection_options_from_vars(task_vars, args, templar=templar, connection=connection).items():
        args.setdefault(name, value)
    args.update(second_host_options(task_vars, args, templar=templar))
    args.update(domain_controller_option(task_vars, args, templar=templar))
    warnings: list[str] = []
    if connection is not None and connection_kind(connection) is not None:
        unfollowed = unfollowed_variables(connection)
        if unfollowed:
            warnings.append(
                f"{_host_label(task_vars)}: winvirt.hyperv modules connect to the host themselves and do not follow "
                f"{', '.join(unfollowed)}; set what the module needs in its options (see its connection options)"
            )
    return args, warnings


def configured_plugin(name: str, variables: t.Mapping[str, t.Any], templar: t.Any) -> t.Any:
    """ansible-core's psrp / winrm connection plugin with its options set from ``variables``, the way the task
    executor sets them (``_resolve_option_variables`` templates each variable the plugin defines). It is
    never connected."""
    from ansible.playbook.play_context import PlayContext  # pylint: disable=import-outside-toplevel
    from ansible.plugins.loader import connection_loader  # pylint: disable=import-outside-toplevel

    if templar is None:
        raise TypeError("a templar is needed to resolve connection variables")
    plugin = connection_loader.get(f"ansible.builtin.{connection_kind(name)}", PlayContext(), None)
    plugin.set_options(var_options=_var_options(plugin, variables, templar))
    return plugin


def _var_options(plugin: t.Any, variables: t.Mapping[str, t.Any], templar: t.Any) -> dict[str, t.Any]:
    """The templated variables ``plugin`` defines, and its ``_extras`` (``ansible_winrm_*``)."""
    resolve = getattr(plugin, "_resolve_option_variables", None)
    if resolve is not None:  # ansible-core 2.17 and later
        return t.cast(dict[str, t.Any], resolve(variables, templar))
    from ansible import constants as C  # pylint: disable=import-outside-toplevel

    # ansible-core 2.16's TaskExecutor._set_connection_options, which this replaced
    options: dict[str, t.Any] = {"_extras": {}}
    for name in C.config.get_plugin_vars("connection", plugin._load_name):  # pylint: disable=protected-access
        if name in variables:
            options[name] = templar.template(variables[name])
    if getattr(plugin, "allow_extras", False):
        prefix = f"ansible_{plugin.extras_prefix}_"
        for name in variables:
            if name.startswith(prefix) and name not in options:
                options["_extras"][name] = templar.template(variables[name])
    return options


def options_from_plugin(plugin: t.Any, host: str = "the host") -> dict[str, t.Any]:
    """Every option a configured psrp / winrm plugin states, as this collection's options."""
    kind = connection_kind(plugin)
    if kind == "psrp":
        return _from_psrp(plugin, host)
    if kind == "winrm":
        return _from_winrm(plugin, host)
    raise InventoryOptionsError(f"{host}: {getattr(plugin, '_load_name', plugin)} is not a psrp or winrm connection")


def unfollowed_variables(plugin: t.Any) -> list[str]:
    """The connection variables the host sets that these modules cannot follow (to warn about)."""
    names: list[str] = []
    if connection_kind(plugin) == "psrp":
        for option, default in _PSRP_UNFOLLOWED.items():
            value, origin = _option_and_origin(plugin, option)
            if _is_set(origin) and value is not None and value != default:
                names.append(origin.split(":", 1)[-1].strip())
    elif connection_kind(plugin) == "winrm":
        extras = plugin.get_option("_extras") or {}
        names.extend(f"ansible_winrm_{name}" for name in _WINRM_UNFOLLOWED if f"ansible_winrm_{name}" in extras)
        value, origin = _option_and_origin(plugin, "path")
        if _is_set(origin) and value not in ("/wsman", "wsman"):
            names.append(origin.split(":", 1)[-1].strip())
    return sorted(set(names))


def second_host_options(
    task_vars: t.Mapping[str, t.Any],
    task_args: t.Mapping[str, t.Any],
    *,
    templar: t.Any,
    key: str = "destination",
) -> dict[str, t.Any]:
    """``{key: {...}}`` to replace ``task_args[key]`` when its ``hostname`` is the inventory name of a host
    that uses psrp or winrm: that host's address and the options it sets, for each suboption the task does
    not set. ``{}`` when there is nothing to change (no such option, not an inventory name, or a host reached
    another way)."""
    given = task_args.get(key)
    if not isinstance(given, t.Mapping) or not isinstance(given.get("hostname"), str):
        return {}
    options = _inventory_host_options(task_vars, given["hostname"], templar)
    if options is None:
        return {}
    merged = dict(given)
    merged["hostname"] = options["hostname"]
    for option in DESTINATION_OVERRIDABLE:
        if option in options and not _given(given, option, linked=True):
            merged[option] = options[option]
    return {key: merged}


def domain_controller_option(
    task_vars: t.Mapping[str, t.Any],
    task_args: t.Mapping[str, t.Any],
    *,
    templar: t.Any,
) -> dict[str, t.Any]:
    """``{ldap_server or its alias: address}`` when the domain controller option names an inventory host that
    uses psrp or winrm: that host's address (its ``ansible_host``). Only the address: binding to the directory
    takes the LDAP options' own credentials, never the host's WinRM login. ``{}`` otherwise."""
    for key in ("ldap_server", "domain_controller"):
        name = task_args.get(key)
        if isinstance(name, str) and name:
            options = _inventory_host_options(task_vars, name, templar)
            return {key: options["hostname"]} if options else {}
    return {}


def _inventory_host_options(task_vars: t.Mapping[str, t.Any], name: str, templar: t.Any) -> dict[str, t.Any] | None:
    """The options of the inventory host ``name`` when it uses psrp or winrm, else None."""
    hostvars = task_vars.get("hostvars") or {}
    if name not in hostvars:
        return None
    variables = hostvars[name]
    kind = _template(templar, variables.get("ansible_connection"))
    if connection_kind(kind) is None:
        return None
    return options_from_plugin(configured_plugin(kind, variables, templar), name)


# --- translation ----------------------------------------------------------------------------------------


def _from_psrp(plugin: t.Any, host: str) -> dict[str, t.Any]:
    port = plugin.get_option("port")
    protocol = plugin.get_option("protocol")
    ssl = protocol == "https" if protocol else port != 5985  # psrp: https unless port is 5985
    options: dict[str, t.Any] = {
        "hostname": _text(plugin.get_option("remote_addr")),
        "port": int(port) if port else (5986 if ssl else 5985),
        "ssl": ssl,
    }
    validation = plugin.get_option("cert_validation")
    _put_if_set(options, plugin, "auth", "auth", _text)
    _put_if_set(options, plugin, "remote_user", "username", _text)
    _put_if_set(options, plugin, "remote_password", "password", _text)
    _put_if_set(options, plugin, "cert_validation", "cert_validation", lambda v: _validation(v, host, "cert_validation"))
    if validation != "ignore":
        _put_if_set(options, plugin, "ca_cert", "ca_trust_path", _text)
    _put_if_set(options, plugin, "certificate_pem", "certificate_pem", _text)
    _put_if_set(options, plugin, "certificate_key_pem", "certificate_key_pem", _text)
    _put_if_set(options, plugin, "connection_timeout", "connection_timeout", int)
    _put_if_set(options, plugin, "operation_timeout", "operation_timeout", int)
    _put_if_set(options, plugin, "read_timeout", "read_timeout", int)
    _put_if_set(options, plugin, "proxy", "proxy", _text)
    return options


def _from_winrm(plugin: t.Any, host: str) -> dict[str, t.Any]:
    extras: t.Mapping[str, t.Any] = plugin.get_option("_extras") or {}
    port = int(plugin.get_option("port") or 5986)  # the winrm plugin's default port is 5986 whatever the scheme
    scheme = plugin.get_option("scheme")
    options: dict[str, t.Any] = {
        "hostname": _text(plugin.get_option("remote_addr")),
        "port": port,
        "ssl": scheme == "https" if scheme else port != 5985,
    }
    _put_if_set(options, plugin, "remote_user", "username", _text)
    _put_if_set(options, plugin, "remote_password", "password", _text)
    for extra, option, convert in (
        ("cert_pem", "certificate_pem", _text), ("cert_key_pem", "certificate_key_pem", _text),
        ("proxy", "proxy", _text), ("read_timeout_sec", "read_timeout", int),
        ("operation_timeout_sec", "operation_timeout", int),
    ):
        if extras.get(f"ansible_winrm_{extra}") is not None:
            options[option] = convert(extras[f"ansible_winrm_{extra}"])
    validation = extras.get("ansible_winrm_server_cert_validation")
    if validation is not None:
        options["cert_validation"] = _validation(validation, host, "ansible_winrm_server_cert_validation")
    if extras.get("ansible_winrm_ca_trust_path") is not None and options.get("cert_validation", True):
        options["ca_trust_path"] = _text(extras["ansible_winrm_ca_trust_path"])
    timeout = plugin.get_option("connection_timeout")
    if timeout:  # winrm.py: operation_timeout_sec = connection_timeout, read_timeout_sec = connection_timeout + 10
        options["operation_timeout"] = int(timeout)
        options["read_timeout"] = int(timeout) + 10
    auth = _winrm_auth(plugin.get_option("transport"), "certificate_pem" in options, host)
    if auth:
        options["auth"] = auth
    return options


def _winrm_auth(transports: t.Any, has_certificate: bool, host: str) -> str | None:
    """The first of ``ansible_winrm_transport`` these modules speak; None when it is not set (then the
    module's own default, negotiate, picks Kerberos or NTLM as the winrm plugin's guess would)."""
    if not transports or transports[0] is None:
        return None
    names = [_text(name).strip().lower() for name in transports]
    for name in names:
        if name in _WINRM_TRANSPORTS:
            return _WINRM_TRANSPORTS[name] or ("certificate" if has_certificate else "basic")
    raise InventoryOptionsError(
        f"{host}: ansible_winrm_transport {names} names no authentication these modules speak; "
        f"use one of {sorted(_WINRM_TRANSPORTS)}"
    )


# --- helpers --------------------------------------------------------------------------------------------


def _option_and_origin(plugin: t.Any, option: str) -> tuple[t.Any, str]:
    """An option's value and where it came from (``var: <name>``, ``keyword: ...`` or ``default``)."""
    value = plugin.get_option(option)
    origins = getattr(plugin, "_origins", None)
    if isinstance(origins, dict) and option in origins:  # ansible-core 2.17 and later record them in set_options
        return value, str(origins[option])
    # ansible-core 2.16 keeps no origins: an option at its documented default counts as unset
    from ansible import constants as C  # pylint: disable=import-outside-toplevel

    definition = C.config.get_configuration_definition(option, plugin_type="connection",
                                                       plugin_name=plugin._load_name) or {}  # pylint: disable=protected-access
    if value == definition.get("default"):
        return value, "default"
    return value, f"var: ansible_{plugin.extras_prefix}_{option}"


def _is_set(origin: str) -> bool:
    """Whether an option's value came from the host (a variable, keyword or the command line), not the
    plugin's default: unset options leave the module's own default or HYPERV_* variable in place."""
    return origin != "default"


def _put_if_set(options: dict[str, t.Any], plugin: t.Any, source: str, target: str,
                convert: t.Callable[[t.Any], t.Any]) -> None:
    value, origin = _option_and_origin(plugin, source)
    if value is not None and _is_set(origin):
        options[target] = convert(value)


def _validation(value: t.Any, host: str, variable: str) -> bool:
    text = _text(value).strip().lower()
    if text in ("validate", "ignore"):
        return text == "validate"
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise InventoryOptionsError(f"{host}: {variable} is {text!r}; use validate or ignore") from None


def _text(value: t.Any) -> str:
    """A plain str (a vaulted or tagged value decrypted and untagged, as module arguments need)."""
    return str(to_text(value, errors="surrogate_or_strict"))


def _template(templar: t.Any, value: t.Any) -> t.Any:
    if templar is None or value is None:
        return value
    return templar.template(value)


def _host_label(task_vars: t.Mapping[str, t.Any]) -> str:
    return str(task_vars.get("inventory_hostname") or "the host")


_SPEC = connection_argument_spec()
# port and ssl name one endpoint: a task that sets either keeps the module's own rule for the other
_LINKED = {"port": ("ssl",), "ssl": ("port",)}


def _given(task_args: t.Mapping[str, t.Any], option: str, *, linked: bool = False) -> bool:
    """Whether the task (its arguments or module_defaults) sets ``option`` itself, by name or alias."""
    names = [option, *_SPEC.get(option, {}).get("aliases", [])]
    if linked:
        names.extend(_LINKED.get(option, ()))
    return any(task_args.get(name) is not None for name in names)
