"""Running the checks of :data:`mcbadge.verification.checks.CHECKS` over one document, each
guarded so that no input can make :func:`mcbadge.verify` raise."""

from __future__ import annotations

import logging
from contextvars import Token

from mcbadge._private.jsonutil import MAX_CONTAINERS, MAX_DEPTH, TRUSTED
from mcbadge.errors import MCBadgeError
from mcbadge.verification._result import PROBLEMS, Check, VerificationResult
from mcbadge.verification._state import Run, State
from mcbadge.verification.checks import CHECKS, VerifierCheck

logger = logging.getLogger("mcbadge.verification")


def _guarded(check: VerifierCheck, state: State) -> Check:
    try:
        return check.run(state)
    except RecursionError:
        return Check(check.id, "failed", "the document is nested too deeply to check",
                     "VERIFICATION_ERROR")
    except MCBadgeError as exc:  # a code outside the documented set says only "could not run"
        code = exc.code if exc.code in PROBLEMS else "VERIFICATION_ERROR"
        return Check(check.id, "failed", exc.message, code)
    except Exception as exc:  # a bug: reported, never raised to the caller
        logger.exception("check %s raised on untrusted input", check.id)
        return Check(check.id, "failed",
                     f"internal error in check {check.id}: {type(exc).__name__}: {exc}"[:300],
                     "INTERNAL_ERROR")


def verify_in_run(source: object, run: Run) -> VerificationResult:
    """Every check, in order, over ``source`` within ``run``."""
    state = State(source, run)
    checks: list[Check] = []
    trusted: list[Token[object]] = []
    try:
        _run_checks(state, checks, trusted)
    finally:
        for token in reversed(trusted):
            TRUSTED.reset(token)
    document = state.read.document if state.read is not None else None
    fmt = state.read.format if state.read is not None else None
    return VerificationResult(tuple(checks), state.credential, document, fmt)


def _trust(state: State, trusted: list[Token[object]]) -> None:
    """After the input is read (its depth, size and containers checked within the run's
    limits): when those limits are as strict as the library's defaults, later checks of
    that same document object need not walk it again."""
    limits = state.run.limits
    if (not trusted and state.read is not None and limits.max_depth <= MAX_DEPTH
            and limits.max_containers <= MAX_CONTAINERS):
        trusted.append(TRUSTED.set(state.read.document))


def _run_checks(state: State, checks: list[Check], trusted: list[Token[object]]) -> None:
    stopped: str | None = None
    for check in CHECKS:
        if stopped is None and not check.applies(state):
            continue
        if stopped is not None:
            if check.applies(state):
                checks.append(Check(check.id, "skipped", stopped))
            continue
        result = _guarded(check, state)
        checks.append(result)
        _trust(state, trusted)
        if result.outcome == "failed" and check.fatal:
            stopped = check.skip_message or f"not run: {check.id} failed"
