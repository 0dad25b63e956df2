"""What users get: the collection tarball as Galaxy imports it, the execution environment ansible-builder makes of
it, and the requirement files pip and ansible-builder read. Runs the real tools (galaxy-importer, ansible-builder,
ansible-galaxy, ansible-doc) offline on a tarball built from this tree."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
TARBALL_NAME = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
# Internal requirement identifiers ("(requirements D1, D2)", "requirement F8") have no meaning for users.
REQUIREMENT_ID = re.compile(r"\brequirements? [A-H]\d*\b|\((?:[A-H]\d{1,2})(?:, ?[A-H]\d{1,2})*\)")


def run(arguments: list[str], cwd: pathlib.Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name != "ANSIBLE_COLLECTIONS_PATH"}
    environment.update(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env)  # collections: only what is given
    return subprocess.run(arguments, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="session")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("dist")
    built = run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)], ROOT)
    assert built.returncode == 0, built.stderr
    return out / TARBALL_NAME


@pytest.fixture(scope="session")
def installed(tarball: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The tarball installed as a user installs it (no Galaxy server: it has no dependencies)."""
    path = tmp_path_factory.mktemp("installed")
    done = run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(path), str(tarball)], path)
    assert done.returncode == 0, done.stdout + done.stderr
    return path


def members(tarball: pathlib.Path) -> dict[str, str]:
    with tarfile.open(tarball) as archive:
        return {
            member.name: archive.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
            for member in archive.getmembers() if member.isfile()
        }


def test_tarball_holds_only_what_runs_without_this_repository(tarball: pathlib.Path) -> None:
    files = members(tarball)
    assert {"COPYING", "README.md", "meta/runtime.yml", "meta/execution-environment.yml"} <= set(files)
    assert "GNU GENERAL PUBLIC LICENSE" in files["COPYING"] and "Version 3, 29 June 2007" in files["COPYING"]
    for name, text in files.items():
        assert not name.startswith(("collections/", "build/", ".venv/", "tests/hvsim/", "tests/integration/")), name
        assert "__pycache__" not in name and not name.endswith(".tar.gz"), name
        if name.startswith("tests/"):
            # the simulator and this repository's harness are not in the tarball: nothing shipped may need them
            assert "hvsim" not in text and "build-collection" not in text, name
    for role in (ROOT / "roles").iterdir():
        assert f"roles/{role.name}/README.md" in files


def test_galaxy_importer_accepts_the_tarball(tarball: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """galaxy-importer as Galaxy runs it: metadata, docs through ansible-doc, ansible-lint; no warnings."""
    config = tmp_path / "galaxy-importer.cfg"
    config.write_text("[galaxy-importer]\nRUN_ANSIBLE_DOC = True\nRUN_ANSIBLE_LINT = True\nCHECK_CHANGELOG = True\n")
    result = run([sys.executable, "-m", "galaxy_importer.main", str(tarball)], tmp_path,
                 GALAXY_IMPORTER_CONFIG=str(config), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Importer processing completed successfully" in log, log
    problems = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not problems, "\n".join(problems)


def test_ansible_builder_makes_an_execution_environment_context(tarball: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """extensions/ee as docs/awx.md uses it: the definition, with the tarball built next to it."""
    shutil.copy(ROOT / "extensions" / "ee" / "execution-environment.yml", tmp_path)
    (tmp_path / "collections").mkdir()
    shutil.copy(tarball, tmp_path / "collections")
    result = run([str(BIN / "ansible-builder"), "create", "--output-filename", "Containerfile"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    definition = yaml.safe_load((ROOT / "extensions" / "ee" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert f"EE_BASE_IMAGE=\"{definition['images']['base_image']['name']}\"" in containerfile
    assert "ansible-galaxy collection install" in containerfile and "introspect.py introspect" in containerfile
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    for collection in galaxy["collections"]:
        assert (context / "_build" / collection["name"]).is_file(), collection  # installable inside the build
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert Requirement(f"ansible-core{runtime['requires_ansible']}").specifier == Requirement(
        definition["dependencies"]["ansible_core"]["package_pip"]).specifier


def test_ansible_builder_finds_the_collections_requirements(installed: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """The builder stage's introspection of the installed collection: our run-time needs, nothing of the tests'."""
    import ansible_builder  # pylint: disable=import-outside-toplevel

    script = pathlib.Path(ansible_builder.__file__).parent / "_target_scripts" / "introspect.py"
    result = run([sys.executable, str(script), "introspect", str(installed), "--write-pip", str(tmp_path / "pip.txt"),
                  "--write-bindep", str(tmp_path / "bindep.txt")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    found_pip = [line.split("#")[0].strip() for line in (tmp_path / "pip.txt").read_text().splitlines() if line.strip()]
    found_bindep = [line.split("#")[0].strip() for line in (tmp_path / "bindep.txt").read_text().splitlines() if line.strip()]
    assert sorted(found_pip) == sorted(requirement_lines(ROOT / "meta" / "ee-requirements.txt"))
    assert sorted(found_bindep) == sorted(requirement_lines(ROOT / "meta" / "ee-bindep.txt"))
    assert not {"psrpcore", "pytest", "samba-ad-dc"} & {re.split(r"[\[<>= ]", line)[0] for line in found_pip + found_bindep}


def requirement_lines(path: pathlib.Path) -> list[str]:
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#")[0].strip()
        if line.startswith("-r"):
            lines += requirement_lines(path.parent / line.split(None, 1)[1])
        elif line:
            lines.append(line)
    return lines


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in requirement_lines(ROOT / "tests" / "constraints.txt"):
        name, _equals, version = line.partition("==")
        found[name.lower().replace("_", "-")] = version
    return found


def test_users_requirements_are_lower_bounds_the_tests_satisfy() -> None:
    """pip install -r requirements.txt works beside any ansible-core; the pinned test set meets every bound."""
    versions = pins()
    requirements = [Requirement(line) for line in requirement_lines(ROOT / "requirements.txt")]
    assert requirements
    for requirement in requirements:
        assert requirement.name.lower() not in ("ansible-core", "ansible", "psrpcore"), requirement
        assert all(spec.operator == ">=" for spec in requirement.specifier), requirement
        assert requirement.specifier.contains(versions[requirement.name.lower()]), (requirement, versions)


def test_no_internal_requirement_ids_in_role_and_module_docs(installed: pathlib.Path) -> None:
    environment = {"ANSIBLE_COLLECTIONS_PATH": str(installed)}
    for kind in ("role", "module"):
        listed = run([str(BIN / "ansible-doc"), "-t", kind, "-l", "winvirt.hyperv"], installed, **environment)
        assert listed.returncode == 0, listed.stderr
        assert "winvirt.hyperv." in listed.stdout
        assert not REQUIREMENT_ID.search(listed.stdout), listed.stdout
    names = [line.split()[0] for line in listed.stdout.splitlines() if line.startswith("winvirt.hyperv.")]
    shown = run([str(BIN / "ansible-doc"), "-t", "module", *names], installed, **environment)
    assert shown.returncode == 0, shown.stderr
    assert not REQUIREMENT_ID.search(shown.stdout), REQUIREMENT_ID.findall(shown.stdout)


def test_no_internal_requirement_ids_in_user_documents() -> None:
    places: list[str] = []
    for pattern in ("README.md", "docs/*.md", "roles/*/README.md", "roles/*/meta/argument_specs.yml",
                    "roles/*/defaults/*.yml", "playbooks/*.yml", "changelogs/fragments/*.yml", "extensions/**/*.yml"):
        for path in ROOT.glob(pattern):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if REQUIREMENT_ID.search(line):
                    places.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not places, "\n".join(places)


def test_antsibull_docs_lint_is_clean(installed: pathlib.Path) -> None:
    """Module, role and plugin docs as a docsite renders them (markup, references, schemas) and docs/docsite."""
    collection = installed / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    result = run([str(BIN / "antsibull-docs"), "lint-collection-docs", "--plugin-docs", str(collection)], installed,
                 ANSIBLE_COLLECTIONS_PATH=str(installed))
    assert result.returncode == 0, result.stdout + result.stderr


def test_docsite_guides_are_generated_from_the_markdown_as_it_is() -> None:
    """docs/docsite/rst holds each guide of extra-docs.yml as tests/docsite/generate.py makes it from docs/<name>.md
    (the one copy); a guide edited in Markdown only, or an RST file edited by hand, fails here (fix: make docsite)."""
    result = run([sys.executable, str(ROOT / "tests" / "docsite" / "generate.py"), "--check"], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load((ROOT / "docs" / "docsite" / "extra-docs.yml").read_text(encoding="utf-8"))
    listed = {entry for section in config["sections"] for entry in section["toctree"]}
    assert listed == {path.stem for path in (ROOT / "docs" / "docsite" / "rst").glob("*.rst")}


def test_docsite_links_point_at_shipped_documents() -> None:
    links = yaml.safe_load((ROOT / "docs" / "docsite" / "links.yml").read_text(encoding="utf-8"))
    prefix = f"{GALAXY['repository']}/blob/main/"
    for link in links["extra_links"]:
        if link["url"].startswith(prefix):
            assert (ROOT / link["url"].removeprefix(prefix)).is_file(), link


def test_tested_ansible_cores_span_requires_ansible() -> None:
    """make test runs sanity and unit tests on the oldest ansible-core meta/runtime.yml accepts, and on the newest."""
    from packaging.version import Version  # pylint: disable=import-outside-toplevel

    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    accepted = Requirement(f"ansible-core{runtime['requires_ansible']}").specifier
    lower = min(Version(spec.version) for spec in accepted if spec.operator == ">=")
    oldest = Version(requirement_lines(ROOT / "tests" / "constraints-oldest.txt")[0].partition("==")[2])
    newest = Version(pins()["ansible-core"])
    assert requirement_lines(ROOT / "tests" / "constraints-oldest.txt")[0].startswith("ansible-core==")
    assert accepted.contains(oldest) and accepted.contains(newest)
    assert (oldest.major, oldest.minor) == (lower.major, lower.minor) < (newest.major, newest.minor)
