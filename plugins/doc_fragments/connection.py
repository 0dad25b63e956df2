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
      - If not set, on a host whose C(ansible_connection) is C(psrp) or C(winrm), its C(ansible_host) (or
        C(ansible_psrp_host) / C(ansible_winrm_host), else its inventory name); otherwise the value of the
        E(HYPERV_HOST) environment variable.
    type: str
    required: true
    aliases: [host]
  port:
    description:
      - The WinRM port.
      - Defaults to V(5986) when O(ssl=true) and V(5985) otherwise.
      - If neither this nor O(ssl) is set, on a host whose C(ansible_connection) is C(psrp) or C(winrm), the port
        that connection plugin would use (C(ansible_port), C(ansible_psrp_port) / C(ansible_winrm_port), or its
        default); otherwise the value of the E(HYPERV_PORT) environment variable.
    type: int
  username:
    description:
      - The account to authenticate as, V(DOMAIN\\user), V(user@domain.fqdn) or a local V(user).
      - Not used with O(auth=certificate).
      - If not set, the host's C(ansible_user) (or C(ansible_psrp_user) / C(ansible_winrm_user)) when its
        C(ansible_connection) is C(psrp) or C(winrm); otherwise the value of the E(HYPERV_USER) environment variable.
    type: str
    aliases: [user]
  password:
    description:
      - The password of O(username).
      - If not set, the host's C(ansible_password) (or C(ansible_winrm_password)) when its C(ansible_connection) is
        C(psrp) or C(winrm); otherwise the value of the E(HYPERV_PASSWORD) environment variable.
    type: str
  auth:
    description:
      - The WinRM authentication protocol.
      - V(negotiate) picks Kerberos when the host is reachable by a name with an SPN and a ticket can be had,
        NTLM otherwise. V(credssp) delegates the credentials to the host, which a second hop (a live migration
        or a UNC path started from the controller) needs unless constrained delegation is configured.
      - V(basic) is refused by WinRM unless O(ssl=true).
      - If not set, the host's C(ansible_psrp_auth), or the first of its C(ansible_winrm_transport) these modules
        speak (C(plaintext) and C(ssl) are V(basic), C(ssl) with a client certificate is V(certificate)), when its
        C(ansible_connection) is C(psrp) or C(winrm); otherwise the value of the E(HYPERV_AUTH) environment variable.
    type: str
    choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
    default: negotiate
  ssl:
    description:
      - Connect over HTTPS.
      - Without HTTPS, V(negotiate), V(ntlm), V(kerberos) and V(credssp) still encrypt every message.
      - If neither this nor O(port) is set, on a host whose C(ansible_connection) is C(psrp) or C(winrm), HTTPS
        unless that plugin would use HTTP (C(ansible_psrp_protocol=http), C(ansible_winrm_scheme=http), or port
        5985 without either); otherwise the value of the E(HYPERV_SSL) environment variable.
    type: bool
    default: false
  cert_validation:
    description:
      - Validate the HTTPS certificate of the host.
      - Turning this off is an explicit choice; prefer O(ca_trust_path).
      - If not set, the host's C(ansible_psrp_cert_validation) or C(ansible_winrm_server_cert_validation)
        (V(ignore) turns validation off) when its C(ansible_connection) is C(psrp) or C(winrm); otherwise the value
        of the E(HYPERV_CERT_VALIDATION) environment variable.
    type: bool
    default: true
  ca_trust_path:
    description:
      - A PEM file (or directory of certificates) of the certification authorities to trust for the
        host's HTTPS certificate, instead of the system store.
      - If not set, the host's C(ansible_psrp_ca_cert) (or C(ansible_psrp_cert_trust_path)) or
        C(ansible_winrm_ca_trust_path) when its C(ansible_connection) is C(psrp) or C(winrm); otherwise the value of
        the E(HYPERV_CA_TRUST_PATH) environment variable.
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
  - "The module runs on the Ansible controller and connects to the host itself. On a host whose
    C(ansible_connection) is C(psrp) or C(winrm), the options the task does not set come from that host's
    connection variables (C(ansible_host), C(ansible_user), C(ansible_password), C(ansible_port) and the
    C(ansible_psrp_*) or C(ansible_winrm_*) variables, templated and read as that connection plugin reads them),
    and the module runs on the controller without ever opening the host's psrp or winrm connection. Other hosts
    run it with C(connection: local) or C(delegate_to: localhost) and the options set in the task (a task
    delegated to localhost takes none of the host's connection variables)."
  - "Each option comes from, first to last: the task's arguments and C(module_defaults), the host's psrp / winrm
    connection variables (only those it sets, and the port and HTTPS it implies), the E(HYPERV_*) environment
    variables, the option's default. Connection variables the module cannot follow (for example
    C(ansible_psrp_configuration_name) or C(ansible_psrp_negotiate_delegate)) are named in a warning."
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
        credentials are used for both hosts unless given here or in the second host's inventory variables.
    type: dict
    suboptions:
      hostname:
        description:
          - The second host's DNS name or IP address.
          - Or the inventory name of a host whose C(ansible_connection) is C(psrp) or C(winrm); the module then
            connects to that host's address with its connection variables, for every suboption not set here
            (see the notes; O(destination.port) and O(destination.ssl) follow that host's).
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

    # The same options for the hyperv_vms inventory plugin: set once for all the hosts it reads (the hosts themselves
    # are its hyperv_hosts option). No defaults here: the plugin takes the value set, else the environment variable
    # (blank counts as unset, as for the modules), else the modules' default, stated in each description.
    # tests/unit/test_vm_inventory.py checks these options against the modules' (same names, types and defaults).
    INVENTORY = r"""
options:
  port:
    description:
      - The WinRM port of every host (a host of O(hyperv_hosts) may set its own).
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
      - The password of O(username). Use Ansible Vault (an encrypted string in this file) or the environment variable.
      - It is never part of the inventory's output or cache.
      - If not set, the value of the E(HYPERV_PASSWORD) environment variable is used.
    type: str
  auth:
    description:
      - The WinRM authentication protocol, as for the modules' C(auth) option.
      - V(basic) is refused by WinRM unless O(ssl=true).
      - If not set, the value of the E(HYPERV_AUTH) environment variable is used, else V(negotiate).
    type: str
    choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
  ssl:
    description:
      - Connect over HTTPS.
      - If not set, the value of the E(HYPERV_SSL) environment variable is used, else V(false).
    type: bool
  cert_validation:
    description:
      - Validate the HTTPS certificate of the hosts. Turning this off is an explicit choice; prefer O(ca_trust_path).
      - If not set, the value of the E(HYPERV_CERT_VALIDATION) environment variable is used, else V(true).
    type: bool
  ca_trust_path:
    description:
      - A PEM file (or directory of certificates) of the certification authorities to trust for the hosts' HTTPS
        certificates, instead of the system store.
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
      - Seconds to wait for the TCP connection to a host.
      - If not set, the value of the E(HYPERV_CONNECTION_TIMEOUT) environment variable is used, else V(30).
    type: int
  operation_timeout:
    description:
      - Seconds a host waits for output before answering a WS-Management receive (long poll).
      - Must be lower than O(read_timeout).
      - If not set, the value of the E(HYPERV_OPERATION_TIMEOUT) environment variable is used, else V(20).
    type: int
  read_timeout:
    description:
      - Seconds to wait for any HTTP response from a host.
      - If not set, the value of the E(HYPERV_READ_TIMEOUT) environment variable is used, else V(30).
    type: int
  command_timeout:
    description:
      - Seconds the read of one host may run on it before it is stopped and that host counts as failed.
      - If not set, the value of the E(HYPERV_COMMAND_TIMEOUT) environment variable is used, else V(1800).
    type: int
  proxy:
    description:
      - An HTTP proxy URL to reach the hosts through.
      - If not set, the value of the E(HYPERV_PROXY) environment variable is used.
    type: str
requirements:
  - pypsrp >= 0.9.1
"""
