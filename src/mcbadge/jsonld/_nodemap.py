"""pyld's node map in linear time.

Building a node map, pyld adds each value to its node's property only if the property does
not hold an equal value yet (``JsonLdProcessor.has_value``, JSON-LD 1.1 API §7.2), and
finds out by comparing with every value already there: a credential with n evidence items
costs n²/2 comparisons (300 KB: 930,000, half the time of a signature). :func:`node_map`
builds the same node map while an index per property array answers that question in
constant time.

The index keys mirror ``compare_values`` (pyld's and jsonld.js's equality): primitives by
value, booleans apart from numbers (1 and 1.0 are equal, 1 and true are not); ``@value``
objects by ``@value``, ``@type``, ``@language`` and ``@index``; other objects by ``@id``,
or only by identity when they have none. A value the index cannot key (a JSON literal's
``@value`` object, say) is answered by pyld's own scan. Outside :func:`node_map`, pyld's
``has_value`` runs unchanged: the replacement delegates to it whenever no index is active
in the calling thread. ``tests/test_nodemap.py`` holds the two to the same node maps.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from pyld import jsonld
from pyld.identifier_issuer import IdentifierIssuer

_ORIGINAL_HAS_VALUE = jsonld.JsonLdProcessor.has_value
_STATE = threading.local()


def _primitive(value: Any) -> Hashable | None:
    kind = type(value)
    if kind is bool:
        return ("b", value)
    if kind is int or kind is float:
        return ("n", value)
    if kind is str:
        return ("s", value)
    if value is None:
        return ("z",)
    return None


def _key(value: Any) -> Hashable | None:
    """The equality class of ``value`` under ``compare_values``; None: not keyable."""
    if not isinstance(value, dict):
        return _primitive(value)
    if "@value" in value:
        inner = _primitive(value["@value"])
        meta = (value.get("@type"), value.get("@language"), value.get("@index"))
        if inner is None or not all(m is None or type(m) is str for m in meta):
            return None
        return ("v", *meta, inner)
    node_id = value.get("@id")
    if node_id is not None:
        return ("i", node_id) if type(node_id) is str else None
    return ("o", id(value))  # equal to nothing but itself


def _indexed_has_value(subject: Any, property: Any, value: Any) -> bool:
    index: dict[int, tuple[list[Any], set[Hashable], int]] | None = getattr(
        _STATE, "index", None)
    if index is None or not isinstance(subject, dict) or isinstance(value, list):
        return bool(_ORIGINAL_HAS_VALUE(subject, property, value))
    values = subject.get(property)
    if isinstance(values, dict) and "@list" in values:
        values = values["@list"]
    key = _key(value)
    if not isinstance(values, list) or key is None:
        return bool(_ORIGINAL_HAS_VALUE(subject, property, value))
    entry = index.get(id(values))
    if entry is None or entry[0] is not values or entry[2] > len(values):
        entry = (values, set(), 0)
    known, seen = entry[1], entry[2]
    for item in values[seen:]:  # what was appended since: the index catches up
        item_key = _key(item)
        if item_key is not None:
            known.add(item_key)
    index[id(values)] = (values, known, len(values))
    return key in known


jsonld.JsonLdProcessor.has_value = staticmethod(_indexed_has_value)


def node_map(expanded: Any, graph_map: dict[str, Any], issuer: IdentifierIssuer,
             processor: Any = None) -> dict[str, Any]:
    """pyld's ``_create_node_map`` of ``expanded`` into ``graph_map`` (default graph), with
    the duplicate check indexed; returns ``graph_map``."""
    previous = getattr(_STATE, "index", None)
    _STATE.index = {}
    try:
        (processor or jsonld.JsonLdProcessor())._create_node_map(
            expanded, graph_map, "@default", issuer)
    finally:
        _STATE.index = previous
    return graph_map
