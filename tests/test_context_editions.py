"""The OB 3.0.3 context as amended in place by 1EdTech (issue #639, PR #642, June 2026).

The bundled ``context-3.0.3.json`` is the amended edition (adds ``endorsementJwt`` and ``jti``).
Badges that use those terms verify; badges signed against the first edition canonicalize the
same, so they verify too; registering the first edition by hand is accepted, any other document
for that URL is refused.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import mcbadge
from mcbadge import jsonld as mj
from mcbadge.errors import ContextConflictError, DataLossError
from mcbadge.jsonld._canon import canonical_nquads
from mcbadge.jsonld._pins import KNOWN_EDITIONS, PINNED_CONTEXTS
from mcbadge.keys import Ed25519Key
from mcbadge.proofs.jwt import sign_jwt
from tests.issuers import NOW, Issuer, offline

FIRST_EDITION = Path(__file__).parent / "fixtures" / "contexts" / (
    "ob-v3p0-context-3.0.3.first-edition.json"
)
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ISSUER = Issuer()
ENDORSER = Ed25519Key.generate()


def endorsement_jwt(target: str) -> str:
    """A real VC-JWT EndorsementCredential from a did:key endorser, endorsing ``target``."""
    endorser = ENDORSER.verification_method.split("#")[0]
    return sign_jwt({
        "@context": [mj.CREDENTIALS_V2, OB],
        "id": "urn:uuid:6b0a5f14-2d1c-4c3e-8a6b-1f4c2e9d7a01",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": endorser, "type": ["Profile"], "name": "State Teaching Council"},
        "validFrom": "2026-02-01T00:00:00Z",
        "name": "Council endorsement",
        "credentialSubject": {"id": target, "type": ["EndorsementSubject"],
                              "endorsementComment": "Meets the council's standard."},
    }, ENDORSER)


def _verify(doc: Any) -> mcbadge.VerificationResult:
    return mcbadge.verify(doc, now=NOW, fetcher=offline(ISSUER.documents()))


def test_the_bundled_edition_is_the_amended_one_and_both_are_known() -> None:
    filename, sha = PINNED_CONTEXTS[OB]
    data = resources.files("mcbadge.jsonld").joinpath("contexts", filename).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha
    terms = json.loads(data)["@context"]
    assert "endorsementJwt" in terms and "jti" in terms
    first = FIRST_EDITION.read_bytes()
    assert "endorsementJwt" not in json.loads(first)["@context"]
    assert set(KNOWN_EDITIONS[OB]) == {sha, hashlib.sha256(first).hexdigest()}
    assert "bundled" in KNOWN_EDITIONS[OB][sha]


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_badge_using_endorsement_jwt_verifies(suite: str) -> None:
    doc = ISSUER.credential()
    achievement = doc["credentialSubject"]["achievement"]
    achievement["endorsementJwt"] = [endorsement_jwt(achievement["id"])]
    signed = ISSUER.sign(doc, suite)
    result = _verify(signed)
    assert result.verified, result.problems
    assert result.check("endorsements").outcome == "passed"  # type: ignore[union-attr]
    # the term is signed: swapping in another (valid) endorsement breaks the proof
    tampered = copy.deepcopy(signed)
    other = endorsement_jwt(achievement["id"].replace("community", "other"))
    tampered["credentialSubject"]["achievement"]["endorsementJwt"] = [other]
    assert "INVALID_SIGNATURE" in _verify(tampered).problems


def test_the_term_expands_to_the_vocabulary_iri_not_to_data_loss() -> None:
    doc = ISSUER.credential(endorsementJwt=[endorsement_jwt(ISSUER.id)])
    nquads = canonical_nquads(doc, mj.default_document_loader())
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#endorsementJwt>" in nquads


def test_badges_without_the_new_terms_canonicalize_the_same_under_either_edition() -> None:
    # The first edition, served under a URL of its own, against the bundled (amended) one.
    other = "https://editions.test.example/ob-3.0.3-first.json"
    loader = mj.DocumentLoader(extra_contexts={other: FIRST_EDITION})
    doc = ISSUER.credential(
        evidence=[{"id": "https://lms.example/evidence/1", "type": ["Evidence"],
                   "name": "Lesson plan"}],
    )
    under_first = copy.deepcopy(doc)
    under_first["@context"] = [c if c != OB else other for c in doc["@context"]]
    assert canonical_nquads(under_first, loader) == canonical_nquads(doc, loader)


def test_registering_the_first_edition_is_accepted_and_anything_else_refused() -> None:
    loader = mj.DocumentLoader(extra_contexts={OB: FIRST_EDITION})
    assert loader.extra_context_urls == frozenset()  # the bundled superset stays in use
    assert "endorsementJwt" in loader.load(OB)["@context"]
    tampered = json.loads(FIRST_EDITION.read_bytes())
    tampered["@context"]["name"] = "https://evil.example/name"
    with pytest.raises(ContextConflictError, match="bundled"):
        mj.DocumentLoader(extra_contexts={OB: tampered})
    # The same JSON re-serialized is not a known edition by digest, but equal to none either.
    with pytest.raises(ContextConflictError):
        mj.DocumentLoader(extra_contexts={OB: json.dumps(tampered)})


def test_the_first_edition_alone_loses_the_term_which_is_the_defect_bundling_fixes() -> None:
    other = "https://editions.test.example/ob-3.0.3-first.json"
    loader = mj.DocumentLoader(extra_contexts={other: FIRST_EDITION})
    doc = ISSUER.credential(endorsementJwt=[endorsement_jwt(ISSUER.id)])
    doc["@context"] = [c if c != OB else other for c in doc["@context"]]
    with pytest.raises(DataLossError, match="endorsementJwt"):
        canonical_nquads(doc, loader)
