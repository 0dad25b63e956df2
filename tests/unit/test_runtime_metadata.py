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
    """The action plugin gives each module its session (and the host's inventory connection options)."""
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    modules = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
    routing = runtime.get("plugin_routing", {}).get("modules", {})
    assert {name: routing.get(name, {}).get("action_plugin") for name in modules} == \
        {name: "winvirt.hyperv.hyperv" for name in modules}
    assert (ROOT / "plugins" / "action" / "hyperv.py").is_file()
