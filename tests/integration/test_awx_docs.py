"""docs/awx.md as written: its credential type task names every shipped type, its survey fits the module options it
feeds, and its job template's playbook runs with the survey's answers and a minimal credential against lab3."""

from __future__ import annotations

import pathlib
import re
import typing as t

import pytest
import yaml

from awx_injection import inject
from harness import admin_credentials, run_playbook_file
from test_hyperv_vm import world_vm

from ansible_collections.winvirt.hyperv.plugins.modules import hyperv_vm

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "awx.md").read_text(encoding="utf-8")
BLOCKS = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)]
# AWX survey question types and the Ansible option types their answers fit
SURVEY_TYPES = {"text": "str", "textarea": "str", "password": "str", "integer": "int", "float": "float",
                "multiplechoice": "str", "multiselect": "list"}


def block_with(key: str) -> list[dict[str, t.Any]]:
    for block in BLOCKS:
        if isinstance(block, list) and any(key in item for item in block):
            return block
    raise AssertionError(f"docs/awx.md has no YAML block with {key}")


def job_template() -> dict[str, t.Any]:
    return t.cast(dict[str, t.Any], block_with("awx.awx.job_template")[0]["awx.awx.job_template"])


def test_credential_type_task_loads_every_shipped_type() -> None:
    task = block_with("awx.awx.credential_type")[0]
    named = sorted(re.findall(r"'(extensions/awx/[^']+)'", " ".join(task["loop"])))
    assert named == sorted(str(p.relative_to(ROOT)) for p in (ROOT / "extensions" / "awx").glob("credential_type_*.yml"))
    for path in named:
        definition = yaml.safe_load((ROOT / path).read_text(encoding="utf-8"))
        assert {"name", "description", "inputs", "injectors"} <= set(definition) and definition["kind"] == "cloud"


def test_survey_answers_fit_the_options_they_feed() -> None:
    """Each question's answer type, bounds and choices are ones the module option accepts."""
    play = block_with("hosts")[0]
    task = play["tasks"][0]["winvirt.hyperv.hyperv_vm"]
    fed: dict[str, dict[str, t.Any]] = {}  # survey variable -> the option spec it feeds

    def walk(arguments: t.Any, specs: dict[str, t.Any]) -> None:
        for key, value in arguments.items() if isinstance(arguments, dict) else []:
            option = specs.get(key, {})
            if isinstance(value, str):
                for variable in re.findall(r"\{\{\s*(\w+)\s*\}\}", value):
                    fed[variable] = option
            elif isinstance(value, dict):
                walk(value, option.get("options", {}))
            elif isinstance(value, list):
                for element in value:
                    walk(element, option.get("options", {}))

    walk(task, hyperv_vm.argument_spec())
    questions = {question["variable"]: question for question in job_template()["survey_spec"]["spec"]}
    assert set(fed) <= set(questions), set(fed) - set(questions)
    for variable, option in fed.items():
        question = questions[variable]
        assert SURVEY_TYPES[question["type"]] == option.get("type", "str"), (variable, question, option)
        if "choices" in question:
            assert set(question["choices"]) <= set(option["choices"]), variable
            assert question.get("default") in question["choices"]
        if question["type"] == "integer" and "default" in question:
            assert question["min"] <= question["default"] <= question["max"], variable


def survey_answers(**given: t.Any) -> dict[str, t.Any]:
    answers = {q["variable"]: q["default"] for q in job_template()["survey_spec"]["spec"] if "default" in q}
    answers.update(given)
    missing = [q["variable"] for q in job_template()["survey_spec"]["spec"] if q["required"] and q["variable"] not in answers]
    assert not missing, missing
    return answers


@pytest.fixture
def playbook(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / job_template()["playbook"]
    path.write_text(yaml.safe_dump(block_with("hosts"), sort_keys=False), encoding="utf-8")
    return path


def test_job_template_runs_with_survey_answers_and_a_minimal_credential(lab3, playbook: pathlib.Path,
                                                                        tmp_path: pathlib.Path) -> None:
    user, password = admin_credentials(lab3, "hv1")
    credential = yaml.safe_load((ROOT / "extensions" / "awx" / "credential_type_hyperv.yml").read_text(encoding="utf-8"))
    env = inject(credential, {"username": user, "password": password}, tmp_path / "private")
    answers = survey_answers(vm_name="awx-survey1", vm_cpus=4, vm_memory_mb=2048)
    run = run_playbook_file(lab3, playbook, extra_vars=answers, environment=env)
    assert run.rc == 0, run.stdout
    vm = world_vm(lab3, "awx-survey1")
    assert vm is not None and vm.state == "Running"
    assert (vm.processor_count, vm.startup) == (4, 2048 * 1024 * 1024)
    adapter = vm.adapters[0]
    assert (adapter.switch_name, adapter.vlan.mode, adapter.vlan.access_id) == (answers["vm_switch"], "Access", answers["vm_vlan"])
    again = run_playbook_file(lab3, playbook, extra_vars=answers, environment=env)
    assert again.rc == 0 and not any(r["result"].get("changed") for r in again.results), again.stdout
