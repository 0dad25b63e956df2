"""WS-Management shells: a PowerShell (PSRP) runspace pool per shell, and WinRS cmd shells.

A PSRP shell holds a psrpcore ServerRunspacePool. Command creates a ServerPipeline, runs the
statements through the Backend synchronously and queues the output; Receive drains the queue.
A cmd shell runs a native command line through the Backend and keeps its output until received.
"""

from __future__ import annotations

import base64
import threading
import time
import traceback
import typing
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from psrpcore import (
    CreatePipelineEvent,
    PSRPPayload,
    ServerPipeline,
    ServerRunspacePool,
    StreamType,
)
from psrpcore.types import PSInvocationState, PSRPMessageType

from hvsim.contract import (
    Backend,
    CommandCall,
    ErrorEvent,
    ErrorInfo,
    Failed,
    NativeResult,
    Output,
    Principal,
    ProgramNotFound,
    Statement,
    VerboseEvent,
    WarningEvent,
)
from hvsim.wire import soap
from hvsim.wire.values import error_record, to_plain, to_ps

_POOL_WAIT = 1.0  # seconds a Receive on an idle runspace pool waits before the OperationTimeout fault


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


@dataclass
class PsrpShell:
    shell_id: str
    principal: Principal
    backend: Backend
    pool: ServerRunspacePool = field(default_factory=ServerRunspacePool)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pipelines: dict[str, ServerPipeline] = field(default_factory=dict)
    closed: bool = False

    def feed(self, data: bytes, pipeline_id: uuid.UUID | None = None) -> list[typing.Any]:
        self.pool.receive_data(PSRPPayload(data, StreamType.default, pipeline_id))
        events = []
        while True:
            event = self.pool.next_event()
            if event is None:
                return events
            events.append(event)

    def create(self, creation_xml: bytes) -> None:
        with self.lock:
            self.feed(creation_xml)

    def command(self, command_id: str, arguments: bytes) -> None:
        pipeline_id = uuid.UUID(command_id)
        with self.lock:
            pipeline = ServerPipeline(self.pool, pipeline_id)
            self.pipelines[command_id.upper()] = pipeline
            events = self.feed(arguments, pipeline_id)
        create = next((e for e in events if isinstance(e, CreatePipelineEvent)), None)
        if create is None:
            return
        self._run(pipeline, create)

    def _run(self, pipeline: ServerPipeline, create: CreatePipelineEvent) -> None:
        statements = statements_of(create.pipeline)
        with self.lock:
            pipeline.start()
        failed = None
        try:
            for event in self.backend.run_pipeline(self.principal, statements, []):
                with self.lock:
                    if isinstance(event, Output):
                        pipeline.write_output(to_ps(event.value))
                    elif isinstance(event, ErrorEvent):
                        record = error_record(event.info)
                        pipeline.prepare_message(record, message_type=PSRPMessageType.ErrorRecord)
                    elif isinstance(event, WarningEvent):
                        pipeline.write_warning(event.message)
                    elif isinstance(event, VerboseEvent):
                        pipeline.write_verbose(event.message)
                    elif isinstance(event, Failed):
                        failed = event.info
                        break
        except Exception as exc:  # pylint: disable=broad-except  # an hvsim bug: fail the pipeline, loudly
            failed = ErrorInfo(message=f"hvsim internal error: {type(exc).__name__}: {exc}", category="NotSpecified",
                               fqid="HvsimInternalError")
            traceback.print_exc()
        with self.lock:
            if failed is not None:
                pipeline._change_state(PSInvocationState.Failed, error_record(failed))  # pylint: disable=protected-access
            else:
                pipeline.complete()

    def send(self, data: bytes, command_id: str | None) -> None:
        with self.lock:
            self.feed(data, uuid.UUID(command_id) if command_id else None)

    def receive(self, command_id: str | None, timeout: float) -> tuple[list[tuple[str | None, bytes]], bool]:
        """Payloads to send (with the pipeline they belong to) and whether the command is done."""
        deadline = time.monotonic() + min(timeout, _POOL_WAIT)
        while True:
            with self.lock:
                chunks: list[tuple[str | None, bytes]] = []
                while True:
                    payload = self.pool.data_to_send(amount=400_000 if not chunks else None)
                    if payload is None:
                        break
                    target = str(payload.pipeline_id).upper() if payload.pipeline_id else None
                    chunks.append((target, payload.data))
                done = False
                if command_id is not None:
                    pipeline = self.pipelines.get(command_id.upper())
                    done = pipeline is None or pipeline.state in (
                        PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped)
            if chunks or command_id is not None or time.monotonic() >= deadline:
                return chunks, done
            time.sleep(0.02)

    def signal(self, command_id: str | None) -> None:
        with self.lock:
            if command_id:
                pipeline = self.pipelines.pop(command_id.upper(), None)
                if pipeline is not None:
                    try:
                        pipeline.close()
                    except Exception:  # pylint: disable=broad-except
                        pass

    def close(self) -> None:
        self.closed = True


@dataclass
class CmdShell:
    shell_id: str
    principal: Principal
    backend: Backend
    results: dict[str, NativeResult] = field(default_factory=dict)
    closed: bool = False

    def command(self, command_id: str, command: str, arguments: list[str], *, skip_cmd_shell: bool = False) -> None:
        line = " ".join([command, *arguments]) if arguments else command
        try:
            self.results[command_id.upper()] = self.backend.run_native(self.principal, line, through_cmd=not skip_cmd_shell)
        except ProgramNotFound:
            # CreateProcess's ERROR_FILE_NOT_FOUND as an HRESULT (0x80070002), as WinRS reports it
            raise soap.SoapError(2147942402, "The system cannot find the file specified.", subcode="w:InternalError",
                                 value="s:Receiver") from None

    def receive(self, command_id: str) -> NativeResult | None:
        return self.results.pop(command_id.upper(), None)

    def signal(self, command_id: str | None) -> None:
        if command_id:
            self.results.pop(command_id.upper(), None)

    def close(self) -> None:
        self.closed = True


Shell = PsrpShell | CmdShell


class ShellTable:
    """Shells of one machine's listener, by ShellId; owners only may use their shells."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.shells: dict[str, Shell] = {}
        self.lock = threading.Lock()

    def handle(self, request: soap.Request, principal: Principal, address: str) -> ET.Element:
        action = request.action
        if action == soap.ACTION_CREATE:
            return self._create(request, principal, address)
        if action == soap.ACTION_GET and request.resource_uri.endswith("/config"):
            return self._config(request)
        shell = self._shell(request, principal)
        if action == soap.ACTION_DELETE:
            with self.lock:
                self.shells.pop(shell.shell_id, None)
            shell.close()
            envelope, _ = soap.response(request)
            return envelope
        if action == soap.ACTION_COMMAND:
            return self._command(request, shell)
        if action == soap.ACTION_SEND:
            return self._send(request, shell)
        if action == soap.ACTION_RECEIVE:
            return self._receive(request, shell)
        if action == soap.ACTION_SIGNAL:
            signal = request.find("rsp:Signal")
            command_id = signal.attrib.get("CommandId") if signal is not None else None
            shell.signal(command_id)
            envelope, body = soap.response(request)
            ET.SubElement(body, soap.q("rsp", "SignalResponse"))
            return envelope
        raise soap.SoapError(soap.ERROR_UNSUPPORTED, f"The WS-Management service does not support the action {action}.",
                             subcode="a:ActionNotSupported", value="s:Sender")

    # -- actions ---------------------------------------------------------------------------
    def _create(self, request: soap.Request, principal: Principal, address: str) -> ET.Element:
        shell_id = str(uuid.uuid4()).upper()
        resource = request.resource_uri
        shell: Shell
        if resource.startswith(soap.RESOURCE_POWERSHELL_PREFIX):
            shell = PsrpShell(shell_id, principal, self.backend)
            creation = request.body.find(".//{http://schemas.microsoft.com/powershell}creationXml")
            if creation is None or not creation.text:
                raise soap.SoapError(2150858778, "The creationXml of the PowerShell shell is missing.",
                                     subcode="w:SchemaValidationError", value="s:Sender")
            shell.create(base64.b64decode(creation.text))
        elif resource == soap.RESOURCE_CMD:
            shell = CmdShell(shell_id, principal, self.backend)
        else:
            raise soap.SoapError(2150858811, f"The WS-Management service cannot process the request. The resource URI "
                                 f"({resource}) was not found in the WS-Management catalog.",
                                 subcode="w:DestinationUnreachable", value="s:Sender")
        with self.lock:
            self.shells[shell_id] = shell
        envelope, body = soap.response(request)
        created = ET.SubElement(body, soap.q("wst", "ResourceCreated"))
        ET.SubElement(created, soap.q("wsa", "Address")).text = f"http://{address}:5985/wsman"
        reference = ET.SubElement(created, soap.q("wsa", "ReferenceParameters"))
        ET.SubElement(reference, soap.q("wsman", "ResourceURI")).text = resource
        selector_set = ET.SubElement(reference, soap.q("wsman", "SelectorSet"))
        ET.SubElement(selector_set, soap.q("wsman", "Selector"), {"Name": "ShellId"}).text = shell_id
        shell_el = ET.SubElement(body, soap.q("rsp", "Shell"))
        for name, value in (("ShellId", shell_id), ("ResourceUri", resource), ("Owner", principal.user),
                            ("ClientIP", principal.client_address), ("IdleTimeOut", "PT7200.000S"),
                            ("InputStreams", "stdin pr"), ("OutputStreams", "stdout")):
            ET.SubElement(shell_el, soap.q("rsp", name)).text = value
        return envelope

    def _config(self, request: soap.Request) -> ET.Element:
        envelope, body = soap.response(request)
        config = ET.SubElement(body, soap.q("cfg", "Config"))
        ET.SubElement(config, soap.q("cfg", "MaxEnvelopeSizekb")).text = "500"
        ET.SubElement(config, soap.q("cfg", "MaxTimeoutms")).text = "60000"
        return envelope

    def _shell(self, request: soap.Request, principal: Principal) -> Shell:
        shell_id = request.selectors.get("ShellId", "").upper()
        with self.lock:
            shell = self.shells.get(shell_id)
        if shell is None or shell.principal.user.lower() != principal.user.lower():
            raise soap.SoapError(soap.ERROR_SHELL_NOT_FOUND,
                                 f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the "
                                 "shell was not found on the server. Possible causes are: the specified ShellId is "
                                 "incorrect or the shell no longer exists on the server. Provide the correct ShellId "
                                 "or create a new shell and retry the operation.", subcode="w:InvalidSelectors",
                                 value="s:Sender")
        return shell

    def _command(self, request: soap.Request, shell: Shell) -> ET.Element:
        line = request.find("rsp:CommandLine")
        if line is None:
            raise soap.SoapError(2150858778, "The Command request has no CommandLine.", subcode="w:SchemaValidationError",
                                 value="s:Sender")
        command_id = (line.attrib.get("CommandId") or str(uuid.uuid4())).upper()
        command_el = line.find("rsp:Command", soap.NS)
        arguments = [el.text or "" for el in line.findall("rsp:Arguments", soap.NS)]
        if isinstance(shell, PsrpShell):
            shell.command(command_id, base64.b64decode("".join(arguments)))
        else:
            skip_cmd_shell = request.options.get("WINRS_SKIP_CMD_SHELL", "FALSE").upper() == "TRUE"
            shell.command(command_id, (command_el.text or "") if command_el is not None else "", arguments,
                          skip_cmd_shell=skip_cmd_shell)
        envelope, body = soap.response(request)
        response_el = ET.SubElement(body, soap.q("rsp", "CommandResponse"))
        ET.SubElement(response_el, soap.q("rsp", "CommandId")).text = command_id
        return envelope

    def _send(self, request: soap.Request, shell: Shell) -> ET.Element:
        if isinstance(shell, PsrpShell):
            for stream in request.body.findall("rsp:Send/rsp:Stream", soap.NS):
                data = base64.b64decode(stream.text or "")
                if data:
                    shell.send(data, stream.attrib.get("CommandId"))
        envelope, body = soap.response(request)
        ET.SubElement(body, soap.q("rsp", "SendResponse"))
        return envelope

    def _receive(self, request: soap.Request, shell: Shell) -> ET.Element:
        desired = request.find("rsp:Receive/rsp:DesiredStream")
        command_id = desired.attrib.get("CommandId") if desired is not None else None
        envelope, body = soap.response(request)
        receive = ET.SubElement(body, soap.q("rsp", "ReceiveResponse"))
        if isinstance(shell, PsrpShell):
            chunks, done = shell.receive(command_id, request.operation_timeout)
            if not chunks and command_id is None:
                raise soap.SoapError(soap.ERROR_OPERATION_TIMEOUT,
                                     "The WS-Management service cannot complete the operation within the time specified "
                                     "in OperationTimeout.", subcode="w:TimedOut")
            for target, data in chunks:
                attributes = {"Name": "stdout"}
                if target is not None:
                    attributes["CommandId"] = target
                ET.SubElement(receive, soap.q("rsp", "Stream"), attributes).text = base64.b64encode(data).decode()
            if command_id is not None:
                state = soap.STATE_DONE if done else soap.STATE_RUNNING
                ET.SubElement(receive, soap.q("rsp", "CommandState"), {"CommandId": command_id, "State": state})
            return envelope
        if command_id is None:
            raise soap.SoapError(2150858778, "A Receive on a cmd shell needs a CommandId.", subcode="w:SchemaValidationError",
                                 value="s:Sender")
        result = shell.receive(command_id)
        if result is None:
            raise soap.SoapError(soap.ERROR_SHELL_NOT_FOUND, f"The command {command_id} was not found in the shell.",
                                 subcode="w:InvalidSelectors", value="s:Sender")
        for name, data in (("stdout", result.stdout), ("stderr", result.stderr)):
            attributes = {"Name": name, "CommandId": command_id}
            if data:
                ET.SubElement(receive, soap.q("rsp", "Stream"), attributes).text = base64.b64encode(data).decode()
            ET.SubElement(receive, soap.q("rsp", "Stream"), {**attributes, "End": "true"})
        state = ET.SubElement(receive, soap.q("rsp", "CommandState"), {"CommandId": command_id, "State": soap.STATE_DONE})
        ET.SubElement(state, soap.q("rsp", "ExitCode")).text = str(result.exit_code)
        return envelope
