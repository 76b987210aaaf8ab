"""The review workflow over an issuer workspace: submissions, the pre-check, blind
assignment, rubric reviews, consensus and tie-breaks, the issuer of record's decision, awards
(exactly one credential each), "not yet earned" feedback, resubmission and blocking.

State lives in the workspace's ledger file (``ledger.sqlite3``), in tables of its own
(``program_*``): every transition writes its audit row in the same SQLite transaction as its
effect (``BEGIN IMMEDIATE``: safe across threads and processes)."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcbadge._private.store import UsesSideTables, side_tables
from mcbadge.errors import ProgramError
from mcbadge.issuing import Issuer
from mcbadge.issuing._ledger import utc_now
from mcbadge.programs._definition import Program

STATES = ("draft", "submitted", "incomplete", "assigned", "in_review", "recommended",
          "awarded", "not_yet_earned", "blocked", "withdrawn")

# (state, step) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("incomplete", "submit"): "submitted",
    ("submitted", "precheck_fail"): "incomplete",
    ("submitted", "assign"): "assigned",
    ("assigned", "review"): "in_review",
    ("in_review", "review"): "in_review",
    ("in_review", "recommend"): "recommended",
    ("in_review", "split"): "in_review",
    ("recommended", "grant"): "awarded",
    ("recommended", "deny"): "not_yet_earned",
    ("recommended", "return"): "assigned",
    ("not_yet_earned", "block"): "blocked",
    ("blocked", "unlock"): "not_yet_earned",
    **{(s, "withdraw"): "withdrawn" for s in ("draft", "submitted", "incomplete", "assigned",
                                              "in_review")},
}
# who may take each step (the educator steps also require being that educator)
STEP_ROLES: dict[str, tuple[str, ...]] = {
    "submit": ("educator",), "withdraw": ("educator", "coordinator"),
    "precheck_fail": ("system",), "assign": ("coordinator",), "review": ("assessor",),
    "recommend": ("system",), "split": ("system",), "block": ("system",),
    "unlock": ("coordinator",), "resubmit": ("educator",),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS program_definitions (
    id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS program_submissions (
    id TEXT PRIMARY KEY, program_id TEXT NOT NULL REFERENCES program_definitions (id),
    educator TEXT NOT NULL, attempt INTEGER NOT NULL, previous_id TEXT, anon_id TEXT NOT NULL
    UNIQUE, state TEXT NOT NULL, answers TEXT NOT NULL, artifacts TEXT NOT NULL,
    note TEXT, problems TEXT, credential_id TEXT, decided_at TEXT, started_at TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    UNIQUE (program_id, educator, attempt));
CREATE TABLE IF NOT EXISTS program_assignments (
    submission_id TEXT NOT NULL REFERENCES program_submissions (id), assessor TEXT NOT NULL,
    tiebreak INTEGER NOT NULL DEFAULT 0, assigned_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, assessor));
CREATE TABLE IF NOT EXISTS program_reviews (
    submission_id TEXT NOT NULL REFERENCES program_submissions (id), assessor TEXT NOT NULL,
    levels TEXT NOT NULL, feedback TEXT NOT NULL, recommendation TEXT NOT NULL
    CHECK (recommendation IN ('award', 'deny')), at TEXT NOT NULL,
    PRIMARY KEY (submission_id, assessor));
CREATE TABLE IF NOT EXISTS program_unlocks (
    program_id TEXT NOT NULL, educator TEXT NOT NULL, extra INTEGER NOT NULL,
    PRIMARY KEY (program_id, educator));
CREATE TABLE IF NOT EXISTS program_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, submission_id TEXT NOT NULL, actor TEXT NOT NULL,
    role TEXT NOT NULL, at TEXT NOT NULL, from_state TEXT, to_state TEXT NOT NULL,
    step TEXT NOT NULL, reason TEXT);
CREATE INDEX IF NOT EXISTS program_submissions_by_state
    ON program_submissions (program_id, state);
CREATE INDEX IF NOT EXISTS program_audit_by_submission ON program_audit (submission_id);
"""

_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Artifact:
    """A piece of evidence: a file stored content-addressed in the workspace, or a URL with
    its digest. Never a data URI in a badge."""

    name: str
    kind: str
    sha256: str
    size: int | None = None
    media_type: str | None = None
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("name", self.name), ("kind", self.kind),
                                  ("sha256", self.sha256), ("size", self.size),
                                  ("mediaType", self.media_type), ("url", self.url))
                if v is not None}


@dataclass(frozen=True, slots=True)
class Submission:
    id: str
    program_id: str
    educator: str
    attempt: int
    state: str
    anon_id: str
    answers: dict[str, str]
    artifacts: list[dict[str, Any]]
    previous_id: str | None = None
    note: str | None = None
    problems: list[str] = field(default_factory=list)
    credential_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRow:
    submission_id: str
    actor: str
    role: str
    at: str
    from_state: str | None
    to_state: str
    step: str
    reason: str | None


def _words(text: str) -> int:
    return len(_WORD.findall(text))


class Programs(UsesSideTables):
    """The programs of one issuer workspace.

    ```python
    programs = Programs(issuer)
    programs.define(program)
    sub = programs.submit(program.id, "ada@district.example", answers, artifacts)
    programs.assign(sub.id, ["a1", "a2"], actor="coord-1")
    programs.review(sub.id, "a1", levels={...}, feedback={...}, recommendation="award")
    programs.decide(sub.id, "grant", actor="district", reason="meets every criterion")
    ```
    """

    def __init__(self, issuer: Issuer, *, timeout: float = 60.0,
                 mail: tuple[Any, Any] | None = None) -> None:
        """``mail``: ``(Deliveries, SmtpSettings)`` to email each award's claim link to the
        educator as soon as the grant is recorded (each send logged in the delivery log;
        a failed send never undoes the award: ``mcbadge deliver`` sends it again)."""
        self.issuer = issuer
        self.mail = mail
        self.path = issuer.path / "ledger.sqlite3"
        """The SQLite ledger file (unused when the workspace's ledger is PostgreSQL)."""
        self.artifacts_dir = issuer.path / "artifacts"
        self._local = threading.local()
        self._tables = side_tables(issuer, _SCHEMA, timeout=timeout)

    # -- storage ---------------------------------------------------------------------

    # -- programs --------------------------------------------------------------------

    def define(self, program: Program) -> Program:
        """Record ``program`` (again: the same definition is a no-op; a different one for
        the same achievement id is refused)."""
        text = json.dumps(program.to_json(), sort_keys=True)
        with self._tx() as db:
            row = db.execute("SELECT definition FROM program_definitions WHERE id = ?",
                             (program.id,)).fetchone()
            if row is None:
                db.execute("INSERT INTO program_definitions VALUES (?, ?, ?)",
                           (program.id, text, utc_now()))
            elif row[0] != text:
                raise ProgramError(f"program {program.id} is already defined differently; "
                                   "give the new version a new achievement id")
        return program

    def program(self, program_id: str) -> Program:
        row = self._db().execute("SELECT definition FROM program_definitions WHERE id = ?",
                                 (program_id,)).fetchone()
        if row is None:
            raise ProgramError(f"no program {program_id!r}", "NOT_FOUND")
        return Program.from_json(json.loads(row[0]))

    # -- artifacts -------------------------------------------------------------------

    def store_artifact(self, path: str | os.PathLike[str], kind: str,
                       name: str | None = None) -> Artifact:
        """Copy a file into the workspace, named by its SHA-256 (mode 0600)."""
        source = Path(path)
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        self.artifacts_dir.mkdir(mode=0o700, exist_ok=True)
        target = self.artifacts_dir / digest
        if not target.exists():
            from mcbadge._private.files import write_atomic

            write_atomic(target, data, mode=0o600)
        media = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        return Artifact(name or source.name, kind, digest, len(data), media)

    # -- the workflow ----------------------------------------------------------------

    def submit(self, program_id: str, educator: str, answers: Mapping[str, str],
               artifacts: Sequence[Artifact] = (), *, note: str | None = None,
               resubmission_of: str | None = None) -> Submission:
        """Submit (or, with ``resubmission_of``, resubmit after "not yet earned") an attempt;
        the pre-check runs at once: missing or over-long sections, missing artifact kinds
        make it ``incomplete`` (not scored; fix and :meth:`complete`)."""
        program = self.program(program_id)
        who = _normalise(educator)
        now = utc_now()
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, attempt, state FROM program_submissions WHERE program_id = ? AND "
                "educator = ? ORDER BY attempt", (program_id, who)).fetchall()
            open_rows = [r for r in rows if r[2] not in ("awarded", "not_yet_earned",
                                                         "withdrawn", "blocked")]
            if open_rows:
                raise ProgramError(f"{who} already has attempt {open_rows[-1][1]} open "
                                   f"({open_rows[-1][2]})", "INVALID_TRANSITION",
                                   state=open_rows[-1][2])
            if any(r[2] == "awarded" for r in rows):
                raise ProgramError(f"{who} has already earned {program_id}",
                                   "INVALID_TRANSITION", state="awarded")
            if rows and rows[-1][2] == "blocked":
                raise ProgramError(f"{who} is blocked after {rows[-1][1]} attempts until a "
                                   "coordinator unlocks", "INVALID_TRANSITION", state="blocked")
            allowed = program.policy.max_attempts + self._extra(db, program_id, who)
            attempt = (rows[-1][1] + 1) if rows else 1
            if attempt > allowed:
                raise ProgramError(f"{who} has used all {allowed} attempts",
                                   "INVALID_TRANSITION", state=rows[-1][2])
            previous = rows[-1][0] if rows else None
            if rows and resubmission_of not in (None, previous):
                raise ProgramError(f"a resubmission follows the last attempt {previous}")
            sid = f"urn:uuid:{uuid.uuid4()}"
            anon = "anon-" + secrets.token_hex(6)
            db.execute(
                "INSERT INTO program_submissions (id, program_id, educator, attempt, "
                "previous_id, anon_id, state, answers, artifacts, note, created_at, "
                "updated_at, started_at) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)",
                (sid, program_id, who, attempt, previous, anon, json.dumps(dict(answers)),
                 json.dumps([a.to_json() for a in artifacts]), note, now, now, now))
            self._move(db, sid, "draft", "submit", who, "educator", note)
            self._precheck(db, sid, program, dict(answers), artifacts, who)
        return self.submission(sid)

    def complete(self, submission_id: str, educator: str, answers: Mapping[str, str],
                 artifacts: Sequence[Artifact] = ()) -> Submission:
        """Resubmit an ``incomplete`` attempt with its gaps filled (the same attempt)."""
        with self._tx() as db:
            sub = self._row(db, submission_id)
            self._educator(sub, educator)
            program = self.program(sub.program_id)
            self._move(db, submission_id, sub.state, "submit", sub.educator, "educator")
            db.execute("UPDATE program_submissions SET answers = ?, artifacts = ? WHERE id = ?",
                       (json.dumps(dict(answers)),
                        json.dumps([a.to_json() for a in artifacts]), submission_id))
            self._precheck(db, submission_id, program, dict(answers), artifacts, sub.educator)
        return self.submission(submission_id)

    def _precheck(self, db: sqlite3.Connection, sid: str, program: Program,
                  answers: dict[str, str], artifacts: Sequence[Artifact], who: str) -> None:
        problems = []
        for section in program.sections:
            text = answers.get(section.id, "")
            if section.required and not text.strip():
                problems.append(f"section {section.title!r} is missing")
            elif section.max_words is not None and _words(text) > section.max_words:
                problems.append(f"section {section.title!r} has {_words(text)} words; at "
                                f"most {section.max_words}")
        kinds = {a.kind for a in artifacts}
        problems += [f"no {kind} artifact" for kind in program.artifact_kinds
                     if kind not in kinds]
        db.execute("UPDATE program_submissions SET problems = ? WHERE id = ?",
                   (json.dumps(problems), sid))
        if problems:
            self._move(db, sid, "submitted", "precheck_fail", "mcbadge", "system",
                       "; ".join(problems))

    def withdraw(self, submission_id: str, actor: str, role: str = "educator",
                 reason: str | None = None) -> Submission:
        with self._tx() as db:
            sub = self._row(db, submission_id)
            if role == "educator":
                self._educator(sub, actor)
            self._move(db, submission_id, sub.state, "withdraw", actor, role, reason)
        return self.submission(submission_id)

    def assign(self, submission_id: str, assessors: Sequence[str], *, actor: str,
               role: str = "coordinator", tiebreak: bool = False) -> Submission:
        """Assign the policy's number of assessors (one more, ``tiebreak``, on a split).
        An assessor never reviews their own submission."""
        self._role("assign", role)
        with self._tx() as db:
            sub = self._row(db, submission_id)
            program = self.program(sub.program_id)
            chosen = [_normalise(a) for a in assessors]
            if sub.educator in chosen:
                raise ProgramError("an assessor cannot review their own submission",
                                   "NOT_ALLOWED")
            if len(set(chosen)) != len(chosen):
                raise ProgramError("an assessor is named twice")
            now = utc_now()
            if tiebreak:
                if sub.state != "in_review" or not self._split(db, submission_id):
                    raise ProgramError("a tie-break assessor is assigned only on a split",
                                       "INVALID_TRANSITION", state=sub.state)
                if len(chosen) != 1:
                    raise ProgramError("one tie-break assessor")
                taken = {r[0] for r in db.execute(
                    "SELECT assessor FROM program_assignments WHERE submission_id = ?",
                    (submission_id,))}
                if chosen[0] in taken:
                    raise ProgramError(f"{chosen[0]} already reviews this submission")
                db.execute("INSERT INTO program_assignments VALUES (?, ?, 1, ?)",
                           (submission_id, chosen[0], now))
                self._audit(db, submission_id, actor, role, sub.state, sub.state,
                            "assign_tiebreak", chosen[0])
                return self._row(db, submission_id)
            if len(chosen) != program.policy.assessors:
                raise ProgramError(f"the policy asks for {program.policy.assessors} "
                                   f"assessor(s), not {len(chosen)}")
            self._move(db, submission_id, sub.state, "assign", actor, role, ", ".join(chosen))
            db.execute("DELETE FROM program_reviews WHERE submission_id = ?", (submission_id,))
            db.execute("DELETE FROM program_assignments WHERE submission_id = ?",
                       (submission_id,))
            db.executemany("INSERT INTO program_assignments VALUES (?, ?, 0, ?)",
                           [(submission_id, a, now) for a in chosen])
        return self.submission(submission_id)

    def assessor_view(self, submission_id: str, assessor: str) -> dict[str, Any]:
        """What an assigned assessor sees: the answers and artifacts, the rubric; in blind
        mode, an anonymous id instead of the educator (no name, address or submission id)."""
        db = self._db()
        sub = self._row(db, submission_id)
        if not self._assigned(db, submission_id, _normalise(assessor)):
            raise ProgramError(f"{assessor} is not assigned to this submission", "NOT_ALLOWED")
        program = self.program(sub.program_id)
        view: dict[str, Any] = {
            "submission": sub.anon_id if program.policy.blind else sub.id,
            "attempt": sub.attempt, "answers": sub.answers,
            "artifacts": [{k: v for k, v in a.items() if k != "name"} if program.policy.blind
                          else a for a in sub.artifacts],
            "rubric": [{"id": c.id, "name": c.name, "required": c.required,
                        "levels": [{"id": lvl.id, "name": lvl.name} for lvl in c.levels]}
                       for c in program.criteria],
        }
        if not program.policy.blind:
            view["educator"] = sub.educator
        return view

    def review(self, submission_id: str, assessor: str, *, levels: Mapping[str, str],
               feedback: Mapping[str, str], recommendation: str) -> Submission:
        """An assigned assessor's review: a level for every criterion (by id or name),
        feedback for every criterion below its required level, ``award`` or ``deny``
        (``award`` only if every criterion meets its required level). When every assigned
        review is in: agreement makes the submission ``recommended``; a split waits for a
        tie-break assessor, whose review decides."""
        who = _normalise(assessor)
        if recommendation not in ("award", "deny"):
            raise ProgramError("recommendation is award or deny", "REVIEW_ERROR")
        with self._tx() as db:
            sub = self._row(db, submission_id)
            program = self.program(sub.program_id)
            if not self._assigned(db, submission_id, who):
                raise ProgramError(f"{who} is not assigned to this submission", "NOT_ALLOWED")
            if db.execute("SELECT 1 FROM program_reviews WHERE submission_id = ? AND "
                          "assessor = ?", (submission_id, who)).fetchone():
                raise ProgramError(f"{who} has already reviewed this submission",
                                   "INVALID_TRANSITION", state=sub.state)
            chosen = {}
            for criterion in program.criteria:
                wanted = levels.get(criterion.id, levels.get(criterion.name))
                if wanted is None:
                    raise ProgramError(f"no level for criterion {criterion.name!r}",
                                       "REVIEW_ERROR")
                level = criterion.level(wanted)
                chosen[criterion.id] = level.id
                text = feedback.get(criterion.id, feedback.get(criterion.name, ""))
                if not criterion.meets(level.id) and not text.strip():
                    raise ProgramError(f"criterion {criterion.name!r} is below "
                                       "its required level: say how to grow (feedback)",
                                       "REVIEW_ERROR")
            passes = all(c.meets(chosen[c.id]) for c in program.criteria)
            if recommendation == "award" and not passes:
                raise ProgramError("award needs every criterion at or above its required "
                                   "level", "REVIEW_ERROR")
            notes = {k: v for k, v in feedback.items() if isinstance(v, str)}
            self._move(db, submission_id, sub.state, "review", who, "assessor", recommendation)
            db.execute("INSERT INTO program_reviews VALUES (?, ?, ?, ?, ?, ?)",
                       (submission_id, who, json.dumps(chosen), json.dumps(notes),
                        recommendation, utc_now()))
            self._settle(db, submission_id)
        return self.submission(submission_id)

    def _settle(self, db: sqlite3.Connection, sid: str) -> None:
        assigned = db.execute("SELECT assessor, tiebreak FROM program_assignments WHERE "
                              "submission_id = ?", (sid,)).fetchall()
        reviews = dict(db.execute("SELECT assessor, recommendation FROM program_reviews "
                                  "WHERE submission_id = ?", (sid,)).fetchall())
        tiebreakers = [a for a, t in assigned if t]
        regular = [a for a, t in assigned if not t]
        if tiebreakers:
            if tiebreakers[0] in reviews:
                self._move(db, sid, "in_review", "recommend", "mcbadge", "system",
                           f"tie-break: {reviews[tiebreakers[0]]}")
            return
        if not all(a in reviews for a in regular):
            return
        verdicts = {reviews[a] for a in regular}
        if len(verdicts) == 1:
            self._move(db, sid, "in_review", "recommend", "mcbadge", "system",
                       f"consensus: {verdicts.pop()}")
        else:
            self._move(db, sid, "in_review", "split", "mcbadge", "system",
                       "the assessors disagree: assign a tie-break assessor")

    def _split(self, db: sqlite3.Connection, sid: str) -> bool:
        row = db.execute("SELECT step FROM program_audit WHERE submission_id = ? ORDER BY seq "
                         "DESC LIMIT 1", (sid,)).fetchone()
        return bool(row and row[0] == "split")

    def recommendation(self, submission_id: str) -> tuple[str, dict[str, str]] | None:
        """The assessors' recommendation and the levels that go with it (the tie-break's,
        else the lowest level per criterion among the agreeing reviews), once
        ``recommended``."""
        db = self._db()
        sub = self._row(db, submission_id)
        if sub.state not in ("recommended", "awarded", "not_yet_earned", "blocked"):
            return None
        program = self.program(sub.program_id)
        rows = db.execute("SELECT r.levels, r.recommendation, a.tiebreak FROM program_reviews "
                          "r JOIN program_assignments a USING (submission_id, assessor) WHERE "
                          "r.submission_id = ?", (submission_id,)).fetchall()
        tie = [r for r in rows if r[2]]
        deciding = tie or rows
        verdict = deciding[0][1]
        chosen = [json.loads(r[0]) for r in deciding if r[1] == verdict]
        levels = {c.id: min((lv[c.id] for lv in chosen), key=c.rank) for c in program.criteria}
        return verdict, levels

    def decide(self, submission_id: str, decision: str, *, actor: str, role: str = "issuer",
               reason: str) -> Submission:
        """The issuer of record's decision on a ``recommended`` submission: ``grant``
        (issues exactly one credential), ``deny`` ("not yet earned"; the last attempt
        blocks), or ``return`` (to the assessors). Re-running a grant that was cut short
        completes it with the credential already issued."""
        if decision not in ("grant", "deny", "return"):
            raise ProgramError("decision is grant, deny or return")
        if not reason or not reason.strip():
            raise ProgramError("say why (reason)")
        sub = self.submission(submission_id)
        program = self.program(sub.program_id)
        if role not in program.policy.deciders:
            raise ProgramError(f"role {role!r} may not decide ({', '.join(program.policy.deciders)}"
                               " may)", "NOT_ALLOWED")
        if sub.state != "recommended":
            raise ProgramError(f"submission is {sub.state}, not recommended",
                               "INVALID_TRANSITION", state=sub.state)
        if decision == "grant":
            found = self.recommendation(submission_id)
            assert found is not None
            verdict, levels = found
            if verdict != "award":
                raise ProgramError("the assessors recommend deny; return it to them or deny",
                                   "INVALID_TRANSITION", state=sub.state)
            credential = self._award(program, sub, levels)
        with self._tx() as db:
            current = self._row(db, submission_id)
            # another process may have decided meanwhile: a grant already made is done
            already = decision == "grant" and current.state == "awarded"
            if current.state != "recommended" and not already:
                raise ProgramError(f"submission is {current.state}, not recommended",
                                   "INVALID_TRANSITION", state=current.state)
            now = utc_now()
            if already:
                pass
            elif decision == "grant":
                db.execute("UPDATE program_submissions SET credential_id = ?, decided_at = ? "
                           "WHERE id = ?", (credential["id"], now, submission_id))
                self._move(db, submission_id, "recommended", "grant", actor, role, reason)
            elif decision == "deny":
                db.execute("UPDATE program_submissions SET decided_at = ? WHERE id = ?",
                           (now, submission_id))
                self._move(db, submission_id, "recommended", "deny", actor, role, reason)
                allowed = program.policy.max_attempts + self._extra(db, sub.program_id,
                                                                    sub.educator)
                if sub.attempt >= allowed:
                    self._move(db, submission_id, "not_yet_earned", "block", "mcbadge",
                               "system", f"{sub.attempt} attempts: a coaching conversation "
                               "comes next")
            else:
                self._move(db, submission_id, "recommended", "return", actor, role, reason)
                db.execute("DELETE FROM program_reviews WHERE submission_id = ?",
                           (submission_id,))
        if decision == "grant":
            stacked = self._stacks_due(sub.educator)
            self._mail(credential["id"], *[c["id"] for c in stacked])
        return self.submission(submission_id)

    def _mail(self, *credential_ids: str) -> None:
        """Email the claim links of new awards, when configured (and the educator is an
        email address); a credential already sent (a grant re-run) is not sent again."""
        if self.mail is None:
            return
        deliveries, smtp = self.mail
        for cid in credential_ids:
            record = self.issuer.record(cid)
            sent = any(row["outcome"] == "sent" for row in deliveries.log(cid))
            if record is not None and "@" in record.recipient and not sent:
                deliveries.send(cid, smtp)

    def _stacks_due(self, educator: str) -> list[dict[str, Any]]:
        """An award may complete a stack: issue its badge in the same run (exactly once)."""
        from mcbadge.stacks import Stacks

        stacks = getattr(self._local, "stacks", None)
        if stacks is None:
            stacks = self._local.stacks = Stacks(self.issuer)
        if stacks.stacks():
            return list(stacks.award_due(educator))
        return []

    def _award(self, program: Program, sub: Submission, levels: Mapping[str, str]
               ) -> dict[str, Any]:
        """The one credential of a granted submission (the idempotency key is the
        submission: a grant cut short and re-run returns the same credential)."""
        results = [{"resultDescription": cid, "achievedLevel": lid}
                   for cid, lid in levels.items()]
        evidence = [{"type": ["Evidence"], "id": a.get("url") or f"urn:sha256:{a['sha256']}",
                     "name": a["name"], "genre": a["kind"],
                     "description": f"sha256 {a['sha256']}"} for a in sub.artifacts]
        extra: dict[str, Any] = {}
        if program.source:
            extra["source"] = program.source
        first = self._first_started(sub)
        if first:
            extra["activityStartDate"] = first
        extra["activityEndDate"] = utc_now()
        return self.issuer.issue(program.achievement, sub.educator, result=results,
                                 evidence=evidence, idempotency_key=f"program:{sub.id}",
                                 subject_extra=extra, awarded_date=utc_now())

    def _first_started(self, sub: Submission) -> str | None:
        row = self._db().execute(
            "SELECT min(started_at) FROM program_submissions WHERE program_id = ? AND "
            "educator = ?", (sub.program_id, sub.educator)).fetchone()
        return str(row[0]) if row and row[0] else None

    def unlock(self, program_id: str, educator: str, *, actor: str, role: str = "coordinator",
               reason: str) -> Submission:
        """After a coaching conversation: one more attempt for a blocked educator."""
        self._role("unlock", role)
        who = _normalise(educator)
        with self._tx() as db:
            row = db.execute("SELECT id FROM program_submissions WHERE program_id = ? AND "
                             "educator = ? ORDER BY attempt DESC LIMIT 1",
                             (program_id, who)).fetchone()
            if row is None:
                raise ProgramError(f"{who} has no submission", "NOT_FOUND")
            sub = self._row(db, row[0])
            self._move(db, sub.id, sub.state, "unlock", actor, role, reason)
            db.execute("INSERT INTO program_unlocks VALUES (?, ?, 1) ON CONFLICT (program_id, "
                       "educator) DO UPDATE SET "
                       "extra = program_unlocks.extra + 1", (program_id, who))
        return self.submission(row[0])

    def feedback(self, submission_id: str) -> dict[str, str]:
        """The "not yet earned" letter (Markdown and HTML): each criterion's level and the
        assessors' growth-oriented feedback, without their names."""
        import html

        db = self._db()
        sub = self._row(db, submission_id)
        program = self.program(sub.program_id)
        reviews = db.execute("SELECT levels, feedback FROM program_reviews WHERE "
                             "submission_id = ? ORDER BY at", (submission_id,)).fetchall()
        found = self.recommendation(submission_id)
        levels = found[1] if found else {}
        lines = [f"# {program.achievement.get('name')}: "
                 f"{'earned' if sub.state == 'awarded' else 'not yet earned'}", "",
                 f"Attempt {sub.attempt} of {program.policy.max_attempts}.", ""]
        for criterion in program.criteria:
            level = levels.get(criterion.id)
            name = next((lv.name for lv in criterion.levels if lv.id == level), "-")
            bar = next(lv.name for lv in criterion.levels if lv.id == criterion.required)
            lines += [f"## {criterion.name}", "", f"Level: {name} (required: {bar})", ""]
            for _, notes in reviews:
                text = json.loads(notes).get(criterion.id) or json.loads(notes).get(
                    criterion.name)
                if text:
                    lines += [f"- {text}"]
            lines.append("")
        for section in program.sections:  # feedback on each part of the submission
            notes = [json.loads(n).get(section.id) or json.loads(n).get(section.title)
                     for _, n in reviews]
            notes = [n for n in notes if n]
            if notes:
                lines += [f"## {section.title}", "", *[f"- {n}" for n in notes], ""]
        markdown = "\n".join(lines).rstrip() + "\n"
        body = "".join(
            f"<h1>{html.escape(ln[2:])}</h1>" if ln.startswith("# ") else
            f"<h2>{html.escape(ln[3:])}</h2>" if ln.startswith("## ") else
            f"<li>{html.escape(ln[2:])}</li>" if ln.startswith("- ") else
            f"<p>{html.escape(ln)}</p>" if ln else "" for ln in lines)
        return {"markdown": markdown, "html": f"<article>{body}</article>"}

    # -- reading -----------------------------------------------------------------------

    def submission(self, submission_id: str) -> Submission:
        return self._row(self._db(), submission_id)

    def submissions(self, program_id: str, state: str | None = None) -> list[Submission]:
        query = "SELECT id FROM program_submissions WHERE program_id = ?"
        args: tuple[Any, ...] = (program_id,)
        if state is not None:
            query += " AND state = ?"
            args += (state,)
        return [self.submission(r[0]) for r in
                self._db().execute(query + " ORDER BY created_at, attempt", args)]

    def audit(self, submission_id: str) -> list[AuditRow]:
        rows = self._db().execute(
            "SELECT submission_id, actor, role, at, from_state, to_state, step, reason FROM "
            "program_audit WHERE submission_id = ? ORDER BY seq", (submission_id,)).fetchall()
        return [AuditRow(*r) for r in rows]

    def counts(self, program_id: str) -> dict[str, int]:
        rows = self._db().execute("SELECT state, count(*) FROM program_submissions WHERE "
                                  "program_id = ? GROUP BY state", (program_id,)).fetchall()
        return {state: int(n) for state, n in rows}

    def report(self, program_id: str, *, now: str | None = None) -> dict[str, Any]:
        """Queues and outcomes: counts per state, what waits for whom, what is overdue
        (undecided past the policy's target days), per criterion the share of decided
        submissions meeting the required level, attempts to award, days to decision."""
        from datetime import datetime
        from statistics import mean, median

        program = self.program(program_id)
        moment = datetime.fromisoformat((now or utc_now()).replace("Z", "+00:00"))
        db = self._db()
        rows = db.execute("SELECT id, state, attempt, created_at, decided_at FROM "
                          "program_submissions WHERE program_id = ?", (program_id,)).fetchall()
        open_states = ("submitted", "incomplete", "assigned", "in_review", "recommended")

        def age(stamp: str) -> float:
            then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            return (moment - then).total_seconds() / 86400

        overdue = [r[0] for r in rows if r[1] in open_states
                   and age(r[3]) > program.policy.target_days]
        decided = [r for r in rows if r[1] in ("awarded", "not_yet_earned", "blocked")]
        met: dict[str, list[bool]] = {c.id: [] for c in program.criteria}
        for sid, *_ in decided:
            found = self.recommendation(sid)
            if found is None:
                continue
            for criterion in program.criteria:
                level = found[1].get(criterion.id)
                if level is not None:
                    met[criterion.id].append(criterion.meets(level))
        days = [age(r[3]) - age(r[4]) for r in decided if r[4]]
        attempts = [r[2] for r in rows if r[1] == "awarded"]
        counts = self.counts(program_id)
        return {
            "program": program_id,
            "states": counts,
            "waiting": {"assignment": counts.get("submitted", 0),
                        "review": counts.get("assigned", 0) + counts.get("in_review", 0),
                        "decision": counts.get("recommended", 0),
                        "educator": counts.get("incomplete", 0),
                        "unlock": counts.get("blocked", 0)},
            "overdue": overdue,
            "criteria": [{"id": c.id, "name": c.name, "decided": len(met[c.id]),
                          "meeting_required": (round(sum(met[c.id]) / len(met[c.id]), 4)
                                               if met[c.id] else None)}
                         for c in program.criteria],
            "attempts_to_award": {"mean": round(mean(attempts), 3) if attempts else None,
                                  "max": max(attempts) if attempts else None},
            "days_to_decision": {"mean": round(mean(days), 3) if days else None,
                                 "median": round(median(days), 3) if days else None},
        }

    # -- internals ---------------------------------------------------------------------

    def _row(self, db: sqlite3.Connection, sid: str) -> Submission:
        row = db.execute(
            "SELECT id, program_id, educator, attempt, state, anon_id, answers, artifacts, "
            "previous_id, note, problems, credential_id FROM program_submissions WHERE id = ?",
            (sid,)).fetchone()
        if row is None:
            raise ProgramError(f"no submission {sid!r}", "NOT_FOUND")
        return Submission(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]),
                          json.loads(row[7]), row[8], row[9], json.loads(row[10] or "[]"),
                          row[11])

    def _assigned(self, db: sqlite3.Connection, sid: str, assessor: str) -> bool:
        return db.execute("SELECT 1 FROM program_assignments WHERE submission_id = ? AND "
                          "assessor = ?", (sid, assessor)).fetchone() is not None

    def _extra(self, db: sqlite3.Connection, program_id: str, educator: str) -> int:
        row = db.execute("SELECT extra FROM program_unlocks WHERE program_id = ? AND "
                         "educator = ?", (program_id, educator)).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _educator(sub: Submission, actor: str) -> None:
        if _normalise(actor) != sub.educator:
            raise ProgramError("only the educator who submitted may do that", "NOT_ALLOWED")

    @staticmethod
    def _role(step: str, role: str) -> None:
        if role not in STEP_ROLES.get(step, ()):
            raise ProgramError(f"role {role!r} may not {step}", "NOT_ALLOWED")

    def _move(self, db: sqlite3.Connection, sid: str, state: str, step: str, actor: str,
              role: str, reason: str | None = None) -> str:
        target = TRANSITIONS.get((state, step))
        if target is None:
            raise ProgramError(f"cannot {step} a submission that is {state}",
                               "INVALID_TRANSITION", state=state)
        if step in STEP_ROLES and role not in STEP_ROLES[step]:
            raise ProgramError(f"role {role!r} may not {step}", "NOT_ALLOWED")
        now = utc_now()
        cursor = db.execute("UPDATE program_submissions SET state = ?, updated_at = ? WHERE "
                            "id = ? AND state = ?", (target, now, sid, state))
        if cursor.rowcount != 1:
            raise ProgramError("the submission changed meanwhile; try again",
                               "INVALID_TRANSITION", state=state)
        self._audit(db, sid, actor, role, state, target, step, reason)
        return target

    @staticmethod
    def _audit(db: sqlite3.Connection, sid: str, actor: str, role: str, from_state: str | None,
               to_state: str, step: str, reason: str | None) -> None:
        db.execute("INSERT INTO program_audit (submission_id, actor, role, at, from_state, "
                   "to_state, step, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (sid, actor, role, utc_now(), from_state, to_state, step, reason))


def _normalise(who: str) -> str:
    text = who.strip()
    return text.lower() if "@" in text and not text.startswith("did:") else text
