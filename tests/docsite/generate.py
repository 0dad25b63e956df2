"""The docsite's extra docs (docs/docsite/rst/guide_<name>.rst) generated from the guides (docs/<name>.md).

The Markdown guides are the one copy of what they say; antsibull-docs wants reStructuredText. pandoc (from the
pypandoc-binary package, pinned in tests/constraints.txt) converts GitHub-flavoured Markdown to RST; a small filter
(guide_links.lua) turns links between guides into :ref: links to the guides' labels. Which guides: the ``guide_*``
entries of docs/docsite/extra-docs.yml.

    python tests/docsite/generate.py           # (re)write the RST files (make docsite)
    python tests/docsite/generate.py --check   # exit 1 naming the RST files that differ from their Markdown
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCSITE = ROOT / "docs" / "docsite"
FILTER = pathlib.Path(__file__).resolve().parent / "guide_links.lua"
LABEL = "ansible_collections.winvirt.hyperv.docsite.{}"
# GitHub-flavoured Markdown without heading identifiers: pandoc would write them as labels that antsibull-docs refuses
# (labels must start with the collection's prefix); the guides link to each other by file, not by heading
SOURCE_FORMAT = "gfm-gfm_auto_identifiers"


def guides() -> dict[str, pathlib.Path]:
    """Each guide_<name> of extra-docs.yml and the Markdown it comes from (docs/<name>.md, '-' for '_' allowed)."""
    config = yaml.safe_load((DOCSITE / "extra-docs.yml").read_text(encoding="utf-8"))
    sources = {path.stem.replace("-", "_"): path for path in (ROOT / "docs").glob("*.md")}
    found: dict[str, pathlib.Path] = {}
    for section in config.get("sections", []):
        for entry in section.get("toctree", []):
            name = entry if isinstance(entry, str) else entry.get("ref", "")
            if not name.startswith("guide_"):
                continue
            source = sources.get(name.removeprefix("guide_"))
            if source is None:
                raise SystemExit(f"extra-docs.yml lists {name}, but there is no docs/{name.removeprefix('guide_')}.md")
            found[name] = source
    return found


def render(name: str, source: pathlib.Path) -> str:
    import pypandoc  # pylint: disable=import-outside-toplevel

    body = pypandoc.convert_file(str(source), "rst", format=SOURCE_FORMAT,
                                 extra_args=["--wrap=preserve", f"--lua-filter={FILTER}"])
    relative = source.relative_to(ROOT).as_posix()
    return (f".. Generated from {relative} by tests/docsite/generate.py (make docsite): edit the Markdown, not this.\n\n"
            f".. _{LABEL.format(name)}:\n\n{body}")


def main() -> int:
    parser = argparse.ArgumentParser(description="The docsite's guides from the Markdown guides.")
    parser.add_argument("--check", action="store_true", help="only report RST files that differ from their Markdown")
    check = parser.parse_args().check
    stale: list[str] = []
    target = DOCSITE / "rst"
    wanted = guides()
    for name, source in wanted.items():
        path = target / f"{name}.rst"
        text = render(name, source)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.relative_to(ROOT).as_posix())
        if not check:
            target.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    extra = sorted(p.relative_to(ROOT).as_posix() for p in target.glob("guide_*.rst") if p.stem not in wanted)
    if check and (stale or extra):
        print("not generated from the Markdown as it is now (run make docsite): " + ", ".join(stale + extra))
        return 1
    for path in extra:
        (ROOT / path).unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
