"""``DataIntegrityProof`` with cryptosuite ``eddsa-jcs-2022`` (W3C vc-di-eddsa §3.3).

Canonical form: RFC 8785 JCS. The proof configuration carries the document's ``@context``
(when the document has one); on verification the document's ``@context`` must start with the
proof's, in order, and the proof's is used for the proof-less document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mcbadge._private.jcs import canonicalize
from mcbadge._private.multibase import multibase_decode, multibase_encode
from mcbadge.errors import MCBadgeError
from mcbadge.keys import Ed25519Key
from mcbadge.proofs._base import (
    KeyResolver,
    ProofOptions,
    ProofResult,
    now_created,
)

__all__ = ["EddsaJcs2022"]


class EddsaJcs2022:
    """The eddsa-jcs-2022 cryptosuite."""

    name = "eddsa-jcs-2022"

    @staticmethod
    def hash_data(document: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
        """SHA-256(JCS(proof config)) || SHA-256(JCS(document without proof))."""
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        return (
            hashlib.sha256(canonicalize(dict(proof_config))).digest()
            + hashlib.sha256(canonicalize(unsecured)).digest()
        )

    def create_proof(
        self, document: Mapping[str, Any], key: Ed25519Key, options: ProofOptions
    ) -> dict[str, Any]:
        config: dict[str, Any] = {
            "type": "DataIntegrityProof",
            "cryptosuite": self.name,
            "created": options.created or now_created(),
            "verificationMethod": options.verification_method or key.verification_method,
            "proofPurpose": options.proof_purpose,
        }
        if "@context" in document:
            config["@context"] = document["@context"]
        signature = key.sign(self.hash_data(document, config))
        return {**config, "proofValue": multibase_encode(signature)}

    def verify_proof(
        self, document: Mapping[str, Any], proof: Mapping[str, Any], resolve_key: KeyResolver
    ) -> ProofResult:
        vm = proof.get("verificationMethod")
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != self.name:
            return ProofResult(False, "PROOF_VERIFICATION_ERROR", "not an eddsa-jcs-2022 proof")
        proof_ctx = proof.get("@context")
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        if proof_ctx is not None:
            doc_ctx = document.get("@context")
            doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
            proof_list = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
            if doc_list[: len(proof_list)] != proof_list:
                return ProofResult(
                    False, "PROOF_VERIFICATION_ERROR",
                    "the document's @context does not start with the proof's @context", vm,
                )
            unsecured["@context"] = proof_ctx
        value = proof.get("proofValue")
        if not isinstance(value, str) or not isinstance(vm, str):
            return ProofResult(False, "PROOF_VERIFICATION_ERROR", "proofValue or "
                               "verificationMethod missing", vm if isinstance(vm, str) else None)
        try:
            signature = multibase_decode(value)
        except ValueError as exc:
            return ProofResult(False, "INVALID_SIGNATURE", f"proofValue: {exc}", vm)
        if len(signature) != 64:
            return ProofResult(False, "INVALID_SIGNATURE", "proofValue is not 64 bytes", vm)
        try:
            key = resolve_key(vm)
            data = self.hash_data(unsecured, config)
        except MCBadgeError as exc:
            return ProofResult(False, exc.code, exc.message, vm)
        if not key.verify(signature, data):
            return ProofResult(False, "INVALID_SIGNATURE", "the signature does not verify", vm)
        return ProofResult(True, None, "verified", vm)


