"""What a check is: an id, the phase it runs in, whether its failure stops the checks after
it, the problem codes it may report, and :meth:`VerifierCheck.run` over the document."""

from __future__ import annotations

from typing import ClassVar, Literal

from mcbadge.verification._result import Check
from mcbadge.verification._state import State

Phase = Literal["read", "before_signature", "signature", "after_signature"]
"""``read`` and ``before_signature``: cheap, bounded, nothing fetched; ``signature``: key
resolution may fetch; ``after_signature``: anything, over the proven view."""


class VerifierCheck:
    """One step of verification. Subclasses set the class attributes and :meth:`run`."""

    id: ClassVar[str]
    phase: ClassVar[Phase]
    fatal: ClassVar[bool] = False
    """A failure marks every later check ``skipped`` (``skip_message``)."""
    skip_message: ClassVar[str] = ""
    problems: ClassVar[frozenset[str]] = frozenset()
    """Every problem code :meth:`run` may put in a failed or warning :class:`Check`."""

    def applies(self, state: State) -> bool:
        """Whether the check runs (and is reported) for this document."""
        return True

    def run(self, state: State) -> Check:
        raise NotImplementedError

    def passed(self, message: str, **details: object) -> Check:
        return Check(self.id, "passed", message, None, details)

    def failed(self, message: str, problem: str, **details: object) -> Check:
        return Check(self.id, "failed", message, problem, details)

    def warning(self, message: str, problem: str | None = None, **details: object) -> Check:
        return Check(self.id, "warning", message, problem, details)
