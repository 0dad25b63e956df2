#!/usr/bin/env bash
# ansible-lint (production profile) on the roles and playbooks, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/build-collection.sh link
export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections"
targets=()
for dir in roles playbooks; do
  if [ -n "$(find "$dir" -name '*.yml' -print -quit 2>/dev/null)" ]; then targets+=("$dir"); fi
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "ansible-lint: no roles or playbooks yet"
  exit 0
fi
.venv/bin/ansible-lint --offline --profile production "${targets[@]}"
