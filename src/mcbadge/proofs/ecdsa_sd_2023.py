"""``DataIntegrityProof`` with cryptosuite ``ecdsa-sd-2023`` (W3C vc-di-ecdsa §3.4):
selective disclosure with P-256.

- The issuer signs a **base proof** (:func:`mcbadge.proofs.sign` with
  ``mandatory_pointers``): the document's canonical N-Quads, blank nodes relabelled by an
  HMAC, split into mandatory statements (those the JSON pointers select, plus the ``id`` and
  ``type`` of every object on their way) hashed together, and every other statement signed
  on its own by a fresh per-proof P-256 key; the issuer's key signs the proof configuration,
  that key and the mandatory hash. A base proof is for the holder, not for verification.
- The holder **derives** a proof (:func:`derive`) revealing chosen JSON pointers: the reveal
  document holds the mandatory and chosen statements, the proof the base signature, the
  signatures of the revealed non-mandatory statements and the HMAC labels of the revealed
  blank nodes.
- The verifier checks the derived proof: every revealed non-mandatory statement against its
  signature, the mandatory ones (by index) against the base signature.

What it hides and does not: unrevealed statements are not in the document and cannot be
recovered (the HMAC key stays with the holder); the issuer, the proof's creation time and
the mandatory statements are always shown; the base signature and the per-proof key are the
same in every proof derived from one base proof, so two verifiers can tell that two shared
badges came from the same base proof (correlation by proof value).
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import cbor2

from mcbadge._private.multibase import P256_PUB, multibase_decode, multibase_encode
from mcbadge._private.rdfc import canonical_labels
from mcbadge.errors import MCBadgeError
from mcbadge.jsonld import DocumentLoader, canonical_nquads, default_document_loader
from mcbadge.keys import AnyKey, JwtKey, public_key_from_any_multibase
from mcbadge.proofs._base import KeyResolver, ProofError, ProofOptions, ProofResult, now_created
from mcbadge.proofs._ecdsa import EcdsaSuite
from mcbadge.proofs._sd import (
    SelectiveDisclosureError,
    b64url,
    b64url_decode,
    canonical_quads_of,
    canonicalize_and_group,
    hmac_label_factory,
    label_replacement_canonicalize,
    map_label_factory,
    parse_pointer,
    select_json_ld,
)

__all__ = ["OB_PRIVATE", "EcdsaSd2023", "derive", "reveal_except"]

OB_PRIVATE = ("/credentialSubject/result", "/evidence")
"""What the OB preset (``mcbadge derive --hide-results``) hides: the rubric results and the
evidence. The issuer, the achievement, the dates, the recipient and the rest stay."""

BASE_HEADER = b"\xd9\x5d\x00"
DERIVED_HEADER = b"\xd9\x5d\x01"
_FAIL = "PROOF_VERIFICATION_ERROR"
MAX_STATEMENTS = 10_000


def _cbor(value: Any) -> bytes:
    return bytes(cbor2.dumps(value, canonical=True))


def _uncbor(data: bytes) -> Any:
    def tags(_decoder: Any, tag: Any) -> Any:
        if tag.tag == 64 and isinstance(tag.value, bytes):  # a Uint8Array, as some encode it
            return tag.value
        raise SelectiveDisclosureError(f"unexpected CBOR tag {tag.tag}")
    try:
        return cbor2.loads(data, tag_hook=tags)
    except SelectiveDisclosureError:
        raise
    except Exception as exc:  # cbor2 raises many kinds on malformed input
        raise SelectiveDisclosureError(f"the proofValue is not valid CBOR: {exc}"[:200]) from None


def _proof_value_bytes(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("u"):
        raise SelectiveDisclosureError("an ecdsa-sd-2023 proofValue is base64url multibase "
                                       "('u' prefix)")
    return b64url_decode(value[1:])


def _bytes_list(value: Any, length: int | None, what: str) -> list[bytes]:
    if not isinstance(value, list) or not all(
            isinstance(v, bytes) and (length is None or len(v) == length) for v in value):
        raise SelectiveDisclosureError(f"{what} must be a list of byte strings"
                                       + (f" of {length} bytes" if length else ""))
    if len(value) > MAX_STATEMENTS:
        raise SelectiveDisclosureError(f"more than {MAX_STATEMENTS} {what}")
    return value


def parse_base(value: Any) -> tuple[bytes, bytes, bytes, list[bytes], list[str]]:
    """(base signature, per-proof public key, HMAC key, signatures, mandatory pointers)."""
    raw = _proof_value_bytes(value)
    if not raw.startswith(BASE_HEADER):
        raise SelectiveDisclosureError("not an ecdsa-sd-2023 base proof")
    items = _uncbor(raw[len(BASE_HEADER):])
    if not (isinstance(items, list) and len(items) == 5):
        raise SelectiveDisclosureError("a base proofValue holds five values")
    signature, public, key, signatures, pointers = items
    _check_bytes(signature, 64, "baseSignature")
    _check_bytes(public, 35, "publicKey")
    _check_bytes(key, 32, "hmacKey")
    if not (isinstance(pointers, list) and all(isinstance(p, str) for p in pointers)):
        raise SelectiveDisclosureError("mandatoryPointers must be a list of strings")
    return signature, public, key, _bytes_list(signatures, 64, "signatures"), pointers


def parse_derived(value: Any) -> tuple[bytes, bytes, list[bytes], dict[str, str], list[int]]:
    """(base signature, per-proof public key, signatures, label map, mandatory indexes)."""
    raw = _proof_value_bytes(value)
    if not raw.startswith(DERIVED_HEADER):
        if raw.startswith(BASE_HEADER):
            raise SelectiveDisclosureError(
                "this is an ecdsa-sd-2023 base proof: it is for the holder, who derives a "
                "proof to share (mcbadge derive); a base proof is not verified")
        raise SelectiveDisclosureError("not an ecdsa-sd-2023 derived proof")
    items = _uncbor(raw[len(DERIVED_HEADER):])
    if not (isinstance(items, list) and len(items) == 5):
        raise SelectiveDisclosureError("a derived proofValue holds five values")
    signature, public, signatures, compressed, indexes = items
    _check_bytes(signature, 64, "baseSignature")
    _check_bytes(public, 35, "publicKey")
    if not isinstance(compressed, dict) or not all(
            isinstance(k, int) and not isinstance(k, bool) and k >= 0
            and isinstance(v, bytes) for k, v in compressed.items()):
        raise SelectiveDisclosureError("the label map must map integers to byte strings")
    if len(compressed) > MAX_STATEMENTS:
        raise SelectiveDisclosureError(f"more than {MAX_STATEMENTS} labels")
    if not (isinstance(indexes, list) and all(isinstance(i, int) and not isinstance(i, bool)
                                              and i >= 0 for i in indexes)):
        raise SelectiveDisclosureError("mandatoryIndexes must be a list of integers")
    labels = {f"c14n{k}": "u" + b64url(v) for k, v in compressed.items()}
    return signature, public, _bytes_list(signatures, 64, "signatures"), labels, indexes


def _check_bytes(value: Any, length: int, what: str) -> None:
    if not (isinstance(value, bytes) and len(value) == length):
        raise SelectiveDisclosureError(f"{what} must be {length} bytes")


def _proof_key(public: bytes) -> JwtKey:
    if not public.startswith(P256_PUB):
        raise SelectiveDisclosureError("the per-proof key must be a P-256 Multikey")
    key = public_key_from_any_multibase(multibase_encode(public))
    assert isinstance(key, JwtKey)
    return key


def _public_bytes(key: JwtKey) -> bytes:
    return multibase_decode(key.public_key_multibase)


class EcdsaSd2023(EcdsaSuite):
    """The ecdsa-sd-2023 cryptosuite: base proofs (sign), derived proofs (verify)."""

    name = "ecdsa-sd-2023"

    def key_problem(self, key: AnyKey) -> str | None:
        if isinstance(key, JwtKey) and key.curve == "P-256":
            return None
        return "ecdsa-sd-2023 needs a P-256 key"

    def _proof_hash(self, document: Mapping[str, Any], config: Mapping[str, Any],
                    loader: DocumentLoader) -> bytes:
        with_context = dict(config)
        if "@context" in document:
            with_context["@context"] = document["@context"]
        return hashlib.sha256(canonical_nquads(with_context, loader).encode()).digest()

    def create_proof(self, document: Mapping[str, Any], key: AnyKey, options: ProofOptions,
                     ) -> dict[str, Any]:
        problem = self.key_problem(key)
        if problem is not None:
            raise ProofError(problem)
        assert isinstance(key, JwtKey)
        return self.base_proof(document, key, options)

    def base_proof(self, document: Mapping[str, Any], key: JwtKey, options: ProofOptions, *,
                   hmac_key: bytes | None = None, proof_key: JwtKey | None = None
                   ) -> dict[str, Any]:
        """The base proof (``hmac_key`` and ``proof_key`` only for reproducing vectors)."""
        loader = options.loader or default_document_loader()
        pointers = list(options.mandatory_pointers)
        for pointer in pointers:
            parse_pointer(pointer)
        config = self.proof_config(
            document, created=options.created or now_created(),
            verificationMethod=options.verification_method or key.verification_method,
            proofPurpose=options.proof_purpose)
        config.pop("@context", None)
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        proof_hash = self._proof_hash(unsecured, config, loader)
        secret = hmac_key if hmac_key is not None else secrets.token_bytes(32)
        grouped = canonicalize_and_group(unsecured, hmac_label_factory(secret),
                                         {"mandatory": pointers}, loader)
        group = grouped.groups["mandatory"]
        mandatory_hash = hashlib.sha256("".join(group.matching.values()).encode()).digest()
        local = proof_key or JwtKey.generate("p256")
        signatures = [local.sign_ecdsa(nq.encode()) for nq in group.non_matching.values()]
        public = _public_bytes(local)
        base_signature = key.sign_ecdsa(proof_hash + public + mandatory_hash)
        value = BASE_HEADER + _cbor([base_signature, public, secret, signatures, pointers])
        return {**config, "proofValue": "u" + b64url(value)}

    def verify_proof(self, document: Mapping[str, Any], proof: Mapping[str, Any],
                     resolve_key: KeyResolver, loader: DocumentLoader | None = None,
                     ) -> ProofResult:
        vm = proof.get("verificationMethod")
        vm_id = vm if isinstance(vm, str) else None
        if not self.handles(proof) or vm_id is None:
            return ProofResult(False, _FAIL, "not an ecdsa-sd-2023 proof with a "
                               "verificationMethod", vm_id)
        loader = loader or default_document_loader()
        try:
            signature, public, signatures, labels, indexes = parse_derived(
                proof.get("proofValue"))
            unsecured = {k: v for k, v in document.items() if k != "proof"}
            config = {k: v for k, v in proof.items() if k != "proofValue"}
            proof_hash = self._proof_hash(unsecured, config, loader)
            nquads, _ = label_replacement_canonicalize(
                canonical_quads_of(unsecured, loader), map_label_factory(labels))
            if len(set(indexes)) != len(indexes) or any(i >= len(nquads) for i in indexes):
                return ProofResult(False, _FAIL, "mandatoryIndexes do not fit the document",
                                   vm_id)
            chosen = set(indexes)
            mandatory = [nq for i, nq in enumerate(nquads) if i in chosen]
            others = [nq for i, nq in enumerate(nquads) if i not in chosen]
            key = resolve_key(vm_id)
        except MCBadgeError as exc:
            return ProofResult(False, exc.code if exc.code != "PROOF_ERROR" else _FAIL,
                               exc.message, vm_id)
        problem = self.key_problem(key)
        if problem is not None:
            return ProofResult(False, "INVALID_VERIFICATION_METHOD", f"{vm_id}: {problem}", vm_id)
        assert isinstance(key, JwtKey)
        if len(signatures) != len(others):
            return ProofResult(False, "INVALID_SIGNATURE", f"{len(signatures)} signatures for "
                               f"{len(others)} non-mandatory statements", vm_id)
        try:
            local = _proof_key(public)
        except MCBadgeError as exc:
            return ProofResult(False, "INVALID_SIGNATURE", exc.message, vm_id)
        for number, (nq, sig) in enumerate(zip(others, signatures, strict=True)):
            if not local.verify_ecdsa(sig, nq.encode()):
                return ProofResult(False, "INVALID_SIGNATURE", f"statement {number} of the "
                                   "disclosed ones does not match its signature", vm_id)
        mandatory_hash = hashlib.sha256("".join(mandatory).encode()).digest()
        if not key.verify_ecdsa(signature, proof_hash + public + mandatory_hash):
            return ProofResult(False, "INVALID_SIGNATURE", "the base signature does not verify "
                               "(the proof options or a mandatory statement changed)", vm_id)
        return ProofResult(True, None, "verified (derived proof)", vm_id)


def derive(document: Mapping[str, Any], reveal: Sequence[str], *,
           loader: DocumentLoader | None = None, proof_id: str | None = None
           ) -> dict[str, Any]:
    """From a document with an ``ecdsa-sd-2023`` base proof, the reveal document with a
    derived proof: the mandatory pointers, the ``reveal`` pointers, and the ``id``/``type``
    of every object on the way. Deterministic (the same inputs give the same proof)."""
    loader = loader or default_document_loader()
    proofs = document.get("proof")
    candidates = proofs if isinstance(proofs, list) else [proofs]
    bases = [p for p in candidates if isinstance(p, Mapping) and p.get("cryptosuite") ==
             "ecdsa-sd-2023" and (proof_id is None or p.get("id") == proof_id)]
    if len(bases) != 1:
        raise ProofError("no single ecdsa-sd-2023 base proof to derive from" +
                         ("" if proof_id is None else f" with id {proof_id!r}"))
    base = bases[0]
    try:
        signature, public, secret, signatures, mandatory_pointers = parse_base(
            base.get("proofValue"))
    except SelectiveDisclosureError as exc:
        raise ProofError(exc.message) from None
    selective = list(reveal)
    if not mandatory_pointers and not selective:
        raise ProofError("nothing selected for disclosure")
    combined = mandatory_pointers + selective
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    grouped = canonicalize_and_group(
        unsecured, hmac_label_factory(secret),
        {"mandatory": mandatory_pointers, "selective": selective, "combined": combined},
        loader)
    mandatory = grouped.groups["mandatory"].matching
    chosen = grouped.groups["selective"].matching
    mandatory_indexes = [relative for relative, absolute in
                         enumerate(grouped.groups["combined"].matching) if absolute in mandatory]
    non_mandatory = [i for i in range(len(grouped.nquads)) if i not in mandatory]
    if len(non_mandatory) != len(signatures):
        raise ProofError("the base proof's signatures do not fit this document")
    kept = [sig for index, sig in zip(non_mandatory, signatures, strict=True) if index in chosen]
    revealed = select_json_ld(combined, unsecured)
    assert revealed is not None
    verifier_labels = {
        label: grouped.labels[source]
        for source, label in canonical_labels(grouped.groups["combined"].deskolemized).items()}
    compressed = {int(label[4:]): b64url_decode(value[1:])
                  for label, value in verifier_labels.items()}
    value = DERIVED_HEADER + _cbor([signature, public, kept, compressed, mandatory_indexes])
    proof = {k: copy.deepcopy(v) for k, v in base.items() if k not in ("proofValue",
                                                                        "@context")}
    proof["proofValue"] = "u" + b64url(value)
    revealed["proof"] = proof
    return revealed


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def reveal_except(document: Mapping[str, Any], hide: Sequence[str] = OB_PRIVATE) -> list[str]:
    """JSON pointers revealing every member of ``document`` (and, one level down, of each
    object on a hidden pointer's way) but the ``hide`` pointers. With the default, the OB
    preset: everything but ``credentialSubject.result`` and ``evidence``."""
    hidden = [parse_pointer(p) for p in hide]
    out: list[str] = []

    def walk(node: Any, path: list[str | int], prefix: str) -> None:
        keys = range(len(node)) if isinstance(node, list) else [
            k for k in node if k not in ("@context", "proof")]
        for key in keys:
            here = [*path, key]
            pointer = f"{prefix}/{_escape(str(key))}"
            if any(h == here for h in hidden):
                continue
            inside = [h for h in hidden if len(h) > len(here) and h[:len(here)] == here]
            child = node[key]
            if inside and isinstance(child, Mapping | list):
                walk(child, here, pointer)
            else:
                out.append(pointer)

    walk(document, [], "")
    return out
