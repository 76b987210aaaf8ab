"""VC-JWT as OB 3.0 §8.2 profiles it: a compact JWS whose payload is the credential.

Built on ``cryptography`` directly rather than a JOSE library: the profile needs three
algorithms, a fixed header set and claim checks specific to OB 3.0, and staying on the one
crypto dependency keeps the attack surface small (no ``alg: none``, no algorithm confusion:
the algorithm must match the key's type).

Signing: header ``{"alg", "typ": "JWT", "kid" | "jwk"}`` (never private parts); payload =
the credential plus ``iss`` (issuer id), ``jti`` (id), ``nbf`` (validFrom), ``sub``
(credentialSubject.id), ``exp`` (validUntil) derived from it.

Verifying: only ``alg``/``kid``/``jwk``/``typ`` headers; ``typ`` JWT if present; the key from
``jwk`` or by resolving ``kid``; then every claim must agree with the credential. VC 1.1 JWTs
(credential in the ``vc`` claim, with ``issuanceDate``/``expirationDate``) are read too, and
the credential's first ``@context`` must match where it was found.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from mcbadge._private.jsonutil import MAX_DEPTH, check_depth, loads_strict
from mcbadge.errors import MCBadgeError, ModelValidationError
from mcbadge.keys import AnyKey, Ed25519Key, key_from_jwk, key_to_jwk
from mcbadge.proofs._base import ProofError, resolve_did_key_any

__all__ = ["JwtParts", "JwtResult", "decode_jwt", "sign_jwt", "verify_jwt"]

VC_V1 = "https://www.w3.org/2018/credentials/v1"
_ALLOWED_HEADERS = frozenset({"alg", "kid", "jwk", "typ"})
_REGISTERED = ("iss", "sub", "jti", "nbf", "exp", "iat", "aud")
REGISTERED_CLAIMS = frozenset(_REGISTERED)
"""The JWT claims a VC 2.0 payload holds beside the credential's own members."""
MAX_JWT_BYTES = 1024 * 1024

JwtKeyResolver = Callable[[str], AnyKey]


@dataclass(frozen=True, slots=True)
class JwtResult:
    """The outcome of checking a VC-JWT: the credential it carries and whether it holds."""

    verified: bool
    credential: dict[str, Any] | None = None
    problem: str | None = None
    message: str = ""
    header: dict[str, Any] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_NOT_BASE64URL = ("+", "/", "=")


def _unb64(text: str) -> bytes:
    """Unpadded base64url (RFC 7515 §2) and nothing else: the strict decoder refuses any
    character outside the standard alphabet, which leaves only ``+``, ``/`` and ``=`` to
    refuse here (a character pattern over a 4 KB part costs more than the decoding)."""
    if not text.isascii() or any(c in text for c in _NOT_BASE64URL):
        raise ValueError("not base64url")
    standard = text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4)
    return binascii.a2b_base64(standard, strict_mode=True)


def _alg_for(key: AnyKey) -> str:
    return "EdDSA" if isinstance(key, Ed25519Key) else key.alg


def _epoch(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def _sign_bytes(key: AnyKey, data: bytes) -> bytes:
    if isinstance(key, Ed25519Key):
        return key.sign(data)
    private = key.private_key()
    if isinstance(private, ec.EllipticCurvePrivateKey):
        size, digest = _ec_params(private.curve)
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(digest)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _ec_params(curve: ec.EllipticCurve) -> tuple[int, hashes.HashAlgorithm]:
    """(bytes per signature half, hash) for ES256 (P-256) or ES384 (P-384), RFC 7518 3.4."""
    if curve.name == "secp384r1":
        return 48, hashes.SHA384()
    return 32, hashes.SHA256()


def _verify_bytes(key: AnyKey, alg: str, signature: bytes, data: bytes) -> bool:
    if alg != _alg_for(key):
        return False
    if isinstance(key, Ed25519Key):
        return key.verify(signature, data)
    public = key.public_key
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            size, digest = _ec_params(public.curve)
            if len(signature) != 2 * size:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            public.verify(der, data, ec.ECDSA(digest))
        else:
            assert isinstance(public, rsa.RSAPublicKey)
            public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def jws_sign(header: Mapping[str, Any], payload: Mapping[str, Any], key: AnyKey) -> str:
    """A compact JWS of ``payload`` (any claims) with ``header`` plus the key's ``alg``."""
    h64 = _b64(json.dumps({**header, "alg": _alg_for(key)}, separators=(",", ":")).encode())
    p64 = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = _sign_bytes(key, f"{h64}.{p64}".encode("ascii"))
    return f"{h64}.{p64}.{_b64(signature)}"


def jws_verify(parts: JwtParts, key: AnyKey) -> bool:
    """Whether ``parts`` (from :func:`decode_jwt`) carry a valid signature by ``key`` under
    the header's ``alg`` (which must be the key's own)."""
    alg = parts.header.get("alg")
    return isinstance(alg, str) and _verify_bytes(key, alg, parts.signature,
                                                  parts.signing_input)


def sign_jwt(
    credential: Mapping[str, Any],
    key: AnyKey,
    *,
    kid: str | None = None,
    embed_jwk: bool | None = None,
) -> str:
    """Sign ``credential`` as a compact VC-JWT (VC 2.0 style: the credential is the payload).

    ``kid`` defaults to the key's did:key verification method for an Ed25519 key; a P-256 or
    RSA key without a ``kid`` embeds its public ``jwk``.
    """
    if isinstance(key, Ed25519Key) and kid is None and not embed_jwk:
        kid = key.verification_method
    header: dict[str, Any] = {"alg": _alg_for(key), "typ": "JWT"}
    if kid:
        header["kid"] = kid
    if embed_jwk or not kid:
        header["jwk"] = key_to_jwk(key)
    payload = dict(credential)
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str):
        raise ProofError("a VC-JWT needs the credential's issuer id")
    payload["iss"] = issuer_id
    if isinstance(credential.get("id"), str):
        payload["jti"] = credential["id"]
    nbf = _epoch(credential.get("validFrom"))
    if nbf is None:
        raise ProofError("a VC-JWT needs the credential's validFrom")
    payload["nbf"] = nbf
    subject = credential.get("credentialSubject")
    if isinstance(subject, Mapping) and isinstance(subject.get("id"), str):
        payload["sub"] = subject["id"]
    exp = _epoch(credential.get("validUntil"))
    if exp is not None:
        payload["exp"] = exp
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    )
    return signing_input + "." + _b64(_sign_bytes(key, signing_input.encode("ascii")))


def _fail(problem: str, message: str, **kw: Any) -> JwtResult:
    return JwtResult(False, problem=problem, message=message, **kw)


@dataclass(frozen=True, slots=True)
class JwtParts:
    """A compact JWS taken apart, not yet verified."""

    header: dict[str, Any]
    payload: dict[str, Any]
    credential: dict[str, Any]
    where: str
    """``"payload"`` (VC 2.0: the payload is the credential) or ``"vc"`` (VC 1.1 claim)."""
    signing_input: bytes
    signature: bytes
    payload_size: tuple[int, ...] = ()
    """The payload's deepest nesting level and number of JSON objects and arrays, as
    parsing found them."""


def decode_jwt(token: str | bytes, *,
               payload_walk: Callable[[Any, bool], tuple[int, int] | None] | None = None
               ) -> JwtParts:
    """Take a compact VC-JWT apart without checking it (raises
    :class:`~mcbadge.errors.MCBadgeError` with code ``PARSING_ERROR`` when it is not one).
    ``payload_walk``: called as ``payload_walk(payload, text_checked)`` first; it answers
    the payload's deepest level and number of objects and arrays when it can tell that
    ``check_depth`` would pass the payload, else None (and the payload is walked)."""
    try:
        text = token.decode("ascii") if isinstance(token, bytes) else token
    except UnicodeDecodeError:
        raise ProofError("a JWT is ASCII text", "PARSING_ERROR") from None
    text = text.strip()
    measured: list[int] = []
    if len(text) > MAX_JWT_BYTES or text.count(".") != 2:
        raise ProofError("not a compact JWS (three base64url parts)", "PARSING_ERROR")
    h64, p64, s64 = text.split(".")
    try:
        header = loads_strict(_unb64(h64))

        def measure(value: Any, checked: bool) -> None:
            told = payload_walk(value, checked) if payload_walk is not None else None
            if told is not None:
                measured.extend(told)
            else:
                check_depth(value, MAX_DEPTH, text_checked=checked, measured=measured)

        payload = loads_strict(_unb64(p64), walk=measure)
        signature = _unb64(s64)
    except ModelValidationError as exc:
        raise ProofError(f"JWT parts are not base64url JSON: {exc.message}",
                         "PARSING_ERROR") from None
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ProofError("JWT parts are not base64url JSON", "PARSING_ERROR") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ProofError("JWT header and payload must be JSON objects", "PARSING_ERROR")
    credential, where = (payload["vc"], "vc") if "vc" in payload else (
        {k: v for k, v in payload.items() if k not in _REGISTERED}, "payload")
    if not isinstance(credential, dict):
        raise ProofError("the vc claim must be a JSON object", "PARSING_ERROR")
    return JwtParts(header, payload, credential, where, f"{h64}.{p64}".encode("ascii"), signature,
                    tuple(measured))


def verify_jwt(token: str | bytes, resolve_key: JwtKeyResolver | None = None) -> JwtResult:
    """Check a compact VC-JWT; never raises on bad input."""
    try:
        parts = decode_jwt(token)
    except MCBadgeError as exc:
        return _fail("PARSING_ERROR", exc.message)
    return verify_jwt_parts(parts, resolve_key)


def verify_jwt_parts(parts: JwtParts, resolve_key: JwtKeyResolver | None = None) -> JwtResult:
    """:func:`verify_jwt` of a token already taken apart by :func:`decode_jwt` (the
    verifier reads the token once)."""
    header, payload, credential, where = parts.header, parts.payload, parts.credential, parts.where
    extra = set(header) - _ALLOWED_HEADERS
    if extra:
        return _fail("INVALID_SIGNATURE", f"JOSE header has disallowed members {sorted(extra)}",
                     header=header)
    if "typ" in header and header["typ"] != "JWT":
        return _fail("INVALID_SIGNATURE", f"typ must be JWT, got {header['typ']!r}", header=header)
    alg = header.get("alg")
    if alg not in ("EdDSA", "ES256", "ES384", "RS256"):
        return _fail("INVALID_SIGNATURE", f"unsupported alg {alg!r}", header=header)
    try:
        if isinstance(header.get("jwk"), dict):
            if "d" in header["jwk"]:
                return _fail("INVALID_SIGNATURE", "the header jwk holds a private key",
                             header=header)
            key = key_from_jwk(header["jwk"])
        elif isinstance(header.get("kid"), str):
            key = (resolve_key or resolve_did_key_any)(header["kid"])
        else:
            return _fail("INVALID_SIGNATURE", "the header names no key (kid or jwk)",
                         header=header, credential=credential)
    except MCBadgeError as exc:
        return _fail(exc.code, exc.message, header=header, credential=credential)
    if not _verify_bytes(key, str(alg), parts.signature, parts.signing_input):
        return _fail("INVALID_SIGNATURE", "the JWS signature does not verify", header=header,
                     credential=credential)
    problem = _claims_disagree(payload, credential, where)
    if problem:
        return _fail("INVALID_SIGNATURE", problem, header=header, credential=credential)
    return JwtResult(True, credential, None, "verified", header)


def _claims_disagree(payload: dict[str, Any], credential: dict[str, Any], where: str) -> str:
    ctx = credential.get("@context")
    first = ctx[0] if isinstance(ctx, list) and ctx else ctx
    if (where == "vc") != (first == VC_V1):
        return f"a {'VC 1.1' if first == VC_V1 else 'VC 2.0'} credential in the {where}"
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if payload.get("iss") != issuer_id:
        return f"iss {payload.get('iss')!r} is not the issuer {issuer_id!r}"
    if "jti" in payload and payload["jti"] != credential.get("id"):
        return f"jti {payload['jti']!r} is not the credential id {credential.get('id')!r}"
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    if "sub" in payload and payload["sub"] != subject_id:
        return f"sub {payload['sub']!r} is not the subject {subject_id!r}"
    start = credential.get("validFrom", credential.get("issuanceDate"))
    if "nbf" in payload and payload["nbf"] != _epoch(start):
        return f"nbf {payload['nbf']!r} disagrees with {start!r}"
    end = credential.get("validUntil", credential.get("expirationDate"))
    if "exp" in payload and payload["exp"] != _epoch(end):
        return f"exp {payload['exp']!r} disagrees with {end!r}"
    if "exp" not in payload and end is not None and where == "payload":
        return "validUntil is set but the JWT has no exp"
    return ""


