# Quick start: `make demo` and `make test` on a machine with only Python 3.11 and pip.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The oldest supported ansible-core (meta/runtime.yml requires_ansible) gets a venv of its own for sanity and unit tests.
OLDEST := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed
COLLECTION_ROOT := build/collections/ansible_collections/winvirt/hyperv
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup setup-oldest system-deps collection demo test test-real unit unit-oldest hvsim-test integration packaging sanity sanity-oldest lint bench docsite clean

# gssapi and krb5 build from source against libkrb5-dev (about 2 minutes once); pip keeps the wheels it
# built in its cache (~/.cache/pip/wheels), so a new venv installs them in seconds.
$(STAMP): requirements.txt meta/ee-requirements.txt requirements-test.txt tests/constraints.txt tests/hvsim/pyproject.toml
	@bash tests/setup-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	$(BIN)/python -m pip install --quiet --no-deps -e tests/hvsim
	touch $(STAMP)

setup: $(STAMP) system-deps collection

$(OLDEST_STAMP): requirements.txt meta/ee-requirements.txt tests/requirements-oldest.txt tests/constraints-oldest.txt tests/hvsim/pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(OLDEST)/bin/python -m pip install --quiet -r tests/requirements-oldest.txt
	$(OLDEST)/bin/python -m pip install --quiet --no-deps -e tests/hvsim
	touch $(OLDEST_STAMP)

setup-oldest: setup $(OLDEST_STAMP)

system-deps:
	@bash tests/setup-system-deps.sh

# ansible-playbook and pytest import the collection from a real ansible_collections tree.
collection:
	@bash tests/build-collection.sh link

unit: setup
	$(BIN)/python -m pytest -q tests/unit

unit-oldest: setup-oldest
	$(OLDEST)/bin/python -m pytest -q -n auto tests/unit

hvsim-test: setup
	$(BIN)/python -m pytest -q tests/hvsim/tests

integration: setup
	$(BIN)/python -m pytest -q -n auto tests/integration

# The tarball as Galaxy imports it (galaxy-importer), the execution environment ansible-builder makes of it.
packaging: setup
	$(BIN)/python -m pytest -q tests/packaging

# The integration tests written for the `estate` fixture, against a real Hyper-V lab that an Ansible inventory
# describes (docs/testing.md); the tests that need hvsim are skipped with their reason. Not part of `test`.
REAL_TESTS ?= tests/integration
# It installs nothing (run `make setup` first), so it can run beside other tests of this checkout.
test-real: collection
	@test -n "$(INVENTORY)" || { echo "usage: make test-real INVENTORY=inventory.yml [REAL_TESTS=...] [REAL_ARGS=...]" >&2; exit 2; }
	@test -f $(STAMP) || { echo "run make setup first" >&2; exit 2; }
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider $(REAL_TESTS) --real-inventory "$(INVENTORY)" $(REAL_ARGS)

sanity: setup
	@bash tests/run-sanity.sh

# On the oldest core, every sanity test but pylint and pep8: code style is judged once, by the newest core's
# tools (2.16's pylint differs from 2.19's, e.g. it calls deferred calls in a dict of lambdas unnecessary); what
# differs between cores and matters to users (documentation schema, ansible-doc, imports, runtime metadata) is
# checked on both.
SANITY_OLDEST := SANITY_VENV=$(OLDEST) bash tests/run-sanity.sh --skip-test pylint --skip-test pep8
sanity-oldest: setup-oldest
	@$(SANITY_OLDEST)

lint: setup
	@bash tests/run-lint.sh

# Tests run in parallel workers (pytest-xdist); each worker's estates and Samba DC take their own loopback block.
# Sanity and unit tests also run on the oldest supported ansible-core; integration on the newest (.venv).
test: setup setup-oldest
	$(BIN)/python -m pytest -q -n auto tests/unit tests/hvsim/tests tests/integration tests/packaging
	$(OLDEST)/bin/python -m pytest -q -n auto tests/unit
	@bash tests/run-sanity.sh
	@$(SANITY_OLDEST)
	@bash tests/run-lint.sh

# Speed and memory (tables, not tests): lab3 readiness, a 50-host fleet's RSS, then what each module task costs on
# the wire and the controller, against issue 17's targets (docs/benchmarks.md; a few minutes).
# BENCH_ARGS="--doc docs/benchmarks.md" also writes the wire table into that page; "--quick" skips the fleets.
BENCH_ARGS ?=
# The docsite's guides (docs/docsite/rst) from the Markdown guides in docs/ (tests/docsite/generate.py);
# make packaging checks they are in step.
docsite: setup
	$(BIN)/python tests/docsite/generate.py

bench: setup
	$(BIN)/python tests/hvsim/benchmarks/estates.py
	$(BIN)/python tests/hvsim/benchmarks/wire.py $(BENCH_ARGS)

demo: setup
	@bash tests/run-demo.sh

clean:
	rm -rf build tests/output
