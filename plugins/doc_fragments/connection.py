# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # WinRM connection options shared by every module. The argument spec lives in
    # plugins/module_utils/_connection.py; keep both in step (validate-modules checks it).
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - The Hyper-V host (or Windows machine) to connect to over WinRM, as a DNS name or IP address.
      - If not set, the value of the E(HYPERV_HOST) environment variable is used.
    type: str
    required: true
    aliases: [host]
  port:
    description:
      - The WinRM port.
      - Defaults to V(5986) when O(ssl=true) and V(5985) otherwise.
      - If not set, the value of the E(HYPERV_PORT) environment variable is used.
    type: int
  username:
    description:
      - The account to authenticate as, V(DOMAIN\\user), V(user@domain.fqdn) or a local V(user).
      - Not used with O(auth=certificate).
      - If not set, the value of the E(HYPERV_USER) environment variable is used.
    type: str
    aliases: [user]
  password:
    description:
      - The password of O(username).
      - If not set, the value of the E(HYPERV_PASSWORD) environment variable is used.
    type: str
  auth:
    description:
      - The WinRM authentication protocol.
      - V(negotiate) picks Kerberos when the host is reachable by a name with an SPN and a ticket can be had,
        NTLM otherwise. V(credssp) delegates the credentials to the host, which a second hop (a live migration
        or a UNC path started from the controller) needs unless constrained delegation is configured.
      - V(basic) is refused by WinRM unless O(ssl=true).
      - If not set, the value of the E(HYPERV_AUTH) environment variable is used.
    type: str
    choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
    default: negotiate
  ssl:
    description:
      - Connect over HTTPS.
      - Without HTTPS, V(negotiate), V(ntlm), V(kerberos) and V(credssp) still encrypt every message.
      - If not set, the value of the E(HYPERV_SSL) environment variable is used.
    type: bool
    default: false
  cert_validation:
    description:
      - Validate the HTTPS certificate of the host.
      - Turning this off is an explicit choice; prefer O(ca_trust_path).
      - If not set, the value of the E(HYPERV_CERT_VALIDATION) environment variable is used.
    type: bool
    default: true
  ca_trust_path:
    description:
      - A PEM file (or directory of certificates) of the certification authorities to trust for the
        host's HTTPS certificate, instead of the system store.
      - If not set, the value of the E(HYPERV_CA_TRUST_PATH) environment variable is used.
    type: path
  certificate_pem:
    description:
      - The client certificate (PEM) for O(auth=certificate).
      - If not set, the value of the E(HYPERV_CERTIFICATE_PEM) environment variable is used.
    type: path
  certificate_key_pem:
    description:
      - The private key (PEM) of O(certificate_pem).
      - If not set, the value of the E(HYPERV_CERTIFICATE_KEY_PEM) environment variable is used.
    type: path
  connection_timeout:
    description:
      - Seconds to wait for the TCP connection to the host.
      - If not set, the value of the E(HYPERV_CONNECTION_TIMEOUT) environment variable is used.
    type: int
    default: 30
  operation_timeout:
    description:
      - Seconds the host waits for output before answering a WS-Management receive (long poll).
      - Must be lower than O(read_timeout).
      - If not set, the value of the E(HYPERV_OPERATION_TIMEOUT) environment variable is used.
    type: int
    default: 20
  read_timeout:
    description:
      - Seconds to wait for any HTTP response from the host.
      - If not set, the value of the E(HYPERV_READ_TIMEOUT) environment variable is used.
    type: int
    default: 30
  command_timeout:
    description:
      - Seconds one batch of commands may run on the host. When it has not finished by then it is stopped
        on the host and the task fails, saying so. Long operations with a timeout option of their own (such as
        a live migration's O(winvirt.hyperv.hyperv_live_migration#module:timeout)) are bounded by that instead.
      - If not set, the value of the E(HYPERV_COMMAND_TIMEOUT) environment variable is used.
    type: int
    default: 1800
  proxy:
    description:
      - An HTTP proxy URL to reach the host through.
      - If not set, the value of the E(HYPERV_PROXY) environment variable is used.
    type: str
notes:
  - "The module runs on the Ansible controller and connects to the host itself; run it with
    C(delegate_to: localhost) or C(connection: local)."
  - "Set these options once for every module of the collection with
    C(module_defaults: {group/winvirt.hyperv.hyperv: {...}}), or inject the E(HYPERV_*)
    environment variables, for example from an AWX / Automation Controller custom credential type."
requirements:
  - pypsrp >= 0.9.1
  - pywinrm >= 0.5.0 (native executables)
"""

    # A second host, for modules that talk to two (e.g. a live migration's destination).
    DESTINATION = r"""
options:
  destination:
    description:
      - How to reach the second host. Every suboption not set takes the value of the first host's
        option of the same name (except O(destination.hostname), which is required), so the same
        credentials are used for both hosts unless given here.
    type: dict
    suboptions:
      hostname:
        description: The second host's DNS name or IP address.
        type: str
        required: true
      port:
        description: See O(port).
        type: int
      username:
        description: See O(username).
        type: str
      password:
        description: See O(password).
        type: str
      auth:
        description: See O(auth).
        type: str
        choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
      ssl:
        description: See O(ssl).
        type: bool
      cert_validation:
        description: See O(cert_validation).
        type: bool
      ca_trust_path:
        description: See O(ca_trust_path).
        type: path
"""
