"""A VC-API service (https://w3c-ccg.github.io/vc-api/): ``mcbadge serve``.

Needs the ``server`` extra (``pip install 'mcbadge[server]'``: Starlette via FastAPI, and
uvicorn)::

    from mcbadge.issuing import Issuer
from mcbadge.jsonld import DocumentLoader
    from mcbadge.server import create_app

    app = create_app(issuer=Issuer.open("pd-issuer"), token="s3cret")   # any ASGI server

| route | what |
| --- | --- |
| ``POST /credentials/issue`` | sign and record a credential (the workspace's suite) |
| ``POST /suites/{suite}/credentials/issue`` | the same, signed with ``suite`` |
| ``POST /credentials/status`` | revoke, suspend or reinstate an issued credential |
| ``POST /credentials/verify`` | verify a credential (any VC: ``AnyCredentialType``) |
| ``POST /presentations/verify`` | verify a presentation and each credential in it |
| ``GET <status list path>`` | the issuer's status lists, signed, at their URLs' paths |
| ``GET <DID document / profile / key path>`` | what binds the key to the issuer |
| ``GET``/``POST /verify`` | the verifier page: paste, upload or give a URL; see the badge |

Issue and status need ``Authorization: Bearer <token>`` (``token=``); only
``unsafe_no_auth=True`` (what ``mcbadge serve`` uses on a loopback address without a token)
turns that off. Verify routes are open. Answers follow the VC-API: issue is ``201
{"verifiableCredential": ...}``, or 400/422 with ``errors``; verify is 200 when verified,
400 when not, ``{"checks", "warnings", "errors"}`` with mcbadge's full report under
``"result"``. The verifier reads the issuer's own status lists and documents from the
workspace (no request to itself); everything else goes through the guarded fetcher.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mcbadge._private.jsonutil import loads_strict
from mcbadge.errors import IssuingError, LedgerError, MCBadgeError
from mcbadge.issuing import Issuer
from mcbadge.jsonld import DocumentLoader
from mcbadge.proofs import SUITES
from mcbadge.resolve import Fetcher
from mcbadge.verification import (
    PresentationResult,
    VerificationResult,
    verify,
    verify_presentation,
)
from mcbadge.verification._source import DEFAULT_MAX_CONTAINERS
from mcbadge.verification.policy import AnyCredentialType

__all__ = ["MAX_BODY_BYTES", "ServerConfigError", "create_app", "verify_response"]

MAX_BODY_BYTES = 2 * 1024 * 1024
"""Largest request body read (a credential is capped at 2 MiB by ``verify`` too)."""

_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_STATUS_WORDS = {"revoked": ("revocation", 1), "suspended": ("suspension", 1),
                 "active": ("suspension", 0), "unsuspended": ("suspension", 0)}


class ServerUnavailableError(MCBadgeError):
    """The ``server`` extra (FastAPI) is not installed."""

    code = "SERVER_UNAVAILABLE"


class ServerConfigError(MCBadgeError):
    """The service was asked to run in a way that is not safe (issuing without a token)."""

    code = "SERVER_CONFIG_ERROR"


logger = logging.getLogger("mcbadge.server")


def verify_response(result: VerificationResult | PresentationResult
                    ) -> tuple[int, dict[str, Any]]:
    """(HTTP status, VC-API body) for a verification result."""
    checks = list(result.checks)
    if isinstance(result, PresentationResult):
        for number, nested in enumerate(result.credentials):
            checks += [type(c)(f"credential[{number}].{c.id}", c.outcome, c.message, c.problem)
                       for c in nested.checks]
    errors = [{"check": c.id, "problem": c.problem, "message": c.message}
              for c in checks if c.outcome == "failed"]
    body: dict[str, Any] = {
        "verified": result.verified,
        "checks": [c.id for c in checks if c.outcome == "passed"],
        "warnings": [{"check": c.id, "problem": c.problem, "message": c.message}
                     for c in checks if c.outcome == "warning"],
        "errors": errors,
        "result": result.to_json(),
    }
    if not result.verified and errors:
        first = errors[0]
        logger.info("not verified: %s %s: %s", first["check"], first["problem"],
                    first["message"])
    return (200 if result.verified else 400), body


def _problem(status: int, message: str, problem: str = "MALFORMED_REQUEST",
             **extra: Any) -> tuple[int, dict[str, Any]]:
    return status, {"verified": False, "checks": [], "warnings": [],
                    "errors": [{"check": "request", "problem": problem, "message": message,
                                **extra}]}


class _OwnDocuments(Mapping[str, Any]):
    """The issuer's status lists and key documents, by URL, read from the workspace: the
    service's verifier answers its own lists from the ledger (current to the last change)
    instead of fetching itself. Signed lists are kept until a status in them changes."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self.static: dict[str, Any] = _key_documents(issuer)
        self._lists: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _list(self, url: str) -> dict[str, Any] | None:
        info = next((i for i in self.issuer.ledger.status_lists() if i.url == url), None)
        if info is None:
            return None
        with self._lock:
            hit = self._lists.get(url)
            if hit is not None and hit[0] == info.set_indexes:
                return hit[1]
        doc = self.issuer.status_list_credential(info)
        with self._lock:
            self._lists[url] = (info.set_indexes, doc)
        return doc

    def __getitem__(self, url: str) -> Any:
        if url in self.static:
            return self.static[url]
        if url.startswith(self.issuer.config["statusBaseUrl"] + "/"):
            doc = self._list(url)
            if doc is not None:
                return doc
        raise KeyError(url)

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        try:
            self[url]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.static) + [i.url for i in self.issuer.ledger.status_lists()])

    def __len__(self) -> int:
        return len(self.static) + len(self.issuer.ledger.status_lists())

    def by_path(self, path: str) -> Any | None:
        """The document served at ``path`` (a status list or a key document), if any."""
        for url, doc in self.static.items():
            if urlsplit(url).path == path:
                return doc
        base = self.issuer.config["statusBaseUrl"]
        if path.startswith(urlsplit(base).path.rstrip("/") + "/"):
            origin = base[: len(base) - len(urlsplit(base).path)]
            return self._list(origin + path)
        return None


def _key_documents(issuer: Issuer) -> dict[str, Any]:
    if issuer.id.startswith("did:web:"):
        return {issuer.did_web_url(): issuer.did_document()}
    if issuer.id.startswith("https://"):
        out = {issuer.id: issuer.profile_document()}
        key_url = issuer.key_document_url()
        if key_url is not None:
            out[key_url] = issuer.key_document()
        return out
    return {}


def create_app(*, issuer: Issuer | None = None, fetcher: Fetcher | None = None,
               clock: Callable[[], datetime] | None = None, token: str | None = None,
               unsafe_no_auth: bool = False, loader: DocumentLoader | None = None,
               deliveries: Any = None) -> Any:
    """The ASGI app.

    ``issuer``: the workspace that issues, records and publishes (without one, only the
    verify routes exist). ``token``: the bearer token issue and status require;
    ``unsafe_no_auth=True`` lets anyone who can reach the service issue as the issuer (for
    loopback tests only). ``fetcher`` resolves keys and status lists (default: a
    :class:`Fetcher` with the safe defaults, https only, no private addresses, bounded; the
    issuer's own lists and documents are answered from the workspace); ``clock`` gives the
    time validity is judged at (default: now); ``loader`` holds the JSON-LD contexts issuing
    and verifying use (default: the bundled set; ``DocumentLoader(extra_contexts=...)`` adds
    a domain's own); ``deliveries`` (a :class:`mcbadge.delivery.Deliveries`) adds the
    claim pages ``/claim/{token}``.
    """
    try:
        from starlette.applications import Starlette
        from starlette.concurrency import run_in_threadpool
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route
    except ImportError:
        raise ServerUnavailableError(
            "mcbadge serve needs FastAPI and uvicorn: pip install 'mcbadge[server]'") from None
    if issuer is not None and not token and not unsafe_no_auth:
        raise ServerConfigError("issuing needs a bearer token (token=...); only tests on "
                                "loopback may run without one (unsafe_no_auth=True)")
    own = _OwnDocuments(issuer) if issuer is not None else None
    base = fetcher or Fetcher()
    client = base
    if own is not None:
        client = Fetcher(documents=_Layered(own, base.documents),
                         allow_private=base.allow_private, allow_http=base.allow_http,
                         timeout=base.timeout, max_bytes=base.max_bytes,
                         offline=base.offline)
    verify_policy = AnyCredentialType()

    def reply(pair: tuple[int, dict[str, Any]]) -> JSONResponse:
        return JSONResponse(pair[1], pair[0])

    async def read_body(request: Request) -> Any:
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

    async def body_or_error(request: Request) -> tuple[Any, JSONResponse | None]:
        try:
            return await read_body(request), None
        except ValueError as exc:
            return None, reply(_problem(413, str(exc)))
        except LookupError as exc:
            return None, reply(_problem(400, str(exc)))

    def refused_auth(request: Request) -> JSONResponse | None:
        if unsafe_no_auth and not token:
            return None
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode(), (token or "").encode()):
            status, out = _problem(401, "issuing needs Authorization: Bearer <token>",
                                   "UNAUTHORIZED")
            return JSONResponse(out, status, headers={"WWW-Authenticate": "Bearer"})
        return None

    async def credentials_verify(request: Request) -> JSONResponse:
        body, error = await body_or_error(request)
        if error is not None:
            return error
        credential = body.get("verifiableCredential") if isinstance(body, dict) else None
        if not (isinstance(credential, dict) or (isinstance(credential, str)
                                                 and _COMPACT_JWS.fullmatch(credential))):
            return reply(_problem(400, "the body must be a JSON object with a "
                                  "verifiableCredential: an object, or a VC-JWT string"))
        now = clock() if clock is not None else None
        result = await run_in_threadpool(verify, credential, now=now, fetcher=client,
                                         policy=verify_policy, loader=loader)
        return reply(verify_response(result))

    async def presentations_verify(request: Request) -> JSONResponse:
        body, error = await body_or_error(request)
        if error is not None:
            return error
        vp = body.get("verifiablePresentation") if isinstance(body, dict) else None
        options = body.get("options") if isinstance(body, dict) else None
        options = options if isinstance(options, dict) else {}
        if not isinstance(vp, dict):
            return reply(_problem(400, "the body must be a JSON object with a "
                                  "verifiablePresentation object"))
        challenge, domain = options.get("challenge"), options.get("domain")
        if not isinstance(challenge, str | None) or not isinstance(domain, str | None):
            return reply(_problem(400, "options.challenge and options.domain are strings"))
        now = clock() if clock is not None else None
        result = await run_in_threadpool(verify_presentation, vp, challenge=challenge,
                                         domain=domain, now=now, fetcher=client,
                                         loader=loader)
        return reply(verify_response(result))

    async def credentials_issue(request: Request) -> JSONResponse:
        assert issuer is not None
        refused = refused_auth(request)
        if refused is not None:
            return refused
        suite = request.path_params.get("suite")
        if suite is not None and suite not in SUITES:
            return reply(_problem(404, f"unknown suite {suite!r}; known: {', '.join(SUITES)}",
                                  "UNKNOWN_SUITE"))
        body, error = await body_or_error(request)
        if error is not None:
            return error
        credential = body.get("credential") if isinstance(body, dict) else None
        options = body.get("options") if isinstance(body, dict) else None
        options = options if isinstance(options, dict) else {}
        if not isinstance(credential, dict):
            return reply(_problem(400, "the body must be a JSON object with a credential "
                                  "object"))
        status = _status_option(options.get("credentialStatus"))
        if isinstance(status, str):
            return reply(_problem(400, status))
        mandatory = options.get("mandatoryPointers")
        if mandatory is not None and not (isinstance(mandatory, list) and all(
                isinstance(p, str) for p in mandatory)):
            return reply(_problem(400, "options.mandatoryPointers is a list of JSON pointers"))
        try:
            signed = await run_in_threadpool(issuer.issue_credential, credential,
                                             suite=suite, status=status, loader=loader,
                                             mandatory=mandatory)
        except IssuingError as exc:
            logger.info("refused to issue: %s", exc.message)
            code = 409 if exc.code == "ID_CONFLICT" else 422
            return reply(_problem(code, exc.message, exc.code, pointers=list(exc.fields)))
        except MCBadgeError as exc:
            return reply(_problem(500, exc.message, exc.code))
        return JSONResponse({"verifiableCredential": dict(signed)}, 201)

    async def credentials_status(request: Request) -> Response:
        assert issuer is not None
        refused = refused_auth(request)
        if refused is not None:
            return refused
        body, error = await body_or_error(request)
        if error is not None:
            return error
        change = _status_change(body)
        if isinstance(change, str):
            return reply(_problem(400, change))
        credential_id, purpose, value, reason = change
        try:
            if value:
                act = issuer.revoke if purpose == "revocation" else issuer.suspend
                changed = await run_in_threadpool(act, credential_id,
                                                  reason or f"{purpose} through the VC-API")
            else:
                changed = await run_in_threadpool(issuer.unsuspend, credential_id, reason)
        except LedgerError as exc:
            code = 404 if exc.code == "NOT_FOUND" else 400
            return reply(_problem(code, exc.message, exc.code))
        except IssuingError as exc:
            return reply(_problem(400, exc.message, exc.code))
        return JSONResponse({"credentialId": credential_id, "statusPurpose": purpose,
                             "value": value, "changed": changed}, 200)

    async def document(request: Request) -> Response:
        assert own is not None
        doc = await run_in_threadpool(own.by_path, request.url.path)
        if doc is None:
            return JSONResponse({"error": "not found"}, 404)
        media = ("application/vc+ld+json" if "credentialSubject" in doc
                 else "application/did+ld+json" if request.url.path.endswith("did.json")
                 else "application/ld+json")
        return JSONResponse(doc, 200, media_type=media,
                            headers={"Cache-Control": "max-age=60"})

    routes = [Route("/credentials/verify", credentials_verify, methods=["POST"]),
              Route("/presentations/verify", presentations_verify, methods=["POST"])]
    from mcbadge.server._pages import add_pages

    if deliveries is not None and deliveries.fetcher is None:
        deliveries.fetcher = client  # badge pages read the issuer's own lists locally
    add_pages(routes, fetcher=client, policy=None, clock=clock, deliveries=deliveries)
    if issuer is not None:
        routes += [
            Route("/credentials/issue", credentials_issue, methods=["POST"]),
            Route("/suites/{suite}/credentials/issue", credentials_issue, methods=["POST"]),
            Route("/credentials/status", credentials_status, methods=["POST"]),
            Route("/{path:path}", document, methods=["GET"]),
        ]
    return Starlette(routes=routes)


class _Layered(Mapping[str, Any]):
    """The issuer's own documents first, then the documents the caller gave."""

    def __init__(self, first: Mapping[str, Any], second: Mapping[str, Any]) -> None:
        self.first, self.second = first, second

    def __getitem__(self, url: str) -> Any:
        if url in self.first:
            return self.first[url]
        return self.second[url]

    def __contains__(self, url: object) -> bool:
        return url in self.first or url in self.second

    def __iter__(self) -> Iterator[str]:
        return iter([*self.first, *self.second])

    def __len__(self) -> int:
        return len(self.first) + len(self.second)


def _status_option(value: Any) -> tuple[str, ...] | str | None:
    """``options.credentialStatus``: absent (the default entries), ``[]``/false (none), an
    entry ``{"type": "BitstringStatusListEntry", "statusPurpose": ...}`` or a list of
    them. A string is the error."""
    if value is None:
        return None
    if value is False or value == []:
        return ()
    items = value if isinstance(value, list) else [value]
    purposes = []
    for item in items:
        if not isinstance(item, Mapping) or item.get("type", "BitstringStatusListEntry") != \
                "BitstringStatusListEntry":
            return "options.credentialStatus entries are {type: BitstringStatusListEntry, " \
                   "statusPurpose: revocation|suspension}"
        purposes.append(str(item.get("statusPurpose", "revocation")))
    return tuple(purposes)


def _status_change(body: Any) -> tuple[str, str, int, str | None] | str:
    """(credential id, purpose, value, reason) from a status request; a string is the
    error. Takes the VC-API form ``{credentialId, credentialStatus: [{type, status:
    "revoked"|"suspended"|"active"}]}`` and ``{credentialId, credentialStatus:
    {statusPurpose, value?}}``."""
    if not isinstance(body, Mapping) or not isinstance(body.get("credentialId"), str):
        return "the body must be a JSON object with a credentialId"
    entries = body.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries]
    if len(entries) != 1 or not isinstance(entries[0], Mapping):
        return "credentialStatus must be one status change"
    entry = entries[0]
    reason = body.get("reason") if isinstance(body.get("reason"), str) else None
    word = entry.get("status")
    if isinstance(word, str):
        if word not in _STATUS_WORDS:
            return f"status must be one of {', '.join(_STATUS_WORDS)}"
        named, number = _STATUS_WORDS[word]
        return body["credentialId"], named, number, reason
    purpose = entry.get("statusPurpose")
    value = entry.get("value", 1)
    if purpose not in ("revocation", "suspension") or value not in (0, 1, True, False):
        return "give status (revoked, suspended, active) or statusPurpose and value (0 or 1)"
    if purpose == "revocation" and not value:
        return "a revocation cannot be undone"
    return body["credentialId"], str(purpose), int(value), reason
