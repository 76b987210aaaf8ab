"""What every proof suite shares: options, the suite interface, key resolution, results."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mcbadge.errors import KeyFormatError, MCBadgeError
from mcbadge.jsonld import DocumentLoader
from mcbadge.keys import AnyKey, Ed25519Key, did_key_document, public_key_from_any_multibase

KeyResolver = Callable[[str], AnyKey]
"""Maps a ``verificationMethod`` id to the public key it names (raises if it cannot); each
suite checks the key is of its kind."""


class ProofError(MCBadgeError):
    """A proof could not be created, or a document is not fit to sign."""

    code = "PROOF_ERROR"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


@dataclass(frozen=True, slots=True)
class ProofOptions:
    """How to make a proof. ``created`` defaults to now (UTC, to the second) and
    ``verification_method`` to the key's (did:key ``#`` fragment by default)."""

    created: str | None = None
    verification_method: str | None = None
    proof_purpose: str = "assertionMethod"
    challenge: str | None = None
    """For an ``authentication`` proof (a presentation): the verifier's challenge."""
    domain: str | None = None
    """For an ``authentication`` proof: the verifier's domain."""
    mandatory_pointers: tuple[str, ...] = ()
    """For an ``ecdsa-sd-2023`` base proof: the JSON pointers every derived proof reveals."""
    loader: DocumentLoader | None = None
    """Contexts for JSON-LD suites; the bundled set when None."""


@dataclass(frozen=True, slots=True)
class ProofResult:
    """Whether one proof verified, and if not, why (a problem code and a message)."""

    verified: bool
    problem: str | None = None
    message: str = ""
    verification_method: str | None = None


class ProofSuite(Protocol):
    """A proof suite: one file each, registered by name in :mod:`mcbadge.proofs`."""

    name: str

    def prepare(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """The document to sign (a suite may add the context it needs)."""
        ...

    def key_problem(self, key: AnyKey) -> str | None:
        """Why ``key`` cannot make or check this suite's proofs (None: it can)."""
        ...

    def create_proof(
        self, document: Mapping[str, Any], key: AnyKey, options: ProofOptions
    ) -> dict[str, Any]: ...

    def verify_proof(
        self,
        document: Mapping[str, Any],
        proof: Mapping[str, Any],
        resolve_key: KeyResolver,
        loader: DocumentLoader | None = None,
    ) -> ProofResult: ...


def now_created() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=1024)
def resolve_did_key_any(verification_method: str) -> AnyKey:
    """Resolve a did:key verification method (Ed25519 ``z6Mk``, P-256 ``zDn``, P-384
    ``z82``) locally; memoized: the answer is a pure function of the string."""
    did, _, fragment = verification_method.partition("#")
    doc = did_key_document(did)
    vm = doc["verificationMethod"][0]
    if fragment and vm["id"] != verification_method:
        raise KeyFormatError(f"{verification_method!r} is not the key of {did}")
    if vm["publicKeyMultibase"].startswith("z6Mk"):
        return Ed25519Key.from_public_multibase(vm["publicKeyMultibase"], controller=did)
    return public_key_from_any_multibase(vm["publicKeyMultibase"])


def resolve_did_key(verification_method: str) -> Ed25519Key:
    """Resolve a ``did:key:z6Mk...#z6Mk...`` verification method locally (the Ed25519 keys
    the EdDSA suites use; :func:`resolve_did_key_any` also reads P-256 and P-384)."""
    key = resolve_did_key_any(verification_method)
    if not isinstance(key, Ed25519Key):
        raise KeyFormatError(f"{verification_method!r} is not an Ed25519 did:key")
    return key
