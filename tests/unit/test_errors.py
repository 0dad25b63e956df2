import pytest

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HINTS, HyperVError, code_in_text, find_hint


@pytest.mark.parametrize(
    ("code", "message", "category", "hint_words"),
    [
        (None, "Virtual machine migration operation failed at migration source. Failed to establish a connection "
               "with host 'hv2': The specified target is unknown or unreachable. (0x80090303).", "missing SPN", "hyperv_spn"),
        (-2146893042, "No credentials are available in the security package", "Kerberos double hop", "delegation"),
        (None, "HTTPSConnectionPool: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "certificate not trusted",
         "ca_trust_path"),
        (0x80070005, "Access is denied.", "access denied", "Administrators"),
        (None, "Failed to establish a new connection: [Errno 111] Connection refused", "WinRM unreachable",
         "Enable-PSRemoting"),
    ],
)
def test_known_failures_get_a_category_and_a_remedy(code, message, category, hint_words) -> None:
    error = HyperVError("hv1.lab.test", message, command="Move-VM -Name 'web1'", code=code)
    assert error.category == category
    assert hint_words in error.hint
    text = str(error)
    assert text.startswith("hv1.lab.test: 'Move-VM -Name 'web1'' failed:")
    assert "Hint:" in text


def test_code_is_found_in_hyperv_message_text_and_shown_once() -> None:
    error = HyperVError("hv1", "Failed (0x80090303).")
    assert error.code == 0x80090303
    assert str(error).count("0x80090303") == 1
    assert error.to_result()["code"] == "0x80090303"


def test_unknown_failures_have_no_invented_hint() -> None:
    error = HyperVError("hv1", "The disk is write protected.")
    assert error.hint is None
    assert error.category == "error"
    assert code_in_text("nothing here") is None


def test_every_hint_can_match() -> None:
    for hint in HINTS:
        assert hint.code is not None or hint.pattern
        if hint.code is not None:
            assert find_hint(hint.code, "") is hint


def test_a_credssp_refusal_says_how_to_enable_the_server_role() -> None:
    error = HyperVError("wg1", "could not open a PowerShell session: AuthenticationException: Server did not response "
                               "with a CredSSP token after step Credential exchange")
    assert error.category == "authentication failed" and "credssp_server" in (error.hint or "")


def test_the_app_layering_copy_error_gets_its_own_fix() -> None:
    hint = find_hint(None, "storage: Error copying file to D:\\path\\file.vhdx. The certificate authority is invalid or "
                           "incorrect.")
    assert hint is not None and "useHttpsFileTransfer" in hint.remedy
    generic = find_hint(None, "SSL: CERTIFICATE_VERIFY_FAILED certificate verify failed")
    assert generic is not None and "ca_trust_path" in generic.remedy
