"""``policy``: the caller's policy (:mod:`mcbadge.verification.policy`) holds for the
verified credential. Reported only when a policy is given."""

from __future__ import annotations

from mcbadge.verification._result import Check
from mcbadge.verification._state import State, issuer_id
from mcbadge.verification.checks._base import VerifierCheck
from mcbadge.verification.checks._dates import read_date
from mcbadge.verification.checks._status import status_purposes
from mcbadge.verification.policy import Facts


class PolicyCheck(VerifierCheck):
    id = "policy"
    phase = "after_signature"
    problems = frozenset({"POLICY_VIOLATION", "ISSUER_NOT_REGISTERED"})

    def applies(self, state: State) -> bool:
        return state.run.policy is not None

    def run(self, state: State) -> Check:
        policy = state.run.policy
        assert policy is not None
        doc = state.document
        try:
            _name, _text, valid_from = read_date(doc, "validFrom", "issuanceDate")
        except ValueError:
            valid_from = None
        facts = Facts(doc, issuer_id(doc), valid_from, status_purposes(doc),
                      tuple(state.suites), state.run.now)
        failure = policy.check(facts)
        if failure is not None:
            return self.failed(failure.message, failure.problem, policy=policy.describe())
        return self.passed(f"the policy holds: {policy.describe()}")
