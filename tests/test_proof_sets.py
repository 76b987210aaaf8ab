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
