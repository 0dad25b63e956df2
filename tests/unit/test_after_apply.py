"""The one re-read after a failed apply (module_utils/_after_apply.py): what it concludes from the re-read."""

from __future__ import annotations

import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._after_apply import AfterApply
from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import OUTCOME_UNKNOWN, HyperVError


def _reads(*answers: t.Any) -> t.Callable[[], t.Any]:
    pending = list(answers)

    def read() -> t.Any:
        answer = pending.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
    return read


def test_a_re_read_that_differs_from_before_is_a_change() -> None:
    after = AfterApply(subject="s", read=_reads({"a": 2}), before={"a": 1}, changed_detail="changed", unchanged_detail="same")
    outcome = after.outcome()
    assert outcome.changed and not outcome.unknown and outcome.now == {"a": 2}
    assert after.detail(outcome.changed) == "changed"


def test_a_re_read_equal_to_before_is_no_change_unless_something_else_changed() -> None:
    same = AfterApply(subject="s", read=_reads({"a": 1}), before={"a": 1}, view=lambda now: now, unchanged_detail="same")
    assert not same.outcome().changed and same.detail(False) == "same"
    restarted = AfterApply(subject="s", read=_reads({"a": 1}), before={"a": 1}, also_changed=True)
    assert not restarted.outcome().changed and restarted.also_changed


def test_a_failed_re_read_makes_the_outcome_unknown_and_changed() -> None:
    after = AfterApply(subject="the task may have changed the host", read=_reads(HyperVError("hv1", "gone")), before={})
    outcome = after.outcome()
    assert outcome.unknown and outcome.changed and outcome.now is None
    assert after.unknown_detail(outcome.reread_error) == (
        "the task may have changed the host before the task failed (reading it back failed: hv1: gone); run the task "
        "again to finish")


def test_other_re_read_errors_count_only_when_named() -> None:
    class Duplicate(Exception):
        pass

    after = AfterApply(subject="s", read=_reads(Duplicate("two VMs")), before={}, reread_errors=(Duplicate,))
    assert after.outcome().unknown


def test_without_a_re_read_what_was_sent_decides_and_a_lost_answer_is_unknown() -> None:
    lost = HyperVError("hv1", "connection reset", category=next(iter(OUTCOME_UNKNOWN)))
    refused = HyperVError("hv1", "access denied", category="error")
    assert not AfterApply(subject="s", applied=False, error=lost).outcome().changed
    sent = AfterApply(subject="the host may have applied them", applied=True, error=lost).outcome()
    assert sent.changed and sent.unknown
    failed = AfterApply(subject="s", applied=True, error=refused).outcome()
    assert failed.changed and not failed.unknown
