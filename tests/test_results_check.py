"""The ``results`` check: a badge's rubric results must name a criterion and a level its
achievement has, at or above the required level (ordered by points)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import mcbadge
from mcbadge.verification.checks.results import judge
from tests.issuers import NOW, Issuer, offline

ISSUER = Issuer()
CRITERION = "urn:uuid:0d5c1b9e-0000-4000-8000-00000000c001"
LEVELS = [
    {"id": "urn:uuid:0d5c1b9e-0000-4000-8000-00000000a001", "type": ["RubricCriterionLevel"],
     "name": "Emerging", "points": "1"},
    {"id": "urn:uuid:0d5c1b9e-0000-4000-8000-00000000a002", "type": ["RubricCriterionLevel"],
     "name": "Proficient", "points": "2"},
    {"id": "urn:uuid:0d5c1b9e-0000-4000-8000-00000000a003", "type": ["RubricCriterionLevel"],
     "name": "Exemplary", "points": "3"},
]


def _badge(level: str | None, *, described: str = CRITERION,
           levels: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    doc = ISSUER.credential()
    achievement = doc["credentialSubject"]["achievement"]
    achievement["resultDescription"] = [{
        "id": CRITERION, "type": ["ResultDescription"], "name": "Classroom community",
        "resultType": "RubricCriterionLevel", "requiredLevel": LEVELS[1]["id"],
        "rubricCriterionLevel": levels if levels is not None else LEVELS}]
    result: dict[str, Any] = {"type": ["Result"], "resultDescription": described}
    if level is not None:
        result["achievedLevel"] = level
    doc["credentialSubject"]["result"] = [result]
    return doc


def _check(doc: dict[str, Any]) -> Any:
    result = mcbadge.verify(ISSUER.sign(doc), now=NOW, fetcher=offline(ISSUER.documents()))
    return result, result.check("results")


@pytest.mark.parametrize("index", [1, 2])
def test_a_level_at_or_above_the_required_one_passes(index: int) -> None:
    result, check = _check(_badge(LEVELS[index]["id"]))
    assert result.verified, result.problems
    assert check is not None and check.outcome == "passed"


@pytest.mark.parametrize(("doc", "needle"), [
    (_badge(LEVELS[0]["id"]), "below the required"),
    (_badge("urn:uuid:0d5c1b9e-0000-4000-8000-0000000000ff"), "is not a level"),
    (_badge(LEVELS[1]["id"], described="urn:uuid:0d5c1b9e-0000-4000-8000-0000000000ee"),
     "does not describe"),
    (_badge(None), "requires a level"),
])
def test_an_unknown_or_low_result_fails(doc: dict[str, Any], needle: str) -> None:
    result, check = _check(doc)
    assert not result.verified
    assert check is not None and check.outcome == "failed" and check.problem == "RESULT_INVALID"
    assert needle in check.message


def test_levels_without_distinct_points_cannot_be_ordered_and_warn() -> None:
    levels = copy.deepcopy(LEVELS)
    for level in levels:
        level["points"] = "4"  # as in the OB 3.0 spec's own example
    result, check = _check(_badge(levels[2]["id"], levels=levels))
    assert result.verified
    assert check is not None and check.outcome == "warning"
    _, check = _check(_badge(levels[1]["id"], levels=levels))  # the required one itself
    assert check is not None and check.outcome == "passed"


def test_a_badge_without_results_passes_and_other_credentials_skip_the_check() -> None:
    _, check = _check(ISSUER.credential())
    assert check is not None and check.outcome == "passed"
    from mcbadge.verification.policy import AnyCredentialType

    plain = {"@context": ["https://www.w3.org/ns/credentials/v2"],
             "type": ["VerifiableCredential"], "issuer": ISSUER.id,
             "credentialSubject": {"id": "did:example:x", "name": "x"}}
    result = mcbadge.verify(ISSUER.sign(plain), now=NOW, fetcher=offline(ISSUER.documents()),
                            policy=AnyCredentialType())
    assert result.check("results") is None


@given(st.dictionaries(st.sampled_from(["resultDescription", "achievedLevel", "value"]),
                       st.none() | st.text(max_size=8) | st.integers(), max_size=3))
def test_any_result_is_judged_never_raises(result: dict[str, Any]) -> None:
    descriptions = {CRITERION: _badge(None)["credentialSubject"]["achievement"][
        "resultDescription"][0]}
    outcome, message = judge(result, descriptions)
    assert outcome in ("passed", "failed", "warning") and message


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_rewrite_that_hides_the_bar_in_a_second_copy_is_refused(suite: str) -> None:
    """The same graph, written differently: the criterion's requiredLevel moved into a second
    JSON object for the same node, so the copy the check would read has no bar. The rdfc
    signature still holds (same graph); the signed view refuses the document."""
    doc = _badge(LEVELS[0]["id"])  # below the bar
    signed = ISSUER.sign(doc, suite)
    rewritten = copy.deepcopy(signed)
    achievement = rewritten["credentialSubject"]["achievement"]
    first = achievement["resultDescription"][0]
    bar = first.pop("requiredLevel")
    # the type too: OB defines requiredLevel in the ResultDescription type-scoped context
    achievement["resultDescription"] = [
        {"id": first["id"], "type": first["type"], "requiredLevel": bar}, first]
    result = mcbadge.verify(rewritten, now=NOW, fetcher=offline(ISSUER.documents()))
    assert not result.verified
    if suite == "eddsa-rdfc-2022":  # the graph is the same: only the signed view catches it
        assert result.check("valid_signature").outcome == "passed"  # type: ignore[union-attr]
        assert result.check("signed_view").outcome == "failed"  # type: ignore[union-attr]
    results = result.check("results")
    assert results is None or results.outcome != "passed"
