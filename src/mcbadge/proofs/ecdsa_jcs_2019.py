"""``DataIntegrityProof`` with cryptosuite ``ecdsa-jcs-2019`` (W3C vc-di-ecdsa §3.3): JCS
canonical forms (the proof carries the document's ``@context``, as eddsa-jcs-2022), ECDSA
with P-256 / SHA-256 or P-384 / SHA-384."""

from __future__ import annotations

from mcbadge.proofs._ecdsa import EcdsaSuite
from mcbadge.proofs.eddsa_jcs_2022 import JcsCanonical

__all__ = ["EcdsaJcs2019"]


class EcdsaJcs2019(JcsCanonical, EcdsaSuite):
    """The ecdsa-jcs-2019 cryptosuite."""

    name = "ecdsa-jcs-2019"
