"""The shape of a verification answer: checks, outcomes, problem codes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mcbadge.models import AnyCredential, OpenBadgeCredential

Outcome = Literal["passed", "failed", "warning", "skipped"]

PROBLEMS: Mapping[str, str] = {
    "PARSING_ERROR": "the input is not a readable credential (JSON, JWT, PNG, SVG)",
    "INVALID_CONTEXT": "@context is not what a VC / OB 3.0 credential must declare",
    "UNKNOWN_CONTEXT": "a context is not bundled with mcbadge nor registered by the caller",
    "DATA_LOSS_DETECTION_ERROR": "JSON-LD would drop or change part of the document in RDF "
                                 "(an undefined term, a relative IRI, an IRI with white space)",
    "JSON_LD_FORM_ERROR": "the JSON is not the plain compacted form of its graph (keywords, "
                          "aliases, full-IRI keys, inline redefinitions, a node described twice)",
    "SCHEMA_VALIDATION_FAILED": "the document breaks the 1EdTech JSON Schema or data model",
    "INVALID_SIGNATURE": "no valid proof, or a proof that does not verify",
    "DID_WEB_UNRESOLVED": "a did:web DID document could not be fetched or is not the DID's",
    "VERIFICATION_METHOD_NOT_FOUND": "the key a proof names is not where it says",
    "INVALID_VERIFICATION_METHOD": "the key id is not a did:key, did:web or https URL",
    "ISSUER_BINDING_ERROR": "the signing key does not belong to the issuer",
    "ISSUER_KEY_UNCONFIRMED": "the issuer's documents could not be fetched to confirm the key",
    "RECIPIENT_MISMATCH": "the badge does not belong to the recipient the verifier named",
    "MALFORMED_VALUE_ERROR": "a date cannot be read",
    "CREDENTIAL_NOT_YET_VALID": "validFrom is in the future",
    "CREDENTIAL_EXPIRED": "validUntil has passed",
    "CREDENTIAL_REVOKED": "the issuer revoked the credential",
    "CREDENTIAL_SUSPENDED": "the issuer suspended the credential",
    "STATUS_LIST_NOT_FOUND": "a status list could not be fetched (the status is unknown)",
    "STATUS_LIST_SIGNATURE_ERROR": "a status list's own proof does not verify",
    "STATUS_LIST_ISSUER_MISMATCH": "a status list is not issued by the credential's issuer",
    "STATUS_LIST_ID_MISMATCH": "a status list is not served at the URL its id names",
    "STATUS_LIST_LENGTH_ERROR": "a status list is shorter than 16 KiB (131,072 bits)",
    "STATUS_LIST_PURPOSE_ERROR": "a status list does not serve the entry's purpose",
    "STATUS_LIST_DECODING_ERROR": "a status list's encodedList cannot be decoded",
    "STATUS_LIST_EXPIRED": "a status list's validUntil has passed",
    "RANGE_ERROR": "a status index is outside its list",
    "UNSUPPORTED_STATUS_METHOD": "a credentialStatus type mcbadge cannot check",
    "ENDORSEMENT_INVALID": "an embedded endorsement does not verify",
    "CLR_CREDENTIAL_INVALID": "a credential a CLR bundles does not verify on its own",
    "RESULT_INVALID": "a result names a rubric criterion or level the achievement does not "
                      "have, or a level below the required one",
    "ISSUER_NOT_REGISTERED": "the issuer is not in the trust registry",
    "POLICY_VIOLATION": "the credential breaks a verification policy",
    "VERIFICATION_ERROR": "a check could not run on this input (details in the message)",
    "INTERNAL_ERROR": "a bug in mcbadge met this input (please report it); not verified",
}
"""Every problem code a :class:`Check` may carry, with what it means."""


@dataclass(frozen=True, slots=True)
class Check:
    """One step of verification."""

    id: str
    outcome: Outcome
    message: str
    problem: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    nested: tuple[VerificationResult, ...] = ()
    """Results for embedded credentials (the ``endorsements`` check)."""

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "outcome": self.outcome, "message": self.message,
            "problem": self.problem,
        }
        if self.details:
            out["details"] = dict(self.details)
        if self.nested:
            out["nested"] = [r.to_json() for r in self.nested]
        return out


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The answer of :func:`mcbadge.verify`: ``verified`` is true only if no check failed."""

    checks: tuple[Check, ...]
    credential: AnyCredential | None = None
    """The typed model, when the document fits the OB 3.0 data model."""
    document: dict[str, Any] | None = None
    """The credential as read (JSON object), whatever its validity."""
    format: str | None = None

    @property
    def verified(self) -> bool:
        return bool(self.checks) and all(c.outcome != "failed" for c in self.checks)

    def __bool__(self) -> bool:
        return self.verified

    def check(self, check_id: str) -> Check | None:
        """The check with this id, if it ran or was skipped."""
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def problems(self) -> list[str]:
        """Problem codes of the failed checks, in order."""
        return [c.problem or "VERIFICATION_ERROR" for c in self.checks if c.outcome == "failed"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.outcome == "warning"]

    def is_recipient(self, value: str, identity_type: str | None = None) -> bool:
        """Whether the badge belongs to ``value`` (an email address, a DID, another
        identifier), hashed identifiers included. False when unverified or not a badge."""
        if not self.verified or not isinstance(self.credential, OpenBadgeCredential):
            return False
        return self.credential.is_recipient(value, identity_type)

    def to_json(self) -> dict[str, Any]:
        """A stable JSON shape: ``verified``, ``format``, ``credential`` (``id``, ``issuer``,
        ``name``, or null), ``problems`` and ``checks`` (each ``id``, ``outcome``,
        ``message``, ``problem``, optional ``details`` and ``nested``)."""
        summary: dict[str, Any] | None = None
        if self.document is not None:
            issuer = self.document.get("issuer")
            summary = {
                "id": _text(self.document.get("id")),
                "issuer": _text(issuer.get("id") if isinstance(issuer, Mapping) else issuer),
                "name": _text(self.document.get("name")),
            }
        return {
            "verified": self.verified,
            "format": self.format,
            "credential": summary,
            "problems": self.problems,
            "checks": [c.to_json() for c in self.checks],
        }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
