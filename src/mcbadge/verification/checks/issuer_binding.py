"""``issuer_binding``: every key that verified a proof belongs to the credential's issuer,
for the purpose of making assertions (``assertionMethod``)."""

from __future__ import annotations

from mcbadge.errors import FetchError, KeyResolutionError
from mcbadge.resolve import ResolvedKey
from mcbadge.verification._result import Check, Outcome
from mcbadge.verification._state import Run, State, issuer_id
from mcbadge.verification.checks._base import VerifierCheck

Verdict = tuple[Outcome, str, str | None]


def bind_key(issuer: str | None, resolved: ResolvedKey, run: Run,
             kid: str | None = None) -> Verdict:
    """Is ``resolved`` the issuer's key? (outcome, message, problem)."""
    settings = run.settings
    unconfirmed: Outcome = "warning" if settings.unsafe_unconfirmed_keys else "failed"
    method = resolved.method
    if issuer is None:
        return "failed", "the credential names no issuer id", "ISSUER_BINDING_ERROR"
    if issuer.startswith("did:"):
        if method == "jwk":  # a header key, no kid: the issuer's DID document must list it
            return _bind_header_key_to_did(issuer, resolved, run, unconfirmed)
        if resolved.controller != issuer:
            return ("failed", f"key {method} is controlled by {resolved.controller or 'nobody'},"
                    f" not the issuer {issuer}", "ISSUER_BINDING_ERROR")
        if resolved.for_assertion is False:
            return ("failed", f"{issuer}'s DID document does not list {method} under "
                    "assertionMethod", "ISSUER_BINDING_ERROR")
        return "passed", f"key {method} belongs to {issuer}", None
    if issuer.startswith("https://"):
        if method == "jwk" or (resolved.controller is None and resolved.document is not None):
            return _bind_jwk(issuer, resolved, run, kid, unconfirmed)
        self_contained = method.startswith("did:key:")
        if resolved.controller != issuer and not self_contained:
            return ("failed", f"key {method} is controlled by {resolved.controller or 'nobody'},"
                    f" not the issuer {issuer}", "ISSUER_BINDING_ERROR")
        if resolved.document == issuer:
            if resolved.for_assertion is False:
                return ("failed", f"the issuer's profile does not list {method} under "
                        "assertionMethod", "ISSUER_BINDING_ERROR")
            return "passed", f"key {method} is published in the issuer's profile", None
        try:
            run.check_deadline("the issuer's profile could be fetched")
            listed = run.keys.profile_lists(issuer, resolved)
        except FetchError as exc:
            return (unconfirmed, f"could not confirm key {method} with the issuer's profile: "
                    f"{exc.message}", "ISSUER_KEY_UNCONFIRMED")
        if not listed:
            return ("failed", f"the issuer's profile at {issuer} does not list key {method} "
                    "for assertions", "ISSUER_BINDING_ERROR")
        return "passed", f"the issuer's profile lists key {method}", None
    # urn:uuid:... and other ids that cannot be dereferenced: nothing ties a key to them.
    outcome: Outcome = "warning" if settings.unsafe_unbound_issuer else "failed"
    return (outcome, f"the issuer id {issuer} cannot be resolved, so nothing ties key "
            f"{method} to it (anyone could have signed it); UnsafeUnboundIssuer() accepts it",
            "ISSUER_BINDING_ERROR")


def _bind_header_key_to_did(issuer: str, resolved: ResolvedKey, run: Run,
                            unconfirmed: Outcome) -> Verdict:
    try:
        run.check_deadline("the issuer's DID document could be fetched")
        listed = run.keys.did_lists_for_assertion(issuer, resolved.key)
    except KeyResolutionError as exc:
        if exc.code == "DID_WEB_UNRESOLVED":
            return (unconfirmed, f"could not confirm the JWT's header key with {issuer}: "
                    f"{exc.message}", "ISSUER_KEY_UNCONFIRMED")
        return "failed", exc.message, "ISSUER_BINDING_ERROR"
    if listed is None:
        return ("failed", f"the JWT's header key is not one {issuer} lists under "
                "assertionMethod", "ISSUER_BINDING_ERROR")
    return "passed", f"the JWT's header key is {listed}, an assertion key of {issuer}", None


def _bind_jwk(issuer: str, resolved: ResolvedKey, run: Run, kid: str | None,
              unconfirmed: Outcome) -> Verdict:
    reasons = []
    for where in ("JWK set", "profile"):
        try:
            run.check_deadline(f"the issuer's {where} could be fetched")
            if where == "JWK set":
                listed = run.keys.jwks_lists(issuer, resolved.key, kid)
            else:
                listed = run.keys.profile_lists(issuer, resolved)
        except FetchError as exc:
            reasons.append(exc.message)
            continue
        if listed:
            return "passed", f"the issuer's {where} lists the JWT's key", None
        return ("failed", f"the issuer's {where} does not list the JWT's key",
                "ISSUER_BINDING_ERROR")
    return (unconfirmed, "could not confirm the JWT's key with the issuer: "
            + "; ".join(reasons), "ISSUER_KEY_UNCONFIRMED")


_RANK = {"failed": 0, "warning": 1, "passed": 2, "skipped": 3}


def worst(verdicts: list[Verdict]) -> Verdict:
    return min(verdicts, key=lambda v: _RANK[v[0]])


class IssuerBindingCheck(VerifierCheck):
    id = "issuer_binding"
    phase = "after_signature"
    problems = frozenset({"ISSUER_BINDING_ERROR", "ISSUER_KEY_UNCONFIRMED"})

    def run(self, state: State) -> Check:
        issuer = issuer_id(state.document)
        read = state.read
        kid = read.jwt_parts.header.get("kid") if read and read.jwt_parts else None
        signers = state.signers
        results = [bind_key(issuer, s, state.run, kid if isinstance(kid, str) else None)
                   for s in signers]
        if not results:
            return self.failed("no verified key to bind to the issuer", "ISSUER_BINDING_ERROR")
        outcome, message, problem = worst(results)
        return Check(self.id, outcome, message, problem, {"keys": [
            {"verificationMethod": s.method, "controller": s.controller, "outcome": r[0]}
            for s, r in zip(signers, results, strict=True)]})
