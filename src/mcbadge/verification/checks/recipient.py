"""``recipient``: the badge belongs to the recipient the caller named
(``verify(..., recipient=...)``, ``mcbadge verify --recipient``): a DID or URL in
``credentialSubject.id``, or a plain or hashed identifier (email addresses compared without
regard to case, as the issuer normalises them before hashing)."""

from __future__ import annotations

from mcbadge.models import OpenBadgeCredential
from mcbadge.verification._result import Check
from mcbadge.verification._state import State
from mcbadge.verification.checks._base import VerifierCheck


class RecipientCheck(VerifierCheck):
    id = "recipient"
    phase = "after_signature"
    problems = frozenset({"RECIPIENT_MISMATCH"})

    def applies(self, state: State) -> bool:
        return state.run.recipient is not None

    def run(self, state: State) -> Check:
        assert state.run.recipient is not None
        value, identity_type = state.run.recipient
        credential = state.credential
        if not isinstance(credential, OpenBadgeCredential):
            return self.failed(f"not a badge of {value}: the credential is not an Open Badges "
                               "credential that names a recipient", "RECIPIENT_MISMATCH")
        if credential.is_recipient(value, identity_type):
            return self.passed(f"awarded to {value}")
        return self.failed(f"not awarded to {value}", "RECIPIENT_MISMATCH")
