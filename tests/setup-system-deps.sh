#!/usr/bin/env bash
# Debian packages the tests need (see bindep.txt); installed only when missing. libkrb5-dev must be there
# before pip builds gssapi and krb5 (pyspnego[kerberos]), so the Makefile runs this first.
set -euo pipefail
missing=()
for cmd_pkg in "samba:samba-ad-dc" "samba-tool:samba-ad-provision" "kinit:krb5-user" "krb5-config:libkrb5-dev" "shellcheck:shellcheck"; do
  cmd=${cmd_pkg%%:*}; pkg=${cmd_pkg#*:}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages: ${missing[*]} (run as root or install them: see bindep.txt)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packaged services must not run: tests start their own DC on a loopback address.
  for svc in samba-ad-dc smbd nmbd winbind; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
  done
fi
