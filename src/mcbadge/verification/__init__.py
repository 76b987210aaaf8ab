"""Verification: one call that says whether a shared badge holds, and exactly why.

```python
import mcbadge
from pathlib import Path

result = mcbadge.verify(Path("badge.png"))     # a Path, dict, JSON text, JWT, PNG/SVG bytes
print(result.verified)                         # True only if no check failed
for check in result.checks:                    # parse, context, valid_signature, ...
    print(check.id, check.outcome, check.problem, check.message)
result = mcbadge.verify_url("https://issuer.example/badges/1")   # fetched, then verified
answer = verify_presentation(vp, challenge="c-123", domain="verifier.example")
```

Checks run in the order of :data:`CHECK_IDS` (declared once, in
:mod:`mcbadge.verification.checks`). Before the signature only cheap, bounded work runs
(reading within the size and nesting caps; the contexts and the plain-form rule); a failed
``valid_signature`` marks everything after it ``skipped`` and nothing more is fetched. Every
check after ``signed_view`` reads a document proven to say exactly what its proof signs.
Problem codes are listed in :data:`PROBLEMS`; policies live in
:mod:`mcbadge.verification.policy`. Nothing is ever fetched for JSON-LD contexts; keys,
issuer profiles, status lists and declared schemas are fetched through the guarded
:class:`~mcbadge.resolve.Fetcher` (pass ``Fetcher(documents={...}, offline=True)`` to verify
fully offline).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from mcbadge.errors import FetchError
from mcbadge.jsonld import DocumentLoader, default_document_loader
from mcbadge.jsonld._canon import remembering_expansions
from mcbadge.resolve import Fetcher, KeyDirectory, fetch_deadline
from mcbadge.verification._pipeline import verify_in_run
from mcbadge.verification._presentation import PresentationResult, verify_presentation
from mcbadge.verification._result import PROBLEMS, Check, Outcome, VerificationResult
from mcbadge.verification._source import (
    ACCEPT,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CONTAINERS,
    DEFAULT_MAX_DEPTH,
    Limits,
    Source,
)
from mcbadge.verification._state import Run
from mcbadge.verification.checks import CHECKS
from mcbadge.verification.policy import Policy, Settings

__all__ = [
    "CHECK_IDS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CONTAINERS",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_TIMEOUT",
    "PROBLEMS",
    "Check",
    "Outcome",
    "PresentationResult",
    "Source",
    "VerificationResult",
    "verify",
    "verify_presentation",
    "verify_url",
]

CHECK_IDS: tuple[str, ...] = tuple(check.id for check in CHECKS)
"""Every check id, in the order checks run and are reported. ``recipient`` appears only
with ``recipient=``, ``policy`` only with a policy."""

DEFAULT_TIMEOUT = 30.0
"""Seconds one :func:`verify` may spend fetching, in all (each fetch has its own bound too)."""


def verify(
    source: Source,
    *,
    now: datetime | None = None,
    policy: Policy | None = None,
    fetcher: Fetcher | None = None,
    loader: DocumentLoader | None = None,
    recipient: str | None = None,
    recipient_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_containers: int = DEFAULT_MAX_CONTAINERS,
    timeout: float = DEFAULT_TIMEOUT,
) -> VerificationResult:
    """Verify a credential and report every check. Never raises on bad input.

    ``source``: a dict, JSON text or bytes, a compact VC-JWT, PNG or SVG bytes, or a
    :class:`pathlib.Path` (a ``str`` is always content, never a file name or URL: use
    :func:`verify_url` to fetch). ``now`` (default: the current time; a naive datetime is
    taken as UTC) is when validity is judged. ``policy`` adds requirements (see
    :mod:`mcbadge.verification.policy`). ``fetcher`` is the HTTP client (default: a new
    :class:`~mcbadge.resolve.Fetcher` with the safe defaults). ``loader`` holds the JSON-LD
    contexts (default: the bundled set). ``recipient`` (an email address, DID or other
    identifier; ``recipient_type`` such as ``emailAddress``) adds the ``recipient`` check: a
    badge awarded to someone else is not verified. ``max_bytes``, ``max_depth`` and
    ``max_containers`` (JSON objects and arrays) cap what is read; ``timeout`` bounds, in
    seconds, all the fetching one call may do.
    """
    when = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    settings = policy.settings() if policy is not None else Settings()
    own = fetcher is None
    client = fetcher if fetcher is not None else Fetcher()
    deadline = time.monotonic() + timeout
    try:
        run = Run(when, settings, client, loader or default_document_loader(),
                  KeyDirectory(client), policy, deadline=deadline,
                  limits=Limits(max_bytes, max_depth, max_containers),
                  recipient=(recipient, recipient_type) if recipient is not None else None)
        with remembering_expansions(), fetch_deadline(deadline):
            return verify_in_run(source, run)
    finally:
        if own:
            client.close()


def verify_url(url: str, *, fetcher: Fetcher | None = None, **options: object
               ) -> VerificationResult:
    """Fetch ``url`` (https, through the guarded :class:`~mcbadge.resolve.Fetcher`) and
    :func:`verify` what it serves (JSON, a JWT, a baked PNG or SVG). A fetch that fails is
    a failed ``parse`` check, like any unreadable input. ``options`` are :func:`verify`'s."""
    own = fetcher is None
    client = fetcher if fetcher is not None else Fetcher()
    try:
        try:
            body = client.get_bytes(url, accept=ACCEPT)
        except FetchError as exc:
            return VerificationResult((Check("parse", "failed", exc.message, "PARSING_ERROR"),))
        return verify(body, fetcher=client, **options)  # type: ignore[arg-type]
    finally:
        if own:
            client.close()
