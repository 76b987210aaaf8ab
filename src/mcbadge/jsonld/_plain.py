"""The plain form: the only JSON shapes of a credential that mcbadge will interpret.

A Data Integrity proof signs the RDF graph of a document, and JSON-LD can write one graph in
many JSON shapes. The checks after the signature read plain JSON members (``validUntil``,
``credentialStatus``, ``issuer``...), so a shape in which a signed statement sits where those
reads do not look (``@nest``, ``@included``, an alias, a full-IRI key, a term redefined by an
inline context, a node described in two places) would let a verifier report what the graph
does not say. mcbadge refuses such documents instead of interpreting them: what is left is
the plain compacted form, in which every member a check reads is exactly the statement the
signature covers.

This module holds the part of the rule that needs no JSON-LD expansion and so runs before
the signature, in time linear in the document (:func:`check_plain_form`); the part that
needs the expansion (what each key expands to, nodes described twice, IRIs the RDF
conversion would drop) is in :mod:`mcbadge.jsonld._canon` (:func:`check_signed_view`).

The rule, for a credential and every credential embedded in it:

- ``@context`` is a list of at most :data:`MAX_CONTEXTS` entries, each a bundled (or
  registered) URL or a small inline context that only adds new terms: each a name no bundled
  context defines, mapped to an absolute IRI that no bundled term uses, with at most ``@id``,
  ``@type`` (``@id`` or a datatype IRI) and ``@container: @set``; ``@version: 1.1`` and
  ``@protected`` are allowed; nothing else (no ``@vocab``, ``@base``, ``@import``, keyword
  aliases, null mappings, scoped contexts).
- ``@context`` appears only at the root of a credential (or presentation).
- No other key starts with ``@`` (``@id``, ``@type``, ``@nest``, ``@included``, ``@graph``,
  ``@reverse``, ``@index``, ``@set``, ``@list``, ``@json``, and keyword-like keys such as
  ``@honors``), and no key contains ``:`` (compact and absolute IRIs as keys).
- A JSON object with ``@value`` is a language value: ``@value`` (a string) with ``@language``
  (a well-formed tag) and/or ``@direction`` (``ltr``/``rtl``), nothing else.
- No ``null`` member values (JSON-LD drops them: nothing would sign them).
- No array directly inside an array; ``id`` is a string and never a blank node label
  (``_:``); ``type`` is a string or a list of strings.
- Values of ``@json`` terms (``jsonSchema``, ``publicKeyJwk``...) are JSON literals: not read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from mcbadge._private.bounded import BoundedMemo
from mcbadge.errors import JsonLdFormError
from mcbadge.jsonld._templates import Shape, leaves_under

__all__ = [
    "MAX_CONTEXTS",
    "MAX_INLINE_TERMS",
    "check_plain_form",
    "inline_terms",
]

MAX_CONTEXTS = 16
"""Most ``@context`` entries a credential may list."""
MAX_INLINE_TERMS = 64
"""Most terms one inline context may define."""

_LANGUAGE_RE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*\Z")
_INLINE_KEYWORDS = frozenset({"@version", "@protected"})
_VALUE_KEYS = frozenset({"@value", "@language", "@direction"})
_TERM_DEFINITION_KEYS = frozenset({"@id", "@type", "@container"})
_CREDENTIAL_TYPES = frozenset({
    "VerifiableCredential", "VerifiablePresentation", "EnvelopedVerifiableCredential",
})


def _ptr(path: str, key: str | int) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _fail(path: str, message: str) -> JsonLdFormError:
    return JsonLdFormError(f"{path or '/'}: {message}", [path or "/"])


# ---------------------------------------------------------------------------- contexts


def _types(node: Mapping[str, Any]) -> list[Any]:
    kind = node.get("type")
    return [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []


def unwrap_inline(entry: Any) -> Any:
    """An inline context written as ``{"@context": {...}}`` (the form of a context
    document, which pyld and jsonld.js both read as the context inside) as that context."""
    if isinstance(entry, Mapping) and len(entry) == 1 and isinstance(entry.get("@context"),
                                                                     Mapping):
        return entry["@context"]
    return entry


def inline_terms(context: Any) -> Iterator[str]:
    """The terms the inline (object) entries of a ``@context`` value define."""
    entries = context if isinstance(context, list) else [context]
    for entry in map(unwrap_inline, entries):
        if isinstance(entry, Mapping):
            yield from (k for k in entry if not k.startswith("@"))


def _check_term_definition(term: str, value: Any, where: str,
                           bundled_terms: frozenset[str]) -> None:
    if term.startswith("@"):
        raise _fail(where, f"an inline context may not set {term}")
    if not term or ":" in term or term.strip() != term:
        raise _fail(where, f"inline term {term!r} is not a plain name")
    if term in bundled_terms:
        raise _fail(where, f"an inline context may not redefine {term!r}, which the "
                    "bundled contexts define")
    target = value
    if isinstance(value, Mapping):
        extra = set(value) - _TERM_DEFINITION_KEYS
        if extra:
            raise _fail(where, f"inline term {term!r} uses {sorted(extra)[0]}; only @id, "
                        "@type and @container: @set are allowed")
        target = value.get("@id")
        kind = value.get("@type")
        if kind is not None and (not isinstance(kind, str) or
                                 (kind.startswith("@") and kind != "@id")):
            raise _fail(where, f"inline term {term!r} has @type {kind!r}; only @id or a "
                        "datatype IRI is allowed")
        if "@container" in value and value["@container"] != "@set":
            raise _fail(where, f"inline term {term!r} has a @container other than @set")
    if target is None:
        raise _fail(where, f"inline term {term!r} is mapped to null (its values would be "
                    "dropped unsigned)")
    if isinstance(target, str) and target.startswith("@"):
        raise _fail(where, f"inline term {term!r} aliases the keyword {target}; keyword "
                    "aliases are not allowed")
    if not isinstance(target, str):
        raise _fail(where, f"inline term {term!r} must map to an IRI, not {target!r}")
    if ":" not in target or target.startswith("_:"):
        raise _fail(where, f"inline term {term!r} must map to an absolute IRI, not {target!r}")


def check_context(context: Any, path: str, loader: Any) -> None:
    """The ``@context`` rule (see the module doc). Raises JsonLdFormError, or
    UnknownContextError for a URL that is neither bundled nor registered."""
    from mcbadge.errors import UnknownContextError

    where = _ptr(path, "@context")
    if not isinstance(context, list) or not context:
        raise _fail(where, "@context must be a non-empty list")
    if len(context) > MAX_CONTEXTS:
        raise _fail(where, f"{len(context)} @context entries; at most {MAX_CONTEXTS}")
    bundled_terms = vocabulary(loader).terms
    for i, entry in enumerate(context):
        at = _ptr(where, i)
        if isinstance(entry, str):
            if not loader.knows(entry):
                raise UnknownContextError(entry)
            continue
        if not isinstance(entry, Mapping):
            raise _fail(at, "a @context entry must be a URL or an object")
        if unwrap_inline(entry) is not entry:
            entry, at = unwrap_inline(entry), _ptr(at, "@context")
        if len(entry) > MAX_INLINE_TERMS:
            raise _fail(at, f"inline context defines {len(entry)} terms; at most "
                        f"{MAX_INLINE_TERMS}")
        for term, value in entry.items():
            if term in _INLINE_KEYWORDS:
                if term == "@version" and value != 1.1:
                    raise _fail(at, "@version must be 1.1")
                if term == "@protected" and not isinstance(value, bool):
                    raise _fail(at, "@protected must be true or false")
                continue
            _check_term_definition(term, value, _ptr(at, term), bundled_terms)
    if any(isinstance(entry, Mapping) for entry in context):
        _check_inline_iris(context, where, loader)


def _check_inline_iris(context: list[Any], where: str, loader: Any) -> None:
    """What each inline term really maps to (compact IRIs expanded by the contexts before
    it) must be an absolute IRI that no bundled term uses."""
    from pyld import jsonld

    processor = jsonld.JsonLdProcessor()
    options = loader.pyld_options(base=None, processingMode="json-ld-1.1")
    try:
        active = processor.process_context(processor._get_initial_context(options),
                                           context, options)
    except jsonld.JsonLdError as exc:
        raise _fail(where, f"the contexts cannot be processed: "
                    f"{str(exc).splitlines()[0][:200]}") from None
    known = vocabulary(loader).iris
    for term in inline_terms(context):
        definition = active.get("mappings", {}).get(term)
        iri = definition.get("@id") if isinstance(definition, Mapping) else None
        if not isinstance(iri, str) or not is_absolute_iri(iri):
            raise _fail(_ptr(where, term), f"inline term {term!r} does not map to an "
                        "absolute IRI")
        if iri in known:
            raise _fail(_ptr(where, term), f"inline term {term!r} maps to {iri}, which a "
                        "bundled term already names (an alias)")


_ABSOLUTE_IRI_RE = re.compile(r"(?:[A-Za-z][A-Za-z0-9+,.-]*|_):[^\s\ufeff]*\Z")


@functools.lru_cache(maxsize=16384)
def is_absolute_iri(iri: str) -> bool:
    """Whether both pyld and jsonld.js keep ``iri`` in RDF: a scheme (or ``_``), a colon,
    and no character either takes for white space (Python's ``str.isspace`` or
    ECMAScript's ``\\s``, which adds U+FEFF), not even at the very end."""
    return _ABSOLUTE_IRI_RE.match(iri) is not None


# ----------------------------------------------------------------------------- document


Trail = tuple[Any, str | int] | None
"""A path built only when needed: (the parent's trail, this step)."""


def _path(trail: Trail) -> str:
    steps: list[str | int] = []
    while trail is not None:
        trail, step = trail
        steps.append(step)
    out = ""
    for step in reversed(steps):
        out = _ptr(out, step)
    return out


MAX_PASSED_SHAPES = 256
"""Most shapes :func:`check_plain_form` remembers as passed (per process)."""
_passed: BoundedMemo[tuple[int, Any], tuple[Any, tuple[int, ...]]] = BoundedMemo(
    MAX_PASSED_SHAPES)


def check_plain_form(document: Mapping[str, Any], loader: Any,
                     shape: Shape | None = None) -> None:
    """Refuse ``document`` unless it is in the plain form (module doc), checking only its
    JSON: linear in its size, no JSON-LD processing beyond the bundled term list.

    ``shape``: ``document``'s (``_templates.shape_of``), when the caller has it. The rule
    reads a document's member names, its kinds of values, its ``@context``, ``type``,
    ``@language`` and ``@direction`` strings (all in the shape) and, of its leaf strings,
    only whether an ``id`` starts with ``_:``. So once a document of a shape has passed
    with a loader, another of that shape passes with it unless a leaf under an ``id``
    member starts with ``_:`` (that one is checked in full, to name the path).

    Raises :class:`~mcbadge.errors.JsonLdFormError` naming the first offending path.
    """
    if shape is None:
        _check_plain_form(document, loader)
        return
    key = (id(loader), shape.key)
    known = _passed.get(key)
    if known is not None and known[0] is loader:
        leaves = shape.leaves
        if not any(leaves[i].startswith("_:") for i in known[1]):
            return
    _check_plain_form(document, loader)
    _passed.put(key, (loader, leaves_under(shape.key, "id")))


def _check_plain_form(document: Mapping[str, Any], loader: Any) -> None:
    json_terms = vocabulary(loader).json_terms
    check_context(document.get("@context"), "", loader)
    # (node, its trail, whether @context may stand there: a credential's root or a proof)
    stack: list[tuple[Any, Trail, bool]] = [(document, None, True)]
    while stack:
        node, trail, context_ok = stack.pop()
        kind = type(node)
        if kind is list:
            for i, item in enumerate(node):
                if type(item) is list:
                    raise _fail(_path((trail, i)), "an array directly inside an array")
                if type(item) is dict:
                    stack.append((item, (trail, i), False))
            continue
        if kind is not dict:
            if isinstance(node, Mapping):  # a caller's own mapping type: the same rules
                node = dict(node)
            else:
                continue
        if "@value" in node or "@language" in node or "@direction" in node:
            _check_value_object(node, _path(trail))
            continue
        if "@context" in node and node is not document:
            if not context_ok and not _CREDENTIAL_TYPES & {
                    t for t in _types(node) if isinstance(t, str)}:
                raise _fail(_path((trail, "@context")), "@context is allowed only at the "
                            "root of a credential or a proof")
            check_context(node["@context"], _path(trail), loader)
        for key, value in node.items():
            if not key or key[0] == "@" or ":" in key or key == "id" or key == "type" \
                    or value is None or key in json_terms or key == "proof":
                if key == "@context" or key in json_terms:
                    continue
                _check_special(key, value, (trail, key), stack)
                continue
            vkind = type(value)
            if vkind is dict or vkind is list:
                stack.append((value, (trail, key), False))


def _check_special(key: str, value: Any, trail: Trail,
                   stack: list[tuple[Any, Trail, bool]]) -> None:
    if key.startswith("@"):
        raise _fail(_path(trail), f"the JSON-LD keyword {key} is not allowed here (write the "
                    "plain compacted form)" if key[1:].isalpha() else
                    f"key {key!r} looks like a keyword")
    if not key or ":" in key:
        raise _fail(_path(trail), f"key {key!r} is not a term (full and compact IRIs are "
                    "not allowed as keys)")
    if key == "id":
        if not isinstance(value, str):
            raise _fail(_path(trail), "id must be a string")
        if value.startswith("_:"):
            raise _fail(_path(trail), "blank node identifiers are not allowed")
        return
    if key == "type":
        kinds = value if isinstance(value, list) else [value]
        if not kinds or not all(isinstance(t, str) and t for t in kinds):
            raise _fail(_path(trail), "type must be a string or a list of strings")
        return
    if value is None:
        raise _fail(_path(trail), "null: JSON-LD drops the member, so no signature covers "
                    "it (leave it out)")
    # a proof (eddsa-jcs-2022) carries the context it was made with
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, list):
            raise _fail(_path(trail), "an array directly inside an array")
        stack.append((item, trail, True))


def _check_value_object(node: Mapping[str, Any], path: str) -> None:
    extra = set(node) - _VALUE_KEYS
    if extra or "@value" not in node:
        raise _fail(path, "a value object may hold only @value with @language and/or "
                    "@direction (the VC Data Model 2.0 language form)")
    if not isinstance(node["@value"], str):
        raise _fail(_ptr(path, "@value"), "@value must be a string")
    language = node.get("@language")
    if "@language" in node and not (isinstance(language, str) and
                                    _LANGUAGE_RE.match(language)):
        raise _fail(_ptr(path, "@language"), f"{language!r} is not a language tag")
    if "@direction" in node and node["@direction"] not in ("ltr", "rtl"):
        raise _fail(_ptr(path, "@direction"), "@direction must be 'ltr' or 'rtl'")


# --------------------------------------------------------------------------- vocabulary


class Vocabulary:
    """What the trusted contexts of a loader define, at every scope."""

    __slots__ = ("by_term", "iris", "json_terms", "terms")

    def __init__(self, by_term: dict[str, frozenset[str]], json_terms: frozenset[str]) -> None:
        self.by_term = by_term
        """term -> every IRI a bundled definition of it names (at any scope)"""
        self.terms = frozenset(by_term)
        self.iris = frozenset(i for iris in by_term.values() for i in iris)
        self.json_terms = json_terms


def vocabulary(loader: Any) -> Vocabulary:
    """The terms, IRIs and ``@json`` terms of every context ``loader`` serves (cached)."""
    extra = tuple(sorted(getattr(loader, "extra_context_urls", ())))
    if not extra:
        return _vocabulary_of(loader_key=None, urls=None)
    cached: Vocabulary | None = getattr(loader, "_vocabulary", None)
    if cached is None:
        cached = _collect(loader, extra)
        loader._vocabulary = cached
    return cached


@functools.cache
def _vocabulary_of(loader_key: None, urls: None) -> Vocabulary:
    from mcbadge.jsonld import default_document_loader

    return _collect(default_document_loader(), ())


def _collect(loader: Any, extra: tuple[str, ...]) -> Vocabulary:
    from pyld import jsonld

    from mcbadge.jsonld._pins import PINNED_CONTEXTS

    processor = jsonld.JsonLdProcessor()
    options = loader.pyld_options(base=None, processingMode="json-ld-1.1")
    by_term: dict[str, set[str]] = {}
    json_terms: set[str] = set()
    seen: set[int] = set()

    def visit(active: Any, depth: int) -> None:
        for term, definition in active.get("mappings", {}).items():
            if not isinstance(definition, Mapping):
                continue
            iris = by_term.setdefault(term, set())
            iri = definition.get("@id")
            if isinstance(iri, str) and not iri.startswith("@"):
                iris.add(iri)
            if definition.get("@type") == "@json":
                json_terms.add(term)
            scoped = definition.get("@context")
            if scoped is not None and depth < 4 and id(scoped) not in seen:
                seen.add(id(scoped))
                try:
                    inner = processor._process_context(active, scoped, options,
                                                       override_protected=True)
                except jsonld.JsonLdError:
                    continue
                visit(inner, depth + 1)

    for url in (*PINNED_CONTEXTS, *extra):
        try:
            active = processor.process_context(processor._get_initial_context(options),
                                               url, options)
        except jsonld.JsonLdError:
            continue
        visit(active, 0)
    return Vocabulary({t: frozenset(i) for t, i in by_term.items()}, frozenset(json_terms))
