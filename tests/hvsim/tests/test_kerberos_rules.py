"""hvsim.kerberos without a KDC: which mechanism a client's first token offers, and the SSPI status
Windows reports for a KDC's refusal."""

from __future__ import annotations

from spnego._context import GSSMech
from spnego._spnego import NegTokenInit

from hvsim.kerberos import SEC_E_NO_CREDENTIALS, SEC_E_TARGET_UNKNOWN, _offers_kerberos, windows_code


class KrbError(Exception):
    def __init__(self, text: str, minor: int) -> None:
        super().__init__(text)
        self.min_code = minor


def test_a_client_offering_only_ntlm_is_not_given_kerberos() -> None:
    assert not _offers_kerberos(b"NTLMSSP\x00\x01\x00\x00\x00")
    assert not _offers_kerberos(NegTokenInit(mech_types=[GSSMech.ntlm.value]).pack())
    assert _offers_kerberos(NegTokenInit(mech_types=[GSSMech.kerberos.value, GSSMech.ntlm.value]).pack())
    assert _offers_kerberos(NegTokenInit(mech_types=[GSSMech._ms_kerberos.value]).pack())  # pylint: disable=protected-access


def test_principal_unknown_is_target_unknown_as_windows_reports_it() -> None:
    unknown = KrbError("Server not found in Kerberos database", -1765328377)
    assert windows_code(unknown) == SEC_E_TARGET_UNKNOWN == 0x80090303
    refused = KrbError("KDC can't fulfill requested option", -1765328371)
    assert windows_code(refused) == SEC_E_NO_CREDENTIALS == 0x8009030E
