"""The ``hvsim`` command.

hvsim serve --estate lab3|FILE [--kdc auto|samba|none] [--call-log FILE] [--block N] [--http-port P] [--https-port P]
            [--admin-port P]
    Runs the estate until SIGTERM/SIGINT; prints "hvsim ready" once every machine listens, then one
    JSON line with the addresses, the CA certificate, the admin API URL and the KDC (realm, address,
    krb5.conf), then an "hvsim directory:" line saying what the domain's directory and KDC are.
    --kdc samba: a Samba AD DC of the estate's own is the domain's KDC and directory (hvsim.samba; needs root
    and the samba packages); none: hvsim's in-model directory, no KDC (Negotiate is NTLM); auto (default):
    samba for a domain estate where a Samba DC can run, else none.
hvsim fleet --hosts N --vms M [--output FILE]
    Writes a generated `fleet` estate (N Hyper-V hosts with M VMs each) as YAML.
hvsim check --estate FILE
    Checks an estate file against the estate schema (hvsim.estate_schema): prints every problem and exits 1, or
    prints "estate OK: ..." and exits 0.
An estate file with problems makes `serve` print them and exit 2 before anything starts.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import signal
import sys
import threading

import yaml

from hvsim.estate_schema import EstateError
from hvsim.runner import estate_spec, start_estate


def _check(arguments: argparse.Namespace) -> int:
    try:
        spec = estate_spec(arguments.estate)
    except EstateError as exc:
        print(exc, file=sys.stderr)
        return 1
    machines = spec.get("machines") or []
    vms = sum(len((m.get("hyperv") or {}).get("vms") or []) for m in machines)
    print(f"estate OK: {arguments.estate}: {len(machines)} machines, {vms} VMs")
    return 0


def _kdc_choice(arguments: argparse.Namespace) -> tuple[str | None, str]:
    """The KDC to start (None or "samba") and the line that says what the directory is."""
    from hvsim.samba import unavailable_reason, unfit_estate  # pylint: disable=import-outside-toplevel

    spec = estate_spec(arguments.estate)
    if not spec.get("domain"):
        return None, "hvsim directory: none (the estate has no domain)"
    in_model = ("hvsim directory: the in-model directory, no KDC ({why}): Negotiate is NTLM, so Kerberos-only "
                "constrained delegation is refused as on Windows (tests/hvsim/DESIGN.md)")
    if arguments.kdc == "none":
        return None, in_model.format(why="--kdc none")
    reason = unfit_estate(spec) or unavailable_reason()
    if reason is not None:
        if arguments.kdc == "samba":
            raise SystemExit(f"hvsim: --kdc samba: no Samba DC can run here: {reason}")
        return None, in_model.format(why=reason)
    return "samba", "hvsim directory: a Samba AD DC is the domain's KDC and directory ({realm}, KDC at {address})"


def _serve(arguments: argparse.Namespace) -> int:
    try:
        estate_spec(arguments.estate)
    except EstateError as exc:
        print(exc, file=sys.stderr)
        return 2
    kdc, directory_line = _kdc_choice(arguments)
    estate = start_estate(
        arguments.estate,
        kdc=kdc,
        block=arguments.block,
        call_log=pathlib.Path(arguments.call_log) if arguments.call_log else None,
        http_port=arguments.http_port,
        https_port=arguments.https_port,
        admin_port=arguments.admin_port,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        print("hvsim ready", flush=True)
        details = {
            "machines": {name: machine.address for name, machine in estate.world.machines.items()},
            "http_port": estate.http_port,
            "https_port": estate.https_port,
            "ca_pem": str(estate.ca_pem),
            "admin": estate.admin.url,
            "call_log": str(estate.call_log_path),
            "kdc": None,
        }
        realm = estate.realm
        if realm is not None:
            details["kdc"] = {"realm": realm.name, "address": realm.kdc_address, "krb5_conf": str(realm.krb5_conf),
                              "ldap_ca": estate.kdc.ca_path}
        print(json.dumps(details), flush=True)
        print(directory_line.format(realm=getattr(realm, "name", ""), address=getattr(realm, "kdc_address", "")),
              flush=True)
        stop.wait()
    finally:
        estate.stop()
    return 0


def _fleet(arguments: argparse.Namespace) -> int:
    from hvsim.estate import fleet

    text = yaml.safe_dump(fleet(arguments.hosts, arguments.vms), sort_keys=False)
    if arguments.output:
        pathlib.Path(arguments.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hvsim", description="A simulated Hyper-V estate speaking WinRM/PSRP")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run an estate until stopped")
    serve.add_argument("--estate", default="lab3", help="a shipped estate name (lab3, workgroup) or a YAML file")
    serve.add_argument("--kdc", choices=("auto", "samba", "none"), default="auto",
                       help="the domain's KDC and directory: a Samba AD DC (samba), hvsim's model (none), or samba "
                            "where it can run (auto)")
    serve.add_argument("--call-log", help="write one JSON line per cmdlet or native call to this file")
    serve.add_argument("--block", type=int, help="move 127.0.0.x addresses to 127.<block>.0.x")
    serve.add_argument("--http-port", type=int)
    serve.add_argument("--https-port", type=int)
    serve.add_argument("--admin-port", type=int)
    serve.set_defaults(handler=_serve)
    check = commands.add_parser("check", help="check an estate file against the estate schema")
    check.add_argument("--estate", required=True, help="a shipped estate name (lab3, workgroup) or a YAML file")
    check.set_defaults(handler=_check)
    fleet_parser = commands.add_parser("fleet", help="generate a fleet estate")
    fleet_parser.add_argument("--hosts", type=int, required=True)
    fleet_parser.add_argument("--vms", type=int, required=True)
    fleet_parser.add_argument("--output")
    fleet_parser.set_defaults(handler=_fleet)
    arguments = parser.parse_args(argv)
    return int(arguments.handler(arguments))


if __name__ == "__main__":
    sys.exit(main())
