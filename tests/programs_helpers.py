"""A program and helpers shared by the programs tests (and their child processes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcbadge.issuing import Issuer
from mcbadge.programs import Artifact, Policy, Program, Programs, Section, rubric

PROGRAM_ID = "https://pd.district.example/mc/classroom-community"
CRITERIA = {"Belonging": ["Emerging", "Developing", "Proficient", "Exemplary"],
            "Student voice": ["Emerging", "Developing", "Proficient", "Exemplary"]}


def program(**policy: Any) -> Program:
    return Program.create(
        {"id": PROGRAM_ID, "name": "Classroom Community",
         "description": "Builds a classroom where every student belongs.",
         "criteria": {"narrative": "An overview, artifacts and a reflection, scored against "
                                   "the published rubric."},
         "resultDescription": rubric(CRITERIA, required="Proficient")},
        [Section("overview", "Overview of the context", max_words=60),
         Section("artifacts", "About the artifacts"),
         Section("reflection", "Reflection", max_words=80)],
        artifact_kinds=["lesson-plan", "video"],
        policy=Policy(**{"assessors": 2, "blind": True, "max_attempts": 3, **policy}),
        source={"id": "https://pd.district.example", "type": ["Profile"],
                "name": "District PD assessors"})


ANSWERS = {"overview": "Grade 4, 27 students, a new community circle routine.",
           "artifacts": "The lesson plan and ten minutes of the circle.",
           "reflection": "Students named what belonging means to them."}


def artifacts(programs: Programs, folder: Path) -> list[Artifact]:
    folder.mkdir(parents=True, exist_ok=True)
    plan = folder / "plan.pdf"
    plan.write_bytes(b"%PDF-1.4 lesson plan")
    video = folder / "circle.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 video")
    return [programs.store_artifact(plan, "lesson-plan"), programs.store_artifact(video, "video")]


def workspace(folder: Path) -> tuple[Issuer, Programs]:
    issuer = Issuer.create(folder, name="District PD", url="https://pd.district.example")
    programs = Programs(issuer)
    programs.define(program())
    return issuer, programs


PASS = {"Belonging": "Exemplary", "Student voice": "Proficient"}
FAIL = {"Belonging": "Proficient", "Student voice": "Developing"}
GROW = {"Student voice": "Invite students to set one routine themselves next time."}


def recommended(programs: Programs, educator: str, arts: list[Artifact],
                verdict: str = "award") -> str:
    """A submission of ``educator`` reviewed to ``recommended`` by two assessors."""
    sub = programs.submit(PROGRAM_ID, educator, ANSWERS, arts)
    programs.assign(sub.id, ["assessor-1", "assessor-2"], actor="coordinator-1")
    for who in ("assessor-1", "assessor-2"):
        if verdict == "award":
            programs.review(sub.id, who, levels=PASS, feedback={}, recommendation="award")
        else:
            programs.review(sub.id, who, levels=FAIL, feedback=GROW, recommendation="deny")
    return sub.id
