"""Data Integrity proofs: add one to a document, or check one.

```python
from mcbadge.keys import AnyKey
from mcbadge.proofs import sign, verify_proof

key = Ed25519Key.generate()
signed = sign(credential_dict, key, suite="eddsa-jcs-2022")
result = verify_proof(signed, signed["proof"])        # did:key resolved locally
assert result.verified
```

Suites (one file each, one line in :data:`SUITES`): ``eddsa-rdfc-2022`` (the default, and
the one OB 3.0 certification requires), ``eddsa-jcs-2022`` and the legacy
``Ed25519Signature2020``; VC-JWT (EdDSA, ES256, RS256) with :func:`sign_jwt` and
:func:`verify_jwt`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mcbadge.errors import MCBadgeError
from mcbadge.jsonld import DocumentLoader
from mcbadge.keys import AnyKey
from mcbadge.proofs._base import (
    KeyResolver,
    ProofError,
    ProofOptions,
    ProofResult,
    ProofSuite,
    resolve_did_key,
    resolve_did_key_any,
)
from mcbadge.proofs.ecdsa_jcs_2019 import EcdsaJcs2019
from mcbadge.proofs.ecdsa_rdfc_2019 import EcdsaRdfc2019
from mcbadge.proofs.ecdsa_sd_2023 import OB_PRIVATE, EcdsaSd2023, derive, reveal_except
from mcbadge.proofs.ed25519_signature_2020 import Ed25519Signature2020
from mcbadge.proofs.eddsa_jcs_2022 import EddsaJcs2022
from mcbadge.proofs.eddsa_rdfc_2022 import Eddsa2022Legacy, EddsaRdfc2022
from mcbadge.proofs.jwt import JwtParts, JwtResult, decode_jwt, sign_jwt, verify_jwt

__all__ = [
    "OB_PRIVATE",
    "SUITES",
    "VERIFY_ONLY",
    "JwtParts",
    "JwtResult",
    "KeyResolver",
    "ProofError",
    "ProofOptions",
    "ProofResult",
    "ProofSuite",
    "decode_jwt",
    "derive",
    "resolve_did_key",
    "reveal_except",
    "sign",
    "sign_jwt",
    "verify_jwt",
    "verify_proof",
]

SUITES: dict[str, ProofSuite] = {
    EddsaRdfc2022.name: EddsaRdfc2022(),
    EddsaJcs2022.name: EddsaJcs2022(),
    Ed25519Signature2020.name: Ed25519Signature2020(),
    EcdsaRdfc2019.name: EcdsaRdfc2019(),
    EcdsaJcs2019.name: EcdsaJcs2019(),
    EcdsaSd2023.name: EcdsaSd2023(),
}
"""Proof suites mcbadge signs and verifies with, by cryptosuite (or proof type) name."""

VERIFY_ONLY: dict[str, ProofSuite] = {
    Eddsa2022Legacy.name: Eddsa2022Legacy(),
}
"""Deprecated suites still verified for old credentials."""


def sign(
    document: Mapping[str, Any],
    key: AnyKey,
    *,
    suite: str = "eddsa-rdfc-2022",
    created: str | None = None,
    verification_method: str | None = None,
    loader: DocumentLoader | None = None,
    mandatory_pointers: Sequence[str] = (),
) -> dict[str, Any]:
    """Return ``document`` with a new proof added (an existing proof makes a proof set).

    ``key``: Ed25519 for the EdDSA suites, P-256 / P-384 for ``ecdsa-rdfc-2019`` and
    ``ecdsa-jcs-2019``, P-256 for ``ecdsa-sd-2023``, whose base proof reveals
    ``mandatory_pointers`` (JSON pointers) in every proof the holder derives (:func:`derive`).
    """
    try:
        impl = SUITES[suite]
    except KeyError:
        raise ProofError(f"unknown proof suite {suite!r}; known: {', '.join(SUITES)}") from None
    if mandatory_pointers and suite != "ecdsa-sd-2023":
        raise ProofError("mandatory pointers are for ecdsa-sd-2023 base proofs")
    signed = impl.prepare(document)
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    proof = impl.create_proof(
        unsecured,
        key,
        ProofOptions(created=created, verification_method=verification_method, loader=loader,
                     mandatory_pointers=tuple(mandatory_pointers)),
    )
    existing = document.get("proof")
    if existing is None:
        signed["proof"] = proof
    else:
        signed["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return signed


def verify_proof(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    resolve_key: KeyResolver = resolve_did_key_any,
    loader: DocumentLoader | None = None,
    *,
    expected_purpose: str | None = "assertionMethod",
) -> ProofResult:
    """Check one proof of ``document``; never raises on bad input.

    ``expected_purpose`` (OB 3.0: ``assertionMethod``) must be the proof's ``proofPurpose``;
    pass None to accept any.
    """
    if not isinstance(document, Mapping) or not isinstance(proof, Mapping):
        return ProofResult(False, "PROOF_VERIFICATION_ERROR", "a proof must be a JSON object")
    if expected_purpose is not None and proof.get("proofPurpose") != expected_purpose:
        return ProofResult(
            False, "PROOF_VERIFICATION_ERROR",
            f"proofPurpose is {proof.get('proofPurpose')!r}, expected {expected_purpose!r}",
        )
    suite = proof.get("cryptosuite", proof.get("type"))
    impl = (SUITES.get(suite) or VERIFY_ONLY.get(suite)) if isinstance(suite, str) else None
    if impl is None:
        return ProofResult(False, "PROOF_VERIFICATION_ERROR", f"unsupported proof suite {suite!r}")
    try:
        return impl.verify_proof(document, proof, resolve_key, loader)
    except MCBadgeError as exc:
        return ProofResult(False, exc.code, exc.message)
    except RecursionError:
        return ProofResult(False, "PROOF_VERIFICATION_ERROR", "document is nested too deeply")
    except Exception as exc:  # untrusted input must never crash verification
        return ProofResult(
            False, "PROOF_VERIFICATION_ERROR",
            f"could not process the document: {type(exc).__name__}: {exc}"[:300],
        )
