"""docs/testing-offline.md as a user runs it: its YAML files written as shown, its shell commands run in the order
shown in one bash (set -e), from a directory holding the checkout (``hyperv``) and the team's playbooks
(``team-playbooks``). The only change: the address block the page picks (77) becomes a free one, so the test does not
meet another estate. The page's estate reference names every key of the estate schema."""

from __future__ import annotations

import errno
import os
import pathlib
import re
import socket
import subprocess

from hvsim.estate_schema import field_paths

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "testing-offline.md").read_text(encoding="utf-8")
FENCES = re.findall(r"```(\w+)\n(.*?)```", DOC, flags=re.S)
PAGE_BLOCK = 77


def files() -> dict[str, str]:
    """The YAML blocks that start with ``# <file name>``."""
    found = {}
    for language, body in FENCES:
        first = body.splitlines()[0]
        if language == "yaml" and re.fullmatch(r"# [\w.-]+\.yml", first):
            found[first[2:]] = body
    return found


def commands() -> list[str]:
    return [line for language, body in FENCES if language == "sh" for line in body.splitlines() if line.strip()]


def free_block() -> int:
    """An address block whose first machine's WinRM port nobody listens on."""
    for block in range(60, 100):
        with socket.socket() as probe:
            try:
                probe.bind((f"127.{block}.0.21", 5985))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    continue
                raise
            return block
    raise RuntimeError("no free address block in 127.60-99")


def moved(text: str, block: int) -> str:
    return text.replace(f"--block {PAGE_BLOCK}", f"--block {block}").replace(f"127.{PAGE_BLOCK}.0.", f"127.{block}.0.")


def test_the_page_has_its_walkthrough() -> None:
    assert sorted(files()) == ["inventory-hvsim.yml", "mylab.yml", "site.yml", "verify.yml"]
    assert commands()[0] == "cd hyperv" and commands()[-1] == 'kill "$(cat hvsim.pid)"'


def test_every_command_of_the_page_runs(tmp_path: pathlib.Path) -> None:
    block = free_block()
    (tmp_path / "hyperv").symlink_to(ROOT)
    team = tmp_path / "team-playbooks"
    team.mkdir()
    for name, body in files().items():
        (team / name).write_text(moved(body, block), encoding="utf-8")
    script = "\n".join(["set -euo pipefail", *(moved(line, block) for line in commands())])
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("ANSIBLE_", "HYPERV_", "VIRTUAL_ENV")) and key != "PYTHONPATH"}
    env["ANSIBLE_NOCOLOR"] = "1"
    try:
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
                              check=False)
    finally:
        pid = team / "hvsim.pid"
        if pid.exists():  # a failed step leaves the estate running: stop it
            try:
                os.kill(int(pid.read_text()), 15)
            except ProcessLookupError:
                pass
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    out = done.stdout
    assert "estate OK: mylab.yml: 1 machines, 1 VMs" in out
    recaps = re.findall(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)|hv1\s*:\s*ok=\d+\s+changed=(\d+)", out)
    changed = [int(a or b) for a, b in recaps]
    assert changed == [2, 2, 0, 0], out[-6000:]  # check mode, first run, second run, verify
    assert "hvsim ready" in (team / "hvsim.log").read_text()


def test_the_estate_reference_names_every_key_of_the_schema() -> None:
    rows = dict(re.findall(r"^\| (`[^`]+`|\(top level\)) \| (.*) \|$", DOC, flags=re.M))
    for path, keys in field_paths():
        row = rows.get(path if path == "(top level)" else f"`{path}`")
        assert row is not None, f"docs/testing-offline.md has no reference row for {path}"
        named = re.findall(r"`(\w+)`", row)
        assert [k for k in keys if k not in named] == [], f"{path}: keys missing from the reference"
    assert len(rows) == len(list(field_paths())), "a reference row for a mapping the schema does not have"
