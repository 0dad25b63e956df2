#!/usr/bin/env bash
# Materialise the collection as ansible_collections/winvirt/hyperv.
#   link: build/collections/... is a symlink to the repo (ansible-playbook, pytest)
#   copy: build/sanity/... is a real copy (ansible-test refuses symlinked trees)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-link}
case "$mode" in
  link)
    mkdir -p build/collections/ansible_collections/winvirt
    ln -sfn "$PWD" build/collections/ansible_collections/winvirt/hyperv
    ;;
  copy)
    dest=build/sanity/ansible_collections/winvirt/hyperv
    mkdir -p "$dest"
    # The simulator is a separate Python package (tests/hvsim/pyproject.toml), not collection content.
    rsync_like() {
      tar --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./tests/output \
          --exclude=./tests/hvsim --exclude=./collections --exclude='__pycache__' --exclude=.pytest_cache --exclude=.hypothesis \
          -cf - . | (cd "$dest" && tar -xf -)
    }
    find "$dest" -mindepth 1 -maxdepth 1 ! -name tests -exec rm -rf {} +
    rm -rf "$dest/tests"
    rsync_like
    ;;
  *) echo "usage: $0 link|copy" >&2; exit 2 ;;
esac
