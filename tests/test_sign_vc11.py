"""Signing a VC 1.1 document with a Data Integrity suite adds the Data Integrity v2 context
(as jsonld-signatures does) when the document's contexts do not define the proof's terms; a
document that already defines them is never changed."""

from __future__ import annotations

from typing import Any

import pytest

import mcbadge
from mcbadge.jsonld import CREDENTIALS_V2
from mcbadge.proofs import sign, verify_proof
from tests.issuers import NOW, Issuer, offline

V1 = "https://www.w3.org/2018/credentials/v1"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DI_V2 = "https://w3id.org/security/data-integrity/v2"
ISSUER = Issuer()


def vc11_badge() -> dict[str, Any]:
    doc = ISSUER.credential()
    doc["@context"] = [V1, OB]
    doc["issuanceDate"] = doc.pop("validFrom")
    return doc


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_vc11_badge_signs_with_the_data_integrity_context_added_and_verifies(
    suite: str,
) -> None:
    signed = ISSUER.sign(vc11_badge(), suite)
    assert signed["@context"] == [V1, OB, DI_V2]
    proof = signed["proof"]
    assert proof["cryptosuite"] == suite
    result = mcbadge.verify(signed, now=NOW, fetcher=offline(ISSUER.documents()))
    assert result.check("valid_signature").outcome == "passed", result.problems  # type: ignore[union-attr]
    assert result.verified, result.problems


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_document_that_defines_the_terms_is_not_changed(suite: str) -> None:
    doc = ISSUER.credential()
    assert doc["@context"][0] == CREDENTIALS_V2
    signed = ISSUER.sign(doc, suite)
    assert signed["@context"] == doc["@context"]
    already = vc11_badge()
    already["@context"] = [V1, OB, DI_V2]
    assert ISSUER.sign(already, suite)["@context"] == [V1, OB, DI_V2]


def test_the_input_document_is_not_mutated() -> None:
    doc = vc11_badge()
    before = list(doc["@context"])
    sign(doc, ISSUER.key, suite="eddsa-rdfc-2022")
    assert doc["@context"] == before


def test_removing_the_added_context_breaks_the_proof() -> None:
    signed = ISSUER.sign(vc11_badge(), "eddsa-rdfc-2022")
    stripped = {**signed, "@context": [V1, OB]}
    assert not verify_proof(stripped, stripped["proof"], lambda _m: ISSUER.key).verified
