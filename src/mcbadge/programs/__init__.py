"""Micro-credential programs: evidence, rubric review, the issuer of record's decision,
award or resubmit.

```python
from mcbadge.programs import Policy, Program, Programs, Section, rubric

program = Program.create(
    {"id": "https://pd.district.example/mc/community", "name": "Classroom Community",
     "description": "Builds a classroom where every student belongs.",
     "criteria": {"narrative": "Submit an overview, artifacts and a reflection."},
     "resultDescription": rubric({"Belonging": ["Emerging", "Proficient", "Exemplary"]},
                                 required="Proficient")},
    [Section("overview", "Overview", max_words=500), Section("reflection", "Reflection")],
    artifact_kinds=["lesson-plan"], policy=Policy(assessors=2, blind=True, max_attempts=3))
programs = Programs(issuer)            # an issuing.Issuer workspace
programs.define(program)
```

The workflow (:class:`Programs`): ``submit`` (with the completeness pre-check), ``assign``
(blind: assessors see an anonymous id), ``review`` (a level and feedback per criterion, a
recommendation; agreement recommends, a split waits for a tie-break assessor), ``decide``
(the issuer of record: grant issues exactly one credential, deny is "not yet earned" with a
``feedback`` letter, return goes back to the assessors), resubmission, ``unlock`` after the
last attempt. Every transition is an audit row written in the same transaction as its
effect; an invalid step is a :class:`~mcbadge.errors.ProgramError`.
"""

from __future__ import annotations

from mcbadge.programs._definition import (
    ROLES,
    Criterion,
    Level,
    Policy,
    Program,
    Section,
    rubric,
    rubric_of,
)
from mcbadge.programs._workflow import (
    STATES,
    TRANSITIONS,
    Artifact,
    AuditRow,
    Programs,
    Submission,
)

__all__ = [
    "ROLES",
    "STATES",
    "TRANSITIONS",
    "Artifact",
    "AuditRow",
    "Criterion",
    "Level",
    "Policy",
    "Program",
    "Programs",
    "Section",
    "Submission",
    "rubric",
    "rubric_of",
]
