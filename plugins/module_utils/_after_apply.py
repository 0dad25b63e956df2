# Copyright: winvirt.hyperv contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed apply left behind: the object read again after the failure, compared with before.

FOR INTERNAL COLLECTION USE ONLY.

A batch that fails part-way (or whose answer is lost after it was sent) may have changed the host. Each changing
module describes here how to read its object again and how to show it; HyperVModule.fail_after_apply turns the
outcome into the failure: ``changed: true`` and the object as it is now when the re-read differs from before,
``changed: false`` when it does not, and ``changed: true`` with "the outcome is unknown" when the re-read fails.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.winvirt.hyperv.plugins.module_utils._errors import HyperVError

T = t.TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Outcome(t.Generic[T]):
    now: T | None  # the object as read back (None when the re-read failed, or when it is gone)
    changed: bool  # the re-read differs from before
    reread_error: str | None = None  # why it could not be read back (the outcome is unknown)

    @property
    def unknown(self) -> bool:
        return self.reread_error is not None


@dataclasses.dataclass(frozen=True)
class AfterApply(t.Generic[T]):
    """How to learn what a failed apply changed.

    ``read`` reads the object again (raising HyperVError or one of ``reread_errors``); ``view`` makes what is
    compared with ``before``; ``report`` gives the result fields that show the object as it is now (it may set
    ``changes``). ``read=None``: the object cannot be read back, so ``applied`` (whether any change was sent) says
    ``changed`` and an error that broke the connection after sending makes the outcome unknown.
    ``also_changed``: the task changed something the re-read does not show (a VM stopped and started again)."""

    subject: str  # "the task may have changed the host", "the checkpoint may have been changed"
    read: t.Callable[[], T] | None = None
    before: t.Any = None
    view: t.Callable[[T | None], t.Any] = lambda now: now
    report: t.Callable[[T | None, bool], dict[str, t.Any]] | None = None
    changed_detail: str | None = None
    unchanged_detail: str | None = None
    also_changed: bool = False
    reread_errors: tuple[type[Exception], ...] = ()
    applied: bool = True
    error: HyperVError | None = None  # with read=None: the apply's error (its category says if the answer was lost)

    def outcome(self) -> Outcome[T]:
        if self.read is None:
            lost = self.applied and self.error is not None and self.error.outcome_unknown
            return Outcome(None, self.applied, "the connection broke after the changes were sent" if lost else None)
        try:
            now = self.read()
        except (HyperVError, *self.reread_errors) as exc:
            return Outcome(None, True, str(exc))
        return Outcome(now, self.view(now) != self.before)

    def unknown_detail(self, reread_error: str | None) -> str:
        if self.read is None:
            return f"{reread_error}, so {self.subject}; run the task again to see and finish"
        return f"{self.subject} before the task failed (reading it back failed: {reread_error}); run the task again to finish"

    def detail(self, changed: bool) -> str | None:
        return self.changed_detail if changed else self.unchanged_detail
