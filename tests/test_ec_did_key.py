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


# -- a header jwk and no kid (openbadgeslib's VC-JWTs) -----------------------------------------

def _header(token: str) -> dict[str, Any]:
    import base64
    return json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))


@pytest.mark.parametrize("kind", ["p256", "p384", "ed25519"])
def test_a_header_jwk_without_kid_binds_to_its_own_did_key(kind: str) -> None:
    from mcbadge.keys import Ed25519Key

    key: Any = Ed25519Key.generate() if kind == "ed25519" else JwtKey.generate(kind)
    token = sign_jwt(_credential(key.did), key, embed_jwk=True)
    assert "kid" not in _header(token) and "jwk" in _header(token)
    result = mcbadge.verify(token, now=NOW, fetcher=offline())
    assert result.verified, result.problems
    # a header key that is not the issuer's own did:key is refused
    other: Any = Ed25519Key.generate() if kind == "ed25519" else JwtKey.generate(kind)
    forged = sign_jwt(_credential(key.did), other, embed_jwk=True)
    check = mcbadge.verify(forged, now=NOW, fetcher=offline()).check("issuer_binding")
    assert check is not None and check.problem == "ISSUER_BINDING_ERROR"


def _did_web_doc(did: str, key: JwtKey, relationship: str = "assertionMethod") -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": did,
        "verificationMethod": [{"id": f"{did}#k1", "type": "JsonWebKey", "controller": did,
                                "publicKeyJwk": key.to_jwk()}],
        relationship: ["#k1"],
    }


def test_a_header_jwk_binds_to_a_did_web_that_lists_it_for_assertions() -> None:
    did = "did:web:badges.ec.example:issuers:1"
    url = "https://badges.ec.example/issuers/1/did.json"
    key = JwtKey.generate("p256")
    token = sign_jwt(_credential(did), key)  # a P-256 key with no kid embeds its jwk
    assert "kid" not in _header(token)
    good = mcbadge.verify(token, now=NOW, fetcher=offline({url: _did_web_doc(did, key)}))
    assert good.verified, good.problems
    # listed, but only for authentication: not an assertion key
    auth_only = offline({url: _did_web_doc(did, key, "authentication")})
    check = mcbadge.verify(token, now=NOW, fetcher=auth_only).check("issuer_binding")
    assert check is not None and check.problem == "ISSUER_BINDING_ERROR"
    # the document lists another key: refused
    other = offline({url: _did_web_doc(did, JwtKey.generate("p256"))})
    check = mcbadge.verify(token, now=NOW, fetcher=other).check("issuer_binding")
    assert check is not None and check.problem == "ISSUER_BINDING_ERROR"
    # the document cannot be fetched: unconfirmed, which fails by default
    missing = mcbadge.verify(token, now=NOW, fetcher=offline())
    assert not missing.verified
    assert missing.check("issuer_binding").problem == "ISSUER_KEY_UNCONFIRMED"  # type: ignore[union-attr]
