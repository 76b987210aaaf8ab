"""Signing keys: Ed25519 key pairs as Multikey and did:key.

```python
from mcbadge.keys import Ed25519Key

key = Ed25519Key.generate()                   # or Ed25519Key.from_seed(bytes.fromhex(...))
key.public_key_multibase                      # 'z6Mk...'
key.did                                       # 'did:key:z6Mk...'
key.verification_method                       # 'did:key:z6Mk...#z6Mk...'
Ed25519Key.from_multikey({"publicKeyMultibase": ..., "secretKeyMultibase": ...})
```

A Multikey secret may be the 32-byte seed (``z3u2...``, as the W3C vectors write it) or the
64-byte seed-and-public-key form (``zrv...``, as the 1EdTech test vector writes it); both are
read, and when the public key is given too it must match.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.bindings as _sodium
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.exceptions import BadSignatureError

from mcbadge._private.files import write_atomic
from mcbadge._private.multibase import (
    ED25519_PRIV,
    ED25519_PUB,
    P256_PRIV,
    P256_PUB,
    P384_PRIV,
    P384_PUB,
    multibase_decode,
    multibase_encode,
)
from mcbadge.errors import KeyFormatError

__all__ = [
    "KEY_FORMATS",
    "AnyKey",
    "Ed25519Key",
    "JwtKey",
    "did_key_document",
    "did_web_document",
    "did_web_to_url",
    "key_from_jwk",
    "key_to_jwk",
    "load_key",
    "parse_key",
    "public_key_from_any_multibase",
    "public_key_from_multibase",
    "save_key",
    "serialize_key",
]


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    """The Ed25519 public key in a ``z6Mk...`` Multikey value."""
    try:
        raw = multibase_decode(value)
    except ValueError as exc:
        raise KeyFormatError(f"not a Multikey public key: {exc}") from None
    if not raw.startswith(ED25519_PUB) or len(raw) != 34:
        raise KeyFormatError(
            f"{value[:16]}... is not an Ed25519 Multikey (expected 'z6Mk' and 32 key bytes)"
        )
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def _public_multibase(public: Ed25519PublicKey) -> str:
    return _raw_public_multibase(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


@functools.lru_cache(maxsize=256)
def _raw_public_multibase(raw: bytes) -> str:
    return multibase_encode(ED25519_PUB + raw)


@dataclass(frozen=True, slots=True)
class Ed25519Key:
    """An Ed25519 key pair (or a public key alone, for verifying)."""

    public_key: Ed25519PublicKey
    _private: Ed25519PrivateKey | None = None
    controller: str | None = None
    """The DID or URL that controls the key; defaults to the key's did:key."""

    # -- making keys -----------------------------------------------------------------

    @classmethod
    def generate(cls) -> Ed25519Key:
        """A new random key pair."""
        return cls.from_seed(secrets.token_bytes(32))

    @classmethod
    def from_seed(cls, seed: bytes, controller: str | None = None) -> Ed25519Key:
        """The key pair for a 32-byte seed (deterministic: for tests and vectors)."""
        if len(seed) != 32:
            raise KeyFormatError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
        private = Ed25519PrivateKey.from_private_bytes(seed)
        return cls(private.public_key(), private, controller)

    @classmethod
    def from_public_multibase(cls, value: str, controller: str | None = None) -> Ed25519Key:
        """A verify-only key from ``publicKeyMultibase``."""
        return cls(public_key_from_multibase(value), None, controller)

    @classmethod
    def from_multikey(cls, doc: Mapping[str, Any]) -> Ed25519Key:
        """Read a Multikey document (``publicKeyMultibase``, ``secretKeyMultibase`` or the
        older ``privateKeyMultibase``)."""
        secret = doc.get("secretKeyMultibase") or doc.get("privateKeyMultibase")
        public = doc.get("publicKeyMultibase")
        controller = doc.get("controller") if isinstance(doc.get("controller"), str) else None
        if secret is None:
            if not isinstance(public, str):
                raise KeyFormatError("a Multikey needs publicKeyMultibase or secretKeyMultibase")
            return cls.from_public_multibase(public, controller)
        if not isinstance(secret, str):
            raise KeyFormatError("secretKeyMultibase must be a string")
        try:
            raw = multibase_decode(secret)
        except ValueError as exc:
            raise KeyFormatError(f"not a Multikey secret key: {exc}") from None
        if not raw.startswith(ED25519_PRIV) or len(raw) not in (34, 66):
            raise KeyFormatError("secretKeyMultibase is not an Ed25519 secret key")
        key = cls.from_seed(raw[2:34], controller)
        embedded = raw[34:]
        if embedded and embedded != key.public_bytes:
            raise KeyFormatError("secretKeyMultibase holds a public key that does not match")
        if isinstance(public, str) and public != key.public_key_multibase:
            raise KeyFormatError("publicKeyMultibase does not match the secret key")
        return key

    # -- views -----------------------------------------------------------------------

    @property
    def has_private(self) -> bool:
        return self._private is not None

    @property
    def public_bytes(self) -> bytes:
        return self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_key_multibase(self) -> str:
        """``z6Mk...``: the Multikey encoding of the public key."""
        return _public_multibase(self.public_key)

    @property
    def secret_key_multibase(self) -> str:
        """``z3u2...``: the Multikey encoding of the 32-byte seed. Keep it secret."""
        return multibase_encode(ED25519_PRIV + self._require_private().private_bytes_raw())

    @property
    def did(self) -> str:
        """The key's did:key identifier."""
        return f"did:key:{self.public_key_multibase}"

    @property
    def verification_method(self) -> str:
        """``did:key:z6Mk...#z6Mk...``, or ``controller#z6Mk...`` when a controller is set."""
        return f"{self.controller or self.did}#{self.public_key_multibase}"

    def to_multikey(self, *, include_private: bool = False) -> dict[str, Any]:
        """The key as a Multikey verification method document."""
        doc: dict[str, Any] = {
            "id": self.verification_method,
            "type": "Multikey",
            "controller": self.controller or self.did,
            "publicKeyMultibase": self.public_key_multibase,
        }
        if include_private:
            doc["secretKeyMultibase"] = self.secret_key_multibase
        return doc

    # -- crypto ----------------------------------------------------------------------

    def sign(self, data: bytes) -> bytes:
        # libsodium signs in half the time OpenSSL takes; Ed25519 signatures are
        # deterministic (RFC 8032), so both write the same bytes (tests hold them equal)
        seed = self._require_private().private_bytes_raw()
        return _sodium.crypto_sign(data, seed + self.public_bytes)[:64]

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` is this key's over ``data``: libsodium's verification (in
        about 60% of OpenSSL's time), which also refuses what RFC 8032 lets a verifier
        refuse and OpenSSL accepts: a public key or an ``R`` of small order, a
        non-canonical public key (a small-order key has no secret: one signature would fit
        every message)."""
        if len(signature) != 64:
            return False
        try:
            _sodium.crypto_sign_open(signature + data, self.public_bytes)
        except (BadSignatureError, ValueError, TypeError):
            return False
        return True

    def _require_private(self) -> Ed25519PrivateKey:
        if self._private is None:
            raise KeyFormatError("this key has no private part; it can only verify")
        return self._private

    def __repr__(self) -> str:
        kind = "key pair" if self._private else "public key"
        return f"<Ed25519Key {kind} {self.public_key_multibase}>"


def did_key_document(did: str) -> dict[str, Any]:
    """Resolve an Ed25519, P-256 or P-384 did:key locally to its DID document (no network)."""
    prefix = "did:key:"
    if not did.startswith(prefix):
        raise KeyFormatError(f"{did!r} is not a did:key")
    multibase = did[len(prefix):].split("#", 1)[0]
    key = public_key_from_any_multibase(multibase)
    vm = (key.to_multikey() if isinstance(key, Ed25519Key) else
          {"id": f"{prefix}{multibase}#{multibase}", "type": "Multikey",
           "controller": f"{prefix}{multibase}", "publicKeyMultibase": multibase})
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": prefix + multibase,
        "verificationMethod": [vm],
        "authentication": [vm["id"]],
        "assertionMethod": [vm["id"]],
        "capabilityDelegation": [vm["id"]],
        "capabilityInvocation": [vm["id"]],
    }


# --------------------------------------------------------------------------- files & formats

KEY_FORMATS = ("multikey", "jwk", "pem")
"""Formats :func:`save_key` writes and :func:`load_key` reads (it detects which)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise KeyFormatError(f"bad base64url in JWK: {exc}") from None


@dataclass(frozen=True, slots=True)
class JwtKey:
    """A P-256 (ES256), P-384 (ES384) or RSA (RS256) key: VC-JWT, and (P-256 / P-384) the
    ECDSA Data Integrity suites (``ecdsa-rdfc-2019``, ``ecdsa-jcs-2019``, ``ecdsa-sd-2023``)
    with its Multikey form (``zDn...`` / ``z82...``)."""

    alg: str
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    _private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None

    @classmethod
    def generate(cls, kind: str) -> JwtKey:
        if kind == "p256":
            priv: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = ec.generate_private_key(
                ec.SECP256R1()
            )
            return cls("ES256", priv.public_key(), priv)
        if kind == "p384":
            priv = ec.generate_private_key(ec.SECP384R1())
            return cls("ES384", priv.public_key(), priv)
        if kind == "rsa":
            priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return cls("RS256", priv.public_key(), priv)
        raise KeyFormatError(f"unknown key type {kind!r}: use ed25519, p256, p384 or rsa")

    @property
    def has_private(self) -> bool:
        return self._private is not None

    @property
    def curve(self) -> str | None:
        """``P-256`` or ``P-384`` (None for RSA)."""
        if isinstance(self.public_key, ec.EllipticCurvePublicKey):
            return _CURVE_NAMES.get(self.public_key.curve.name)
        return None

    @property
    def hash_name(self) -> str:
        """The hash the curve's ECDSA uses: ``sha256`` (P-256, RSA) or ``sha384`` (P-384)."""
        return "sha384" if self.curve == "P-384" else "sha256"

    def sign_ecdsa(self, data: bytes) -> bytes:
        """ECDSA over ``data`` with the curve's hash; the signature as ``r || s`` (IEEE
        P1363, 64 bytes for P-256, 96 for P-384), as the Data Integrity suites write it."""
        private = self.private_key()
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise KeyFormatError("an RSA key cannot make ECDSA signatures")
        der = private.sign(data, ec.ECDSA(_HASHES[self.hash_name]()))
        r, s = decode_dss_signature(der)
        size = (private.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def verify_ecdsa(self, signature: bytes, data: bytes) -> bool:
        """Whether ``signature`` (``r || s``) is this key's ECDSA signature of ``data``."""
        public = self.public_key
        if not isinstance(public, ec.EllipticCurvePublicKey):
            return False
        size = (public.curve.key_size + 7) // 8
        if len(signature) != 2 * size:
            return False
        der = encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                   int.from_bytes(signature[size:], "big"))
        try:
            public.verify(der, data, ec.ECDSA(_HASHES[self.hash_name]()))
        except InvalidSignature:
            return False
        return True

    @property
    def secret_key_multibase(self) -> str:
        """The secret scalar as a Multikey ``secretKeyMultibase`` (p256-priv / p384-priv)."""
        private = self.private_key()
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise KeyFormatError("an RSA key has no Multikey form")
        size = (private.curve.key_size + 7) // 8
        prefix = P256_PRIV if self.curve == "P-256" else P384_PRIV
        return multibase_encode(prefix + private.private_numbers().private_value.to_bytes(
            size, "big"))

    def to_multikey(self, *, include_private: bool = False) -> dict[str, Any]:
        """The key as a Multikey document (P-256 / P-384)."""
        doc: dict[str, Any] = {
            "@context": "https://w3id.org/security/multikey/v1",
            "type": "Multikey", "id": self.verification_method, "controller": self.did,
            "publicKeyMultibase": self.public_key_multibase,
        }
        if include_private:
            doc["secretKeyMultibase"] = self.secret_key_multibase
        return doc

    @classmethod
    def from_multikey(cls, doc: Mapping[str, Any]) -> JwtKey:
        """Read a P-256 / P-384 Multikey document (public, or with ``secretKeyMultibase``)."""
        secret = doc.get("secretKeyMultibase")
        public = doc.get("publicKeyMultibase")
        if secret is None:
            key = public_key_from_any_multibase(public) if isinstance(public, str) else None
            if not isinstance(key, JwtKey):
                raise KeyFormatError("not a P-256 / P-384 Multikey")
            return key
        try:
            raw = multibase_decode(secret) if isinstance(secret, str) else b""
        except ValueError as exc:
            raise KeyFormatError(f"not a Multikey secret key: {exc}") from None
        for prefix, (alg, curve, size) in ((P256_PRIV, ("ES256", ec.SECP256R1(), 32)),
                                           (P384_PRIV, ("ES384", ec.SECP384R1(), 48))):
            if raw.startswith(prefix) and len(raw) == len(prefix) + size:
                try:
                    private = ec.derive_private_key(int.from_bytes(raw[len(prefix):], "big"),
                                                    curve)
                except ValueError:
                    raise KeyFormatError("secretKeyMultibase is not a valid scalar") from None
                key = cls(alg, private.public_key(), private)
                if isinstance(public, str) and public != key.public_key_multibase:
                    raise KeyFormatError("publicKeyMultibase does not match the secret key")
                return key
        raise KeyFormatError("secretKeyMultibase is not a P-256 or P-384 secret key")

    def private_key(self) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
        if self._private is None:
            raise KeyFormatError("this key has no private part; it can only verify")
        return self._private

    def to_jwk(self, *, include_private: bool = False) -> dict[str, Any]:
        if isinstance(self.public_key, ec.EllipticCurvePublicKey):
            nums = self.public_key.public_numbers()
            size = (self.public_key.curve.key_size + 7) // 8
            jwk: dict[str, Any] = {
                "kty": "EC", "crv": _CURVE_NAMES[self.public_key.curve.name],
                "x": _b64url(nums.x.to_bytes(size, "big")),
                "y": _b64url(nums.y.to_bytes(size, "big")),
            }
            if include_private:
                priv = self.private_key()
                assert isinstance(priv, ec.EllipticCurvePrivateKey)
                jwk["d"] = _b64url(priv.private_numbers().private_value.to_bytes(size, "big"))
            return jwk
        rnums = self.public_key.public_numbers()
        jwk = {"kty": "RSA", "n": _b64url(_int_bytes(rnums.n)), "e": _b64url(_int_bytes(rnums.e))}
        if include_private:
            priv = self.private_key()
            assert isinstance(priv, rsa.RSAPrivateKey)
            p = priv.private_numbers()
            for name, value in (("d", p.d), ("p", p.p), ("q", p.q), ("dp", p.dmp1),
                                ("dq", p.dmq1), ("qi", p.iqmp)):
                jwk[name] = _b64url(_int_bytes(value))
        return jwk


    @property
    def public_key_multibase(self) -> str:
        """``zDn...`` (P-256) or ``z82...`` (P-384): the Multikey encoding (compressed point)."""
        public = self.public_key
        if not isinstance(public, ec.EllipticCurvePublicKey):
            raise KeyFormatError("an RSA key has no Multikey form")
        prefix = P256_PUB if public.curve.name == "secp256r1" else P384_PUB
        return multibase_encode(prefix + public.public_bytes(Encoding.X962,
                                                             PublicFormat.CompressedPoint))

    @property
    def did(self) -> str:
        """The key's did:key identifier (P-256 / P-384 only)."""
        return f"did:key:{self.public_key_multibase}"

    @property
    def verification_method(self) -> str:
        return f"{self.did}#{self.public_key_multibase}"


AnyKey = Ed25519Key | JwtKey
"""Any key mcbadge signs with."""

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sha256": hashes.SHA256,
                                                  "sha384": hashes.SHA384}

_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384"}
_EC_CURVES: dict[str, tuple[str, ec.EllipticCurve]] = {
    "P-256": ("ES256", ec.SECP256R1()), "P-384": ("ES384", ec.SECP384R1()),
}
_EC_MULTICODECS: dict[bytes, tuple[str, ec.EllipticCurve, int]] = {
    P256_PUB: ("ES256", ec.SECP256R1(), 33), P384_PUB: ("ES384", ec.SECP384R1(), 49),
}


def public_key_from_any_multibase(value: str) -> AnyKey:
    """The public key in an Ed25519 (``z6Mk``), P-256 (``zDn``) or P-384 (``z82``) Multikey
    value."""
    try:
        raw = multibase_decode(value)
    except ValueError as exc:
        raise KeyFormatError(f"not a Multikey public key: {exc}") from None
    for prefix, (alg, curve, length) in _EC_MULTICODECS.items():
        if raw.startswith(prefix):
            if len(raw) != len(prefix) + length:
                raise KeyFormatError(f"{value[:16]}... has the wrong length for its curve")
            try:
                point = ec.EllipticCurvePublicKey.from_encoded_point(curve, raw[len(prefix):])
            except ValueError:
                raise KeyFormatError(f"{value[:16]}... is not a point on {curve.name}") from None
            return JwtKey(alg, point)
    return Ed25519Key.from_public_multibase(value)


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def _int(text: str) -> int:
    return int.from_bytes(_b64url_decode(text), "big")


def ed25519_to_jwk(key: Ed25519Key, *, include_private: bool = False) -> dict[str, Any]:
    jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(key.public_bytes)}
    if include_private:
        jwk["d"] = _b64url(key._require_private().private_bytes_raw())
    return jwk


def key_to_jwk(key: AnyKey, *, include_private: bool = False) -> dict[str, Any]:
    """The key as a JWK (public only unless asked)."""
    if isinstance(key, Ed25519Key):
        return ed25519_to_jwk(key, include_private=include_private)
    return key.to_jwk(include_private=include_private)


def key_from_jwk(jwk: Mapping[str, Any]) -> AnyKey:
    """Read an OKP/Ed25519, EC/P-256 or RSA JWK (public, or with its private part)."""
    kty = jwk.get("kty")
    try:
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            if "d" in jwk:
                return Ed25519Key.from_seed(_b64url_decode(jwk["d"]))
            public = Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))
            return Ed25519Key(public)
        if kty == "EC" and jwk.get("crv") in _EC_CURVES:
            alg, curve = _EC_CURVES[jwk["crv"]]
            pub = ec.EllipticCurvePublicNumbers(_int(jwk["x"]), _int(jwk["y"]), curve)
            if "d" in jwk:
                priv = ec.EllipticCurvePrivateNumbers(_int(jwk["d"]), pub).private_key()
                return JwtKey(alg, priv.public_key(), priv)
            return JwtKey(alg, pub.public_key())
        if kty == "RSA":
            rpub = rsa.RSAPublicNumbers(_int(jwk["e"]), _int(jwk["n"]))
            if "d" in jwk:
                rpriv = rsa.RSAPrivateNumbers(
                    _int(jwk["p"]), _int(jwk["q"]), _int(jwk["d"]), _int(jwk["dp"]),
                    _int(jwk["dq"]), _int(jwk["qi"]), rpub,
                ).private_key()
                return JwtKey("RS256", rpriv.public_key(), rpriv)
            return JwtKey("RS256", rpub.public_key())
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyFormatError(f"unreadable JWK: {exc}") from None
    raise KeyFormatError(f"unsupported JWK (kty={kty!r}, crv={jwk.get('crv')!r})")


def _from_cryptography(obj: object) -> AnyKey:
    if isinstance(obj, Ed25519PrivateKey):
        return Ed25519Key(obj.public_key(), obj)
    if isinstance(obj, Ed25519PublicKey):
        return Ed25519Key(obj)
    curve = getattr(obj, "curve", None)
    alg = _EC_CURVES.get(_CURVE_NAMES.get(getattr(curve, "name", ""), ""), ("", None))[0]
    if isinstance(obj, ec.EllipticCurvePrivateKey) and alg:
        return JwtKey(alg, obj.public_key(), obj)
    if isinstance(obj, ec.EllipticCurvePublicKey) and alg:
        return JwtKey(alg, obj)
    if isinstance(obj, rsa.RSAPrivateKey):
        return JwtKey("RS256", obj.public_key(), obj)
    if isinstance(obj, rsa.RSAPublicKey):
        return JwtKey("RS256", obj)
    raise KeyFormatError(f"unsupported key type {type(obj).__name__}: use Ed25519, P-256 or RSA")


def parse_key(data: bytes, passphrase: str | None = None) -> AnyKey:
    """Read a key in any supported format: Multikey or JWK (JSON), PEM (PKCS#8 private, or
    SubjectPublicKeyInfo public; ``passphrase`` for an encrypted one)."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        secret = passphrase.encode() if passphrase else None
        try:
            if b"PRIVATE KEY" in text:
                return _from_cryptography(serialization.load_pem_private_key(text, secret))
            return _from_cryptography(serialization.load_pem_public_key(text))
        except TypeError as exc:
            raise KeyFormatError(f"PEM key: {exc} (pass the passphrase)") from None
        except ValueError as exc:
            raise KeyFormatError(f"unreadable PEM key: {exc}") from None
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise KeyFormatError("not a key file: expected Multikey or JWK JSON, or PEM") from None
    if not isinstance(doc, dict):
        raise KeyFormatError("a key file must hold a JSON object")
    if "kty" in doc:
        return key_from_jwk(doc)
    if any(k in doc for k in ("publicKeyMultibase", "secretKeyMultibase", "privateKeyMultibase")):
        if _multicodec(doc.get("secretKeyMultibase") or doc.get("publicKeyMultibase")) in (
                P256_PRIV, P384_PRIV, P256_PUB, P384_PUB):
            return JwtKey.from_multikey(doc)
        return Ed25519Key.from_multikey(doc)
    raise KeyFormatError("JSON key file is neither a JWK nor a Multikey")


def _multicodec(value: Any) -> bytes | None:
    """The two-byte multicodec prefix of a Multikey value (None: unreadable)."""
    if not isinstance(value, str):
        return None
    try:
        return multibase_decode(value)[:2]
    except ValueError:
        return None


def load_key(path: str | os.PathLike[str], passphrase: str | None = None) -> AnyKey:
    """Read a key file in any supported format (see :func:`parse_key`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise KeyFormatError(f"cannot read key file {path}: {exc.strerror}") from None
    return parse_key(data, passphrase)


def serialize_key(key: AnyKey, fmt: str = "multikey", passphrase: str | None = None) -> bytes:
    """The private key in ``fmt`` (multikey: Ed25519, P-256, P-384; jwk; pem: PKCS#8)."""
    if fmt == "multikey":
        if isinstance(key, JwtKey) and key.curve is None:
            raise KeyFormatError("Multikey files hold Ed25519, P-256 or P-384 keys; use "
                                 "--format jwk or pem for RSA")
        return (json.dumps(key.to_multikey(include_private=True), indent=2) + "\n").encode()
    if fmt == "jwk":
        return (json.dumps(key_to_jwk(key, include_private=True), indent=2) + "\n").encode()
    if fmt == "pem":
        private: Any = key._require_private() if isinstance(key, Ed25519Key) else key.private_key()
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase else serialization.NoEncryption()
        )
        pem: bytes = private.private_bytes(
            Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        return pem
    raise KeyFormatError(f"unknown key format {fmt!r}: use {', '.join(KEY_FORMATS)}")


def save_key(
    key: AnyKey, path: str | os.PathLike[str], fmt: str = "multikey",
    passphrase: str | None = None,
) -> Path:
    """Write the private key to ``path``, readable by its owner only (0600), atomically."""
    target = Path(path)
    write_atomic(target, serialize_key(key, fmt, passphrase), mode=0o600)
    os.chmod(target, 0o600)
    return target


# --------------------------------------------------------------------------- did:web


_DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def did_web_host_problem(host: str) -> str | None:
    """Why ``host`` (a did:web's first segment, percent-decoded) is not ``NAME[:PORT]``, or
    None. A name is DNS labels (an IDN is checked in its punycode form); a port is 1-65535."""
    name, colon, port = host.partition(":")
    if colon and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return f"{port!r} is not a port number"
    try:
        ascii_name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return f"{name!r} is not a domain name"
    labels = ascii_name.removesuffix(".").split(".")
    if len(ascii_name) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return f"{name!r} is not a domain name"
    return None


def did_web_to_url(did: str) -> str:
    """The https URL of a did:web DID document (``/.well-known/did.json`` without a path)."""
    if not did.startswith("did:web:"):
        raise KeyFormatError(f"{did!r} is not a did:web")
    parts = did[len("did:web:"):].split("#", 1)[0].split(":")
    if not parts[0]:
        raise KeyFormatError(f"{did!r} has no host")
    from urllib.parse import unquote

    host = unquote(parts[0])
    problem = did_web_host_problem(host)
    if problem:
        raise KeyFormatError(f"{did!r} has an invalid host: {problem}")
    path = "/".join(unquote(p) for p in parts[1:])
    if any(seg in ("", ".", "..") for seg in parts[1:]):
        raise KeyFormatError(f"{did!r} has an empty or relative path segment")
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def did_web_document(did: str, keys: list[Ed25519Key | JwtKey]) -> dict[str, Any]:
    """The ``did.json`` an issuer hosts for ``did`` (did:web), listing ``keys`` as Multikey
    assertion methods (fragment ``#key-1``, ``#key-2`` ...)."""
    did_web_to_url(did)  # validates
    methods = []
    for i, key in enumerate(keys, 1):
        methods.append({
            "id": f"{did}#key-{i}", "type": "Multikey", "controller": did,
            "publicKeyMultibase": key.public_key_multibase,
        })
    ids = [m["id"] for m in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "authentication": ids,
        "assertionMethod": ids,
    }
