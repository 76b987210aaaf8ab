"""The endorsements check's walk (paths spelled out only for what it finds) against a plain
recursive reading, and the shortcut it takes from the document's shape: a document whose
shape has no JSON object with an ``endorsement*`` member has nothing for the walk to find."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mcbadge.jsonld._plain import _ptr
from mcbadge.jsonld._templates import shape_of
from mcbadge.verification.checks.endorsements import embedded_endorsements

KEYS = st.sampled_from(["endorsement", "endorsementJwt", "proof", "@context", "id", "name",
                        "credentialSubject", "achievement", "a/b", "t~x", "endorsements"])
LEAF = st.one_of(st.text(max_size=5), st.integers(), st.none())
JSON = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)), max_leaves=30)


def _reference(node: Any, path: str = "", root: bool = True) -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    if isinstance(node, list):
        for i, item in enumerate(node):
            out += _reference(item, _ptr(path, i), False)
        return out
    if not isinstance(node, dict) or (not root and "@context" in node):
        return out
    for key in ("endorsement", "endorsementJwt"):
        value = node.get(key)
        if value is None:
            continue
        if isinstance(value, list):
            out += [(_ptr(_ptr(path, key), j), item, node.get("id"))
                    for j, item in enumerate(value)]
        else:
            out.append((_ptr(path, key), value, node.get("id")))
    for key, value in node.items():
        if key not in ("proof", "@context", "endorsement", "endorsementJwt"):
            out += _reference(value, _ptr(path, key), False)
    return out


@settings(max_examples=400, deadline=None)
@given(doc=st.dictionaries(KEYS, JSON, max_size=6))
def test_the_walk_finds_what_a_recursive_reading_finds(doc: dict[str, Any]) -> None:
    found = list(embedded_endorsements(doc))
    assert sorted(map(repr, found)) == sorted(map(repr, _reference(doc)))
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    shape = shape_of(unsecured)
    if found and shape is not None:
        assert shape.endorsed
