"""Status lists secured as VC-JWTs (openbadgeslib publishes only these): read, the JWT
checked, and bound to the credential's issuer."""

from __future__ import annotations

from typing import Any

import mcbadge
from mcbadge.keys import Ed25519Key
from mcbadge.proofs.jwt import sign_jwt
from mcbadge.verification import VerificationResult
from mcbadge.verification.policy import AllowedSuites
from tests.issuers import NOW, Issuer, offline


def _unsigned_list(issuer: Issuer, issuer_id: str | None = None) -> dict[str, Any]:
    listing = issuer.status_list()
    listing.pop("proof")
    if issuer_id is not None:
        listing["issuer"] = issuer_id
    return listing


def _run(issuer: Issuer, token: str, policy: Any = None,
         extra: dict[str, Any] | None = None) -> VerificationResult:
    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(42)))
    docs = {**issuer.documents(), **(extra or {}), issuer.list_url: token}
    return mcbadge.verify(signed, now=NOW, fetcher=offline(docs), policy=policy)


def _status(result: VerificationResult) -> tuple[str, str | None]:
    check = result.check("revocation_status")
    assert check is not None
    return check.outcome, check.problem


def test_a_jwt_status_list_is_read_and_its_bit_counts() -> None:
    issuer = Issuer()
    token = sign_jwt(_unsigned_list(issuer), issuer.key, kid=issuer.method)
    result = _run(issuer, token)
    assert result.verified, result.problems
    assert _status(result) == ("passed", None)
    issuer.bits.set(42, 1)
    revoked = sign_jwt(_unsigned_list(issuer), issuer.key, kid=issuer.method)
    assert _status(_run(issuer, revoked)) == ("failed", "CREDENTIAL_REVOKED")


def test_a_jwt_list_signed_by_someone_else_is_refused() -> None:
    issuer = Issuer()
    stranger = Ed25519Key.generate()
    # claims the issuer, signed with a did:key nobody tied to the issuer
    forged = sign_jwt(_unsigned_list(issuer), stranger)
    assert _status(_run(issuer, forged)) == ("failed", "STATUS_LIST_SIGNATURE_ERROR")
    # a header key the issuer does not list
    header_key = sign_jwt(_unsigned_list(issuer), stranger, embed_jwk=True)
    assert _status(_run(issuer, header_key)) == ("failed", "STATUS_LIST_SIGNATURE_ERROR")


def test_a_jwt_list_of_another_issuer_or_tampered_is_refused() -> None:
    issuer = Issuer()
    other = Issuer("https://lists.example/issuers/x", seed=11)
    theirs = sign_jwt(_unsigned_list(issuer, other.id), other.key, kid=other.method)
    assert _status(_run(issuer, theirs, extra={other.id: other.documents()[other.id]})) == (
        "failed", "STATUS_LIST_ISSUER_MISMATCH")
    token = sign_jwt(_unsigned_list(issuer), issuer.key, kid=issuer.method)
    head, body, sig = token.split(".")
    tampered = ".".join([head, body, ("A" if sig[0] != "A" else "B") + sig[1:]])
    assert _status(_run(issuer, tampered)) == ("failed", "STATUS_LIST_SIGNATURE_ERROR")


def test_a_policy_without_jwt_refuses_a_jwt_list() -> None:
    issuer = Issuer()
    token = sign_jwt(_unsigned_list(issuer), issuer.key, kid=issuer.method)
    result = _run(issuer, token, AllowedSuites("eddsa-rdfc-2022"))
    assert _status(result) == ("failed", "STATUS_LIST_SIGNATURE_ERROR")
