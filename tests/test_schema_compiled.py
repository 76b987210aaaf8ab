"""The compiled schema validators (fastjsonschema) give jsonschema's verdict: on every JSON
document under tests/data against every bundled schema, and on hypothesis mutations of the
bench credential (types swapped, members dropped or added, dates bent, strings replaced).
Only the compiled "valid" is ever used (a failure goes to jsonschema), so the property that
matters is: compiled-valid implies jsonschema-valid; the test holds the two equal."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcbadge.models import SCHEMA_IDS
from mcbadge.models import schema as schemas
from tests.conftest import DATA, REPO

BENCH = json.loads((REPO / "benchmarks" / "data" / "ob3-credential-3k.json").read_text())
DOCUMENTS = sorted(p for p in DATA.rglob("*.json") if p.stat().st_size < 2_000_000)


def _slow_valid(schema_id: str, doc: Any) -> bool:
    adapted, _ = schemas._adapt_vc1(dict(doc))
    return not any(True for _ in schemas._validator(schema_id).iter_errors(
        schemas._wrap_single_proofs(adapted)))


def _fast_valid(schema_id: str, doc: Any) -> bool:
    adapted, _ = schemas._adapt_vc1(dict(doc))
    return schemas._conforms(schema_id, schemas._wrap_single_proofs(adapted))


def test_every_bundled_schema_compiles() -> None:
    assert all(schemas._compiled(sid) is not None for sid in SCHEMA_IDS)


def test_same_verdicts_on_every_document_and_schema() -> None:
    compared = valid = 0
    for path in DOCUMENTS:
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if not isinstance(doc, dict):
            continue
        for sid in sorted(SCHEMA_IDS):
            slow = _slow_valid(sid, doc)
            assert _fast_valid(sid, doc) == slow, (path, sid)
            compared += 1
            valid += slow
    assert compared > 1000 and valid > 20  # the corpus holds both kinds


_SCALARS = (st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2)
            | st.sampled_from(["", "x", "2026-01-01", "2026-01-01T00:00:00Z",
                               "2026-13-01T00:00:00Z", "2026-01-01T00:00:00",
                               "https://example.org/x", "urn:uuid:1", "Achievement",
                               "OpenBadgeCredential", "did:key:z6Mk", "1.0"]))
_VALUES = st.recursive(_SCALARS, lambda kids: st.lists(kids, max_size=3)
                       | st.dictionaries(st.sampled_from(["id", "type", "name", "x"]), kids,
                                         max_size=3), max_leaves=6)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*here, i))
    return out


PATHS = _paths(BENCH)[1:]


def mutated(edits: list[tuple[Any, str, Any]]) -> Any:
    """The bench credential with each (path, set | drop | add, value) edit made that fits."""
    doc = copy.deepcopy(BENCH)
    for path, how, value in edits:
        parent: Any = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            if how == "drop" and isinstance(parent, dict):
                parent.pop(last, None)
            elif how == "add" and isinstance(parent, dict):
                parent[f"extra{len(parent)}"] = value
            elif how == "add" and isinstance(parent, list):
                parent.append(value)
            else:
                parent[last] = value
        except (KeyError, IndexError, TypeError):
            continue
    return doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "drop", "add"]),
                          _VALUES), min_size=1, max_size=4))
def test_same_verdicts_on_mutated_badges(edits: list[tuple[Any, str, Any]]) -> None:
    doc = mutated(edits)
    for sid in (schemas.OB_ACHIEVEMENT_CREDENTIAL,
                "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/"
                "ob_v3p0_achievementcredential_schema.json"):
        assert _fast_valid(sid, doc) == _slow_valid(sid, doc), edits


@pytest.mark.parametrize("value", [1.0, 2, True, "1", None])
def test_numbers_and_booleans_are_typed_alike(value: Any) -> None:
    doc = copy.deepcopy(BENCH)
    doc["credentialSubject"]["result"][0]["value"] = value
    for sid in (schemas.OB_ACHIEVEMENT_CREDENTIAL,):
        assert _fast_valid(sid, doc) == _slow_valid(sid, doc)


def test_the_bench_credential_conforms_both_ways() -> None:
    assert _fast_valid(schemas.OB_ACHIEVEMENT_CREDENTIAL, BENCH)
    assert _slow_valid(schemas.OB_ACHIEVEMENT_CREDENTIAL, BENCH)
    assert Path(schemas.__file__).name == "schema.py"
