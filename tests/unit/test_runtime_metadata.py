"""meta/runtime.yml's action group lists every module, so module_defaults reaches all of them."""

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_action_group_lists_every_module() -> None:
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    modules = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
    assert sorted(runtime["action_groups"]["hyperv"]) == modules


def test_every_module_uses_the_connection_fragment() -> None:
    for path in (ROOT / "plugins" / "modules").glob("*.py"):
        text = path.read_text()
        assert "- winvirt.hyperv.connection" in text, path.name


def test_every_module_runs_through_the_action_plugin() -> None:
    """The action gives each module its session (and the host's inventory connection options): every module has an
    action plugin of its name (ansible-core finds it by that name), and each is the one shared class."""
    modules = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
    actions = sorted(path.stem for path in (ROOT / "plugins" / "action").glob("*.py") if path.stem != "__init__")
    assert actions == modules
    shared = "from ansible_collections.winvirt.hyperv.plugins.plugin_utils._action import ActionModule"
    assert all(shared in (ROOT / "plugins" / "action" / f"{name}.py").read_text() for name in actions)
