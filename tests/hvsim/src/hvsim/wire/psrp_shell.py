"""A PowerShell (PSRP) shell: one psrpcore runspace pool, its pipelines, and what each Receive carries.

How Windows answers (each rule with its recording in tests/hvsim/DESIGN.md, "The wire"):
- The runspace pool opens over two Receives: SESSION_CAPABILITY and APPLICATION_PRIVATE_DATA in
  the first, RUNSPACEPOOL_STATE in the second.
- Every rsp:Stream element carries exactly one PSRP fragment.
- A response holds as many whole stream elements as fit in the request's MaxEnvelopeSize; the rest
  waits for the next Receive. Fragments are cut so that one always fits.
- A pipeline never reports PIPELINE_STATE(Running); its last Receive carries PIPELINE_STATE and
  CommandState Done with ExitCode 0.
- A CREATE_PIPELINE larger than one fragment starts with the Command and ends in Sends; the
  pipeline starts when its last fragment arrives.
- A Receive that finds nothing within its OperationTimeout is answered with the w:TimedOut fault
  (2150858793); a Receive for a CommandId the shell does not know, with w:InvalidSelectors
  (2150858843).
- Pipeline input reaches the pipeline; runspace availability requests, key exchange, disconnect,
  connect and GET_COMMAND_METADATA are answered as recorded.

Pipelines run on their own thread, so a cmdlet that takes world time (hvsim.clock) blocks only its
pipeline; each Receive on it lets up to the OperationTimeout of world time pass.
"""

from __future__ import annotations

import base64
import struct
import threading
import time
import traceback
import typing
import uuid
from dataclasses import dataclass, field

from psrpcore import (
    CreatePipelineEvent,
    EndOfPipelineInputEvent,
    GetAvailableRunspacesEvent,
    GetCommandMetadataEvent,
    PipelineInputEvent,
    PSRPPayload,
    ResetRunspaceStateEvent,
    ServerPipeline,
    ServerRunspacePool,
    SetMaxRunspacesEvent,
    SetMinRunspacesEvent,
    StreamType,
)
from psrpcore.types import (
    CommandOrigin,
    InvocationInfo,
    PSInvocationState,
    PSList,
    PSRPMessageType,
    PSVersion,
    RunspacePoolState,
    WarningRecord,
)

from hvsim.clock import Stopped, WorldClock
from hvsim.contract import (
    Backend,
    CommandCall,
    ErrorEvent,
    ErrorInfo,
    Failed,
    Output,
    Principal,
    PSOutObject,
    Statement,
    VerboseEvent,
    WarningEvent,
)
from hvsim.wire import soap
from hvsim.wire.values import error_record, to_plain, to_ps


def _call_id(event: typing.Any) -> int:
    """The call id of a runspace availability request. PowerShell reads message properties case-insensitively
    (PSObject member lookup), and pypsrp 0.9.1 names it ``CI`` in SET_MAX/SET_MIN_RUNSPACES, which Windows answers
    (test_psrp_set_runspaces.yml); psrpcore looks only for ``ci``."""
    for member in event._ps_object.PSObject.extended_properties:  # pylint: disable=protected-access
        if member.name.lower() == "ci":
            return int(member.get_value(event._ps_object))  # pylint: disable=protected-access
    raise AttributeError("ci")


for _event_type in (SetMaxRunspacesEvent, SetMinRunspacesEvent, GetAvailableRunspacesEvent, ResetRunspaceStateEvent):
    _event_type.ci = property(_call_id)  # type: ignore[attr-defined,assignment]

# the count GET_COMMAND_METADATA's answer starts with (test_psrp_get_command_metadata.yml)
_MEASURE_INFO = ["Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo", "System.Management.Automation.PSCustomObject"]
POOL_WAIT = 1.0  # real seconds a Receive on an idle runspace pool waits before the OperationTimeout fault
# real seconds a Receive holds output back while its pipeline runs on without waiting on world time (hvsim's rule,
# no source: the recordings show a short pipeline's output, its state and Done in one ReceiveResponse)
OUTPUT_BATCH = 2.0
ENVELOPE_OVERHEAD = 2048  # bytes kept free in a ReceiveResponse for its headers and CommandState
STREAM_OVERHEAD = 128  # bytes of one <rsp:Stream Name="stdout" CommandId="..."> wrapper
_FRAGMENT_HEADER = struct.Struct(">QQBI")


def statements_of(pipeline_metadata: typing.Any) -> list[Statement]:
    """psrpcore's PowerShell metadata as contract statements (split at end_of_statement)."""
    statements: list[Statement] = []
    current: Statement = []
    for command in pipeline_metadata.commands:
        merge_error = "error" in str(getattr(command, "_merge_error", "")).lower() or "error" in str(
            getattr(command, "_merge_my", "")).lower()
        current.append(
            CommandCall(
                name=str(command.command_text),
                parameters=[(str(name) if name is not None else None, to_plain(value)) for name, value in command.parameters],
                is_script=bool(command.is_script),
                merge_error_to_output=merge_error,
            )
        )
        if command.end_of_statement:
            statements.append(current)
            current = []
    if current:
        statements.append(current)
    return statements


def split_fragments(data: bytes) -> list[bytes]:
    """A PSRP payload as its fragments (MS-PSRP 2.2.4: ObjectId, FragmentId, flags, length, blob)."""
    fragments = []
    offset = 0
    while offset < len(data):
        length = _FRAGMENT_HEADER.unpack_from(data, offset)[3]
        end = offset + _FRAGMENT_HEADER.size + length
        fragments.append(data[offset:end])
        offset = end
    return fragments


def message_type(fragment: bytes) -> int | None:
    """The PSRP message type a start fragment begins, or None for a continuation."""
    _, _, flags, _ = _FRAGMENT_HEADER.unpack_from(fragment)
    if not flags & 0x1:
        return None
    return int(struct.unpack_from("<I", fragment, _FRAGMENT_HEADER.size + 4)[0])


def ps_version_table(os_build: str) -> dict[str, typing.Any]:
    """$PSVersionTable of Windows PowerShell 5.1 on a Windows build, as APPLICATION_PRIVATE_DATA carries it
    (test_psrp_open_runspace.yml: Windows Server 2016 build 10.0.14393.2248 sends PSVersion 5.1.14393.2248)."""
    parts = [int(p) for p in os_build.split(".")] + [0] * 4
    build, revision = parts[2], parts[3]
    ps_version = PSVersion(f"5.1.{build}.{revision}")
    compatible = PSList([PSVersion(v) for v in ("1.0", "2.0", "3.0", "4.0", "5.0")] + [ps_version])
    compatible.PSObject.type_names = ["System.Version[]", "System.Array", "System.Object"]
    return {"PSVersion": ps_version, "PSEdition": "Desktop", "PSCompatibleVersions": compatible,
            "CLRVersion": PSVersion("4.0.30319.42000"), "BuildVersion": PSVersion(f"10.0.{build}.{revision}"),
            "WSManStackVersion": PSVersion("3.0"), "PSRemotingProtocolVersion": PSVersion("2.3"),
            "SerializationVersion": PSVersion("1.1.0.1")}


def remote_error(info: ErrorInfo) -> typing.Any:
    """An ErrorRecord with the InvocationInfo Windows adds when the client asks for it (pypsrp's default
    RemoteStreamOptions AddInvocationInfo; test_psrp_stream_no_output_invocation.yml)."""
    record = error_record(info)
    command = info.activity or ""
    record.InvocationInfo = InvocationInfo(
        MyCommand=command, BoundParameters={}, UnboundArguments=[], ScriptLineNumber=0, OffsetInLine=0,
        HistoryId=1, ScriptName="", Line="", PositionMessage="", PSScriptRoot="", PSCommandPath=None,
        InvocationName=command, PipelineLength=0, PipelinePosition=0, ExpectingInput=False,
        CommandOrigin=CommandOrigin.Internal, DisplayScriptPosition=None)
    record.serialize_extended_info = False  # Windows sends the object, not the flattened InvocationInfo_* fields
    return record


def warning_record(message: str) -> typing.Any:
    """A WarningRecord as Windows sends it: its ToString is the message, no InvocationInfo
    (InformationalRecord_SerializeInvocationInfo false; test_psrp_stream_no_output_invocation.yml)."""
    record = WarningRecord(Message=message)
    record.PSObject.to_string = message
    return record


def fragment_budget(max_envelope: int) -> int:
    """The largest fragment whose base64 stream element fits in one response of ``max_envelope`` bytes."""
    return max(64, (max_envelope - ENVELOPE_OVERHEAD - STREAM_OVERHEAD) * 3 // 4)


@dataclass
class PipelineRun:
    pipeline: ServerPipeline
    thread_id: int | None = None
    started: bool = False
    done: bool = False
    stopping: bool = False
    statements: list[Statement] | None = None  # set while the pipeline waits for its input
    input_objects: list[typing.Any] = field(default_factory=list)


@dataclass
class Received:
    """What one Receive carries: (pipeline id or None, fragment) pairs, and whether the command is done."""

    fragments: list[tuple[str | None, bytes]]
    done: bool


@dataclass
class PsrpShell:
    shell_id: str
    principal: Principal
    backend: Backend
    pool: ServerRunspacePool = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)
    runs: dict[str, PipelineRun] = field(default_factory=dict)
    outbox: list[tuple[str | None, bytes]] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)
        os_version = getattr(self.backend, "os_version", None)
        build = os_version(self.principal.machine) if os_version is not None else "10.0.17763"
        self.pool = ServerRunspacePool(application_private_data={"PSVersionTable": ps_version_table(build)})

    @property
    def clock(self) -> WorldClock | None:
        return getattr(self.backend, "clock", None)

    # -- input -----------------------------------------------------------------------------
    def _feed(self, data: bytes, pipeline_id: uuid.UUID | None = None) -> list[typing.Any]:
        self.pool.receive_data(PSRPPayload(data, StreamType.default, pipeline_id))
        events = []
        while True:
            event = self.pool.next_event()
            if event is None:
                return events
            events.append(event)

    def create(self, creation_xml: bytes) -> None:
        with self.lock:
            self._feed(creation_xml)

    def command(self, command_id: str, arguments: bytes) -> None:
        with self.lock:
            run = PipelineRun(ServerPipeline(self.pool, uuid.UUID(command_id)))
            self.runs[command_id.upper()] = run
        self.send(arguments, command_id)

    def send(self, data: bytes, command_id: str | None) -> None:
        with self.lock:
            events = self._feed(data, uuid.UUID(command_id) if command_id else None)
        for event in events:
            key = str(event.pipeline_id).upper() if event.pipeline_id else None
            if isinstance(event, CreatePipelineEvent):
                self._created(key, statements_of(event.pipeline), bool(event.pipeline.no_input))  # type: ignore[arg-type]
            elif isinstance(event, PipelineInputEvent):
                with self.lock:
                    run = self.runs.get(key)  # type: ignore[arg-type]
                    if run is not None:
                        run.input_objects.append(to_plain(event.data))
            elif isinstance(event, EndOfPipelineInputEvent):
                with self.lock:
                    run = self.runs.get(key)  # type: ignore[arg-type]
                    statements = run.statements if run is not None else None
                if run is not None and statements is not None:
                    self._start(run, statements)
            elif isinstance(event, GetCommandMetadataEvent):
                self._command_metadata(key, event.pipeline)  # type: ignore[arg-type]
            elif isinstance(event, (SetMaxRunspacesEvent, SetMinRunspacesEvent, GetAvailableRunspacesEvent,
                                    ResetRunspaceStateEvent)):
                self._availability(event)

    def _created(self, command_id: str, statements: list[Statement], no_input: bool) -> None:
        """A pipeline with input (NoInput false) runs once END_OF_PIPELINE_INPUT has come: hvsim's cmdlets take
        their pipeline input as one list (test_psrp_with_input.yml: the client sends all PIPELINE_INPUT messages
        and END_OF_PIPELINE_INPUT in one Send after the Command)."""
        with self.lock:
            run = self.runs.get(command_id)
            if run is None or run.started:
                return
            if not no_input:
                run.statements = statements
                return
        self._start(run, statements)

    def _start(self, run: PipelineRun, statements: list[Statement]) -> None:
        with self.lock:
            if run.started:
                return
            run.started = True
            run.statements = None
            # Windows sends no PIPELINE_STATE(Running): the state changes without a message.
            run.pipeline._change_state(PSInvocationState.Running, emit=False)  # pylint: disable=protected-access
        thread = threading.Thread(target=self._run, args=(run, statements),
                                  name=f"hvsim-pipeline-{str(run.pipeline.pipeline_id)[:8]}", daemon=True)
        thread.start()

    def _availability(self, event: typing.Any) -> None:
        """RUNSPACE_AVAILABILITY for SET_MAX/SET_MIN_RUNSPACES, GET_AVAILABLE_RUNSPACES and RESET_RUNSPACE_STATE
        (test_psrp_set_runspaces.yml, test_psrp_reset_runspace_state.yml), with PowerShell's own rules
        (RunspacePoolInternal.SetMaxRunspaces: false below the minimum; SetMinRunspaces: false below 1 or above the
        maximum; GetAvailableRunspaces: the maximum less the pipelines running)."""
        with self.changed:
            pool = self.pool
            if isinstance(event, SetMaxRunspacesEvent):
                answer: bool | int = event.count >= pool.min_runspaces
            elif isinstance(event, SetMinRunspacesEvent):
                answer = 1 <= event.count <= pool.max_runspaces
            elif isinstance(event, GetAvailableRunspacesEvent):
                answer = max(0, pool.max_runspaces - sum(1 for r in self.runs.values() if r.started and not r.done))
            else:
                answer = True
            pool.runspace_availability_response(event.ci, answer)
            self.changed.notify_all()

    def _run(self, run: PipelineRun, statements: list[Statement]) -> None:
        run.thread_id = threading.get_ident()
        if self.clock is not None:
            self.clock.driven(run.thread_id)
        pipeline = run.pipeline
        failed: ErrorInfo | None = None
        stopped = False
        try:
            for event in self.backend.run_pipeline(self.principal, statements, run.input_objects):
                with self.changed:
                    if isinstance(event, Output):
                        pipeline.write_output(to_ps(event.value))
                    elif isinstance(event, ErrorEvent):
                        pipeline.prepare_message(remote_error(event.info), message_type=PSRPMessageType.ErrorRecord)
                    elif isinstance(event, WarningEvent):
                        pipeline.prepare_message(warning_record(event.message),
                                                 message_type=PSRPMessageType.WarningRecord)
                    elif isinstance(event, VerboseEvent):
                        pipeline.write_verbose(event.message)
                    elif isinstance(event, Failed):
                        failed = event.info
                        break
                    self.changed.notify_all()
        except Stopped:
            stopped = True
        except Exception as exc:  # pylint: disable=broad-except  # an hvsim bug: fail the pipeline, loudly
            failed = ErrorInfo(message=f"hvsim internal error: {type(exc).__name__}: {exc}", category="NotSpecified",
                               fqid="HvsimInternalError")
            traceback.print_exc()
        if self.clock is not None:
            self.clock.driven(run.thread_id, on=False)
        with self.changed:
            if stopped or run.stopping:
                pipeline.stop()
            elif failed is not None:
                pipeline._change_state(PSInvocationState.Failed, remote_error(failed))  # pylint: disable=protected-access
            else:
                pipeline.complete()
            run.done = True
            self.changed.notify_all()

    # -- output ----------------------------------------------------------------------------
    def _pump(self, max_envelope: int) -> None:
        """Move psrpcore's queued messages into the outbox, one fragment each, cut to fit an envelope."""
        budget = fragment_budget(max_envelope)
        while True:
            payload = self.pool.data_to_send(amount=budget)
            if payload is None:
                return
            target = str(payload.pipeline_id).upper() if payload.pipeline_id else None
            self.outbox.extend((target, fragment) for fragment in split_fragments(payload.data))

    def _take(self, command_id: str | None, max_envelope: int) -> list[tuple[str | None, bytes]]:
        self._pump(max_envelope)
        room = max_envelope - ENVELOPE_OVERHEAD
        taken: list[tuple[str | None, bytes]] = []
        kept: list[tuple[str | None, bytes]] = []
        full = False
        for target, fragment in self.outbox:
            size = (len(fragment) + 2) // 3 * 4 + STREAM_OVERHEAD
            opening_state = command_id is None and taken and message_type(fragment) == PSRPMessageType.RunspacePoolState
            if full or target != command_id or size > room or opening_state:
                full = full or (target == command_id and (size > room or bool(opening_state)))
                kept.append((target, fragment))
                continue
            taken.append((target, fragment))
            room -= size
        self.outbox = kept
        return taken

    def _still_batching(self, run: PipelineRun, key: str | None, max_envelope: int) -> bool:
        """Whether a Receive should wait for more of this pipeline's output before it answers: some is ready, the
        pipeline is still running and not waiting on world time, and what is ready does not fill an envelope yet.
        So a pipeline's last output, its state and Done go in one answer, as in every recording, however the
        threads are scheduled."""
        if run.done or (self.clock is not None and self.clock.remaining(run.thread_id) is not None):
            return False
        self._pump(max_envelope)
        ready = [len(fragment) for target, fragment in self.outbox if target == key]
        return bool(ready) and sum((size + 2) // 3 * 4 + STREAM_OVERHEAD for size in ready) \
            <= max_envelope - ENVELOPE_OVERHEAD

    def receive(self, command_id: str | None, timeout: float, max_envelope: int) -> Received:
        """What the next Receive answers; raises the WS-Management fault Windows would send instead."""
        key = command_id.upper() if command_id else None
        with self.lock:
            run = self.runs.get(key) if key else None
            if key is not None and run is None:
                raise unknown_command(key, self.shell_id)
        deadline = time.monotonic() + (min(timeout, POOL_WAIT) if key is None else timeout)
        batch_until: float | None = None
        while True:
            with self.changed:
                if run is not None and self._still_batching(run, key, max_envelope):
                    batch_until = batch_until or time.monotonic() + OUTPUT_BATCH
                    if time.monotonic() < batch_until:
                        self.changed.wait(timeout=0.02)
                        continue
                taken = self._take(key, max_envelope)
                if run is not None and run.done and not any(target == key for target, _ in self.outbox):
                    self.runs.pop(key, None)  # type: ignore[arg-type]
                    return Received(taken, True)
                if taken:
                    return Received(taken, False)
            remaining = self.clock.remaining(run.thread_id) if run is not None and self.clock is not None else None
            if remaining is not None and self.clock is not None:
                if not self.clock.pass_for(run.thread_id if run else None, timeout):
                    raise timed_out()
                continue
            if time.monotonic() >= deadline:
                raise timed_out()
            with self.changed:
                self.changed.wait(timeout=0.05)

    def signal(self, command_id: str | None) -> None:
        key = command_id.upper() if command_id else None
        with self.lock:
            run = self.runs.get(key) if key else None
            if run is None:
                return
            if not run.done:
                run.stopping = True
        if run.done:
            with self.lock:
                self.runs.pop(key, None)  # type: ignore[arg-type]
            return
        if self.clock is not None:
            self.clock.stop(run.thread_id)

    def close(self) -> None:
        self.closed = True
        for key in list(self.runs):
            self.signal(key)

    # -- disconnect, connect, enumerate (test_psrp_disconnect_runspaces.yml) ------------------
    def running_commands(self) -> list[str]:
        with self.lock:
            return [key for key, run in self.runs.items() if run.started or run.statements is not None]

    def disconnected(self, on: bool) -> None:
        """Disconnect: the pool goes Disconnected, its pipelines keep running and their output waits (MS-PSRP 3.1.4.9
        / about_Remote_Disconnected_Sessions: commands continue to run while the session is disconnected)."""
        with self.lock:
            state = RunspacePoolState.Disconnected if on else RunspacePoolState.Opened
            self.pool._change_state(state, emit=False)  # pylint: disable=protected-access

    def connect(self, connect_xml: bytes) -> bytes:
        """A new client connects to this pool: SESSION_CAPABILITY and RUNSPACEPOOL_INIT_DATA go back in the
        ConnectResponse; RUNSPACEPOOL_STATE(Opened) waits for the next Receive. Windows sends no
        APPLICATION_PRIVATE_DATA here (test_psrp_disconnect_runspaces.yml), so psrpcore's is dropped."""
        with self.changed:
            if self.pool.state != RunspacePoolState.Disconnected:
                self.pool._change_state(RunspacePoolState.Disconnected, emit=False)  # pylint: disable=protected-access
            self.pool.connect()
            self.pool.prepare_message(self.pool.our_capability)
            self._feed(connect_xml)
            self._pump(1 << 30)
            answer: list[bytes] = []
            kept: list[tuple[str | None, bytes]] = []
            for target, fragment in self.outbox:
                kind = message_type(fragment)
                if target is None and kind in (PSRPMessageType.SessionCapability, PSRPMessageType.RunspacePoolInitData):
                    answer.append(fragment)
                elif target is None and kind == PSRPMessageType.ApplicationPrivateData:
                    continue
                else:
                    kept.append((target, fragment))
            self.outbox = kept
            self.changed.notify_all()
        return b"".join(answer)

    def _command_metadata(self, command_id: str, request: typing.Any) -> None:
        """GET_COMMAND_METADATA: Windows runs Get-Command for it and answers a count, then the commands, then
        Completed (test_psrp_get_command_metadata.yml). The backend lists them (``command_metadata``); a backend
        without that hook lists none."""
        with self.lock:
            run = self.runs.get(command_id)
        if run is None:
            return
        lister = getattr(self.backend, "command_metadata", None)
        names = [str(name) for name in (request.name or [])]
        namespaces = [str(name) for name in (request.namespace or [])]
        found = lister(self.principal, names, int(request.command_type), namespaces) if lister is not None else []
        with self.changed:
            run.started = True
            run.pipeline._change_state(PSInvocationState.Running, emit=False)  # pylint: disable=protected-access
            run.pipeline.write_output(to_ps(PSOutObject(_MEASURE_INFO, {"Count": len(found)})))
            for info in found:
                run.pipeline.write_output(to_ps(info))
            run.pipeline.complete()
            run.done = True
            self.changed.notify_all()


def timed_out() -> soap.SoapError:
    return soap.SoapError(soap.ERROR_OPERATION_TIMEOUT,
                          "The WS-Management service cannot complete the operation within the time specified in "
                          "OperationTimeout.", subcode="w:TimedOut")


def unknown_command(command_id: str, shell_id: str) -> soap.SoapError:
    return soap.SoapError(soap.ERROR_SHELL_NOT_FOUND,
                          f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the command "
                          f"with CommandId {command_id} was not found. Possible causes are: the specified CommandId is "
                          "incorrect or the command has already completed.", subcode="w:InvalidSelectors",
                          value="s:Sender")


def encode(fragment: bytes) -> str:
    return base64.b64encode(fragment).decode()
