"""What one verification shares (:class:`Run`) and what the checks of one document read
(:class:`State`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mcbadge.errors import FetchError
from mcbadge.jsonld import DocumentLoader
from mcbadge.jsonld._canon import remember_shape, shape_in_run
from mcbadge.jsonld._templates import Shape, with_member
from mcbadge.models import AnyCredential
from mcbadge.resolve import Fetcher, KeyDirectory, ResolvedKey


def _default_limits() -> Limits:
    from mcbadge.verification._source import Limits

    return Limits()


if TYPE_CHECKING:
    from mcbadge.jsonld._canon import Expansion
    from mcbadge.proofs import JwtResult
    from mcbadge.verification._source import Limits, Read
    from mcbadge.verification.policy import Policy, Settings


@dataclass
class Run:
    """Everything one verification (and its nested endorsements) shares."""

    now: datetime
    settings: Settings
    fetcher: Fetcher
    loader: DocumentLoader
    keys: KeyDirectory
    policy: Policy | None = None
    depth: int = 0
    fetched_schemas: dict[str, Any] = field(default_factory=dict)
    deadline: float | None = None
    """``time.monotonic()`` after which nothing more is fetched (the per-verify budget)."""
    limits: Limits = field(default_factory=lambda: _default_limits())
    recipient: tuple[str, str | None] | None = None
    """(value, identity type) the caller expects the badge to belong to."""

    def check_deadline(self, what: str) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise FetchError(f"the verification's time budget ran out before {what}")


@dataclass
class State:
    """One document under verification: what was read, and what the checks learn.

    ``document`` is what every check after ``signed_view`` reads: by then it has been proven
    to be the plain compacted form of the graph its proof signs (see
    :mod:`mcbadge.jsonld._plain`), so each member is exactly a signed statement.
    """

    source: object
    run: Run
    read: Read | None = None
    signers: list[ResolvedKey] = field(default_factory=list)
    jwt: JwtResult | None = None
    expansion: Expansion | None = None
    shape: Any = None
    """The shape (``jsonld/_templates.Shape``) of the document without its proof, once
    ``signed_view`` has it: every member name of the document is in its key."""
    full_shape: Any = False
    """The shape of the whole document, proof included (:func:`full_shape`;
    False: not taken yet, None: none)."""
    credential: AnyCredential | None = None
    suites: list[str] = field(default_factory=list)
    """The proof suites (or ``jwt``) that verified."""

    @property
    def document(self) -> dict[str, Any]:
        if self.read is None:
            raise RuntimeError("the document has not been read")  # the runner prevents it
        return self.read.document

    @property
    def shapes_read(self) -> tuple[Shape, Shape | None] | None:
        return self.read.shapes if self.read is not None else None

    @property
    def unsecured(self) -> dict[str, Any]:
        return {k: v for k, v in self.document.items() if k != "proof"}


def full_shape(state: State) -> Shape | None:
    """The document's shape, proof included (taken once per run, from the shape of the
    document without its proof, which the signed view reads; None: no shape)."""
    if state.full_shape is False:
        doc = state.document
        shape = None
        read = state.shapes_read
        if read is not None and read[1] is not None:
            shape = read[0]
            remember_shape(state.unsecured, read[1])
        elif "proof" not in doc or next(reversed(doc)) == "proof":
            bare = shape_in_run(state.unsecured)
            if isinstance(bare, Shape):
                shape = bare if "proof" not in doc else with_member(bare, "proof", doc["proof"])
        state.full_shape = shape
    return state.full_shape if isinstance(state.full_shape, Shape) else None


def types_of(doc: Mapping[str, Any]) -> list[Any]:
    kind = doc.get("type")
    return [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []


def kind_of(doc: Mapping[str, Any]) -> str | None:
    """``ob``, ``endorsement``, ``clr`` or None."""
    types = types_of(doc)
    if "ClrCredential" in types:
        return "clr"
    if "EndorsementCredential" in types:
        return "endorsement"
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        return "ob"
    return None


def issuer_id(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) and value else None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]
