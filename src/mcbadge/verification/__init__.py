"""Verification: one call that says whether a shared badge holds, and exactly why.

```python
import mcbadge

result = mcbadge.verify("badge.png")          # a path, dict, JSON, JWT, PNG/SVG bytes, URL
print(result.verified)                         # True only if no check failed
for check in result.checks:                    # parse, context, schema, valid_signature, ...
    print(check.id, check.outcome, check.problem, check.message)
```

Checks run in the order of :data:`CHECK_IDS`. A failed ``valid_signature`` marks everything
after it ``skipped`` ("not run: signature invalid") and nothing more is fetched. Problem
codes are listed in :data:`PROBLEMS`. Policies live in :mod:`mcbadge.verification.policy`.
Nothing is ever fetched for JSON-LD contexts; keys, issuer profiles, status lists and declared
schemas are fetched through the guarded :class:`~mcbadge.resolve.Fetcher` (pass
``Fetcher(documents={...}, offline=True)`` to verify fully offline).
"""

from __future__ import annotations

from datetime import UTC, datetime

from mcbadge.jsonld import DocumentLoader, default_document_loader
from mcbadge.jsonld._canon import remembering_expansions
from mcbadge.resolve import Fetcher
from mcbadge.verification._engine import Run, verify_source
from mcbadge.verification._keys import KeyDirectory
from mcbadge.verification._result import (
    CHECK_IDS,
    PROBLEMS,
    Check,
    Outcome,
    VerificationResult,
)
from mcbadge.verification._source import Source
from mcbadge.verification.policy import Policy, Settings

__all__ = [
    "CHECK_IDS",
    "PROBLEMS",
    "Check",
    "Outcome",
    "Source",
    "VerificationResult",
    "verify",
]


def verify(
    source: Source,
    *,
    now: datetime | None = None,
    policy: Policy | None = None,
    fetcher: Fetcher | None = None,
    loader: DocumentLoader | None = None,
) -> VerificationResult:
    """Verify a credential and report every check. Never raises on bad input.

    ``source``: a dict, JSON text or bytes, a compact VC-JWT, PNG or SVG bytes, a path
    (``str`` or ``os.PathLike``), or an ``https://`` URL. ``now`` (default: the current
    time; a naive datetime is taken as UTC) is when validity is judged. ``policy`` adds
    requirements (see :mod:`mcbadge.verification.policy`). ``fetcher`` is the HTTP client
    (default: a new :class:`~mcbadge.resolve.Fetcher` with the safe defaults). ``loader``
    holds the JSON-LD contexts (default: the bundled set).
    """
    when = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    settings = policy.settings() if policy is not None else Settings()
    own = fetcher is None
    client = fetcher if fetcher is not None else Fetcher()
    try:
        run = Run(when, settings, client, loader or default_document_loader(), KeyDirectory(client))
        with remembering_expansions():
            return verify_source(source, run)
    finally:
        if own:
            client.close()
