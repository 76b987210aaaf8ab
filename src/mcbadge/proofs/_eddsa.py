"""The part of the Data Integrity cryptosuites that depends neither on the canonical form nor
(but for a few hooks) on the signature algorithm: proof configuration, the hashing layout,
proof chains, signing and checking. :class:`EddsaSuite` fills the hooks for Ed25519; the
ECDSA suites (``_ecdsa.py``) for P-256 / P-384."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from typing import Any

from mcbadge._private.multibase import multibase_decode, multibase_encode
from mcbadge.errors import MCBadgeError
from mcbadge.jsonld import (
    BUNDLED_CONTEXT_URLS,
    DocumentLoader,
    bundled_context,
    default_document_loader,
)
from mcbadge.keys import AnyKey, Ed25519Key
from mcbadge.proofs._base import KeyResolver, ProofError, ProofOptions, ProofResult, now_created

_FAIL = "PROOF_VERIFICATION_ERROR"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MAX_PROOFS = 32
"""Most proofs in one document whose chain is followed."""


class _PreviousProofs(list[Any]):
    """The proofs a chained proof names in ``previousProof``: kept in the hashed document."""


def previous_proofs(document: Mapping[str, Any], proof: Mapping[str, Any]) -> _PreviousProofs | str:
    """The proofs of ``document`` that ``proof.previousProof`` names (VC Data Integrity 1.0,
    4.3: a chained proof signs the document with those proofs in it), or why not."""
    wanted = proof.get("previousProof")
    ids = [wanted] if isinstance(wanted, str) else wanted if isinstance(wanted, list) else None
    if not ids or not all(isinstance(i, str) for i in ids):
        return "previousProof must be a proof id or a list of them"
    existing = document.get("proof")
    proofs = existing if isinstance(existing, list) else [existing]
    if len(proofs) > MAX_PROOFS:
        return f"more than {MAX_PROOFS} proofs; the chain is not followed"
    found = _PreviousProofs()
    for wanted_id in ids:
        match = [p for p in proofs if isinstance(p, Mapping) and p.get("id") == wanted_id
                 and p is not proof]
        if len(match) != 1:
            return f"previousProof {wanted_id!r:.80} is not one proof of this document"
        found.append(match[0])
    return found


def _defines_data_integrity(context: Any) -> bool:
    """Whether one ``@context`` entry defines the ``DataIntegrityProof`` term."""
    if isinstance(context, Mapping):
        return "DataIntegrityProof" in context
    if isinstance(context, str) and context in BUNDLED_CONTEXT_URLS:
        return _bundled_defines_data_integrity(context)
    return False


@functools.lru_cache(maxsize=64)
def _bundled_defines_data_integrity(url: str) -> bool:
    inner = bundled_context(url).get("@context")
    return any(_defines_data_integrity(c) for c in (inner if isinstance(inner, list) else [inner])
               if isinstance(c, Mapping))


class DataIntegritySuite:
    """A ``DataIntegrityProof`` cryptosuite; subclasses say how to canonicalize and (the
    hooks at the end) which keys sign, with which hash, and how."""

    name = ""
    proof_type = "DataIntegrityProof"
    proof_carries_context = False
    """Whether the written proof keeps the ``@context`` used for its canonical form."""

    def handles(self, proof: Mapping[str, Any]) -> bool:
        """Whether ``proof`` is one of this suite's."""
        if self.proof_type != "DataIntegrityProof":
            return proof.get("type") == self.proof_type and "cryptosuite" not in proof
        return proof.get("type") == "DataIntegrityProof" and proof.get("cryptosuite") == self.name

    def prepare(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """The document to sign: as given when its contexts define ``DataIntegrityProof``
        (VC 2.0 does); else, as jsonld-signatures does, with the Data Integrity v2 context
        appended (a VC 1.1 document), so the proof's terms are not lost. For eddsa-jcs-2022
        the proof's ``@context`` is the document's, so it defines them too."""
        if self.proof_type != "DataIntegrityProof":
            return dict(document)
        ctx = document.get("@context")
        contexts = list(ctx) if isinstance(ctx, list) else [ctx] if ctx is not None else []
        if not contexts or any(_defines_data_integrity(c) for c in contexts):
            return dict(document)
        return {**document, "@context": [*contexts, DATA_INTEGRITY_V2]}

    def canonicalize(self, document: Mapping[str, Any], loader: DocumentLoader,
                     hash_name: str = "sha256") -> bytes:
        raise NotImplementedError

    def hash_data(
        self,
        document: Mapping[str, Any],
        proof_config: Mapping[str, Any],
        loader: DocumentLoader | None = None,
        hash_name: str = "sha256",
    ) -> bytes:
        """H(canonical proof config) || H(canonical document without proof), H being
        ``hash_name`` (SHA-256; SHA-384 for ECDSA with P-384).

        A document whose ``proof`` is :data:`_PREVIOUS` -tagged (see :meth:`unsecured_for`)
        keeps the previous proofs a chained proof signs over."""
        loader = loader or default_document_loader()
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        previous = document.get("proof")
        if isinstance(previous, _PreviousProofs):
            unsecured["proof"] = list(previous)
        return (
            hashlib.new(hash_name, self.canonicalize(proof_config, loader, hash_name)).digest()
            + hashlib.new(hash_name, self.canonicalize(unsecured, loader, hash_name)).digest()
        )

    def proof_config(self, document: Mapping[str, Any], **members: Any) -> dict[str, Any]:
        """The proof without its value: type (and cryptosuite for a DataIntegrityProof),
        ``members``, and the document's ``@context``."""
        config: dict[str, Any] = {"type": self.proof_type}
        if self.proof_type == "DataIntegrityProof":
            config["cryptosuite"] = self.name
        config.update(members)
        if "@context" in document:
            config["@context"] = document["@context"]
        return config

    def create_proof(
        self, document: Mapping[str, Any], key: AnyKey, options: ProofOptions
    ) -> dict[str, Any]:
        problem = self.key_problem(key)
        if problem is not None:
            raise ProofError(problem)
        config = self.proof_config(
            document,
            created=options.created or now_created(),
            verificationMethod=options.verification_method or key.verification_method,
            proofPurpose=options.proof_purpose,
            **{k: v for k, v in (("challenge", options.challenge), ("domain", options.domain))
               if v is not None},
        )
        signature = self.sign_with(
            key, self.hash_data(document, config, options.loader, self.hash_for(key)))
        proof = {**config, "proofValue": multibase_encode(signature)}
        if not self.proof_carries_context:
            proof.pop("@context", None)
        return proof

    def unsecured_for(
        self, document: Mapping[str, Any], proof: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]] | str:
        """The proof-less document and the proof configuration to hash, or why not."""
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        config = {k: v for k, v in proof.items() if k != "proofValue"}
        if "@context" in document:
            config["@context"] = document["@context"]
        if "previousProof" in proof:
            chained = previous_proofs(document, proof)
            if isinstance(chained, str):
                return chained
            unsecured["proof"] = chained
        return unsecured, config

    def verify_proof(
        self,
        document: Mapping[str, Any],
        proof: Mapping[str, Any],
        resolve_key: KeyResolver,
        loader: DocumentLoader | None = None,
    ) -> ProofResult:
        vm = proof.get("verificationMethod")
        vm_id = vm if isinstance(vm, str) else None
        if not self.handles(proof):
            return ProofResult(False, _FAIL, f"not a {self.name} proof", vm_id)
        value = proof.get("proofValue")
        if not isinstance(value, str) or vm_id is None:
            return ProofResult(False, _FAIL, "proofValue or verificationMethod missing", vm_id)
        prepared = self.unsecured_for(document, proof)
        if isinstance(prepared, str):
            return ProofResult(False, _FAIL, prepared, vm_id)
        unsecured, config = prepared
        try:
            signature = multibase_decode(value)
        except ValueError as exc:
            return ProofResult(False, "INVALID_SIGNATURE", f"proofValue: {exc}", vm_id)
        try:
            key = resolve_key(vm_id)
        except MCBadgeError as exc:
            return ProofResult(False, exc.code, exc.message, vm_id)
        problem = self.key_problem(key)
        if problem is not None:
            return ProofResult(False, "INVALID_VERIFICATION_METHOD", f"{vm_id}: {problem}", vm_id)
        if len(signature) != self.signature_length(key):
            return ProofResult(False, "INVALID_SIGNATURE", f"proofValue is not "
                               f"{self.signature_length(key)} bytes", vm_id)
        try:
            data = self.hash_data(unsecured, config, loader, self.hash_for(key))
        except MCBadgeError as exc:
            return ProofResult(False, exc.code, exc.message, vm_id)
        if not self.verify_with(key, signature, data):
            return ProofResult(False, "INVALID_SIGNATURE", "the signature does not verify", vm_id)
        return ProofResult(True, None, "verified", vm_id)

    # -- the signature algorithm's hooks ---------------------------------------------

    def key_problem(self, key: AnyKey) -> str | None:
        """Why ``key`` cannot make or check this suite's proofs (None: it can)."""
        raise NotImplementedError

    def hash_for(self, key: AnyKey) -> str:
        return "sha256"

    def signature_length(self, key: AnyKey) -> int:
        raise NotImplementedError

    def sign_with(self, key: AnyKey, data: bytes) -> bytes:
        raise NotImplementedError

    def verify_with(self, key: AnyKey, signature: bytes, data: bytes) -> bool:
        raise NotImplementedError


class EddsaSuite(DataIntegritySuite):
    """``DataIntegrityProof`` + an EdDSA cryptosuite (and the legacy Ed25519Signature2020):
    Ed25519 keys, SHA-256, 64-byte signatures."""

    def key_problem(self, key: AnyKey) -> str | None:
        return None if isinstance(key, Ed25519Key) else f"{self.name} needs an Ed25519 key"

    def signature_length(self, key: AnyKey) -> int:
        return 64

    def sign_with(self, key: AnyKey, data: bytes) -> bytes:
        assert isinstance(key, Ed25519Key)
        return key.sign(data)

    def verify_with(self, key: AnyKey, signature: bytes, data: bytes) -> bool:
        return isinstance(key, Ed25519Key) and key.verify(signature, data)
