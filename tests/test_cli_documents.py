"""`mcbadge achievement new`, `validate`, `inspect`, `demo`, and bad input to every command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcbadge.keys import JwtKey, save_key
from tests.test_baking import plain_png
from tests.test_cli_keys import run

ACH_FLAGS = [
    "--name", "Classroom Community", "--description", "Builds belonging.",
    "--criteria", "Lesson video, reflection and student work, scored on the rubric.",
    "--id", "https://pd.district.example/achievements/community",
    "--level", "Emerging=Norms exist", "--level", "Proficient=Students co-own norms",
    "--level", "Exemplary=Students lead repair", "--required-level", "Proficient",
    "--alignment", "InTASC 3=https://ccsso.org/intasc", "--type", "MicroCredential",
    "--tag", "crt",
]


def test_achievement_new_from_flags_validates(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ach.json"
    code, _, err = run(["achievement", "new", "-o", str(out), *ACH_FLAGS], capsys)
    assert code == 0, err
    ach = json.loads(out.read_text())
    rubric = ach["resultDescription"][0]
    assert [lvl["name"] for lvl in rubric["rubricCriterionLevel"]] == [
        "Emerging", "Proficient", "Exemplary"]
    assert rubric["requiredLevel"] == rubric["rubricCriterionLevel"][1]["id"]
    assert ach["alignment"][0]["targetUrl"] == "https://ccsso.org/intasc"
    assert ach["achievementType"] == "MicroCredential"
    code, text, _ = run(["validate", str(out)], capsys)
    assert code == 0 and "a valid Achievement" in text


def test_achievement_new_asks_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from mcbadge.cli import _documents, app

    monkeypatch.setattr(_documents, "_interactive", lambda: True)
    # a mistyped level and a required level that is not one are asked again, alone:
    # every earlier answer is kept
    answers = ("Mentoring\nGuides new teachers.\nA mentoring log.\nNovice=Meets weekly\n"
               "Expert without equals\nExpert=Leads the team\n\nMaster\nExpert\n")
    result = CliRunner().invoke(app, ["achievement", "new"], input=answers)
    assert result.exit_code == 0, result.output
    assert "got 'Expert without equals'; again" in result.output
    assert "'Master' is not one of the levels" in result.output
    ach = json.loads(result.output[result.output.index("{\n"):])
    assert ach["name"] == "Mentoring" and ach["criteria"]["narrative"] == "A mentoring log."
    rubric = ach["resultDescription"][0]
    assert [lvl["name"] for lvl in rubric["rubricCriterionLevel"]] == ["Novice", "Expert"]
    assert rubric["requiredLevel"] == rubric["rubricCriterionLevel"][1]["id"]


def test_achievement_new_mistakes(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["achievement", "new", "--name", "X"], capsys)
    assert code == 2 and "--description, --criteria" in err
    code, _, err = run(["achievement", "new", *ACH_FLAGS[:6], "--level", "no-equals"], capsys)
    assert code == 2 and "NAME=DESCRIPTION" in err
    code, _, err = run(["achievement", "new", *ACH_FLAGS[:6], "--level", "A=a",
                        "--required-level", "B"], capsys)
    assert code == 2 and "not a --level" in err


def _credential() -> dict[str, Any]:
    from mcbadge import Achievement, AchievementSubject, Criteria, OpenBadgeCredential, Profile

    return OpenBadgeCredential(
        issuer=Profile(id="https://pd.district.example/issuer", name="PD"),
        credential_subject=AchievementSubject(id="did:example:maria", achievement=Achievement(
            name="Community", description="d", criteria=Criteria(narrative="n"))),
    ).to_dict()


def test_validate_reports_problems_with_pointers(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_credential()))
    code, out, _ = run(["validate", str(good), "--json"], capsys)
    assert code == 0 and json.loads(out) == {"valid": True, "type": "OpenBadgeCredential",
                                             "problems": []}
    bad_doc = _credential()
    del bad_doc["credentialSubject"]["achievement"]["criteria"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc))
    code, out, _ = run(["validate", str(bad)], capsys)
    assert code == 1
    assert "/credentialSubject/achievement" in out and "criteria" in out


def test_inspect_shows_what_a_badge_says(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from mcbadge.baking import bake
    from mcbadge.issuing import Issuer

    with Issuer.create(tmp_path / "iss", name="District PD",
                       url="https://pd.district.example") as issuer:
        badge = issuer.issue({"id": "https://pd.district.example/a/1", "name": "Community",
                              "description": "d", "criteria": {"narrative": "n"}},
                             "maria@district.example", name="Maria Lopez",
                             evidence=[{"id": "https://ev.example/v", "name": "Lesson video"}],
                             result=["Proficient"])
    png = tmp_path / "b.png"
    png.write_bytes(bake(plain_png(), json.dumps(badge)))
    code, out, _ = run(["inspect", str(png)], capsys)
    assert code == 0
    for text in ("Community", "District PD", "emailAddress: (hashed)", "name: Maria Lopez",
                 "Lesson video", "Proficient", "revocation", "eddsa-rdfc-2022",
                 "not verified"):
        assert text in out, text
    code, out, _ = run(["inspect", str(png), "--json"], capsys)
    view = json.loads(out)
    assert view["format"] == "png+json" and view["issuer"]["name"] == "District PD"
    assert view["status"][0]["purpose"] == "revocation"


def test_demo_runs_the_whole_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["demo", str(tmp_path / "demo"), "--workers", "1"], capsys)
    assert code == 0, out + err
    assert "25 issued" in out and "25 already issued" in out
    assert "VERIFIED" in out and "CREDENTIAL_REVOKED" in out and "demo complete" in out
    assert len(list((tmp_path / "demo" / "badges").glob("*.json"))) == 25
    assert (tmp_path / "demo" / "maria-lopez.png").exists()
    assert (tmp_path / "demo" / "site" / "status" / "revocation-1.json").exists()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xff not json {")
    rsa = tmp_path / "rsa.pem"
    save_key(JwtKey.generate("p256"), rsa, "pem")
    cred = tmp_path / "cred.json"
    cred.write_text(json.dumps(_credential()))
    ach = tmp_path / "ach.json"
    ach.write_text(json.dumps({"id": "urn:x", "name": "n", "description": "d",
                               "criteria": {"narrative": "n"}}))
    return {"garbage": garbage, "missing": tmp_path / "nope.json", "rsa": rsa, "cred": cred,
            "ach": ach, "dir": tmp_path}


CASES: list[tuple[str, list[str], str]] = [
    ("sign missing file", ["sign", "{missing}", "--key", "{rsa}"], "cannot read"),
    ("sign garbage", ["sign", "{garbage}", "--key", "{rsa}", "--suite", "jwt"], ""),
    ("sign wrong key type", ["sign", "{cred}", "--key", "{rsa}"], "Ed25519"),
    ("sign unknown suite", ["sign", "{cred}", "--key", "{rsa}", "--suite", "rot13"], "rot13"),
    ("verify missing file", ["verify", "{missing}"], "no such file"),
    ("verify garbage", ["verify", "{garbage}"], "cannot read"),
    ("validate missing file", ["validate", "{missing}"], "cannot read"),
    ("validate garbage", ["validate", "{garbage}"], ""),
    ("inspect missing file", ["inspect", "{missing}"], "no such file"),
    ("inspect garbage", ["inspect", "{garbage}"], "cannot read"),
    ("bake missing image", ["bake", "{missing}", "{cred}", "-o", "{dir}/o.png"], "cannot read"),
    ("bake garbage image", ["bake", "{garbage}", "{cred}", "-o", "{dir}/o.png"], "PNG"),
    ("unbake garbage", ["unbake", "{garbage}"], ""),
    ("issue missing achievement", ["issue", "-i", "{dir}/iss", "-a", "{missing}", "-r",
                                   "a@b.example"], "cannot read"),
    ("issue garbage achievement", ["issue", "-i", "{dir}/iss", "-a", "{garbage}", "-r",
                                   "a@b.example"], ""),
    ("issue unknown suite", ["issue", "-i", "{dir}/iss", "-a", "{ach}", "-r", "a@b.example",
                             "--suite", "rot13"], "unknown suite"),
    ("issue missing roster", ["issue", "-i", "{dir}/iss", "-a", "{ach}", "--roster",
                              "{missing}", "--out", "{dir}/o"], "cannot read roster"),
    ("init bad url", ["init", "{dir}/x", "--name", "X", "--url", "ftp://x"], "https"),
    ("init unknown suite", ["init", "{dir}/y", "--name", "X", "--url", "https://x.example",
                            "--suite", "rot13"], "unknown suite"),
    ("revoke no workspace", ["revoke", "-i", "{missing}", "urn:x", "--reason", "r"],
     "not an issuer workspace"),
    ("status publish no workspace", ["status", "publish", "-i", "{missing}", "-o", "{dir}/s"],
     "not an issuer workspace"),
    ("ledger no workspace", ["ledger", "-i", "{missing}"], "not an issuer workspace"),
    ("keygen unknown type", ["keygen", "-o", "{dir}/k", "--type", "dsa"], ""),
]


@pytest.mark.parametrize(("name", "argv", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(name: str, argv: list[str], message: str,
                                          files: dict[str, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from mcbadge.issuing import Issuer

    if "-i" in argv and "{dir}/iss" in argv:
        Issuer.create(files["dir"] / "iss", name="X", url="https://x.example").close()
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    code, _, err = run(args, capsys)
    assert code == 2, (name, err)
    assert "Traceback" not in err
    assert message in err, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 or "Usage:" in err, err   # typer's own usage errors are a box
