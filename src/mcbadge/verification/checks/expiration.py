"""``expiration``: the credential has not expired (``validUntil``/``expirationDate``)."""

from __future__ import annotations

from mcbadge.verification._result import Check
from mcbadge.verification._state import State
from mcbadge.verification.checks._base import VerifierCheck
from mcbadge.verification.checks._dates import read_date


class ExpirationCheck(VerifierCheck):
    id = "expiration"
    phase = "after_signature"
    problems = frozenset({"CREDENTIAL_EXPIRED", "MALFORMED_VALUE_ERROR"})

    def run(self, state: State) -> Check:
        try:
            _name, text, when = read_date(state.document, "validUntil", "expirationDate")
        except ValueError as exc:
            return self.failed(str(exc), "MALFORMED_VALUE_ERROR")
        if when is None:
            return self.passed("does not expire")
        if when < state.run.now - state.run.settings.clock_skew:
            return self.failed(f"expired {text}", "CREDENTIAL_EXPIRED", validUntil=text)
        return self.passed(f"valid until {text}")
