#!/usr/bin/env bash
# `make demo`: start the simulated lab3 estate, run the end-to-end playbooks against it, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/demo
log=build/demo/hvsim.log
.venv/bin/hvsim serve --estate lab3 --call-log build/demo/calls.jsonl >"$log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^hvsim ready' "$log" && break
  kill -0 "$sim" 2>/dev/null || { cat "$log"; echo "hvsim did not start" >&2; exit 1; }
  sleep 0.2
done
grep -q '^hvsim ready' "$log" || { cat "$log"; echo "hvsim not ready after 20 s" >&2; exit 1; }
echo "hvsim lab3 estate is up: $(sed -n 2p "$log")"
# The inventory names hosts by FQDN: map lab3's names to its loopback addresses for the modules (no DNS, no
# /etc/hosts). This demo estate has no KDC (the Kerberos tests start a Samba DC, which needs root): Negotiate
# falls back to NTLM, which hvsim takes as Kerberos, and its in-model directory decides delegation (tests/hvsim/DESIGN.md).
HVSIM_HOSTS="$(.venv/bin/python -c 'import json; from hvsim.runner import estate_spec
spec = estate_spec("lab3"); domain = spec["domain"]["dns_name"]
print(json.dumps({m["name"] + "." + domain: m["address"] for m in spec["machines"] if m.get("role") != "appliance"}))')"
export HVSIM_HOSTS PYTHONPATH="$PWD/tests/integration/hostmap${PYTHONPATH:+:$PYTHONPATH}"
export KRB5_CONFIG="$PWD/tests/integration/hostmap/krb5-no-kdc.conf"
echo "lab3 has no KDC in the demo: NTLM carries the sessions and hvsim takes them as Kerberos, with its in-model directory (the Kerberos tests run lab3 with a Samba DC as its KDC; tests/hvsim/DESIGN.md)"
export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections"
export ANSIBLE_PYTHON_INTERPRETER="$PWD/.venv/bin/python"
.venv/bin/ansible-playbook -i playbooks/inventory/lab3.yml playbooks/site.yml "$@"
echo "Every cmdlet and native call the demo made is in build/demo/calls.jsonl"
