"""Roster and recipient input as it comes out of a student information system."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mcbadge
from mcbadge.errors import IssuingError
from mcbadge.issuing import Issuer, RosterFormat, read_roster
from mcbadge.issuing._build import as_results
from mcbadge.models import IdentityObject

URL = "https://pd.district.example"
RUBRIC = {
    "id": "https://pd.district.example/achievements/community",
    "name": "Classroom Community", "description": "Builds belonging.",
    "criteria": {"narrative": "Video, reflection and student work."},
    "resultDescription": [{
        "id": "urn:uuid:rd-community", "type": ["ResultDescription"], "name": "Community",
        "resultType": "RubricCriterionLevel", "requiredLevel": "urn:uuid:lvl-2",
        "rubricCriterionLevel": [
            {"id": "urn:uuid:lvl-1", "type": ["RubricCriterionLevel"], "name": "Emerging"},
            {"id": "urn:uuid:lvl-2", "type": ["RubricCriterionLevel"], "name": "Proficient"},
            {"id": "urn:uuid:lvl-3", "type": ["RubricCriterionLevel"], "name": "Exemplary"},
        ]}],
}


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    return Issuer.create(tmp_path / "issuer", name="District PD", url=URL)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mcbadge", *args], capture_output=True,
                          text=True, timeout=120, check=False)


BAD_EMAILS = ["maria@district..example", "ken@district.example;", "lee@district.example,",
              "ann@district.example.", "<sam@district.example>"]


def test_mistyped_addresses_are_bad_rows(issuer: Issuer, tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("name,email\n" + "".join(f'P{i},"{e}"\n' for i, e in enumerate(BAD_EMAILS))
                      + "Good,good@district.example\n", "utf-8")
    summary = issuer.issue_many(RUBRIC, roster, workers=1)
    assert summary.issued == 1
    assert [e.line for e in summary.failed] == [2, 3, 4, 5, 6]
    assert all("not an email address" in e.message for e in summary.failed)


def test_mixed_case_addresses_hash_and_match_as_one(issuer: Issuer) -> None:
    badge = issuer.issue(RUBRIC, "  Maria.Lopez@District.Example ")
    identifier = IdentityObject.from_dict(badge["credentialSubject"]["identifier"][0])
    assert identifier.matches("maria.lopez@district.example")
    documents = {u: p.read_text() for u, p in issuer.publish_status(issuer.path / "s").items()}
    fetcher = mcbadge.resolve.Fetcher(documents=documents, offline=True)
    result = mcbadge.verify(badge, fetcher=fetcher, recipient="MARIA.LOPEZ@district.example")
    assert result.verified, result.problems


def test_a_latin1_byte_is_reported_by_line_and_offset(tmp_path: Path) -> None:
    lines = ["name,email"] + [f"Teacher {i},t{i}@district.example" for i in range(2, 31)]
    lines.append("Jos\xe9 Ruiz,jose@district.example")
    roster = tmp_path / "sis.csv"
    roster.write_bytes("\n".join(lines).encode("latin-1") + b"\n")
    with pytest.raises(IssuingError) as info:
        read_roster(roster)
    message = info.value.message
    assert "line 31" in message and "byte offset" in message and "0xe9" in message
    assert "--encoding cp1252" in message
    rows, errors = read_roster(roster, RosterFormat(encoding="cp1252"))
    assert errors == [] and rows[-1].name == "José Ruiz"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfname,email\nAda,ada@district.example\n")
    rows, errors = read_roster(bom)
    assert [r.name for r in rows] == ["Ada"] and errors == []


def test_sis_columns_are_mapped_joined_or_ignored(tmp_path: Path) -> None:
    roster = tmp_path / "sis.csv"
    roster.write_text("First Name,Last Name,Email Address,school\n"
                      "Maria,Lopez,maria@district.example,Lincoln\n", "utf-8")
    with pytest.raises(IssuingError, match="unknown roster column"):
        read_roster(roster)  # a typo must not become 5,000 badges
    fmt = RosterFormat(columns={"email": "Email Address"},
                       name_from=("First Name", "Last Name"), ignore=("school",))
    (row,), errors = read_roster(roster, fmt)
    assert errors == [] and row.name == "Maria Lopez"
    assert row.recipient.value == "maria@district.example"
    with pytest.raises(IssuingError, match="no column"):
        read_roster(roster, RosterFormat(columns={"email": "E-mail"}, ignore=("school",),
                                         name_from=("First Name", "Last Name")))
    with pytest.raises(IssuingError, match="not a roster column"):
        RosterFormat(columns={"mail": "Email Address"})


def test_the_cli_takes_encoding_and_columns_and_draws_no_bar_for_a_bad_file(
        issuer: Issuer, tmp_path: Path) -> None:
    ach = tmp_path / "ach.json"
    ach.write_text(json.dumps(RUBRIC), "utf-8")
    roster = tmp_path / "sis.csv"
    roster.write_bytes("First Name,Last Name,Email Address,school\n"
                       "Jos\xe9,Ruiz,jose@district.example,Lincoln\n".encode("cp1252"))
    base = ["issue", "-i", str(issuer.path), "-a", str(ach), "--roster", str(roster),
            "--out", str(tmp_path / "out")]
    bad = _cli(*base)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert "line 2" in bad.stderr and "issuing" not in bad.stderr  # no progress bar drawn
    good = _cli(*base, "--encoding", "cp1252", "--column", 'email="Email Address"',
                "--name-from", "First Name,Last Name", "--ignore-column", "school", "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["issued"] == 1


def test_a_rubric_level_becomes_the_level_and_the_bar_holds() -> None:
    def one(value: Any) -> dict[str, Any]:
        (result,) = as_results([value], RUBRIC)
        return result

    expected = {"type": ["Result"], "resultDescription": "urn:uuid:rd-community",
                "achievedLevel": "urn:uuid:lvl-3"}
    assert one("Exemplary") == expected
    assert one("exemplary") == expected
    assert one("urn:uuid:lvl-3") == expected
    assert one("Community=Exemplary") == expected
    assert one({"value": "Exemplary"}) == expected
    assert one({"resultDescription": "urn:uuid:rd-community",
                "achievedLevel": "urn:uuid:lvl-2"})["achievedLevel"] == "urn:uuid:lvl-2"
    for bad, reason in (("Outstanding", "not a level"), ("Emerging", "below the required"),
                        ("Other=Exemplary", "no rubric criterion"),
                        ({"resultDescription": "urn:uuid:nope", "achievedLevel": "x"},
                         "not one of the achievement's rubric criteria"),
                        ({"resultDescription": "urn:uuid:rd-community",
                          "achievedLevel": "urn:uuid:lvl-1"}, "below the required")):
        with pytest.raises(IssuingError, match=reason):
            one(bad)
    assert as_results(["Passed"]) == [{"type": ["Result"], "value": "Passed"}]  # no rubric


def test_issue_resolves_the_result_and_refuses_a_badge_below_the_bar(issuer: Issuer) -> None:
    badge = issuer.issue(RUBRIC, "did:example:ada", result=["Proficient"])
    assert badge["credentialSubject"]["result"] == [
        {"type": ["Result"], "resultDescription": "urn:uuid:rd-community",
         "achievedLevel": "urn:uuid:lvl-2"}]
    with pytest.raises(IssuingError, match="below the required level"):
        issuer.issue(RUBRIC, "did:example:ken", result=["Emerging"])
    assert issuer.ledger.count() == 1  # nothing reserved or issued for the refused one


def test_an_idempotency_key_reused_with_other_data_is_a_conflict(
        issuer: Issuer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="mcbadge.issuing"):
        first = issuer.issue(RUBRIC, "did:example:ada", idempotency_key="lms:1",
                             evidence=["https://evidence.example/1"], result=["Proficient"])
    assert not first.already_issued
    assert any("issued" in r.getMessage() and first["id"] in r.getMessage()
               for r in caplog.records)
    again = issuer.issue(RUBRIC, "did:example:ada", idempotency_key="lms:1",
                         evidence=["https://evidence.example/1"], result=["Proficient"])
    assert again.already_issued and again == first
    with pytest.raises(IssuingError) as info:
        issuer.issue(RUBRIC, "did:example:ada", idempotency_key="lms:1",
                     evidence=["https://evidence.example/2"], result=["Exemplary"],
                     name="Ada")
    assert info.value.code == "IDEMPOTENCY_CONFLICT"
    assert info.value.fields == ("name", "evidence", "result")
    changed = {**RUBRIC, "description": "Builds belonging, revised."}
    with pytest.raises(IssuingError, match="achievement"):
        issuer.issue(changed, "did:example:ada", idempotency_key="lms:1",
                     evidence=["https://evidence.example/1"], result=["Proficient"])
    # the CLI: "already issued", and a conflict is one line, exit 2
    ach = tmp_path / "ach.json"
    ach.write_text(json.dumps(RUBRIC), "utf-8")
    base = ["issue", "-i", str(issuer.path), "-a", str(ach), "-r", "did:example:bo",
            "--key", "k2", "-o", str(tmp_path / "b.json")]
    assert "issued urn:uuid:" in _cli(*base).stderr
    assert "already issued urn:uuid:" in _cli(*base).stderr
    out = _cli(*base, "--result", "Exemplary")
    assert out.returncode == 2 and "different result" in out.stderr, out.stderr


def test_a_roster_rerun_after_the_achievement_changed_says_so(issuer: Issuer,
                                                              tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("name,email\nAda,ada@district.example\nBo,bo@district.example\n", "utf-8")
    assert issuer.issue_many(RUBRIC, roster, workers=1).issued == 2
    changed = {**RUBRIC, "description": "Builds belonging, revised."}
    summary = issuer.issue_many(changed, roster, workers=1)
    assert summary.issued == 0 and summary.existing == 2 and summary.earlier_version == 2
    assert summary.to_json()["earlierVersion"] == 2


def test_row_errors_in_a_log_are_one_line_each_even_under_quiet(issuer: Issuer,
                                                                 tmp_path: Path) -> None:
    ach = tmp_path / "ach.json"
    ach.write_text(json.dumps(RUBRIC), "utf-8")
    roster = tmp_path / "r.csv"
    long_name = "x" * 150
    roster.write_text(f"name,email\n{long_name},not-an-address-{long_name}\n"
                      "Ada,ada@district.example\n", "utf-8")
    for quiet in ([], ["-q"]):
        out = _cli(*quiet, "issue", "-i", str(issuer.path), "-a", str(ach), "--roster",
                   str(roster), "--out", str(tmp_path / "out"))
        assert out.returncode == 1
        lines = out.stderr.strip().splitlines()
        assert lines[0].startswith(("1 issued", "0 issued")), out.stderr
        assert len(lines) == 2 and lines[1].startswith("  line 2: ")  # not wrapped
        assert "\x1b[" not in out.stderr
