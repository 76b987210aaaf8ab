"""``mcbadge demo program DIR``: a cohort of 25 educators through the whole workflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcbadge.issuing import Issuer
from mcbadge.programs._definition import Policy, Program, Section, rubric
from mcbadge.programs._workflow import Programs

PROGRAM_ID = "https://pd.district.example/micro-credentials/classroom-community"
LEVELS = ["Emerging", "Developing", "Proficient", "Exemplary"]
CRITERIA = {"Belonging": LEVELS, "Student voice": LEVELS, "Restorative practice": LEVELS}
PASS = {"Belonging": "Exemplary", "Student voice": "Proficient",
        "Restorative practice": "Proficient"}
NOT_YET = {"Belonging": "Proficient", "Student voice": "Developing",
           "Restorative practice": "Proficient"}
GROWTH = {"Student voice": "Let students co-design one routine, and show it in the video."}


STACK_ID = "https://pd.district.example/stacks/culturally-responsive-teaching"
OTHER_PROGRAMS = {
    "https://pd.district.example/micro-credentials/cross-cultural-communication":
        "Cross-Cultural Communication",
    "https://pd.district.example/micro-credentials/bias-in-discipline":
        "Bias in Discipline Practices",
}


def demo_program(program_id: str = PROGRAM_ID, name: str = "Classroom Community") -> Program:
    return Program.create(
        {"id": program_id, "name": name, "creditsAvailable": 15,
         "description": f"{name}: a competency-based micro-credential for educators.",
         "criteria": {"narrative": "An overview of the context, artifacts (a lesson plan, "
                                   "classroom video, student work) and a reflection, scored "
                                   "by two blind assessors against the published rubric."},
         "resultDescription": rubric(CRITERIA, required="Proficient")},
        [Section("overview", "Overview of the context", max_words=400),
         Section("artifacts", "About the artifacts", max_words=400),
         Section("reflection", "Reflection", max_words=600)],
        artifact_kinds=["lesson-plan", "video", "student-work"],
        policy=Policy(assessors=2, blind=True, max_attempts=3),
        source={"id": "https://pd.district.example", "type": ["Profile"],
                "name": "District PD Assessment Team"})


def run(directory: Path, *, cohort: int = 25) -> dict[str, Any]:
    """Run the cohort in ``directory`` (new or empty); return the summary written to
    ``directory/summary.json``."""
    import mcbadge
    from mcbadge.resolve import Fetcher

    directory.mkdir(parents=True, exist_ok=True)
    issuer = Issuer.create(directory / "issuer", name="Example School District",
                           url="https://pd.district.example")
    programs = Programs(issuer)
    program = programs.define(demo_program())
    for other_id, other_name in OTHER_PROGRAMS.items():
        programs.define(demo_program(other_id, other_name))
    from mcbadge.stacks import Stack, Stacks

    stacks = Stacks(issuer)
    stacks.define(Stack.create(
        {"id": STACK_ID, "name": "Culturally Responsive Teaching",
         "description": "Three micro-credentials that together make culturally responsive "
                        "teaching.", "achievementType": "Certificate",
         "criteria": {"narrative": "Earn all three component micro-credentials."}},
        [PROGRAM_ID, *OTHER_PROGRAMS], rule="all"))
    files = directory / "artifacts"
    files.mkdir(exist_ok=True)
    answers = {"overview": "Grade 5, 26 students; we started a morning community circle.",
               "artifacts": "The plan, ten minutes of a circle, and the students' norms.",
               "reflection": "Quieter students spoke first when they chose the prompt."}
    assessors = [f"assessor-{n}" for n in range(1, 7)]
    awards: dict[str, str] = {}
    out = directory / "badges"
    out.mkdir(exist_ok=True)

    def evidence(n: int) -> list[Any]:
        made = []
        for kind, body in (("lesson-plan", b"%PDF lesson plan"), ("video", b"mp4 video"),
                           ("student-work", b"student norms (names removed)")):
            path = files / f"educator-{n}-{kind}.bin"
            path.write_bytes(body + f" #{n}".encode())
            made.append(programs.store_artifact(path, kind))
        return made

    def cycle(n: int, who: str, verdict: str, previous: str | None = None,
              program_id: str = PROGRAM_ID) -> str:
        arts = evidence(n)
        sub = programs.submit(program_id, who, answers, arts, resubmission_of=previous,
                              note=None if previous is None else "revised the routine")
        pair = [assessors[n % 6], assessors[(n + 1) % 6]]
        programs.assign(sub.id, pair, actor="coordinator")
        levels, notes = (PASS, {}) if verdict == "award" else (NOT_YET, GROWTH)
        for assessor in pair:
            programs.review(sub.id, assessor, levels=levels, feedback=notes,
                            recommendation=verdict)
        decided = programs.decide(sub.id, "grant" if verdict == "award" else "deny",
                                  actor="district-issuer", reason="per the rubric")
        if decided.credential_id and program_id == PROGRAM_ID:
            awards[who] = decided.credential_id
        return sub.id

    for n in range(cohort):
        who = f"educator{n:02d}@district.example"
        if n % 5 == 1:  # incomplete first: a section left out, completed, then awarded
            sub = programs.submit(program.id, who, {**answers, "reflection": ""}, evidence(n))
            programs.complete(sub.id, who, answers, evidence(n))
            programs.assign(sub.id, [assessors[n % 6], assessors[(n + 1) % 6]],
                            actor="coordinator")
            for assessor in (assessors[n % 6], assessors[(n + 1) % 6]):
                programs.review(sub.id, assessor, levels=PASS, feedback={},
                                recommendation="award")
            done = programs.decide(sub.id, "grant", actor="district-issuer",
                                   reason="per the rubric")
            awards[who] = done.credential_id or ""
        elif n % 5 == 2:  # not yet earned, resubmitted, awarded
            first = cycle(n, who, "deny")
            cycle(n, who, "award", previous=first)
        elif n == cohort - 1:  # three attempts, blocked
            previous = None
            for _ in range(3):
                previous = cycle(n, who, "deny", previous)
        else:
            cycle(n, who, "award")
    # one educator goes on to the two other micro-credentials: the stack completes, and
    # its badge is issued with the last grant
    stacker = "educator00@district.example"
    for other_id in OTHER_PROGRAMS:
        cycle(0, stacker, "award", program_id=other_id)
    [progress] = stacks.progress(stacker)
    if progress.awarded is None:
        raise RuntimeError("the demo's stack was not awarded")
    stack_record = issuer.record(progress.awarded)
    fetcher = Fetcher(documents=issuer.status_list_credentials(), offline=True)
    files_out: dict[str, str] = {}
    for who, cid in awards.items():
        record = issuer.record(cid)
        if record is None or record.document is None:
            raise RuntimeError(f"the ledger has no credential {cid} for {who}")
        badge = json.loads(record.document)
        result = mcbadge.verify(badge, fetcher=fetcher)
        if not result.verified:
            raise RuntimeError(f"the demo's badge for {who} does not verify: {result.problems}")
        path = out / f"{who.split('@')[0]}.json"
        path.write_text(json.dumps(badge, indent=2) + "\n", "utf-8")
        files_out[who] = str(path)
    if stack_record is None or stack_record.document is None:
        raise RuntimeError("the demo's stack badge is not in the ledger")
    stack_badge = json.loads(stack_record.document)
    if not mcbadge.verify(stack_badge, fetcher=fetcher).verified:
        raise RuntimeError("the demo's stack badge does not verify")
    stack_path = out / "educator00-stack.json"
    stack_path.write_text(json.dumps(stack_badge, indent=2) + "\n", "utf-8")
    clr = issuer.clr(stacker, associations=stacks.associations())
    clr_path = directory / "educator00-clr.json"
    clr_path.write_text(json.dumps(clr, indent=2) + "\n", "utf-8")
    if not mcbadge.verify(clr, fetcher=Fetcher(documents=issuer.status_list_credentials(),
                                               offline=True)).verified:
        raise RuntimeError("the demo's CLR does not verify")
    summary = {"program": program.id, "educators": cohort,
               "states": programs.counts(program.id), "awarded": len(awards),
               "verified": len(files_out), "credentials": files_out,
               "stack": {"id": STACK_ID, "recipient": stacker, "credential": str(stack_path),
                         "clr": str(clr_path)},
               "workspace": str(issuer.path)}
    stacks.close()
    (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    programs.close()
    issuer.close()
    return summary
