"""Ed25519 keys as Multikey and did:key."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcbadge.errors import KeyFormatError
from mcbadge.keys import Ed25519Key, did_key_document, public_key_from_multibase
from tests.conftest import DATA, SPEC, load_json

W3C_KEY = load_json(DATA / "vectors/common/keyPair.json")
OB_KEY = load_json(SPEC / "ob-v3p0-test-vector/key.json")


def test_w3c_vector_key_loads_as_it_is() -> None:
    key = Ed25519Key.from_multikey(W3C_KEY)  # uses the older privateKeyMultibase name
    assert key.public_key_multibase == W3C_KEY["publicKeyMultibase"]
    assert key.secret_key_multibase == W3C_KEY["privateKeyMultibase"]
    assert key.did == "did:key:" + W3C_KEY["publicKeyMultibase"]
    assert key.verification_method == f"{key.did}#{W3C_KEY['publicKeyMultibase']}"


def test_1edtech_key_with_64_byte_secret_and_controller() -> None:
    key = Ed25519Key.from_multikey(OB_KEY)
    assert key.public_bytes.hex() == OB_KEY["publicKeyHex"]
    assert key.verification_method == OB_KEY["verificationMethod"]
    same = Ed25519Key.from_seed(bytes.fromhex(OB_KEY["privateKeySeedHex"]))
    assert same.public_key_multibase == OB_KEY["publicKeyMultibase"]


def test_multikey_round_trip_and_sign_verify() -> None:
    key = Ed25519Key.generate()
    doc = key.to_multikey(include_private=True)
    again = Ed25519Key.from_multikey(doc)
    assert again.public_key_multibase.startswith("z6Mk")
    sig = again.sign(b"hello")
    assert key.verify(sig, b"hello")
    assert not key.verify(sig, b"hellO")
    public_only = Ed25519Key.from_multikey({"publicKeyMultibase": key.public_key_multibase})
    assert public_only.verify(sig, b"hello")
    assert "secretKeyMultibase" not in key.to_multikey()
    with pytest.raises(KeyFormatError, match="only verify"):
        public_only.sign(b"x")


def test_mismatched_public_key_is_refused() -> None:
    other = Ed25519Key.generate().public_key_multibase
    with pytest.raises(KeyFormatError, match="does not match"):
        Ed25519Key.from_multikey({**W3C_KEY, "publicKeyMultibase": other})


@pytest.mark.parametrize(
    "value",
    ["", "z", "uAAAA", "z0OIl", "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4sw",
     "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"],  # a secp256k1 key
)
def test_bad_public_multibase_is_a_typed_error(value: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_multibase(value)


def test_seed_length_is_checked() -> None:
    with pytest.raises(KeyFormatError, match="32 bytes"):
        Ed25519Key.from_seed(b"short")


def test_did_key_document() -> None:
    did = "did:key:" + W3C_KEY["publicKeyMultibase"]
    doc = did_key_document(did)
    vm = doc["verificationMethod"][0]
    assert vm["id"] == f"{did}#{W3C_KEY['publicKeyMultibase']}"
    assert vm["type"] == "Multikey"
    assert vm["controller"] == did
    assert doc["assertionMethod"] == [vm["id"]]
    with pytest.raises(KeyFormatError):
        did_key_document("did:web:example.com")


# ------------------------------------------------------------------ formats and files

import stat  # noqa: E402
from pathlib import Path  # noqa: E402

from mcbadge.keys import (  # noqa: E402
    JwtKey,
    did_web_document,
    did_web_to_url,
    key_from_jwk,
    key_to_jwk,
    load_key,
    parse_key,
    save_key,
)


@pytest.mark.parametrize("fmt", ["multikey", "jwk", "pem"])
def test_ed25519_key_files_round_trip_and_are_0600(fmt: str, tmp_path: Path) -> None:
    key = Ed25519Key.generate()
    path = save_key(key, tmp_path / f"issuer.{fmt}", fmt)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_key(path)
    assert isinstance(again, Ed25519Key)
    assert again.public_key_multibase == key.public_key_multibase
    assert again.verify(key.sign(b"m"), b"m")
    assert not list(tmp_path.glob(".*.tmp"))


def test_encrypted_pem_needs_its_passphrase(tmp_path: Path) -> None:
    key = Ed25519Key.generate()
    path = save_key(key, tmp_path / "k.pem", "pem", passphrase="s3cret")
    assert b"ENCRYPTED" in path.read_bytes()
    with pytest.raises(KeyFormatError, match="passphrase"):
        load_key(path)
    with pytest.raises(KeyFormatError):
        load_key(path, passphrase="wrong")
    assert load_key(path, passphrase="s3cret").public_key_multibase == key.public_key_multibase  # type: ignore[union-attr]


@pytest.mark.parametrize(("kind", "alg"), [("p256", "ES256"), ("rsa", "RS256")])
@pytest.mark.parametrize("fmt", ["jwk", "pem"])
def test_jwt_keys_round_trip(kind: str, alg: str, fmt: str, tmp_path: Path) -> None:
    key = JwtKey.generate(kind)
    assert key.alg == alg
    again = load_key(save_key(key, tmp_path / "k", fmt))
    assert isinstance(again, JwtKey)
    assert key_to_jwk(again) == key_to_jwk(key)
    assert "d" not in key_to_jwk(key)


def test_multikey_format_refuses_rsa_but_takes_p256(tmp_path: Path) -> None:
    with pytest.raises(KeyFormatError, match="RSA"):
        save_key(JwtKey.generate("rsa"), tmp_path / "k", "multikey")
    saved = save_key(JwtKey.generate("p256"), tmp_path / "p", "multikey")
    assert json.loads(saved.read_text())["publicKeyMultibase"].startswith("zDn")


def test_ed25519_jwk_matches_rfc8037() -> None:
    # RFC 8037 appendix A.1/A.2 test key
    jwk = {"kty": "OKP", "crv": "Ed25519",
           "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
           "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    key = key_from_jwk(jwk)
    assert key_to_jwk(key, include_private=True) == jwk
    assert isinstance(key, Ed25519Key)


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"[]", b'{"kty": "oct", "k": "AA"}', b'{"kty": "EC", "crv": "P-384"}',
     b'{"kty": "RSA", "n": "!!"}', b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
     b'{"hello": 1}'],
)
def test_bad_key_files_are_typed_errors(data: bytes) -> None:
    with pytest.raises(KeyFormatError):
        parse_key(data)


def test_missing_key_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFormatError, match="cannot read"):
        load_key(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.com", "https://example.com/.well-known/did.json"),
        ("did:web:example.com:issuers:1", "https://example.com/issuers/1/did.json"),
        ("did:web:localhost%3A8443", "https://localhost:8443/.well-known/did.json"),
        ("did:web:example.com#key-1", "https://example.com/.well-known/did.json"),
    ],
)
def test_did_web_url(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize("did", ["did:web:", "did:key:z6Mk", "did:web:example.com::x", "did:web:a%2Fb"])
def test_bad_did_web_is_refused(did: str) -> None:
    with pytest.raises(KeyFormatError):
        did_web_to_url(did)


def test_did_web_document_lists_keys_as_assertion_methods() -> None:
    key = Ed25519Key.generate()
    doc = did_web_document("did:web:example.com:issuers:1", [key])
    vm = doc["verificationMethod"][0]
    assert vm["id"] == "did:web:example.com:issuers:1#key-1"
    assert vm["publicKeyMultibase"] == key.public_key_multibase
    assert doc["assertionMethod"] == [vm["id"]]


@given(st.binary(max_size=80))
def test_base58_matches_the_digit_by_digit_definition(data: bytes) -> None:
    from mcbadge._private.multibase import _ALPHABET, b58decode, b58encode

    num, digits = int.from_bytes(data, "big"), ""
    while num:
        num, rem = divmod(num, 58)
        digits = _ALPHABET[rem] + digits
    expected = "1" * (len(data) - len(data.lstrip(b"\0"))) + digits
    assert b58encode(data) == expected
    assert b58decode(expected) == data


# RFC 8032 section 7.1, TEST 3 (a two-byte message): seed, public key, signature
_RFC8032 = ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
            "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a")


def test_ed25519_matches_rfc8032() -> None:
    seed, public, message, signature = (bytes.fromhex(h) for h in _RFC8032)
    key = Ed25519Key.from_seed(seed)
    assert key.public_bytes == public
    assert key.sign(message) == signature
    assert key.verify(signature, message)


@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300),
       flip=st.integers(0, 64 * 8 - 1))
def test_ed25519_signs_as_openssl_does_and_refuses_what_it_refuses(
        seed: bytes, message: bytes, flip: int) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519Key.from_seed(seed)
    theirs = Ed25519PrivateKey.from_private_bytes(seed)
    signature = key.sign(message)
    assert signature == theirs.sign(message)  # deterministic: the very same bytes
    assert key.verify(signature, message)
    bad = bytearray(signature)
    bad[flip // 8] ^= 1 << (flip % 8)
    try:
        theirs.public_key().verify(bytes(bad), message)
        openssl = True
    except InvalidSignature:
        openssl = False
    assert (key.verify(bytes(bad), message), openssl) == (False, False)
    assert key.verify(signature, message + b"x") is False
    assert key.verify(signature[:63], message) is False


def test_a_small_order_public_key_verifies_nothing() -> None:
    # the identity point as a public key, R the identity and S = 0: the equation holds for
    # every message, and OpenSSL's Ed25519 accepts it; libsodium refuses small-order keys
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    identity = bytes([1]) + bytes(31)
    forged = identity + bytes(32)
    key = Ed25519Key(Ed25519PublicKey.from_public_bytes(identity))
    assert key.verify(forged, b"any credential at all") is False
