"""A micro-credential program: the achievement and its rubric, the submission template, the
review policy. Built in Python or read from JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mcbadge.errors import ProgramError
from mcbadge.issuing._build import achievement_json

ROLES = ("educator", "assessor", "coordinator", "issuer")
"""Who takes which steps: educators submit and withdraw, assessors review, coordinators
assign and unlock, the issuer of record decides (the policy may name other deciders)."""


@dataclass(frozen=True, slots=True)
class Level:
    id: str
    name: str
    points: float


@dataclass(frozen=True, slots=True)
class Criterion:
    """One rubric criterion (an OB ``ResultDescription``): its levels, lowest first by
    points, and the level a badge needs."""

    id: str
    name: str
    levels: tuple[Level, ...]
    required: str

    def rank(self, level_id: str) -> int:
        for i, level in enumerate(self.levels):
            if level.id == level_id:
                return i
        raise ProgramError(f"{level_id!r} is not a level of criterion {self.name!r}",
                           "REVIEW_ERROR")

    def meets(self, level_id: str) -> bool:
        return self.rank(level_id) >= self.rank(self.required)

    def level(self, wanted: str) -> Level:
        for level in self.levels:
            if wanted in (level.id, level.name) or level.name.casefold() == wanted.casefold():
                return level
        raise ProgramError(f"{wanted!r} is not a level of criterion {self.name!r} "
                           f"({', '.join(lvl.name for lvl in self.levels)})", "REVIEW_ERROR")


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the submission: an overview, the artifacts' commentary, a reflection."""

    id: str
    title: str
    prompt: str = ""
    max_words: int | None = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class Policy:
    assessors: int = 2
    blind: bool = True
    max_attempts: int = 3
    deciders: tuple[str, ...] = ("issuer",)
    target_days: int = 30


@dataclass(frozen=True, slots=True)
class Program:
    """A program = an achievement with a rubric, a submission template, a policy."""

    achievement: dict[str, Any]
    sections: tuple[Section, ...]
    artifact_kinds: tuple[str, ...] = ()
    """Artifact kinds a submission must include (``lesson-plan``, ``video``, ...)."""
    policy: Policy = field(default_factory=Policy)
    source: dict[str, Any] | None = None
    """The assessing organisation (an OB Profile), written as ``credentialSubject.source``."""

    @property
    def id(self) -> str:
        return str(self.achievement["id"])

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return rubric_of(self.achievement)

    def criterion(self, wanted: str) -> Criterion:
        for criterion in self.criteria:
            if wanted in (criterion.id, criterion.name):
                return criterion
        raise ProgramError(f"{wanted!r} is not a criterion of {self.id}", "REVIEW_ERROR")

    def to_json(self) -> dict[str, Any]:
        return {"achievement": self.achievement,
                "sections": [asdict(s) for s in self.sections],
                "artifactKinds": list(self.artifact_kinds),
                "policy": {**asdict(self.policy), "deciders": list(self.policy.deciders)},
                "source": self.source}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Program:
        """A program from its JSON form (:meth:`to_json`; a file with ``from_file``)."""
        try:
            policy = Policy(**{**dict(data.get("policy") or {}),
                               "deciders": tuple((data.get("policy") or {}).get(
                                   "deciders", ("issuer",)))})
            return cls.create(
                data["achievement"], [Section(**s) for s in data.get("sections", [])],
                artifact_kinds=tuple(data.get("artifactKinds", ())), policy=policy,
                source=data.get("source"))
        except (KeyError, TypeError) as exc:
            raise ProgramError(f"not a program definition: {exc}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> Program:
        """A program from a JSON or YAML (``.yaml``/``.yml``) file of :meth:`to_json`'s
        shape."""
        source = Path(path)
        try:
            text = source.read_text("utf-8")
            if source.suffix.lower() in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        except (OSError, ValueError) as exc:
            raise ProgramError(f"cannot read {path}: {exc}") from None
        except Exception as exc:  # yaml.YAMLError and its kinds
            raise ProgramError(f"cannot read {path}: {exc}"[:300]) from None
        if not isinstance(data, Mapping):
            raise ProgramError(f"{path} does not hold a program definition (an object)")
        return cls.from_json(data)

    @classmethod
    def create(cls, achievement: Any, sections: Sequence[Section], *,
               artifact_kinds: Sequence[str] = (), policy: Policy | None = None,
               source: Mapping[str, Any] | None = None) -> Program:
        """Validate and make a program: the achievement must carry a rubric (every
        ``resultDescription`` with ordered ``rubricCriterionLevel``s and a
        ``requiredLevel``), the sections distinct ids, the policy sane."""
        data = achievement_json(achievement)
        program = cls(data, tuple(sections), tuple(artifact_kinds), policy or Policy(),
                      dict(source) if source else None)
        if not program.criteria:
            raise ProgramError("the achievement has no rubric (resultDescription with "
                               "rubricCriterionLevel)")
        ids = [s.id for s in program.sections]
        if len(set(ids)) != len(ids) or not ids:
            raise ProgramError("a program needs sections with distinct ids")
        p = program.policy
        if p.assessors < 1 or p.max_attempts < 1 or not p.deciders:
            raise ProgramError("the policy needs at least one assessor, one attempt and one "
                               "deciding role")
        unknown = set(p.deciders) - set(ROLES)
        if unknown:
            raise ProgramError(f"unknown deciding role(s) {sorted(unknown)}; roles: {ROLES}")
        return program


def rubric_of(achievement: Mapping[str, Any]) -> tuple[Criterion, ...]:
    """The rubric in an OB achievement: one :class:`Criterion` per ``resultDescription``
    with levels. Levels are ordered by their ``points``; without distinct points, by the
    order listed, lowest first."""
    out = []
    for described in achievement.get("resultDescription") or []:
        raw = described.get("rubricCriterionLevel") or []
        if not raw:
            continue
        levels = []
        for i, level in enumerate(raw):
            try:
                points = float(level.get("points")) if level.get("points") is not None else i
            except (TypeError, ValueError):
                points = float(i)
            levels.append(Level(str(level["id"]), str(level.get("name", level["id"])), points))
        if len({lvl.points for lvl in levels}) != len(levels):
            levels = [Level(lvl.id, lvl.name, float(i)) for i, lvl in enumerate(levels)]
        levels.sort(key=lambda lvl: lvl.points)
        required = described.get("requiredLevel")
        if required not in {lvl.id for lvl in levels}:
            raise ProgramError(f"criterion {described.get('name')!r} needs a requiredLevel "
                               "that is one of its levels")
        out.append(Criterion(str(described["id"]), str(described.get("name", "")),
                             tuple(levels), str(required)))
    return tuple(out)


def rubric(criteria: Mapping[str, Sequence[str]], *, required: str,
           base: str = "urn:mcbadge:rubric") -> list[dict[str, Any]]:
    """OB ``resultDescription``s for a rubric: criterion name -> level names, lowest first;
    every criterion requires ``required``. Ids are stable (derived from the names)."""
    import hashlib

    def stable(*parts: str) -> str:
        digest = hashlib.sha256("\x1f".join((base, *parts)).encode()).hexdigest()
        return (f"urn:uuid:{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-"
                f"{digest[20:32]}")

    out = []
    for name, levels in criteria.items():
        if required not in levels:
            raise ProgramError(f"criterion {name!r} has no level {required!r}")
        level_json = [{"id": stable(name, lvl), "type": ["RubricCriterionLevel"], "name": lvl,
                       "points": str(i + 1)} for i, lvl in enumerate(levels)]
        out.append({"id": stable(name), "type": ["ResultDescription"], "name": name,
                    "resultType": "RubricCriterionLevel",
                    "requiredLevel": stable(name, required),
                    "rubricCriterionLevel": level_json})
    return out
