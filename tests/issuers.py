"""Test issuers: keys, the documents their servers would answer, and signed badges."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from mcbadge.keys import Ed25519Key, did_web_document, key_to_jwk
from mcbadge.proofs import sign
from mcbadge.resolve import Fetcher
from mcbadge.status import Bitstring

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def profile(issuer: str, methods: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The issuer profile an https issuer serves, listing (method id, multibase key)."""
    vms = [{"id": m, "type": "Multikey", "controller": issuer, "publicKeyMultibase": k}
           for m, k in methods]
    return {"@context": [V2, OB], "id": issuer, "type": ["Profile"], "name": "Issuer",
            "verificationMethod": vms, "assertionMethod": [vm["id"] for vm in vms]}


def publisher_documents(*docs: Mapping[str, Any]) -> dict[str, Any]:
    """Profiles for every https issuer in ``docs`` (nested ones too) that signs with a key
    written into its verification method's fragment, as the 1EdTech fixtures do."""
    found: dict[str, dict[str, str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, Mapping):
            return
        issuer = node.get("issuer")
        issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        proofs = node.get("proof")
        for proof in proofs if isinstance(proofs, list) else [proofs]:
            vm = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
            if (isinstance(issuer, str) and issuer.startswith("https://")
                    and isinstance(vm, str) and any(f"#{p}" in vm for p in ("z6Mk", "zDn", "z82"))):
                found.setdefault(issuer, {})[vm] = vm.split("#", 1)[1]
        for value in node.values():
            walk(value)

    for doc in docs:
        walk(doc)
    return {issuer: profile(issuer, methods.items()) for issuer, methods in found.items()}


def jwks_for(issuer: str, *jwks: Mapping[str, Any]) -> dict[str, Any]:
    return {f"https://{urlsplit(issuer).netloc}/.well-known/jwks.json": {"keys": list(jwks)}}


def offline(*documents: Mapping[str, Any]) -> Fetcher:
    merged: dict[str, Any] = {}
    for docs in documents:
        merged.update(docs)
    return Fetcher(documents=merged, offline=True)


class Issuer:
    """An https issuer with one Ed25519 key and a status list."""

    def __init__(self, url: str = "https://badges.district.example/issuers/pd",
                 seed: int = 7) -> None:
        self.id = url
        self.key = Ed25519Key.from_seed(bytes([seed]) * 32)
        self.method = f"{url}#key-1"
        self.list_url = f"{url}/status/1"
        self.bits = Bitstring.new()

    def documents(self) -> dict[str, Any]:
        docs = {self.id: profile(self.id, [(self.method, self.key.public_key_multibase)])}
        docs[self.list_url] = self.status_list()
        return docs

    def credential(self, **extra: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": [V2, OB],
            "id": "urn:uuid:3c0f3a55-2b4b-4b8e-9c0e-7b7b5c2d1f01",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": self.id, "type": ["Profile"], "name": "Example District PD"},
            "validFrom": "2026-01-01T00:00:00Z",
            "name": "Classroom Community",
            "credentialSubject": {
                "type": ["AchievementSubject"],
                "id": "did:example:educator-411",
                "achievement": {
                    "id": "https://badges.district.example/achievements/community",
                    "type": ["Achievement"], "name": "Classroom Community",
                    "description": "Builds a classroom where every student belongs.",
                    "criteria": {"narrative": "Video, reflection and student work."},
                },
            },
        }
        doc.update(extra)
        return doc

    def status_entry(self, index: int, purpose: str = "revocation") -> dict[str, Any]:
        return {"id": f"{self.list_url}#{index}", "type": "BitstringStatusListEntry",
                "statusPurpose": purpose, "statusListIndex": str(index),
                "statusListCredential": self.list_url}

    def status_list(self, purpose: str = "revocation") -> dict[str, Any]:
        unsigned = {
            "@context": [V2], "id": self.list_url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.id, "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": f"{self.list_url}#list", "type": "BitstringStatusList",
                                  "statusPurpose": purpose, "encodedList": self.bits.encode()},
        }
        return self.sign(unsigned)

    def sign(self, doc: Mapping[str, Any], suite: str = "eddsa-rdfc-2022") -> dict[str, Any]:
        return sign(copy.deepcopy(dict(doc)), self.key, suite=suite,
                    verification_method=self.method, created="2026-01-01T00:00:00Z")

    def jwk(self) -> dict[str, Any]:
        return key_to_jwk(self.key)


def did_web_issuer(did: str = "did:web:badges.district.example:pd",
                   seed: int = 9) -> tuple[str, Ed25519Key, dict[str, Any]]:
    key = Ed25519Key.from_seed(bytes([seed]) * 32)
    from mcbadge.keys import did_web_to_url

    return did, key, {did_web_to_url(did): did_web_document(did, [key])}
