"""``clr_credentials``: (CLR) every credential a CLR bundles
(``credentialSubject.verifiableCredential``, JSON or VC-JWT) verifies on its own, as a whole
credential; each result is reported (nested), and one that fails fails the CLR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcbadge.verification._result import Check
from mcbadge.verification._state import Run, State, as_list, kind_of
from mcbadge.verification.checks._base import VerifierCheck

MAX_CREDENTIALS = 256
MAX_NESTING = 2


class ClrCredentialsCheck(VerifierCheck):
    id = "clr_credentials"
    phase = "after_signature"
    problems = frozenset({"CLR_CREDENTIAL_INVALID"})

    def applies(self, state: State) -> bool:
        return state.read is not None and kind_of(state.document) == "clr"

    def run(self, state: State) -> Check:
        from mcbadge.verification._pipeline import verify_in_run

        subject = state.document.get("credentialSubject")
        found: list[Any] = []
        for subj in as_list(subject):
            if isinstance(subj, Mapping):
                found += as_list(subj.get("verifiableCredential"))
        run = state.run
        if not found:
            return self.failed("the CLR bundles no credential", "CLR_CREDENTIAL_INVALID")
        if run.depth >= MAX_NESTING:
            return self.failed("a CLR nested deeper than this is not verified",
                               "CLR_CREDENTIAL_INVALID")
        if len(found) > MAX_CREDENTIALS:
            return self.failed(f"{len(found)} bundled credentials; at most {MAX_CREDENTIALS} "
                               "are checked", "CLR_CREDENTIAL_INVALID")
        child = Run(run.now, run.settings, run.fetcher, run.loader, run.keys, None,
                    run.depth + 1, run.fetched_schemas, run.deadline, run.limits)
        results = [verify_in_run(item, child) for item in found]
        bad = [(i, r) for i, r in enumerate(results) if not r.verified]
        if bad:
            index, result = bad[0]
            first = next(c for c in result.checks if c.outcome == "failed")
            return Check(self.id, "failed",
                         f"{len(bad)} of {len(found)} bundled credential(s) failed; "
                         f"#{index}: {first.id}: {first.message}", "CLR_CREDENTIAL_INVALID",
                         {"count": len(found)}, tuple(results))
        return Check(self.id, "passed", f"{len(found)} bundled credential(s) verified",
                     None, {"count": len(found)}, tuple(results))
