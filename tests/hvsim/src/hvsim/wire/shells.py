"""WS-Management shells of one machine: create, route each action to its shell, delete.

PowerShell shells are in ``psrp_shell``, WinRS cmd shells in ``cmd_shell``; this module builds the
SOAP answers (rsp:Shell, ReceiveResponse, the WSMan config) as Windows does (tests/hvsim/DESIGN.md,
"The wire").
"""

from __future__ import annotations

import base64
import itertools
import threading
import uuid
import xml.etree.ElementTree as ET

from hvsim.contract import Backend, Principal
from hvsim.wire import soap
from hvsim.wire.cmd_shell import CmdShell
from hvsim.wire.psrp_shell import PsrpShell, encode

Shell = PsrpShell | CmdShell
_PROCESS_IDS = itertools.count(4120, 4)  # the wsmprovhost.exe process id a PowerShell shell reports

# The rsp:Shell fields Windows returns on Create, after ShellId/ResourceUri/Owner/ClientIP
# (pypsrp recordings test_psrp_open_runspace.yml and test_winrs_standard.yml).
_PSRP_SHELL_FIELDS = (("IdleTimeOut", "PT7200.000S"), ("InputStreams", "stdin pr"), ("OutputStreams", "stdout"),
                      ("MaxIdleTimeOut", "PT2147483.647S"), ("Locale", "en-US"), ("DataLocale", "en-US"),
                      ("CompressionMode", "NoCompression"), ("ProfileLoaded", "Yes"), ("Encoding", "UTF8"),
                      ("BufferMode", "Block"), ("State", "Connected"), ("ShellRunTime", "P0DT0H0M0S"),
                      ("ShellInactivity", "P0DT0H0M0S"))
_MEMORY_USED = "46MB"  # a Get/Enumerate's rsp:MemoryUsed (hvsim measures nothing; the recording's value)
_CMD_SHELL_FIELDS = (("IdleTimeOut", "PT7200.000S"), ("InputStreams", "stdin"), ("OutputStreams", "stdout stderr"),
                     ("ShellRunTime", "P0DT0H0M0S"), ("ShellInactivity", "P0DT0H0M0S"))

# winrm get winrm/config as a default Windows Server answers it (test_wsman_update_envelope_size_500.yml).
_CONFIG = {
    "MaxEnvelopeSizekb": "500", "MaxTimeoutms": "60000", "MaxBatchItems": "32000", "MaxProviderRequests": "4294967295",
    "Client": {"NetworkDelayms": "5000", "URLPrefix": "wsman", "AllowUnencrypted": "false",
               "Auth": {"Basic": "true", "Digest": "true", "Kerberos": "true", "Negotiate": "true",
                        "Certificate": "true", "CredSSP": "false"},
               "DefaultPorts": {"HTTP": "5985", "HTTPS": "5986"}, "TrustedHosts": ""},
    "Service": {"RootSDDL": "O:NSG:BAD:P(A;;GA;;;BA)(A;;GR;;;IU)S:P(AU;FA;GA;;;WD)(AU;SA;GXGW;;;WD)",
                "MaxConcurrentOperations": "4294967295", "MaxConcurrentOperationsPerUser": "1500",
                "EnumerationTimeoutms": "240000", "MaxConnections": "300", "MaxPacketRetrievalTimeSeconds": "120",
                "AllowUnencrypted": "false",
                "Auth": {"Basic": "false", "Kerberos": "true", "Negotiate": "true", "Certificate": "false",
                         "CredSSP": "false", "CbtHardeningLevel": "Relaxed"},
                "DefaultPorts": {"HTTP": "5985", "HTTPS": "5986"}, "IPv4Filter": "*", "IPv6Filter": "*",
                "EnableCompatibilityHttpListener": "false", "EnableCompatibilityHttpsListener": "false",
                "CertificateThumbprint": "", "AllowRemoteAccess": "true"},
    "Winrs": {"AllowRemoteShellAccess": "true", "IdleTimeout": "7200000", "MaxConcurrentUsers": "2147483647",
              "MaxShellRunTime": "2147483647", "MaxProcessesPerShell": "2147483647",
              "MaxMemoryPerShellMB": "2147483647", "MaxShellsPerUser": "2147483647"},
}


def _config_xml(parent: ET.Element, values: dict[str, object]) -> None:
    for name, value in values.items():
        element = ET.SubElement(parent, soap.q("cfg", name))
        if isinstance(value, dict):
            _config_xml(element, value)
        else:
            element.text = str(value)


class ShellTable:
    """Shells of one machine's listener, by ShellId; owners only may use their shells."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.shells: dict[str, Shell] = {}
        self.boots: dict[str, object] = {}  # ShellId -> the machine's boot it was created in
        self.fields: dict[str, list[tuple[str, str]]] = {}  # ShellId -> its rsp:Shell fields as Create answered
        self.states: dict[str, str] = {}  # ShellId -> Connected / Disconnected
        self.lock = threading.Lock()

    def handle(self, request: soap.Request, principal: Principal, address: str) -> ET.Element:
        action = request.action
        if action == soap.ACTION_CREATE:
            return self._create(request, principal, address)
        if action == soap.ACTION_GET and request.resource_uri.endswith("/config"):
            return self._config(request)
        if action == soap.ACTION_ENUMERATE:
            return self._enumerate(request, principal)
        if action == soap.ACTION_GET:
            return self._get(request, principal)
        shell = self._shell(request, principal)
        if action in (soap.ACTION_DISCONNECT, soap.ACTION_RECONNECT):
            # test_psrp_disconnect_runspaces.yml: both answer an empty Body; the shell's State follows.
            self.states[shell.shell_id] = "Disconnected" if action == soap.ACTION_DISCONNECT else "Connected"
            if isinstance(shell, PsrpShell):
                shell.disconnected(action == soap.ACTION_DISCONNECT)
            envelope, _ = soap.response(request)
            return envelope
        if action == soap.ACTION_CONNECT:
            return self._connect(request, shell)
        if action == soap.ACTION_DELETE:
            with self.lock:
                self._forget(shell.shell_id)
            shell.close()
            if isinstance(shell, PsrpShell):
                self._record_shell(principal.machine, opened=False)
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
        asked = request.find("rsp:Shell")
        if resource.startswith(soap.RESOURCE_POWERSHELL_PREFIX) and asked is not None and asked.attrib.get("ShellId"):
            # The client names a PowerShell shell after its RunspacePool id, and Windows keeps that ShellId
            # (test_psrp_open_runspace.yml: Create with ShellId="774EC41C-..." answers that ShellId); a client that
            # connects later finds the pool by it (test_psrp_disconnect_runspaces.yml).
            shell_id = str(uuid.UUID(asked.attrib["ShellId"])).upper()
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
            self.boots[shell_id] = self._boot(principal.machine)
        if isinstance(shell, PsrpShell):
            self._record_shell(principal.machine, opened=True)
        envelope, body = soap.response(request)
        created = ET.SubElement(body, soap.q("wst", "ResourceCreated"))
        ET.SubElement(created, soap.q("wsa", "Address")).text = f"http://{address}:5985/wsman"
        reference = ET.SubElement(created, soap.q("wsa", "ReferenceParameters"))
        ET.SubElement(reference, soap.q("wsman", "ResourceURI")).text = resource
        selector_set = ET.SubElement(reference, soap.q("wsman", "SelectorSet"))
        ET.SubElement(selector_set, soap.q("wsman", "Selector"), {"Name": "ShellId"}).text = shell_id
        fields = [("ShellId", shell_id), ("ResourceUri", resource), ("Owner", principal.user),
                  ("ClientIP", principal.client_address)]
        if isinstance(shell, PsrpShell):
            fields += [("ProcessId", str(next(_PROCESS_IDS))), *_PSRP_SHELL_FIELDS]
        else:
            fields += list(_CMD_SHELL_FIELDS)
        with self.lock:
            self.fields[shell_id] = fields
            self.states[shell_id] = "Connected"
        self._shell_element(body, shell_id, extended=False)
        return envelope

    def _forget(self, shell_id: str) -> None:
        for table in (self.shells, self.boots, self.fields, self.states):
            table.pop(shell_id, None)  # type: ignore[attr-defined]

    def _shell_element(self, parent: ET.Element, shell_id: str, *, extended: bool) -> None:
        """rsp:Shell as Create answers it; Get and Enumerate add MemoryUsed and ChildProcesses
        (test_psrp_is_alive_state_disconnected.yml, test_psrp_disconnect_runspaces.yml). State is the shell's."""
        shell_el = ET.SubElement(parent, soap.q("rsp", "Shell"))
        for name, value in self.fields[shell_id]:
            if name == "State":
                value = self.states.get(shell_id, value)
            ET.SubElement(shell_el, soap.q("rsp", name)).text = value
        if extended:
            ET.SubElement(shell_el, soap.q("rsp", "MemoryUsed")).text = _MEMORY_USED
            ET.SubElement(shell_el, soap.q("rsp", "ChildProcesses")).text = "0"

    def _get(self, request: soap.Request, principal: Principal) -> ET.Element:
        """WS-Transfer Get of a shell (pypsrp's RunspacePool.is_alive): the shell's rsp:Shell; an unknown ShellId
        the fault w:InvalidSelectors 2150858843 (test_psrp_is_alive_invalid_selectors.yml)."""
        if request.resource_uri != soap.RESOURCE_SHELLS:
            raise soap.SoapError(soap.ERROR_UNSUPPORTED, f"The WS-Management service does not support the action "
                                 f"{request.action}.", subcode="a:ActionNotSupported", value="s:Sender")
        try:
            shell = self._shell(request, principal)
        except soap.SoapError as error:
            error.message = ("The WS-Management service cannot process the request because the request contained "
                             "invalid selectors for the resource. ")
            raise
        envelope, body = soap.response(request)
        with self.lock:
            self._shell_element(body, shell.shell_id, extended=True)
        return envelope

    def _enumerate(self, request: soap.Request, principal: Principal) -> ET.Element:
        """WS-Enumeration of shells (the caller's own) or of one shell's commands, all in the EnumerateResponse
        (OptimizeEnumeration) with EndOfSequence (test_psrp_disconnect_runspaces.yml,
        test_psrp_disconnected_commands.yml); nothing found: no Items, only EndOfSequence."""
        envelope, body = soap.response(request)
        answer = ET.SubElement(body, soap.q("wsen", "EnumerateResponse"))
        ET.SubElement(answer, soap.q("wsen", "EnumerationContext"))
        items = ET.Element(soap.q("wsman", "Items"))
        if request.resource_uri == soap.RESOURCE_SHELLS:
            with self.lock:
                mine = [shell_id for shell_id, shell in self.shells.items()
                        if shell.principal.user.lower() == principal.user.lower()
                        and self.boots.get(shell_id) == self._boot(shell.principal.machine)]
                for shell_id in mine:
                    self._shell_element(items, shell_id, extended=True)
        elif request.resource_uri == soap.RESOURCE_COMMANDS:
            selector = request.body.find("wsen:Enumerate/wsman:Filter/wsman:SelectorSet/wsman:Selector", soap.NS)
            shell_id = (selector.text or "").upper() if selector is not None else ""
            with self.lock:
                shell = self.shells.get(shell_id)
            if shell is not None and shell.principal.user.lower() == principal.user.lower():
                for command_id in shell.running_commands():
                    command_el = ET.SubElement(items, soap.q("rsp", "Command"))
                    ET.SubElement(command_el, soap.q("rsp", "CommandId")).text = command_id
                    ET.SubElement(command_el, soap.q("rsp", "CommandLine"))
                    ET.SubElement(command_el, soap.q("rsp", "CommandState")).text = "Running"
        else:
            raise soap.SoapError(2150858811, f"The WS-Management service cannot process the request. The resource URI "
                                 f"({request.resource_uri}) was not found in the WS-Management catalog.",
                                 subcode="w:DestinationUnreachable", value="s:Sender")
        if len(items):
            answer.append(items)
        ET.SubElement(answer, soap.q("wsman", "EndOfSequence"))
        return envelope

    def _connect(self, request: soap.Request, shell: Shell) -> ET.Element:
        """rsp:Connect: to a shell (connectXml: SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL) the ConnectResponse carries
        the streams and connectResponseXml (SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA); the next Receive carries
        RUNSPACEPOOL_STATE (test_psrp_disconnect_runspaces.yml). To a command (CommandId): an empty ConnectResponse,
        its output continues in Receives."""
        connect = request.find("rsp:Connect")
        if not isinstance(shell, PsrpShell) or connect is None:
            raise soap.SoapError(soap.ERROR_UNSUPPORTED, f"The WS-Management service does not support the action "
                                 f"{request.action}.", subcode="a:ActionNotSupported", value="s:Sender")
        envelope, body = soap.response(request)
        answer = ET.SubElement(body, soap.q("rsp", "ConnectResponse"))
        if connect.attrib.get("CommandId"):
            return envelope
        xml = connect.find("pwsh:connectXml", soap.NS)
        if xml is None or not xml.text:
            raise soap.SoapError(2150858778, "The connectXml of the PowerShell shell is missing.",
                                 subcode="w:SchemaValidationError", value="s:Sender")
        response_xml = shell.connect(base64.b64decode(xml.text))
        with self.lock:
            self.states[shell.shell_id] = "Connected"
        ET.SubElement(answer, soap.q("rsp", "InputStreams")).text = "stdin pr"
        ET.SubElement(answer, soap.q("rsp", "OutputStreams")).text = "stdout"
        ET.SubElement(answer, soap.q("pwsh", "connectResponseXml")).text = encode(response_xml)
        return envelope

    def _boot(self, machine: str) -> object:
        """Which boot of ``machine`` this is (a backend without boots: always the same one)."""
        boot = getattr(self.backend, "boot_generation", None)
        return boot(machine) if boot is not None else None

    def _record_shell(self, machine: str, *, opened: bool) -> None:
        """Instrumentation (a backend may count RunspacePools opened and closed); Windows has no such counter."""
        record = getattr(self.backend, "record_shell", None)
        if record is not None:
            record(machine, opened)

    def _config(self, request: soap.Request) -> ET.Element:
        envelope, body = soap.response(request)
        _config_xml(ET.SubElement(body, soap.q("cfg", "Config")), _CONFIG)
        return envelope

    def _shell(self, request: soap.Request, principal: Principal) -> Shell:
        shell_id = request.selectors.get("ShellId", "").upper()
        with self.lock:
            shell = self.shells.get(shell_id)
            if shell is not None and self.boots.get(shell_id) != self._boot(shell.principal.machine):
                # the machine restarted since: its shells (wsmprovhost processes) ended with the old boot
                self._forget(shell_id)
                shell = None
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
            skip = request.options.get("WINRS_SKIP_CMD_SHELL", "").upper() == "TRUE"
            shell.command(command_id, (command_el.text or "") if command_el is not None else "", arguments, skip)
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
            received = shell.receive(command_id, request.operation_timeout, request.max_envelope)
            for target, fragment in received.fragments:
                attributes = {"Name": "stdout"}
                if target is not None:
                    attributes["CommandId"] = target
                ET.SubElement(receive, soap.q("rsp", "Stream"), attributes).text = encode(fragment)
            if command_id is not None:
                state = soap.STATE_DONE if received.done else soap.STATE_RUNNING
                state_el = ET.SubElement(receive, soap.q("rsp", "CommandState"), {"CommandId": command_id,
                                                                                  "State": state})
                if received.done:
                    ET.SubElement(state_el, soap.q("rsp", "ExitCode")).text = "0"
            return envelope
        if command_id is None:
            raise soap.SoapError(soap.ERROR_INVALID_PARAMETER, "The parameter is incorrect. ",
                                 subcode="w:InvalidParameter", value="s:Sender")
        received = shell.receive(command_id, request.max_envelope)
        if received is None:
            raise soap.SoapError(soap.ERROR_SHELL_NOT_FOUND,
                                 f"The request for the Windows Remote Shell with ShellId {shell.shell_id} failed "
                                 f"because the command with CommandId {command_id.upper()} was not found.",
                                 subcode="w:InvalidSelectors", value="s:Sender")
        pieces, exit_code = received
        for name, piece in pieces:
            ET.SubElement(receive, soap.q("rsp", "Stream"), {"Name": name, "CommandId": command_id}).text = \
                base64.b64encode(piece).decode()
        if exit_code is None:
            ET.SubElement(receive, soap.q("rsp", "CommandState"), {"CommandId": command_id, "State": soap.STATE_RUNNING})
            return envelope
        for name in ("stdout", "stderr"):
            ET.SubElement(receive, soap.q("rsp", "Stream"), {"Name": name, "CommandId": command_id, "End": "true"})
        state = ET.SubElement(receive, soap.q("rsp", "CommandState"), {"CommandId": command_id, "State": soap.STATE_DONE})
        ET.SubElement(state, soap.q("rsp", "ExitCode")).text = str(exit_code)
        return envelope
