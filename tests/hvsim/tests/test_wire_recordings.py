"""hvsim's wire against pypsrp's recordings of real Windows, one test per kind of exchange.

The recordings are pypsrp's ``tests/tests_pypsrp/responses/*.yml`` (jborean93/pypsrp at 42a34ed,
format ``TransportFake`` in its ``conftest.py``): its client talking to Windows Server 2016/2019. The
EXPECTED structures below were read from them (action sequence, PSRP message types per stream
element, faults and their codes, CommandState and ExitCode, WinRS streams); the same client
operations run here against hvsim over HTTPS, and the structure of what hvsim answers must match.
"""

from __future__ import annotations

import base64
import os
import pathlib
import struct
import sys
import threading
import time
import typing
import xml.etree.ElementTree as ET

import pytest
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.shell import Process, SignalCode, WinRS
from pypsrp.wsman import WSMan

from hvsim.clock import WorldClock
from hvsim.contract import ErrorEvent, ErrorInfo, NativeResult, Output, Principal, WarningEvent
from hvsim.wire import WireServer

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from test_wire import EchoBackend  # noqa: E402  (the backend that answers from what it is sent)

BLOCK = 1 + (os.getpid() + 97) % 250
ADDRESS = f"127.{BLOCK}.9.12"
HTTP_PORT, HTTPS_PORT = 16985, 16986
NS = {"s": "http://www.w3.org/2003/05/soap-envelope", "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
      "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
      "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"}
TYPES = {0x00010002: "SESSION_CAPABILITY", 0x00021009: "APPLICATION_PRIVATE_DATA", 0x00021005: "RUNSPACEPOOL_STATE",
         0x00021006: "CREATE_PIPELINE", 0x00041004: "PIPELINE_OUTPUT", 0x00041005: "ERROR_RECORD",
         0x00041006: "PIPELINE_STATE", 0x00041009: "WARNING_RECORD", 0x00041002: "PIPELINE_INPUT",
         0x00041003: "END_OF_PIPELINE_INPUT", 0x00041008: "VERBOSE_RECORD", 0x00021004: "RUNSPACE_AVAILABILITY",
         0x00010005: "PUBLIC_KEY", 0x00010006: "ENCRYPTED_SESSION_KEY", 0x0002100B: "RUNSPACEPOOL_INIT_DATA",
         0x00021002: "SET_MAX_RUNSPACES", 0x00021003: "SET_MIN_RUNSPACES", 0x00021007: "GET_AVAILABLE_RUNSPACES",
         0x0002100C: "RESET_RUNSPACE_STATE", 0x00041100: "PIPELINE_HOST_CALL",
         0x0002100A: "GET_COMMAND_METADATA"}
SYSTEM32 = "C:\\Windows\\System32"


class ClockBackend(EchoBackend):
    """EchoBackend plus world time: ``Wait-World`` takes 12 s of it; ``setspn.exe`` exists in System32."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = WorldClock()

    def run_pipeline(self, principal: Principal, statements: list[typing.Any], input_objects: list[typing.Any]):
        if statements[0][0].name == "Wait-World":
            with self.clock.lock:
                self.clock.wait(12)
            return iter([Output("done")])
        if statements[0][0].name == "Output-Then-Work":  # its output is ready while the pipeline still runs
            return _output_then_work()
        if statements[0][0].name == "Echo-Input":
            return iter([Output(value) for value in input_objects])
        if statements[0][0].name == "Many-Objects":
            return iter([Output("x" * 4000) for _ in range(40)])
        if statements[0][0].name == "Warn-Me":
            return iter([WarningEvent("careful")])
        if statements[0][0].name == "Soft-Error":
            return iter([ErrorEvent(ErrorInfo("soft", category="ObjectNotFound", fqid="Soft,Test")), Output(1)])
        return super().run_pipeline(principal, statements, input_objects)

    def run_native(self, principal: Principal, command_line: str, *, through_cmd: bool = True) -> NativeResult:
        if through_cmd and command_line.startswith("type big.txt"):
            return NativeResult(b"".join(b"%05d " % i + b"x" * 94 + b"\r\n" for i in range(3000)), b"", 0)
        if through_cmd:
            return super().run_native(principal, command_line)
        assert command_line.startswith(f"{SYSTEM32}\\setspn.exe "), command_line
        return NativeResult(b"line one\r\nline two\r\n", b"warn\r\n", 1)


def _output_then_work() -> typing.Iterator[Output]:
    yield Output("first")
    time.sleep(0.5)  # real work after the output, not world time
    yield Output("second")


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> typing.Iterator[ClockBackend]:
    backend = ClockBackend()
    wire = WireServer(backend, [("hv1", ADDRESS)], http_port=HTTP_PORT, https_port=HTTPS_PORT,
                      cert_dir=tmp_path_factory.mktemp("certs"))
    wire.start()
    yield backend
    wire.stop()


class Recorder:
    """Wraps a WSMan's transport: the structure of every exchange, in order."""

    def __init__(self, wsman: WSMan) -> None:
        self.exchanges: list[tuple[str, typing.Any]] = []
        self.sizes: list[int] = []
        self.sent: list[tuple[str, list[str]]] = []  # each request's action and the PSRP messages it carries
        self.raw: list[bytes] = []
        transport = wsman.transport
        send = transport.send

        def recording(message: bytes, **kwargs: typing.Any) -> bytes:
            action = _action(message)
            self.sent.append((action, _sent_types(message)))
            try:
                response = send(message, **kwargs)
            except Exception as exc:  # the fault's text rides on the transport error
                text = getattr(exc, "response_text", "") or ""
                self.exchanges.append((action, _fault(text)))
                raise
            self.sizes.append(len(response))
            self.raw.append(response)
            self.exchanges.append((action, _structure(response)))
            return response

        transport.send = recording

    def actions(self) -> list[str]:
        return [action for action, _ in self.exchanges]


def _action(xml: bytes) -> str:
    element = ET.fromstring(xml)
    return (element.findtext("s:Header/wsa:Action", namespaces=NS) or "").rsplit("/", 1)[-1]


def _fault(text: str) -> tuple[str, str | None, str | None]:
    element = ET.fromstring(text)
    fault = element.find(".//f:WSManFault", NS)
    return ("FAULT", element.findtext(".//s:Subcode/s:Value", namespaces=NS), fault.attrib.get("Code") if fault is not None else None)


def _structure(xml: bytes) -> list[typing.Any]:
    """Each rsp:Stream element as (name, end, [message type of each fragment]), then the CommandState."""
    element = ET.fromstring(xml)
    out: list[typing.Any] = []
    for stream in element.iter(f"{{{NS['rsp']}}}Stream"):
        data = base64.b64decode(stream.text or "")
        name = stream.attrib["Name"] + (" END" if stream.attrib.get("End") else "")
        if stream.attrib["Name"] == "stdout" and data[:8] and stream.attrib.get("End") is None and _is_psrp(data):
            out.append((name, _fragment_types(data)))
        else:
            out.append((name, data))
    for state in element.iter(f"{{{NS['rsp']}}}CommandState"):
        out.append(("state", state.attrib["State"].rsplit("/", 1)[-1], state.findtext("rsp:ExitCode", namespaces=NS)))
    return out


def _sent_types(xml: bytes) -> list[str]:
    """The PSRP message types a request carries (Command arguments, Send streams, creationXml, connectXml)."""
    types: list[str] = []
    for element in ET.fromstring(xml).iter():
        if element.tag.split("}")[-1] in ("Stream", "Arguments", "creationXml", "connectXml") and element.text:
            try:
                data = base64.b64decode(element.text, validate=True)
            except ValueError:  # a WinRS argument, plain text
                continue
            if _is_psrp(data):
                types += _fragment_types(data)
    return types


def _is_psrp(data: bytes) -> bool:
    return len(data) >= 21 and struct.unpack_from(">I", data, 17)[0] == len(data) - 21 or len(data) > 21 and data[16] in (0, 1, 2, 3)


def _fragment_types(data: bytes) -> list[str]:
    types, offset = [], 0
    while offset < len(data):
        _, _, flags, length = struct.unpack_from(">QQBI", data, offset)
        blob = data[offset + 21:offset + 21 + length]
        types.append(TYPES.get(struct.unpack_from("<I", blob, 4)[0], "?") if flags & 1 else "cont")
        offset += 21 + length
    return types


def _wsman(**kwargs: typing.Any) -> WSMan:
    return WSMan(ADDRESS, port=HTTPS_PORT, ssl=True, auth="basic", username="localadmin", password="L0cal!pw",
                 cert_validation=False, **kwargs)


def _psrp_streams(recorder: Recorder) -> list[list[typing.Any]]:
    return [s for a, s in recorder.exchanges if a == "ReceiveResponse" or a == "Receive"]


def test_open_runspace_takes_two_receives(backend: ClockBackend) -> None:
    """test_psrp_open_runspace.yml: Create; Receive -> SESSION_CAPABILITY, APPLICATION_PRIVATE_DATA (one
    stream element each); Receive -> RUNSPACEPOOL_STATE; Delete."""
    wsman = _wsman()
    recorder = Recorder(wsman)
    with RunspacePool(wsman):
        pass
    assert recorder.actions() == ["Create", "Receive", "Receive", "Delete"]
    assert recorder.exchanges[1][1] == [("stdout", ["SESSION_CAPABILITY"]), ("stdout", ["APPLICATION_PRIVATE_DATA"])]
    assert recorder.exchanges[2][1] == [("stdout", ["RUNSPACEPOOL_STATE"])]


def test_a_pipeline_answers_one_fragment_per_stream_and_done_with_exit_code(backend: ClockBackend) -> None:
    """test_psrp_multiple_invocations.yml / test_client_execute_ps.yml: Command; one Receive with
    PIPELINE_OUTPUT and PIPELINE_STATE in separate stream elements (never a Running state), and
    CommandState Done with ExitCode 0. test_psrp_stream_no_output_invocation.yml: ERROR_RECORD likewise."""
    wsman = _wsman()
    with RunspacePool(wsman) as pool:
        recorder = Recorder(wsman)
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Thing")
        ps.invoke()
        ps = PowerShell(pool)
        ps.add_cmdlet("Soft-Error")
        ps.invoke()
    assert recorder.actions()[:4] == ["Command", "Receive", "Command", "Receive"]
    assert recorder.exchanges[1][1] == [("stdout", ["PIPELINE_OUTPUT"]), ("stdout", ["PIPELINE_STATE"]),
                                        ("state", "Done", "0")]
    assert recorder.exchanges[3][1] == [("stdout", ["ERROR_RECORD"]), ("stdout", ["PIPELINE_OUTPUT"]),
                                        ("stdout", ["PIPELINE_STATE"]), ("state", "Done", "0")]


def test_a_long_running_cmdlet_answers_operation_timeout_until_done(backend: ClockBackend) -> None:
    """test_psrp_long_running_cmdlet.yml (OperationTimeout PT5S): Command; Receive -> w:TimedOut fault
    2150858793, twice; then PIPELINE_OUTPUT, PIPELINE_STATE, Done. hvsim: the cmdlet takes 12 s of world
    time; each Receive lets 5 s pass, at once."""
    wsman = _wsman(operation_timeout=5)
    with RunspacePool(wsman) as pool:
        recorder = Recorder(wsman)
        start = backend.clock.now
        ps = PowerShell(pool)
        ps.add_cmdlet("Wait-World")
        assert ps.invoke() == ["done"]
    assert recorder.actions()[:4] == ["Command", "Receive", "Receive", "Receive"]
    assert recorder.exchanges[1][1] == ("FAULT", "w:TimedOut", "2150858793")
    assert recorder.exchanges[2][1] == ("FAULT", "w:TimedOut", "2150858793")
    assert recorder.exchanges[3][1] == [("stdout", ["PIPELINE_OUTPUT"]), ("stdout", ["PIPELINE_STATE"]),
                                        ("state", "Done", "0")]
    assert backend.clock.now - start == 12


def test_output_ready_while_the_pipeline_runs_goes_with_its_state(backend: ClockBackend) -> None:
    """The recordings answer a short pipeline's output, PIPELINE_STATE and Done in one ReceiveResponse: output
    that is ready while the pipeline still works (not waiting on world time) is held for the rest, however the
    server's threads are scheduled."""
    wsman = _wsman(operation_timeout=5)
    with RunspacePool(wsman) as pool:
        recorder = Recorder(wsman)
        ps = PowerShell(pool)
        ps.add_cmdlet("Output-Then-Work")
        assert ps.invoke() == ["first", "second"]
    assert recorder.actions()[:2] == ["Command", "Receive"]
    assert recorder.exchanges[1][1] == [("stdout", ["PIPELINE_OUTPUT"]), ("stdout", ["PIPELINE_OUTPUT"]),
                                        ("stdout", ["PIPELINE_STATE"]), ("state", "Done", "0")]


def test_stopping_a_long_running_cmdlet_stops_its_world_time(backend: ClockBackend) -> None:
    wsman = _wsman(operation_timeout=5)
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Wait-World")
        ps.begin_invoke()
        ps.poll_invoke()
        ps.stop()
        assert ps.state == 3  # STOPPED
        again = PowerShell(pool)
        again.add_cmdlet("Get-Thing")
        assert len(again.invoke()) == 1, "the pool still works"


def test_small_envelopes_split_create_pipeline_and_output(backend: ClockBackend) -> None:
    """test_psrp_small_msg_size.yml (MaxEnvelopeSize 32768): CREATE_PIPELINE's first fragment in the
    Command, the rest in a Send, and the pipeline starts; the output comes over several Receives, each
    response within the envelope size."""
    wsman = _wsman(max_envelope_size=32768)
    with RunspacePool(wsman) as pool:
        recorder = Recorder(wsman)
        ps = PowerShell(pool)
        ps.add_cmdlet("Many-Objects").add_parameter("Padding", "p" * 40000)
        output = ps.invoke()
    assert len(output) == 40
    actions = recorder.actions()
    assert actions[0] == "Command" and actions[1] == "Send" and actions.count("Receive") >= 5
    receives = [s for a, s in recorder.exchanges if a == "Receive"]
    assert all(len(stream[1]) == 1 for receive in receives for stream in receive if stream[0] == "stdout")
    assert receives[-1][-1] == ("state", "Done", "0")
    assert all(size <= 32768 for size in recorder.sizes)


def test_a_receive_for_an_unknown_command_faults_invalid_selectors(backend: ClockBackend) -> None:
    """test_winrs_bad_cmd_id.yml: a Receive for a CommandId the shell does not know gets the
    w:InvalidSelectors fault 2150858843 (so a client cannot loop forever on it)."""
    wsman = _wsman()
    with RunspacePool(wsman) as pool:
        with pytest.raises(WSManFaultError) as raised:
            pool.shell.receive("stdout", command_id="D2F3CFB1-86A4-4C4C-9C4C-2A5E3C1E5B10")
        assert raised.value.code == 2150858843
    with WinRS(_wsman()) as shell:
        with pytest.raises(WSManFaultError) as raised:
            shell.receive("stdout stderr", command_id="D2F3CFB1-86A4-4C4C-9C4C-2A5E3C1E5B10")
        assert raised.value.code == 2150858843


def test_winrs_streams_end_markers_and_chunks(backend: ClockBackend) -> None:
    """test_winrs_stderr_rc.yml and test_client_execute_cmd.yml: the shell declares stdin / stdout stderr;
    the Receive lists stdout's writes, stderr's writes, stdout End, stderr End, then Done with the exit code."""
    wsman = _wsman()
    recorder = Recorder(wsman)
    with WinRS(wsman) as shell:
        process = Process(shell, "whoami", ["/all", "fail"])
        process.invoke()
        process.signal(SignalCode.TERMINATE)
    receive = next(s for a, s in recorder.exchanges if a == "Receive")
    names = [item[0] for item in receive]
    assert names == ["stdout", "stderr", "stdout END", "stderr END", "state"]
    assert receive[-1] == ("state", "Done", "3")


def test_winrs_output_larger_than_the_envelope_comes_over_several_receives(backend: ClockBackend) -> None:
    """A response stays within MaxEnvelopeSize (153600 here): 300 KB of output arrive over several Receives,
    Running until the last, which ends with the End markers and Done."""
    wsman = _wsman()
    recorder = Recorder(wsman)
    with WinRS(wsman) as shell:
        process = Process(shell, "type big.txt")
        process.invoke()
        process.signal(SignalCode.TERMINATE)
    receives = [s for a, s in recorder.exchanges if a == "Receive"]
    assert len(receives) >= 3 and all(size <= 153600 for size in recorder.sizes)
    assert all(r[-1] == ("state", "Running", None) for r in receives[:-1])
    assert [item[0] for item in receives[-1][-3:]] == ["stdout END", "stderr END", "state"]
    assert process.stdout.count(b"\r\n") == 3000 and process.stdout.startswith(b"00000 x")


def test_winrs_without_cmd_shell_needs_the_full_path(backend: ClockBackend) -> None:
    """test_winrs_no_cmd_shell.yml: with WINRS_SKIP_CMD_SHELL a program named without its path fails the
    Command with fault 2147942402 (w:InternalError); its full path runs it, output chunked per write."""
    wsman = _wsman()
    recorder = Recorder(wsman)
    with WinRS(wsman) as shell:
        with pytest.raises(WSManFaultError) as raised:
            Process(shell, "setspn.exe", ["-L", "hv1"], no_shell=True).invoke()
        assert raised.value.code == 2147942402
        with pytest.raises(WSManFaultError) as raised:  # the Command is the application name, not a line
            Process(shell, f"{SYSTEM32}\\setspn.exe -L hv1", [], no_shell=True).invoke()
        assert raised.value.code == 2147942402
        process = Process(shell, f"{SYSTEM32}\\setspn.exe", ["-L", "hv1"], no_shell=True)
        process.invoke()
        assert process.stdout == b"line one\r\nline two\r\n" and process.rc == 1
    assert ("FAULT", "w:InternalError", "2147942402") in [s for _, s in recorder.exchanges]
    receive = [s for a, s in recorder.exchanges if a == "Receive"][-1]
    assert receive[:2] == [("stdout", b"line one\r\n"), ("stdout", b"line two\r\n")]


def test_rsp_shell_fields_and_config(backend: ClockBackend) -> None:
    """test_psrp_open_runspace.yml / test_winrs_standard.yml: the fields of rsp:Shell in CreateResponse;
    test_wsman_update_envelope_size_500.yml: the WSMan config (MaxEnvelopeSizekb 500 ...)."""
    wsman = _wsman()
    captured: list[bytes] = []
    send = wsman.transport.send

    def keep(message: bytes, **kwargs: typing.Any) -> bytes:
        response = send(message, **kwargs)
        captured.append(response)
        return response

    wsman.transport.send = keep
    with RunspacePool(wsman):
        pass
    with WinRS(wsman):
        pass
    psrp, cmd = (ET.fromstring(c).find(".//rsp:Shell", NS) for c in (captured[0], captured[-2]))
    fields = [child.tag.split("}")[1] for child in psrp]
    assert fields == ["ShellId", "ResourceUri", "Owner", "ClientIP", "ProcessId", "IdleTimeOut", "InputStreams",
                      "OutputStreams", "MaxIdleTimeOut", "Locale", "DataLocale", "CompressionMode", "ProfileLoaded",
                      "Encoding", "BufferMode", "State", "ShellRunTime", "ShellInactivity"]
    assert [(c.tag.split("}")[1], c.text) for c in cmd][4:] == [
        ("IdleTimeOut", "PT7200.000S"), ("InputStreams", "stdin"), ("OutputStreams", "stdout stderr"),
        ("ShellRunTime", "P0DT0H0M0S"), ("ShellInactivity", "P0DT0H0M0S")]
    config = wsman.get_server_config()
    assert config.findtext(".//{*}MaxEnvelopeSizekb") == "500" and config.findtext(".//{*}MaxBatchItems") == "32000"
    assert threading.active_count() < 50


def test_ps_version_table_as_windows_powershell_sends_it(backend: ClockBackend) -> None:
    """test_psrp_open_runspace.yml: APPLICATION_PRIVATE_DATA holds $PSVersionTable with PSVersion 5.1.<build>,
    PSEdition Desktop, PSCompatibleVersions, CLRVersion, BuildVersion, WSManStackVersion,
    PSRemotingProtocolVersion and SerializationVersion."""
    with RunspacePool(_wsman()) as pool:
        table = pool.application_private_data.data["PSVersionTable"]
    assert set(table) == {"PSVersion", "PSEdition", "PSCompatibleVersions", "CLRVersion", "BuildVersion",
                          "WSManStackVersion", "PSRemotingProtocolVersion", "SerializationVersion"}
    assert str(table["PSVersion"]).startswith("5.1.17763") and table["PSEdition"] == "Desktop"
    assert str(table["BuildVersion"]).startswith("10.0.17763")


def test_listeners_skip_reverse_dns_and_set_tcp_nodelay(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """No socket.getfqdn() of the listening address (a reverse lookup stalled 1 in 50 starts for 5 s), and
    TCP_NODELAY on every connection (Nagle + delayed ACK cost ~40 ms per exchange)."""
    import socket

    from hvsim.wire import listener

    def no_lookups(*_args: typing.Any) -> str:
        raise AssertionError("reverse DNS lookup")

    monkeypatch.setattr(socket, "getfqdn", no_lookups)
    seen: list[int] = []
    setup = listener._Handler.setup

    def watched(handler: typing.Any) -> None:
        setup(handler)
        raw = handler.request
        seen.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(listener._Handler, "setup", watched)
    address = f"127.{BLOCK}.9.13"
    wire = WireServer(ClockBackend(), [("hv1", address)], http_port=17985, https_port=17986, cert_dir=tmp_path)
    wire.start()
    try:
        with socket.create_connection((address, 17985)) as connection:
            connection.sendall(b"POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            assert connection.recv(100).startswith(b"HTTP/1.1 401")
    finally:
        wire.stop()
    assert seen and all(seen)


def test_error_records_carry_invocation_info_and_warnings_their_text(backend: ClockBackend) -> None:
    """test_psrp_stream_no_output_invocation.yml: an ErrorRecord carries an InvocationInfo object (the client
    asked for it; SerializeExtendedInfo stays false), a WarningRecord its message as ToString."""
    wsman = _wsman()
    raw: list[bytes] = []
    send = wsman.transport.send

    def keep(message: bytes, **kwargs: typing.Any) -> bytes:
        response = send(message, **kwargs)
        for stream in ET.fromstring(response).iter(f"{{{NS['rsp']}}}Stream"):
            raw.append(base64.b64decode(stream.text or "")[21 + 40:])
        return response

    wsman.transport.send = keep
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Soft-Error")
        ps.invoke()
        ps = PowerShell(pool)
        ps.add_cmdlet("Warn-Me")
        ps.invoke()
    error = next(r for r in raw if b"System.Management.Automation.ErrorRecord" in r)
    assert b'N="InvocationInfo"><TN' in error and b'<B N="SerializeExtendedInfo">false</B>' in error
    warning = next(r for r in raw if b"System.Management.Automation.WarningRecord" in r)
    assert b"<ToString>careful</ToString>" in warning


# -- the kinds of recording hvsim did not answer before (each rule in DESIGN.md, "The wire") ---------------------------


def test_pipeline_input_reaches_the_pipeline(backend: ClockBackend) -> None:
    """test_psrp_with_input.yml: Command (CREATE_PIPELINE, NoInput false); one Send with a PIPELINE_INPUT per object
    and END_OF_PIPELINE_INPUT; one Receive with the output and Done. The input objects reach the cmdlet (hvsim
    passed none before)."""
    wsman = _wsman()
    with RunspacePool(wsman) as pool:
        recorder = Recorder(wsman)
        ps = PowerShell(pool)
        ps.add_cmdlet("Echo-Input")
        assert ps.invoke(["1", 2, {"a": "b"}]) == ["1", 2, {"a": "b"}]
    assert recorder.sent[:2] == [("Command", ["CREATE_PIPELINE"]),
                                 ("Send", ["PIPELINE_INPUT"] * 3 + ["END_OF_PIPELINE_INPUT"])]
    done = [("stdout", ["PIPELINE_STATE"]), ("state", "Done", "0")]
    assert recorder.exchanges[2][1] == [("stdout", ["PIPELINE_OUTPUT"])] * 3 + done


def test_runspace_availability_requests_are_answered(backend: ClockBackend) -> None:
    """test_psrp_set_runspaces.yml: GET_AVAILABLE_RUNSPACES, SET_MAX_RUNSPACES and SET_MIN_RUNSPACES (pypsrp sends
    its call id as ``CI``) each get one RUNSPACE_AVAILABILITY in the pool's next Receive: available 1, then 5 after
    max 5; min 2 true; min -1 and max -1 false. hvsim crashed the connection on them before."""
    from pypsrp.exceptions import InvalidPSRPOperation

    wsman = _wsman()
    with RunspacePool(wsman) as pool:
        recorder = Recorder(wsman)
        assert pool.get_available_runspaces() == 1
        pool.max_runspaces = 5
        assert pool.get_available_runspaces() == 5
        pool.min_runspaces = 2
        with pytest.raises(InvalidPSRPOperation, match="minimum"):
            pool.min_runspaces = -1
        with pytest.raises(InvalidPSRPOperation, match="maximum"):
            pool.max_runspaces = -1
        assert (pool.min_runspaces, pool.max_runspaces) == (2, 5)
    assert [types for action, types in recorder.sent if action == "Send"] == [
        ["GET_AVAILABLE_RUNSPACES"], ["SET_MAX_RUNSPACES"], ["GET_AVAILABLE_RUNSPACES"], ["SET_MIN_RUNSPACES"],
        ["SET_MIN_RUNSPACES"], ["SET_MAX_RUNSPACES"]]
    assert [s for a, s in recorder.exchanges if a == "Receive"] == [[("stdout", ["RUNSPACE_AVAILABILITY"])]] * 6


def test_reset_runspace_state_is_answered(backend: ClockBackend) -> None:
    """test_psrp_reset_runspace_state.yml: RESET_RUNSPACE_STATE after a pipeline -> RUNSPACE_AVAILABILITY true.
    (test_psrp_reset_runspace_state_fail.yml answers false on a fresh pool; no source says why, hvsim answers true.)"""
    wsman = _wsman()
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Thing")
        ps.invoke()
        recorder = Recorder(wsman)
        pool.reset_runspace_state()  # pypsrp raises on an answer of false
    assert recorder.sent[0] == ("Send", ["RESET_RUNSPACE_STATE"])
    assert recorder.exchanges[1][1] == [("stdout", ["RUNSPACE_AVAILABILITY"])]


def test_key_exchange_answers_the_encrypted_session_key(backend: ClockBackend) -> None:
    """test_psrp_multiple_commands.yml: Send PUBLIC_KEY; the next Receive holds ENCRYPTED_SESSION_KEY alone; the
    client can then send and receive SecureStrings (no module of the collection sends one today)."""
    wsman = _wsman()
    with RunspacePool(wsman, session_key_timeout_ms=5000) as pool:
        recorder = Recorder(wsman)
        pool.exchange_keys()
        assert pool._key_exchanged  # pylint: disable=protected-access
    assert recorder.sent[0] == ("Send", ["PUBLIC_KEY"])
    assert recorder.exchanges[1][1] == [("stdout", ["ENCRYPTED_SESSION_KEY"])]


def _shell_fields(response: bytes) -> list[tuple[str, str | None]]:
    shell = ET.fromstring(response).find(".//rsp:Shell", NS)
    assert shell is not None
    return [(child.tag.split("}")[1], child.text) for child in shell]


def test_shell_get_answers_its_state_and_unknown_shells_fault(backend: ClockBackend) -> None:
    """test_psrp_is_alive_state_disconnected.yml / test_psrp_is_alive_invalid_selectors.yml: WS-Transfer Get on the
    shell resource answers rsp:Shell as Create did plus MemoryUsed and ChildProcesses, State Connected or
    Disconnected; a shell that is gone: fault w:InvalidSelectors 2150858843 (hvsim answered ActionNotSupported)."""
    wsman = _wsman()
    recorder = Recorder(wsman)
    pool = RunspacePool(wsman)
    pool.open()
    assert pool.is_alive() is True
    pool.disconnect()
    fields = _shell_fields(recorder.raw[-2])
    assert [name for name, _ in fields][-4:] == ["ShellRunTime", "ShellInactivity", "MemoryUsed", "ChildProcesses"]
    assert ("State", "Connected") in fields and ("ShellId", str(pool.id).upper()) in fields
    pool.connect()
    pool.close()
    with pytest.raises(WSManFaultError) as raised:
        wsman.get("http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
                  selector_set=_shell_selector(str(pool.id).upper()))
    assert raised.value.code == 2150858843
    assert pool.is_alive() is False
    assert [a for a in recorder.actions() if a != "Receive"][:2] == ["Create", "Get"]


def _shell_selector(shell_id: str) -> typing.Any:
    from pypsrp.wsman import SelectorSet

    selectors = SelectorSet()
    selectors.add_option("ShellId", shell_id)
    return selectors


def test_disconnect_reconnect_enumerate_and_connect(backend: ClockBackend) -> None:
    """test_psrp_disconnect_runspaces.yml: Disconnect and Reconnect answer empty bodies; a PowerShell shell keeps the
    ShellId its client gave (the RunspacePool id); Enumerate lists the caller's shells with State Disconnected and,
    per shell, its commands; Connect answers SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA in connectResponseXml and
    RUNSPACEPOOL_STATE in the next Receive; the connected pool runs pipelines."""
    wsman = _wsman()
    recorder = Recorder(wsman)
    pool = RunspacePool(wsman)
    pool.open()
    pool.disconnect()
    assert pool.state == 9  # DISCONNECTED
    pool.connect()
    assert pool.state == 2  # OPENED
    pool.disconnect()
    second = _wsman()
    second_recorder = Recorder(second)
    found = RunspacePool.get_runspace_pools(second)
    assert [str(p.id).upper() for p in found] == [str(pool.id).upper()]
    [again] = found
    again.connect()
    ps = PowerShell(again)
    ps.add_cmdlet("Get-Thing")
    assert len(ps.invoke()) == 1
    again.close()
    assert [a for a in recorder.actions() if a != "Receive"] == ["Create", "Disconnect", "Reconnect", "Disconnect"]
    assert second_recorder.actions()[:4] == ["Enumerate", "Enumerate", "Connect", "Receive"]
    enumerated = ET.fromstring(second_recorder.raw[0])
    assert [s.findtext("rsp:State", namespaces=NS) for s in enumerated.iter(f"{{{NS['rsp']}}}Shell")] == ["Disconnected"]
    assert enumerated.find(".//{http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd}EndOfSequence") is not None
    connected = ET.fromstring(second_recorder.raw[2]).find(".//{http://schemas.microsoft.com/powershell}connectResponseXml")
    assert connected is not None and _fragment_types(base64.b64decode(connected.text or "")) == [
        "SESSION_CAPABILITY", "RUNSPACEPOOL_INIT_DATA"]
    assert second_recorder.exchanges[3][1] == [("stdout", ["RUNSPACEPOOL_STATE"])]


def test_enumerate_lists_a_disconnected_pools_running_command(backend: ClockBackend) -> None:
    """test_psrp_disconnected_commands.yml: Enumerate of windows/shell/Command filtered by ShellId lists the running
    pipeline as rsp:Command (CommandId, CommandLine, CommandState Running)."""
    wsman = _wsman(operation_timeout=5)
    pool = RunspacePool(wsman)
    pool.open()
    ps = PowerShell(pool)
    ps.add_cmdlet("Wait-World")
    ps.begin_invoke()
    pool.disconnect()
    try:
        [found] = RunspacePool.get_runspace_pools(_wsman())
        assert [str(p).upper() for p in found.pipelines] == [str(ps.id).upper()]
    finally:
        pool.connect()
        pool.close()  # Delete ends the shell's commands


def test_command_metadata_is_answered_not_left_waiting(backend: ClockBackend) -> None:
    """test_psrp_get_command_metadata.yml: Command with GET_COMMAND_METADATA; one Receive with the count object, one
    PIPELINE_OUTPUT per command, PIPELINE_STATE and Done (a backend without commands: the count alone). Before, the
    pipeline never started and the client polled for ever. What the commands are: test_serialization.py."""
    wsman = _wsman(operation_timeout=5)
    with RunspacePool(wsman) as pool:
        recorder = Recorder(wsman)
        outcome: list[typing.Any] = []
        asking = threading.Thread(target=lambda: outcome.append(pool.get_command_metadata("Get-*")), daemon=True)
        asking.start()
        asking.join(30)
        assert not asking.is_alive(), "the client is still waiting for an answer"
    assert outcome == [[]]
    assert recorder.sent[0] == ("Command", ["GET_COMMAND_METADATA"])
    assert recorder.exchanges[1][1] == [("stdout", ["PIPELINE_OUTPUT"]), ("stdout", ["PIPELINE_STATE"]),
                                        ("state", "Done", "0")]


def test_winrs_send_is_answered(backend: ClockBackend) -> None:
    """test_winrs_send.yml: Send on a cmd shell's command answers SendResponse; the command completes. hvsim's
    programs read no stdin (they finish when started): the data is accepted and not used."""
    wsman = _wsman()
    recorder = Recorder(wsman)
    with WinRS(wsman) as shell:
        process = Process(shell, "whoami")
        process.begin_invoke()
        process.send(b"first", end=False)
        process.send(b"second")
        process.end_invoke()
        process.signal(SignalCode.CTRL_C)
    assert recorder.actions()[:5] == ["Create", "Command", "Send", "Send", "Receive"]
    assert process.rc == 0


def test_a_client_host_is_accepted_and_never_called(backend: ClockBackend) -> None:
    """test_psrp_pshost_methods.yml: a client that gives a PSHost gets PIPELINE_HOST_CALLs only when a command
    uses the host ($host, Read-Host, prompts). No cmdlet hvsim implements does, so the pool opens with the
    client's HostInfo and a pipeline answers only output and its state."""
    from pypsrp.host import PSHost

    wsman = _wsman()
    with RunspacePool(wsman, host=PSHost(None, None, False, "hvsim-test", None, None, "1.0")) as pool:
        recorder = Recorder(wsman)
        ps = PowerShell(pool)
        ps.add_cmdlet("Get-Thing")
        ps.invoke()
    assert recorder.exchanges[1][1] == [("stdout", ["PIPELINE_OUTPUT"]), ("stdout", ["PIPELINE_STATE"]),
                                        ("state", "Done", "0")]
