# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # LDAP options for modules that talk to a domain controller directly. The argument spec lives in
    # plugins/module_utils/_ldap_connection.py; keep both in step (validate-modules checks it).
    DOCUMENTATION = r"""
options:
  ldap_server:
    description:
      - The domain controller to connect to over LDAP, as a DNS name or an address.
      - Or the inventory name of a host whose C(ansible_connection) is C(psrp) or C(winrm); its address
        (C(ansible_host)) is then used, and only the address (the bind uses O(ldap_username) and O(ldap_password)).
      - Required with O(winvirt.hyperv.hyperv_spn#module:backend=ldap). M(winvirt.hyperv.hyperv_live_migration) reads the
        hosts' computer accounts from it when it is set.
      - With O(winvirt.hyperv.hyperv_spn#module:backend=powershell), the domain controller the ActiveDirectory cmdlets ask (their C(-Server)); by
        default they find one of the host's domain.
      - If not set, the value of the E(HYPERV_LDAP_SERVER) environment variable is used.
    type: str
    aliases: [domain_controller]
  ldap_port:
    description:
      - The LDAP port of the domain controller.
      - Defaults to V(636) with O(ldap_encryption=ldaps) and V(389) with O(ldap_encryption=starttls).
      - If not set, the value of the E(HYPERV_LDAP_PORT) environment variable is used.
    type: int
  ldap_encryption:
    description:
      - V(ldaps) opens TLS before LDAP (port 636), V(starttls) upgrades a plain LDAP connection (port 389) before binding.
      - There is no unencrypted choice; a simple bind sends the password, and domain controllers refuse it without TLS.
      - If not set, the value of the E(HYPERV_LDAP_ENCRYPTION) environment variable is used.
    type: str
    choices: [ldaps, starttls]
    default: ldaps
  ldap_cert_validation:
    description:
      - Validate the domain controller's certificate (chain and name).
      - Turning this off is an explicit choice; prefer O(ldap_ca_path).
      - If not set, the value of the E(HYPERV_LDAP_CERT_VALIDATION) environment variable is used.
    type: bool
    default: true
  ldap_ca_path:
    description:
      - A PEM file (or a directory of hashed certificates) of the certification authorities to trust for the domain
        controller's certificate, instead of the system store.
      - If not set, the value of the E(HYPERV_LDAP_CA_PATH) environment variable is used.
    type: path
  ldap_tls_server_name:
    description:
      - The name the domain controller's certificate must carry, when O(ldap_server) is an address or an alias.
        Also sent as the TLS server name (SNI).
      - If not set, the certificate must match O(ldap_server).
      - If not set, the value of the E(HYPERV_LDAP_TLS_SERVER_NAME) environment variable is used.
    type: str
  ldap_username:
    description:
      - The account to bind as (simple bind over TLS), as V(user@domain.fqdn), V(DOMAIN\\user) or a distinguished name.
      - Required with O(winvirt.hyperv.hyperv_spn#module:backend=ldap), and whenever O(ldap_server) is set.
      - If not set, the value of the E(HYPERV_LDAP_USER) environment variable is used.
    type: str
  ldap_password:
    description:
      - The password of O(ldap_username).
      - Required with O(winvirt.hyperv.hyperv_spn#module:backend=ldap), and whenever O(ldap_server) is set.
      - If not set, the value of the E(HYPERV_LDAP_PASSWORD) environment variable is used.
    type: str
  ldap_base_dn:
    description:
      - The distinguished name under which computer accounts and groups are searched, for example V(DC=example,DC=com).
      - Defaults to the domain's default naming context, which the domain controller reports.
      - With O(winvirt.hyperv.hyperv_spn#module:backend=powershell), passed as C(-SearchBase).
      - If not set, the value of the E(HYPERV_LDAP_BASE_DN) environment variable is used.
    type: str
  ldap_timeout:
    description:
      - Seconds to wait for the connection to, and each answer from, the domain controller.
      - If not set, the value of the E(HYPERV_LDAP_TIMEOUT) environment variable is used.
    type: int
    default: 30
notes:
  - "The LDAP options belong to modules that talk to a domain controller. Set them with
    C(module_defaults) for those modules by name, not for the group C(group/winvirt.hyperv.hyperv),
    whose other modules do not take them."
requirements:
  - ldap3 >= 2.9.1
"""
