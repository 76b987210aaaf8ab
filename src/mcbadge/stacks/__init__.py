"""Stacks and pathways: a stack achievement earned by holding its components.

```python
from mcbadge.stacks import Stack, Stacks

stack = Stack.create(
    {"id": "https://pd.district.example/stacks/crt", "name": "Culturally Responsive Teaching",
     "description": "Three micro-credentials together.", "achievementType": "Certificate",
     "criteria": {"narrative": "Earn all three component micro-credentials."}},
    ["https://pd.district.example/mc/community", "https://pd.district.example/mc/cross",
     "https://pd.district.example/mc/discipline"], rule="all")
stacks = Stacks(issuer)
stacks.define(stack)
stacks.award_due("ada@district.example")   # issues the stack badge once it is complete
```

Rules: ``all`` of the components, ``n`` of them, or all ``ordered`` (earned in the order
listed). Components are achievement ids: this issuer's credentials count, and another
issuer's badges count when they verify (``mcbadge.verify``, recipient checked) and their
issuer is in the stack's ``trusted_issuers``. The structure is modelled as CLR 2.0 does:
each component ``isChildOf`` the stack (:meth:`Stacks.associations`), not with OB's
``related`` (which is for language editions and versions).

A stack badge is issued exactly once per recipient (its idempotency key is the stack and the
recipient), with ``evidence`` naming the component credentials; the ledger records which
credentials satisfied it. A revoked component is never ignored silently:
:meth:`Stacks.flagged` lists the stack badges it supported, :meth:`Stacks.revoke_component`
revokes and reports (and, with ``cascade``, revokes those stack badges too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcbadge._private.store import UsesSideTables, side_tables
from mcbadge.errors import ProgramError
from mcbadge.issuing import Issuer
from mcbadge.issuing._build import Recipient, achievement_json
from mcbadge.issuing._ledger import utc_now

__all__ = ["RULES", "Progress", "Stack", "Stacks"]

RULES = ("all", "n", "ordered")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stack_definitions (
    id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stack_awards (
    stack_id TEXT NOT NULL REFERENCES stack_definitions (id), recipient TEXT NOT NULL,
    credential_id TEXT NOT NULL, components TEXT NOT NULL, at TEXT NOT NULL,
    PRIMARY KEY (stack_id, recipient));
"""


@dataclass(frozen=True, slots=True)
class Stack:
    achievement: dict[str, Any]
    components: tuple[str, ...]
    rule: str = "all"
    n: int | None = None
    trusted_issuers: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return str(self.achievement["id"])

    @classmethod
    def create(cls, achievement: Any, components: Sequence[str], *, rule: str = "all",
               n: int | None = None, trusted_issuers: Sequence[str] = ()) -> Stack:
        data = achievement_json(achievement)
        parts = tuple(components)
        if len(parts) < 2 or len(set(parts)) != len(parts):
            raise ProgramError("a stack needs two or more distinct component achievements")
        if data["id"] in parts:
            raise ProgramError("a stack cannot be its own component")
        if rule not in RULES:
            raise ProgramError(f"rule is one of {', '.join(RULES)}")
        if rule == "n" and not (n is not None and 1 <= n <= len(parts)):
            raise ProgramError(f"rule n needs 1 <= n <= {len(parts)}")
        return cls(data, parts, rule, n if rule == "n" else None, tuple(trusted_issuers))

    def to_json(self) -> dict[str, Any]:
        return {"achievement": self.achievement, "components": list(self.components),
                "rule": self.rule, "n": self.n, "trustedIssuers": list(self.trusted_issuers)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stack:
        try:
            return cls.create(data["achievement"], data["components"],
                              rule=data.get("rule", "all"), n=data.get("n"),
                              trusted_issuers=data.get("trustedIssuers", ()))
        except (KeyError, TypeError) as exc:
            raise ProgramError(f"not a stack definition: {exc}") from None


@dataclass(frozen=True, slots=True)
class Progress:
    stack: str
    name: str
    held: dict[str, str] = field(default_factory=dict)
    """component achievement id -> the credential that satisfies it."""
    missing: list[str] = field(default_factory=list)
    complete: bool = False
    awarded: str | None = None


class Stacks(UsesSideTables):
    """The stacks of one issuer workspace (tables ``stack_*`` in its ledger file)."""

    def __init__(self, issuer: Issuer, *, timeout: float = 60.0) -> None:
        self.issuer = issuer
        self._tables = side_tables(issuer, _SCHEMA, timeout=timeout)

    def define(self, stack: Stack) -> Stack:
        text = json.dumps(stack.to_json(), sort_keys=True)
        with self._tx() as db:
            row = db.execute("SELECT definition FROM stack_definitions WHERE id = ?",
                             (stack.id,)).fetchone()
            if row is None:
                db.execute("INSERT INTO stack_definitions VALUES (?, ?, ?)",
                           (stack.id, text, utc_now()))
            elif row[0] != text:
                raise ProgramError(f"stack {stack.id} is already defined differently")
        return stack

    def stacks(self) -> list[Stack]:
        return [Stack.from_json(json.loads(r[0])) for r in
                self._db().execute("SELECT definition FROM stack_definitions ORDER BY id")]

    def stack(self, stack_id: str) -> Stack:
        for stack in self.stacks():
            if stack.id == stack_id:
                return stack
        raise ProgramError(f"no stack {stack_id!r}", "NOT_FOUND")

    def associations(self) -> list[dict[str, Any]]:
        """The structure as CLR 2.0 associations: each component ``isChildOf`` its stack;
        in an ordered stack each component ``precedes`` the next."""
        out = []
        for stack in self.stacks():
            out += [{"associationType": "isChildOf", "sourceId": c, "targetId": stack.id}
                    for c in stack.components]
            if stack.rule == "ordered":
                out += [{"associationType": "precedes", "sourceId": a, "targetId": b}
                        for a, b in zip(stack.components, stack.components[1:], strict=False)]
        return out

    # -- who holds what --------------------------------------------------------------

    def _own(self, recipient: str) -> dict[str, tuple[str, str]]:
        """achievement id -> (credential id, issued at) of the recipient's earliest
        unrevoked credential of it from this issuer."""
        out: dict[str, tuple[str, str]] = {}
        for record in self.issuer.ledger.records_of(recipient):
            if record.revoked:
                continue
            when = record.issued_at or ""
            known = out.get(record.achievement_id)
            if known is None or when < known[1]:
                out[record.achievement_id] = (record.id, when)
        return out

    def _external(self, stack: Stack, recipient: str, badges: Sequence[Any],
                  fetcher: Any) -> dict[str, tuple[str, str]]:
        import mcbadge

        out: dict[str, tuple[str, str]] = {}
        for badge in badges:
            result = mcbadge.verify(badge, recipient=recipient, fetcher=fetcher)
            doc = result.document or {}
            issuer = doc.get("issuer")
            issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
            subject = doc.get("credentialSubject")
            achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
            aid = achievement.get("id") if isinstance(achievement, Mapping) else None
            if (result.verified and issuer_id in stack.trusted_issuers
                    and aid in stack.components and isinstance(doc.get("id"), str)):
                when = str(doc.get("awardedDate") or doc.get("validFrom") or "")
                out.setdefault(str(aid), (doc["id"], when))
        return out

    def progress(self, recipient: str, *, external: Sequence[Any] = (),
                 fetcher: Any = None) -> list[Progress]:
        """Each stack: the components the recipient holds (and by which credential), the
        ones missing, whether the rule is met, and the stack badge if awarded."""
        who = Recipient.parse(recipient).value
        own = self._own(who)
        awarded = dict(self._db().execute(
            "SELECT stack_id, credential_id FROM stack_awards WHERE recipient = ?", (who,)))
        out = []
        for stack in self.stacks():
            held = {**self._external(stack, recipient, external, fetcher),
                    **{a: v for a, v in own.items() if a in stack.components}}
            missing = [c for c in stack.components if c not in held]
            if stack.rule == "all":
                complete = not missing
            elif stack.rule == "n":
                complete = len(held) >= (stack.n or len(stack.components))
            else:
                times = [held[c][1] for c in stack.components if c in held]
                complete = not missing and times == sorted(times)
            out.append(Progress(stack.id, str(stack.achievement.get("name", "")),
                                {a: v[0] for a, v in held.items()}, missing, complete,
                                awarded.get(stack.id)))
        return out

    def award_due(self, recipient: str, *, external: Sequence[Any] = (),
                  fetcher: Any = None) -> list[dict[str, Any]]:
        """Issue every stack badge the recipient has completed and not yet received;
        exactly once (a run cut short and run again finds the badge it issued)."""
        who = Recipient.parse(recipient).value
        issued = []
        for progress in self.progress(recipient, external=external, fetcher=fetcher):
            if not progress.complete or progress.awarded:
                continue
            stack = self.stack(progress.stack)
            evidence = [{"type": ["Evidence"], "id": cid, "genre": "component credential",
                         "name": f"component {aid}"} for aid, cid in progress.held.items()]
            badge = self.issuer.issue(stack.achievement, recipient, evidence=evidence,
                                      idempotency_key=f"stack:{stack.id}:{who}")
            with self._tx() as db:
                db.execute("INSERT INTO stack_awards VALUES (?, ?, ?, ?, ?) "
                           "ON CONFLICT DO NOTHING",
                           (stack.id, who, badge["id"], json.dumps(progress.held),
                            utc_now()))
            issued.append(dict(badge))
        return issued

    # -- revocation --------------------------------------------------------------------

    def flagged(self) -> list[dict[str, Any]]:
        """Stack badges one of whose supporting credentials is revoked (and which are not
        revoked themselves): a report for a person to decide on."""
        out = []
        rows = self._db().execute("SELECT stack_id, recipient, credential_id, components FROM "
                                  "stack_awards").fetchall()
        for stack_id, recipient, credential_id, components in rows:
            own = self.issuer.record(credential_id)
            if own is not None and own.revoked:
                continue
            revoked = []
            for component, cid in json.loads(components).items():
                record = self.issuer.record(cid)
                if record is not None and record.revoked:
                    revoked.append({"component": component, "credential": cid})
            if revoked:
                out.append({"stack": stack_id, "recipient": recipient,
                            "credential": credential_id, "revoked_components": revoked})
        return out

    def revoke_component(self, credential_id: str, reason: str, *, cascade: bool = False,
                         actor: str | None = None) -> list[dict[str, Any]]:
        """Revoke a component credential and report the stack badges it supported; with
        ``cascade``, revoke them too (recorded with the same reason)."""
        self.issuer.revoke(credential_id, reason, actor=actor)
        affected = [f for f in self.flagged()
                    if any(r["credential"] == credential_id for r in f["revoked_components"])]
        if cascade:
            for item in affected:
                self.issuer.revoke(item["credential"], f"a component was revoked: {reason}",
                                   actor=actor)
        return affected
