"""Ed25519Signature2020 (legacy) byte for byte, and the legacy suites the validator uses."""

from __future__ import annotations

import copy

import pytest

from mcbadge.jsonld import DocumentLoader, canonical_nquads
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign, verify_proof
from tests.conftest import DATA, VALIDATOR, load_json

V = DATA / "vectors"
LOADER = DocumentLoader(
    extra_contexts={
        "https://www.w3.org/ns/credentials/examples/v2": V / "contexts/credentials-examples-v2.jsonld"
    }
)
KEY = Ed25519Key.from_multikey(load_json(V / "common/keyPair.json"))
SIGNED = load_json(V / "Ed25519Signature2020/signedEdSig.json")


def text(name: str) -> str:
    return (V / "Ed25519Signature2020" / name).read_text()


def test_w3c_vector_reproduces_byte_for_byte() -> None:
    unsigned = load_json(V / "common/unsigned.json")
    signed = sign(unsigned, KEY, suite="Ed25519Signature2020", created="2023-02-24T23:36:38Z",
                  loader=LOADER)
    assert signed == SIGNED
    assert signed["proof"]["proofValue"] == text("sigBTC58EdSig.txt").strip()
    doc = {k: v for k, v in SIGNED.items() if k != "proof"}
    assert canonical_nquads(doc, LOADER) == text("canonDocEdSig.txt")
    config = load_json(V / "Ed25519Signature2020/proofConfigEdSig.json")
    assert canonical_nquads(config, LOADER) == text("proofCanonEdSig.txt")


def test_w3c_vector_verifies_and_tampering_fails() -> None:
    assert verify_proof(SIGNED, SIGNED["proof"], loader=LOADER).verified
    forged = copy.deepcopy(SIGNED)
    forged["credentialSubject"]["alumniOf"] = "Another School"
    assert verify_proof(forged, forged["proof"], loader=LOADER).problem == "INVALID_SIGNATURE"


def _fragment_key(vm: str) -> Ed25519Key:
    return Ed25519Key.from_public_multibase(vm.split("#")[-1].split(":")[-1])


@pytest.mark.parametrize(
    "name",
    ["ob30/simple_v1.json", "clr20/simple_v1.json", "clr20/complex.json",
     "ob30/simple-eddsa-2022.json"],
)
def test_legacy_validator_fixtures_verify(name: str) -> None:
    doc = load_json(VALIDATOR / name)
    proof = doc["proof"][0] if isinstance(doc["proof"], list) else doc["proof"]
    assert verify_proof(doc, proof, _fragment_key).verified


def test_unknown_proof_type_is_a_failed_result_not_an_exception() -> None:
    doc = load_json(VALIDATOR / "ob30/simple-multiple-proofs.json")
    result = verify_proof(doc, doc["proof"][0], _fragment_key)
    assert not result.verified
    assert "SomeProofType" in result.message
    assert not verify_proof(doc, "not a proof", _fragment_key).verified  # type: ignore[arg-type]


def test_signing_adds_the_2020_context_and_never_signs_with_eddsa_2022() -> None:
    doc = load_json(DATA / "1edtech-spec/ob-v3p0-test-vector/credential.json")
    key = Ed25519Key.generate()
    signed = sign(doc, key, suite="Ed25519Signature2020")
    assert signed["@context"][-1] == "https://w3id.org/security/suites/ed25519-2020/v1"
    assert "cryptosuite" not in signed["proof"]
    assert verify_proof(signed, signed["proof"]).verified
    from mcbadge.proofs import ProofError

    with pytest.raises(ProofError, match="unknown proof suite"):
        sign(doc, key, suite="eddsa-2022")
