"""did:key for P-256 (``zDn...``) and P-384 (``z82...``), checked against the W3C ECDSA
test-vector key pairs, and ES256 / ES384 VC-JWTs whose ``kid`` is such a did:key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import mcbadge
from mcbadge._private.multibase import multibase_decode
from mcbadge.errors import KeyFormatError
from mcbadge.keys import JwtKey, did_key_document, key_from_jwk, public_key_from_any_multibase
from mcbadge.proofs._base import resolve_did_key, resolve_did_key_any
from mcbadge.proofs.jwt import sign_jwt
from tests.issuers import NOW, offline

VECTORS = Path(__file__).parent / "data" / "vectors" / "ecdsa"
CURVES = {"p256KeyPair.json": (ec.SECP256R1(), "ES256", "zDn", b"\x86\x26"),
          "p384KeyPair.json": (ec.SECP384R1(), "ES384", "z82", b"\x87\x26")}


def _vector_key(name: str) -> tuple[dict[str, str], JwtKey]:
    pair = json.loads((VECTORS / name).read_text())
    curve, alg, _, priv_codec = CURVES[name]
    secret = multibase_decode(pair["secretKeyMultibase"])
    assert secret.startswith(priv_codec)
    private = ec.derive_private_key(int.from_bytes(secret[2:], "big"), curve)
    return pair, JwtKey(alg, private.public_key(), private)


@pytest.mark.parametrize("name", sorted(CURVES))
def test_the_multikey_of_a_vector_key_is_the_published_one(name: str) -> None:
    pair, key = _vector_key(name)
    _, alg, prefix, _ = CURVES[name]
    assert key.public_key_multibase == pair["publicKeyMultibase"]
    assert key.public_key_multibase.startswith(prefix)
    read = public_key_from_any_multibase(pair["publicKeyMultibase"])
    assert isinstance(read, JwtKey) and read.alg == alg
    assert read.to_jwk() == key.to_jwk()


@pytest.mark.parametrize("name", sorted(CURVES))
def test_did_key_resolves_locally_to_its_document(name: str) -> None:
    pair, key = _vector_key(name)
    did = f"did:key:{pair['publicKeyMultibase']}"
    doc = did_key_document(did)
    vm = doc["verificationMethod"][0]
    assert doc["id"] == did and vm["id"] == f"{did}#{pair['publicKeyMultibase']}"
    assert vm["controller"] == did and doc["assertionMethod"] == [vm["id"]]
    resolved = resolve_did_key_any(vm["id"])
    assert isinstance(resolved, JwtKey) and resolved.to_jwk() == key.to_jwk()
    # the EdDSA suites' resolver still only answers Ed25519 keys
    with pytest.raises(KeyFormatError, match="not an Ed25519"):
        resolve_did_key(vm["id"])
    with pytest.raises(KeyFormatError):
        resolve_did_key_any(f"{did}#zDnaWrongFragment")


@pytest.mark.parametrize("bad", [
    "zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBK",  # truncated
    "z82LkuBieyGShVBhvtE2zoiD6Kma4tJ",                  # truncated
])
def test_a_malformed_ec_multikey_is_a_typed_error(bad: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_any_multibase(bad)


def _credential(issuer: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:8f1c2d3e-4b5a-4c6d-9e7f-0a1b2c3d4e5f",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "EC Issuer"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Classroom Community",
        "credentialSubject": {
            "type": ["AchievementSubject"], "id": "did:example:educator-411",
            "achievement": {"id": "https://badges.example/achievements/community",
                            "type": ["Achievement"], "name": "Classroom Community",
                            "description": "Builds community.",
                            "criteria": {"narrative": "Evidence reviewed."}},
        },
    }


@pytest.mark.parametrize("kind", ["p256", "p384"])
def test_an_ec_did_key_issuer_signs_a_jwt_that_verifies(kind: str) -> None:
    key = JwtKey.generate(kind)
    token = sign_jwt(_credential(key.did), key, kid=key.verification_method)
    result = mcbadge.verify(token, now=NOW, fetcher=offline())
    assert result.verified, result.problems
    # a different key under the same kid does not
    other = JwtKey.generate(kind)
    forged = sign_jwt(_credential(key.did), other, kid=key.verification_method)
    assert "INVALID_SIGNATURE" in mcbadge.verify(forged, now=NOW, fetcher=offline()).problems


def test_p384_jwk_round_trips_and_signs_es384() -> None:
    key = JwtKey.generate("p384")
    jwk = key.to_jwk(include_private=True)
    assert jwk["crv"] == "P-384" and len(jwk["x"]) == 64  # 48 bytes, base64url
    again = key_from_jwk(jwk)
    assert isinstance(again, JwtKey) and again.alg == "ES384"
    header = json.loads(__import__("base64").urlsafe_b64decode(
        sign_jwt(_credential(key.did), again, kid=key.verification_method).split(".")[0] + "=="))
    assert header["alg"] == "ES384"
