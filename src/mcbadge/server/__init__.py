"""A VC-API service (https://w3c-ccg.github.io/vc-api/): ``mcbadge serve``.

This first slice answers ``POST /credentials/verify``; issuing, presentations and status
changes come next. Needs the ``server`` extra (``pip install 'mcbadge[server]'``: FastAPI and
uvicorn)::

    from mcbadge.server import create_app
    app = create_app()                      # serve it with any ASGI server (uvicorn)

The verify answer follows the VC-API shape, ``{"checks": [...], "warnings": [...],
"errors": [...]}`` (200 when verified, 400 when not), with mcbadge's full report under
``"result"`` (:meth:`~mcbadge.verification.VerificationResult.to_json`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcbadge._private.jsonutil import loads_strict
from mcbadge.errors import MCBadgeError
from mcbadge.resolve import Fetcher
from mcbadge.verification import VerificationResult, verify
from mcbadge.verification._source import DEFAULT_MAX_CONTAINERS

__all__ = ["MAX_BODY_BYTES", "create_app", "verify_response"]

MAX_BODY_BYTES = 2 * 1024 * 1024
"""Largest request body read (a credential is capped at 2 MiB by ``verify`` too)."""


class ServerUnavailableError(MCBadgeError):
    """The ``server`` extra (FastAPI) is not installed."""

    code = "SERVER_UNAVAILABLE"


def verify_response(result: VerificationResult) -> tuple[int, dict[str, Any]]:
    """(HTTP status, VC-API body) for a verification result."""
    body = {
        "checks": [c.id for c in result.checks if c.outcome == "passed"],
        "warnings": [{"check": c.id, "problem": c.problem, "message": c.message}
                     for c in result.checks if c.outcome == "warning"],
        "errors": [{"check": c.id, "problem": c.problem, "message": c.message}
                   for c in result.checks if c.outcome == "failed"],
        "result": result.to_json(),
    }
    return (200 if result.verified else 400), body


def _problem(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"checks": [], "warnings": [],
                    "errors": [{"check": "request", "problem": "MALFORMED_REQUEST",
                                "message": message}]}


def create_app(*, fetcher: Fetcher | None = None,
               clock: Callable[[], datetime] | None = None) -> Any:
    """The ASGI app. ``fetcher`` resolves keys and status lists (default: a :class:`Fetcher`
    with the safe defaults: https only, no private addresses, bounded); ``clock`` gives the
    time validity is judged at (default: now)."""
    try:
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route
    except ImportError:
        raise ServerUnavailableError(
            "mcbadge serve needs FastAPI and uvicorn: pip install 'mcbadge[server]'") from None
    client = fetcher or Fetcher()

    async def _body(request: Request) -> Any:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise ValueError(f"the request is larger than {MAX_BODY_BYTES} bytes")
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_BODY_BYTES:
                raise ValueError(f"the request is larger than {MAX_BODY_BYTES} bytes")
        try:
            return loads_strict(bytes(data), max_containers=DEFAULT_MAX_CONTAINERS)
        except MCBadgeError as exc:
            raise LookupError(f"the request body is not JSON: {exc.message}") from None

    async def credentials_verify(request: Request) -> JSONResponse:
        try:
            body = await _body(request)
        except ValueError as exc:
            status, out = _problem(413, str(exc))
            return JSONResponse(out, status)
        except LookupError as exc:
            status, out = _problem(400, str(exc))
            return JSONResponse(out, status)
        credential = body.get("verifiableCredential") if isinstance(body, dict) else None
        if not isinstance(credential, dict | str):
            status, out = _problem(400, "the body must be a JSON object with a "
                                   "verifiableCredential (an object, or a VC-JWT string)")
            return JSONResponse(out, status)
        now = clock() if clock is not None else None
        result = await run_in_threadpool(verify, credential, now=now, fetcher=client)
        status, out = verify_response(result)
        return JSONResponse(out, status)

    return Starlette(routes=[Route("/credentials/verify", credentials_verify, methods=["POST"])])
