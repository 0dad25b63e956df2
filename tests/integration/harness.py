"""Run real ansible-playbook against a running hvsim estate and read back every task result."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import typing

import yaml

if typing.TYPE_CHECKING:
    from hvsim.runner import RunningEstate

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / "build" / "collections"
CALLBACKS = pathlib.Path(__file__).resolve().parent / "callback_plugins"
INVENTORIES = ROOT / "playbooks" / "inventory"


@dataclasses.dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    results: list[dict[str, typing.Any]]

    def result(self, task: str, host: str | None = None) -> dict[str, typing.Any]:
        """The result of the last run of ``task`` (on ``host`` if given)."""
        for record in reversed(self.results):
            if record["task"] == task and (host is None or record["host"] == host):
                return typing.cast(dict[str, typing.Any], record["result"])
        raise KeyError(f"no result for task {task!r}; tasks seen: {[r['task'] for r in self.results]}\n{self.stdout}")

    def status(self, task: str, host: str | None = None) -> str:
        for record in reversed(self.results):
            if record["task"] == task and (host is None or record["host"] == host):
                return typing.cast(str, record["status"])
        raise KeyError(task)


def admin_credentials(estate: RunningEstate, machine: str) -> tuple[str, str]:
    """The estate's administrator for ``machine``: the domain admin when joined, else a local admin."""
    if hasattr(estate, "credentials"):  # estates.Estate: hvsim's lab3 seen narrowly, or a real lab
        return typing.cast(tuple[str, str], estate.credentials(machine))
    target = estate.world.machine(machine)
    if target is None:
        raise KeyError(machine)
    domain = estate.world.domain
    if target.domain and domain is not None and domain.admins:
        user, password = next(iter(domain.admins.items()))
        return f"{domain.netbios}\\{user}", password
    user, password = next(iter(target.local_accounts.items()))
    return user, password


def realm_of(estate: RunningEstate) -> typing.Any:
    """The estate's Kerberos realm when a KDC serves it (samba_dc.kerberize), else None (also for an
    estates.Estate, whose Kerberos is the controller's own: docs/testing.md)."""
    world = getattr(estate, "world", None)
    return getattr(world.directory, "realm", None) if world is not None else None


def connection_defaults(estate: RunningEstate, machine: str, auth: str = "ntlm") -> dict[str, typing.Any]:
    """Negotiate and Kerberos connect by FQDN where the estate has a KDC (Kerberos as in a real domain), as
    user@REALM; NTLM, CredSSP and estates without a KDC by address (no name is needed for those)."""
    user, password = admin_credentials(estate, machine)
    if hasattr(estate, "credentials"):  # estates.Estate: by address, with the inventory's port and TLS
        defaults = {"hostname": estate.address(machine), "username": user, "password": password, "auth": auth}
        if getattr(estate, "port", 5985) != 5985:
            defaults["port"] = estate.port
        if getattr(estate, "ssl", False):
            defaults["ssl"] = True
        return defaults
    target = estate.world.machine(machine)
    realm = realm_of(estate)
    by_name = realm is not None and target is not None and target.domain and auth in ("negotiate", "kerberos")
    if by_name:
        user = f"{user.split(chr(92))[-1]}@{realm.name}"  # a Kerberos principal (user@REALM), not DOMAIN\user
    hostname = target.fqdn if by_name and target is not None else estate.address(machine)
    return {"hostname": hostname, "username": user, "password": password, "auth": auth}


NO_KDC_CONF = pathlib.Path(__file__).resolve().parent / "hostmap" / "krb5-no-kdc.conf"


def _estate_environment(estate: RunningEstate | None) -> dict[str, str]:
    """The estate's names (tests/integration/hostmap: hv1.lab.test -> its loopback address, no DNS or /etc/hosts)
    and the controller's krb5.conf: the estate's KDC when it has one, else one that knows no KDC (Negotiate
    falls back to NTLM at once), never /etc's."""
    if estate is None or getattr(estate, "world", None) is None:  # estates.Estate: the controller's own setup
        return {}
    realm = realm_of(estate)
    hosts = {m.fqdn: m.address for m in estate.world.machines.values() if m.domain}  # domain members only
    hostmap = str(pathlib.Path(__file__).resolve().parent / "hostmap")
    return {"KRB5_CONFIG": str(realm.krb5_conf if realm is not None else NO_KDC_CONF), "HVSIM_HOSTS": json.dumps(hosts),
            "PYTHONPATH": os.pathsep.join(filter(None, [hostmap, os.environ.get("PYTHONPATH")]))}


def _environment(capture: pathlib.Path, workdir: pathlib.Path, extra: dict[str, str] | None = None,
                 estate: RunningEstate | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_estate_environment(estate))
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="capture",
        CAPTURE_FILE=str(capture),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_DEPRECATION_WARNINGS="0",
    )
    env.pop("HYPERV_HOST", None)
    env.update(extra or {})
    return env


def _run(arguments: list[str], workdir: pathlib.Path, environment: dict[str, str] | None = None,
         estate: RunningEstate | None = None, program: str = "ansible-playbook") -> PlaybookRun:
    capture = workdir / "results.jsonl"
    capture.write_text("")
    binary = pathlib.Path(sys.executable).parent / program
    completed = subprocess.run(
        [str(binary), *arguments], capture_output=True, text=True, env=_environment(capture, workdir, environment, estate),
        cwd=workdir, timeout=900, check=False,
    )
    results = [json.loads(line) for line in capture.read_text().splitlines() if line.strip()]
    return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, results)


def run_on_localhost(module: str, args: dict[str, typing.Any]) -> PlaybookRun:
    """One task of ``module`` on localhost with no host of the estate (hyperv_spn's ldap back end talks only LDAP)."""
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "tasks": [{"name": "task", module: args}]}]
    with tempfile.TemporaryDirectory(prefix="hvsim-play-") as name:
        workdir = pathlib.Path(name)
        (workdir / "tmp").mkdir()
        (workdir / "play.yml").write_text(yaml.safe_dump(play))
        return _run(["-i", "localhost,", str(workdir / "play.yml")], workdir)


def run_playbook(
    estate: RunningEstate,
    tasks: list[dict[str, typing.Any]],
    *,
    host: str = "hv1",
    check: bool = False,
    diff: bool = False,
    extra_vars: dict[str, typing.Any] | None = None,
    auth: str = "ntlm",
    connection: dict[str, typing.Any] | None = None,
    environment: dict[str, str] | None = None,
    verbosity: int = 0,
) -> PlaybookRun:
    """One play on localhost whose winvirt.hyperv modules connect to ``host`` of the estate.

    ``connection`` replaces the estate administrator's connection options (``module_defaults``);
    ``environment`` adds variables to ansible-playbook's environment (e.g. the ``HYPERV_*`` of a credential).
    """
    play = {
        "name": "integration test",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "module_defaults": {
            "group/winvirt.hyperv.hyperv": connection if connection is not None else connection_defaults(estate, host, auth)
        },
        "tasks": tasks,
    }
    with tempfile.TemporaryDirectory(prefix="hvsim-play-") as name:
        workdir = pathlib.Path(name)
        (workdir / "tmp").mkdir()
        playbook = workdir / "play.yml"
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        arguments = ["-i", "localhost,", str(playbook)]
        if check:
            arguments.append("--check")
        if diff:
            arguments.append("--diff")
        if extra_vars:
            arguments += ["-e", json.dumps(extra_vars)]
        if verbosity:
            arguments.append("-" + "v" * verbosity)
        return _run(arguments, workdir, environment, estate)


def estate_inventory(estate: RunningEstate, name: str, workdir: pathlib.Path, by_address: bool = False) -> pathlib.Path:
    """The shipped inventory ``playbooks/inventory/<name>.yml`` moved to the estate's addresses (``by_address``:
    hosts reached by address instead of by FQDN)."""
    text = (INVENTORIES / f"{name}.yml").read_text(encoding="utf-8")
    for machine in estate.world.machines.values():
        shipped = machine.address.split(".")
        text = text.replace(f"127.0.0.{shipped[-1]},", f"{machine.address},").replace(
            f"127.0.0.{shipped[-1]}}}", f"{machine.address}}}"
        )
        if by_address:
            text = text.replace(f"ansible_host: {machine.fqdn},", f"ansible_host: {machine.address},")
    path = workdir / f"{name}.yml"
    path.write_text(text, encoding="utf-8")
    return path


def run_playbook_file(
    estate: RunningEstate,
    playbook: str | pathlib.Path,
    *,
    inventory: str = "lab3",
    extra_vars: dict[str, typing.Any] | None = None,
    check: bool = False,
    diff: bool = False,
    limit: str | None = None,
    environment: dict[str, str] | None = None,
    by_address: bool = False,
) -> PlaybookRun:
    """Run a playbook from playbooks/ against the estate with its shipped inventory (``environment`` as in run_playbook)."""
    path = pathlib.Path(playbook)
    if not path.is_absolute():
        path = ROOT / "playbooks" / path
    with tempfile.TemporaryDirectory(prefix="hvsim-play-") as name:
        workdir = pathlib.Path(name)
        (workdir / "tmp").mkdir()
        arguments = ["-i", str(estate_inventory(estate, inventory, workdir, by_address)), str(path)]
        if check:
            arguments.append("--check")
        if diff:
            arguments.append("--diff")
        if limit:
            arguments += ["--limit", limit]
        if extra_vars:
            arguments += ["-e", json.dumps(extra_vars)]
        return _run(arguments, workdir, environment, estate)


def run_inventory(estate: RunningEstate, sources: list[pathlib.Path], workdir: pathlib.Path, *arguments: str,
                  playbook: pathlib.Path | None = None, environment: dict[str, str] | None = None) -> PlaybookRun:
    """``ansible-inventory -i SOURCE... --list`` (or ``ansible-playbook -i SOURCE... PLAYBOOK``) in ``workdir``, with
    the estate's names and krb5.conf as for the playbooks."""
    (workdir / "tmp").mkdir(exist_ok=True)
    inventories = [part for source in sources for part in ("-i", str(source))]
    if playbook is not None:
        return _run([*inventories, *arguments, str(playbook)], workdir, environment, estate)
    return _run([*inventories, "--list", *arguments], workdir, environment, estate, program="ansible-inventory")


BLOCKS_TO_TRY = 40


def start_on_free_block(estate: str | dict[str, typing.Any], salt: int = 0) -> typing.Any:
    """Start an estate on a block of loopback addresses of its own (127.<block>.0.x), chosen from the process id
    (plus ``salt`` for a second estate of the same process), so parallel runs on one machine never share addresses;
    a block another process holds is skipped for the next."""
    from hvsim.runner import start_estate  # pylint: disable=import-outside-toplevel  # tests/hvsim is on the path by now

    last: OSError | None = None
    for offset in range(BLOCKS_TO_TRY):
        try:
            return start_estate(estate, block=100 + (os.getpid() + salt + offset) % 150, admin_port=0)
        except OSError as exc:  # an address of the block is in use by another process
            if exc.errno != errno.EADDRINUSE:
                raise
            last = exc
    raise RuntimeError(f"no free loopback address block for estate {estate if isinstance(estate, str) else '(spec)'}: "
                       f"{last}")
