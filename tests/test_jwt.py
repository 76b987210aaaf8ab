"""VC-JWT (OB 3.0 §8.2): sign, verify, claims that must agree, hostile tokens."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcbadge.keys import Ed25519Key, JwtKey, key_to_jwk
from mcbadge.proofs import sign_jwt, verify_jwt
from tests.conftest import SPEC, VALIDATOR


def _b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    h, p, _ = token.split(".")
    def dec(x: str) -> Any:
        return json.loads(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    return dec(h), dec(p)


def _credential(**extra: Any) -> dict[str, Any]:
    doc = json.loads((SPEC / "ob-v3p0-test-vector/credential.json").read_text())
    doc.update(extra)
    return doc


KEYS = {
    "EdDSA": Ed25519Key.generate(),
    "ES256": JwtKey.generate("p256"),
    "RS256": JwtKey.generate("rsa"),
}


@pytest.mark.parametrize("alg", sorted(KEYS))
def test_sign_and_verify_each_algorithm(alg: str) -> None:
    key = KEYS[alg]
    cred = _credential(validUntil="2030-01-01T00:00:00Z")
    token = sign_jwt(cred, key)
    header, payload = _parts(token)
    assert header["alg"] == alg
    assert header["typ"] == "JWT"
    assert "d" not in header.get("jwk", {})
    assert payload["iss"] == cred["issuer"]["id"]
    assert payload["jti"] == cred["id"]
    assert payload["sub"] == cred["credentialSubject"]["id"]
    assert payload["nbf"] == 1262304000
    assert payload["exp"] == 1893456000
    result = verify_jwt(token)
    assert result.verified, result
    assert result.credential == cred


def test_ed25519_uses_its_did_key_as_kid() -> None:
    key = KEYS["EdDSA"]
    header, _ = _parts(sign_jwt(_credential(), key))
    assert header["kid"] == key.verification_method  # type: ignore[union-attr]
    assert "jwk" not in header


@pytest.mark.parametrize(
    ("claim", "value", "message"),
    [
        ("iss", "https://evil.example/issuer", "iss"),
        ("jti", "urn:uuid:other", "jti"),
        ("sub", "did:example:someone-else", "sub"),
        ("nbf", 1, "nbf"),
        ("exp", 2000000000, "exp"),
    ],
)
def test_claims_that_disagree_with_the_credential_are_rejected(
    claim: str, value: Any, message: str
) -> None:
    key = KEYS["ES256"]
    token = sign_jwt(_credential(), key)
    header, payload = _parts(token)
    payload[claim] = value
    forged = _resign(header, payload, key)
    result = verify_jwt(forged)
    assert not result.verified
    assert message in result.message


def _resign(header: dict[str, Any], payload: dict[str, Any], key: Any) -> str:
    from mcbadge.proofs.jwt import _sign_bytes

    signing_input = f"{_b64(header)}.{_b64(payload)}"
    sig = base64.urlsafe_b64encode(_sign_bytes(key, signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{sig}"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda h: h.update(alg="none"), "unsupported alg"),
        (lambda h: h.update(alg="HS256"), "unsupported alg"),
        (lambda h: h.update(alg="RS256"), "does not verify"),  # algorithm confusion
        (lambda h: h.update(typ="vc+ld+jwt"), "typ"),
        (lambda h: h.update(crit=["x"]), "disallowed"),
        (lambda h: h.update(jwk=key_to_jwk(KEYS["ES256"], include_private=True)), "private"),
        (lambda h: h.pop("jwk"), "no key"),
    ],
)
def test_header_tampering_is_rejected(change: Any, problem: str) -> None:
    key = KEYS["ES256"]
    header, payload = _parts(sign_jwt(_credential(), key))
    change(header)
    result = verify_jwt(_resign(header, payload, key))
    assert not result.verified
    assert problem in result.message


def test_changed_payload_fails_the_signature() -> None:
    token = sign_jwt(_credential(), KEYS["RS256"])
    h, _, s = token.split(".")
    _, payload = _parts(token)
    payload["name"] = "Forged"
    assert verify_jwt(f"{h}.{_b64(payload)}.{s}").message == "the JWS signature does not verify"


def test_validator_vc11_jwt_with_rsa_jwk_verifies() -> None:
    result = verify_jwt((VALIDATOR / "clr20/simple.jwt").read_bytes())
    assert result.verified, result
    assert result.credential is not None
    assert result.credential["@context"][0] == "https://www.w3.org/2018/credentials/v1"


def test_validator_jwt_without_a_key_cannot_verify() -> None:
    result = verify_jwt((VALIDATOR / "ob30/simple.jwt").read_text())
    assert not result.verified
    assert "no key" in result.message


def test_vc2_credential_in_a_vc_claim_is_rejected() -> None:
    key = KEYS["EdDSA"]
    cred = _credential()
    header = {"alg": "EdDSA", "typ": "JWT", "kid": key.verification_method}  # type: ignore[union-attr]
    payload = {"vc": cred, "iss": cred["issuer"]["id"]}
    assert "VC 2.0 credential in the vc" in verify_jwt(_resign(header, payload, key)).message


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_garbage_never_raises(token: str) -> None:
    assert not verify_jwt(token).verified


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.integers(), max_size=4),
       st.dictionaries(st.text(max_size=5), st.text(max_size=5) | st.integers(), max_size=4))
def test_well_formed_but_wrong_tokens_never_raise(header: dict[str, Any], payload: dict[str, Any]) -> None:
    assert not verify_jwt(f"{_b64(header)}.{_b64(payload)}.AAAA").verified


@pytest.mark.parametrize("bad", ["\u00e9", "\u0663", "+", "/", "=", " ", "."])
def test_a_part_with_a_character_outside_base64url_is_a_parsing_error(bad: str) -> None:
    """Only A-Z, a-z, 0-9, '-' and '_' (Unicode letters and digits, which str.isalnum takes,
    are not base64url)."""
    key = Ed25519Key.from_seed(bytes(32))
    token = sign_jwt({"@context": ["https://www.w3.org/ns/credentials/v2"],
                      "type": ["VerifiableCredential"], "issuer": key.did,
                      "validFrom": "2026-01-01T00:00:00Z",
                      "credentialSubject": {"id": "did:example:1"}}, key)
    assert verify_jwt(token).verified
    h64, p64, s64 = token.split(".")
    result = verify_jwt(f"{h64}.{p64[:10]}{bad}{p64[10:]}.{s64}")
    assert not result.verified and result.problem == "PARSING_ERROR"


def _base64url_reference(text: str) -> bytes | None:
    """RFC 7515 base64url without padding, decoded the plain way; None: not base64url."""
    import re

    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        return None
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    "ABCXYZabcxyz0189-_+/= \n\t.\u00e9\U0001f600\x00"), max_size=12)
    | st.binary(max_size=12).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")))
def test_jwt_parts_decode_as_base64url_and_nothing_else(text: str) -> None:
    from mcbadge.proofs.jwt import _unb64

    expected = _base64url_reference(text)
    try:
        found: bytes | None = _unb64(text)
    except ValueError:
        found = None
    assert found == expected


@pytest.mark.parametrize("text", ["plain ascii", "caf\u00e9", "\U0001f600 ok", "a\ud800",
                                  "\udfff", "\ud83d\ude00", ""])
def test_surrogates_are_found_as_the_pattern_finds_them(text: str) -> None:
    import re

    from mcbadge._private.jsonutil import has_surrogate

    assert has_surrogate(text) == bool(re.search("[\ud800-\udfff]", text))
