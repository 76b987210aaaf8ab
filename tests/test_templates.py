"""Shape templates (jsonld/_templates.py) against the full path: on hypothesis mutations of
the leaves of real badges (hostile IRIs: compact, relative, blank-node, keyword-like, with
white space or Unicode; dates, e-mails, empty strings), template and full path give the same
expansion, the same meaning for every JSON object (what the signed view reads), the same
canonical N-Quads, the same data-loss refusals and the same signed-view verdict; or the
template steps aside. Never a different answer."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcbadge.errors import MCBadgeError
from mcbadge.jsonld import _templates, default_document_loader
from mcbadge.jsonld._canon import (
    _RECENT,
    TEMPLATES,
    canonical_nquads,
    expansion,
    remembering_expansions,
    without_templates,
)
from mcbadge.jsonld._view import check_signed_view
from tests.conftest import REPO, SPEC

LOADER = default_document_loader()
BENCH = json.loads((REPO / "benchmarks" / "data" / "ob3-credential-3k.json").read_text())
BASES = [BENCH,
         json.loads((SPEC / "spec-examples/complete-openbadgecredential.json").read_text()),
         json.loads((SPEC / "spec-examples/basic-openbadgecredential.json").read_text())]
for base in BASES:
    base.pop("proof", None)

HOSTILE = st.sampled_from([
    "https://example.org/a", "http://example.org/b#c", "urn:uuid:0f6d", "did:key:z6Mk1",
    "mailto:ada@example.org", "ob:Achievement", "xsd:string", "schema:name", "_:b0", "_:x",
    "relative/path", "#frag", "", " ", "https://exa mple.org", "https://example.org/\u00e9",
    "https://example.org/\u3000x", "@id", "@type", "@context", "id", "type", "name",
    "2026-01-01T00:00:00Z", "2026-13-45", "ada@example.org", "urn:", "https:", "did:",
    "https://example.org/<x>", "https://example.org/{x}", "HTTPS://EXAMPLE.ORG/X",
    "urn:x-mcbadge-leaf:0:0", "\ud7ff", "a\u0000b", "x" * 300, "Course", "Badge",
    "Certificate", "MicroCredential", "AchievementCredential", "Profile", "@vocab",
    "https://purl.imsglobal.org/spec/vc/ob/vocab.html#Course", "en", "ext:Thing"])
LEAF = st.one_of(HOSTILE, st.text(max_size=30))


def _leaf_paths(node: Any, here: tuple[Any, ...] = (), fixed: bool = False
                ) -> list[tuple[Any, ...]]:
    if isinstance(node, str):
        return [] if fixed else [here]
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            hold = fixed or key in ("type", "@type", "@context") or (
                key.startswith("@") and key not in ("@id", "@value"))
            out += _leaf_paths(value, (*here, key), hold)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _leaf_paths(value, (*here, i), fixed)
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def _meanings(found: Any) -> list[tuple[str, str, str]]:
    """Every JSON object of the root, by path: what its keys mean and what it became."""
    out = []
    stack: list[tuple[Any, str]] = [(found.root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            meant = found.meaning(node)
            if meant is not None:
                out.append((path, json.dumps(meant[0], sort_keys=True),
                            json.dumps(meant[1], sort_keys=True)))
            stack += [(v, f"{path}/{k}") for k, v in node.items() if k != "@context"]
        elif isinstance(node, list):
            stack += [(v, f"{path}/{i}") for i, v in enumerate(node)]
    return sorted(out)


def _answer(doc: dict[str, Any]) -> tuple[Any, ...]:
    _RECENT.clear()
    try:
        with remembering_expansions():
            found = expansion(doc, LOADER)
            expanded = json.dumps(found.expanded, sort_keys=True)
            meanings = _meanings(found)
    except MCBadgeError as exc:
        return ("refused", type(exc).__name__)
    try:
        nquads = canonical_nquads(doc, LOADER)
    except MCBadgeError as exc:
        nquads = f"refused {type(exc).__name__}"
    _RECENT.clear()
    try:
        check_signed_view(doc, LOADER)
        view = "ok"
    except MCBadgeError as exc:
        view = f"refused {type(exc).__name__}: {exc.message}"
    return (expanded, meanings, nquads, view)


def _full(doc: dict[str, Any]) -> tuple[Any, ...]:
    with without_templates():
        return _answer(doc)


@pytest.fixture(autouse=True)
def _fresh_templates() -> None:
    TEMPLATES.clear()


def _warm(base: dict[str, Any]) -> None:
    """Sightings of the shape: its template is built, then its quads."""
    for _ in range(3):
        _answer(copy.deepcopy(base))


def test_the_bench_shape_is_templated_and_hit() -> None:
    _warm(BENCH)
    shape = _templates.shape_of(BENCH)
    assert shape is not None
    known, template = TEMPLATES.get(LOADER, shape)
    assert known and template is not None
    assert "iri" in template.kinds and "literal" in template.kinds
    assert isinstance(template.quads, _templates.QuadTemplate)
    other = copy.deepcopy(BENCH)
    other["id"] = "urn:uuid:11111111-2222-4333-8444-555555555555"
    other["credentialSubject"]["name"] = "Someone Else"
    assert _answer(other) == _full(other)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(base=st.sampled_from(range(len(BASES))), data=st.data())
def test_template_and_full_path_agree_on_mutated_leaves(base: int, data: Any) -> None:
    source = BASES[base]
    _warm(source)
    paths = _leaf_paths(source)
    edits = data.draw(st.lists(st.tuples(st.sampled_from(paths), LEAF), min_size=1,
                               max_size=6))
    doc = copy.deepcopy(source)
    for path, value in edits:
        _set(doc, path, value)
    assert _answer(doc) == _full(doc), edits


def test_a_document_holding_nan_has_no_shape() -> None:
    doc = copy.deepcopy(BENCH)
    doc["credentialSubject"]["extra"] = float("nan")
    assert _templates.shape_of(doc) is None


def test_the_cache_is_bounded() -> None:
    for i in range(_templates.MAX_TEMPLATES + 20):
        doc = copy.deepcopy(BASES[2])
        doc[f"https://example.org/p{i}"] = "x"  # a new shape each time
        shape = _templates.shape_of(doc)
        assert shape is not None
        TEMPLATES.put(LOADER, shape, None)
    assert len(TEMPLATES._templates) <= _templates.MAX_TEMPLATES


def test_signed_on_a_template_verifies_on_the_full_path_and_back() -> None:
    from mcbadge.keys import Ed25519Key
    from mcbadge.proofs import sign, verify_proof

    key = Ed25519Key.from_seed(bytes(range(32)))
    doc = copy.deepcopy(BENCH)
    doc["issuer"]["id"] = key.did
    for _ in range(3):
        sign(doc, key)  # the shape's template is built and used
    paths = _leaf_paths(doc)
    for i, path in enumerate(paths[:40]):
        variant = copy.deepcopy(doc)
        if path[-1] not in ("id",) or "issuer" not in path:
            _set(variant, path, f"https://example.org/v/{i}" if path[-1] == "id"
                 else f"value {i}")
        signed = sign(variant, key)
        with without_templates():
            assert verify_proof(signed, signed["proof"]).verified, path
            resigned = sign(variant, key, created=signed["proof"]["created"])
        assert resigned["proof"]["proofValue"] == signed["proof"]["proofValue"]
        tampered = copy.deepcopy(signed)
        _set(tampered, path, "tampered")
        assert not verify_proof(tampered, tampered["proof"]).verified, path


def test_two_nodes_given_one_iri_merge_as_on_the_full_path() -> None:
    doc = copy.deepcopy(BASES[2])
    doc["evidence"] = [{"id": "https://example.org/e/1", "type": ["Evidence"], "name": "A"},
                       {"id": "https://example.org/e/2", "type": ["Evidence"], "name": "A"}]
    _warm(doc)
    shape = _templates.shape_of(doc)
    assert shape is not None
    _, template = TEMPLATES.get_existing(LOADER, shape)
    assert template is not None and isinstance(template.quads, _templates.QuadTemplate)
    same = copy.deepcopy(doc)
    same["evidence"][1]["id"] = "https://example.org/e/1"  # one node, described twice
    assert _answer(same) == _full(same)


def test_a_checked_node_described_twice_is_refused_on_a_proven_template() -> None:
    """The template's signed-view pass is reused only while no checked object shares its
    id with another description; two subjects given one id go to the full path and are
    refused there, as without templates."""
    doc = copy.deepcopy(BENCH)
    first = doc["credentialSubject"]
    second = copy.deepcopy(first)
    second["id"] = "did:example:learner1"
    second["achievement"]["id"] = "https://example.edu/achievements/other"
    for i, criterion in enumerate(second["achievement"]["resultDescription"]):
        criterion["id"] = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
    doc["credentialSubject"] = [first, second]
    _warm(doc)
    shape = _templates.shape_of(doc)
    assert shape is not None
    _, template = TEMPLATES.get_existing(LOADER, shape)
    assert template is not None and template.views, "the shape's view verdict is proven"
    other = copy.deepcopy(doc)
    other["id"] = "urn:uuid:11111111-2222-4333-8444-555555555555"
    assert check_signed_view(other, LOADER) is None  # proven: no expansion made
    same = copy.deepcopy(doc)
    same["credentialSubject"][1]["id"] = same["credentialSubject"][0]["id"]
    answer = _answer(same)
    assert answer == _full(same)
    assert answer[3].startswith("refused JsonLdFormError") and "statements" in answer[3]


def test_a_run_shapes_the_copies_of_one_credential_once(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    from mcbadge.jsonld import _canon

    calls: list[int] = []
    real = _templates.shape_of
    monkeypatch.setattr(_templates, "shape_of", lambda doc: calls.append(1) or real(doc))
    doc = copy.deepcopy(BENCH)
    with remembering_expansions():
        first = _canon.shape_in_run(dict(doc))
        again = _canon.shape_in_run(dict(doc.items()))  # the same members
        assert again is first and len(calls) == 1
        other = dict(doc, id="urn:uuid:11111111-2222-4333-8444-555555555555")
        changed = _canon.shape_in_run(other)  # another member: walked
        assert len(calls) == 2 and changed is not None and changed.leaves != first.leaves
    _canon.shape_in_run(dict(doc))  # outside a run nothing is remembered
    assert len(calls) == 3


def test_a_template_canonicalizes_with_either_hash_algorithm() -> None:
    """ecdsa-rdfc-2019 with P-384 runs RDFC-1.0 with SHA-384 (its blank-node labels can
    differ from SHA-256's): the template gives the full path's canonical N-Quads with
    either, in either order."""
    _warm(BENCH)
    for order in (("sha256", "sha384"), ("sha384", "sha256")):
        for i, name in enumerate(order):
            doc = copy.deepcopy(BENCH)
            doc["id"] = f"urn:uuid:11111111-2222-4333-8444-{i:012d}"
            doc["credentialSubject"]["name"] = f"Learner {i} {name}"
            got = canonical_nquads(doc, LOADER, hash_name=name)
            with without_templates():
                assert got == canonical_nquads(doc, LOADER, hash_name=name)
        TEMPLATES.clear()
        _warm(BENCH)


def test_shapes_tell_apart_what_json_tells_apart() -> None:
    """Numbers are part of a shape, so -0.0 and 0.0, 1 and 1.0 and true, null and a string
    are other shapes (RDF writes them differently); a value that is not JSON data gives no
    shape (the full path)."""
    def key(value: Any) -> Any:
        shape = _templates.shape_of({"@context": ["x"], "a": value})
        assert shape is not None
        return shape.key

    values = [0.0, -0.0, 1, 1.0, True, False, 0, None, "text", [1], {"b": 1}, [], {}]
    keys = [key(v) for v in values]
    for i, k in enumerate(keys):
        assert k == key(copy.deepcopy(values[i]))
        assert all(k != other for j, other in enumerate(keys) if j != i), values[i]
    assert key("one leaf") == key("another leaf")  # strings are leaves
    for bad in ((1, 2), {1, 2}, object(), {1: "a"}):
        assert _templates.shape_of({"a": bad}) is None


def test_percent_signs_in_leaves_and_in_the_shape_fill_as_text() -> None:
    """The template's forms are filled by one %-format: a % in a leaf, in a fixed part of
    the shape (a type) or in an IRI is text, never a placeholder."""
    base = copy.deepcopy(BENCH)
    base["credentialSubject"]["achievement"]["name"] = "100% done %s %(x)s %%"
    base["credentialSubject"]["achievement"]["type"] = ["Achievement"]
    _warm(base)
    other = copy.deepcopy(base)
    other["credentialSubject"]["achievement"]["name"] = "%d %s %% %(y)s 50%"
    other["id"] = "urn:uuid:%2F%s"
    assert _answer(other) == _full(other)
    assert "%d %s %% %(y)s 50%" in _answer(other)[2]


def test_equal_shapes_share_one_interned_key_and_the_table_is_bounded() -> None:
    first = copy.deepcopy(BENCH)
    second = copy.deepcopy(BENCH)
    second["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
    one, two = _templates.shape_of(first), _templates.shape_of(second)
    assert one is not None and two is not None
    assert one.key is two.key and one.leaves != two.leaves
    other = copy.deepcopy(BENCH)
    other["extra"] = 1
    three = _templates.shape_of(other)
    assert three is not None and three.key != one.key
    for i in range(_templates.MAX_INTERNED + 10):
        _templates.shape_of({"n": i})
    assert len(_templates._interned) == _templates.MAX_INTERNED


def _reference_skeleton(node: Any, leaves: list[str], fixed: bool) -> Any:
    """The shape as the module's docstring defines it, written plainly."""
    if isinstance(node, bool):
        return ("b", node)
    if isinstance(node, str):
        if fixed:
            return ("s", node)
        leaves.append(node)
        return ("leaf",)
    if isinstance(node, int):
        return ("i", node)
    if isinstance(node, float):
        return ("f", repr(node))
    if node is None:
        return ("n",)
    if isinstance(node, list):
        return ("[", *(_reference_skeleton(v, leaves, fixed) for v in node))
    return ("{", *((k, _reference_skeleton(
        v, leaves, fixed or k in ("type", "@type", "@context")
        or (k.startswith("@") and k not in ("@id", "@value")))) for k, v in node.items()))


_SHAPED = st.recursive(
    st.one_of(st.text(max_size=2), st.integers(), st.booleans(), st.none(),
              st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["type", "@type", "@context", "@id", "@value",
                                         "@language", "id", "name", "endorsement", ""]),
                        inner, max_size=4)),
    max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(value=st.dictionaries(st.sampled_from(["a", "type", "@context", "proof"]), _SHAPED,
                             max_size=4))
def test_the_shape_walk_is_the_defined_shape(value: dict[str, Any]) -> None:
    expected_leaves: list[str] = []
    expected = _reference_skeleton(value, expected_leaves, False)
    shape = _templates.shape_of(value)
    assert shape is not None
    assert shape.key.value == expected and shape.leaves == expected_leaves
    assert shape.endorsed == ('"endorsement"' in json.dumps(value))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["https://a.example/x", "urn:uuid:1", "did:key:z6Mk", "mailto:a@b",
                                 "http://x", "ftp://x", "https://a b", "https://a\n",
                                 "urn:", "", "\n", "https://ok\nurn:x", "did:web:a%3A1", "x"])
                | st.text(alphabet="hts:/pa\n u", max_size=8), min_size=1, max_size=6))
def test_iri_leaves_are_judged_neutral_together_as_one_by_one(values: list[str]) -> None:
    from mcbadge.jsonld._templates import Shape, ShapeKey, Template

    template = Template([], {}, ["iri", "literal"] * len(values), [], {}, frozenset({"x"}))
    leaves = [v for value in values for v in (value, "any literal")]
    shape = Shape(ShapeKey(()), leaves, False)
    assert _templates.acceptable(template, shape) == all(
        _templates.neutral(v) and v != "x" for v in values)
