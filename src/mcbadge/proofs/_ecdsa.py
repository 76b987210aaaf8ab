"""The ECDSA Data Integrity suites' signature hooks (W3C vc-di-ecdsa): P-256 keys hash with
SHA-256 and sign 64-byte ``r || s`` signatures, P-384 keys SHA-384 and 96 bytes. The proof
configuration and the document are each hashed with the curve's hash."""

from __future__ import annotations

from mcbadge.keys import AnyKey, JwtKey
from mcbadge.proofs._eddsa import DataIntegritySuite


class EcdsaSuite(DataIntegritySuite):
    """``DataIntegrityProof`` + an ECDSA cryptosuite over P-256 or P-384."""

    def key_problem(self, key: AnyKey) -> str | None:
        if isinstance(key, JwtKey) and key.curve is not None:
            return None
        return f"{self.name} needs a P-256 or P-384 key"

    def hash_for(self, key: AnyKey) -> str:
        assert isinstance(key, JwtKey)
        return key.hash_name

    def signature_length(self, key: AnyKey) -> int:
        return 96 if isinstance(key, JwtKey) and key.curve == "P-384" else 64

    def sign_with(self, key: AnyKey, data: bytes) -> bytes:
        assert isinstance(key, JwtKey)
        return key.sign_ecdsa(data)

    def verify_with(self, key: AnyKey, signature: bytes, data: bytes) -> bool:
        return isinstance(key, JwtKey) and key.verify_ecdsa(signature, data)
