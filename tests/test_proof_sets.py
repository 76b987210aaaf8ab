"""Proof sets (several independent proofs) from the W3C vectors."""

from __future__ import annotations

import copy

import pytest

from mcbadge.jsonld import DocumentLoader
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign, verify_proof
from tests.conftest import DATA, load_json

V = DATA / "vectors"
LOADER = DocumentLoader(
    extra_contexts={
        "https://www.w3.org/ns/credentials/examples/v2": V / "contexts/credentials-examples-v2.jsonld"
    }
)


@pytest.mark.parametrize("name", ["signedProofSet1.json", "signedProofSet2.json"])
def test_every_proof_of_a_w3c_proof_set_verifies(name: str) -> None:
    doc = load_json(V / "proof-set-chain" / name)
    proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
    assert proofs
    for proof in proofs:
        assert verify_proof(doc, proof, loader=LOADER).verified, proof["id"]


def test_one_bad_proof_in_a_set_does_not_hide_behind_a_good_one() -> None:
    doc = copy.deepcopy(load_json(V / "proof-set-chain/signedProofSet2.json"))
    doc["proof"][1]["proofValue"] = doc["proof"][0]["proofValue"]
    assert verify_proof(doc, doc["proof"][0], loader=LOADER).verified
    assert not verify_proof(doc, doc["proof"][1], loader=LOADER).verified


def test_adding_a_proof_keeps_the_first_valid() -> None:
    keys = load_json(V / "proof-set-chain/multiKeyPairs.json")
    first = Ed25519Key.from_multikey(keys["keyPair1"])
    second = Ed25519Key.from_multikey(keys["keyPair2"])
    unsigned = load_json(V / "proof-set-chain/unsigned.json")
    one = sign(unsigned, first, loader=LOADER)
    two = sign(one, second, loader=LOADER)
    assert len(two["proof"]) == 2
    assert all(verify_proof(two, p, loader=LOADER).verified for p in two["proof"])


@pytest.mark.parametrize("name", ["signedProofChain1.json", "signedProofChain2.json"])
def test_every_proof_of_a_w3c_proof_chain_verifies(name: str) -> None:
    doc = load_json(V / "proof-set-chain" / name)
    assert any("previousProof" in p for p in doc["proof"])
    for proof in doc["proof"]:
        assert verify_proof(doc, proof, loader=LOADER).verified, proof.get("id")


def test_a_chained_proof_signs_over_the_proofs_it_names() -> None:
    doc = copy.deepcopy(load_json(V / "proof-set-chain/signedProofChain2.json"))
    chained = [p for p in doc["proof"] if "previousProof" in p]
    # a change to a previous proof breaks the proof chained to it
    doc["proof"][0]["created"] = "2024-01-01T00:00:00Z"
    assert not verify_proof(doc, chained[0], loader=LOADER).verified
    # the last proof names only the third, so it still holds
    assert verify_proof(doc, chained[1], loader=LOADER).verified


@pytest.mark.parametrize("previous", [
    "urn:uuid:not-in-the-document",
    ["urn:uuid:26329423-bec9-4b2e-88cb-a7c7d9dc4544", "urn:uuid:missing"],
    [], 5,
])
def test_a_previous_proof_that_is_not_there_fails_with_a_reason(previous: object) -> None:
    doc = copy.deepcopy(load_json(V / "proof-set-chain/signedProofChain1.json"))
    last = doc["proof"][-1]
    last["previousProof"] = previous
    result = verify_proof(doc, last, loader=LOADER)
    assert not result.verified and "previousProof" in result.message


def test_a_chain_pointing_at_itself_or_a_removed_proof_fails() -> None:
    doc = copy.deepcopy(load_json(V / "proof-set-chain/signedProofChain1.json"))
    last = doc["proof"][-1]
    removed = {**doc, "proof": [last]}  # the proofs it chains to were stripped
    assert not verify_proof(removed, last, loader=LOADER).verified
    last["id"] = "urn:uuid:self"
    last["previousProof"] = "urn:uuid:self"
    assert not verify_proof(doc, last, loader=LOADER).verified
