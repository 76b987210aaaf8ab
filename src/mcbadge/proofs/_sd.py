"""Selective-disclosure primitives (W3C vc-di-ecdsa §3.4, "Selective Disclosure Functions"):
JSON pointers, selection documents, skolemization, label-replacement canonicalization and
grouping of canonical N-Quads, CBOR proof values. Used by ``ecdsa-sd-2023``.

Everything goes through the same safe JSON-LD processing as the other suites (bundled or
registered contexts only, data loss refused)."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pyld import jsonld

from mcbadge._private.rdfc import Quad, canonical_labels, serialize_quad
from mcbadge.errors import MCBadgeError
from mcbadge.jsonld import DocumentLoader
from mcbadge.jsonld._canon import _jsonld_error, dataset_quads, expand_safely

SKOLEM = "urn:bnid:"
_POINTER_ESCAPE = re.compile(r"~[01]")
MAX_POINTERS = 256


class SelectiveDisclosureError(MCBadgeError, ValueError):
    """A pointer does not match the document, or a proof value is malformed."""

    code = "PROOF_VERIFICATION_ERROR"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise SelectiveDisclosureError("not base64url") from None


# -- JSON pointers and selection (§3.4.2, §3.4.3) --------------------------------------


def parse_pointer(pointer: str) -> list[str | int]:
    """RFC 6901 segments; all-digit segments are array indexes."""
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise SelectiveDisclosureError(f"{pointer!r:.80} is not a JSON pointer")
    out: list[str | int] = []
    for part in pointer.split("/")[1:]:
        if "~" in part:
            if re.search(r"~(?![01])", part):
                raise SelectiveDisclosureError(f"bad escape in JSON pointer {pointer!r:.80}")
            out.append(_POINTER_ESCAPE.sub(lambda m: "/" if m.group() == "~1" else "~", part))
        elif part.isascii() and part.isdigit():
            out.append(int(part))
        else:
            out.append(part)
    return out


class _Sparse(dict[int, Any]):
    """An array being selected: index -> value, made dense (in index order) at the end."""


def _init_selection(source: Mapping[str, Any]) -> dict[str, Any]:
    selection: dict[str, Any] = {}
    node_id = source.get("id")
    if isinstance(node_id, str) and not node_id.startswith("_:"):
        selection["id"] = node_id
    if "type" in source:
        selection["type"] = copy.deepcopy(source["type"])
    return selection


def _step(value: Any, path: str | int, pointer: str) -> Any:
    if isinstance(value, list) and isinstance(path, int) and 0 <= path < len(value):
        return value[path]
    if isinstance(value, Mapping):
        key = str(path)
        if key in value:
            return value[key]
    raise SelectiveDisclosureError(f"JSON pointer {pointer!r:.120} does not match the document")


def select_json_ld(pointers: Sequence[str], document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The selection document: what ``pointers`` point at, with the ``id`` (unless a blank
    node id) and ``type`` of every object on the way, and the document's ``@context``."""
    if not pointers:
        return None
    if len(pointers) > MAX_POINTERS:
        raise SelectiveDisclosureError(f"more than {MAX_POINTERS} JSON pointers")
    selection: dict[str, Any] = {"@context": copy.deepcopy(document.get("@context"))}
    selection.update(_init_selection(document))
    for pointer in pointers:
        paths = parse_pointer(pointer)
        if not paths:
            return copy.deepcopy(dict(document))
        value: Any = document
        selected_parent: Any = selection
        selected: Any = selection
        for path in paths:
            selected_parent = selected
            value = _step(value, path, pointer)
            key: Any = path if isinstance(selected_parent, _Sparse) else str(path)
            selected = selected_parent.get(key)
            if selected is None:
                selected = _Sparse() if isinstance(value, list) else (
                    _init_selection(value) if isinstance(value, Mapping) else None)
                selected_parent[key] = selected
        if isinstance(value, list):
            selected = copy.deepcopy(value)
        elif isinstance(value, Mapping):
            base = selected if isinstance(selected, dict) and not isinstance(selected, _Sparse) \
                else {}
            selected = {**base, **copy.deepcopy(dict(value))}
        else:
            selected = value
        last = paths[-1]
        selected_parent[last if isinstance(selected_parent, _Sparse) else str(last)] = selected
    dense: dict[str, Any] = _dense(selection)
    return dense


def _dense(value: Any) -> Any:
    if isinstance(value, _Sparse):
        return [_dense(value[i]) for i in sorted(value)]
    if isinstance(value, dict):
        return {k: _dense(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dense(v) for v in value]
    return value


# -- skolemization and N-Quads (§3.4.4 - §3.4.8) ----------------------------------------


def _skolemize(expanded: list[Any], prefix: str, counter: list[int]) -> list[Any]:
    out: list[Any] = []
    for element in expanded:
        if not isinstance(element, dict) or "@value" in element:
            out.append(copy.deepcopy(element))
            continue
        node: dict[str, Any] = {}
        for key, value in element.items():
            node[key] = (_skolemize(value, prefix, counter) if isinstance(value, list)
                         else _skolemize([value], prefix, counter)[0])
        if "@list" in element:  # a list object, not a node: its RDF nodes are named later
            out.append(node)
            continue
        node_id = node.get("@id")
        if node_id is None:
            node["@id"] = f"{prefix}{counter[0]}"
            counter[0] += 1
        elif isinstance(node_id, str) and node_id.startswith("_:"):
            node["@id"] = SKOLEM + node_id[2:]
        out.append(node)
    return out


def _deskolemize(quads: Iterable[Quad]) -> list[Quad]:
    def term(kind: str, value: str) -> tuple[str, str]:
        if kind == "IRI" and value.startswith(SKOLEM):
            return "blank node", "_:" + value[len(SKOLEM):]
        return kind, value

    out: list[Quad] = []
    for (s_kind, s_value), predicate, obj, graph in quads:
        o_kind, o_value, datatype, language = obj
        if o_kind == "IRI":
            o_kind, o_value = term(o_kind, o_value)
        out.append((term(s_kind, s_value), predicate, (o_kind, o_value, datatype, language),
                    term(*graph) if graph is not None else None))
    return out


def _quads(expanded: list[Any], loader: DocumentLoader) -> list[Quad]:
    try:
        quads = dataset_quads(expanded, loader)
    except jsonld.JsonLdError as exc:
        raise _jsonld_error(exc) from None
    return _name_list_nodes(quads)


def _name_list_nodes(quads: list[Quad]) -> list[Quad]:
    """Every node of a skolemized document has an IRI but the RDF list nodes (``@list``:
    an OB rubric's ``allowedValue``), which JSON-LD makes fresh blank nodes, named in the
    order met. Name each by the one edge that leads to it (its owner and property, or the
    list node before it), so the whole document and a selection of it name a list alike.
    (Digital Bazaar's implementation skolemizes list objects instead and cannot sign such
    documents; its verifier checks what this derives.) A list is disclosed whole or not
    at all: selecting one item makes a shorter list, whose statements nothing signed."""
    incoming: dict[str, list[Quad]] = {}
    for quad in quads:
        if quad[3] is not None and quad[3][0] == "blank node":
            raise SelectiveDisclosureError("ecdsa-sd-2023 cannot disclose unnamed graphs")
        if quad[2][0] == "blank node":
            incoming.setdefault(quad[2][1], []).append(quad)
    blank = {q[0][1] for q in quads if q[0][0] == "blank node"} | set(incoming)
    if not blank:
        return quads
    names: dict[str, str] = {}
    pending = sorted(blank)
    for _ in range(len(pending) + 1):
        left = []
        for node in pending:
            edges = incoming.get(node, [])
            if len(edges) != 1:
                raise SelectiveDisclosureError(
                    "ecdsa-sd-2023 cannot disclose an unnamed node that is not one item of "
                    "one JSON-LD list; give it an id")
            (kind, parent), predicate, _obj, _graph = edges[0]
            if kind == "blank node" and parent not in names:
                left.append(node)
                continue
            owner = names[parent] if kind == "blank node" else f"<{parent}>"
            names[node] = "_:l" + hashlib.sha256(f"{owner} <{predicate}>".encode()).hexdigest()
        if not left:
            break
        pending = left
    else:
        raise SelectiveDisclosureError("the document's list nodes form a cycle")

    def term(kind: str, value: str) -> tuple[str, str]:
        return (kind, names[value]) if kind == "blank node" else (kind, value)

    return [(term(*s), p, (o[0], names[o[1]], o[2], o[3]) if o[0] == "blank node" else o, g)
            for s, p, o, g in quads]


def deskolemized_quads(document: Mapping[str, Any], loader: DocumentLoader) -> list[Quad]:
    """A (skolemized, compact) JSON-LD document's quads, skolem IRIs back to blank nodes."""
    return _deskolemize(_quads(expand_safely(document, loader), loader))


@dataclass(frozen=True, slots=True)
class Skolemized:
    expanded: list[Any]
    compact: dict[str, Any]


def skolemize(document: Mapping[str, Any], loader: DocumentLoader) -> Skolemized:
    """Every node without an ``@id`` gets a fresh ``urn:bnid:`` one (blank node ids keep
    theirs, under that prefix); the expanded and compact (under the document's own
    ``@context``) forms of the result."""
    expanded = expand_safely(document, loader)
    prefix = f"{SKOLEM}_{secrets.token_hex(8)}_"
    skolemized = _skolemize(list(expanded), prefix, [0])
    try:
        compact = jsonld.compact(skolemized, {"@context": document.get("@context")},
                                 loader.pyld_options(base=None,
                                                     processingMode="json-ld-1.1"))
    except jsonld.JsonLdError as exc:
        raise _jsonld_error(exc) from None
    return Skolemized(skolemized, compact)


def utf16_sorted(lines: Iterable[str]) -> list[str]:
    """Sorted by UTF-16 code units, as JavaScript sorts strings (the order the Digital
    Bazaar implementation, and the W3C vectors, use)."""
    return sorted(lines, key=lambda line: line.encode("utf-16-be"))


LabelMapFactory = Callable[[dict[str, str]], dict[str, str]]
"""Canonical id map (input blank node id, with ``_:`` -> ``c14nN``) -> new label by input
id (without ``_:``)."""


def hmac_label_factory(key: bytes) -> LabelMapFactory:
    def factory(canonical: dict[str, str]) -> dict[str, str]:
        return {source: "u" + b64url(hmac.new(key, label.encode(), hashlib.sha256).digest())
                for source, label in canonical.items()}
    return factory


def map_label_factory(label_map: Mapping[str, str]) -> LabelMapFactory:
    def factory(canonical: dict[str, str]) -> dict[str, str]:
        try:
            return {source: label_map[label] for source, label in canonical.items()}
        except KeyError as exc:
            raise SelectiveDisclosureError(f"the proof's label map has no label for "
                                           f"{exc.args[0]}") from None
    return factory


def relabel(quads: Iterable[Quad], labels: Mapping[str, str]) -> list[str]:
    """``quads`` as N-Quads lines, each blank node renamed to ``_:`` + its new label."""
    rename = {source: "_:" + new for source, new in labels.items()}
    try:
        return [serialize_quad(q, rename) for q in quads]
    except KeyError as exc:
        raise SelectiveDisclosureError(f"blank node {exc.args[0]} has no label") from None


def label_replacement_canonicalize(quads: list[Quad], factory: LabelMapFactory
                                   ) -> tuple[list[str], dict[str, str]]:
    """(sorted canonical N-Quads relabelled by ``factory``, input id -> new label)."""
    canonical = canonical_labels(quads)
    labels = factory(canonical)
    return utf16_sorted(set(relabel(quads, labels))), labels


def canonical_quads_of(document: Mapping[str, Any], loader: DocumentLoader) -> list[Quad]:
    """A JSON-LD document's quads (not skolemized), for canonicalization."""
    expanded = expand_safely(document, loader)
    try:
        return dataset_quads(expanded, loader)
    except jsonld.JsonLdError as exc:
        raise _jsonld_error(exc) from None


@dataclass(frozen=True, slots=True)
class Group:
    matching: dict[int, str]
    non_matching: dict[int, str]
    deskolemized: list[Quad]


@dataclass(frozen=True, slots=True)
class Grouped:
    groups: dict[str, Group]
    labels: dict[str, str]
    nquads: list[str]


def canonicalize_and_group(document: Mapping[str, Any], factory: LabelMapFactory,
                           groups: Mapping[str, Sequence[str]],
                           loader: DocumentLoader) -> Grouped:
    """§3.4.11: the document's canonical N-Quads (relabelled) and, for each named list of
    JSON pointers, which of them the selection matches (by absolute index)."""
    skolemized = skolemize(document, loader)
    quads = _deskolemize(_quads(skolemized.expanded, loader))
    nquads, labels = label_replacement_canonicalize(quads, factory)
    out: dict[str, Group] = {}
    for name, pointers in groups.items():
        selection = select_json_ld(pointers, skolemized.compact)
        selected_quads = deskolemized_quads(selection, loader) if selection else []
        selected = set(relabel(selected_quads, labels))
        matching = {i: nq for i, nq in enumerate(nquads) if nq in selected}
        non_matching = {i: nq for i, nq in enumerate(nquads) if nq not in selected}
        out[name] = Group(matching, non_matching, selected_quads)
    return Grouped(out, labels, nquads)
