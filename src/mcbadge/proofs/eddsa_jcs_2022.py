"""``DataIntegrityProof`` with cryptosuite ``eddsa-jcs-2022`` (W3C vc-di-eddsa §3.3).

Canonical form: RFC 8785 JCS. The proof configuration carries the document's ``@context``
(when the document has one); on verification the document's ``@context`` must start with the
proof's, in order, and the proof's is used for the proof-less document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcbadge._private.jcs import canonicalize
from mcbadge.jsonld import DocumentLoader
from mcbadge.jsonld._canon import known_shape
from mcbadge.jsonld._templates import Shape, jcs_of
from mcbadge.proofs._eddsa import EddsaSuite

__all__ = ["EddsaJcs2022", "JcsCanonical"]


class JcsCanonical:
    """JCS canonical forms for a Data Integrity suite, the proof carrying the document's
    ``@context``; shared by eddsa-jcs-2022 and ecdsa-jcs-2019."""

    proof_carries_context = True

    def canonicalize(self, document: Mapping[str, Any], loader: DocumentLoader,
                     hash_name: str = "sha256") -> bytes:
        # in a verification run, the credential without its proof was shaped already
        shape = known_shape(document)
        if isinstance(shape, Shape):
            written = jcs_of(shape)
            return written if written is not None else canonicalize(dict(document),
                                                                    plain=False)
        return canonicalize(dict(document))

    def unsecured_for(
        self, document: Mapping[str, Any], proof: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | str:
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        proof_ctx = proof.get("@context")
        if proof_ctx is not None:
            doc_ctx = document.get("@context")
            doc_list = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
            proof_list = proof_ctx if isinstance(proof_ctx, list) else [proof_ctx]
            if doc_list[: len(proof_list)] != proof_list:
                return "the document's @context does not start with the proof's @context"
            if proof_ctx != doc_ctx:  # (equal: the document's own, the same JSON)
                unsecured["@context"] = proof_ctx
        return unsecured, config


class EddsaJcs2022(JcsCanonical, EddsaSuite):
    """The eddsa-jcs-2022 cryptosuite."""

    name = "eddsa-jcs-2022"
