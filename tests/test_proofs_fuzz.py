"""verify_proof on hostile input: a failed result, never an exception."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign, verify_proof
from tests.conftest import SPEC, load_json

KEY = Ed25519Key.from_seed(bytes(range(32)))
BASE = load_json(SPEC / "ob-v3p0-test-vector/credential.json")
SIGNED = {suite: sign(BASE, KEY, suite=suite)
          for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020")}

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=15,
)


def _paths(node: Any, path: list[Any]) -> list[list[Any]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, [*path, k])
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, [*path, i])
    return out


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SIGNED)), st.data(), values)
def test_mutated_signed_credentials_never_raise(suite: str, data: st.DataObject, value: Any) -> None:
    doc = copy.deepcopy(SIGNED[suite])
    path = data.draw(st.sampled_from([p for p in _paths(doc, []) if p]))
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    proof = doc.get("proof") if isinstance(doc.get("proof"), dict) else {}
    result = verify_proof(doc, proof)
    assert isinstance(result.verified, bool)
    assert result.verified or result.problem


@settings(max_examples=100, deadline=None)
@given(values, values)
def test_arbitrary_documents_and_proofs_never_raise(doc: Any, proof: Any) -> None:
    assert not verify_proof(doc, proof).verified


def test_wrong_purpose_is_refused() -> None:
    doc = copy.deepcopy(SIGNED["eddsa-rdfc-2022"])
    assert verify_proof(doc, doc["proof"]).verified
    assert not verify_proof(doc, doc["proof"], expected_purpose="authentication").verified
