"""Turning a verification method (or a JWT ``kid``) into a public key, and tying keys to
issuers. Every network read goes through the run's :class:`~mcbadge.resolve.Fetcher`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mcbadge.errors import FetchError, KeyFormatError, KeyResolutionError, MCBadgeError
from mcbadge.keys import (
    AnyKey,
    Ed25519Key,
    did_key_document,
    did_web_to_url,
    key_from_jwk,
    key_to_jwk,
    public_key_from_any_multibase,
)
from mcbadge.proofs._base import resolve_did_key_any
from mcbadge.resolve._fetch import Fetcher

DID_ACCEPT = "application/did+json, application/did+ld+json, application/json"
PROFILE_ACCEPT = "application/ld+json, application/json"
JWKS_ACCEPT = "application/jwk-set+json, application/json"


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    """A public key and what is known about who controls it."""

    key: AnyKey
    method: str
    """The verification method id (or JWT kid) it was resolved from."""
    controller: str | None
    document: str | None = None
    """URL of the document the key was read from (None: the id itself carries the key)."""
    for_assertion: bool | None = None
    """Listed under ``assertionMethod`` by its document (None: the document says nothing)."""


def _ids(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _absolute(ref: Any, base: str) -> Any:
    return base + ref if isinstance(ref, str) and ref.startswith("#") else ref


def _key_from_method(vm: Mapping[str, Any], where: str) -> AnyKey:
    try:
        if isinstance(vm.get("publicKeyMultibase"), str):
            return public_key_from_any_multibase(vm["publicKeyMultibase"])
        if isinstance(vm.get("publicKeyJwk"), Mapping):
            if "d" in vm["publicKeyJwk"]:
                raise KeyResolutionError(f"{where} publishes a private key; refusing it")
            return key_from_jwk(vm["publicKeyJwk"])
    except KeyFormatError as exc:
        raise KeyResolutionError(f"{where}: {exc.message}") from None
    raise KeyResolutionError(f"{where} has neither publicKeyMultibase nor publicKeyJwk",
                             "VERIFICATION_METHOD_NOT_FOUND")


def _find_method(doc: Mapping[str, Any], method: str, base: str) -> Mapping[str, Any] | None:
    for key in ("verificationMethod", "assertionMethod"):
        for entry in _ids(doc.get(key)):
            if isinstance(entry, Mapping) and _absolute(entry.get("id"), base) == method:
                return entry
    return None


_RELATIONSHIPS = ("authentication", "capabilityInvocation", "capabilityDelegation",
                  "keyAgreement")


def _lists(doc: Mapping[str, Any], relationship: str, method: str, base: str) -> bool:
    for entry in _ids(doc.get(relationship)):
        ref = entry.get("id") if isinstance(entry, Mapping) else entry
        if _absolute(ref, base) == method:
            return True
    return False


def _listed_for_assertion(doc: Mapping[str, Any], method: str, base: str,
                          *, required: bool = False) -> bool | None:
    """True: listed under ``assertionMethod``; False: not, while the document lists it (or
    requires it) for another purpose; None: the document names no purposes at all."""
    if _lists(doc, "assertionMethod", method, base):
        return True
    if required or "assertionMethod" in doc:
        return False
    if any(_lists(doc, rel, method, base) for rel in _RELATIONSHIPS):
        return False  # listed only for authentication (or another purpose): not for VCs
    return None


def _fragment_key(method: str) -> Ed25519Key | None:
    base, sep, fragment = method.partition("#")
    if not sep or not fragment.startswith("z6Mk") or ":" not in base:
        return None
    try:
        return Ed25519Key.from_public_multibase(fragment)
    except (KeyFormatError, ValueError):
        return None


def _jwk_at(doc: Mapping[str, Any], method: str) -> Mapping[str, Any] | None:
    if "kty" in doc:
        return doc
    keys = doc.get("keys")
    fragment = method.partition("#")[2]
    if isinstance(keys, list) and fragment:
        for jwk in keys:
            if isinstance(jwk, Mapping) and jwk.get("kid") in (fragment, method):
                return jwk
    return None


def same_key(a: AnyKey, b: AnyKey) -> bool:
    pa, pb = key_to_jwk(a), key_to_jwk(b)
    return all(pa.get(m) == pb.get(m) for m in ("kty", "crv", "x", "y", "n", "e"))


class KeyDirectory:
    """Resolves and caches verification methods for one verification run."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._cache: dict[str, ResolvedKey | MCBadgeError] = {}

    # -- resolution ---------------------------------------------------------------------

    def resolve(self, method: str) -> ResolvedKey:
        hit = self._cache.get(method)
        if hit is None:
            try:
                hit = self._resolve(method)
            except MCBadgeError as exc:
                hit = exc
            self._cache[method] = hit
        if isinstance(hit, MCBadgeError):
            raise hit
        return hit

    def ed25519(self, method: str) -> Ed25519Key:
        """A :data:`~mcbadge.proofs.KeyResolver` for the Data Integrity suites."""
        key = self.resolve(method).key
        if not isinstance(key, Ed25519Key):
            raise KeyResolutionError(f"{method} is not an Ed25519 key")
        return key

    def any_key(self, method: str) -> AnyKey:
        """A :data:`~mcbadge.proofs.KeyResolver` for every Data Integrity suite (each suite
        checks the key is of its kind: Ed25519 for EdDSA, P-256 / P-384 for ECDSA)."""
        return self.resolve(method).key

    def jwt_key(self, kid: str) -> AnyKey:
        return self.resolve(kid).key

    def _resolve(self, method: str) -> ResolvedKey:
        if not isinstance(method, str) or not method:
            raise KeyResolutionError("the proof names no verificationMethod")
        if method.startswith("did:key:"):
            try:
                key = resolve_did_key_any(method)
            except KeyFormatError as exc:
                raise KeyResolutionError(f"{method}: {exc.message}") from None
            return ResolvedKey(key, method, method.partition("#")[0], None, True)
        if method.startswith("did:web:"):
            return self._did_web(method)
        if method.startswith("did:"):
            name = method.split(":")[1]
            raise KeyResolutionError(f"unsupported DID method did:{name} ({method})")
        fragment_key = _fragment_key(method)
        if fragment_key is not None:
            return ResolvedKey(fragment_key, method, method.partition("#")[0])
        if urlsplit(method).scheme in ("https", "http"):
            return self._url_method(method)
        raise KeyResolutionError(
            f"{method!r} is not a did:key, did:web or https verification method")

    def _did_web(self, method: str) -> ResolvedKey:
        did = method.partition("#")[0]
        url, doc = self._did_web_document(did)
        vm = _find_method(doc, method, did)
        if vm is None:
            raise KeyResolutionError(f"the DID document of {did} does not list {method}",
                                     "VERIFICATION_METHOD_NOT_FOUND")
        controller = vm.get("controller", did)
        return ResolvedKey(_key_from_method(vm, method), method,
                           controller if isinstance(controller, str) else None, url,
                           _listed_for_assertion(doc, method, did, required=True))

    def _did_web_document(self, did: str) -> tuple[str, Mapping[str, Any]]:
        """(its URL, the DID document of ``did``), or KeyResolutionError."""
        try:
            url = did_web_to_url(did)
        except KeyFormatError as exc:
            raise KeyResolutionError(exc.message) from None
        try:
            doc = self.fetcher.get_json(url, accept=DID_ACCEPT)
        except FetchError as exc:
            raise KeyResolutionError(f"cannot resolve {did}: {exc.message}",
                                     "DID_WEB_UNRESOLVED") from None
        if not isinstance(doc, Mapping) or doc.get("id") != did:
            raise KeyResolutionError(f"{url} is not the DID document of {did}",
                                     "DID_WEB_UNRESOLVED")
        return url, doc

    def _url_method(self, method: str) -> ResolvedKey:
        base = method.partition("#")[0]
        try:
            doc = self.fetcher.get_json(base, accept=PROFILE_ACCEPT)
        except FetchError as exc:
            raise KeyResolutionError(f"cannot fetch verification method {method}: {exc.message}",
                                     "VERIFICATION_METHOD_NOT_FOUND") from None
        if not isinstance(doc, Mapping):
            raise KeyResolutionError(f"{base} is not a JSON object",
                                     "VERIFICATION_METHOD_NOT_FOUND")
        jwk = _jwk_at(doc, method)
        if jwk is not None:  # a JWT kid that dereferences to a JWK (or a JWK set entry)
            return ResolvedKey(_key_from_method({"publicKeyJwk": jwk}, method), method, None,
                               base)
        if doc.get("id") == method or ("#" not in method and "controller" in doc):
            vm: Mapping[str, Any] | None = doc
        else:
            vm = _find_method(doc, method, base)
        if vm is None:
            raise KeyResolutionError(f"{base} does not list {method}",
                                     "VERIFICATION_METHOD_NOT_FOUND")
        controller = vm.get("controller", doc.get("id", base))
        return ResolvedKey(_key_from_method(vm, method), method,
                           controller if isinstance(controller, str) else None, base,
                           _listed_for_assertion(doc, method, base))

    # -- binding ------------------------------------------------------------------------

    def profile_lists(self, issuer: str, resolved: ResolvedKey) -> bool:
        """Whether the issuer's own profile lists the key (by method id or key value).
        Raises FetchError when the profile cannot be fetched."""
        doc = self.fetcher.get_json(issuer, accept=PROFILE_ACCEPT)
        if not isinstance(doc, Mapping) or doc.get("id") != issuer:
            raise FetchError(f"{issuer} did not return the issuer's profile", issuer)
        for field in ("verificationMethod", "assertionMethod"):
            for entry in _ids(doc.get(field)):
                ref = entry.get("id") if isinstance(entry, Mapping) else entry
                if _absolute(ref, issuer) == resolved.method:
                    return True
                if isinstance(entry, Mapping):
                    try:
                        if same_key(_key_from_method(entry, issuer), resolved.key):
                            return True
                    except MCBadgeError:
                        continue
        return False

    def did_lists_for_assertion(self, did: str, key: AnyKey) -> str | None:
        """The id of the verification method under which ``did``'s DID document lists
        ``key`` for ``assertionMethod``, or None. A did:key lists exactly its own key. Raises
        KeyResolutionError when the DID cannot be resolved."""
        if did.startswith("did:key:"):
            try:
                own = resolve_did_key_any(did)
            except KeyFormatError as exc:
                raise KeyResolutionError(f"{did}: {exc.message}") from None
            return did_key_document(did)["assertionMethod"][0] if same_key(own, key) else None
        if not did.startswith("did:web:"):
            name = did.split(":")[1] if did.count(":") >= 2 else did
            raise KeyResolutionError(f"unsupported DID method did:{name} ({did})")
        _, doc = self._did_web_document(did)
        for entry in _ids(doc.get("assertionMethod")):
            if isinstance(entry, Mapping):
                vm: Mapping[str, Any] | None = entry
                ref = entry.get("id")
            else:
                ref = _absolute(entry, did)
                vm = _find_method(doc, ref, did) if isinstance(ref, str) else None
            if vm is None:
                continue
            controller = vm.get("controller", did)
            if controller != did:
                continue  # a key another controller holds is not the issuer's own
            try:
                if same_key(_key_from_method(vm, str(ref)), key):
                    return str(_absolute(ref, did))
            except MCBadgeError:
                continue
        return None

    def jwks_lists(self, issuer: str, key: AnyKey, kid: str | None) -> bool:
        """Whether ``https://{authority of issuer}/.well-known/jwks.json`` holds ``key``.
        Raises FetchError when it cannot be fetched."""
        parts = urlsplit(issuer)
        url = f"https://{parts.netloc}/.well-known/jwks.json"
        doc = self.fetcher.get_json(url, accept=JWKS_ACCEPT)
        keys = doc.get("keys") if isinstance(doc, Mapping) else None
        if not isinstance(keys, list):
            raise FetchError(f"{url} is not a JWK set", url)
        for jwk in keys:
            if not isinstance(jwk, Mapping) or "d" in jwk:
                continue
            if "iss" in jwk and jwk["iss"] != issuer:
                continue
            if kid is not None and "kid" in jwk and jwk["kid"] not in (kid, kid.partition("#")[2]):
                continue
            try:
                if same_key(key_from_jwk(jwk), key):
                    return True
            except MCBadgeError:
                continue
        return False
