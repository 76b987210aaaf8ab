"""VC Data Model 2.0 rules the JSON Schemas leave out, enforced by the ``schema`` check."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mcbadge
from mcbadge.verification import VerificationResult
from mcbadge.verification._data_model import data_model_errors
from tests.issuers import NOW, Issuer, offline

ISSUER = Issuer()
SRI = "sha384-dq6Z5xv3XbhYQy4qk8nB7Cjb0D3EQtdtw2iQo9ViDvhYGN6pd1Gf3rrb8T7eE0Vs"
RELATED = {"id": "https://lms.example/rubrics/community.pdf", "digestSRI": SRI}


def _verify(**extra: Any) -> VerificationResult:
    signed = ISSUER.sign(ISSUER.credential(**extra))
    return mcbadge.verify(signed, now=NOW, fetcher=offline(ISSUER.documents()))


def _schema_pointers(result: VerificationResult) -> list[str]:
    check = result.check("schema")
    assert check is not None
    return [e["pointer"] for e in check.details.get("errors", [])]


def test_related_resources_with_ids_and_digests_verify() -> None:
    two = [RELATED, {"id": "https://lms.example/video", "digestMultibase": "uEiBZlVztZpfWHgPyslVv6"}]
    result = _verify(relatedResource=two)
    assert result.verified, result.problems


@pytest.mark.parametrize(("related", "pointer"), [
    ([{"id": "https://lms.example/a"}], "/relatedResource/0"),
    ([{"digestSRI": SRI}], "/relatedResource/0"),
    ([RELATED, dict(RELATED)], "/relatedResource/1/id"),
    (["https://lms.example/a"], "/relatedResource/0"),
])
def test_a_related_resource_without_id_digest_or_twice_fails(related: Any, pointer: str) -> None:
    result = _verify(relatedResource=related)
    assert "SCHEMA_VALIDATION_FAILED" in result.problems
    assert pointer in _schema_pointers(result)


@pytest.mark.parametrize("member", ["refreshService", "termsOfUse", "credentialSchema"])
def test_every_refresh_terms_and_schema_object_needs_a_type(member: str) -> None:
    value = {"id": "https://lms.example/x"}
    assert data_model_errors({member: [value]})[0].pointer == f"/{member}/0"
    assert data_model_errors({member: value})[0].pointer == f"/{member}"
    assert data_model_errors({member: {**value, "type": "X"}}) == []
    result = _verify(**{member: value})
    assert "SCHEMA_VALIDATION_FAILED" in result.problems


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.sampled_from(["id", "type", "digestSRI", "digestMultibase", "x"]),
                        c, max_size=4), max_leaves=12))
def test_any_value_gives_errors_never_an_exception(value: Any) -> None:
    doc = {"relatedResource": value, "refreshService": value, "evidence": value}
    for error in data_model_errors(doc):
        assert error.pointer.startswith("/") and error.message
