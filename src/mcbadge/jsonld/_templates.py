"""Shape templates: the JSON-LD expansion of a badge reused for badges of the same shape.

Badges issued by one program share their JSON shape (members, nesting, contexts, types) and
differ in leaf strings: names, emails, ids, dates. Expansion of such a badge is the shape's
expansion with those strings put in. A template is built, on the second sighting of a
shape, by expanding the badge a second time with every leaf string replaced by a unique
sentinel IRI, and is kept only if

- every sentinel comes out whole, as an ``@value`` (a literal leaf) or an ``@id`` (an IRI
  leaf), never inside another string, as a key or a type;
- putting the badge's own leaves in for the sentinels gives exactly its real expansion, and
  every JSON object's recorded meaning (what its keys expand to) is the same.

A later badge of that shape is filled in only when every IRI leaf is *neutral*: an absolute
IRI (https, http, urn, did, mailto) in a conservative character set, neither it nor its
scheme a term of any context, so its expansion is itself; a literal leaf may be any string.
A leaf whose expansion was not itself (an @vocab-typed enumeration, say) is *fixed*: the
template serves only documents with that same value there. Anything else (and any shape with a
leaf under ``type`` / ``@type`` or another keyword, or an ``@context`` that differs) takes
the full path. Numbers, booleans and nulls are part of the shape, not leaves.

``tests/test_templates.py`` holds template and full path to the same expansion, records and
canonical N-Quads on generated and mutated badges. The cache is bounded.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring as _json_string  # what json.dumps writes
from typing import Any, NamedTuple

from mcbadge._private.bounded import BoundedMemo
from mcbadge._private.jcs import MAX_SAFE_INTEGER
from mcbadge._private.jsonutil import has_surrogate
from mcbadge.errors import CanonicalizationError

MAX_TEMPLATES = 256
"""Shapes kept (least recently used dropped first)."""
MAX_SIGHTINGS = 4096
_IRI_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
_NEUTRAL_IRI = re.compile(rf"(?:https?|urn|did|mailto):{_IRI_CHARS}\Z")
_NEUTRAL_IRIS = re.compile(rf"(?:(?:https?|urn|did|mailto):{_IRI_CHARS}\n)+")
_SCHEMES = ("https", "http", "urn", "did", "mailto")
_FIXED_KEYS = frozenset({"type", "@type", "@context"})
_LEAF_KEYWORDS = frozenset({"@id", "@value"})


class ShapeKey:
    """A shape as a nested tuple, its hash computed once (the caches look it up often)."""

    __slots__ = ("hash", "value")

    def __init__(self, value: tuple[Any, ...]) -> None:
        self.value = value
        self.hash = hash(value)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ShapeKey) and self.hash == other.hash and \
            self.value == other.value  # (an interned key: its very tuple, at once)


MAX_INTERNED = 1024
_interned: BoundedMemo[ShapeKey, ShapeKey] = BoundedMemo(MAX_INTERNED)


def _intern(key: ShapeKey) -> ShapeKey:
    """The first key equal to ``key`` met (bounded): the caches then compare a document's
    key with their own by identity (tuples compare equal items by identity first), not
    item by item."""
    known = _interned.get(key)
    return known if known is not None else _interned.put(key, key)


class Shape:
    """A document's shape (JSON with leaf strings abstracted) and its leaves, in order;
    ``endorsed``: some JSON object in it has an ``endorsement`` or ``endorsementJwt``
    member."""

    __slots__ = ("endorsed", "key", "leaves")

    def __init__(self, key: ShapeKey, leaves: list[str], endorsed: bool) -> None:
        self.key, self.leaves, self.endorsed = key, leaves, endorsed


_LEAF = ("leaf",)
"""What a leaf is in a shape; every other value is tagged with its JSON kind (a string
``("s", text)``, a number ``("i", n)`` or ``("f", repr)``: -0.0 is not 0.0), so no value of
a document reads as a leaf or as a value of another kind."""
_ENDORSED = ("endorsement", "endorsementJwt")


def _holds(key: str, fixed: bool) -> bool:
    """Whether the strings under member ``key`` are part of the shape, not leaves (under
    ``type``, ``@context`` and keywords other than ``@id`` / ``@value``, or already so)."""
    return fixed or key in _FIXED_KEYS or (key[:1] == "@" and key not in _LEAF_KEYWORDS)


def _skeleton(node: Any, leaves: list[str], fixed: bool, endorsed: list[bool],
              room: int = -1, budget: list[int] | None = None) -> Any:
    """``node``'s skeleton, its leaf strings appended to ``leaves``. ``room``: the levels of
    containers left (-1: no bound); ``budget``: a one-item list, the containers left
    (None: no bound); a node beyond either raises ValueError at once."""
    kind = type(node)
    if kind is str:
        if fixed:
            return ("s", node)
        leaves.append(node)
        return _LEAF
    if kind is dict or kind is list:
        if room == 0:
            raise ValueError("nested too deeply")
        if budget is not None:
            budget[0] -= 1
            if budget[0] < 0:
                raise ValueError("too many containers")
        out: list[Any]
        if kind is list:
            out = ["["]
            for item in node:
                if type(item) is not str:
                    out.append(_skeleton(item, leaves, fixed, endorsed, room - 1, budget))
                elif fixed:
                    out.append(("s", item))
                else:
                    leaves.append(item)
                    out.append(_LEAF)
            return tuple(out)
        if _ENDORSED[0] in node or _ENDORSED[1] in node:
            endorsed.append(True)
        out = ["{"]
        for key, value in node.items():
            if type(key) is not str:
                raise TypeError("a member name is not a string")
            # (_holds, and a string member, written in line: most members are strings)
            held = fixed or key in _FIXED_KEYS or (key[:1] == "@" and key not in _LEAF_KEYWORDS)
            if type(value) is str:
                if held:
                    out.append((key, ("s", value)))
                else:
                    leaves.append(value)
                    out.append((key, _LEAF))
            else:
                out.append((key, _skeleton(value, leaves, held, endorsed, room - 1, budget)))
        return tuple(out)
    if kind is int:
        return ("i", node)
    if kind is float:
        if not math.isfinite(node):
            raise ValueError("not JSON data")
        return ("f", repr(node))
    if kind is bool:
        return ("b", node)
    if node is None:
        return ("n",)
    raise TypeError(f"a {kind.__name__} is not JSON data")


def shape_of(document: Mapping[str, Any]) -> Shape | None:
    leaves: list[str] = []
    endorsed: list[bool] = []
    try:
        key = _intern(ShapeKey(_skeleton(dict(document), leaves, False, endorsed)))
    except (TypeError, ValueError, RecursionError):
        return None
    return Shape(key, leaves, bool(endorsed))


def read_shapes(document: dict[str, Any], max_depth: int, max_containers: int,
                drop: frozenset[str] = frozenset({"proof"})
                ) -> tuple[Shape, Shape | None] | None:
    """The shape of ``document`` (a JSON object just read) and, when the members named in
    ``drop`` (its ``proof``) are absent or come last, the shape of the document without
    them (``shape_of`` of each); None: the walk stopped (deeper than ``max_depth``, more
    than ``max_containers`` objects and arrays, or not JSON data), so the caller checks
    the document in full. :func:`facts` then tells what ``check_depth`` would find, from
    the shape alone."""
    leaves: list[str] = []
    endorsed: list[bool] = []
    budget = [max_containers - 1]
    if max_depth < 1 or budget[0] < 0:
        return None
    out: list[Any] = ["{"]
    split: tuple[int, int, bool] | None = None
    suffix = True  # every member from the first dropped one on is dropped
    try:
        for key, value in document.items():
            if type(key) is not str:
                return None
            if key in drop:
                if split is None:
                    split = (len(out), len(leaves), bool(endorsed))
            elif split is not None:
                suffix = False
            out.append((key, _skeleton(value, leaves, _holds(key, False), endorsed,
                                       max_depth - 1, budget)))
    except (TypeError, ValueError, RecursionError):
        return None
    own = _ENDORSED[0] in document or _ENDORSED[1] in document
    full = Shape(_intern(ShapeKey(tuple(out))), leaves, own or bool(endorsed))
    if split is None:
        return full, full
    if not suffix:
        return full, None
    bare = Shape(_intern(ShapeKey(tuple(out[:split[0]]))), leaves[:split[1]],
                 own or split[2])
    return full, bare


class ShapeFacts(NamedTuple):
    """What ``_private.jsonutil.check_depth`` reads of any document of one shape, leaves
    aside: its deepest level of objects and arrays, how many there are, its size estimate
    without the leaves' own characters, and whether its member names and fixed strings
    are free of lone surrogates."""

    deepest: int
    containers: int
    size: int
    clean: bool


_facts: BoundedMemo[ShapeKey, ShapeFacts] = BoundedMemo(MAX_TEMPLATES)


def facts(key: ShapeKey) -> ShapeFacts:
    """The :class:`ShapeFacts` of a shape (remembered, bounded). ``check_depth``'s size
    estimate of a document is ``size`` plus its leaves' lengths."""
    known = _facts.get(key)
    if known is not None:
        return known
    deepest = containers = size = 0
    texts: list[str] = []
    stack: list[tuple[Any, int]] = [(key.value, 1)]
    while stack:
        node, depth = stack.pop()
        if node is _LEAF:
            size += 3
            continue
        tag = node[0]
        if tag == "{" or tag == "[":
            containers += 1
            deepest = max(deepest, depth)
            items = node[1:]
            if tag == "{":
                names = "".join(k for k, _ in items)
                texts.append(names)
                size += len(names) + 3 * len(items)
                items = tuple(v for _, v in items)
            stack.extend((item, depth + 1) for item in items)
        elif tag == "s":
            texts.append(node[1])
            size += len(node[1]) + 3
        else:
            size += 4
    clean = not has_surrogate("".join(texts))
    return _facts.put(key, ShapeFacts(deepest, containers, size, clean))


def leaves_under(key: ShapeKey, name: str) -> tuple[int, ...]:
    """The positions (in :attr:`Shape.leaves`) of the leaves that are the value of a
    member ``name`` (directly, not inside an array)."""
    found: list[int] = []
    count = 0
    # (a skeleton node, the member name it is the value of)
    stack: list[tuple[Any, str | None]] = [(key.value, None)]
    while stack:
        node, member = stack.pop()
        if node is _LEAF:
            if member == name:
                found.append(count)
            count += 1
        elif node[0] == "{":
            stack.extend((value, k) for k, value in reversed(node[1:]))
        elif node[0] == "[":
            stack.extend((value, None) for value in reversed(node[1:]))
    return tuple(found)


MAX_JCS_PLAIN = 256
_jcs_plain: BoundedMemo[ShapeKey, bool] = BoundedMemo(MAX_JCS_PLAIN)


def jcs_plain(key: ShapeKey) -> bool:
    """``_private.jcs``'s plain test of any document of this shape (it reads no leaf
    string): no floats, integers JCS writes exactly, member names inside the BMP, at most
    100 levels deep. Remembered per shape (bounded)."""
    known = _jcs_plain.get(key)
    if known is not None:
        return known
    plain = True
    stack: list[tuple[Any, int]] = [(key.value, 0)]
    while stack and plain:
        node, depth = stack.pop()
        tag = node[0]
        if tag == "{" or tag == "[":
            if depth > 100:
                plain = False
            items = node[1:]
            if tag == "{":
                names = "".join(k for k, _ in items)
                plain = plain and (names.isascii() or max(names) < "\U00010000")
                items = tuple(v for _, v in items)
            stack.extend((item, depth + 1) for item in items)
        elif tag == "f" or (tag == "i" and not -MAX_SAFE_INTEGER <= node[1] <= MAX_SAFE_INTEGER):
            plain = False
    return _jcs_plain.put(key, plain)


_jcs_forms: BoundedMemo[ShapeKey, tuple[tuple[str, ...], tuple[int, ...]] | bool] = \
    BoundedMemo(MAX_JCS_PLAIN)
"""Each plain shape's JCS form (:func:`_jcs_form`); False: not plain."""


def jcs_of(shape: Shape) -> bytes | None:
    """The JCS canonical bytes of the document ``shape`` was taken of, written from the
    shape (members sorted once per shape) with the leaves put in; None: the shape is not
    :func:`jcs_plain` (the general encoder writes it). Raises CanonicalizationError, as
    ``_private.jcs.canonicalize`` does, for a leaf holding a lone surrogate."""
    form = _jcs_forms.get(shape.key)
    if form is None:
        form = _jcs_forms.put(shape.key, _jcs_form(shape.key))
    if form is False:
        return None
    assert not isinstance(form, bool)
    pieces, order = form
    leaves = shape.leaves
    out: list[str] = [""] * (2 * len(order) + 1)
    out[0::2] = pieces
    out[1::2] = [_json_string(leaves[at]) for at in order]
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalizationError("a string holds an unpaired surrogate") from None


def _jcs_form(key: ShapeKey) -> tuple[tuple[str, ...], tuple[int, ...]] | bool:
    """The text between a plain shape's leaves in JCS order, and which leaf (by its
    position in document order) goes in each gap; False: not plain."""
    if not jcs_plain(key):
        return False
    pieces: list[str] = []
    order: list[int] = []
    text: list[str] = []

    def count(node: Any) -> int:
        if node is _LEAF:
            return 1
        if node[0] == "{":
            return sum(count(v) for _, v in node[1:])
        return sum(count(v) for v in node[1:]) if node[0] == "[" else 0

    def write(node: Any, first: int) -> None:  # first: its first leaf's position
        if node is _LEAF:
            pieces.append("".join(text))
            text.clear()
            order.append(first)
            return
        tag = node[0]
        if tag == "{" or tag == "[":
            members = node[1:] if tag == "{" else [(None, v) for v in node[1:]]
            starts = []
            for _, value in members:
                starts.append(first)
                first += count(value)
            placed = list(zip(starts, members, strict=True))
            if tag == "{":  # (plain: code-point order is UTF-16 order)
                placed.sort(key=lambda item: item[1][0])
            text.append(tag)
            for n, (start, (name, value)) in enumerate(placed):
                if n:
                    text.append(",")
                if name is not None:
                    text.append(_json_string(name) + ":")
                write(value, start)
            text.append("}" if tag == "{" else "]")
        elif tag == "s":
            text.append(_json_string(node[1]))
        elif tag == "i":
            text.append(str(node[1]))
        elif tag == "b":
            text.append("true" if node[1] else "false")
        elif tag == "n":
            text.append("null")
        else:  # pragma: no cover - floats are not plain
            raise AssertionError(tag)

    write(key.value, 0)
    pieces.append("".join(text))
    return tuple(pieces), tuple(order)


def with_member(shape: Shape, key: str, value: Any) -> Shape | None:
    """The shape of the document ``shape`` was taken of with one more member, ``key``, last
    (a credential's shape from its shape without the proof); None: ``value`` is not JSON."""
    leaves = list(shape.leaves)
    endorsed: list[bool] = []
    try:
        skeleton = _skeleton(value, leaves, _holds(key, False), endorsed)
    except (TypeError, ValueError, RecursionError):
        return None
    return Shape(ShapeKey((*shape.key.value, (key, skeleton))), leaves,
                 shape.endorsed or bool(endorsed))


def marked(node: Any, leaf: Callable[[int], Any], leaves: list[str],
           fixed: bool = False) -> Any:
    """``node`` with its leaves (in :func:`_skeleton`'s order, appended to ``leaves``)
    replaced by ``leaf(index)``; lists and objects are copied, the rest kept."""
    kind = type(node)
    if kind is str:
        if fixed:
            return node
        leaves.append(node)
        return leaf(len(leaves) - 1)
    if kind is dict:
        return {key: marked(value, leaf, leaves, _holds(key, fixed))
                for key, value in node.items()}
    if kind is list:
        return [marked(v, leaf, leaves, fixed) for v in node]
    return node


class Template:
    """A shape's expansion with a sentinel where each leaf goes; ``kinds[i]``: ``literal``,
    ``iri``, ``free`` (the leaf does not reach the expansion) or ``fixed`` (its expansion
    is not itself: the template holds it, for ``fixed[i]`` only)."""

    __slots__ = ("described", "expanded", "fixed", "iri_leaves", "kinds", "quads", "records",
                 "sentinels", "terms", "views")

    def __init__(self, expanded: list[Any], sentinels: dict[str, int], kinds: list[str],
                 records: list[tuple[tuple[Any, ...], dict[str, Any], int]],
                 fixed: dict[int, str], terms: frozenset[str]) -> None:
        self.terms = terms
        """Every term of the contexts: an IRI leaf that is one is not neutral."""
        self.quads: QuadTemplate | bool | None = True
        """Its quads, once built and checked (True: not tried yet; None: not usable)."""
        self.expanded = expanded
        self.sentinels = sentinels
        self.kinds = kinds
        self.iri_leaves = tuple(i for i, kind in enumerate(kinds) if kind == "iri")
        """The positions of the IRI leaves (each must be neutral)."""
        self.records = records
        self.fixed = fixed
        self.described: list[tuple[tuple[Any, ...], int | str]] | None = None
        """Each JSON object that describes a node (an id and a statement): its path and its
        ``@id``, a leaf's index or, when the shape holds it, the id itself."""
        self.views: list[tuple[object, object, tuple[int, ...]]] = []
        """(read points, vocabulary, the checked objects among :attr:`described`) for which
        a badge of this template passed the signed-view check (see :func:`view_proven`)."""


def _fill(node: Any, sentinels: Mapping[str, int], leaves: list[str],
          copies: dict[int, Any]) -> Any:
    kind = type(node)
    if kind is str:
        index = sentinels.get(node)
        return node if index is None else leaves[index]
    if kind is dict:
        out = {k: _fill(v, sentinels, leaves, copies) for k, v in node.items()}
        copies[id(node)] = out
        return out
    if kind is list:
        return [_fill(v, sentinels, leaves, copies) for v in node]
    return node


def _classify(node: Any, sentinels: Mapping[str, int], kinds: list[str],
              where: dict[int, list[tuple[Any, ...]]], here: tuple[Any, ...] = (),
              parent_key: str | None = None) -> bool:
    """Record each sentinel's position kind and paths; False if one sits anywhere but
    whole in an ``@value`` or ``@id``."""
    if isinstance(node, list):
        return all(_classify(v, sentinels, kinds, where, (*here, i), parent_key)
                   for i, v in enumerate(node))
    if isinstance(node, dict):
        for key, value in node.items():
            if any(s in key for s in sentinels):
                return False
            if not _classify(value, sentinels, kinds, where, (*here, key), key):
                return False
        return True
    if not isinstance(node, str):
        return True
    index = sentinels.get(node)
    if index is None:
        return not any(s in node for s in sentinels)  # part of another string
    kind = {"@value": "literal", "@id": "iri"}.get(parent_key or "")
    if kind is None or kinds[index] not in ("free", kind):
        return False
    kinds[index] = kind
    where.setdefault(index, []).append(here)
    return True


def _put(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _paths(node: Any, here: tuple[Any, ...], out: dict[int, tuple[Any, ...]]) -> None:
    if isinstance(node, dict):
        out[id(node)] = here
        for key, value in node.items():
            if key != "@context":
                _paths(value, (*here, key), out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _paths(value, (*here, i), out)


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def build(document: Mapping[str, Any], shape: Shape, real: Any,
          expand: Callable[[Mapping[str, Any]], Any], terms: frozenset[str]
          ) -> Template | None:
    """The template of ``document``'s shape, given its real expansion ``real`` (with
    records) and ``expand`` (the full path); None when the shape cannot be templated."""
    if real.records is None or real.records.root is None:
        return None
    if any(scheme in terms for scheme in _SCHEMES):
        return None  # a context makes one of the schemes a term: IRIs are not neutral
    tag = secrets.token_hex(8)
    sentinels = [f"urn:x-mcbadge-leaf:{tag}:{i}" for i in range(len(shape.leaves))]
    probe = marked(dict(document), sentinels.__getitem__, [])
    try:
        abstract = expand(probe)
    except Exception:  # the sentinels change what is valid: no template for this shape
        return None
    if abstract.records is None or abstract.records.root is None:
        return None
    index = {s: i for i, s in enumerate(sentinels)}
    kinds = ["free"] * len(sentinels)
    where: dict[int, list[tuple[Any, ...]]] = {}
    if not _classify(abstract.expanded, index, kinds, where):
        return None
    # a leaf whose expansion is not itself (a value the context maps, such as an
    # @vocab-typed enumeration) is fixed: the template holds its expansion and is used only
    # for documents with the same value there
    fixed: dict[int, str] = {}
    try:
        for leaf, paths in where.items():
            wanted = [_at(real.expanded, path) for path in paths]
            if any(w != shape.leaves[leaf] for w in wanted):
                fixed[leaf] = shape.leaves[leaf]
                for path, value in zip(paths, wanted, strict=True):
                    _put(abstract.expanded, path, value)
                del index[sentinels[leaf]]
                kinds[leaf] = "fixed"
    except (KeyError, IndexError, TypeError):
        return None  # the two expansions differ in more than the leaves
    copies: dict[int, Any] = {}
    if _dump(_fill(abstract.expanded, index, shape.leaves, copies)) != _dump(real.expanded):
        return None
    # each JSON object's meaning, by its path in the document
    abstract_paths: dict[int, tuple[Any, ...]] = {}
    _paths(abstract.records.root, (), abstract_paths)
    real_paths: dict[int, tuple[Any, ...]] = {}
    _paths(real.records.root, (), real_paths)
    real_by_path = {real_paths[k]: v for k, v in real.records.objects.items()
                    if k in real_paths}
    records = []
    for key, (_obj, iris, parent) in abstract.records.objects.items():
        at = abstract_paths.get(key)
        twin = real_by_path.get(at) if at is not None else None
        if at is None or twin is None or twin[1] != iris or id(parent) not in copies \
                or _dump(copies[id(parent)]) != _dump(twin[2]):
            return None
        records.append((at, iris, id(parent)))
    if len(records) != len(real.records.objects):
        return None
    return Template(abstract.expanded, index, kinds, records, fixed, terms)


def neutral(value: str) -> bool:
    return _NEUTRAL_IRI.match(value) is not None


def acceptable(template: Template, shape: Shape) -> bool:
    """Whether ``shape``'s leaves may go into ``template``: every IRI leaf neutral, every
    fixed leaf the template's value."""
    leaves = shape.leaves
    if len(leaves) != len(template.kinds):
        return False
    iris = [leaves[i] for i in template.iri_leaves]
    if iris:
        # every IRI leaf neutral: one match over them all, a line each (and no more lines
        # than leaves: a leaf holding a line feed is not neutral)
        lines = "\n".join(iris)
        if lines.count("\n") != len(iris) - 1 or \
                _NEUTRAL_IRIS.fullmatch(lines + "\n") is None or \
                not template.terms.isdisjoint(iris):
            return False
    return all(leaves[leaf] == value for leaf, value in template.fixed.items())


class QuadTemplate:
    """The shape's RDF quads (before canonicalization) with sentinels: ``slots`` says
    where each leaf goes, (quad, 0 = subject / 2 = object, leaf); ``fmt``: every quad's
    canonical N-Quads form (``_private/rdfc.Form``) with a placeholder per leaf code in
    ``order`` (``2 * leaf`` an IRI, ``2 * leaf + 1`` a literal: the leaf escaped as such);
    ``meta``: each form's blank-node marks and predicate."""

    __slots__ = ("codes", "fmt", "meta", "order", "quads", "slots")

    def __init__(self, quads: list[Any], slots: list[tuple[int, int, int]]) -> None:
        self.quads, self.slots = quads, slots
        at: dict[int, dict[int, int]] = {}
        for qi, where, leaf in slots:
            at.setdefault(qi, {})[where] = leaf
        forms = [_form_pieces(q, at.get(qi, {})) for qi, q in enumerate(quads)]
        self.codes = sorted({p for pieces, _, _ in forms for p in pieces
                             if isinstance(p, int)})
        # every form's text in one %-format, forms apart by \x01 (canonical N-Quads escapes
        # every control character, and a mark is a NUL): filled in one C call
        parts: list[str] = []
        order: list[int] = []
        for i, (pieces, _, _) in enumerate(forms):
            if i:
                parts.append("\x01")
            for piece in pieces:
                if isinstance(piece, str):
                    parts.append(piece.replace("%", "%%"))
                else:
                    parts.append("%s")
                    order.append(piece)
        self.fmt = "".join(parts)
        self.order = tuple(order)
        self.meta = [(marks, predicate) for _, marks, predicate in forms]


def _form_pieces(quad: Any, leaves: dict[int, int]
                 ) -> tuple[tuple[str | int, ...], tuple[tuple[str, str], ...], str]:
    """``rdfc.serialize_quad`` of ``quad`` with blank-node marks, split where leaves go."""
    from mcbadge._private.rdfc import _MARKS, escape_iri, escape_literal, literal_tail

    (s_kind, s_value), predicate, (o_kind, o_value, datatype, language), graph = quad
    marks: list[tuple[str, str]] = []

    def term(kind: str, value: str, position: str) -> str:
        if kind == "blank node":
            marks.append((_MARKS[position], value))
            return _MARKS[position]
        return f"<{escape_iri(value)}>" if kind == "IRI" else value

    pieces: list[str | int] = []
    if 0 in leaves:
        pieces += ["<", 2 * leaves[0], ">"]
    else:
        pieces.append(term(s_kind, s_value, "s"))
    pieces.append(f" <{escape_iri(predicate)}> ")
    if o_kind == "literal":
        pieces += ['"', 2 * leaves[2] + 1 if 2 in leaves else escape_literal(o_value)]
        pieces.append('"' + literal_tail(datatype, language))
    elif 2 in leaves:
        pieces += ["<", 2 * leaves[2], ">"]
    else:
        pieces.append(term(o_kind, o_value, "o"))
    if graph is not None:
        pieces.append(" " + term(graph[0], graph[1], "g"))
    pieces.append(" .\n")
    merged: list[str | int] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return tuple(merged), tuple(marks), predicate


def quad_template(quads: list[Any], template: Template) -> QuadTemplate | None:
    """Where the sentinels of ``template`` sit in ``quads`` (its expansion's quads); None
    when one sits anywhere but whole as a subject, or as an object of its leaf's kind."""
    sentinels = template.sentinels
    slots: list[tuple[int, int, int]] = []

    def inside(text: Any) -> bool:
        return isinstance(text, str) and any(s in text for s in sentinels)

    for qi, ((s_kind, s_value), predicate, obj, graph) in enumerate(quads):
        o_kind, o_value, datatype, language = obj
        if inside(predicate) or inside(datatype) or inside(language) or (
                graph is not None and inside(graph[1])):
            return None
        for where, kind, value in ((0, s_kind, s_value), (2, o_kind, o_value)):
            leaf = sentinels.get(value)
            if leaf is None:
                if inside(value):
                    return None
                continue
            expected = "literal" if template.kinds[leaf] == "literal" else "IRI"
            if kind != expected:
                return None
            slots.append((qi, where, leaf))
    return QuadTemplate(quads, slots)


def fill_forms(qt: QuadTemplate, shape: Shape) -> list[Any]:
    """The document's quads as canonical N-Quads forms (``rdfc.Form``): the template's
    with its leaves put in, escaped for where they stand. Equal quads give equal forms
    (``rdfc.canonicalize_forms`` counts them once, as pyld's node map merges two nodes a
    document gives one IRI)."""
    from mcbadge._private.rdfc import escape_iri, escape_literal

    if not qt.meta:
        return []
    leaves = shape.leaves
    escaped = {c: escape_literal(leaves[c >> 1]) if c & 1 else escape_iri(leaves[c >> 1])
               for c in qt.codes}
    texts = (qt.fmt % tuple([escaped[c] for c in qt.order])).split("\x01")
    return [(text, marks, predicate) for text, (marks, predicate) in zip(texts, qt.meta,
                                                                         strict=True)]


MAX_VIEWS = 8


def _described(template: Template) -> list[tuple[tuple[Any, ...], int | str]]:
    if template.described is None:
        nodes: dict[int, dict[str, Any]] = {}
        stack: list[Any] = [template.expanded]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                nodes[id(node)] = node
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        described: list[tuple[tuple[Any, ...], int | str]] = []
        for path, _iris, parent in template.records:
            node_id = nodes[parent].get("@id")
            if isinstance(node_id, str) and len(nodes[parent]) > 1:
                described.append((path, template.sentinels.get(node_id, node_id)))
        template.described = described
    return template.described


def _alone(template: Template, shape: Shape, checked: tuple[int, ...]) -> bool:
    """Whether, in the document of ``shape``, each checked JSON object (by its index in
    :func:`_described`) is the only one that describes its node."""
    if not checked:
        return True
    ids = [shape.leaves[d] if isinstance(d, int) else d for _, d in _described(template)]
    counts: dict[str, int] = {}
    for node_id in ids:
        counts[node_id] = counts.get(node_id, 0) + 1
    return all(counts[ids[c]] == 1 for c in checked)


def view_proven(template: Template, shape: Shape, read_points: object, vocabulary: object
                ) -> bool:
    """Whether the signed-view verdict for ``shape``'s document is known to be a pass.

    The check reads (``jsonld/_view.py``): each object's key meanings (the template's
    records, the same for every document it accepts), blank-node ids (an IRI leaf it
    accepts is neutral, never ``_:``; the rest is the shape's) and, only for a node that a
    checked object (a read point: where it is is the shape's) describes and another JSON
    object describes too, the merged statements. So a document that the template accepts,
    in which no checked object shares its id with another description, gets the verdict of
    any other such document: the one recorded by :func:`prove_view`."""
    for points, vocab, checked in template.views:
        if points is read_points and vocab is vocabulary:
            return _alone(template, shape, checked)
    return False


def prove_view(template: Template, shape: Shape, read_points: object, vocabulary: object,
               checked_paths: set[tuple[Any, ...]]) -> None:
    """Record that ``shape``'s document (accepted by ``template``) passed the check, whose
    checked objects sit at ``checked_paths``."""
    if len(template.views) >= MAX_VIEWS or any(
            p is read_points and v is vocabulary for p, v, _ in template.views):
        return
    checked = tuple(i for i, (path, _) in enumerate(_described(template))
                    if path in checked_paths)
    if _alone(template, shape, checked):
        template.views.append((read_points, vocabulary, checked))


def fill(template: Template, document: Mapping[str, Any], shape: Shape,
         make_records: Callable[[], Any]) -> tuple[list[Any], Any] | None:
    """``document``'s expansion (and records) from ``template``; None if a leaf is not
    neutral where it must be."""
    if not acceptable(template, shape):
        return None
    copies: dict[int, Any] = {}
    expanded = _fill(template.expanded, template.sentinels, shape.leaves, copies)
    records = make_records()
    root = json.loads(json.dumps(dict(document), ensure_ascii=False))
    records.root = root
    for path, iris, parent in template.records:
        obj = _at(root, path)
        records.objects[id(obj)] = (obj, iris, copies[parent])
    return expanded, records


class Cache:
    """Templates by (loader, shape): a shape seen once is counted, seen twice templated;
    bounded, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._templates: OrderedDict[tuple[int, ShapeKey], Template | None] = OrderedDict()
        self._owners: dict[int, Any] = {}
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        """Sightings, by (loader, the shape key's hash) only: a shape's key can be large,
        and two shapes sharing a hash only get a template built one sighting early."""

    def get(self, loader: Any, shape: Shape) -> tuple[bool, Template | None]:
        """(known, template): known False means "build one now" (second sighting)."""
        key = (id(loader), shape.key)
        with self._lock:
            if key in self._templates and self._owners.get(key[0]) is loader:
                self._templates.move_to_end(key)
                return True, self._templates[key]
            sighting = (key[0], shape.key.hash)
            if sighting not in self._seen:
                self._seen[sighting] = None
                while len(self._seen) > MAX_SIGHTINGS:
                    self._seen.popitem(last=False)
                return True, None
        return False, None

    def get_existing(self, loader: Any, shape: Shape) -> tuple[bool, Template | None]:
        """The template of ``shape`` if there is one; no sighting is counted."""
        key = (id(loader), shape.key)
        with self._lock:
            if key in self._templates and self._owners.get(key[0]) is loader:
                return True, self._templates[key]
        return False, None

    def put(self, loader: Any, shape: Shape, template: Template | None) -> None:
        key = (id(loader), shape.key)
        with self._lock:
            self._templates[key] = template  # None: this shape is not templatable
            self._owners[key[0]] = loader
            self._seen.pop((key[0], shape.key.hash), None)
            while len(self._templates) > MAX_TEMPLATES:
                old, _ = self._templates.popitem(last=False)
                if not any(k[0] == old[0] for k in self._templates):
                    self._owners.pop(old[0], None)

    def clear(self) -> None:
        with self._lock:
            self._templates.clear()
            self._seen.clear()
            self._owners.clear()
