"""JSON-LD -> canonical N-Quads, in safe mode (no silent data loss)."""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from cachetools import LRUCache
from pyld import jsonld
from pyld.identifier_issuer import IdentifierIssuer

from mcbadge._private.rdfc import (
    MAX_WORK,
    Quad,
    canonicalize_forms,
    canonicalize_quads,
    quads_from_dataset,
)
from mcbadge.errors import CanonicalizationError, ContextError, DataLossError
from mcbadge.jsonld import _templates
from mcbadge.jsonld._nodemap import node_map
from mcbadge.jsonld._pins import PINNED_CONTEXTS
from mcbadge.jsonld._plain import is_absolute_iri
from mcbadge.jsonld._pyld_fast import json_copy as _json_copy  # and pyld's helpers patched
from mcbadge.jsonld._quads import direct_quads

BUNDLED_CONTEXT_URLS = frozenset(PINNED_CONTEXTS)

_SENTINEL = "urn:mcbadge:undefined-term:"
_SENTINEL_CONTEXT = {"@vocab": _SENTINEL}  # one object, so its processing is memoized


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor with processed contexts memoized across operations.

    pyld caches a processed context per active context, but gives every type-scoped context
    (non-propagating, as OB 3.0's are) a fresh clone with a fresh id, so nothing is reused
    between documents and half the work of canonicalizing a credential is re-processing the
    same contexts. Here a (active context, local context) pair processed once is reused.
    Only contexts that cannot differ between loaders are keyed: bundled URLs, and context
    objects by identity (kept alive by the cache, so an id is never reused).
    """

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        args = (override_protected, propagate, validate_scoped)
        key = _context_key(local_ctx)
        if key is None or cycles:
            return super()._process_context(active_ctx, local_ctx, options, *args, cycles)
        if "_uuid" not in active_ctx:
            active_ctx["_uuid"] = str(uuid.uuid4())
        full_key = (active_ctx["_uuid"], key, args)
        with _memo_lock:
            hit = _memo.get(full_key)
        if hit is not None:
            return hit[1]
        result = super()._process_context(active_ctx, local_ctx, options, *args, cycles)
        with _memo_lock:
            _memo[full_key] = (local_ctx, result, active_ctx)
        return result

    def _expand_iri(self, active_ctx: Any, value: Any, base: Any = None, vocab: bool = False,
                    local_ctx: Any = None, defined: Any = None) -> Any:
        """pyld's, remembered per processed context outside context processing: pyld
        freezes a processed context (a ``frozendict``), and then the answer is a function of
        it, the value, the base and vocab alone."""
        if local_ctx is not None or defined is not None or type(value) is not str or (
                base is not None and type(base) is not str) or type(active_ctx) is not _FROZEN:
            return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
        memo = _memo_of(active_ctx)
        key = (value, base, vocab)
        found = memo.get(key, _MISSING)
        if found is _MISSING:
            found = super()._expand_iri(active_ctx, value, base, vocab)
            if len(memo) < _IRIS_PER_CONTEXT:
                memo[key] = found
        return found

    def _expand_value(self, active_ctx: Any, active_property: Any, value: Any,
                      options: Any) -> Any:
        """pyld's, with what it reads of the context for ``active_property`` (the term's
        expansion, type, language and direction) remembered per processed context, as
        :meth:`_expand_iri` is; the steps on the value are pyld's, in its order."""
        if value is None:
            return None
        if type(active_ctx) is not _FROZEN or type(active_property) is not str:
            return super()._expand_value(active_ctx, active_property, value, options)
        memo = _memo_of(active_ctx)
        plan = memo.get(("value", active_property))
        if plan is None:
            expanded = self._expand_iri(active_ctx, active_property, vocab=True)
            get = jsonld.JsonLdProcessor.get_context_value
            plan = (expanded, get(active_ctx, active_property, "@type"),
                    get(active_ctx, active_property, "@language"),
                    get(active_ctx, active_property, "@direction"),
                    bool(jsonld._is_keyword(expanded)))
            if len(memo) < _IRIS_PER_CONTEXT:
                memo[("value", active_property)] = plan
        expanded, type_, language, direction, keyword = plan
        base = options.get("base", "")
        if expanded == "@id":
            return self._expand_iri(active_ctx, value, base=base)
        if expanded == "@type":
            return self._expand_iri(active_ctx, value, vocab=True, base=base)
        text = isinstance(value, str)
        if (type_ == "@id" or expanded == "@graph") and text:
            return {"@id": self._expand_iri(active_ctx, value, base=base)}
        if type_ == "@vocab" and text:
            return {"@id": self._expand_iri(active_ctx, value, vocab=True, base=base)}
        if keyword:
            return value
        out: dict[str, Any] = {}
        if type_ is not None and type_ not in ("@id", "@vocab", "@none"):
            out["@type"] = type_
        elif text:
            if language is not None:
                out["@language"] = language
            if direction is not None:
                out["@direction"] = direction
        kind = type(value)
        if kind is not str and kind is not bool and not (  # (those two pass pyld's test)
                jsonld._is_bool(value) or jsonld._is_numeric(value) or text):
            value = str(value)
        out["@value"] = value
        return out

    def _prepare_nested_context(self, active_ctx: Any, element: Any, options: Any) -> Any:
        """pyld's, remembered per processed context: without a local ``@context`` its
        answer (the context for a nested object after its type-scoped contexts, the first
        key expanding to ``@type``, the context before them) is a function of the context,
        the object's keys and the strings its ``@type`` keys hold, read as pyld reads them."""
        if type(active_ctx) is not _FROZEN or type(element) is not dict or \
                "@context" in element:
            return super()._prepare_nested_context(active_ctx, element, options)
        memo = _memo_of(active_ctx)
        keys = tuple(element)
        type_keys = memo.get(("type keys", keys))
        if type_keys is None:
            type_keys = tuple(k for k in sorted(keys)
                              if self._expand_iri(active_ctx, k, vocab=True) == "@type")
            if len(memo) < _IRIS_PER_CONTEXT:
                memo[("type keys", keys)] = type_keys
        types = []
        for k in type_keys:
            value = element[k]
            found = value if isinstance(value, list) else [value]
            types.append(tuple(sorted(t for t in found if isinstance(t, str))))
        key = ("nested", keys, tuple(types))
        answer = memo.get(key)
        if answer is None:
            answer = super()._prepare_nested_context(active_ctx, element, options)
            if len(memo) < _IRIS_PER_CONTEXT:
                memo[key] = answer
        return answer

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: Any,
        expanded_parent: Any,
        options: Any,
        inside_list: bool = False,
        type_key: Any = None,
        type_scoped_ctx: Any = None,
    ) -> Any:
        records = _RECORDS.get()
        if records is not None:
            # what each key of this JSON object means here: the IRI (or keyword) pyld
            # expands it to, under exactly the active context it uses
            iris = {key: self._expand_iri(active_ctx, key, vocab=True)
                    for key in element if key != "@context"}
            records.objects[id(element)] = (element, iris, expanded_parent)
            if records.root is None and active_property is None:
                records.root = element
        return super()._expand_object(
            active_ctx, active_property, expanded_active_property, element, expanded_parent,
            options, inside_list, type_key, type_scoped_ctx)

    def _expand(
        self,
        active_ctx: Any,
        active_property: Any,
        element: Any,
        options: Any,
        inside_list: bool = False,
        inside_index: Any = False,
        type_scoped_ctx: Any = None,
    ) -> Any:
        args = (active_ctx, active_property, element, options, inside_list, inside_index,
                type_scoped_ctx)
        memo = _SUBTREES.get()
        if (memo is None or _RECORDS.get() is not None or type(element) is not dict
                or active_property is None
                or "_uuid" not in active_ctx
                or (type_scoped_ctx is not None and "_uuid" not in type_scoped_ctx)):
            return super()._expand(*args)
        try:
            text = json.dumps(element, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return super()._expand(*args)
        if len(text) < _SUBTREE_MIN_CHARS:
            return super()._expand(*args)
        # the expansion of a subtree is a function of exactly these: processed contexts are
        # frozen and named by their _uuid, the options expansion reads, and the loader (the
        # context resolver pyld is given is made from it and a cache of bundled contexts)
        key = (
            active_ctx["_uuid"], active_property, inside_list, inside_index,
            type_scoped_ctx["_uuid"] if type_scoped_ctx is not None else None,
            options.get("base"), options.get("processingMode"), options.get("isFrame"),
            options.get("keepFreeFloatingNodes"), options.get("rdfDirection"),
            id(options.get("documentLoader")), text,
        )
        loader = options.get("documentLoader")
        hit = memo.get(key)
        if hit is not None and hit[1] is loader:  # (the entry keeps its loader alive)
            memo.move_to_end(key)
            return _json_copy(hit[0])
        result = super()._expand(*args)
        memo[key] = (_json_copy(result), loader)
        while len(memo) > _SUBTREE_ENTRIES:
            memo.popitem(last=False)
        return result


def _memo_of(active_ctx: Any) -> dict[Any, Any]:
    """What :class:`_Processor` remembers of one processed (frozen) context."""
    global _LAST
    last = _LAST  # (one read: another thread may replace it, never half of it)
    if last[0] is active_ctx:
        return last[1]
    entry = _IRIS.get(id(active_ctx))
    if entry is None or entry[0] is not active_ctx:
        entry = (active_ctx, {})  # the entry keeps its context alive: ids stay unique
        with _IRIS_LOCK:
            if len(_IRIS) >= _IRIS_CONTEXTS:
                _IRIS.pop(next(iter(_IRIS)), None)
            _IRIS[id(active_ctx)] = entry
    _LAST = entry
    return entry[1]


_IRIS: dict[int, tuple[Any, dict[Any, Any]]] = {}
"""id of a processed (frozen) context -> (it, what :class:`_Processor` remembers of it:
IRI expansions, value plans, nested contexts); bounded."""
_LAST: tuple[Any, dict[Any, Any]] = (None, {})
"""The entry :func:`_memo_of` gave last (expansion asks about one context many times)."""
_IRIS_CONTEXTS = 256
_IRIS_LOCK = threading.Lock()
_FROZEN = jsonld.frozendict
_IRIS_PER_CONTEXT = 4096
_MISSING: Any = object()

_SUBTREE_MIN_CHARS = 1024
_SUBTREE_ENTRIES = 16
_SUBTREES: ContextVar[OrderedDict[Any, Any] | None] = ContextVar(
    "mcbadge_subtree_memo", default=None
)


@contextmanager
def remembering_subtrees() -> Iterator[None]:
    """Within this block, the JSON-LD expansion of a large subtree (1 KiB of JSON or more)
    is reused when the same subtree comes again under the same processed context: a bulk
    run signs thousands of credentials that share one achievement."""
    token = _SUBTREES.set(OrderedDict())
    try:
        yield
    finally:
        _SUBTREES.reset(token)


_memo: LRUCache[Any, Any] = LRUCache(maxsize=4096)
_memo_lock = threading.Lock()


def _context_key(local_ctx: Any) -> Any:
    if isinstance(local_ctx, str):
        return local_ctx if local_ctx in BUNDLED_CONTEXT_URLS else None
    if isinstance(local_ctx, dict):
        return ("obj", id(local_ctx))
    if isinstance(local_ctx, list):
        parts = [_context_key(c) for c in local_ctx]
        return None if any(p is None for p in parts) else tuple(parts)
    return None


def _context_list(document: Mapping[str, Any]) -> list[Any]:
    ctx = document.get("@context")
    if ctx is None:
        return []
    return list(ctx) if isinstance(ctx, list) else [ctx]


def _is_absolute(iri: str) -> bool:
    return is_absolute_iri(iri)


def _iri_problem(iri: str) -> str:
    if any(c.isspace() or c == "\ufeff" for c in iri):
        return "IRI with white space, which RDF drops:"
    return "relative IRI"


def _short(iri: str) -> str:
    """A readable name for an expanded IRI: its fragment or last path segment."""
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or iri


def _loses(expanded: Any) -> bool:
    """Whether :func:`_find_losses` would find anything (the same tests, no paths spelled
    out: the common answer, no, is had cheaply)."""
    stack = [expanded]
    while stack:
        node = stack.pop()
        if type(node) is list:
            stack.extend(node)
            continue
        if type(node) is not dict:
            if isinstance(node, list | dict):
                return True  # a caller's own container type: let the full scan say
            continue
        for key, value in node.items():
            if key[:1] == "@":
                if key == "@value":
                    continue
                if key == "@id":
                    if isinstance(value, str) and not _is_absolute(value):
                        return True
                elif key == "@type":
                    for t in value if isinstance(value, list) else [value]:
                        if isinstance(t, str) and (t.startswith(_SENTINEL) or (
                                t != "@json" and not _is_absolute(t))):
                            return True
            elif key.startswith(_SENTINEL) or not _is_absolute(key):
                return True
            if type(value) is list or type(value) is dict:
                stack.append(value)
            elif isinstance(value, list | dict):
                return True
    return False


def _find_losses(node: Any, where: str, losses: list[str]) -> None:
    """Collect what expansion lost, with paths in the document's own (short) names."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _find_losses(item, where if len(node) == 1 else f"{where}/{i}", losses)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key.startswith(_SENTINEL):
            losses.append(f"{where}/{key[len(_SENTINEL):]} (undefined term)")
            continue
        if not key.startswith("@") and not _is_absolute(key):
            losses.append(f"{where}/{_short(key)} (property IRI {key!r} is not one RDF keeps)")
            continue
        if key == "@id" and isinstance(value, str) and not _is_absolute(value):
            losses.append(f"{where or '/'} ({_iri_problem(value)} {value!r})")
        elif key == "@type":
            for t in value if isinstance(value, list) else [value]:
                if isinstance(t, str) and t.startswith(_SENTINEL):
                    losses.append(f"{where or '/'} (undefined type {t[len(_SENTINEL):]!r})")
                elif isinstance(t, str) and t != "@json" and not _is_absolute(t):
                    kind = "datatype" if "@value" in node else "type"
                    losses.append(f"{where or '/'} ({_iri_problem(t)} as {kind}: {t!r})")
        elif key == "@value":
            continue
        _find_losses(value, where if key.startswith("@") else f"{where}/{_short(key)}", losses)


class _RunMemo:
    """What one verification run remembers: the shapes of its last few documents."""

    __slots__ = ("shapes",)

    def __init__(self) -> None:
        self.shapes: list[tuple[tuple[tuple[str, int], ...], tuple[Any, ...], Any]] = []


_REMEMBER: ContextVar[_RunMemo | None] = ContextVar("mcbadge_remember_expansions",
                                                   default=None)
_RUN_SHAPES = 4


@contextmanager
def remembering_expansions() -> Iterator[None]:
    """Within this block, :func:`expand_safely` reuses recent expansions of equal documents
    (and :func:`shape_in_run` the shapes of the run's documents)."""
    if _REMEMBER.get() is not None:
        yield
        return
    token = _REMEMBER.set(_RunMemo())
    try:
        yield
    finally:
        _REMEMBER.reset(token)


def known_shape(document: Mapping[str, Any]) -> Any:
    """The shape :func:`shape_in_run` took of a document with these very members in this
    run, or None (nothing is walked)."""
    memo = _REMEMBER.get()
    if memo is None or type(document) is not dict:
        return None
    shape = _remembered(memo, _members(document))
    return None if shape is _UNSEEN else shape


def shape_in_run(document: Mapping[str, Any]) -> Any:
    """``_templates.shape_of(document)``; inside a verification run, a document whose
    members are the very objects of one shaped before in the run (the proof check's and the
    signed view's copies of one credential without its proof) is not walked again. The
    run holds those objects, so their ids stand; a verification run reads its documents,
    it never changes them."""
    memo = _REMEMBER.get()
    if memo is None or type(document) is not dict:
        return _templates.shape_of(document)
    key = _members(document)
    shape = _remembered(memo, key)
    if shape is _UNSEEN:
        shape = _templates.shape_of(document)
        _remember(memo, key, document, shape)
    return shape


def remember_shape(document: Mapping[str, Any], shape: Any) -> None:
    """Tell :func:`shape_in_run` the shape of ``document`` (taken as it was read), so that
    it is not walked again in this run."""
    memo = _REMEMBER.get()
    if memo is not None and type(document) is dict:
        key = _members(document)
        if _remembered(memo, key) is _UNSEEN:
            _remember(memo, key, document, shape)


def _remember(memo: _RunMemo, key: tuple[tuple[str, int], ...], document: Mapping[str, Any],
              shape: Any) -> None:
    memo.shapes.append((key, tuple(document.values()), shape))
    del memo.shapes[:-_RUN_SHAPES]


_UNSEEN = object()


def _members(document: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """A document's members by name and the identity of their values (the run's memo key)."""
    return tuple(zip(document, map(id, document.values()), strict=True))


def _remembered(memo: _RunMemo, key: tuple[tuple[str, int], ...]) -> Any:
    for known, _held, shape in memo.shapes:
        if known == key:
            return shape
    return _UNSEEN


class _Records:
    """What one expansion saw of the JSON: each object's keys and what they expanded to."""

    __slots__ = ("objects", "root")

    def __init__(self) -> None:
        self.objects: dict[int, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {}
        self.root: dict[str, Any] | None = None


_RECORDS: ContextVar[_Records | None] = ContextVar("mcbadge_expansion_records", default=None)


class Expansion:
    """A document's safe-mode expansion and, inside a verification run, what every JSON
    object of it means: :meth:`meaning` gives (key -> expanded IRI or keyword, the expanded
    object) for an object of :attr:`root` (pyld's copy of the document)."""

    __slots__ = ("_descriptions", "_node_map", "expanded", "records")

    def __init__(self, expanded: list[Any], records: _Records | None) -> None:
        self.expanded = expanded
        self.records = records
        self._node_map: dict[str, Any] | None = None
        self._descriptions: dict[str, int] | None = None

    def descriptions(self, node_id: str) -> int:
        """How many JSON objects describe ``node_id`` (give it an id and a statement)."""
        if self._descriptions is None:
            counts: dict[str, int] = {}
            for _obj, _iris, expanded in (self.records.objects.values()
                                          if self.records is not None else ()):
                found = expanded.get("@id")
                if isinstance(found, str) and len(expanded) > 1:
                    counts[found] = counts.get(found, 0) + 1
            self._descriptions = counts
        return self._descriptions.get(node_id, 0)

    @property
    def root(self) -> dict[str, Any] | None:
        return self.records.root if self.records is not None else None

    def meaning(self, obj: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if self.records is None:
            return None
        hit = self.records.objects.get(id(obj))
        if hit is None or hit[0] is not obj:
            return None
        return hit[1], hit[2]

    def node_map(self) -> dict[str, Any]:
        """The flattened default graph: node id -> merged node (pyld's node map)."""
        if self._node_map is None:
            graphs: dict[str, Any] = {"@default": {}}
            node_map(_json_copy(self.expanded), graphs, IdentifierIssuer("_:b"))
            self._node_map = graphs["@default"]
        return self._node_map


_RECENT: OrderedDict[tuple[int, str], Expansion] = OrderedDict()
_RECENT_SIZE = 8
_RECENT_LOCK = threading.Lock()


def expand_safely(document: Mapping[str, Any], loader: Any) -> list[Any]:
    """Expand ``document``; raise DataLossError if anything would be dropped or rebased.

    Undefined terms are caught by expanding with a sentinel ``@vocab`` in front of the
    document's contexts (a context that defines its own ``@vocab`` overrides it, and then
    nothing is undefined); relative IRIs, and IRIs that RDF drops (white space), are caught
    in the expansion.

    Inside :func:`remembering_expansions` (a verification run), the last few expansions are
    remembered by (loader, exact JSON text), so the signature check and the signed-view check
    that follows expand a document once; elsewhere (signing, bulk loops) nothing is kept.
    Callers must not mutate the returned structure.
    """
    return expansion(document, loader).expanded


_UNKNOWN: Any = object()
"""``shape`` not computed yet (:func:`expansion` computes it)."""


def expansion(document: Mapping[str, Any], loader: Any, *, shape: Any = _UNKNOWN
              ) -> Expansion:
    """:func:`expand_safely` with what each JSON object means (recorded only inside
    :func:`remembering_expansions`). A document of a shape seen before is expanded from
    its shape's template (``jsonld/_templates.py``) when that gives the same answer."""
    remember = _REMEMBER.get() is not None
    key = None
    if remember:
        try:
            key = (id(loader), json.dumps(document, ensure_ascii=False, allow_nan=False))
        except (TypeError, ValueError, RecursionError):
            return Expansion(_expand_safely(document, loader, None), None)
        with _RECENT_LOCK:
            hit = _RECENT.get(key)
            if hit is not None and _RECENT_OWNERS.get(key[0]) is loader:
                _RECENT.move_to_end(key)
                return hit
    found = _templated(document, loader, remember, shape)
    if found is None:
        records = _Records() if remember else None
        found = Expansion(_expand_safely(document, loader, records), records)
    if key is not None:
        with _RECENT_LOCK:
            _RECENT[key] = found
            _RECENT_OWNERS[key[0]] = loader
            while len(_RECENT) > _RECENT_SIZE:
                old, _ = _RECENT.popitem(last=False)
                if not any(k[0] == old[0] for k in _RECENT):
                    _RECENT_OWNERS.pop(old[0], None)
    return found


TEMPLATES = _templates.Cache()
"""Shape templates of recent expansions (bounded)."""
_USE_TEMPLATES: ContextVar[bool] = ContextVar("mcbadge_use_templates", default=True)


@contextmanager
def without_templates() -> Iterator[None]:
    """Within this block every expansion takes the full path (the differential tests)."""
    token = _USE_TEMPLATES.set(False)
    try:
        yield
    finally:
        _USE_TEMPLATES.reset(token)


def _probe(document: Mapping[str, Any]) -> dict[str, Any]:
    probe = dict(document)
    probe["@context"] = [_SENTINEL_CONTEXT, *_context_list(document)]
    return probe


def _inline_terms(node: Any, out: set[str]) -> None:
    if isinstance(node, dict):
        out.update(node)
        for value in node.values():
            _inline_terms(value, out)
    elif isinstance(node, list):
        for value in node:
            _inline_terms(value, out)


def _templated(document: Mapping[str, Any], loader: Any, remember: bool,
               shape: Any = _UNKNOWN) -> Expansion | None:
    """The expansion from the shape's template, the real one while building a template
    (the shape's second sighting), or None: take the full path."""
    if not _USE_TEMPLATES.get():
        return None
    if shape is _UNKNOWN:
        shape = shape_in_run(document)
    if shape is None:
        return None
    known, template = TEMPLATES.get(loader, shape)
    if template is not None:
        filled = _templates.fill(template, _probe(document), shape, _Records)
        if filled is None:
            return None
        # no loss scan: what expansion can lose sits in the shape (keys, types: fixed) or
        # in IRI leaves, which are neutral (absolute, no white space) or refused above
        expanded, records = filled
        return Expansion(expanded, records if remember else None)
    if known:
        return None
    records = _Records()
    real = Expansion(_expand_safely(document, loader, records), records)

    def full(probe: Mapping[str, Any]) -> Expansion:
        own = _Records()
        return Expansion(_expand_safely(probe, loader, own), own)

    from mcbadge.jsonld._plain import vocabulary

    template = None
    try:
        terms = set(vocabulary(loader).by_term)
        _inline_terms([c for c in _context_list(document) if not isinstance(c, str)], terms)
        template = _templates.build(document, shape, real, full, frozenset(terms))
    except Exception:  # noqa: S110 - a template is an optimisation: without one, the full path
        pass
    TEMPLATES.put(loader, shape, template)
    return real if remember else Expansion(real.expanded, None)


_RECENT_OWNERS: dict[int, Any] = {}


def _expand_safely(document: Mapping[str, Any], loader: Any,
                   records: _Records | None = None) -> list[Any]:
    probe = _probe(document)
    token = _RECORDS.set(records)
    try:
        expanded: list[Any] = _Processor().expand(
            probe, loader.pyld_options(base=None, extractAllScripts=False, isFrame=False,
                                       keepFreeFloatingNodes=False, processingMode="json-ld-1.1")
        )
    except jsonld.JsonLdError as exc:
        raise _jsonld_error(exc) from None
    finally:
        _RECORDS.reset(token)
    losses: list[str] = []
    if _loses(expanded):
        _find_losses(expanded, "", losses)
    if losses:
        shown = "; ".join(losses[:5]) + (f" (+{len(losses) - 5} more)" if len(losses) > 5 else "")
        raise DataLossError(f"JSON-LD processing would drop or rebase data: {shown}", losses)
    return expanded


def _jsonld_error(exc: BaseException) -> Exception:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ContextError):
            return cause
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return CanonicalizationError(f"JSON-LD processing failed: {str(exc).splitlines()[0]}")


def _dataset(expanded: list[Any], options: dict[str, Any]) -> dict[str, Any]:
    """pyld's to_rdf minus its first step: the input is already expanded (by
    :func:`expand_safely`), and expanding it a second time costs a third of the work."""
    processor = jsonld.JsonLdProcessor()
    issuer = IdentifierIssuer("_:b")
    graphs = node_map(expanded, {"@default": {}}, issuer, processor)
    dataset: dict[str, Any] = {}
    for graph_name, graph in sorted(graphs.items()):
        if graph_name == "@default" or jsonld._is_absolute_iri(graph_name):
            dataset[graph_name] = processor._graph_to_rdf(graph, issuer, options)
    return dataset


def dataset_quads(expanded: list[Any], loader: Any) -> list[Quad]:
    """The RDF quads of an expansion: written straight from it when it is of the kind
    :func:`~mcbadge.jsonld._quads.direct_quads` takes, else through the node map."""
    options = loader.pyld_options(
        base="", produceGeneralizedRdf=False, processingMode="json-ld-1.1", rdfDirection=None
    )
    quads = direct_quads(expanded, options)
    return quads if quads is not None else quads_from_dataset(_dataset(expanded, options))


def canonical_nquads(
    document: Mapping[str, Any], loader: Any, *, max_work: int = MAX_WORK,
    hash_name: str = "sha256",
) -> str:
    """RDFC-1.0 canonical N-Quads of ``document``, after the data-loss check (``hash_name``:
    the algorithm's hash, SHA-256 unless a suite says otherwise)."""
    template, shape = template_for(document, loader)
    if template is not None and isinstance(template.quads, _templates.QuadTemplate):
        forms = _templates.fill_forms(template.quads, shape)
        return canonicalize_forms(forms, max_work=max_work, hash_name=hash_name)
    # the shape, computed above, is not computed again
    expanded = expansion(document, loader,
                         shape=shape if _USE_TEMPLATES.get() else _UNKNOWN).expanded
    try:
        quads = dataset_quads(expanded, loader)
    except jsonld.JsonLdError as exc:
        raise _jsonld_error(exc) from None
    except RecursionError:
        raise CanonicalizationError("document is nested too deeply") from None
    result = canonicalize_quads(quads, max_work=max_work, hash_name=hash_name)
    if template is not None and template.quads is True:
        _build_quad_template(template, shape, loader, result, max_work, hash_name)
    return result


def template_for(document: Mapping[str, Any], loader: Any, shape: Any = _UNKNOWN
                 ) -> tuple[Any, Any]:
    """(the expansion template for ``document`` if its leaves fit it, its shape); no
    sighting is counted. ``shape``: ``document``'s, when the caller has it."""
    if not _USE_TEMPLATES.get():
        return None, None
    if shape is _UNKNOWN:
        shape = shape_in_run(document)
    if shape is None:
        return None, None
    _, template = TEMPLATES.get_existing(loader, shape)
    if template is None or not _templates.acceptable(template, shape):
        return None, shape
    return template, shape


def _build_quad_template(template: Any, shape: Any, loader: Any, real: str, max_work: int,
                         hash_name: str) -> None:
    """Make the template's quads, and keep them only if, filled with this document's
    leaves, they canonicalize to exactly what the full path gave (``real``)."""
    template.quads = None
    try:
        abstract = dataset_quads(_json_copy(template.expanded), loader)
        made = _templates.quad_template(abstract, template)
        if made is not None and canonicalize_forms(
                _templates.fill_forms(made, shape), max_work=max_work,
                hash_name=hash_name) == real:
            template.quads = made
    except (jsonld.JsonLdError, CanonicalizationError, RecursionError):
        template.quads = None
