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

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mcbadge._private.multibase import (
    ED25519_PRIV,
    ED25519_PUB,
    multibase_decode,
    multibase_encode,
)
from mcbadge.errors import KeyFormatError

__all__ = ["Ed25519Key", "Ed25519PublicKey", "did_key_document", "public_key_from_multibase"]


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
    return multibase_encode(ED25519_PUB + public.public_bytes(Encoding.Raw, PublicFormat.Raw))


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
        return self._require_private().sign(data)

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.public_key.verify(signature, data)
        except InvalidSignature:
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
    """Resolve an Ed25519 did:key locally to its DID document (no network)."""
    prefix = "did:key:"
    if not did.startswith(prefix):
        raise KeyFormatError(f"{did!r} is not a did:key")
    multibase = did[len(prefix):].split("#", 1)[0]
    key = Ed25519Key.from_public_multibase(multibase)
    vm = key.to_multikey()
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": key.did,
        "verificationMethod": [vm],
        "authentication": [vm["id"]],
        "assertionMethod": [vm["id"]],
        "capabilityDelegation": [vm["id"]],
        "capabilityInvocation": [vm["id"]],
    }
