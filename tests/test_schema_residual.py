"""Schema residuals (``_private/schema_residual.py``) give the compiled validator's verdict:
for a document's shape, the residual's test of any leaf strings is what fastjsonschema says
of the document with those strings. Held on every JSON document under tests/data against
every bundled schema, and on hypothesis mutations of the bench credential (members dropped,
added or retyped, then the leaf strings replaced by dates, enumeration members, pattern
matches, near misses and noise). Only the residual's "holds" is ever used, so the property
that matters is holds => compiled-valid; the test holds the two equal."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcbadge._private.schema_residual import Leaf, Residual, residual
from mcbadge.jsonld._templates import marked, shape_of, with_member
from mcbadge.models import SCHEMA_IDS
from mcbadge.models import schema as schemas
from tests.conftest import DATA
from tests.test_schema_compiled import _VALUES, BENCH, DOCUMENTS, PATHS, mutated

ADAPTED_OB = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/"
              "ob_v3p0_achievementcredential_schema.json")
SIDS = (schemas.OB_ACHIEVEMENT_CREDENTIAL, ADAPTED_OB)


def _strings(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("enum", "const"):
                members = value if isinstance(value, list) else [value]
                out.update(m for m in members if isinstance(m, str))
            else:
                _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            _strings(value, out)
    return out


ENUMS = sorted(set().union(*(_strings(schemas._load_schema(s), set()) for s in SIDS)))
_LEAVES = st.sampled_from([
    *ENUMS[:60], "ext:Custom", "ext:", "ext:a b", "ext:a|b", "", " ", "x", "2026-01-01",
    "2026-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00",
    "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+01:00", "0000-01-01T00:00:00Z",
    "https://example.org/x", "urn:uuid:1", "did:key:z6Mk", "\u00a0", "Achievement\n",
]) | st.text(max_size=8)


def _scope(sid: str) -> dict[str, Any]:
    compiled = schemas._compiled(sid)
    found: dict[str, Any] = getattr(getattr(compiled, "func", compiled), "__globals__", {})
    return found.get("REGEX_PATTERNS", {})


def _checked(doc: dict[str, Any]) -> Any:
    adapted, _ = schemas._adapt_vc1(dict(doc))
    return schemas._wrap_single_proofs(adapted)


def _residual_of(sid: str, doc: dict[str, Any]) -> tuple[Residual | None, Any, list[str]]:
    leaves: list[str] = []
    instance = marked(_checked(doc), Leaf, leaves)
    return residual(schemas._load_schema(sid), instance, _scope(sid), schemas._FORMATS), \
        instance, leaves


def _fill(node: Any, values: list[str]) -> Any:
    if type(node) is Leaf:
        return values[node.index]
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    return node


def _agree(sid: str, found: Residual, instance: Any, values: list[str]) -> None:
    assert found.holds(values) == schemas._conforms(sid, _fill(instance, values)), values


def test_the_bench_credential_has_a_residual_that_holds() -> None:
    for sid in SIDS:
        found, instance, leaves = _residual_of(sid, BENCH)
        assert found is not None and found.holds(leaves)
        assert found.tests  # validFrom and the other dates are tested, not decided
        broken = list(leaves)
        broken[leaves.index(BENCH["validFrom"])] = "2026-02-30T00:00:00Z"
        assert not found.holds(broken)
        _agree(sid, found, instance, broken)


def test_same_verdicts_on_every_document_and_schema() -> None:
    compared = 0
    for path in DOCUMENTS:
        if path.stat().st_size > 100_000:
            continue  # the large ones are the same shapes, longer
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if not isinstance(doc, dict) or shape_of(doc) is None:
            continue
        for sid in sorted(SCHEMA_IDS):
            found, instance, leaves = _residual_of(sid, doc)
            if found is None:
                continue
            _agree(sid, found, instance, leaves)
            bent = ("", "x", "2026-02-30T00:00:00Z")[compared % 3]
            _agree(sid, found, instance, [bent] * len(leaves))
            compared += 1
    assert compared > 200, compared
    assert DATA.is_dir()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "drop", "add"]),
                          _VALUES), max_size=3), st.data())
def test_same_verdicts_on_mutated_badges(edits: list[tuple[Any, str, Any]],
                                         data: st.DataObject) -> None:
    doc = mutated(edits)
    if shape_of(doc) is None:
        return
    for sid in SIDS:
        found, instance, leaves = _residual_of(sid, doc)
        if found is None:
            continue
        _agree(sid, found, instance, leaves)
        values = [data.draw(st.just(v) | _LEAVES) for v in leaves]
        _agree(sid, found, instance, values)


def test_validate_schema_uses_and_bounds_its_residuals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schemas, "_RESIDUALS", type(schemas._RESIDUALS)())
    monkeypatch.setattr(schemas, "_SIGHTINGS", type(schemas._SIGHTINGS)())
    monkeypatch.setattr(schemas, "MAX_RESIDUALS", 3)
    sid = schemas.OB_ACHIEVEMENT_CREDENTIAL
    assert schemas.validate_schema(BENCH) == []
    assert not schemas._RESIDUALS  # one sighting: nothing built
    assert schemas.validate_schema(BENCH) == []
    shape = shape_of(BENCH)
    assert shape is not None and schemas._RESIDUALS[(sid, shape.key)] is not None
    # a badge of the shape with a bad date: the residual does not hold, the validator says why
    bad = copy.deepcopy(BENCH)
    bad["validFrom"] = "2026-02-30T00:00:00Z"
    errors = schemas.validate_schema(bad)
    assert errors and errors[0].pointer == "/validFrom"
    for i in range(8):  # more shapes than kept: the oldest go
        other = {**BENCH, f"extra{i}": "x"}
        schemas.validate_schema(other)
        schemas.validate_schema(other)
    assert len(schemas._RESIDUALS) == 3


def test_a_shape_with_its_proof_member_is_the_documents_shape() -> None:
    unsecured = {k: v for k, v in BENCH.items() if k != "proof"}
    base = shape_of(unsecured)
    assert base is not None
    proof = {"type": "DataIntegrityProof", "created": "2026-01-01T00:00:00Z"}
    whole = with_member(base, "proof", proof)
    expected = shape_of({**unsecured, "proof": proof})
    assert whole is not None and expected is not None
    assert whole.key == expected.key and whole.leaves == expected.leaves
    assert with_member(base, "proof", {"x": float("nan")}) is None


@pytest.mark.parametrize("schema", [
    {"type": "object", "patternProperties": {"^a": {"type": "string"}}},
    {"type": "object", "properties": {"name": {"format": "email"}}},
    {"$ref": "https://example.org/elsewhere.json"},
    {"type": "object", "properties": {"name": {"if": {"const": "a"}}}},
])
def test_a_keyword_not_modelled_means_no_residual(schema: dict[str, Any]) -> None:
    assert residual(schema, {"name": Leaf(0)}, {}, {}) is None


def test_combinators_over_leaves() -> None:
    schema = {"type": "object", "properties": {
        "a": {"oneOf": [{"enum": ["x", "y"]}, {"pattern": "^x"}]},
        "b": {"not": {"const": "no"}},
        "c": {"anyOf": [{"minLength": 3}, {"maxLength": 0}]}}}
    found = residual(schema, {"a": Leaf(0), "b": Leaf(1), "c": Leaf(2)}, {}, {})
    assert found is not None
    assert found.holds(["y", "ok", "abc"]) and found.holds(["xa", "ok", ""])
    assert not found.holds(["x", "ok", "abc"])  # both branches of the oneOf
    assert not found.holds(["y", "no", "abc"]) and not found.holds(["y", "ok", "ab"])


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "eddsa-rdfc-2022"])
def test_verify_gives_the_same_verdicts_through_a_residual(suite: str) -> None:
    from mcbadge.keys import Ed25519Key
    from mcbadge.proofs import sign
    from mcbadge.resolve import Fetcher
    from mcbadge.verification import verify

    key = Ed25519Key.generate()
    issued = {**BENCH, "issuer": {**BENCH["issuer"], "id": key.did}}
    issued.pop("proof", None)
    offline = Fetcher(offline=True)
    for i in range(3):  # the second sighting builds the residual, the third uses it
        doc = sign({**issued, "id": f"urn:uuid:00000000-0000-4000-8000-{i:012d}"}, key,
                   suite=suite)
        result = verify(doc, fetcher=offline)
        assert result.verified, result.checks
    shape = shape_of(doc)
    assert shape is not None
    assert schemas._RESIDUALS.get((schemas.OB_ACHIEVEMENT_CREDENTIAL, shape.key)) is not None
    bad = sign({**issued, "validFrom": "2026-02-30T00:00:00Z"}, key, suite=suite)
    result = verify(bad, fetcher=offline)
    check = next(c for c in result.checks if c.id == "schema")
    assert not result.verified and check.problem == "SCHEMA_VALIDATION_FAILED"
    assert "/validFrom" in check.message
