#!/usr/bin/env bash
# `make demo`: start the simulated lab3 estate with a Samba AD DC as its KDC and directory, run the end-to-end
# playbooks against it (by FQDN, so Negotiate is Kerberos as in a real domain), stop both.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/demo
log=build/demo/hvsim.log
# The domain's KDC is a real Samba AD DC, which runs only as root (samba refuses otherwise): say so before
# anything starts rather than fail deep in a task. HVSIM_KDC=none runs the lab without it (hvsim's in-model
# directory, Negotiate falls back to NTLM, and the Kerberos-only live migration then fails as on Windows).
kdc="${HVSIM_KDC:-samba}"
if [ "$kdc" = samba ]; then
  why="$(.venv/bin/python -c 'from hvsim.samba import unavailable_reason; print(unavailable_reason() or "")')"
  if [ -n "$why" ]; then
    echo "make demo needs a Samba AD DC as lab3's KDC and directory, and none can run here: $why." >&2
    echo "Run it as root on a machine with the samba packages (tests/setup-system-deps.sh installs them), or" >&2
    echo "HVSIM_KDC=none make demo for the lab without a KDC (NTLM only: the Kerberos live migration will fail)." >&2
    exit 2
  fi
fi
.venv/bin/hvsim serve --estate lab3 --kdc "$kdc" --call-log build/demo/calls.jsonl >"$log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -q '^hvsim directory' "$log" && break
  kill -0 "$sim" 2>/dev/null || { cat "$log"; echo "hvsim did not start" >&2; exit 1; }
  sleep 0.2
done
grep -q '^hvsim directory' "$log" || { cat "$log"; echo "hvsim not ready after 60 s" >&2; exit 1; }
details="$(sed -n 2p "$log")"
echo "hvsim lab3 estate is up: $details"
grep '^hvsim directory' "$log"
# The inventory names hosts by FQDN: map lab3's names to its loopback addresses for the modules (no DNS, no
# /etc/hosts), and point the controller's Kerberos at the estate's KDC (a private krb5.conf; /etc is untouched).
HVSIM_HOSTS="$(.venv/bin/python -c 'import json; from hvsim.runner import estate_spec
spec = estate_spec("lab3"); domain = spec["domain"]["dns_name"]
print(json.dumps({m["name"] + "." + domain: m["address"] for m in spec["machines"] if m.get("role") != "appliance"}))')"
KRB5_CONFIG="$(.venv/bin/python -c 'import json, sys; kdc = json.loads(sys.argv[1])["kdc"]
print(kdc["krb5_conf"] if kdc else sys.argv[2])' "$details" "$PWD/tests/integration/hostmap/krb5-no-kdc.conf")"
export HVSIM_HOSTS KRB5_CONFIG PYTHONPATH="$PWD/tests/integration/hostmap${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections"
export ANSIBLE_PYTHON_INTERPRETER="$PWD/.venv/bin/python"
.venv/bin/ansible-playbook -i playbooks/inventory/lab3.yml playbooks/site.yml "$@"
echo "Every cmdlet and native call the demo made is in build/demo/calls.jsonl (its \"auth\" is the mechanism each session used)"
