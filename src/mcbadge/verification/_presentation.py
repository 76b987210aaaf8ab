"""Verifiable presentations (VC Data Model 2.0 section 4.13): the presentation's own structure
and proof, then each credential it carries, each through :func:`mcbadge.verify`."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mcbadge.errors import JsonLdFormError, MCBadgeError, UnknownContextError
from mcbadge.jsonld import (
    CREDENTIALS_V1,
    CREDENTIALS_V2,
    DocumentLoader,
    default_document_loader,
)
from mcbadge.jsonld._plain import check_plain_form, is_absolute_iri
from mcbadge.proofs import verify_proof
from mcbadge.resolve import Fetcher, KeyDirectory
from mcbadge.verification._result import Check, VerificationResult
from mcbadge.verification.policy import AllOf, AnyCredentialType, Policy

MAX_CREDENTIALS = 32
"""Most credentials one presentation may carry (each is verified in full)."""


@dataclass(frozen=True, slots=True)
class PresentationResult:
    """The answer of :func:`verify_presentation`: the presentation's checks
    (``presentation`` for its structure, ``presentation_proof`` for its proof) and one
    :class:`VerificationResult` per credential, in order. ``verified`` is true only if no
    check failed and every credential verified."""

    checks: tuple[Check, ...]
    credentials: tuple[VerificationResult, ...] = field(default=())

    @property
    def verified(self) -> bool:
        return (bool(self.checks) and all(c.outcome != "failed" for c in self.checks)
                and all(r.verified for r in self.credentials))

    def __bool__(self) -> bool:
        return self.verified

    @property
    def problems(self) -> list[str]:
        out = [c.problem or "VERIFICATION_ERROR" for c in self.checks if c.outcome == "failed"]
        for result in self.credentials:
            out += result.problems
        return out

    def to_json(self) -> dict[str, Any]:
        return {"verified": self.verified, "problems": self.problems,
                "checks": [c.to_json() for c in self.checks],
                "credentials": [r.to_json() for r in self.credentials]}


def _fail(check: str, message: str, problem: str) -> Check:
    return Check(check, "failed", message, problem)


def _structure(vp: Any, loader: DocumentLoader) -> Check:
    name = "presentation"
    if not isinstance(vp, Mapping):
        return _fail(name, "a presentation must be a JSON object", "PARSING_ERROR")
    context = vp.get("@context")
    if not isinstance(context, list) or not context:
        return _fail(name, "@context must be a non-empty list", "INVALID_CONTEXT")
    if context[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
        return _fail(name, f"the first @context must be {CREDENTIALS_V2} (or "
                     f"{CREDENTIALS_V1})", "INVALID_CONTEXT")
    if any(not isinstance(c, str | dict) for c in context):
        return _fail(name, "@context entries must be URLs or objects", "INVALID_CONTEXT")
    types = vp.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "VerifiablePresentation" not in types:
        return _fail(name, "a presentation's type must include VerifiablePresentation",
                     "SCHEMA_VALIDATION_FAILED")
    vid = vp.get("id")
    if vid is not None and not (isinstance(vid, str) and is_absolute_iri(vid)):
        return _fail(name, "a presentation's id must be a URL", "SCHEMA_VALIDATION_FAILED")
    holder = vp.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    if holder is not None and not (isinstance(holder_id, str) and is_absolute_iri(holder_id)):
        return _fail(name, "holder must be a URL or an object with a URL id",
                     "SCHEMA_VALIDATION_FAILED")
    credentials = vp.get("verifiableCredential", [])
    items = credentials if isinstance(credentials, list) else [credentials]
    if any(not isinstance(c, Mapping) for c in items):
        return _fail(name, "verifiableCredential must hold credential objects (not strings, "
                     "numbers or URLs)", "SCHEMA_VALIDATION_FAILED")
    if len(items) > MAX_CREDENTIALS:
        return _fail(name, f"{len(items)} credentials; at most {MAX_CREDENTIALS} are verified",
                     "SCHEMA_VALIDATION_FAILED")
    bare = {k: v for k, v in vp.items() if k not in ("verifiableCredential", "proof")}
    try:
        check_plain_form(bare, loader)
    except UnknownContextError as exc:
        return _fail(name, f"context {exc.url} is not bundled with mcbadge; contexts are "
                     "never fetched", "UNKNOWN_CONTEXT")
    except JsonLdFormError as exc:
        return _fail(name, exc.message, "JSON_LD_FORM_ERROR")
    return Check(name, "passed", f"a presentation with {len(items)} credential(s)")


def _proof(vp: Mapping[str, Any], keys: KeyDirectory, challenge: str | None,
           domain: str | None, loader: DocumentLoader) -> Check:
    name = "presentation_proof"
    proof = vp.get("proof")
    if proof is None:
        if challenge is not None or domain is not None:
            return _fail(name, "the presentation has no proof, so it answers no challenge",
                         "INVALID_SIGNATURE")
        return Check(name, "warning", "the presentation has no proof: its holder is not "
                     "authenticated (its credentials are verified each on its own)")
    if not isinstance(proof, Mapping):
        return _fail(name, "a presentation's proof must be one JSON object", "INVALID_SIGNATURE")
    if challenge is not None and proof.get("challenge") != challenge:
        return _fail(name, f"the proof's challenge is {proof.get('challenge')!r:.80}, expected "
                     f"{challenge!r:.80}", "INVALID_SIGNATURE")
    if domain is not None and proof.get("domain") != domain:
        return _fail(name, f"the proof's domain is {proof.get('domain')!r:.80}, expected "
                     f"{domain!r:.80}", "INVALID_SIGNATURE")
    result = verify_proof(vp, proof, keys.any_key, loader,
                          expected_purpose="authentication")
    if not result.verified:
        return _fail(name, result.message, result.problem or "INVALID_SIGNATURE")
    holder = vp.get("holder")
    holder_id = holder.get("id") if isinstance(holder, Mapping) else holder
    method = proof.get("verificationMethod")
    if isinstance(holder_id, str) and isinstance(method, str):
        try:
            controller = keys.resolve(method).controller
        except MCBadgeError as exc:
            return _fail(name, exc.message, "VERIFICATION_METHOD_NOT_FOUND")
        if controller != holder_id:
            return _fail(name, f"the proof's key is controlled by {controller}, not by the "
                         f"holder {holder_id}", "ISSUER_BINDING_ERROR")
    return Check(name, "passed", f"the presentation's {proof.get('cryptosuite')} proof "
                 "(authentication) verified")


def verify_presentation(
    presentation: Any,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    now: datetime | None = None,
    policy: Policy | None = None,
    fetcher: Fetcher | None = None,
    loader: DocumentLoader | None = None,
) -> PresentationResult:
    """Verify a verifiable presentation (a JSON object); never raises on bad input.

    Its structure (base context first, known contexts in plain form, type
    ``VerifiablePresentation``, URL ``id`` and ``holder``, credentials as objects); its proof
    (``authentication`` purpose, the ``challenge`` and ``domain`` given, the key controlled by
    the ``holder``; a presentation without a proof only warns, unless a challenge or domain
    is asked for); then each credential with :func:`mcbadge.verify` under ``policy`` and the
    :class:`~mcbadge.verification.policy.AnyCredentialType` policy (a presentation may carry
    any VC). ``loader`` holds the contexts (default: the bundled set).
    """
    from mcbadge.verification import verify

    contexts = loader or default_document_loader()
    structure = _structure(presentation, contexts)
    if structure.outcome == "failed":
        return PresentationResult((structure,))
    own = fetcher is None
    client = fetcher if fetcher is not None else Fetcher()
    try:
        proof = _proof(presentation, KeyDirectory(client), challenge, domain, contexts)
        credentials = presentation.get("verifiableCredential", [])
        items = credentials if isinstance(credentials, list) else [credentials]
        judged = AllOf(AnyCredentialType(), policy) if policy is not None else AnyCredentialType()
        results = tuple(verify(copy.deepcopy(dict(c)), now=now, policy=judged, fetcher=client,
                               loader=contexts) for c in items)
        return PresentationResult((structure, proof), results)
    finally:
        if own:
            client.close()
