"""The wire with real clients: pypsrp (PSRP over WS-Management) and pywinrm (WinRS), NTLM with message
encryption over HTTP, Basic and NTLM over HTTPS, wrong passwords, error records, native exit codes."""

from __future__ import annotations

import os
import pathlib
import typing

import pytest
from pypsrp.exceptions import AuthenticationError, WinRMTransportError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvsim.contract import (
    AccountSecret,
    ErrorEvent,
    ErrorInfo,
    Failed,
    NativeResult,
    Output,
    PSEnumValue,
    PSOutObject,
    Principal,
    SecureValue,
    UInt64,
)
from hvsim.wire import WireServer

BLOCK = 1 + os.getpid() % 250
ADDRESS = f"127.{BLOCK}.9.11"
HTTP_PORT, HTTPS_PORT = 15985, 15986


class EchoBackend:
    """A Backend that answers from what it is sent, so the test can check both directions."""

    def __init__(self) -> None:
        self.reachable = True
        self.received: list[typing.Any] = []
        self.wire: list[tuple[int, int, int]] = []
        self.shells: list[tuple[str, bool]] = []
        self.boot = 0

    def machine_at(self, address: str) -> str | None:
        return "hv1" if address == ADDRESS else None

    def is_reachable(self, machine: str) -> bool:
        return self.reachable

    def accounts(self) -> list[AccountSecret]:
        return [AccountSecret("LAB", "Administrator", "Passw0rd!"), AccountSecret("", "localadmin", "L0cal!pw"),
                AccountSecret("LAB", "user1", "Us3r!pw")]

    def authorize(self, machine: str, domain: str, username: str, auth: str, delegable: bool,
                  client_address: str, client_principal: str = "", credentials: typing.Any = None) -> Principal | None:
        if username.lower() == "user1":
            return None  # not an administrator
        user = f"{domain.upper()}\\{username}" if domain else username
        return Principal(machine, user, typing.cast(typing.Any, auth), delegable, client_address)

    def certificate_user(self, machine: str, der: bytes) -> Principal | None:
        from cryptography import x509

        subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
        return Principal(machine, "localadmin", "certificate", False) if subject == "CN=localadmin" else None

    def run_pipeline(self, principal: Principal, statements: list[typing.Any], input_objects: list[typing.Any]):
        self.received.append(statements)
        for statement in statements:
            command = statement[0]
            if command.name == "Fail-Now":
                yield Failed(ErrorInfo("it broke", category="InvalidOperation", fqid="Broke,Test", hresult=-2147024846,
                                       exception_type="Microsoft.HyperV.PowerShell.VirtualizationException"))
                return
            if command.name == "Warn-Error":
                yield ErrorEvent(ErrorInfo("soft error", category="ObjectNotFound", fqid="Soft,Test"))
                continue
            yield Output(PSOutObject(
                ["Microsoft.HyperV.PowerShell.VirtualMachine"],
                {"Name": command.name, "User": principal.user, "Auth": principal.auth,
                 "State": PSEnumValue("Microsoft.HyperV.PowerShell.VMState", "Running", 2),
                 "Size": UInt64(2**40), "Params": {str(k): (v.secret if isinstance(v, SecureValue) else v)
                                                    for k, v in command.parameters}},
                to_string=f"VirtualMachine (Name = '{command.name}')",
            ))

    def run_native(self, principal: Principal, command_line: str, *, through_cmd: bool = True) -> NativeResult:
        return NativeResult(f"ran {command_line}\r\n".encode(), b"oops\r\n" if "fail" in command_line else b"",
                            3 if "fail" in command_line else 0)

    def record_wire(self, machine: str, messages: int, bytes_in: int, bytes_out: int) -> None:
        self.wire.append((messages, bytes_in, bytes_out))

    def record_shell(self, machine: str, opened: bool) -> None:
        self.shells.append((machine, opened))

    def boot_generation(self, machine: str) -> int:
        return self.boot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> typing.Iterator[tuple[WireServer, EchoBackend]]:
    backend = EchoBackend()
    wire = WireServer(backend, [("hv1", ADDRESS)], http_port=HTTP_PORT, https_port=HTTPS_PORT,
                      cert_dir=tmp_path_factory.mktemp("certs"))
    wire.start()
    yield wire, backend
    wire.stop()


def _invoke(wsman: WSMan, *commands: tuple[str, dict[str, typing.Any]]) -> PowerShell:
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        for index, (name, params) in enumerate(commands):
            if index:
                ps.add_statement()
            ps.add_cmdlet(name)
            for key, value in params.items():
                ps.add_parameter(key, value)
        ps.invoke()
        return ps


def test_ntlm_over_http_is_encrypted_and_round_trips_objects(server: tuple[WireServer, EchoBackend]) -> None:
    _, backend = server
    wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="ntlm", username="LAB\\Administrator", password="Passw0rd!",
                  encryption="always")
    ps = _invoke(wsman, ("Get-VM", {"Name": "web1'; Remove-VM *", "Count": 3, "Force": None}))
    assert not ps.had_errors
    [vm] = ps.output
    assert vm.types[0] == "Microsoft.HyperV.PowerShell.VirtualMachine"
    props = vm.adapted_properties  # a .NET object's own properties: <Props>, at depth 0 (enums as strings)
    assert props["Name"] == "Get-VM" and props["User"] == "LAB\\Administrator" and props["Auth"] == "ntlm"
    assert props["State"] == "Running" and props["Size"] == 2**40
    assert props["Params"] == {"Name": "web1'; Remove-VM *", "Count": 3, "Force": None}
    assert backend.wire, "wire traffic is counted"


def test_runspace_pools_opened_and_closed_are_counted(server: tuple[WireServer, EchoBackend]) -> None:
    """Instrumentation: a RunspacePool's Create and Delete reach the backend's counter; a WinRS shell's do not,
    and two pipelines in one pool are one open."""
    _, backend = server
    backend.shells.clear()
    wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="ntlm", username="LAB\\Administrator", password="Passw0rd!",
                  encryption="always")
    with RunspacePool(wsman) as pool:
        for name in ("Get-VM", "Get-VMHost"):
            ps = PowerShell(pool)
            ps.add_cmdlet(name)
            ps.invoke()
        assert backend.shells == [("hv1", True)]
    assert backend.shells == [("hv1", True), ("hv1", False)]
    import winrm

    protocol = winrm.Protocol(f"http://{ADDRESS}:{HTTP_PORT}/wsman", transport="ntlm", username="LAB\\Administrator",
                              password="Passw0rd!", message_encryption="always")
    shell = protocol.open_shell()
    protocol.close_shell(shell)
    assert backend.shells == [("hv1", True), ("hv1", False)]


def test_a_restart_ends_the_shells_of_the_boot_before(server: tuple[WireServer, EchoBackend]) -> None:
    """A RunspacePool opened before the machine restarted is gone: its next pipeline's Command is answered with
    shell not found (w:InvalidSelectors 2150858843), and a new pool works."""
    from pypsrp.exceptions import WSManFaultError

    _, backend = server
    wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="ntlm", username="LAB\\Administrator", password="Passw0rd!",
                  encryption="always")
    pool = RunspacePool(wsman)
    pool.open()
    try:
        backend.boot += 1
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-VM")
        with pytest.raises(WSManFaultError) as raised:
            ps.invoke()
        assert raised.value.code == 2150858843 and "shell was not found" in str(raised.value.reason)
    finally:
        backend.boot -= 1
        try:
            pool.close()
        except WSManFaultError:
            pass
    assert not _invoke(wsman, ("Get-VM", {})).had_errors


def test_statements_and_error_records(server: tuple[WireServer, EchoBackend]) -> None:
    wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="ntlm", username="LAB\\Administrator", password="Passw0rd!")
    ps = _invoke(wsman, ("Get-A", {}), ("Warn-Error", {}), ("Get-B", {}), ("Fail-Now", {}), ("Get-C", {}))
    assert [o.adapted_properties["Name"] for o in ps.output] == ["Get-A", "Get-B"]
    assert ps.had_errors
    soft, hard = ps.streams.error
    assert soft.fq_error == "Soft,Test" and hard.fq_error == "Broke,Test"
    assert hard.exception.adapted_properties["HResult"] == -2147024846
    assert hard.reason == "VirtualizationException" and hard.category == 7  # ErrorCategory.InvalidOperation


def test_wrong_password_and_non_admin_are_refused(server: tuple[WireServer, EchoBackend]) -> None:
    for user, password in (("LAB\\Administrator", "wrong"), ("LAB\\user1", "Us3r!pw")):
        wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="ntlm", username=user, password=password)
        with pytest.raises((AuthenticationError, WinRMTransportError)):
            _invoke(wsman, ("Get-VM", {}))


def test_https_basic_and_ntlm_with_ca_validation(server: tuple[WireServer, EchoBackend]) -> None:
    wire, _ = server
    ca = str(wire.ca_pem_path)
    for auth, user, password in (("basic", "localadmin", "L0cal!pw"), ("ntlm", "LAB\\Administrator", "Passw0rd!")):
        wsman = WSMan(ADDRESS, port=HTTPS_PORT, ssl=True, auth=auth, username=user, password=password, cert_validation=ca)
        ps = _invoke(wsman, ("Get-VM", {}))
        assert ps.output[0].adapted_properties["Auth"] == auth


def test_https_refuses_an_untrusted_certificate(server: tuple[WireServer, EchoBackend]) -> None:
    from requests.exceptions import SSLError

    wsman = WSMan(ADDRESS, port=HTTPS_PORT, ssl=True, auth="basic", username="localadmin", password="L0cal!pw")
    with pytest.raises(SSLError):
        _invoke(wsman, ("Get-VM", {}))


def test_basic_over_http_is_refused(server: tuple[WireServer, EchoBackend]) -> None:
    wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="basic", username="localadmin", password="L0cal!pw",
                  encryption="never")
    with pytest.raises((AuthenticationError, WinRMTransportError)):
        _invoke(wsman, ("Get-VM", {}))


def test_winrs_native_command_exit_code_and_stderr(server: tuple[WireServer, EchoBackend]) -> None:
    import winrm

    protocol = winrm.Protocol(f"http://{ADDRESS}:{HTTP_PORT}/wsman", transport="ntlm", username="LAB\\Administrator",
                              password="Passw0rd!", message_encryption="always")
    shell = protocol.open_shell()
    command = protocol.run_command(shell, "setspn.exe", ["-L", "hv1"])
    stdout, stderr, code = protocol.get_command_output(shell, command)
    protocol.cleanup_command(shell, command)
    failing = protocol.run_command(shell, "tool.exe fail")
    _, err, failed_code = protocol.get_command_output(shell, failing)
    protocol.close_shell(shell)
    assert code == 0 and stdout == b"ran setspn.exe -L hv1\r\n" and stderr == b""
    assert failed_code == 3 and err == b"oops\r\n"


def test_unreachable_machine_drops_connections(server: tuple[WireServer, EchoBackend]) -> None:
    from requests.exceptions import ConnectionError as RequestsConnectionError

    _, backend = server
    backend.reachable = False
    try:
        wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="ntlm", username="LAB\\Administrator",
                      password="Passw0rd!", connection_timeout=2)
        with pytest.raises((RequestsConnectionError, WinRMTransportError)):
            _invoke(wsman, ("Get-VM", {}))
    finally:
        backend.reachable = True


def test_listener_refuses_non_loopback(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        WireServer(EchoBackend(), [("hv1", "10.0.0.1")], cert_dir=tmp_path)


def test_credssp_over_http_delegates_credentials(server: tuple[WireServer, EchoBackend]) -> None:
    wsman = WSMan(ADDRESS, port=HTTP_PORT, ssl=False, auth="credssp", username="LAB\\Administrator", password="Passw0rd!")
    ps = _invoke(wsman, ("Get-VM", {}))
    assert ps.output[0].adapted_properties["Auth"] == "credssp"


def test_client_certificate_maps_to_a_local_account(server: tuple[WireServer, EchoBackend], tmp_path: pathlib.Path) -> None:
    from hvsim.wire.certs import issue_client_certificate

    wire, _ = server
    cert_dir = wire.ca_pem_path.parent
    for user, ok in (("localadmin", True), ("stranger", False)):
        cert, key = issue_client_certificate(cert_dir, user)
        wsman = WSMan(ADDRESS, port=HTTPS_PORT, ssl=True, auth="certificate", certificate_pem=str(cert),
                      certificate_key_pem=str(key), cert_validation=str(wire.ca_pem_path))
        if ok:
            assert _invoke(wsman, ("Get-VM", {})).output[0].adapted_properties["User"] == "localadmin"
        else:
            with pytest.raises((AuthenticationError, WinRMTransportError)):
                _invoke(wsman, ("Get-VM", {}))
