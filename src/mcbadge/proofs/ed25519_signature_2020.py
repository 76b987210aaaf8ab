"""``Ed25519Signature2020`` (W3C vc-di-eddsa §A, legacy), sign and verify.

RDFC-1.0 canonical forms as for eddsa-rdfc-2022, but the proof has no ``cryptosuite`` and the
document must use the ``https://w3id.org/security/suites/ed25519-2020/v1`` context (added
when signing if missing). Prefer ``eddsa-rdfc-2022`` for new credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcbadge.jsonld import DocumentLoader, canonical_nquads
from mcbadge.keys import AnyKey
from mcbadge.proofs._base import ProofOptions
from mcbadge.proofs._eddsa import EddsaSuite

__all__ = ["Ed25519Signature2020"]

ED25519_2020_CONTEXT = "https://w3id.org/security/suites/ed25519-2020/v1"


class Ed25519Signature2020(EddsaSuite):
    """The Ed25519Signature2020 suite."""

    name = "Ed25519Signature2020"
    proof_type = "Ed25519Signature2020"

    def canonicalize(self, document: Mapping[str, Any], loader: DocumentLoader,
                     hash_name: str = "sha256") -> bytes:
        return canonical_nquads(document, loader).encode("utf-8")

    def prepare(self, document: Mapping[str, Any]) -> dict[str, Any]:
        ctx = document.get("@context")
        contexts = list(ctx) if isinstance(ctx, list) else [ctx] if ctx is not None else []
        if ED25519_2020_CONTEXT in contexts:
            return dict(document)
        return {**document, "@context": [*contexts, ED25519_2020_CONTEXT]}

    def create_proof(
        self, document: Mapping[str, Any], key: AnyKey, options: ProofOptions
    ) -> dict[str, Any]:
        return super().create_proof(self.prepare(document), key, options)
