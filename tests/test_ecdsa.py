"""ecdsa-rdfc-2019 and ecdsa-jcs-2019 against the W3C vc-di-ecdsa vectors (P-256 and P-384):
every deterministic intermediate value byte for byte, the vectors' (randomised) signatures
verify, ours verify, and a change to any statement breaks them."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest

from mcbadge._private.jcs import canonicalize
from mcbadge._private.multibase import multibase_decode
from mcbadge.jsonld import DocumentLoader, canonical_nquads
from mcbadge.keys import Ed25519Key, JwtKey, parse_key
from mcbadge.proofs import SUITES, ProofError, sign, verify_proof
from tests.conftest import DATA, load_json

V = DATA / "vectors"
E = V / "ecdsa"
LOADER = DocumentLoader(extra_contexts={
    "https://www.w3.org/ns/credentials/examples/v2": V / "contexts/credentials-examples-v2.jsonld",
    "https://w3id.org/citizenship/v4rc1": V / "contexts/citizenship-v4rc1.jsonld",
})
KEYS = {curve: parse_key((E / f"{curve}KeyPair.json").read_bytes()) for curve in ("p256", "p384")}
HASH = {"p256": "sha256", "p384": "sha384"}


def read(path: Path) -> str:
    return path.read_text("utf-8")


# (suite, curve, vector folder, file tag, unsigned document)
CASES = [
    ("ecdsa-rdfc-2019", "p256", "ecdsa-rdfc-2019-p256", "ECDSAP256", "unsigned.json"),
    ("ecdsa-rdfc-2019", "p384", "ecdsa-rdfc-2019-p384", "ECDSAP384", "unsigned.json"),
    ("ecdsa-rdfc-2019", "p256", "ecdsa-rdfc-2019-p256/employ", "ECDSAP256", "employmentAuth.json"),
    ("ecdsa-rdfc-2019", "p384", "ecdsa-rdfc-2019-p384/employ", "ECDSAP384", "employmentAuth.json"),
    ("ecdsa-jcs-2019", "p256", "ecdsa-jcs-2019-p256", "JCSECDSAP256", "unsigned.json"),
    ("ecdsa-jcs-2019", "p384", "ecdsa-jcs-2019-p384", "JCSECDSAP384", "unsigned.json"),
]


def _canon(suite: str, doc: dict[str, Any], hash_name: str = "sha256") -> str:
    if suite == "ecdsa-rdfc-2019":  # RDFC-1.0 runs with the curve's hash (P-384: SHA-384)
        return canonical_nquads(doc, LOADER, hash_name=hash_name)
    return canonicalize(doc).decode("utf-8")


@pytest.mark.parametrize(("suite", "curve", "folder", "tag", "doc"), CASES)
def test_the_w3c_vectors_reproduce_and_verify(suite: str, curve: str, folder: str, tag: str,
                                              doc: str) -> None:
    folder_path = E / folder
    if not (folder_path / f"proofConfig{tag}.json").exists():
        pytest.skip(f"no {folder} vector")
    unsigned = load_json(E / doc)
    config = load_json(folder_path / f"proofConfig{tag}.json")
    key = KEYS[curve]
    assert isinstance(key, JwtKey)
    h = HASH[curve]
    assert _canon(suite, unsigned, h) == read(folder_path / f"canonDoc{tag}.txt")
    assert _canon(suite, config, h) == read(folder_path / f"proofCanon{tag}.txt")
    doc_hash = hashlib.new(h, _canon(suite, unsigned, h).encode()).hexdigest()
    assert doc_hash == read(folder_path / f"docHash{tag}.txt").strip()
    proof_hash = hashlib.new(h, _canon(suite, config, h).encode()).hexdigest()
    assert proof_hash == read(folder_path / f"proofHash{tag}.txt").strip()
    combined = SUITES[suite].hash_data(unsigned, config, LOADER, h)  # type: ignore[attr-defined]
    assert combined.hex() == read(folder_path / f"combinedHash{tag}.txt").strip()
    signature = bytes.fromhex(read(folder_path / f"sigHex{tag}.txt").strip())
    assert multibase_decode(read(folder_path / f"sigBTC58{tag}.txt").strip()) == signature
    assert key.verify_ecdsa(signature, combined)
    signed = load_json(folder_path / f"signed{tag}.json")
    assert verify_proof(signed, signed["proof"], loader=LOADER).verified
    # ours: randomised, so not equal to the vector's, but verifiable, and the same shape
    ours = sign(unsigned, key, suite=suite, created=config["created"], loader=LOADER)
    assert {k: v for k, v in ours["proof"].items() if k != "proofValue"} == \
        {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    assert verify_proof(ours, ours["proof"], loader=LOADER).verified
    assert len(multibase_decode(ours["proof"]["proofValue"])) == (64 if curve == "p256" else 96)


@pytest.mark.parametrize(("suite", "curve", "folder", "tag", "doc"), CASES)
def test_any_changed_statement_breaks_the_vector_signature(suite: str, curve: str, folder: str,
                                                           tag: str, doc: str) -> None:
    path = E / folder / f"signed{tag}.json"
    if not path.exists():
        pytest.skip(f"no {folder} vector")
    signed = load_json(path)
    for change in ("issuer", "validFrom", "credentialSubject", "proofPurpose", "created"):
        tampered = copy.deepcopy(signed)
        if change in ("proofPurpose", "created"):
            tampered["proof"][change] = ("authentication" if change == "proofPurpose"
                                         else "2024-01-01T00:00:00Z")
        elif change == "credentialSubject":
            tampered["credentialSubject"]["id"] = "did:example:someone-else"
        elif change in tampered:
            tampered[change] = ("https://vc.example/issuers/9" if change == "issuer"
                                else "2024-01-01T00:00:00Z")
        else:
            continue
        result = verify_proof(tampered, tampered["proof"], loader=LOADER, expected_purpose=None)
        assert not result.verified, change


def test_a_suite_refuses_the_wrong_kind_of_key() -> None:
    unsigned = load_json(E / "unsigned.json")
    with pytest.raises(ProofError, match="P-256 or P-384"):
        sign(unsigned, Ed25519Key.generate(), suite="ecdsa-rdfc-2019", loader=LOADER)
    with pytest.raises(ProofError, match="Ed25519"):
        sign(unsigned, KEYS["p256"], suite="eddsa-rdfc-2022", loader=LOADER)
    with pytest.raises(ProofError):
        sign(unsigned, JwtKey.generate("rsa"), suite="ecdsa-jcs-2019", loader=LOADER)
    # an ECDSA proof whose verificationMethod names an Ed25519 did:key is refused, not crashed
    signed = sign(unsigned, KEYS["p256"], suite="ecdsa-rdfc-2019", loader=LOADER)
    ed = Ed25519Key.generate()
    signed["proof"]["verificationMethod"] = ed.verification_method
    result = verify_proof(signed, signed["proof"], loader=LOADER)
    assert not result.verified and result.problem == "INVALID_VERIFICATION_METHOD"


def test_a_p384_proof_cut_to_p256_length_is_refused() -> None:
    unsigned = load_json(E / "unsigned.json")
    signed = sign(unsigned, KEYS["p384"], suite="ecdsa-jcs-2019", loader=LOADER)
    from mcbadge._private.multibase import multibase_encode

    value = multibase_decode(signed["proof"]["proofValue"])
    signed["proof"]["proofValue"] = multibase_encode(value[:64])
    result = verify_proof(signed, signed["proof"], loader=LOADER)
    assert not result.verified and "96 bytes" in result.message


@pytest.mark.parametrize("curve", ["p256", "p384"])
def test_ec_multikey_files_round_trip(curve: str, tmp_path: Path) -> None:
    from mcbadge.keys import load_key, save_key

    key = JwtKey.generate(curve)
    path = save_key(key, tmp_path / "k.json")
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_key(path)
    assert isinstance(again, JwtKey) and again.public_key_multibase == key.public_key_multibase
    assert again.secret_key_multibase == key.secret_key_multibase
    assert again.verify_ecdsa(key.sign_ecdsa(b"x"), b"x")
