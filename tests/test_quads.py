"""Quads written straight from an expansion (``jsonld/_quads.py``) canonicalize exactly as
pyld's node map + toRDF do: on every JSON-LD document under tests/data, and on hypothesis
expansions built to stress what the node map does (a node described in several places,
blank node ids shared between ``@id`` and ``@type``, relative IRIs that RDF drops, lists
of values and of nodes, every literal kind). Whatever the direct walk declines must come
back as None, never as other quads."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcbadge._private.rdfc import canonicalize_quads, quads_from_dataset
from mcbadge.errors import MCBadgeError
from mcbadge.jsonld import default_document_loader
from mcbadge.jsonld._canon import _dataset, dataset_quads, expansion, without_templates
from mcbadge.jsonld._quads import direct_quads
from tests.conftest import DATA

LOADER = default_document_loader()
OPTIONS = LOADER.pyld_options(base="", produceGeneralizedRdf=False,
                              processingMode="json-ld-1.1", rdfDirection=None)


def _by_node_map(expanded: Any) -> str:
    return canonicalize_quads(quads_from_dataset(_dataset(copy.deepcopy(expanded), OPTIONS)))


def _agree(expanded: Any) -> bool:
    """Same canonical N-Quads both ways; False when the direct walk declined."""
    before = json.dumps(expanded, sort_keys=True)
    direct = direct_quads(expanded, OPTIONS)
    assert json.dumps(expanded, sort_keys=True) == before  # the walk changes nothing
    if direct is None:
        return False
    assert canonicalize_quads(direct) == _by_node_map(expanded)
    return True


def test_every_document_under_tests_data() -> None:
    compared = 0
    for path in sorted(DATA.rglob("*.json")):
        if path.stat().st_size > 500_000:
            continue
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if not isinstance(doc, dict) or "@context" not in doc:
            continue
        doc.pop("proof", None)
        try:
            with without_templates():
                expanded = expansion(doc, LOADER).expanded
        except (MCBadgeError, RecursionError, ValueError, TypeError):
            continue
        compared += _agree(expanded)
    assert compared > 30, compared


def test_a_badge_with_a_result_list_takes_the_direct_walk() -> None:
    expanded = [{
        "@id": "urn:uuid:1", "@type": ["https://example.org/T"],
        "https://example.org/allowed": [{"@list": [{"@value": "A"}, {"@value": "B"}]}],
        "https://example.org/empty": [{"@list": []}],
        "https://example.org/part": [{"@type": ["https://example.org/P"],
                                      "https://example.org/n": [{"@value": 1}]}],
    }]
    assert _agree(expanded)
    assert dataset_quads(expanded, LOADER) == direct_quads(expanded, OPTIONS)


def test_what_the_walk_declines() -> None:
    for odd in (
        [{"@id": "urn:a", "https://p/g": [{"@graph": [{"@id": "urn:b"}]}]}],
        [{"@id": "urn:a", "@reverse": {"https://p/r": [{"@id": "urn:b"}]}}],
        [{"@id": "urn:a", "https://p/v": [{"@value": "x", "@index": "i"}]}],
        [{"@id": "urn:a", "https://p/l": [{"@list": [{"@list": [{"@value": 1}]}]}]}],
        [{"@id": "urn:a", "@included": [{"@id": "urn:b"}]}],
        {"@id": "urn:a"},
    ):
        assert direct_quads(odd, OPTIONS) is None, odd


_IDS = st.sampled_from([None, "_:a", "_:b", "urn:x:1", "urn:x:2", "https://ex.org/n",
                        "relative", "_:b0"])
_PREDICATES = st.sampled_from(["https://ex.org/p", "https://ex.org/q", "urn:p",
                               "_:blankpred", "relative-pred"])
_TYPES = st.lists(st.sampled_from(["https://ex.org/T", "_:a", "_:t", "relative-type",
                                   "urn:T"]), max_size=2)
_LITERALS = st.one_of(
    st.builds(lambda v: {"@value": v}, st.text(max_size=4) | st.booleans()
              | st.integers(-10**22, 10**22) | st.floats(allow_nan=False,
                                                         allow_infinity=False)),
    st.builds(lambda v, t: {"@value": v, "@type": t}, st.text(max_size=3),
              st.sampled_from(["https://ex.org/dt", "http://www.w3.org/2001/XMLSchema#double",
                               "http://www.w3.org/2001/XMLSchema#integer", "relative-dt"])),
    st.builds(lambda v, lang: {"@value": v, "@language": lang}, st.text(max_size=3),
              st.sampled_from(["en", "fr-CA"])),
    st.builds(lambda v: {"@value": v, "@type": "@json"},
              st.dictionaries(st.text(max_size=2), st.integers(0, 3), max_size=2)),
)


def _node(kids: Any) -> Any:
    return st.builds(
        lambda i, t, props: {**({} if i is None else {"@id": i}), **({"@type": t} if t else {}),
                             **props},
        _IDS, _TYPES, st.dictionaries(_PREDICATES, st.lists(kids, min_size=1, max_size=3),
                                      max_size=3))


_VALUES = st.recursive(
    _LITERALS | st.builds(lambda i: {"@id": i}, _IDS.filter(lambda i: i is not None)),
    lambda kids: _node(kids) | st.builds(lambda items: {"@list": items},
                                         st.lists(kids.filter(lambda k: "@list" not in k),
                                                  max_size=3)),
    max_leaves=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_node(_VALUES), min_size=1, max_size=3))
def test_same_canonical_quads_as_the_node_map(expanded: list[Any]) -> None:
    _agree(expanded)
