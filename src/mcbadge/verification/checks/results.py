"""``results``: each ``credentialSubject.result`` that names a ``resultDescription`` names
one of the badge's achievement, and its ``achievedLevel`` is a level of that description's
rubric that meets its ``requiredLevel`` (a badge below the bar is not the badge).

Rubric levels are ordered by their ``points`` when every level has distinct numeric points;
the OB 3.0 data model gives levels no other order (its own example lists the highest first,
with equal points), so without such points a level other than the required one cannot be
judged: that is a warning, not a pass or a failure."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from mcbadge.verification._result import Check
from mcbadge.verification._state import State, as_list, kind_of
from mcbadge.verification.checks._base import VerifierCheck

MAX_RESULTS = 256


def _points(levels: list[Mapping[str, Any]]) -> dict[str, Decimal] | None:
    """Level id -> points, when every level has distinct numeric points."""
    out: dict[str, Decimal] = {}
    for level in levels:
        try:
            value = Decimal(str(level.get("points")))
        except (InvalidOperation, ValueError):
            return None
        if not value.is_finite() or not isinstance(level.get("id"), str):
            return None
        out[level["id"]] = value
    return out if len(set(out.values())) == len(levels) else None


def judge(result: Mapping[str, Any], descriptions: Mapping[str, Mapping[str, Any]]
          ) -> tuple[str, str]:
    """(outcome, message) for one result: ``passed``, ``failed`` or ``warning``."""
    described = result.get("resultDescription")
    if not isinstance(described, str):
        return "passed", "names no resultDescription"
    description = descriptions.get(described)
    if description is None:
        return "failed", (f"names resultDescription {described!r:.120}, which the achievement "
                          "does not describe")
    title = description.get("name") or described
    levels = [lvl for lvl in as_list(description.get("rubricCriterionLevel"))
              if isinstance(lvl, Mapping)]
    achieved = result.get("achievedLevel")
    if achieved is None:
        if description.get("requiredLevel") is not None:
            return "failed", f"{title!r:.80} requires a level; the result names none"
        return "passed", f"{title!r:.80}: no level required"
    by_id = {lvl.get("id"): lvl for lvl in levels}
    if achieved not in by_id:
        return "failed", (f"achievedLevel {achieved!r:.120} is not a level of {title!r:.80}")
    name = by_id[achieved].get("name") or achieved
    required = description.get("requiredLevel")
    if required is None or required == achieved:
        return "passed", f"{title!r:.80}: {name!r:.80}"
    if required not in by_id:
        return "failed", f"{title!r:.80} requires level {required!r:.120}, which it does not list"
    points = _points(levels)
    bar = by_id[required].get("name") or required
    if points is None:
        return "warning", (f"{title!r:.80}: cannot tell whether {name!r:.80} meets the required "
                           f"{bar!r:.80} (the levels carry no distinct points to order them)")
    if points[achieved] < points[required]:
        return "failed", f"{title!r:.80}: {name!r:.80} is below the required {bar!r:.80}"
    return "passed", f"{title!r:.80}: {name!r:.80} meets the required {bar!r:.80}"


class ResultsCheck(VerifierCheck):
    id = "results"
    phase = "after_signature"
    problems = frozenset({"RESULT_INVALID"})

    def applies(self, state: State) -> bool:
        """Open Badges credentials (and, skipped, any input that could not be read)."""
        return state.read is None or kind_of(state.document) == "ob"

    def run(self, state: State) -> Check:
        subject = state.document.get("credentialSubject")
        subjects = [s for s in as_list(subject) if isinstance(s, Mapping)]
        rows: list[dict[str, Any]] = []
        for subj in subjects:
            achievement = subj.get("achievement")
            descriptions = {d["id"]: d for d in as_list(
                achievement.get("resultDescription") if isinstance(achievement, Mapping)
                else None) if isinstance(d, Mapping) and isinstance(d.get("id"), str)}
            results = [r for r in as_list(subj.get("result")) if isinstance(r, Mapping)]
            if len(results) > MAX_RESULTS:
                return self.failed(f"{len(results)} results; at most {MAX_RESULTS} are checked",
                                   "RESULT_INVALID")
            for result in results:
                outcome, message = judge(result, descriptions)
                rows.append({"resultDescription": result.get("resultDescription"),
                             "achievedLevel": result.get("achievedLevel"),
                             "outcome": outcome, "message": message})
        failed = [r for r in rows if r["outcome"] == "failed"]
        if failed:
            return self.failed(f"{len(failed)} of {len(rows)} result(s) do not hold: "
                               f"{failed[0]['message']}", "RESULT_INVALID", results=rows)
        warned = [r for r in rows if r["outcome"] == "warning"]
        if warned:
            return self.warning(warned[0]["message"], "RESULT_INVALID", results=rows)
        if not rows:
            return self.passed("no results")
        return self.passed(f"{len(rows)} result(s) match the achievement's rubric",
                           results=rows)
