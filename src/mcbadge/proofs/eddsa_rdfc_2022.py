"""``DataIntegrityProof`` with cryptosuite ``eddsa-rdfc-2022`` (W3C vc-di-eddsa §3.2).

The suite OB 3.0 certification requires. Canonical form: RDFC-1.0 N-Quads of the JSON-LD
document, in safe mode (a term no context defines, or a relative IRI, is a
``DATA_LOSS_DETECTION_ERROR``, never silently dropped), using only bundled or explicitly
registered contexts. The proof configuration is canonicalized with the document's
``@context``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcbadge.jsonld import DocumentLoader, canonical_nquads
from mcbadge.proofs._eddsa import EddsaSuite

__all__ = ["EddsaRdfc2022"]


class EddsaRdfc2022(EddsaSuite):
    """The eddsa-rdfc-2022 cryptosuite."""

    name = "eddsa-rdfc-2022"

    def canonicalize(self, document: Mapping[str, Any], loader: DocumentLoader) -> bytes:
        return canonical_nquads(document, loader).encode("utf-8")
