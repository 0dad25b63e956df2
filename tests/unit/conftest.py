"""Unit tests run on every supported ansible-core; ansible-core before 2.19 has no ansible.module_utils.testing.

There, a module reads its arguments from ``ansible.module_utils.basic._ANSIBLE_ARGS`` (JSON under
``ANSIBLE_MODULE_ARGS``), which is what 2.19's ``patch_module_args`` replaced; the same helper is provided here
under the same name, so the tests read the same on every version.
"""

from __future__ import annotations

import contextlib
import json
import sys
import types
import typing as t

try:
    import ansible.module_utils.testing  # noqa: F401  pylint: disable=unused-import
except ImportError:
    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args: dict[str, t.Any] | None = None) -> t.Iterator[None]:
        arguments = {"_ansible_remote_tmp": "/tmp", "_ansible_keep_remote_files": False, **(args or {})}
        saved = basic._ANSIBLE_ARGS  # pylint: disable=protected-access
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": arguments}).encode("utf-8")  # pylint: disable=protected-access
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved  # pylint: disable=protected-access

    shim = types.ModuleType("ansible.module_utils.testing")
    shim.patch_module_args = patch_module_args  # type: ignore[attr-defined]
    sys.modules["ansible.module_utils.testing"] = shim
