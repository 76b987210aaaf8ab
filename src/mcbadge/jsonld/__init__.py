"""Offline JSON-LD: the bundled, hash-pinned contexts and the document loader that serves them.

mcbadge never fetches a JSON-LD context from the network. Every context a document may use is
either bundled with the package (see :data:`BUNDLED_CONTEXT_URLS`; each file is checked against
its pinned SHA-256 before first use) or registered explicitly by the caller for one loader::

    from mcbadge.jsonld import DocumentLoader

    loader = DocumentLoader()                               # bundled contexts only
    loader = DocumentLoader(extra_contexts={url: doc})      # plus one you trust

    loader.load("https://www.w3.org/ns/credentials/v2")     # -> the parsed context
    loader("https://example.org/unknown", {})               # raises UnknownContextError

A :class:`DocumentLoader` is a pyld document loader (callable as ``loader(url, options)``).
Bundled contexts are returned tagged ``static`` so pyld keeps their processed form between
operations; contexts registered per loader are not tagged, so they never leak into another
loader's view. Use :meth:`DocumentLoader.pyld_options` to get pyld options that keep that
processed-context cache private to mcbadge.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from mcbadge.errors import ContextConflictError, ContextIntegrityError, UnknownContextError
from mcbadge.jsonld._pins import KNOWN_EDITIONS, PINNED_CONTEXTS

__all__ = [
    "BUNDLED_CONTEXT_URLS",
    "CREDENTIALS_V1",
    "CREDENTIALS_V2",
    "OB_V3P0_CONTEXT",
    "DocumentLoader",
    "bundled_context",
    "canonical_nquads",
    "default_document_loader",
    "expand_safely",
]

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
"""The VC Data Model 2.0 base context."""
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
"""The VC Data Model 1.1 base context (read for VC 1.1-era credentials)."""
OB_V3P0_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
"""The current Open Badges 3.0 context (3.0.3)."""

BUNDLED_CONTEXT_URLS: frozenset[str] = frozenset(PINNED_CONTEXTS)
"""Every context URL mcbadge can resolve without being told about it."""

_CONTEXTS_PACKAGE = "mcbadge.jsonld"


@functools.cache
def _bundled_bytes(url: str) -> bytes:
    filename, sha256 = PINNED_CONTEXTS[url]
    data = resources.files(_CONTEXTS_PACKAGE).joinpath("contexts", filename).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ContextIntegrityError(
            f"bundled context {url!r} ({filename}) has SHA-256 {digest}, expected {sha256}: "
            "the mcbadge installation is corrupted; reinstall it"
        )
    return data


@functools.cache
def _bundled_parsed(url: str) -> Any:
    return json.loads(_bundled_bytes(url))


def _known_edition(url: str, value: object) -> bool:
    """Whether ``value`` (bytes or text) is an edition of ``url`` mcbadge knows."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes | bytearray):
        return False
    return hashlib.sha256(bytes(value)).hexdigest() in KNOWN_EDITIONS.get(url, {})


def bundled_context(url: str) -> dict[str, Any]:
    """Return a fresh copy of the bundled context document published at ``url``.

    Raises :class:`~mcbadge.errors.UnknownContextError` if ``url`` is not bundled.
    """
    if url not in PINNED_CONTEXTS:
        raise UnknownContextError(url)
    doc: dict[str, Any] = copy.deepcopy(_bundled_parsed(url))
    return doc


def _coerce_context(url: str, value: object) -> dict[str, Any]:
    """Accept a parsed context, JSON text/bytes, or a path to a JSON file."""
    if isinstance(value, Path):
        value = value.read_bytes()
    if isinstance(value, str | bytes | bytearray):
        try:
            value = json.loads(value)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ContextConflictError(
                f"context registered for {url!r} is not JSON: {exc}"
            ) from exc
    if not isinstance(value, Mapping) or "@context" not in value:
        raise ContextConflictError(
            f"context registered for {url!r} must be a JSON object with an '@context' member"
        )
    return copy.deepcopy(dict(value))


class DocumentLoader:
    """A JSON-LD document loader that serves the bundled contexts and nothing else.

    Args:
        extra_contexts: contexts the caller trusts, keyed by the URL documents use for them.
            Values may be the parsed document, its JSON text or bytes, or a
            :class:`~pathlib.Path` to it. A bundled URL may be registered only with identical
            content (otherwise :class:`~mcbadge.errors.ContextConflictError`).

    Calling the loader with any other URL raises
    :class:`~mcbadge.errors.UnknownContextError` naming that URL. No network, ever.
    """

    __slots__ = ("_extra", "_vocabulary")

    def __init__(self, extra_contexts: Mapping[str, object] | None = None) -> None:
        extra: dict[str, dict[str, Any]] = {}
        for url, given in (extra_contexts or {}).items():
            value = given.read_bytes() if isinstance(given, Path) else given  # read once
            doc = _coerce_context(url, value)
            if url in PINNED_CONTEXTS:
                if doc != _bundled_parsed(url) and not _known_edition(url, value):
                    raise ContextConflictError(
                        f"{url!r} is a bundled context; it cannot be replaced by a different "
                        "document"
                    )
                continue
            extra[url] = doc
        self._extra = extra
        self._vocabulary: Any = None  # what the contexts define (mcbadge.jsonld._plain)

    @property
    def extra_context_urls(self) -> frozenset[str]:
        """The URLs registered on this loader beyond the bundled set."""
        return frozenset(self._extra)

    def knows(self, url: str) -> bool:
        """Whether this loader can serve ``url`` (bundled or registered)."""
        return url in PINNED_CONTEXTS or url in self._extra

    def load(self, url: str) -> dict[str, Any]:
        """Return a fresh copy of the context document for ``url``."""
        if url in self._extra:
            return copy.deepcopy(self._extra[url])
        return bundled_context(url)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """pyld's document loader protocol: return a RemoteDocument for ``url``."""
        document = self.load(url)
        remote: dict[str, Any] = {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
        }
        if url in PINNED_CONTEXTS:
            # pyld caches processed contexts across operations only when tagged static.
            remote["tag"] = "static"
        return remote

    def pyld_options(self, **options: Any) -> dict[str, Any]:
        """pyld options that use this loader and mcbadge's private processed-context cache.

        The cache is shared by all mcbadge loaders but holds only bundled contexts, so a
        context registered on one loader is never seen by another, and other pyld users in
        the same process cannot poison what mcbadge resolves.
        """
        from pyld.context_resolver import ContextResolver

        options["documentLoader"] = self
        options["contextResolver"] = ContextResolver(_shared_resolved_cache(), self)
        return options

    def __repr__(self) -> str:
        return f"DocumentLoader(extra_contexts={sorted(self._extra)!r})"


@functools.cache
def _shared_resolved_cache() -> Any:
    from cachetools import LRUCache

    return LRUCache(maxsize=256)


@functools.cache
def default_document_loader() -> DocumentLoader:
    """The process-wide loader with only the bundled contexts."""
    return DocumentLoader()


from mcbadge.jsonld._canon import canonical_nquads, expand_safely  # noqa: E402
