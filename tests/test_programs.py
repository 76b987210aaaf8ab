"""Micro-credential programs: the workflow from submission to award or "not yet earned",
on a real issuer workspace and its SQLite ledger."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import mcbadge
from mcbadge.errors import ProgramError
from mcbadge.programs import STATES, TRANSITIONS, Programs
from mcbadge.resolve import Fetcher
from tests.programs_helpers import (
    ANSWERS,
    FAIL,
    GROW,
    PASS,
    PROGRAM_ID,
    artifacts,
    recommended,
    workspace,
)


@pytest.fixture
def ws(tmp_path: Path) -> Any:
    issuer, programs = workspace(tmp_path / "issuer")
    yield issuer, programs, artifacts(programs, tmp_path / "files")
    programs.close()
    issuer.close()


def _verify(issuer: Any, badge: dict[str, Any]) -> Any:
    return mcbadge.verify(badge, fetcher=Fetcher(documents=issuer.status_list_credentials(),
                                                 offline=True))


def test_a_granted_submission_issues_one_verifiable_badge_without_reviewer_data(ws: Any) -> None:
    issuer, programs, arts = ws
    sid = recommended(programs, "Ada@District.example", arts)
    assert programs.submission(sid).state == "recommended"
    done = programs.decide(sid, "grant", actor="district-director", reason="meets all")
    assert done.state == "awarded" and done.credential_id
    record = issuer.record(done.credential_id)
    assert record is not None and record.document is not None
    badge = json.loads(record.document)
    result = _verify(issuer, badge)
    assert result.verified, result.problems
    assert result.check("results").outcome == "passed"  # type: ignore[union-attr]
    subject = badge["credentialSubject"]
    assert {r["achievedLevel"] for r in subject["result"]} and len(subject["result"]) == 2
    assert subject["source"]["name"] == "District PD assessors"
    assert "activityStartDate" in subject and "awardedDate" in badge
    assert [e["genre"] for e in badge["evidence"]] == ["lesson-plan", "video"]
    assert all(e["id"].startswith("urn:sha256:") for e in badge["evidence"])
    text = json.dumps(badge)
    for secret in ("assessor-1", "assessor-2", "coordinator-1", "district-director",
                   GROW["Student voice"], "data:"):
        assert secret not in text
    # deciding again changes nothing and issues nothing
    with pytest.raises(ProgramError) as err:
        programs.decide(sid, "grant", actor="district-director", reason="again")
    assert err.value.code == "INVALID_TRANSITION"
    assert issuer.ledger.count() == 1


def test_the_precheck_returns_an_incomplete_submission_unscored(ws: Any) -> None:
    _, programs, arts = ws
    answers = {**ANSWERS, "reflection": "word " * 81}
    del answers["artifacts"]
    sub = programs.submit(PROGRAM_ID, "bo@district.example", answers, arts[:1])
    assert sub.state == "incomplete"
    assert any("About the artifacts" in p for p in sub.problems)
    assert any("81 words" in p for p in sub.problems)
    assert "no video artifact" in sub.problems
    with pytest.raises(ProgramError) as err:
        programs.assign(sub.id, ["assessor-1", "assessor-2"], actor="c")
    assert err.value.code == "INVALID_TRANSITION"
    fixed = programs.complete(sub.id, "bo@district.example", ANSWERS, arts)
    assert fixed.state == "submitted" and fixed.problems == [] and fixed.attempt == 1


def test_a_blind_assessor_sees_no_educator_identity(ws: Any) -> None:
    _, programs, arts = ws
    sub = programs.submit(PROGRAM_ID, "Carmen.Diaz@district.example", ANSWERS, arts)
    programs.assign(sub.id, ["assessor-1", "assessor-2"], actor="c")
    view = programs.assessor_view(sub.id, "assessor-1")
    text = json.dumps(view).lower()
    assert "carmen" not in text and "diaz" not in text and sub.id not in text
    assert view["submission"].startswith("anon-") and "educator" not in view
    assert all("name" not in a for a in view["artifacts"])
    with pytest.raises(ProgramError) as err:
        programs.assessor_view(sub.id, "assessor-9")
    assert err.value.code == "NOT_ALLOWED"


def test_a_split_goes_to_a_tie_break_whose_review_decides(ws: Any) -> None:
    _, programs, arts = ws
    sub = programs.submit(PROGRAM_ID, "dee@district.example", ANSWERS, arts)
    programs.assign(sub.id, ["assessor-1", "assessor-2"], actor="c")
    programs.review(sub.id, "assessor-1", levels=PASS, feedback={}, recommendation="award")
    split = programs.review(sub.id, "assessor-2", levels=FAIL, feedback=GROW,
                            recommendation="deny")
    assert split.state == "in_review"
    assert programs.audit(sub.id)[-1].step == "split"
    with pytest.raises(ProgramError):
        programs.decide(sub.id, "grant", actor="d", reason="too early")
    programs.assign(sub.id, ["assessor-3"], actor="c", tiebreak=True)
    done = programs.review(sub.id, "assessor-3", levels=PASS, feedback={},
                           recommendation="award")
    assert done.state == "recommended"
    assert programs.recommendation(sub.id) == ("award", {
        c.id: c.level(PASS[c.name]).id for c in programs.program(PROGRAM_ID).criteria})


def test_not_yet_earned_feedback_resubmission_and_blocking(ws: Any) -> None:
    _, programs, arts = ws
    who = "eli@district.example"
    previous = None
    for attempt in (1, 2, 3):
        sub = programs.submit(PROGRAM_ID, who, ANSWERS, arts, resubmission_of=previous,
                              note=None if attempt == 1 else "I changed the routine")
        assert sub.attempt == attempt and sub.previous_id == previous
        programs.assign(sub.id, ["assessor-1", "assessor-2"], actor="c")
        for assessor in ("assessor-1", "assessor-2"):
            programs.review(sub.id, assessor, levels=FAIL,
                            feedback={**GROW, "reflection": "Say what you would change."},
                            recommendation="deny")
        out = programs.decide(sub.id, "deny", actor="d", reason="not yet")
        previous = sub.id
        letter = programs.feedback(sub.id)
        assert GROW["Student voice"] in letter["markdown"]
        assert "## Reflection" in letter["markdown"]
        assert "Say what you would change." in letter["html"]
        assert "assessor-1" not in letter["markdown"] + letter["html"]
        assert "<script" not in letter["html"]
        assert out.state == ("blocked" if attempt == 3 else "not_yet_earned")
    with pytest.raises(ProgramError) as err:
        programs.submit(PROGRAM_ID, who, ANSWERS, arts)
    assert err.value.code == "INVALID_TRANSITION" and err.value.state == "blocked"
    with pytest.raises(ProgramError):
        programs.unlock(PROGRAM_ID, who, actor="a1", role="assessor", reason="x")
    programs.unlock(PROGRAM_ID, who, actor="coach", reason="coaching conversation held")
    fourth = programs.submit(PROGRAM_ID, who, ANSWERS, arts, resubmission_of=previous)
    assert fourth.attempt == 4 and fourth.state == "submitted"


def test_roles_and_identities_are_checked(ws: Any) -> None:
    _, programs, arts = ws
    sub = programs.submit(PROGRAM_ID, "fay@district.example", ANSWERS, arts)
    with pytest.raises(ProgramError, match="own submission"):
        programs.assign(sub.id, ["fay@district.example", "assessor-2"], actor="c")
    with pytest.raises(ProgramError) as err:
        programs.assign(sub.id, ["assessor-1", "assessor-2"], actor="a", role="assessor")
    assert err.value.code == "NOT_ALLOWED"
    programs.assign(sub.id, ["assessor-1", "assessor-2"], actor="c")
    with pytest.raises(ProgramError) as err:
        programs.review(sub.id, "assessor-7", levels=PASS, feedback={},
                        recommendation="award")
    assert err.value.code == "NOT_ALLOWED"
    with pytest.raises(ProgramError, match="feedback") as err:
        programs.review(sub.id, "assessor-1", levels=FAIL, feedback={}, recommendation="deny")
    assert err.value.code == "REVIEW_ERROR"
    with pytest.raises(ProgramError, match="award needs"):
        programs.review(sub.id, "assessor-1", levels=FAIL, feedback=GROW,
                        recommendation="award")
    with pytest.raises(ProgramError, match="no level"):
        programs.review(sub.id, "assessor-1", levels={"Belonging": "Exemplary"}, feedback={},
                        recommendation="award")
    with pytest.raises(ProgramError, match="not a level"):
        programs.review(sub.id, "assessor-1", levels={**PASS, "Belonging": "Stellar"},
                        feedback={}, recommendation="award")
    programs.review(sub.id, "assessor-1", levels=PASS, feedback={}, recommendation="award")
    with pytest.raises(ProgramError, match="already reviewed"):
        programs.review(sub.id, "assessor-1", levels=PASS, feedback={},
                        recommendation="award")
    programs.review(sub.id, "assessor-2", levels=PASS, feedback={}, recommendation="award")
    with pytest.raises(ProgramError) as err:
        programs.decide(sub.id, "grant", actor="a1", role="assessor", reason="me")
    assert err.value.code == "NOT_ALLOWED"
    with pytest.raises(ProgramError, match="only the educator"):
        programs.withdraw(sub.id, "someone@else.example")


@pytest.mark.parametrize("state", STATES)
def test_every_step_a_state_does_not_allow_is_refused_and_recorded_nowhere(
        ws: Any, state: str) -> None:
    _, programs, arts = ws
    sub = programs.submit(PROGRAM_ID, f"{state}@district.example", ANSWERS, arts)
    db = sqlite3.connect(programs.path)
    db.execute("UPDATE program_submissions SET state = ? WHERE id = ?", (state, sub.id))
    db.commit()
    db.close()
    steps = {step for _, step in TRANSITIONS}
    before = len(programs.audit(sub.id))
    for step in sorted(steps):
        if (state, step) in TRANSITIONS:
            continue
        with programs._tx() as tx, pytest.raises(ProgramError) as err:
            programs._move(tx, sub.id, state, step, "x", "system")
        assert err.value.code == "INVALID_TRANSITION", (state, step)
    assert programs.submission(sub.id).state == state
    assert len(programs.audit(sub.id)) == before


def test_every_transition_has_an_audit_row_matching_the_state(ws: Any) -> None:
    _, programs, arts = ws
    sid = recommended(programs, "gus@district.example", arts)
    programs.decide(sid, "return", actor="d", reason="look again at student voice")
    assert programs.submission(sid).state == "assigned"
    rows = programs.audit(sid)
    assert [r.to_state for r in rows][-1] == "assigned"
    for earlier, later in itertools.pairwise(rows):
        assert later.from_state == earlier.to_state
    assert all(r.actor and r.role and r.at for r in rows)


def test_a_second_program_definition_under_the_same_id_is_refused(ws: Any) -> None:
    _, programs, _ = ws
    from tests.programs_helpers import program

    programs.define(program())  # the same: fine
    with pytest.raises(ProgramError, match="differently"):
        programs.define(program(max_attempts=5))


def test_a_program_round_trips_through_json(tmp_path: Path) -> None:
    from mcbadge.programs import Program
    from tests.programs_helpers import program

    original = program()
    path = tmp_path / "program.json"
    path.write_text(json.dumps(original.to_json()))
    assert Program.from_file(path) == original
    import yaml

    as_yaml = tmp_path / "program.yaml"
    as_yaml.write_text(yaml.safe_dump(original.to_json()))
    assert Program.from_file(as_yaml) == original
    (tmp_path / "bad.yaml").write_text("- a list\n- not a program\n")
    with pytest.raises(ProgramError, match="does not hold"):
        Program.from_file(tmp_path / "bad.yaml")
    with pytest.raises(ProgramError):
        Program.create({"id": "urn:x:1", "name": "n", "description": "d",
                        "criteria": {"narrative": "n"}}, [])
    assert isinstance(Programs, type)


def test_the_report_gives_pass_rates_attempts_days_and_overdue(ws: Any) -> None:
    _, programs, arts = ws
    awarded = recommended(programs, "ha@district.example", arts)
    programs.decide(awarded, "grant", actor="d", reason="ok")
    denied = recommended(programs, "io@district.example", arts, verdict="deny")
    programs.decide(denied, "deny", actor="d", reason="not yet")
    waiting = programs.submit(PROGRAM_ID, "jo@district.example", ANSWERS, arts)
    report = programs.report(PROGRAM_ID)
    by_name = {c["name"]: c for c in report["criteria"]}
    assert by_name["Belonging"]["meeting_required"] == 1.0  # Exemplary, then Proficient
    assert by_name["Student voice"]["meeting_required"] == 0.5  # Proficient, Developing
    assert report["attempts_to_award"] == {"mean": 1, "max": 1}
    assert report["days_to_decision"]["median"] is not None
    assert report["waiting"]["assignment"] == 1 and report["overdue"] == []
    later = programs.report(PROGRAM_ID, now="2099-01-01T00:00:00Z")
    assert later["overdue"] == [waiting.id]
