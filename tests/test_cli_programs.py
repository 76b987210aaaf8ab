"""The workflow on the command line: program new/show/status, submit, assign, review,
decide, feedback; and `mcbadge demo program DIR`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.programs_helpers import ANSWERS, program
from tests.test_cli_keys import run


def test_the_whole_workflow_through_the_cli(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    code, _, err = run(["init", str(ws), "--name", "District PD", "--url",
                        "https://pd.district.example"], capsys)
    assert code == 0, err
    definition = tmp_path / "program.json"
    definition.write_text(json.dumps(program().to_json()))
    assert run(["program", "new", str(definition), "-i", str(ws)], capsys)[0] == 0
    pid = program().id
    code, out, _ = run(["program", "show", pid, "-i", str(ws)], capsys)
    assert code == 0 and "Belonging" in out and "required: Proficient" in out
    argv = ["submit", pid, "-i", str(ws), "--educator", "ada@district.example", "--json"]
    for section, text in ANSWERS.items():
        (tmp_path / f"{section}.txt").write_text(text)
        argv += ["--answer", f"{section}={tmp_path / f'{section}.txt'}"]
    (tmp_path / "plan.pdf").write_bytes(b"%PDF plan")
    argv += ["--artifact", f"lesson-plan={tmp_path / 'plan.pdf'}",
             "--artifact", "video=https://media.district.example/v/1#sha256=" + "ab" * 32]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    sub = json.loads(out)
    assert sub["state"] == "submitted"
    sid = sub["id"]
    assert run(["assign", sid, "-i", str(ws), "--assessor", "a1", "--assessor", "a2",
                "--actor", "coord"], capsys)[0] == 0
    for who in ("a1", "a2"):
        code, out, err = run(["review", sid, "-i", str(ws), "--assessor", who,
                              "--level", "Belonging=Exemplary",
                              "--level", "Student voice=Proficient",
                              "--recommend", "award", "--json"], capsys)
        assert code == 0, err
    assert json.loads(out)["state"] == "recommended"
    code, out, err = run(["decide", sid, "grant", "-i", str(ws), "--actor", "district",
                          "--reason", "meets every criterion", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["credential"].startswith("urn:uuid:")
    code, out, _ = run(["program", "status", pid, "-i", str(ws), "--json"], capsys)
    assert json.loads(out)["states"] == {"awarded": 1}
    code, out, _ = run(["feedback", sid, "-i", str(ws)], capsys)
    assert code == 0 and "earned" in out
    # errors are one line, non-zero
    code, _, err = run(["decide", sid, "grant", "-i", str(ws), "--actor", "d", "--reason",
                        "again"], capsys)
    assert code != 0 and "awarded" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(["review", sid, "-i", str(ws), "--assessor", "a1", "--level", "x",
                        "--recommend", "award"], capsys)
    assert code != 0 and "NAME=VALUE" in err


def test_demo_program_runs_a_cohort_and_verifies_every_award(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["demo", "program", str(tmp_path / "pd")], capsys)
    assert "24 badges awarded, 24 verified" in out
    assert code == 0, err
    summary = json.loads((tmp_path / "pd" / "summary.json").read_text())
    assert summary["educators"] == 25
    assert summary["awarded"] == summary["verified"] == 24
    assert summary["states"]["blocked"] == 1 and summary["states"]["not_yet_earned"] >= 5
    for path in summary["credentials"].values():
        text = Path(path).read_text()
        badge = json.loads(text)
        assert len(badge["credentialSubject"]["result"]) == 3
        for secret in ("assessor-", "coordinator", "district-issuer", "co-design"):
            assert secret not in text
    stack = summary["stack"]
    badge = json.loads(Path(stack["credential"]).read_text())
    assert badge["credentialSubject"]["achievement"]["achievementType"] == "Certificate"
    assert len(badge["evidence"]) == 3
    clr = json.loads(Path(stack["clr"]).read_text())
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 4
    assert len(clr["credentialSubject"]["association"]) == 3
    code, _, err = run(["demo", "program", str(tmp_path / "pd")], capsys)
    assert code != 0 and "not empty" in err


def test_program_report_in_json_csv_and_table(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from mcbadge.programs import Programs
    from tests.programs_helpers import artifacts, recommended, workspace

    issuer, programs = workspace(tmp_path / "ws")
    sid = recommended(programs, "ada@district.example", artifacts(programs, tmp_path / "f"))
    programs.decide(sid, "grant", actor="d", reason="ok")
    programs.close()
    issuer.close()
    assert isinstance(Programs, type)
    pid = program().id
    code, out, _ = run(["program", "report", pid, "-i", str(tmp_path / "ws"), "--format",
                        "json"], capsys)
    assert code == 0 and json.loads(out)["attempts_to_award"]["mean"] == 1
    code, out, _ = run(["program", "report", pid, "-i", str(tmp_path / "ws"), "--format",
                        "csv"], capsys)
    assert code == 0 and out.splitlines()[0] == "criterion,decided,meeting required"
    code, out, _ = run(["program", "report", pid, "-i", str(tmp_path / "ws")], capsys)
    assert code == 0 and "100.0%" in out
    code, _, err = run(["program", "report", pid, "-i", str(tmp_path / "ws"), "--format",
                        "xml"], capsys)
    assert code != 0 and "table, json or csv" in err


def test_stack_and_clr_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mcbadge.issuing import Issuer

    ws = tmp_path / "ws"
    issuer = Issuer.create(ws, name="District PD", url="https://pd.district.example")
    parts = [f"https://pd.district.example/mc/{n}" for n in ("a", "b")]
    for part in parts:
        issuer.issue({"id": part, "name": part[-1], "description": "d",
                      "criteria": {"narrative": "n"}}, "ada@district.example")
    issuer.close()
    definition = tmp_path / "stack.json"
    definition.write_text(json.dumps({
        "achievement": {"id": "https://pd.district.example/stacks/ab", "name": "A and B",
                        "description": "Both.", "criteria": {"narrative": "Earn both."}},
        "components": parts, "rule": "all"}))
    code, out, err = run(["stack", "new", str(definition), "-i", str(ws)], capsys)
    assert code == 0 and "all of 2 components" in out, err
    code, out, _ = run(["stack", "show", "-i", str(ws)], capsys)
    assert code == 0 and parts[0] in out
    code, out, _ = run(["stack", "progress", "-i", str(ws), "--recipient",
                        "ada@district.example", "--award", "--json"], capsys)
    report = json.loads(out)
    assert code == 0 and len(report["issued"]) == 1 and report["stacks"][0]["awarded"]
    code, _, err = run(["clr", "export", "-i", str(ws), "--recipient", "ada@district.example",
                        "-o", str(tmp_path / "clr.json")], capsys)
    assert code == 0, err
    clr = json.loads((tmp_path / "clr.json").read_text())
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 3
    code, out, _ = run(["verify", str(tmp_path / "clr.json"), "--offline", "--json"], capsys)
    checks = {c["id"]: c for c in json.loads(out)["checks"]}
    assert len(checks["clr_credentials"]["nested"]) == 3  # each bundled credential reported
    code, _, err = run(["clr", "export", "-i", str(ws), "--recipient", "x@y.example"], capsys)
    assert code != 0 and "holds no credential" in err
