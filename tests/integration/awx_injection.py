"""What AWX / Automation Controller does with a custom credential type, reimplemented for tests.

Written from AWX's own description and code (read, not copied):
- ansible/awx ``docs/credentials/custom_credential_types.md``: inputs (string or boolean fields, ``choices``,
  ``required``, ``default`` as a form prefill only), Jinja injectors for ``env``, ``extra_vars`` and ``file``,
  ``{{ tower.filename }}`` for one file and ``template.<name>`` / ``{{ tower.filename.<name> }}`` for several,
  the two syntaxes never mixed.
- ansible/awx ``awx/main/fields.py`` ``CredentialTypeInjectorField.validate``: every template is rendered at
  definition time with StrictUndefined and each defined field set to ``EXAMPLE``, so a template naming an
  undefined field (or ``tower.filename.<name>`` without that file) is refused.
- ansible/awx-plugins ``src/awx_plugins/credentials/injectors.py`` ``inject_credential`` (what runs per job):
  only the credential's stored inputs enter the Jinja namespace, empty strings left out; a boolean field the
  credential does not store is ``False``; the type's ``default`` is not applied; each file template is written
  to its own file under the job's private data directory (mode 0600); every ``env`` template is rendered in
  an ImmutableSandboxedEnvironment with Jinja's default Undefined, so an unset field renders as "".
"""

from __future__ import annotations

import os
import pathlib
import stat
import tempfile
import types
import typing

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

CredentialType = dict[str, typing.Any]


class DefinitionError(ValueError):
    """AWX would refuse to save this credential type or credential."""


def _fields(cred_type: CredentialType) -> list[dict[str, typing.Any]]:
    return list(cred_type["inputs"].get("fields", []))


def validate_type(cred_type: CredentialType) -> None:
    """The checks AWX applies when the credential type is saved."""
    if cred_type.get("kind") not in ("cloud", "net"):
        raise DefinitionError("custom credential types are of kind cloud or net")
    ids = [field["id"] for field in _fields(cred_type)]
    if len(ids) != len(set(ids)):
        raise DefinitionError(f"duplicate field ids: {ids}")
    for field in _fields(cred_type):
        if field.get("type", "string") not in ("string", "boolean"):
            raise DefinitionError(f"{field['id']}: type must be string or boolean")
        if "choices" in field and field.get("type", "string") != "string":
            raise DefinitionError(f"{field['id']}: choices only on strings")
        if "default" in field and "choices" in field and field["default"] not in field["choices"]:
            raise DefinitionError(f"{field['id']}: default {field['default']!r} is not one of its choices")
    missing = set(cred_type["inputs"].get("required", [])) - set(ids)
    if missing:
        raise DefinitionError(f"required fields that are not defined: {sorted(missing)}")
    injectors = cred_type.get("injectors", {})
    for name in injectors.get("env", {}):
        if name.startswith("ANSIBLE_"):
            raise DefinitionError(f"{name}: ANSIBLE_* variables are reserved")
    templates = [label for label in injectors.get("file", {}) if label.startswith("template")]
    tower = types.SimpleNamespace()
    if "template" in templates:
        if len(templates) > 1:
            raise DefinitionError("one file is `template`, several are `template.<name>`: never both")
        tower.filename = "EXAMPLE_FILENAME"
    else:
        tower.filename = types.SimpleNamespace(**{label.split(".", 1)[1]: "EXAMPLE_FILENAME" for label in templates})
    namespace: dict[str, typing.Any] = {field_id: "EXAMPLE" for field_id in ids}
    namespace["tower"] = tower
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind in ("env", "file", "extra_vars"):
        for key, template in injectors.get(kind, {}).items():
            try:
                strict.from_string(str(template)).render(namespace)
            except Exception as exc:  # UndefinedError, SecurityError, TemplateSyntaxError
                raise DefinitionError(f"injector {kind}.{key}: {exc}") from exc


def validate_inputs(cred_type: CredentialType, inputs: dict[str, typing.Any]) -> None:
    """The checks AWX applies when a credential of the type is saved."""
    fields = {field["id"]: field for field in _fields(cred_type)}
    unknown = set(inputs) - set(fields)
    if unknown:
        raise DefinitionError(f"fields the type does not define: {sorted(unknown)}")
    for name in cred_type["inputs"].get("required", []):
        if inputs.get(name) in (None, ""):
            raise DefinitionError(f"{name} is required")
    for name, value in inputs.items():
        field = fields[name]
        if field.get("type", "string") == "boolean":
            if not isinstance(value, bool):
                raise DefinitionError(f"{name} must be a boolean")
        elif not isinstance(value, str):
            raise DefinitionError(f"{name} must be a string")
        elif "choices" in field and value not in field["choices"]:
            raise DefinitionError(f"{name}: {value!r} is not one of {field['choices']}")


def inject(cred_type: CredentialType, inputs: dict[str, typing.Any], private_data_dir: pathlib.Path) -> dict[str, str]:
    """The environment variables one job gets from a credential with ``inputs`` (files written as AWX does)."""
    validate_type(cred_type)
    validate_inputs(cred_type, inputs)
    namespace: dict[str, typing.Any] = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for field in _fields(cred_type):
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    tower = types.SimpleNamespace()
    namespace["tower"] = tower
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = private_data_dir / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    single: str | None = None
    several: dict[str, str] = {}
    for label, template in cred_type.get("injectors", {}).get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if "." in label:
            several[label.split(".", 1)[1]] = path
        else:
            single = path
    tower.filename = single or types.SimpleNamespace(**several)
    return {
        name: sandbox.from_string(str(template)).render(**namespace)
        for name, template in cred_type.get("injectors", {}).get("env", {}).items()
    }
