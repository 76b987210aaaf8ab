"""The indexed node map (jsonld/_nodemap.py) is pyld's node map: the same JSON, byte for
byte, on hypothesis-generated expanded JSON-LD full of near-duplicates (1 / 1.0 / true,
values differing only in @type, @language or @index, repeated node references, the same
object twice) and on real credentials; and the canonical N-Quads are unchanged."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld
from pyld.identifier_issuer import IdentifierIssuer

from mcbadge.jsonld import _nodemap, default_document_loader
from mcbadge.jsonld._canon import canonical_nquads
from tests.conftest import DATA, REPO


def _slow(expanded: Any) -> str:
    graphs: dict[str, Any] = {"@default": {}}
    previous = getattr(_nodemap._STATE, "index", None)
    _nodemap._STATE.index = None  # pyld's own scan
    try:
        jsonld.JsonLdProcessor()._create_node_map(copy.deepcopy(expanded), graphs,
                                                   "@default", IdentifierIssuer("_:b"))
    finally:
        _nodemap._STATE.index = previous
    return json.dumps(graphs, sort_keys=True)


def _fast(expanded: Any) -> str:
    graphs = _nodemap.node_map(copy.deepcopy(expanded), {"@default": {}},
                               IdentifierIssuer("_:b"))
    return json.dumps(graphs, sort_keys=True)


IRIS = st.sampled_from(["https://e.example/a", "https://e.example/b", "_:x", "_:y",
                        "urn:uuid:1"])
PROPS = st.sampled_from(["https://v.example/p", "https://v.example/q", "@type"])
PRIMS = st.sampled_from([1, 1.0, True, False, 0, "1", "a", "A", "", 2.5])
VALUES = st.builds(
    lambda v, t, lang, idx: {"@value": v, **({"@type": t} if t else {}),
                             **({"@language": lang} if lang and isinstance(v, str) else {}),
                             **({"@index": idx} if idx else {})},
    PRIMS, st.sampled_from([None, "https://t.example/d", "https://t.example/e"]),
    st.sampled_from([None, "en", "fr"]), st.sampled_from([None, "i1", "i2"]))


def _nodes(depth: int) -> Any:
    leaf = st.one_of(VALUES, st.builds(lambda i: {"@id": i}, IRIS))
    if depth == 0:
        return leaf
    child = st.one_of(leaf, _nodes(depth - 1),
                      st.builds(lambda items: {"@list": items}, st.lists(leaf, max_size=3)))
    return st.builds(
        lambda node_id, types, props: {**({"@id": node_id} if node_id else {}),
                                       **({"@type": types} if types else {}), **props},
        st.one_of(st.none(), IRIS),
        st.lists(st.sampled_from(["https://t.example/T", "https://t.example/U", "_:t"]),
                 max_size=3),
        st.dictionaries(st.sampled_from(["https://v.example/p", "https://v.example/q"]),
                        st.lists(child, max_size=6), max_size=2))


@settings(max_examples=500, deadline=None)
@given(st.lists(_nodes(2), min_size=1, max_size=5))
def test_the_same_node_map_as_pyld(expanded: list[Any]) -> None:
    assert _fast(expanded) == _slow(expanded)


def test_the_same_object_added_twice_is_one_value() -> None:
    shared = {"@value": "x"}
    expanded = [{"@id": "https://e.example/a", "https://v.example/p": [shared, shared,
                                                                         {"@value": "x"}]}]
    assert _fast(expanded) == _slow(expanded)
    assert json.loads(_fast(expanded))["@default"]["https://e.example/a"][
        "https://v.example/p"] == [{"@value": "x"}]


def test_real_credentials_canonicalize_the_same() -> None:
    loader = default_document_loader()
    docs = [json.loads((REPO / "benchmarks" / "data" / "ob3-credential-3k.json").read_text())]
    for path in sorted((DATA / "1edtech-spec").rglob("*.json"))[:40]:
        doc = json.loads(path.read_text())
        if isinstance(doc, dict) and "@context" in doc:
            docs.append(doc)
    big = copy.deepcopy(docs[0])
    big["evidence"] = [{"id": f"https://e.example/{i % 7}", "type": ["Evidence"],
                        "name": f"n{i % 3}"} for i in range(60)]  # duplicates to merge
    docs.append(big)
    compared = 0
    for doc in docs:
        try:
            fast = canonical_nquads(doc, loader)
        except Exception:  # documents the suite refuses are not compared
            continue
        previous = getattr(_nodemap._STATE, "index", None)
        original = jsonld.JsonLdProcessor.has_value
        jsonld.JsonLdProcessor.has_value = staticmethod(_nodemap._ORIGINAL_HAS_VALUE)
        try:
            from mcbadge.jsonld import _canon

            _canon._RECENT.clear()
            slow = canonical_nquads(doc, loader)
        finally:
            jsonld.JsonLdProcessor.has_value = original
            _nodemap._STATE.index = previous
        assert fast == slow
        compared += 1
    assert compared >= 5
