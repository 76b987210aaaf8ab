"""``DataIntegrityProof`` with cryptosuite ``ecdsa-rdfc-2019`` (W3C vc-di-ecdsa §3.2): RDFC-1.0
canonical forms (safe mode, bundled contexts, as eddsa-rdfc-2022), ECDSA with P-256 / SHA-256
or P-384 / SHA-384."""

from __future__ import annotations

from mcbadge.proofs._ecdsa import EcdsaSuite
from mcbadge.proofs.eddsa_rdfc_2022 import RdfcCanonical

__all__ = ["EcdsaRdfc2019"]


class EcdsaRdfc2019(RdfcCanonical, EcdsaSuite):
    """The ecdsa-rdfc-2019 cryptosuite."""

    name = "ecdsa-rdfc-2019"
