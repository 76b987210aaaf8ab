"""Bulk issuance: rosters, bad rows, idempotent re-runs, worker processes, SIGKILL and resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mcbadge import verify
from mcbadge.baking import extract
from mcbadge.issuing import Issuer, RosterRow, read_roster
from mcbadge.resolve import Fetcher
from tests.test_issuing import ACHIEVEMENT, URL


def _png() -> bytes:
    from tests.test_baking import plain_png

    return plain_png()


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    made = Issuer.create(tmp_path / "issuer", name="District PD", url=URL,
                         suite="eddsa-jcs-2022")
    yield made
    made.close()


def write_roster(path: Path, count: int, *, start: int = 0) -> Path:
    lines = ["name,email,evidence,narrative,result"]
    lines += [f"Educator {i},educator{i}@district.example,https://evidence.example/{i},"
              f"\"Video, reflection {i}\",Proficient" for i in range(start, start + count)]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def files(out: Path) -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text("utf-8")) for p in sorted(out.glob("*.json"))}


def test_roster_rows_become_credentials_and_bad_rows_are_reported(
    issuer: Issuer, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,email,did,evidence,result,key\n"
        "Ada,ada@district.example,,https://evidence.example/ada,Proficient,\n"
        "No One,,,,,\n"                                 # line 3: no recipient
        "Bad,not-an-email,,,,\n"                        # line 4
        "Both,b@district.example,did:example:b,,,\n"    # line 5: two recipients
        "Grace,,did:example:grace,,Advanced,\n"
        "Ada again,ada@district.example,,,,\n"          # line 7: same recipient as line 2
        "Keyed,k@district.example,,,,staff-42\n"
        "Keyed twin,k2@district.example,,,,staff-42\n",  # line 9: same key as line 8
        "utf-8",
    )
    progress: list[tuple[int, int]] = []
    summary = issuer.issue_many(ACHIEVEMENT, roster, out=tmp_path / "out", workers=1,
                                progress=lambda d, t: progress.append((d, t)))
    assert (summary.total, summary.issued, summary.existing) == (8, 3, 0)
    assert [(e.line, e.message.split(" ")[0]) for e in summary.failed] == [
        (3, "no"), (4, "'not-an-email'"), (5, "more"), (7, "same"), (9, "same")]
    assert "line 3: no recipient" in str(summary.failed[0])
    assert progress[-1] == (8, 8)
    written = files(tmp_path / "out")
    assert len(written) == 3
    by_id = {d["id"]: d for d in written.values()}
    for record in issuer.ledger.records():
        assert json.loads(record.document or "") == by_id[record.id]
    grace = next(d for d in written.values()
                 if d["credentialSubject"].get("id") == "did:example:grace")
    assert grace["credentialSubject"]["result"][0]["value"] == "Advanced"


def test_jsonl_roster_takes_objects_and_lists(issuer: Issuer, tmp_path: Path) -> None:
    roster = tmp_path / "roster.jsonl"
    rows = [
        {"name": "Ada", "email": "ada@district.example",
         "evidence": [{"id": "https://evidence.example/1", "name": "Lesson video",
                       "genre": "Video"}, "https://evidence.example/2"],
         "result": {"achievedLevel": "urn:level:proficient", "status": "Completed"}},
        {"did": "did:example:grace", "key": 7},
    ]
    roster.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n", "utf-8")
    good, bad = read_roster(roster)
    assert [r.line for r in good] == [1, 2] and bad[0].line == 3
    assert good[1].key == "7"
    summary = issuer.issue_many(ACHIEVEMENT, roster, out=tmp_path / "out.jsonl", workers=1)
    assert summary.issued == 2 and [e.line for e in summary.failed] == [3]
    lines = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    first = json.loads(lines[0])
    assert [e["genre"] for e in first["evidence"] if "genre" in e] == ["Video"]
    assert first["credentialSubject"]["result"][0]["status"] == "Completed"


def test_unknown_csv_columns_are_refused_before_anything_is_issued(
    issuer: Issuer, tmp_path: Path
) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("name,emial\nAda,ada@district.example\n", "utf-8")
    with pytest.raises(Exception, match="unknown roster column"):
        issuer.issue_many(ACHIEVEMENT, roster, out=tmp_path / "out")
    assert issuer.ledger.count(None) == 0


def test_running_a_roster_again_issues_nothing_and_repairs_files(
    issuer: Issuer, tmp_path: Path
) -> None:
    roster = write_roster(tmp_path / "roster.csv", 30)
    out = tmp_path / "out"
    first = issuer.issue_many(ACHIEVEMENT, roster, out=out, workers=1)
    assert first.issued == 30
    before = files(out)
    victims = sorted(out.glob("*.json"))[:3]
    victims[0].unlink()
    victims[1].write_text("{}", "utf-8")
    victims[2].write_bytes(victims[2].read_bytes()[:100])  # cut short, as by a kill
    again = issuer.issue_many(ACHIEVEMENT, roster, out=out, workers=1)
    assert (again.issued, again.existing, again.rewritten) == (0, 30, 3)
    assert files(out) == before
    assert issuer.ledger.count() == 30
    # a longer roster issues only the new rows
    more = issuer.issue_many(ACHIEVEMENT, write_roster(tmp_path / "r2.csv", 35), out=out,
                             workers=1)
    assert (more.issued, more.existing) == (5, 30)


def test_worker_processes_issue_a_roster_with_baked_images(
    issuer: Issuer, tmp_path: Path
) -> None:
    roster = write_roster(tmp_path / "roster.csv", 240)
    out = tmp_path / "out"
    summary = issuer.issue_many(ACHIEVEMENT, roster, out=out, workers=2,
                                bake=_png(), chunk_size=20)
    assert summary.issued == 240 and summary.ok
    written = files(out)
    assert len(written) == 240
    images = sorted(out.glob("*.png"))
    assert len(images) == 240
    image_json = json.loads(extract(images[0].read_bytes()))
    assert image_json == written[images[0].with_suffix(".json").name]
    slots = {(d["credentialStatus"]["statusListCredential"],
              d["credentialStatus"]["statusListIndex"]) for d in written.values()}
    assert len(slots) == 240
    documents = {u: p.read_text() for u, p in issuer.publish_status(tmp_path / "site").items()}
    fetcher = Fetcher(documents=documents, offline=True)
    for document in list(written.values())[:3]:
        result = verify(document, fetcher=fetcher)
        assert result.verified, result.problems


def test_rows_given_in_python(issuer: Issuer, tmp_path: Path) -> None:
    summary = issuer.issue_many(
        ACHIEVEMENT,
        [{"email": "ada@district.example", "name": "Ada"}, {"did": "did:example:b"}, {}],
        workers=1,
    )
    assert summary.issued == 2 and [e.line for e in summary.failed] == [3]
    assert summary.output is None
    assert isinstance(read_roster, object) and RosterRow


# --------------------------------------------------------------------------- kill -9


def _issued_count(ledger: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute(
                "SELECT count(*) FROM credentials WHERE state = 'issued'").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _run_cli(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mcbadge", *args], stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True,
    )


@pytest.mark.slow
def test_sigkill_at_any_moment_then_resume_gives_one_credential_per_row(
    tmp_path: Path,
) -> None:
    workspace = tmp_path / "issuer"
    Issuer.create(workspace, name="District PD", url=URL).close()
    (tmp_path / "ach.json").write_text(json.dumps(ACHIEVEMENT), "utf-8")
    roster = write_roster(tmp_path / "roster.csv", 1000)
    out = tmp_path / "out"
    args = ("issue", "--issuer", str(workspace), "--achievement", str(tmp_path / "ach.json"),
            "--roster", str(roster), "--out", str(out), "--workers", "2", "--quiet")
    ledger = workspace / "ledger.sqlite3"
    kills = 0
    for threshold in (1, 150, 450):  # kill early (workers starting), and twice mid-run
        proc = _run_cli(*args)
        deadline = time.monotonic() + 120
        while _issued_count(ledger) < threshold and proc.poll() is None:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.01)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(30)
    assert kills >= 2
    assert _issued_count(ledger) < 1000
    final = _run_cli(*args[:-1])
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()
    assert b"already issued" in err

    with Issuer.open(workspace) as issuer:
        records = list(issuer.ledger.records(state=None))
        assert len(records) == 1000 and all(r.issued for r in records)
        keys = {r.idempotency_key for r in records}
        assert len(keys) == 1000
        slots = {(s.list_url, s.index) for r in records for s in r.statuses}
        assert len(slots) == 1000
        written = files(out)
        assert len(written) == 1000
        by_id = {r.id: json.loads(r.document or "") for r in records}
        assert {d["id"]: d for d in written.values()} == by_id
        recipients = {r.recipient for r in records}
        assert recipients == {f"educator{i}@district.example" for i in range(1000)}
        documents = {u: p.read_text() for u, p in issuer.publish_status(tmp_path / "site").items()}
    fetcher = Fetcher(documents=documents, offline=True)
    for document in list(written.values())[::250]:
        result = verify(document, fetcher=fetcher)
        assert result.verified, result.problems


def test_repeats_are_found_far_apart_and_close_together(issuer: Issuer,
                                                         tmp_path: Path) -> None:
    _SEEN_BATCH = 256  # noqa: N806 (a span of rows)
    count = _SEEN_BATCH * 2 + 10
    lines = ["name,email,key"]
    for i in range(1, count + 1):  # data line i is file line i + 1
        if i == _SEEN_BATCH + 3:  # the next batch: the recipient of data line 1
            lines.append("Again,e1@district.example,")
        elif i == _SEEN_BATCH + 4:  # the same batch as its twin just before
            lines.append(f"Twin,e{_SEEN_BATCH + 2}@district.example,")
        elif i == count:  # the last batch: a key first given in the first
            lines.append("Keyed twin,late@district.example,k-5")
        elif i == 5:
            lines.append("Keyed,e5@district.example,k-5")
        else:
            lines.append(f"E{i},e{i}@district.example,")
    roster = tmp_path / "r.csv"
    roster.write_text("\n".join(lines) + "\n", "utf-8")
    summary = issuer.issue_many(ACHIEVEMENT, roster, out=tmp_path / "out.jsonl", workers=1)
    assert [(e.line, e.message) for e in summary.failed] == [
        (_SEEN_BATCH + 4, "same recipient as line 2"),
        (_SEEN_BATCH + 5, f"same recipient as line {_SEEN_BATCH + 3}"),
        (count + 1, "same key as line 6")]
    assert summary.issued == count - 3
    written = (tmp_path / "out.jsonl").read_text("utf-8").splitlines()
    assert len(written) == count - 3
