"""``valid_from``: the credential is already valid (``validFrom``/``issuanceDate``, with the
clock skew the policy allows)."""

from __future__ import annotations

from mcbadge.verification._result import Check
from mcbadge.verification._state import State
from mcbadge.verification.checks._base import VerifierCheck
from mcbadge.verification.checks._dates import read_date


class ValidFromCheck(VerifierCheck):
    id = "valid_from"
    phase = "after_signature"
    problems = frozenset({"CREDENTIAL_NOT_YET_VALID", "MALFORMED_VALUE_ERROR"})

    def run(self, state: State) -> Check:
        try:
            _name, text, when = read_date(state.document, "validFrom", "issuanceDate")
        except ValueError as exc:
            return self.failed(str(exc), "MALFORMED_VALUE_ERROR")
        if when is None:
            return self.passed("no validFrom: valid from any time")
        if when > state.run.now + state.run.settings.clock_skew:
            return self.failed(f"not valid until {text}", "CREDENTIAL_NOT_YET_VALID",
                               validFrom=text)
        return self.passed(f"valid from {text}")
