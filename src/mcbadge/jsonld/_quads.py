"""Expanded JSON-LD straight to RDF quads, for documents of the kind badges are.

pyld's toRDF flattens the expansion into a node map (merging every description of a node)
and then writes each node's statements. For the canonical N-Quads only the set of quads
counts (RDFC-1.0 gives the same answer whatever the order and the blank node labels), so a
node described in several places needs no merging: its statements are written where they
are met, and a quad met twice is kept once, which is what merging gives. :func:`direct_quads`
does that in one walk, for documents in the default graph made of node objects, node
references, value objects and lists (of values and nodes); anything else (``@graph``,
``@reverse``, ``@included``, lists of lists, an ``@index`` on a value, a compound literal)
gives None and the node map path runs. Literals other than plain and typed strings are
written by pyld's own ``_object_to_rdf``, so their forms (booleans, numbers, doubles,
languages, ``@json``) are pyld's. ``tests/test_quads.py`` holds the two paths to the same
canonical N-Quads.
"""

from __future__ import annotations

from typing import Any

from pyld import jsonld
from pyld.identifier_issuer import IdentifierIssuer

from mcbadge._private.rdfc import Quad

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = f"{_RDF}type"
RDF_FIRST = f"{_RDF}first"
RDF_REST = f"{_RDF}rest"
RDF_NIL = f"{_RDF}nil"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
_NODE_KEYWORDS = frozenset({"@id", "@type", "@index"})


class _UnsupportedError(Exception):
    pass


class _Walk:
    __slots__ = ("absolute", "issuer", "options", "processor", "quads")

    def __init__(self, options: dict[str, Any]) -> None:
        self.issuer = IdentifierIssuer("_:b")
        self.options = options
        self.processor = jsonld.JsonLdProcessor()
        self.quads: dict[Quad, None] = {}
        self.absolute = jsonld._is_absolute_iri

    def node(self, node: Any) -> tuple[str, str]:
        if type(node) is not dict:
            raise _UnsupportedError
        found = node.get("@id")
        if found is None:
            subject = ("blank node", self.issuer.get_id())
        elif type(found) is not str:
            raise _UnsupportedError
        elif found.startswith("_:"):
            subject = ("blank node", self.issuer.get_id(found))
        else:
            subject = ("IRI", found)
        # pyld skips relative subjects (their embedded nodes still count)
        written = self.absolute(subject[1])
        quads = self.quads
        for key, values in node.items():
            if key in _NODE_KEYWORDS:
                if key != "@type":
                    continue
                for value in values:
                    if type(value) is not str:
                        raise _UnsupportedError
                    if value.startswith("_:"):
                        obj: Any = ("blank node", self.issuer.get_id(value), None, None)
                    elif self.absolute(value):
                        obj = ("IRI", value, None, None)
                    else:
                        continue
                    if written:
                        quads[(subject, RDF_TYPE, obj, None)] = None
                continue
            if key[:1] == "@" or type(values) is not list:
                raise _UnsupportedError
            stated = written and not key.startswith("_:") and self.absolute(key)
            for item in values:
                obj = self.object(item, stated)
                if obj is not None and stated:
                    quads[(subject, key, obj, None)] = None
        return subject

    def list_cells(self, items: Any, stated: bool) -> tuple[str, str, None, None]:
        """pyld's ``_list_to_rdf``: a blank node per item, ``rdf:first`` / ``rdf:rest``;
        written only under a statement that is (the nodes in it count either way)."""
        if type(items) is not list:
            raise _UnsupportedError
        objects = []
        for item in items:
            if type(item) is dict and "@list" in item:
                raise _UnsupportedError  # a list of lists
            found = self.object(item, stated)
            if found is None:
                raise _UnsupportedError  # pyld would write a statement without an object
            objects.append(found)
        if not objects:
            return ("IRI", RDF_NIL, None, None)
        head = cell = ("blank node", self.issuer.get_id())
        for i, found in enumerate(objects):
            rest = ("blank node", self.issuer.get_id()) if i + 1 < len(objects) else None
            if stated:
                self.quads[(cell, RDF_FIRST, found, None)] = None
                self.quads[(cell, RDF_REST, (*rest, None, None) if rest else
                            ("IRI", RDF_NIL, None, None), None)] = None
            if rest is not None:
                cell = rest
        return (*head, None, None)

    def object(self, item: Any, stated: bool = True
               ) -> tuple[str, str, str | None, str | None] | None:
        if type(item) is not dict:
            raise _UnsupportedError
        if "@list" in item:
            if len(item) != 1:
                raise _UnsupportedError  # @list with @index
            return self.list_cells(item["@list"], stated)
        if "@value" in item:
            if "@index" in item:
                raise _UnsupportedError  # pyld keeps values that differ by @index apart
            value = item["@value"]
            datatype = item.get("@type")
            if type(value) is str and "@language" not in item and "@direction" not in item \
                    and (datatype is None or (type(datatype) is str and datatype not in
                                              ("@json", XSD_DOUBLE))):
                return ("literal", value, datatype or XSD_STRING, None)
            more: list[Any] = []
            found = self.processor._object_to_rdf(item, self.issuer, more, self.options)
            if more:
                raise _UnsupportedError
            if found is None:
                return None
            return (found["type"], found["value"], found.get("datatype"),
                    found.get("language"))
        if "@graph" in item or "@set" in item:
            raise _UnsupportedError
        if len(item) == 1 and "@id" in item:
            found_id = item["@id"]
            if type(found_id) is not str:
                raise _UnsupportedError
            if found_id.startswith("_:"):
                return ("blank node", self.issuer.get_id(found_id), None, None)
            return ("IRI", found_id, None, None) if self.absolute(found_id) else None
        kind, name = self.node(item)
        if kind == "IRI" and not self.absolute(name):
            return None
        return (kind, name, None, None)


def direct_quads(expanded: Any, options: dict[str, Any]) -> list[Quad] | None:
    """The quads of ``expanded`` (a pyld expansion: a list of node objects) in the default
    graph, each once; None when the document has something only the node map handles."""
    if type(expanded) is not list:
        return None
    walk = _Walk(options)
    try:
        for node in expanded:
            walk.node(node)
    except (_UnsupportedError, RecursionError):
        return None
    return list(walk.quads)
