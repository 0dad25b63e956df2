"""The attack suite's tools: run a module in-process against hvsim, diff the world, check the call log, keep figures.

A module run here is the real module code (argument spec, planning, the real pypsrp/pywinrm clients over WinRM
to hvsim); only ansible-playbook's process per task is skipped, so hundreds of runs fit in the CI budget.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import io
import json
import traceback
import typing as t

from ansible.module_utils.testing import patch_module_args

from harness import admin_credentials

# tried / held per area, printed by conftest's terminal summary (and by `make bench` through the same table)
FIGURES: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])

TRACEBACK_MARKERS = ("Traceback (most recent call last)", "MODULE FAILURE", "Module failed:", "Unexpected failure")


def count(area: str, held: bool) -> None:
    FIGURES[area][0] += 1
    FIGURES[area][1] += int(held)


def figures_table(figures: t.Mapping[str, t.Sequence[int]]) -> str:
    width = max([len("area"), *(len(area) for area in figures)])
    lines = [f"{'area':<{width}} {'tried':>6} {'held':>6} {'failed':>7}"]
    for area in sorted(figures):
        tried, held = figures[area]
        lines.append(f"{area:<{width}} {tried:>6} {held:>6} {tried - held:>7}")
    tried, held = sum(f[0] for f in figures.values()), sum(f[1] for f in figures.values())
    lines.append(f"{'all areas':<{width}} {tried:>6} {held:>6} {tried - held:>7}")
    return "\n".join(lines)


def connection(estate: t.Any, machine: str = "hv1") -> dict[str, t.Any]:
    user, password = admin_credentials(estate, machine)
    return {"hostname": estate.address(machine), "port": estate.http_port, "username": user, "password": password,
            "auth": "ntlm", "connection_timeout": 5, "operation_timeout": 5, "read_timeout": 10}


def run_module(name: str, args: dict[str, t.Any], *, check: bool = False) -> dict[str, t.Any]:
    """Run ``winvirt.hyperv.<name>`` with ``args``; the result as Ansible would record it (``failed`` set on failure)."""
    module = importlib.import_module(f"ansible_collections.winvirt.hyperv.plugins.modules.{name}")
    full = {**args, "_ansible_check_mode": check, "_ansible_diff": True}
    out = io.StringIO()
    with patch_module_args(full), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
        except Exception:  # pylint: disable=broad-except  # what Ansible shows for an exception escaping a module
            return {"failed": True, "msg": "MODULE FAILURE\n" + traceback.format_exc(), "exception": True}
    text = out.getvalue().strip()
    try:
        return t.cast(dict[str, t.Any], json.loads(text.splitlines()[-1] if text else "{}"))
    except json.JSONDecodeError:
        return {"failed": True, "msg": f"MODULE FAILURE (not JSON): {text[-500:]}"}


def clear_error(result: dict[str, t.Any]) -> bool:
    """A failure a person can act on: a message that is not a traceback or a raw library exception."""
    message = str(result.get("msg") or "")
    return bool(message.strip()) and not any(marker in message for marker in TRACEBACK_MARKERS) \
        and "exception" not in result


# -- the world ------------------------------------------------------------------------------------

def diff_paths(before: t.Any, after: t.Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The paths at which two snapshots differ (a whole entry when it was added or removed)."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[tuple[str, ...]] = []
        for key in before.keys() | after.keys():
            if key not in before or key not in after:
                found.append((*path, str(key)))
            else:
                found.extend(diff_paths(before[key], after[key], (*path, str(key))))
        return found
    return [] if before == after else [path]


# collections of named objects in the snapshot: a change inside one of them belongs to that entry
_COLLECTIONS = ("vms", "switches", "shares", "files", "folders", "objects", "relationships", "checkpoints",
                "services", "features", "firewall_rules", "configurations")
# bookkeeping that moves with any call (serial numbers, clocks, counters)
_BOOKKEEPING = ("serial", "clock", "next_id", "uptime", "counter", "sequence", "last_", "used", "free")


def changed_entries(before: dict[str, t.Any], after: dict[str, t.Any]) -> list[tuple[tuple[str, ...], t.Any]]:
    """(path to the entry, the entry after or before) for every named object that changed."""
    entries: dict[tuple[str, ...], t.Any] = {}
    for path in diff_paths(before, after):
        if any(part.startswith(_BOOKKEEPING) for part in path[-1:]):
            continue
        cut = next((i + 2 for i in range(len(path) - 1, -1, -1) if path[i] in _COLLECTIONS and i + 1 < len(path)), None)
        entry_path = path[:cut] if cut else path
        entries[entry_path] = _at(after, entry_path) if _at(after, entry_path) is not None else _at(before, entry_path)
    return list(entries.items())


def _at(tree: t.Any, path: tuple[str, ...]) -> t.Any:
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def entry_is_about(path: tuple[str, ...], entry: t.Any, value: str) -> bool:
    """The entry is the named object itself (its key, name or path holds the value)."""
    wanted = value.lower()
    texts = [path[-1]]
    if isinstance(entry, dict):
        texts += [str(entry.get(key, "")) for key in ("name", "path", "dn", "sam_account_name")]
    return any(wanted in text.lower() for text in texts if text)


# -- the call log -----------------------------------------------------------------------------------

def values_of(call: dict[str, t.Any]) -> list[str]:
    """Every string a call carried: parameter values (list elements one by one) or native arguments."""
    found: list[str] = []
    if "argv" in call:
        for argv in call["argv"]:
            found.extend(str(argument) for argument in argv)
        return found
    for value in (call.get("parameters") or {}).values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.append(item)
    return found


def other_objects_changed(entries: list[tuple[tuple[str, ...], t.Any]], names: list[str]) -> list[tuple[str, ...]]:
    """Changed entries that are not about ``names`` nor files of such an object (named by its Id)."""
    about = [(path, entry) for path, entry in entries if any(entry_is_about(path, entry, name) for name in names)]
    ids = [str(entry.get("id")) for _path, entry in about if isinstance(entry, dict) and entry.get("id")]
    owned = [path for path, entry in entries if any(entry_is_about(path, entry, vm_id) for vm_id in ids)]
    keys = [path[-1].lower() for path, _entry in about] + [path[-1].lower() for path in owned]

    def is_parent_folder(path: tuple[str, ...]) -> bool:  # a folder made to hold the object's files
        return len(path) > 1 and path[-2] == "folders" and any(key.startswith(path[-1].lower() + "\\") for key in keys)

    return [path for path, entry in entries
            if (path, entry) not in about and path not in owned and not is_parent_folder(path)]
