"""mcbadge.verify on badges we issue: every check, tampering, status, keys, policies."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import mcbadge
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign, sign_jwt
from mcbadge.resolve import Fetcher
from mcbadge.status import Bitstring
from mcbadge.verification import CHECK_IDS, PROBLEMS, VerificationResult
from mcbadge.verification.policy import (
    AllOf,
    AllowedSuites,
    AnyOf,
    ClockSkew,
    MaxAge,
    PolicyError,
    RequireStatus,
    StrictStatusListLength,
    TrustedIssuers,
    UnsafeStatusUnreachable,
    UnsafeUnconfirmedKeys,
)
from tests.issuers import NOW, Issuer, did_web_issuer, jwks_for, offline


class CountingFetcher(Fetcher):
    def __init__(self, **kw: Any) -> None:
        super().__init__(offline=True, **kw)
        self.asked: list[str] = []

    def get_json(self, url: str, **kw: Any) -> Any:
        self.asked.append(url)
        return super().get_json(url, **kw)


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


def run(doc: Any, issuer: Issuer, **kw: Any) -> VerificationResult:
    kw.setdefault("now", NOW)
    kw.setdefault("fetcher", offline(issuer.documents()))
    return mcbadge.verify(doc, **kw)


def failed(result: VerificationResult) -> list[tuple[str, str | None]]:
    return [(c.id, c.problem) for c in result.checks if c.outcome == "failed"]


def test_a_good_badge_passes_every_check_in_order(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(5)))
    result = run(signed, issuer)
    assert result.verified, failed(result)
    assert [c.id for c in result.checks] == [c for c in CHECK_IDS if c not in (
        "recipient", "policy", "clr_credentials")]
    assert all(c.outcome == "passed" for c in result.checks)
    assert result.credential is not None and result.credential.issuer_id == issuer.id
    assert "not revoked" in result.check("revocation_status").message  # type: ignore[union-attr]
    assert result.is_recipient("did:example:educator-411")
    assert not result.is_recipient("did:example:someone-else")


def test_to_json_is_stable_and_serialisable(issuer: Issuer) -> None:
    result = run(issuer.sign(issuer.credential()), issuer)
    out = json.loads(json.dumps(result.to_json()))
    assert list(out) == ["verified", "format", "credential", "problems", "checks"]
    assert out["credential"] == {"id": "urn:uuid:3c0f3a55-2b4b-4b8e-9c0e-7b7b5c2d1f01",
                                 "issuer": issuer.id, "name": "Classroom Community"}
    assert all(set(c) >= {"id", "outcome", "message", "problem"} for c in out["checks"])
    assert all(c["problem"] is None or c["problem"] in PROBLEMS for c in out["checks"])


# ------------------------------------------------------------------------------ tampering


def _set(path: str, value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = doc
        for part in parents:
            node = node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return change


_DELETE = object()
TAMPERING = {
    "changed name": (_set("name", "Master Teacher"), "valid_signature", "INVALID_SIGNATURE"),
    "changed achievement": (_set("credentialSubject/achievement/name", "Principal"),
                            "valid_signature", "INVALID_SIGNATURE"),
    "changed recipient": (_set("credentialSubject/id", "did:example:mallory"),
                          "valid_signature", "INVALID_SIGNATURE"),
    "swapped issuer": (_set("issuer/id", "https://university.example/issuers/1"),
                       "valid_signature", "INVALID_SIGNATURE"),
    "relabelled cryptosuite": (_set("proof/cryptosuite", "eddsa-jcs-2022"),
                               "valid_signature", "INVALID_SIGNATURE"),
    "unknown cryptosuite": (_set("proof/cryptosuite", "eddsa-rdfc-2099"),
                            "valid_signature", "INVALID_SIGNATURE"),
    "corrupted proofValue": (_set("proof/proofValue", "z" + "1" * 86),
                             "valid_signature", "INVALID_SIGNATURE"),
    "proofValue not multibase": (_set("proof/proofValue", "not-a-signature"),
                                 "valid_signature", "INVALID_SIGNATURE"),
    "added property": (_set("description", "Also a great principal."),
                       "valid_signature", "INVALID_SIGNATURE"),
    "removed property": (_set("name", _DELETE), "valid_signature", "INVALID_SIGNATURE"),
    "undefined term": (_set("favouriteColour", "green"), "valid_signature",
                       "DATA_LOSS_DETECTION_ERROR"),
    "removed validUntil": (_set("validUntil", _DELETE), "valid_signature", "INVALID_SIGNATURE"),
    "removed credentialStatus": (_set("credentialStatus", _DELETE), "valid_signature",
                                 "INVALID_SIGNATURE"),
    "moved validFrom": (_set("validFrom", "2020-01-01T00:00:00Z"), "valid_signature",
                        "INVALID_SIGNATURE"),
    "proof purpose": (_set("proof/proofPurpose", "authentication"), "valid_signature",
                      "INVALID_SIGNATURE"),
    "no proof": (_set("proof", _DELETE), "valid_signature", "INVALID_SIGNATURE"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_fails_with_the_right_check_and_problem(issuer: Issuer, case: str) -> None:
    change, check_id, problem = TAMPERING[case]
    doc = issuer.credential(validUntil="2030-01-01T00:00:00Z",
                            credentialStatus=issuer.status_entry(3))
    signed = issuer.sign(doc)
    assert run(signed, issuer).verified
    tampered = copy.deepcopy(signed)
    change(tampered)
    result = run(tampered, issuer)
    assert not result.verified
    check = result.check(check_id)
    assert check is not None and check.outcome == "failed", failed(result)
    assert check.problem == problem


def test_undefined_term_is_data_loss_before_anything_is_signed(issuer: Issuer) -> None:
    doc = issuer.credential(favouriteColour="green")
    with pytest.raises(mcbadge.MCBadgeError):
        issuer.sign(doc)  # the signer refuses too
    signed = sign(issuer.credential(favouriteColour="green"), issuer.key,
                  suite="eddsa-jcs-2022", verification_method=issuer.method)
    result = run(signed, issuer)  # JCS signs the bytes; the signed view still refuses it
    assert failed(result) == [("signed_view", "DATA_LOSS_DETECTION_ERROR")]
    assert "favouriteColour" in result.check("signed_view").message  # type: ignore[union-attr]


def test_a_failed_signature_skips_dates_and_status_and_fetches_nothing(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential(validUntil="2001-01-01T00:00:00Z",
                                           credentialStatus=issuer.status_entry(3)))
    signed["name"] = "forged"
    fetcher = CountingFetcher(documents=issuer.documents())
    result = run(signed, issuer, fetcher=fetcher)
    skipped = [c.id for c in result.checks if c.outcome == "skipped"]
    assert skipped == ["signed_view", "schema", "issuer_binding", "valid_from", "expiration",
                       "revocation_status", "suspension_status", "endorsements", "results"]
    assert all(c.message == "not run: signature invalid" for c in result.checks[3:])
    assert issuer.list_url not in fetcher.asked
    assert result.problems == ["INVALID_SIGNATURE"]


# ---------------------------------------------------------------------------------- keys


def test_key_of_another_issuer_fails_binding(issuer: Issuer) -> None:
    other = Issuer("https://diploma-mill.example/issuers/1", seed=8)
    signed = other.sign(issuer.credential())  # signed by the other issuer's key and method
    result = run(signed, issuer, fetcher=offline(issuer.documents(), other.documents()))
    assert result.check("valid_signature").outcome == "passed"  # type: ignore[union-attr]
    assert failed(result) == [("issuer_binding", "ISSUER_BINDING_ERROR")]


def test_a_key_forged_into_the_issuers_url_fragment_fails(issuer: Issuer) -> None:
    mallory = Ed25519Key.generate()
    forged_vm = f"{issuer.id}#{mallory.public_key_multibase}"
    signed = sign(issuer.credential(), mallory, verification_method=forged_vm)
    result = run(signed, issuer)
    assert result.check("valid_signature").outcome == "passed"  # type: ignore[union-attr]
    binding = result.check("issuer_binding")
    assert binding is not None and binding.problem == "ISSUER_BINDING_ERROR"
    assert "does not list" in binding.message


def test_a_method_naming_the_issuers_key_but_signed_by_another_fails(issuer: Issuer) -> None:
    mallory = Ed25519Key.generate()
    signed = sign(issuer.credential(), mallory, verification_method=issuer.method)
    assert failed(run(signed, issuer)) == [("valid_signature", "INVALID_SIGNATURE")]


def test_unconfirmable_key_fails_by_default_and_warns_when_asked(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential())
    result = run(signed, issuer, fetcher=offline({}))  # the key's document is unreachable
    assert failed(result) == [("valid_signature", "VERIFICATION_METHOD_NOT_FOUND")]
    # a key in the method's fragment verifies, but the issuer's profile cannot confirm it
    frag = Ed25519Key.from_seed(bytes([3]) * 32)
    signed = sign(issuer.credential(), frag,
                  verification_method=f"{issuer.id}#{frag.public_key_multibase}")
    assert failed(run(signed, issuer, fetcher=offline({}))) == [
        ("issuer_binding", "ISSUER_KEY_UNCONFIRMED")]
    lenient = run(signed, issuer, fetcher=offline({}), policy=UnsafeUnconfirmedKeys())
    assert lenient.verified
    assert lenient.check("issuer_binding").outcome == "warning"  # type: ignore[union-attr]


def test_did_key_issuer_binds_and_a_different_did_key_does_not() -> None:
    key = Ed25519Key.from_seed(b"\x05" * 32)
    issuer = Issuer()
    doc = issuer.credential()
    doc["issuer"] = {"id": key.did, "type": ["Profile"], "name": "Self"}
    good = sign(doc, key)
    assert mcbadge.verify(good, now=NOW, fetcher=offline({})).verified
    other = Ed25519Key.from_seed(b"\x06" * 32)
    bad = sign(doc, other)
    assert failed(mcbadge.verify(bad, now=NOW, fetcher=offline({}))) == [
        ("issuer_binding", "ISSUER_BINDING_ERROR")]


def test_did_web_issuer() -> None:
    did, key, docs = did_web_issuer()
    doc = Issuer().credential()
    doc["issuer"] = {"id": did, "type": ["Profile"], "name": "District"}
    signed = sign(doc, key, verification_method=f"{did}#key-1")
    assert mcbadge.verify(signed, now=NOW, fetcher=offline(docs)).verified
    unresolved = mcbadge.verify(signed, now=NOW, fetcher=offline({}))
    assert failed(unresolved) == [("valid_signature", "DID_WEB_UNRESOLVED")]
    (url, did_doc), = docs.items()
    not_for_assertion = {**did_doc, "assertionMethod": []}
    result = mcbadge.verify(signed, now=NOW, fetcher=offline({url: not_for_assertion}))
    assert failed(result) == [("issuer_binding", "ISSUER_BINDING_ERROR")]
    assert "assertionMethod" in result.check("issuer_binding").message  # type: ignore[union-attr]
    wrong_id = {**did_doc, "id": "did:web:elsewhere.example"}
    result = mcbadge.verify(signed, now=NOW, fetcher=offline({url: wrong_id}))
    assert failed(result) == [("valid_signature", "DID_WEB_UNRESOLVED")]


def test_jwt_with_kid_and_with_jwk_checked_against_the_jwks(issuer: Issuer) -> None:
    doc = issuer.credential()
    token = sign_jwt(doc, issuer.key, kid=issuer.method)
    result = run(token, issuer)
    assert result.verified, failed(result)
    assert result.format == "jwt"
    embedded = sign_jwt(doc, issuer.key, embed_jwk=True, kid=None)
    assert run(embedded, issuer).verified  # the issuer's profile lists the key
    assert failed(run(embedded, issuer, fetcher=offline({}))) == [
        ("issuer_binding", "ISSUER_KEY_UNCONFIRMED")]
    jwks = jwks_for(issuer.id, issuer.jwk())
    assert run(embedded, issuer, fetcher=offline(jwks)).verified
    stranger = Ed25519Key.generate()
    forged = sign_jwt(doc, stranger, embed_jwk=True, kid=None)
    result = run(forged, issuer, fetcher=offline(issuer.documents(), jwks))
    assert failed(result) == [("issuer_binding", "ISSUER_BINDING_ERROR")]
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert failed(run(tampered, issuer))[0] == ("valid_signature", "INVALID_SIGNATURE")


# --------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("now_shift", "field", "value", "problem"),
    [
        (timedelta(0), "validFrom", "2026-11-23T12:04:00Z", None),  # inside the skew
        (timedelta(0), "validFrom", "2026-11-23T12:06:00Z", "CREDENTIAL_NOT_YET_VALID"),
        (timedelta(0), "validUntil", "2026-11-23T11:56:00Z", None),
        (timedelta(0), "validUntil", "2026-11-23T11:54:00Z", "CREDENTIAL_EXPIRED"),
        (timedelta(days=3650), "validUntil", "2030-01-01T00:00:00Z", "CREDENTIAL_EXPIRED"),
    ],
)
def test_validity_window_with_clock_skew(issuer: Issuer, now_shift: timedelta, field: str,
                                         value: str, problem: str | None) -> None:
    signed = issuer.sign(issuer.credential(**{field: value}))
    result = run(signed, issuer, now=NOW + now_shift)
    check = result.check("valid_from" if field == "validFrom" else "expiration")
    assert check is not None
    assert check.problem == problem
    assert result.verified is (problem is None)


def test_vc11_dates_are_read(issuer: Issuer) -> None:
    from tests.conftest import VALIDATOR

    result = mcbadge.verify(VALIDATOR / "ob30/simple_v1.json", now=NOW,
                            fetcher=offline({}), policy=UnsafeUnconfirmedKeys())
    assert result.check("valid_from").message == "valid from 2010-01-01T00:00:00Z"  # type: ignore[union-attr]


def test_clock_skew_policy(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential(validFrom="2026-11-23T12:04:00Z"))
    assert not run(signed, issuer, policy=ClockSkew(60)).verified


# -------------------------------------------------------------------------------- status


def _status_case(issuer: Issuer, purpose: str = "revocation", index: int = 42,
                 policy: Any = None, **list_changes: Any) -> VerificationResult:
    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(index, purpose)))
    docs = issuer.documents()
    listing = issuer.status_list(purpose)
    for key, value in list_changes.items():
        listing = value(listing) if callable(value) else {**listing, key: value}
    docs[issuer.list_url] = listing
    return run(signed, issuer, fetcher=offline(docs), policy=policy)


def test_revoked_and_suspended(issuer: Issuer) -> None:
    issuer.bits.set(42, 1)
    revoked = _status_case(issuer)
    assert failed(revoked) == [("revocation_status", "CREDENTIAL_REVOKED")]
    suspended = _status_case(issuer, "suspension")
    assert failed(suspended) == [("suspension_status", "CREDENTIAL_SUSPENDED")]
    assert suspended.check("revocation_status").outcome == "passed"  # type: ignore[union-attr]
    assert _status_case(issuer, index=41).verified


def test_status_list_must_be_the_issuers_and_signed(issuer: Issuer) -> None:
    other = Issuer("https://lists.example/issuers/x", seed=11)

    def resigned_by_other(listing: dict[str, Any]) -> dict[str, Any]:
        unsigned = {k: v for k, v in listing.items() if k != "proof"}
        return other.sign({**unsigned, "issuer": other.id})

    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(1)))
    docs = {**issuer.documents(), **{other.id: other.documents()[other.id]}}
    docs[issuer.list_url] = resigned_by_other(issuer.status_list())
    result = run(signed, issuer, fetcher=offline(docs))
    assert failed(result) == [("revocation_status", "STATUS_LIST_ISSUER_MISMATCH")]

    def broken(listing: dict[str, Any]) -> dict[str, Any]:
        return {**listing, "validUntil": "2099-01-01T00:00:00Z"}

    assert failed(_status_case(issuer, tamper=broken)) == [
        ("revocation_status", "STATUS_LIST_SIGNATURE_ERROR")]

    def unsigned(listing: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in listing.items() if k != "proof"}

    assert failed(_status_case(issuer, tamper=unsigned)) == [
        ("revocation_status", "STATUS_LIST_SIGNATURE_ERROR")]


def test_a_short_list_is_read_and_warns_and_a_strict_policy_fails_it(issuer: Issuer) -> None:
    issuer.bits = Bitstring(bytearray(12_500))  # 100,000 entries, as the DCC publishes
    result = _status_case(issuer)
    assert result.verified and failed(result) == []
    check = result.check("revocation_status")
    assert check is not None and check.outcome == "warning"
    assert check.problem == "STATUS_LIST_LENGTH_ERROR" and "100,000 bits" in check.message
    strict = _status_case(issuer, policy=StrictStatusListLength())
    assert failed(strict) == [("revocation_status", "STATUS_LIST_LENGTH_ERROR")]
    # the bit is read whatever the length: a revoked badge on a short list is revoked
    issuer.bits.set(42, 1)
    for result in (_status_case(issuer), _status_case(issuer, policy=StrictStatusListLength())):
        assert failed(result) == [("revocation_status", "CREDENTIAL_REVOKED")]


def test_the_16_kib_minimum_counts_bits_not_entries(issuer: Issuer) -> None:
    # 16 KiB of 2-bit statuses: 65,536 entries, exactly the minimum
    issuer.bits = Bitstring(bytearray(16_384), status_size=2)
    signed = issuer.sign(issuer.credential(credentialStatus={
        **issuer.status_entry(42), "statusSize": 2,
        "statusMessage": [{"status": "0x0", "message": "valid"},
                          {"status": "0x1", "message": "revoked"},
                          {"status": "0x2", "message": "x"}, {"status": "0x3", "message": "y"}],
    }))
    docs = {**issuer.documents(), issuer.list_url: issuer.status_list()}
    result = run(signed, issuer, fetcher=offline(docs), policy=StrictStatusListLength())
    assert result.check("revocation_status").outcome == "passed", result.problems  # type: ignore[union-attr]
    issuer.bits = Bitstring(bytearray(16_383), status_size=2)  # one byte short
    docs = {**issuer.documents(), issuer.list_url: issuer.status_list()}
    short = run(signed, issuer, fetcher=offline(docs), policy=StrictStatusListLength())
    assert failed(short) == [("revocation_status", "STATUS_LIST_LENGTH_ERROR")]


def test_out_of_range_index(issuer: Issuer) -> None:
    issuer.bits = Bitstring.new()
    assert failed(_status_case(issuer, index=10**7)) == [("revocation_status", "RANGE_ERROR")]


def test_purpose_mismatch(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(1, "suspension")))
    result = run(signed, issuer)  # the list served is a revocation list
    assert failed(result) == [("suspension_status", "STATUS_LIST_PURPOSE_ERROR")]


def test_unreachable_list_fails_or_warns(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(1)))
    docs = issuer.documents()
    del docs[issuer.list_url]
    result = run(signed, issuer, fetcher=offline(docs))
    assert failed(result) == [("revocation_status", "STATUS_LIST_NOT_FOUND")]
    warned = run(signed, issuer, fetcher=offline(docs), policy=UnsafeStatusUnreachable())
    assert warned.verified
    assert warned.check("revocation_status").outcome == "warning"  # type: ignore[union-attr]


def test_1edtech_revocation_list(issuer: Issuer) -> None:
    url = f"{issuer.id}/revocations"
    doc = issuer.credential(credentialStatus={"id": url, "type": "1EdTechRevocationList"})
    doc["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    signed = issuer.sign(doc)
    clean = {"id": url, "issuer": issuer.id, "revokedCredentials": []}
    assert run(signed, issuer, fetcher=offline(issuer.documents(), {url: clean})).verified
    for key in ("revokedCredentials", "revokedCredential"):
        listed = {"id": url, key: [{"id": doc["id"], "revocationReason": "issued in error"}]}
        result = run(signed, issuer, fetcher=offline(issuer.documents(), {url: listed}))
        assert failed(result) == [("revocation_status", "CREDENTIAL_REVOKED")]
        assert "issued in error" in result.check("revocation_status").message  # type: ignore[union-attr]
    foreign = {"id": url, "issuer": "https://other.example", "revokedCredentials": []}
    result = run(signed, issuer, fetcher=offline(issuer.documents(), {url: foreign}))
    assert failed(result) == [("revocation_status", "STATUS_LIST_ISSUER_MISMATCH")]


def test_unsupported_status_method_is_never_not_revoked(issuer: Issuer) -> None:
    doc = issuer.credential(credentialStatus={"id": "https://x.example/s", "type": "CredentialStatusList2017"})
    doc["@context"] = [*doc["@context"], {"CredentialStatusList2017": "https://example.org/csl"}]
    result = run(issuer.sign(doc), issuer)
    assert failed(result) == [("revocation_status", "UNSUPPORTED_STATUS_METHOD")]


# ---------------------------------------------------------------------------- endorsements


def _endorsement(by: Issuer, subject: str) -> dict[str, Any]:
    return by.sign({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:8a1d1c9e-7f57-4d2b-9a34-5b6f0f1d2e3c",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "State endorsement", "issuer": {"id": by.id, "type": ["Profile"], "name": "State"},
        "validFrom": "2026-02-01T00:00:00Z",
        "credentialSubject": {"id": subject, "type": ["EndorsementSubject"],
                              "endorsementComment": "Rigorous assessment."},
    })


def test_endorsements_are_verified_and_nested(issuer: Issuer) -> None:
    state = Issuer("https://education.state.example/issuers/1", seed=12)
    endorsement = _endorsement(state, issuer.id)
    doc = issuer.credential()
    doc["issuer"]["endorsement"] = [endorsement]  # it endorses the issuer's profile
    signed = issuer.sign(doc)
    result = run(signed, issuer, fetcher=offline(issuer.documents(), state.documents()))
    check = result.check("endorsements")
    assert result.verified and check is not None and check.outcome == "passed"
    assert len(check.nested) == 1 and check.nested[0].verified
    assert check.to_json()["nested"][0]["verified"] is True
    # the same endorsement attached to the achievement does not endorse it
    moved = issuer.credential()
    moved["credentialSubject"]["achievement"]["endorsement"] = [endorsement]
    result = run(issuer.sign(moved), issuer,
                 fetcher=offline(issuer.documents(), state.documents()))
    assert failed(result) == [("endorsements", "ENDORSEMENT_INVALID")]
    assert result.check("endorsements").nested[0].problems == ["ENDORSEMENT_INVALID"]  # type: ignore[union-attr]
    bad = copy.deepcopy(endorsement)
    bad["credentialSubject"]["endorsementComment"] = "Lax."
    doc["issuer"]["endorsement"] = [bad]
    result = run(issuer.sign(doc), issuer, fetcher=offline(issuer.documents(), state.documents()))
    assert failed(result) == [("endorsements", "ENDORSEMENT_INVALID")]
    assert result.check("endorsements").nested[0].problems == ["INVALID_SIGNATURE"]  # type: ignore[union-attr]


# ------------------------------------------------------------------------------- policies


def test_trusted_issuers_from_ids_and_registry_files(issuer: Issuer, tmp_path: Path) -> None:
    signed = issuer.sign(issuer.credential())
    assert run(signed, issuer, policy=TrustedIssuers([issuer.id])).check(
        "policy").outcome == "passed"  # type: ignore[union-attr]
    result = run(signed, issuer, policy=TrustedIssuers(["https://other.example"]))
    assert failed(result) == [("policy", "ISSUER_NOT_REGISTERED")]
    as_json = tmp_path / "registry.json"
    as_json.write_text(json.dumps({"issuers": [{"id": issuer.id, "name": "District"}]}))
    assert run(signed, issuer, policy=TrustedIssuers(registry=as_json)).verified
    as_text = tmp_path / "registry.txt"
    as_text.write_text(f"# trusted\n{issuer.id}\n")
    assert run(signed, issuer, policy=TrustedIssuers(registry=as_text)).verified
    both = TrustedIssuers(registry=as_text) & TrustedIssuers(["https://other.example"])
    assert not run(signed, issuer, policy=both).verified
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(PolicyError):
        TrustedIssuers(registry=tmp_path / "bad.json")
    with pytest.raises(PolicyError):
        TrustedIssuers(registry=tmp_path / "missing.json")


def test_all_of_nothing_fails(issuer: Issuer) -> None:
    result = run(issuer.sign(issuer.credential()), issuer, policy=AllOf())
    assert failed(result) == [("policy", "POLICY_VIOLATION")]
    assert run(issuer.sign(issuer.credential()), issuer, policy=AllOf(ClockSkew(300))).verified


def test_allowed_suites_require_status_and_max_age(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential())
    result = run(signed, issuer, policy=AllowedSuites("eddsa-jcs-2022"))
    assert failed(result) == [("valid_signature", "INVALID_SIGNATURE")]
    assert run(issuer.sign(issuer.credential(), suite="eddsa-jcs-2022"), issuer,
               policy=AllowedSuites("eddsa-jcs-2022")).verified
    assert failed(run(signed, issuer, policy=RequireStatus())) == [
        ("policy", "POLICY_VIOLATION")]
    assert failed(run(signed, issuer, policy=MaxAge(days=30))) == [
        ("policy", "POLICY_VIOLATION")]
    assert run(signed, issuer, policy=MaxAge(days=365)).verified
    with pytest.raises(PolicyError):
        RequireStatus("refresh")


def test_policies_combine_with_all_of_and_any_of(issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential())
    tight = MaxAge(days=10) & MaxAge(days=5)
    assert failed(run(signed, issuer, policy=tight)) == [("policy", "POLICY_VIOLATION")]
    either = TrustedIssuers(["https://other.example"]) | MaxAge(days=365)
    assert run(signed, issuer, policy=either).verified
    neither = TrustedIssuers(["https://other.example"]) | MaxAge(days=1)
    assert failed(run(signed, issuer, policy=neither)) == [("policy", "ISSUER_NOT_REGISTERED")]
    assert failed(run(signed, issuer, policy=AnyOf())) == [("policy", "POLICY_VIOLATION")]
    with pytest.raises(PolicyError):
        AnyOf(UnsafeStatusUnreachable(), MaxAge(days=1))  # a setting cannot be an alternative
    assert (ClockSkew(60) & ClockSkew(10)).settings().clock_skew == timedelta(seconds=10)
    assert ClockSkew(600).settings().clock_skew == timedelta(seconds=600)


# -------------------------------------------------------------------------------- sources


def test_every_source_kind(issuer: Issuer, tmp_path: Path) -> None:
    signed = issuer.sign(issuer.credential())
    text = json.dumps(signed)
    path = tmp_path / "badge.json"
    path.write_text(text)
    for source in (signed, text, text.encode(), path):
        result = run(source, issuer)
        assert result.verified, (type(source), failed(result))
    missing = run(tmp_path / "nope.json", issuer)
    assert failed(missing) == [("parse", "PARSING_ERROR")]
    assert [c.outcome for c in missing.checks[1:]] == ["skipped"] * 11
    # a string is content, never a file name or a URL
    named = run(str(path), issuer)
    assert failed(named) == [("parse", "PARSING_ERROR")]
    assert "pathlib.Path" in named.checks[0].message
    url = "https://badges.district.example/badges/1"
    assert "verify_url" in run(url, issuer).checks[0].message
    fetched = mcbadge.verify_url(url, now=NOW, fetcher=offline(issuer.documents(), {url: signed}))
    assert fetched.verified
    assert failed(mcbadge.verify_url("https://nowhere.example/badge", now=NOW,
                                     fetcher=offline({}))) == [("parse", "PARSING_ERROR")]


def test_jwt_kid_dereferencing_to_a_jwk_or_a_jwk_set(issuer: Issuer) -> None:
    from mcbadge.keys import JwtKey

    rsa = JwtKey.generate("rsa")
    doc = issuer.credential()
    kid = f"{issuer.id}/keys/rsa-1"
    token = sign_jwt(doc, rsa, kid=kid)
    public = rsa.to_jwk()
    jwks = jwks_for(issuer.id, {**public, "kid": kid})
    result = run(token, issuer, fetcher=offline(issuer.documents(), {kid: public}, jwks))
    assert result.verified, failed(result)
    unlisted = run(token, issuer, fetcher=offline(issuer.documents(), {kid: public},
                                                  jwks_for(issuer.id)))
    assert failed(unlisted) == [("issuer_binding", "ISSUER_BINDING_ERROR")]
    set_url = f"https://{issuer.id.split('/')[2]}/.well-known/jwks.json"
    token = sign_jwt(doc, rsa, kid=f"{set_url}#rsa-1")
    jwks = {set_url: {"keys": [{**public, "kid": "rsa-1"}]}}
    assert run(token, issuer, fetcher=offline(issuer.documents(), jwks)).verified


def test_status_list_2021(issuer: Issuer) -> None:
    issuer.bits.set(12, 1)
    entry = {"id": f"{issuer.list_url}#12", "type": "StatusList2021Entry",
             "statusPurpose": "revocation", "statusListIndex": "12",
             "statusListCredential": issuer.list_url}
    doc = issuer.credential(credentialStatus=entry)
    doc["@context"].append("https://w3id.org/vc/status-list/2021/v1")
    signed = issuer.sign(doc)
    listing = issuer.sign({
        "@context": ["https://www.w3.org/2018/credentials/v1",
                     "https://w3id.org/vc/status-list/2021/v1",
                     "https://w3id.org/security/data-integrity/v2"],
        "id": issuer.list_url, "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": issuer.id, "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": f"{issuer.list_url}#list", "type": "StatusList2021",
                              "statusPurpose": "revocation",
                              "encodedList": issuer.bits.encode()[1:]},  # bare base64url
    })
    docs = {**issuer.documents(), issuer.list_url: listing}
    assert failed(run(signed, issuer, fetcher=offline(docs))) == [
        ("revocation_status", "CREDENTIAL_REVOKED")]
    issuer.bits.set(12, 0)
    docs[issuer.list_url] = issuer.sign({**{k: v for k, v in listing.items() if k != "proof"},
                                         "credentialSubject": {**listing["credentialSubject"],
                                         "encodedList": issuer.bits.encode()[1:]}})
    assert run(signed, issuer, fetcher=offline(docs)).verified


def test_several_status_entries_are_checked_one_by_one_and_warned_about() -> None:
    issuer = Issuer()
    entries = [issuer.status_entry(3), issuer.status_entry(4, "suspension")]
    signed = issuer.sign(issuer.credential(credentialStatus=entries))
    check = mcbadge.verify(signed, now=NOW, fetcher=offline(issuer.documents())).check("schema")
    assert check.outcome == "warning" and "room for one" in check.message
    broken = [issuer.status_entry(3), {"type": "BitstringStatusListEntry"}]
    bad = issuer.sign(issuer.credential(credentialStatus=broken))
    assert mcbadge.verify(bad, now=NOW, fetcher=offline(issuer.documents())).check(
        "schema").outcome == "failed"


# --------------------------------------------------------------- defects found by attack


def test_status_lists_must_cover_now_be_served_at_their_id_and_name_a_known_purpose(
        issuer: Issuer) -> None:
    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(2)))
    future = issuer.status_list()
    del future["proof"]
    future["validFrom"] = "2027-01-01T00:00:00Z"
    docs = {**issuer.documents(), issuer.list_url: issuer.sign(future)}
    assert failed(run(signed, issuer, fetcher=offline(docs))) == [
        ("revocation_status", "STATUS_LIST_EXPIRED")]
    moved = issuer.status_list()
    del moved["proof"]
    moved["id"] = "https://elsewhere.example/status/1"
    docs = {**issuer.documents(), issuer.list_url: issuer.sign(moved)}
    assert failed(run(signed, issuer, fetcher=offline(docs))) == [
        ("revocation_status", "STATUS_LIST_ID_MISMATCH")]
    entry = issuer.status_entry(2)
    entry["statusPurpose"] = "Revocation"  # matches nothing: never silently "not revoked"
    result = run(issuer.sign(issuer.credential(credentialStatus=entry)), issuer)
    assert failed(result) == [("revocation_status", "STATUS_LIST_PURPOSE_ERROR")]


def test_a_key_listed_only_for_authentication_cannot_sign_badges() -> None:
    did = "did:web:badges.district.example:pd"
    key = Ed25519Key.from_seed(bytes([21]) * 32)
    method = f"{did}#key-1"
    document = {"@context": ["https://www.w3.org/ns/did/v1"], "id": did,
                "verificationMethod": [{"id": method, "type": "Multikey", "controller": did,
                                        "publicKeyMultibase": key.public_key_multibase}],
                "authentication": [method]}
    url = "https://badges.district.example/pd/did.json"
    doc = Issuer().credential()
    doc["issuer"] = {"id": did, "type": ["Profile"], "name": "PD"}
    signed = sign(doc, key, verification_method=method)
    result = mcbadge.verify(signed, now=NOW, fetcher=offline({url: document}))
    assert failed(result) == [("issuer_binding", "ISSUER_BINDING_ERROR")]
    document["assertionMethod"] = [method]
    assert mcbadge.verify(signed, now=NOW, fetcher=offline({url: document})).verified
    # an https profile that lists the key only under authentication
    https = Issuer()
    profile = https.documents()[https.id]
    profile["authentication"] = profile.pop("assertionMethod")
    docs = {**https.documents(), https.id: profile}
    result = run(https.sign(https.credential()), https, fetcher=offline(docs))
    assert failed(result) == [("issuer_binding", "ISSUER_BINDING_ERROR")]


def test_an_unbound_issuer_id_fails_unless_unsafe() -> None:
    from mcbadge.verification.policy import UnsafeUnboundIssuer

    key = Ed25519Key.from_seed(bytes([22]) * 32)
    doc = Issuer().credential()
    doc["issuer"] = {"id": "urn:uuid:5b2d0e9c-0000-4000-8000-000000000001",
                     "type": ["Profile"], "name": "Anyone"}
    signed = sign(doc, key)  # a did:key that nothing ties to the urn:uuid issuer
    result = mcbadge.verify(signed, now=NOW, fetcher=offline({}))
    assert failed(result) == [("issuer_binding", "ISSUER_BINDING_ERROR")]
    lenient = mcbadge.verify(signed, now=NOW, fetcher=offline({}), policy=UnsafeUnboundIssuer())
    assert lenient.verified and lenient.check("issuer_binding").outcome == "warning"  # type: ignore[union-attr]


def test_the_recipient_check_makes_a_mismatch_unverified(issuer: Issuer) -> None:
    from mcbadge.models import IdentityObject

    doc = issuer.credential()
    doc["credentialSubject"]["identifier"] = [
        IdentityObject.hashed_email("maria@district.example", salt="s4lt").to_dict()]
    signed = issuer.sign(doc)
    assert run(signed, issuer, recipient="Maria@District.Example").verified  # case-insensitive
    assert run(signed, issuer, recipient="did:example:educator-411").verified
    result = run(signed, issuer, recipient="ken@district.example")
    assert failed(result) == [("recipient", "RECIPIENT_MISMATCH")]
    assert result.is_recipient("MARIA@district.example") is False  # not verified: no claims
    assert run(signed, issuer).is_recipient("MARIA@district.example ")


def test_a_status_entry_type_written_as_a_list_is_read(issuer: Issuer) -> None:
    entry = issuer.status_entry(4)
    entry["type"] = [entry["type"]]  # the same graph: JSON-LD reads one type either way
    result = run(issuer.sign(issuer.credential(credentialStatus=entry)), issuer)
    assert result.check("revocation_status").outcome == "passed"  # type: ignore[union-attr]
    # (the OB 3.0 schema wants a string there, so the schema check objects)
    assert failed(result) == [("schema", "SCHEMA_VALIDATION_FAILED")]
    issuer.bits.set(4, 1)
    try:
        result = run(issuer.sign(issuer.credential(credentialStatus=entry)), issuer)
        assert ("revocation_status", "CREDENTIAL_REVOKED") in failed(result)
    finally:
        issuer.bits.set(4, 0)


def test_the_verify_time_budget_stops_fetching() -> None:
    did, key, docs = did_web_issuer()
    doc = Issuer().credential()
    doc["issuer"] = {"id": did, "type": ["Profile"], "name": "PD"}
    signed = sign(doc, key, verification_method=f"{did}#key-1")
    first = mcbadge.verify(signed, now=NOW, fetcher=offline(docs))
    assert first.verified, failed(first)
    result = mcbadge.verify(signed, now=NOW, fetcher=offline(docs), timeout=-1)
    assert not result.verified
    assert all(p in PROBLEMS for p in result.problems)
    assert "time budget" in result.check("valid_signature").message  # type: ignore[union-attr]
