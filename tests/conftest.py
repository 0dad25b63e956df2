"""Make the collection importable as ansible_collections.winvirt.hyperv for every test."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / "build" / "collections"
if not (COLLECTIONS / "ansible_collections" / "winvirt" / "hyperv").exists():
    raise RuntimeError("run `make collection` (or tests/build-collection.sh link) first")
sys.path.insert(0, str(COLLECTIONS))
