#!/usr/bin/env bash
# ansible-test sanity from a real (copied) ansible_collections/winvirt/hyperv tree, offline.
# SANITY_VENV picks the virtual environment whose ansible-core runs it (default .venv, the newest supported).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${SANITY_VENV:-.venv}
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
bash tests/build-collection.sh copy
pip_version=$("$venv/bin/python" - <<'PY'
import re, pathlib, ansible_test
text = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", text).group(1))
PY
)
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
cp tests/sanity/get_pip_offline.py "$cache/get_pip_${pip_version//./_}.py"
cd build/sanity/ansible_collections/winvirt/hyperv
# A fresh git repo: ansible-test uses git to list the collection's files.
rm -rf .git && git init -q && git add -A >/dev/null && git -c user.email=ci@localhost -c user.name=ci commit -qm sanity
"$venv/bin/ansible-test" sanity --venv --python 3.11 --color no "$@"
