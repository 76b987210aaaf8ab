"""Programs under failure and concurrency: SIGKILL in the middle of a batch of decisions,
then resume: exactly one credential per granted submission, every audit row matching the
state; four assessors reviewing at once, from threads and from processes: no lost review,
no double award."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from mcbadge.issuing import Issuer
from mcbadge.programs import Programs
from tests.conftest import REPO
from tests.programs_helpers import (
    ANSWERS,
    PASS,
    PROGRAM_ID,
    artifacts,
    recommended,
    workspace,
)

DECIDER = """
import json, sys
from mcbadge.issuing import Issuer
from mcbadge.programs import Programs
issuer = Issuer.open(sys.argv[1])
programs = Programs(issuer)
for sid in json.loads(sys.argv[2]):
    if programs.submission(sid).state == "recommended":
        programs.decide(sid, "grant", actor="district", reason="meets every criterion")
        print(sid, flush=True)
"""

REVIEWER = """
import sys
from mcbadge.issuing import Issuer
from mcbadge.programs import Programs
from tests.programs_helpers import PASS
issuer = Issuer.open(sys.argv[1])
programs = Programs(issuer)
for sid in sys.argv[3:]:
    programs.review(sid, sys.argv[2], levels=PASS, feedback={}, recommendation="award")
"""


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")])}


def _check_exactly_once(issuer: Issuer, programs: Programs, sids: list[str]) -> None:
    db = programs._db()
    for sid in sids:
        sub = programs.submission(sid)
        assert sub.state == "awarded", sid
        rows = db.execute("SELECT id, state FROM credentials WHERE idempotency_key = ?",
                          (f"program:{sid}",)).fetchall()
        assert rows == [(sub.credential_id, "issued")], (sid, rows)
        audit = programs.audit(sid)
        assert audit[-1].to_state == sub.state
        assert [r.step for r in audit].count("grant") == 1
    assert issuer.ledger.count() == len(sids)
    assert issuer.ledger.count("reserved") == 0


def test_sigkill_in_a_batch_of_decisions_then_resume_awards_each_exactly_once(
        tmp_path: Path) -> None:
    issuer, programs = workspace(tmp_path / "issuer")
    arts = artifacts(programs, tmp_path / "files")
    sids = [recommended(programs, f"educator-{i}@district.example", arts) for i in range(24)]
    rng = random.Random(20261201)
    for _ in range(4):  # a decider killed after a few decisions, somewhere in the next one
        child = subprocess.Popen([sys.executable, "-c", DECIDER, str(issuer.path),
                                  json.dumps(sids)], env=_env(), cwd=REPO,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for _ in range(rng.randint(1, 4)):
            child.stdout.readline()
        time.sleep(rng.uniform(0, 0.01))
        child.send_signal(signal.SIGKILL)
        child.wait()
    done_before = sum(programs.submission(s).state == "awarded" for s in sids)
    print(f"awarded before the resume: {done_before} of {len(sids)}")
    for sid in sids:  # resume
        if programs.submission(sid).state == "recommended":
            programs.decide(sid, "grant", actor="district", reason="meets every criterion")
    _check_exactly_once(issuer, programs, sids)
    assert issuer.ledger.check()["ok"]


def test_four_assessors_reviewing_at_once_lose_nothing_and_award_once(tmp_path: Path) -> None:
    issuer, programs = workspace(tmp_path / "issuer")
    arts = artifacts(programs, tmp_path / "files")
    from tests.programs_helpers import program as make

    four = make(assessors=4)
    four_programs = Programs(issuer)
    four_id = PROGRAM_ID + "/four"
    data = four.to_json()
    data["achievement"]["id"] = four_id
    from mcbadge.programs import Program

    four_programs.define(Program.from_json(data))
    assessors = ["assessor-a", "assessor-b", "assessor-c", "assessor-d"]
    subs = []
    for i in range(8):
        sub = programs.submit(four_id, f"t{i}@district.example", ANSWERS, arts)
        programs.assign(sub.id, assessors, actor="c")
        subs.append(sub.id)
    threaded, processed = subs[:4], subs[4:]
    errors: list[BaseException] = []

    def review_all(who: str) -> None:
        mine = Programs(issuer)
        try:
            for sid in threaded:
                mine.review(sid, who, levels=PASS, feedback={}, recommendation="award")
        except BaseException as exc:  # pragma: no cover (reported below)
            errors.append(exc)
        finally:
            mine.close()

    threads = [threading.Thread(target=review_all, args=(who,)) for who in assessors]
    children = [subprocess.Popen([sys.executable, "-c", REVIEWER, str(issuer.path), who,
                                  *processed], env=_env(), cwd=REPO) for who in assessors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [c.wait(timeout=120) for c in children] == [0, 0, 0, 0]
    assert errors == []
    for sid in subs:
        assert programs.submission(sid).state == "recommended", sid
        reviews = programs._db().execute("SELECT count(*) FROM program_reviews WHERE "
                                         "submission_id = ?", (sid,)).fetchone()[0]
        assert reviews == 4
    # two deciders at once on every submission: each awarded once
    def decide_all() -> None:
        mine = Programs(issuer)
        for sid in subs:
            try:
                mine.decide(sid, "grant", actor="district", reason="ok")
            except Exception as exc:
                if getattr(exc, "code", None) != "INVALID_TRANSITION":
                    errors.append(exc)
        mine.close()

    deciders = [threading.Thread(target=decide_all) for _ in range(2)]
    for t in deciders:
        t.start()
    for t in deciders:
        t.join()
    assert errors == []
    _check_exactly_once(issuer, programs, subs)
