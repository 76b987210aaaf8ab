"""Ed25519 keys as Multikey and did:key."""

from __future__ import annotations

import pytest

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
