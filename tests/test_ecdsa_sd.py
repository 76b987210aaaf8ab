"""ecdsa-sd-2023 against the W3C vc-di-ecdsa vectors (prc/ and employ/): every deterministic
intermediate value byte for byte (canonical and HMAC-relabelled N-Quads, the mandatory /
non-mandatory split, hashes, the base proof's parts, the derived proof value), the vectors'
signatures verify, and any change to a revealed or mandatory statement fails."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcbadge._private.multibase import multibase_decode
from mcbadge.jsonld import DocumentLoader, canonical_nquads
from mcbadge.keys import Ed25519Key, JwtKey, parse_key
from mcbadge.proofs import ProofError, ProofOptions, derive, sign, verify_proof
from mcbadge.proofs._sd import (
    canonical_quads_of,
    canonicalize_and_group,
    hmac_label_factory,
    label_replacement_canonicalize,
    select_json_ld,
)
from mcbadge.proofs.ecdsa_sd_2023 import EcdsaSd2023, parse_base, parse_derived
from tests.conftest import DATA, load_json

V = DATA / "vectors"
E = V / "ecdsa"
SD = E / "ecdsa-sd-2023"
LOADER = DocumentLoader(extra_contexts={
    "https://www.w3.org/ns/credentials/examples/v2": V / "contexts/credentials-examples-v2.jsonld",
    "https://w3id.org/citizenship/v4rc1": V / "contexts/citizenship-v4rc1.jsonld",
})
MATERIAL = load_json(SD / "SDKeyMaterial.json")
BASE_KEY = parse_key(json.dumps(MATERIAL["baseKeyPair"]).encode())
PROOF_KEY = parse_key(json.dumps(MATERIAL["proofKeyPair"]).encode())
HMAC_KEY = bytes.fromhex(MATERIAL["hmacKeyString"])
SUITE = EcdsaSd2023()
CASES = [("prc", "prCred"), ("employ", "employ")]


def _map(value: dict[str, Any]) -> dict[int, str]:
    return {int(k): v for k, v in value["value"]}


def _unsigned(folder: str) -> dict[str, Any]:
    base = load_json(SD / folder / "addSignedSDBase.json")
    return {k: v for k, v in base.items() if k != "proof"}


@pytest.mark.parametrize(("folder", "prefix"), CASES)
def test_the_base_proof_steps_reproduce(folder: str, prefix: str) -> None:
    f = SD / folder
    doc = _unsigned(folder)
    mandatory = load_json(E / f"{prefix}Mandatory.json")
    plain, _ = label_replacement_canonicalize(canonical_quads_of(doc, LOADER),
                                              dict)
    assert plain == load_json(f / "addBaseDocCanon.json")
    grouped = canonicalize_and_group(doc, hmac_label_factory(HMAC_KEY),
                                     {"mandatory": mandatory}, LOADER)
    assert grouped.nquads == load_json(f / "addBaseDocHMACCanon.json")
    transform = load_json(f / "addBaseTransform.json")
    assert grouped.groups["mandatory"].matching == _map(transform["mandatory"])
    assert grouped.groups["mandatory"].non_matching == _map(transform["nonMandatory"])
    config = load_json(f / "addProofConfig.json")
    assert canonical_nquads(config, LOADER) == (f / "addProofConfigCanon.txt").read_text()
    hashes = load_json(f / "addHashData.json")
    assert hashlib.sha256(canonical_nquads(config, LOADER).encode()).hexdigest() == \
        hashes["proofHash"]
    mandatory_text = "".join(grouped.groups["mandatory"].matching.values())
    assert hashlib.sha256(mandatory_text.encode()).hexdigest() == hashes["mandatoryHash"]
    # the published base proof: its parts, and its (randomised) signatures verify
    base = load_json(f / "addSignedSDBase.json")
    signature, public, key, signatures, pointers = parse_base(base["proof"]["proofValue"])
    assert key == HMAC_KEY and pointers == mandatory
    assert public == multibase_decode(MATERIAL["proofKeyPair"]["publicKeyMultibase"])
    raw = load_json(f / "addRawBaseSignatureInfo.json")
    assert signature.hex() == raw["baseSignature"]
    assert [s.hex() for s in signatures] == raw["signatures"]
    assert isinstance(PROOF_KEY, JwtKey) and isinstance(BASE_KEY, JwtKey)
    for nq, sig in zip(grouped.groups["mandatory"].non_matching.values(), signatures,
                       strict=True):
        assert PROOF_KEY.verify_ecdsa(sig, nq.encode())
    to_verify = bytes.fromhex(hashes["proofHash"]) + public + bytes.fromhex(
        hashes["mandatoryHash"])
    assert BASE_KEY.verify_ecdsa(signature, to_verify)
    # ours, with the vector's HMAC and per-proof keys: the same parts, new signatures
    ours = SUITE.base_proof(doc, BASE_KEY, ProofOptions(
        created=config["created"], mandatory_pointers=tuple(mandatory), loader=LOADER),
        hmac_key=HMAC_KEY, proof_key=PROOF_KEY)
    assert {k: v for k, v in ours.items() if k != "proofValue"} == \
        {k: v for k, v in base["proof"].items() if k != "proofValue"}
    mine = parse_base(ours["proofValue"])
    assert mine[1:3] == (public, HMAC_KEY) and mine[4] == mandatory
    assert BASE_KEY.verify_ecdsa(mine[0], to_verify)


@pytest.mark.parametrize(("folder", "prefix"), CASES)
def test_the_derived_proof_reproduces_byte_for_byte_and_verifies(folder: str,
                                                                 prefix: str) -> None:
    f = SD / folder
    base = load_json(f / "addSignedSDBase.json")
    selective = load_json(E / f"{prefix}Selective.json")
    derived = derive(base, selective, loader=LOADER)
    expected = load_json(f / "derivedRevealDocument.json")
    assert derived == expected  # the proofValue too: derivation is deterministic
    assert {k: v for k, v in derived.items() if k != "proof"} == \
        load_json(f / "derivedUnsignedReveal.json")
    _, _, signatures, _, indexes = parse_derived(derived["proof"]["proofValue"])
    assert indexes == load_json(f / "derivedAdjMandatoryIndexes.json")["adjMandatoryIndexes"]
    disclosure = load_json(f / "derivedDisclosureData.json")
    assert [s.hex() for s in signatures] == disclosure["signatures"]
    assert verify_proof(expected, expected["proof"], loader=LOADER).verified


@pytest.mark.parametrize(("folder", "prefix"), CASES)
def test_a_changed_statement_fails(folder: str, prefix: str) -> None:
    derived = load_json(SD / folder / "derivedRevealDocument.json")
    # a revealed (selective) value, a mandatory value, a proof option, an added statement
    changes = [
        lambda d: d.__setitem__("validFrom", "2020-01-01T00:00:00Z"),
        lambda d: d["issuer"].__setitem__("image", "data:image/png;base64,AAAA"),
        lambda d: d["proof"].__setitem__("created", "2024-01-01T00:00:00Z"),
        lambda d: d["credentialSubject"].__setitem__("gender", "Male"),
        lambda d: d.__setitem__("name", "Someone else's card"),
    ]
    for change in changes:
        tampered = copy.deepcopy(derived)
        change(tampered)
        assert not verify_proof(tampered, tampered["proof"], loader=LOADER).verified


def test_a_base_proof_is_not_verified_and_says_why() -> None:
    base = load_json(SD / "prc" / "addSignedSDBase.json")
    result = verify_proof(base, base["proof"], loader=LOADER)
    assert not result.verified and "base proof" in result.message and "derive" in result.message


def _badge() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:4a6f1c9e-2f52-4d8e-8f0a-0c2d5c1b9e01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Classroom Community",
        "issuer": {"id": "", "type": ["Profile"], "name": "District PD"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"], "id": "did:example:educator",
            "achievement": {"id": "https://pd.example/achievements/community",
                            "type": ["Achievement"], "name": "Classroom Community",
                            "description": "Builds a classroom where every student belongs.",
                            "criteria": {"narrative": "Submit evidence."}},
            "result": [{"type": ["Result"], "value": "Exemplary"}],
        },
        "evidence": [{"type": ["Evidence"], "name": "Lesson plan",
                      "narrative": "A unit on ecosystems, with student reflections."}],
    }


def test_a_badge_signs_derives_hiding_results_and_evidence_and_verifies() -> None:
    key = JwtKey.generate("p256")
    badge = _badge()
    badge["issuer"]["id"] = key.did
    base = sign(badge, key, suite="ecdsa-sd-2023", mandatory_pointers=["/issuer", "/validFrom"])
    derived = derive(base, ["/name", "/credentialSubject/id",
                            "/credentialSubject/achievement"])
    assert "evidence" not in derived and "result" not in derived["credentialSubject"]
    assert derived["credentialSubject"]["achievement"]["name"] == "Classroom Community"
    assert derived["issuer"]["id"] == key.did and derived["validFrom"] == badge["validFrom"]
    assert verify_proof(derived, derived["proof"]).verified
    # the holder cannot hide a mandatory statement
    hidden = copy.deepcopy(derived)
    del hidden["validFrom"]
    assert not verify_proof(hidden, hidden["proof"]).verified
    # nor put back, or invent, a hidden one
    for extra in ({"evidence": badge["evidence"]},):
        forged = {**copy.deepcopy(derived), **extra}
        assert not verify_proof(forged, forged["proof"]).verified


def test_wrong_keys_and_pointers_are_refused() -> None:
    badge = _badge()
    with pytest.raises(ProofError, match="P-256"):
        sign(badge, JwtKey.generate("p384"), suite="ecdsa-sd-2023")
    with pytest.raises(ProofError, match="P-256"):
        sign(badge, Ed25519Key.generate(), suite="ecdsa-sd-2023")
    with pytest.raises(ProofError, match="ecdsa-sd-2023"):
        sign(badge, Ed25519Key.generate(), mandatory_pointers=["/issuer"])
    key = JwtKey.generate("p256")
    badge["issuer"]["id"] = key.did
    from mcbadge.errors import MCBadgeError

    with pytest.raises(MCBadgeError, match="does not match"):
        sign(badge, key, suite="ecdsa-sd-2023", mandatory_pointers=["/nothing/here"])
    base = sign(badge, key, suite="ecdsa-sd-2023")
    with pytest.raises(MCBadgeError, match="does not match"):
        derive(base, ["/credentialSubject/nope"])
    with pytest.raises(ProofError, match="nothing selected"):
        derive(base, [])


def test_selection_keeps_ids_and_types_on_the_way_and_makes_arrays_dense() -> None:
    doc = {"@context": ["x"], "id": "urn:a", "type": "T",
           "list": [{"type": "A", "v": 1}, {"id": "_:b", "type": "B", "v": 2}, {"v": 3}]}
    assert select_json_ld(["/list/1/v", "/list/2"], doc) == {
        "@context": ["x"], "id": "urn:a", "type": "T",
        "list": [{"type": "B", "v": 2}, {"v": 3}]}
    assert select_json_ld([""], doc) == doc
    assert select_json_ld([], doc) is None


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b"\xd9\x5d\x00", b"\xd9\x5d\x01", b""]))
def test_a_malformed_proof_value_fails_never_crashes(payload: bytes, header: bytes) -> None:
    import base64

    derived = load_json(SD / "prc" / "derivedRevealDocument.json")
    value = "u" + base64.urlsafe_b64encode(header + payload).rstrip(b"=").decode()
    derived["proof"]["proofValue"] = value
    result = verify_proof(derived, derived["proof"], loader=LOADER)
    assert not result.verified and result.problem


def test_a_json_ld_list_is_disclosed_whole_and_verifies() -> None:
    key = JwtKey.generate("p256")
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2",
                        {"ex": "https://vocab.example/#",
                         "items": {"@id": "ex:items", "@container": "@list"},
                         "other": "ex:other"}],
           "type": ["VerifiableCredential"], "issuer": key.did,
           "credentialSubject": {"id": "did:example:x", "items": ["a", "b", "c"],
                                 "other": "hidden"}}
    base = sign(doc, key, suite="ecdsa-sd-2023", mandatory_pointers=["/issuer"])
    derived = derive(base, ["/credentialSubject/items"])
    assert derived["credentialSubject"]["items"] == ["a", "b", "c"]
    assert "other" not in derived["credentialSubject"]
    assert verify_proof(derived, derived["proof"]).verified
    reordered = copy.deepcopy(derived)
    reordered["credentialSubject"]["items"] = ["c", "b", "a"]
    assert not verify_proof(reordered, reordered["proof"]).verified
    # one item of a list is a shorter list, which nothing signed
    partial = derive(base, ["/credentialSubject/items/0"])
    assert not verify_proof(partial, partial["proof"]).verified


def test_the_bench_badge_with_a_rubric_list_signs_derives_and_verifies() -> None:
    key = JwtKey.generate("p256")
    badge = load_json(DATA.parent.parent / "benchmarks" / "data" / "ob3-credential-3k.json")
    badge["issuer"]["id"] = key.did
    base = sign(badge, key, suite="ecdsa-sd-2023", mandatory_pointers=["/issuer"])
    derived = derive(base, ["/credentialSubject/achievement"])
    assert verify_proof(derived, derived["proof"]).verified
