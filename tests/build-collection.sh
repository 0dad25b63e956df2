#!/usr/bin/env bash
# Materialise the collection as ansible_collections/winvirt/hyperv.
#   link: build/collections/... is a symlink to the repo (ansible-playbook, pytest)
#   copy: build/sanity/... is a real copy (ansible-test refuses symlinked trees)
set -euo pipefail
cd -P "$(dirname "$0")/.."  # the physical path: a link made through a symlinked checkout must not point at the symlink
mode=${1:-link}
case "$mode" in
  link)
    mkdir -p build/collections/ansible_collections/winvirt
    # replaced only when it points elsewhere: ln -sfn removes the link first, which a playbook running meanwhile sees
    if [ "$(readlink build/collections/ansible_collections/winvirt/hyperv)" != "$PWD" ]; then
      ln -sfn "$PWD" build/collections/ansible_collections/winvirt/hyperv
    fi
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
