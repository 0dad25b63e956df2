"""Start and stop a whole estate: world, WinRM listeners, appliance APIs and the admin API."""

from __future__ import annotations

import copy
import importlib.util
import json
import pathlib
import tempfile
import typing

import yaml

from hvsim.admin import AdminServer
from hvsim.estate_schema import validate
from hvsim.server import Simulation
from hvsim.snapshot import to_data
from hvsim.wire import WireServer
from hvsim.world.model import World

ESTATES_DIR = pathlib.Path(__file__).parent / "estates"


def estate_spec(name_or_path: str | pathlib.Path | dict[str, typing.Any]) -> dict[str, typing.Any]:
    """An estate spec from a shipped name (``lab3``), a YAML path, or a dict (copied)."""
    if isinstance(name_or_path, dict):
        return copy.deepcopy(name_or_path)
    path = pathlib.Path(name_or_path)
    if not path.suffix:
        path = ESTATES_DIR / f"{name_or_path}.yml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    validate(spec, str(path))  # a file is written by people: every typo is reported before anything starts
    return typing.cast(dict[str, typing.Any], spec)


def move_to_block(spec: dict[str, typing.Any], block: int) -> dict[str, typing.Any]:
    """Move every 127.0.0.x address of the spec to 127.<block>.0.x, so estates can run side by side."""
    if not 0 <= block <= 255:
        raise ValueError(f"address block must be 0..255, not {block}")
    text = json.dumps(spec)
    moved = text.replace('"127.0.0.', f'"127.{block}.0.')
    return json.loads(moved)


class RunningEstate:
    def __init__(
        self,
        spec: dict[str, typing.Any],
        *,
        call_log: pathlib.Path | None = None,
        http_port: int | None = None,
        https_port: int | None = None,
        admin_port: int | None = None,
        kdc: str | None = None,
    ) -> None:
        from hvsim.estate import build_world  # the world's own loader

        if kdc not in (None, "samba"):
            raise ValueError(f"kdc must be None or 'samba', not {kdc!r}")
        self._kdc_kind = kdc
        self.kdc: typing.Any = None  # the estate's own hvsim.samba.SambaDC once started

        self.spec = spec
        ports = spec.get("ports", {})
        self.http_port = http_port or ports.get("http", 5985)
        self.https_port = https_port or ports.get("https", 5986)
        admin = spec.get("admin", {})
        self.admin_port = admin_port if admin_port is not None else admin.get("port", 0)
        self._workdir = tempfile.TemporaryDirectory(prefix="hvsim-")
        self.world: World = build_world(spec)
        self.simulation = Simulation(self.world, call_log=call_log or pathlib.Path(self._workdir.name) / "calls.jsonl")
        listeners = [(m.name, m.address) for m in self.world.machines.values() if m.role != "appliance"]
        self.wire = WireServer(
            self.simulation,
            listeners,
            http_port=self.http_port,
            https_port=self.https_port,
            cert_dir=pathlib.Path(self._workdir.name) / "certs",
        )
        first_address = next(iter(self.world.machines.values())).address
        self.admin = AdminServer(self, admin.get("address", first_address), self.admin_port)
        self.appliances: list[typing.Any] = []
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> RunningEstate:
        self.wire.start()
        self.admin.start()
        self._start_appliances()
        self._started = True
        if self._kdc_kind == "samba":
            try:
                self._start_kdc()
            except BaseException:
                self.stop()
                raise
        return self

    def _start_kdc(self) -> None:
        """A Samba DC of its own as the domain's KDC and directory (hvsim.samba), on the domain controller's
        address when its Kerberos and LDAP ports are free there (as on a real domain), else on a free one."""
        from hvsim.samba import address_free, kerberize, start_samba_dc  # pylint: disable=import-outside-toplevel

        controller = next((m for m in self.world.machines.values() if m.role == "domain_controller"), None)
        address = controller.address if controller is not None and address_free(controller.address) else None
        workdir = pathlib.Path(self._workdir.name) / "samba"
        workdir.mkdir()
        self.kdc = start_samba_dc(workdir, address)
        kerberize(self.kdc, self)

    @property
    def realm(self) -> typing.Any:
        """The domain's Kerberos realm (hvsim.kerberos.Realm) when a KDC serves it, else None."""
        directory = getattr(self.world, "directory", None)
        return getattr(directory, "realm", None)

    def _start_appliances(self) -> None:
        machines = [m for m in self.world.machines.values() if m.role == "appliance"]
        if not machines or importlib.util.find_spec("hvsim.appliance") is None:
            # the emulated App Layering appliance (issue 9) is not written yet: its machine serves nothing
            return
        from hvsim.appliance import start_appliance

        for machine in machines:
            self.appliances.append(start_appliance(self.world, machine, cert_dir=pathlib.Path(self._workdir.name) / "certs"))

    def stop(self) -> None:
        if self._started:
            for appliance in self.appliances:
                appliance.stop()
            self.admin.stop()
            self.wire.stop()
            self._started = False
        if self.kdc is not None:
            store = getattr(self.world.directory, "store", None)
            if store is not None:
                store.close()
            self.kdc.stop()
            self.kdc = None
        self._workdir.cleanup()

    def __enter__(self) -> RunningEstate:
        return self.start()

    def __exit__(self, *exc_info: typing.Any) -> None:
        self.stop()

    # -- facts -----------------------------------------------------------------------------
    def address(self, machine: str) -> str:
        found = self.world.machine(machine)
        if found is None:
            raise KeyError(f"no machine {machine} in this estate")
        return found.address

    @property
    def ca_pem(self) -> pathlib.Path:
        return pathlib.Path(self.wire.ca_pem_path)

    @property
    def call_log_path(self) -> pathlib.Path:
        assert self.simulation.call_log is not None
        return self.simulation.call_log

    def call_log(self) -> list[dict[str, typing.Any]]:
        text = self.call_log_path.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def snapshot(self) -> dict[str, typing.Any]:
        with self.world.lock:
            return typing.cast(dict[str, typing.Any], to_data(self.world))

    def counters(self, machine: str) -> dict[str, typing.Any]:
        name = self.world.machine(machine).name  # type: ignore[union-attr]
        return self.simulation.counters[name].as_dict()

    def all_counters(self) -> dict[str, dict[str, typing.Any]]:
        return {name: counters.as_dict() for name, counters in self.simulation.counters.items()}

    def reset_counters(self) -> None:
        self.simulation.reset_counters()

    # -- questions and faults ----------------------------------------------------------------
    def reachable(self, source: str, destination: str) -> bool:
        from hvsim.world.network import endpoint_can_reach

        with self.world.lock:
            return endpoint_can_reach(self.world, source, destination)

    def inject_fault(self, machine: str, kind: str, seconds: float = 0.0, count: int = 1, volume: str = "C:",
                     after: int = 0) -> None:
        target = self.world.machine(machine)
        if target is None:
            raise ValueError(f"no machine {machine}")
        if kind == "disk_full":
            with self.world.lock:
                target.fs.fill_volume(volume)
            return
        if kind == "clear":
            self.wire.faults.clear(target.name)
            return
        self.wire.faults.set(target.name, kind, seconds=seconds, count=count, after=after)

    def advance_clock(self, seconds: float) -> float:
        """Let ``seconds`` of world time pass (hvsim.clock); returns the world clock's new reading."""
        self.world.clock.advance(float(seconds))
        return self.world.clock.now

    def set_power(self, machine: str, on: bool) -> None:
        target = self.world.machine(machine)
        if target is None:
            raise ValueError(f"no machine {machine}")
        with self.world.lock:
            target.platform.set_powered(on)


def start_estate(
    name_or_path: str | pathlib.Path | dict[str, typing.Any], *, block: int | None = None, **kwargs: typing.Any
) -> RunningEstate:
    """Build and start an estate; ``block`` moves it to 127.<block>.0.x."""
    spec = estate_spec(name_or_path)
    if block is not None:
        spec = move_to_block(spec, block)
    return RunningEstate(spec, **kwargs).start()
