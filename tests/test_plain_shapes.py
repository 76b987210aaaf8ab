"""The plain-form rule remembered per shape (jsonld/_plain.check_plain_form with a shape):
once a document of a shape has passed with a loader, another of that shape is decided by its
``id`` leaves alone. On hypothesis mutations of the leaves of real badges (hostile values,
blank-node labels among them) the remembered answer is the full check's answer, exception,
message and paths included; another loader, or another shape, is checked in full."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcbadge.errors import JsonLdFormError, MCBadgeError
from mcbadge.jsonld import DocumentLoader, _plain, default_document_loader
from mcbadge.jsonld._plain import MAX_PASSED_SHAPES, check_plain_form
from mcbadge.jsonld._templates import leaves_under, shape_of
from mcbadge.verification import verify
from tests.test_templates import BASES, LEAF, _leaf_paths, _set

LOADER = default_document_loader()


@pytest.fixture(autouse=True)
def _fresh() -> None:
    _plain._passed.clear()


def _verdict(doc: dict[str, Any], loader: Any = LOADER, *, shaped: bool) -> Any:
    try:
        check_plain_form(doc, loader, shape_of(doc) if shaped else None)
    except MCBadgeError as exc:
        return type(exc).__name__, exc.message, getattr(exc, "paths", ())
    return "passed"


JSON = st.recursive(
    st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "type", "name", "@context", "@id", "x"]),
                        inner, max_size=3)),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(value=st.dictionaries(st.sampled_from(["id", "type", "a", "b"]), JSON, max_size=4))
def test_leaves_under_names_the_leaves_of_a_member(value: dict[str, Any]) -> None:
    shape = shape_of(value)
    assert shape is not None
    paths = _leaf_paths(value)
    assert len(paths) == len(shape.leaves)
    assert leaves_under(shape.key, "id") == tuple(
        i for i, path in enumerate(paths) if path and path[-1] == "id")


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from(range(len(BASES))), data=st.data())
def test_a_remembered_shape_gives_the_full_checks_answer(base: int, data: Any) -> None:
    doc = copy.deepcopy(BASES[base])
    assert _verdict(doc, shaped=True) == "passed"  # remembered
    paths = _leaf_paths(doc)
    ids = [p for p in paths if p[-1] == "id"]
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(ids if ids and data.draw(st.booleans()) else paths))
        value = data.draw(st.one_of(LEAF, st.sampled_from(["_:b0", "_:", "_:x y"])))
        _set(doc, path, value)
    assert _verdict(doc, shaped=True) == _verdict(doc, shaped=False)


def test_a_blank_node_id_in_a_remembered_shape_is_refused_with_its_path() -> None:
    doc = copy.deepcopy(BASES[0])
    check_plain_form(doc, LOADER, shape_of(doc))
    doc["credentialSubject"]["achievement"]["id"] = "_:b1"
    with pytest.raises(JsonLdFormError) as caught:
        check_plain_form(doc, LOADER, shape_of(doc))
    assert caught.value.paths == ("/credentialSubject/achievement/id",)


def test_a_shape_passed_with_one_loader_is_checked_in_full_with_another() -> None:
    doc = copy.deepcopy(BASES[0])
    doc["@context"] = [*doc["@context"], {"localNote": "https://example.org/vocab#note"}]
    doc["localNote"] = "a note"
    assert _verdict(doc, shaped=True) == "passed"
    # a loader whose registered context defines the inline term: a redefinition there
    other = DocumentLoader(extra_contexts={"https://example.org/ctx.json": {
        "@context": {"localNote": "https://example.org/other#note"}}})
    verdict = _verdict(doc, other, shaped=True)
    assert verdict == _verdict(doc, other, shaped=False)
    assert verdict != "passed" and "redefine" in verdict[1]


def test_verify_refuses_a_blank_node_id_after_its_shape_has_passed() -> None:
    from mcbadge.keys import Ed25519Key
    from mcbadge.proofs import sign
    from mcbadge.resolve import Fetcher

    key = Ed25519Key.from_seed(bytes(range(32)))
    mine = json.loads(json.dumps(BASES[0]))
    mine["issuer"] = {**mine["issuer"], "id": key.did}
    offline = Fetcher(offline=True)
    for i in range(3):
        signed = sign(dict(mine, id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}"), key,
                      suite="eddsa-jcs-2022")
        assert verify(signed, fetcher=offline).verified
    bad = copy.deepcopy(mine)
    bad["credentialSubject"]["achievement"]["id"] = "_:b0"
    result = verify(sign(bad, key, suite="eddsa-jcs-2022"), fetcher=offline)
    assert not result.verified
    [context] = [c for c in result.checks if c.id == "context"]
    assert (context.outcome, context.problem) == ("failed", "JSON_LD_FORM_ERROR")


def test_the_remembered_shapes_are_bounded() -> None:
    doc = copy.deepcopy(BASES[2])
    for i in range(MAX_PASSED_SHAPES + 20):
        doc[f"extension{i % 3}"] = [1] * (i + 1)  # a new shape each time, still plain
        check_plain_form(doc, LOADER, shape_of(doc))
    assert len(_plain._passed) == MAX_PASSED_SHAPES
