"""``valid_signature``: every embedded proof in a suite mcbadge knows verifies (at least one
must), or the VC-JWT does. Key resolution may fetch (did:web, https keys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mcbadge.keys import key_from_jwk
from mcbadge.proofs import SUITES, VERIFY_ONLY, verify_jwt, verify_proof
from mcbadge.proofs.jwt import verify_jwt_parts
from mcbadge.resolve import ResolvedKey
from mcbadge.verification._result import Check
from mcbadge.verification._state import Run, State, as_list
from mcbadge.verification.checks._base import VerifierCheck

MAX_PROOFS = 16
_KEEP_PROBLEMS = frozenset({
    "INVALID_SIGNATURE", "DATA_LOSS_DETECTION_ERROR", "DID_WEB_UNRESOLVED",
    "VERIFICATION_METHOD_NOT_FOUND", "INVALID_VERIFICATION_METHOD", "JSON_LD_FORM_ERROR",
})


@dataclass
class ProofsOutcome:
    ok: bool
    message: str
    problem: str | None
    report: list[dict[str, Any]] = field(default_factory=list)
    signers: list[ResolvedKey] = field(default_factory=list)
    suites: list[str] = field(default_factory=list)


def _suite_of(proof: Any) -> str | None:
    if not isinstance(proof, Mapping):
        return None
    name = proof.get("cryptosuite", proof.get("type"))
    return name if isinstance(name, str) else None


def verify_embedded_proofs(doc: Mapping[str, Any], run: Run) -> ProofsOutcome:
    """Every embedded proof of ``doc``: those in suites mcbadge does not know (or the policy
    does not allow) are listed and set aside; at least one must remain, and every one that
    remains must verify."""
    proofs = as_list(doc.get("proof"))
    if not proofs:
        return ProofsOutcome(False, "the credential has no proof", "INVALID_SIGNATURE")
    if len(proofs) > MAX_PROOFS:
        return ProofsOutcome(False, f"{len(proofs)} proofs; at most {MAX_PROOFS} are checked",
                             "INVALID_SIGNATURE")
    allowed = run.settings.allowed_suites
    out = ProofsOutcome(True, "", None)
    counted = 0
    first_problem: tuple[str, str] | None = None
    for proof in proofs:
        suite = _suite_of(proof)
        vm = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
        row: dict[str, Any] = {"suite": suite, "verificationMethod": vm}
        if suite not in SUITES and suite not in VERIFY_ONLY:
            row.update(verified=None, message=f"unsupported proof suite {suite!r}; set aside")
        elif allowed is not None and suite not in allowed:
            row.update(verified=None, message=f"suite {suite} is not allowed by the policy")
        else:
            counted += 1
            run.check_deadline("the proof's key could be resolved")
            result = verify_proof(doc, proof, run.keys.any_key, run.loader)
            row.update(verified=result.verified, message=result.message)
            if result.verified:
                if isinstance(vm, str):
                    out.signers.append(run.keys.resolve(vm))
                out.suites.append(str(suite))
            else:
                problem = result.problem or "INVALID_SIGNATURE"
                row["problem"] = problem
                if first_problem is None:
                    first_problem = (
                        problem if problem in _KEEP_PROBLEMS else "INVALID_SIGNATURE",
                        f"{suite} proof by {vm}: {result.message}",
                    )
        out.report.append(row)
    if counted == 0:
        out.ok, out.problem = False, "INVALID_SIGNATURE"
        out.message = ("no proof in a suite mcbadge verifies"
                       + (" and the policy allows" if allowed is not None else ""))
    elif first_problem is not None:
        out.ok, out.problem, out.message = False, first_problem[0], first_problem[1]
    else:
        out.message = (f"{counted} proof(s) verified "
                       f"({', '.join(sorted(set(out.suites)))})")
    return out


class SignatureCheck(VerifierCheck):
    id = "valid_signature"
    phase = "signature"
    fatal = True
    skip_message = "not run: signature invalid"
    problems = _KEEP_PROBLEMS

    def run(self, state: State) -> Check:
        read = state.read
        assert read is not None
        if read.jwt is not None:
            return self._jwt(state, read.jwt)
        outcome = verify_embedded_proofs(read.document, state.run)
        state.signers.extend(outcome.signers)
        state.suites.extend(outcome.suites)
        if not outcome.ok:
            return self.failed(outcome.message, outcome.problem or "INVALID_SIGNATURE",
                               proofs=outcome.report)
        return self.passed(outcome.message, proofs=outcome.report)

    def _jwt(self, state: State, token: str) -> Check:
        run = state.run
        allowed = run.settings.allowed_suites
        if allowed is not None and "jwt" not in allowed:
            return self.failed("VC-JWT is not allowed by the policy", "INVALID_SIGNATURE")
        read = state.read
        parts = read.jwt_parts if read is not None and read.jwt == token else None
        result = verify_jwt(token, run.keys.jwt_key) if parts is None else \
            verify_jwt_parts(parts, run.keys.jwt_key)
        state.jwt = result
        header = result.header
        details = {"format": "jwt", "alg": header.get("alg"), "kid": header.get("kid")}
        if not result.verified:
            problem = result.problem if result.problem in _KEEP_PROBLEMS else "INVALID_SIGNATURE"
            return Check(self.id, "failed", result.message, problem, details)
        kid = header.get("kid")
        if isinstance(header.get("jwk"), Mapping):
            state.signers.append(ResolvedKey(key_from_jwk(header["jwk"]), "jwk", None))
        elif isinstance(kid, str):
            state.signers.append(run.keys.resolve(kid))
        state.suites.append("jwt")
        return Check(self.id, "passed", f"VC-JWT signature verified ({header.get('alg')})",
                     None, details)
