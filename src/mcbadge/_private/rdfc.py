"""RDF Dataset Canonicalization (W3C RDFC-1.0) with canonical N-Quads, and work bounds.

Written for mcbadge rather than taken from pyld because pyld's serializer leaves control
characters raw (RDFC-1.0 writes ``\\b``, ``\\f``, ``\\u0001``, ``\\u007F``), and because a
verifier needs a hard bound on the work a hostile document can cause (RDFC-1.0 §4.4 asks
implementations to guard against "poison" graphs).

Input is a pyld RDF dataset: ``{graph name: [{"subject", "predicate", "object"}]}`` with
components ``{"type": "IRI" | "blank node" | "literal", "value", "datatype", "language"}``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mcbadge.errors import CanonicalizationError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

MAX_BLANK_NODES = 4096
MAX_WORK = 200_000
MAX_PERMUTATION_SET = 8

_ESCAPES = {
    "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f\x7f"\\]')


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form as canonical N-Quads does."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


Quad = tuple[
    tuple[str, str],  # subject: (type, value)
    str,  # predicate IRI
    tuple[str, str, str | None, str | None],  # object: (type, value, datatype, language)
    tuple[str, str] | None,  # graph
]


_IRI_NEEDS_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def escape_iri(value: str) -> str:
    """Escape an IRI as canonical N-Quads (and rdf-canonize) do: ``\\u00XX`` for the
    characters an IRIREF may not hold (controls, space, ``<>"{}|^`` and backslash)."""
    if _IRI_NEEDS_ESCAPE.search(value) is None:
        return value
    return _IRI_NEEDS_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04X}", value)


def _term(kind: str, value: str) -> str:
    return f"<{escape_iri(value)}>" if kind == "IRI" else value


def _iri(value: str) -> str:
    return f"<{escape_iri(value)}>"


def literal_tail(datatype: str | None, language: str | None,
                 iri: Callable[[str], str] = _iri) -> str:
    """What follows a literal's quoted text in canonical N-Quads: its language tag or its
    datatype (``xsd:string`` left implicit)."""
    if language:
        return f"@{language}"
    if datatype and datatype != XSD_STRING:
        return f"^^{iri(datatype)}"
    return ""


def _literal(value: str, datatype: str | None, language: str | None,
             iri: Callable[[str], str] = _iri) -> str:
    """A literal in canonical N-Quads."""
    return f'"{escape_literal(value)}"{literal_tail(datatype, language, iri)}'


def serialize_quad(quad: Quad, rename: Mapping[str, str] | None = None) -> str:
    (s_kind, s_value), predicate, obj, graph = quad
    if rename is not None and s_kind == "blank node":
        s_value = rename[s_value]
    parts = [_term(s_kind, s_value), f"<{escape_iri(predicate)}>"]
    o_kind, o_value, datatype, language = obj
    if o_kind == "literal":
        parts.append(_literal(o_value, datatype, language))
    else:
        if rename is not None and o_kind == "blank node":
            o_value = rename[o_value]
        parts.append(_term(o_kind, o_value))
    if graph is not None:
        g_kind, g_value = graph
        if rename is not None and g_kind == "blank node":
            g_value = rename[g_value]
        parts.append(_term(g_kind, g_value))
    return " ".join(parts) + " .\n"


def quads_from_dataset(dataset: Mapping[str, Iterable[Mapping[str, Any]]]) -> list[Quad]:
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        graph: tuple[str, str] | None = None
        if graph_name != "@default":
            graph = ("blank node" if graph_name.startswith("_:") else "IRI", graph_name)
        for t in triples:
            s, p, o = t["subject"], t["predicate"], t["object"]
            quads.append(
                (
                    (s["type"], s["value"]),
                    p["value"],
                    (o["type"], o["value"], o.get("datatype"), o.get("language")),
                    graph,
                )
            )
    return quads


class _Issuer:
    __slots__ = ("counter", "issued", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        found = self.issued.get(existing)
        if found is None:
            found = f"{self.prefix}{self.counter}"
            self.counter += 1
            self.issued[existing] = found
        return found

    def copy(self) -> _Issuer:
        other = _Issuer(self.prefix)
        other.counter = self.counter
        other.issued = dict(self.issued)
        return other


def _digest(name: str, text: str) -> str:
    return hashlib.new(name, text.encode("utf-8")).hexdigest()


_MARKS = {"s": "\x00s", "o": "\x00o", "g": "\x00g"}
"""Where a blank node goes in a quad's serialization form: canonical N-Quads never holds a
raw NUL (literals and IRIs escape it), so a mark cannot be confused with the text."""


Form = tuple[str, tuple[tuple[str, str], ...], str]
"""A quad serialized once with marks for its blank nodes, (mark, blank node) for each in
order (subject, object, graph), and its predicate IRI (which the n-degree hash reads)."""


def quad_forms(quads: Iterable[Quad]) -> list[Form]:
    """Each quad as a :data:`Form`: serialized as :func:`serialize_quad` does, with the mark
    of its position where each blank node goes (a blank node in two positions, a node
    pointing at itself, gets both marks); each IRI is escaped once per call."""
    iris: dict[str, str] = {}

    def iri(value: str) -> str:
        found = iris.get(value)
        if found is None:
            found = iris[value] = f"<{escape_iri(value)}>"
        return found

    forms: list[Form] = []
    for (s_kind, s_value), predicate, (o_kind, o_value, datatype, language), graph in quads:
        slots: list[tuple[str, str]] = []
        if s_kind == "blank node":
            subject = "\x00s"
            slots.append((subject, s_value))
        else:
            subject = iri(s_value) if s_kind == "IRI" else s_value
        if o_kind == "literal":
            obj = _literal(o_value, datatype, language, iri)
        elif o_kind == "blank node":
            obj = "\x00o"
            slots.append((obj, o_value))
        else:
            obj = iri(o_value) if o_kind == "IRI" else o_value
        if graph is None:
            text = f"{subject} {iri(predicate)} {obj} .\n"
        else:
            g_kind, g_value = graph
            if g_kind == "blank node":
                name = "\x00g"
                slots.append((name, g_value))
            else:
                name = iri(g_value) if g_kind == "IRI" else g_value
            text = f"{subject} {iri(predicate)} {obj} {name} .\n"
        forms.append((text, tuple(slots), predicate))
    return forms


def _render(form: Form, rename: Mapping[str, str]) -> str:
    text, slots, _ = form
    for mark, bnode in slots:
        text = text.replace(mark, rename[bnode], 1)
    return text


class _Canonicalizer:
    def __init__(self, forms: list[Form], max_work: int, hash_name: str = "sha256") -> None:
        self.forms = forms
        self.hash_name = hash_name
        self.bnode_forms: dict[str, list[int]] = {}
        for i, (_, slots, _) in enumerate(forms):
            for _, bnode in slots:
                entries = self.bnode_forms.setdefault(bnode, [])
                if not entries or entries[-1] != i:
                    entries.append(i)
        if len(self.bnode_forms) > MAX_BLANK_NODES:
            raise CanonicalizationError(
                f"document has {len(self.bnode_forms)} blank nodes; the limit is {MAX_BLANK_NODES}"
            )
        self.canonical = _Issuer("c14n")
        self.first_degree: dict[str, str] = {}
        self.work = 0
        self.max_work = max_work

    def _hash(self, text: str) -> str:
        return _digest(self.hash_name, text)

    def _spend(self, amount: int = 1) -> None:
        self.work += amount
        if self.work > self.max_work:
            raise CanonicalizationError(
                "canonicalization exceeded its work limit: the document's blank nodes are "
                "too interlinked to canonicalize safely"
            )

    def hash_first_degree(self, ref: str) -> str:
        cached = self.first_degree.get(ref)
        if cached is not None:
            return cached
        lines = []
        forms = self.forms
        indexes = self.bnode_forms[ref]
        self._spend(len(indexes))  # (one unit a quad, as before, counted at once)
        for i in indexes:
            text, slots, _ = forms[i]
            for mark, bnode in slots:
                text = text.replace(mark, "_:a" if bnode == ref else "_:z", 1)
            lines.append(text)
        lines.sort()
        result = self._hash("".join(lines))
        self.first_degree[ref] = result
        return result

    def hash_related(self, related: str, predicate: str, issuer: _Issuer, position: str
                     ) -> str:
        if related in self.canonical.issued:
            ident = "_:" + self.canonical.issued[related]
        elif related in issuer.issued:
            ident = "_:" + issuer.issued[related]
        else:
            ident = self.hash_first_degree(related)
        data = position
        if position != "g":
            data += f"<{predicate}>"
        return self._hash(data + ident)

    def hash_n_degree(self, ref: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        self._spend()
        hash_to_related: dict[str, list[str]] = {}
        for i in self.bnode_forms[ref]:
            _, slots, predicate = self.forms[i]
            for mark, bnode in slots:
                if bnode != ref:
                    h = self.hash_related(bnode, predicate, issuer, mark[1])
                    hash_to_related.setdefault(h, []).append(bnode)
        data = []
        for related_hash in sorted(hash_to_related):
            data.append(related_hash)
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            nodes = hash_to_related[related_hash]
            if len(nodes) > MAX_PERMUTATION_SET:
                raise CanonicalizationError(
                    f"{len(nodes)} indistinguishable blank nodes: too many to canonicalize safely"
                )
            for permutation in itertools.permutations(nodes):
                self._spend()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    if related in self.canonical.issued:
                        path += "_:" + self.canonical.issued[related]
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += "_:" + issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += "_:" + issuer_copy.issue(related)
                    path += f"<{result_hash}>"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data.append(chosen_path)
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return self._hash("".join(data)), issuer

    def run(self) -> list[str]:
        hash_to_bnodes: dict[str, list[str]] = {}
        for bnode in self.bnode_forms:
            hash_to_bnodes.setdefault(self.hash_first_degree(bnode), []).append(bnode)
        for h in sorted(hash_to_bnodes):
            nodes = hash_to_bnodes[h]
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
                del hash_to_bnodes[h]
        for h in sorted(hash_to_bnodes):
            results = []
            for bnode in hash_to_bnodes[h]:
                if bnode in self.canonical.issued:
                    continue
                temporary = _Issuer("b")
                temporary.issue(bnode)
                results.append(self.hash_n_degree(bnode, temporary))
            results.sort(key=lambda r: r[0])
            for _, issuer in results:
                for existing in issuer.issued:
                    self.canonical.issue(existing)
        rename = {b: "_:" + c for b, c in self.canonical.issued.items()}
        lines: set[str] = set()
        for text, slots, _ in self.forms:  # (_render, in line: a call a quad costs)
            for mark, bnode in slots:
                text = text.replace(mark, rename[bnode], 1)
            lines.add(text)
        return sorted(lines)

    def labels(self) -> dict[str, str]:
        """After :meth:`run`: each input blank node id -> its canonical label (``c14nN``)."""
        return dict(self.canonical.issued)


def canonical_labels(quads: list[Quad], *, max_work: int = MAX_WORK,
                     hash_name: str = "sha256") -> dict[str, str]:
    """RDFC-1.0's canonical issuer for ``quads``: input blank node id (as the quads name it,
    ``_:b0``) -> canonical label without ``_:`` (``c14n0``). Selective disclosure relabels
    the canonical N-Quads with it."""
    forms = list(dict.fromkeys(quad_forms(quads)))
    if not any(slots for _, slots, _ in forms):
        return {}
    run = _Canonicalizer(forms, max_work, hash_name)
    run.run()
    return run.labels()


def canonicalize_quads(quads: list[Quad], *, max_work: int = MAX_WORK,
                       hash_name: str = "sha256") -> str:
    """The canonical N-Quads document (RDFC-1.0) for ``quads``; ``hash_name`` is the
    algorithm's hash (SHA-256; the ECDSA suites run it with SHA-384 for P-384)."""
    return canonicalize_forms(quad_forms(quads), max_work=max_work, hash_name=hash_name)


def canonicalize_forms(forms: list[Form], *, max_work: int = MAX_WORK,
                       hash_name: str = "sha256") -> str:
    """:func:`canonicalize_quads` of quads already serialized as :data:`Form` s (a dataset
    is a set: equal ones count once)."""
    forms = list(dict.fromkeys(forms))
    if not any(slots for _, slots, _ in forms):
        return "".join(sorted({text for text, _, _ in forms}))
    return "".join(_Canonicalizer(forms, max_work, hash_name).run())


def canonicalize_dataset(
    dataset: Mapping[str, Iterable[Mapping[str, Any]]], *, max_work: int = MAX_WORK,
    hash_name: str = "sha256",
) -> str:
    return canonicalize_quads(quads_from_dataset(dataset), max_work=max_work,
                              hash_name=hash_name)
