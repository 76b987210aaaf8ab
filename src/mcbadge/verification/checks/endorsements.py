"""``endorsements``: every embedded endorsement (``endorsement``/``endorsementJwt`` on any
node of the credential) verifies on its own, as a whole credential, and endorses the node
it is attached to (its ``credentialSubject.id`` is that node's ``id``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from mcbadge.jsonld._plain import Trail, _path, _ptr
from mcbadge.verification._result import Check, VerificationResult
from mcbadge.verification._state import Run, State, types_of
from mcbadge.verification.checks._base import VerifierCheck

MAX_ENDORSEMENTS = 32
MAX_NESTING = 2
_SKIP = frozenset({"proof", "@context", "endorsement", "endorsementJwt"})
_KEYS = ("endorsement", "endorsementJwt")


def embedded_endorsements(doc: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(path, endorsement, id of the node it is attached to) for every endorsement on any
    node of ``doc``. Credentials embedded in it (an endorsement, a CLR's achievements) carry
    their own ``@context`` and are verified as documents of their own, with theirs."""
    # (node, its trail: (parent trail, step), or None at the root); a path is spelled out
    # only for what is found
    stack: list[tuple[Any, Trail]] = [(doc, None)]
    while stack:
        node, trail = stack.pop()
        if type(node) is list:
            stack.extend((item, (trail, i)) for i, item in enumerate(node)
                         if isinstance(item, list | Mapping))
            continue
        if not isinstance(node, Mapping) or (trail is not None and "@context" in node):
            continue
        for key in _KEYS:
            value = node.get(key)
            if value is None:
                continue
            path = _ptr(_path(trail), key)
            if isinstance(value, list):
                for j, item in enumerate(value):
                    yield _ptr(path, j), item, node.get("id")
            else:
                yield path, value, node.get("id")
        stack.extend((v, (trail, k)) for k, v in reversed(list(node.items()))
                     if k not in _SKIP and isinstance(v, list | Mapping))


def _subject_ids(result: VerificationResult) -> list[Any]:
    doc = result.document or {}
    subjects = doc.get("credentialSubject")
    items = subjects if isinstance(subjects, list) else [subjects]
    return [s.get("id") for s in items if isinstance(s, Mapping)]


class EndorsementsCheck(VerifierCheck):
    id = "endorsements"
    phase = "after_signature"
    problems = frozenset({"ENDORSEMENT_INVALID"})

    def run(self, state: State) -> Check:
        from mcbadge.verification._pipeline import verify_in_run

        shape = state.shape
        # the document's shape (all of it but its proof, which the walk skips) says whether
        # any JSON object in it has either member: without one, nothing to walk for
        found = [] if shape is not None and not shape.endorsed else \
            list(embedded_endorsements(state.document))
        run = state.run
        if not found:
            return self.passed("no embedded endorsements")
        if run.depth >= MAX_NESTING:
            return self.failed(f"{len(found)} endorsement(s) nested deeper than {MAX_NESTING} "
                               "levels; not verified", "ENDORSEMENT_INVALID")
        if len(found) > MAX_ENDORSEMENTS:
            return self.failed(f"{len(found)} embedded endorsements; at most "
                               f"{MAX_ENDORSEMENTS} are checked", "ENDORSEMENT_INVALID")
        # an endorser is a third party: the credential's own policy does not apply to it;
        # keys, suites and leniency do
        child = Run(run.now, run.settings, run.fetcher, run.loader, run.keys, None,
                    run.depth + 1, run.fetched_schemas, run.deadline, run.limits)
        results = []
        bad: list[str] = []
        for where, item, target in found:
            result = verify_in_run(item, child)
            extra: list[Check] = []
            doc = result.document
            if doc is not None and "EndorsementCredential" not in types_of(doc):
                extra.append(Check("schema", "failed", "not an EndorsementCredential",
                                   "SCHEMA_VALIDATION_FAILED"))
            elif doc is not None and target not in _subject_ids(result):
                extra.append(Check("endorsed_node", "failed",
                                   f"it endorses {_subject_ids(result)[:1]!r:.80}, not the node "
                                   f"it is attached to ({target!r:.80})",
                                   "ENDORSEMENT_INVALID"))
            if extra:
                result = replace(result, checks=(*result.checks, *extra))
            results.append(result)
            if not result.verified:
                first = next(c for c in result.checks if c.outcome == "failed")
                bad.append(f"{where}: {first.id}: {first.message}")
        paths = [w for w, _, _ in found]
        if bad:
            return Check(self.id, "failed",
                         f"{len(bad)} of {len(found)} endorsement(s) failed; {bad[0]}",
                         "ENDORSEMENT_INVALID", {"paths": paths}, tuple(results))
        return Check(self.id, "passed", f"{len(found)} endorsement(s) verified",
                     None, {"paths": paths}, tuple(results))
