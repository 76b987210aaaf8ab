"""The verifier page, ``/verify``: paste a badge, upload it (JSON, JWT, baked PNG or SVG) or
give its https address; see the badge (image, name, description, issuer, dates, status,
rubric results with level names, evidence, endorsements) and every check in plain words.

Server-rendered (Jinja2, autoescaped), no script at all (the Content-Security-Policy says
so), a CSRF token (double-submit cookie, SameSite=Strict) on the form, the verifier's own
size caps on uploads, URLs fetched only through the guarded Fetcher."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from importlib import resources
from typing import Any

from mcbadge.resolve import Fetcher
from mcbadge.verification import VerificationResult, verify, verify_url
from mcbadge.verification.policy import Policy

MAX_UPLOAD = 2 * 1024 * 1024 + 64 * 1024
"""The largest form body read (the verifier caps a credential at 2 MiB)."""

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data: https:; "
                               "style-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CSRF_COOKIE = "mcbadge_csrf"

_PLAIN = {
    "CREDENTIAL_REVOKED": "The issuer has revoked this badge.",
    "CREDENTIAL_SUSPENDED": "The issuer has suspended this badge.",
    "CREDENTIAL_EXPIRED": "This badge has expired.",
    "CREDENTIAL_NOT_YET_VALID": "This badge is not valid yet.",
    "INVALID_SIGNATURE": "Its signature does not hold: it was changed after it was issued, "
                         "or it was not signed by the key it names.",
    "ISSUER_BINDING_ERROR": "The key that signed it does not belong to the issuer it names.",
    "STATUS_LIST_NOT_FOUND": "Its revocation status could not be checked.",
}


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("@value"), str):
        return str(value["@value"])
    return None


def _image(value: Any) -> str | None:
    url = value.get("id") if isinstance(value, Mapping) else value
    if isinstance(url, str) and (url.startswith("https://") or url.startswith("data:image/")):
        return url
    return None


def _badge(result: VerificationResult) -> dict[str, Any] | None:
    doc = result.document
    if not isinstance(doc, Mapping):
        return None
    subject = doc.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    issuer = doc.get("issuer")
    issuer_name = (_text(issuer.get("name")) if isinstance(issuer, Mapping) else None)
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    levels: dict[str, str] = {}
    criteria: dict[str, str] = {}
    for described in achievement.get("resultDescription") or []:
        if isinstance(described, Mapping):
            criteria[str(described.get("id"))] = str(described.get("name", ""))
            for level in described.get("rubricCriterionLevel") or []:
                if isinstance(level, Mapping):
                    levels[str(level.get("id"))] = str(level.get("name", ""))
    results = []
    for res in subject.get("result") or []:
        if isinstance(res, Mapping):
            name = criteria.get(str(res.get("resultDescription")), "")
            value = levels.get(str(res.get("achievedLevel"))) or _text(res.get("value")) or ""
            results.append(f"{name}: {value}" if name else value)
    evidence = []
    for item in doc.get("evidence") or []:
        if isinstance(item, Mapping):
            evidence.append(" · ".join(str(v) for v in (item.get("name"), item.get("genre"),
                                                        item.get("id")) if v))
    status = "not checked" if doc.get("credentialStatus") else "not revocable"
    for check_id in ("revocation_status", "suspension_status"):
        check = result.check(check_id)
        if check is not None and check.outcome == "failed":
            status = check.message
            break
        if check is not None and check_id == "revocation_status" and "not revoked" in \
                check.message:
            status = "not revoked"
    endorsements = result.check("endorsements")
    return {
        "name": _text(doc.get("name")) or _text(achievement.get("name")),
        "description": _text(achievement.get("description")),
        "issuer": f"{issuer_name} ({issuer_id})" if issuer_name else str(issuer_id),
        "awarded": doc.get("awardedDate") or doc.get("validFrom") or doc.get("issuanceDate"),
        "expires": doc.get("validUntil") or doc.get("expirationDate"),
        "image": _image(achievement.get("image")) or _image(doc.get("image")),
        "status": status, "results": results, "evidence": evidence,
        "endorsements": len(endorsements.nested) if endorsements is not None else 0,
    }


def _as_text(source: str | bytes) -> str:
    """What "verify again" sends back: the pasted text, an uploaded file's text, or the
    credential a baked image carries ("" when there is none to resend)."""
    if isinstance(source, str):
        return source
    from mcbadge.baking import extract, image_kind
    from mcbadge.errors import MCBadgeError

    try:
        return extract(source) if image_kind(source) else source.decode("utf-8")
    except (MCBadgeError, UnicodeDecodeError):
        return ""


def report(result: VerificationResult) -> dict[str, Any]:
    """What the page shows for one verification."""
    plain = []
    for code in result.problems:
        if code in _PLAIN and _PLAIN[code] not in plain:
            plain.append(_PLAIN[code])
    if not result.verified and not plain:
        failed = next(c for c in result.checks if c.outcome == "failed")
        plain.append(f"The {failed.id.replace('_', ' ')} check failed: {failed.message}")
    badge = _badge(result)
    return {
        "verified": result.verified, "plain": plain, "badge": badge,
        "title": (badge or {}).get("name") or "Badge",
        "checks": [{"id": c.id.replace("_", " "), "outcome": c.outcome, "message": c.message}
                   for c in result.checks],
        "json": json.dumps(result.to_json(), indent=2, ensure_ascii=False),
    }


def add_pages(routes: list[Any], *, fetcher: Fetcher, policy: Policy | None,
              clock: Callable[[], datetime] | None, deliveries: Any = None) -> None:
    """Add ``/verify`` (GET, POST), ``/static/mcbadge.css`` and, with ``deliveries``, the
    claim pages ``/claim/{token}`` to ``routes``."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    env = Environment(loader=PackageLoader("mcbadge.server", "templates"),
                      autoescape=select_autoescape(["html"]))
    page = env.get_template("verify.html")
    css = resources.files("mcbadge.server").joinpath("static", "mcbadge.css").read_bytes()

    def html(status: int, token: str, **context: Any) -> HTMLResponse:
        out = HTMLResponse(page.render(csrf=token, **context), status,
                           headers=SECURITY_HEADERS)
        out.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/verify")
        return out

    async def show(request: Request) -> Response:
        return html(200, request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24))

    async def submit(request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_UPLOAD:
            return html(413, token, error="That upload is larger than 2 MiB.")
        try:
            try:
                form = await request.form(max_files=1, max_fields=8,
                                          max_part_size=MAX_UPLOAD)
            except TypeError:  # a Starlette without max_part_size: the length cap holds
                form = await request.form(max_files=1, max_fields=8)
        except Exception:  # malformed multipart, too many parts
            return html(400, token, error="The form could not be read.")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = form.get("csrf")
        if not (isinstance(sent, str) and cookie and hmac.compare_digest(sent, cookie)):
            return html(403, token, error="The form expired; please try again.")
        now = clock() if clock is not None else None
        upload = form.get("file")
        text = form.get("text")
        url = form.get("url")
        source: Any = None
        if upload is not None and not isinstance(upload, str) and upload.filename:
            source = await upload.read(MAX_UPLOAD + 1)
            if len(source) > MAX_UPLOAD:
                return html(413, token, error="That upload is larger than 2 MiB.")
        elif isinstance(text, str) and text.strip():
            source = text.strip()
        again: dict[str, str] = {}
        if source is not None:
            result = await run_in_threadpool(verify, source, now=now, fetcher=fetcher,
                                             policy=policy)
            again = {"text": _as_text(source)}
        elif isinstance(url, str) and url.strip():
            result = await run_in_threadpool(verify_url, url.strip(), fetcher=fetcher,
                                             now=now, policy=policy)
            again = {"url": url.strip()}
        else:
            return html(400, token, error="Paste a badge, upload one, or give its address.")
        return html(200, token, report=report(result),
                    again={k: v for k, v in again.items() if v})

    async def stylesheet(request: Request) -> Response:
        return Response(css, 200, media_type="text/css",
                        headers={**SECURITY_HEADERS, "Cache-Control": "max-age=3600"})

    routes += [Route("/verify", show, methods=["GET"]),
               Route("/verify", submit, methods=["POST"]),
               Route("/static/mcbadge.css", stylesheet, methods=["GET"])]
    if deliveries is not None:
        _add_claims(routes, env, deliveries)


class _Limiter:
    """At most ``limit`` failed attempts in ``window`` seconds per key: the client's address,
    and the claim token tried (so neither many tokens from one address nor one token from
    many addresses gets far)."""

    def __init__(self, limit: int = 20, window: float = 600.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}

    def blocked(self, *keys: str) -> bool:
        import time

        now = time.monotonic()
        out = False
        for key in keys:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            self._failures[key] = recent
            out = out or len(recent) >= self.limit
        if len(self._failures) > 10_000:  # bounded memory
            self._failures = {k: self._failures[k] for k in keys}
        return out

    def failed(self, *keys: str) -> None:
        import time

        for key in keys:
            self._failures.setdefault(key, []).append(time.monotonic())


def _add_claims(routes: list[Any], env: Any, deliveries: Any) -> None:
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    from mcbadge.errors import IssuingError

    page = env.get_template("claim.html")
    limiter = _Limiter(*getattr(deliveries, "rate_limit", (20, 600.0)))

    def downloadable(badge: dict[str, Any], what: str) -> Response:
        """The badge as a download: its JSON, or baked into a PNG or SVG."""
        from mcbadge._private.images import badge_image
        from mcbadge.baking import bake

        if what in ("png", "svg"):
            body = bake(badge_image(badge, what), badge)
            media = "image/png" if what == "png" else "image/svg+xml"
        else:
            what, media = "json", "application/json"
            body = json.dumps(badge, indent=2, ensure_ascii=False).encode()
        return Response(body, 200, media_type=media, headers={
            **SECURITY_HEADERS, "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="badge.{what}"'})

    def linkedin_link(badge: Mapping[str, Any], page_id: str) -> str:
        from urllib.parse import urlencode

        issuer = badge.get("issuer")
        organisation = issuer.get("name") if isinstance(issuer, Mapping) else None
        issued = str(badge.get("awardedDate") or badge.get("validFrom") or "")
        return "https://www.linkedin.com/profile/add?" + urlencode({
            "startTask": "CERTIFICATION_NAME", "name": str(badge.get("name") or "Badge"),
            "organizationName": str(organisation or ""),
            "issueYear": issued[:4], "issueMonth": issued[5:7].lstrip("0"),
            "certUrl": f"{deliveries.base_url}/badges/{page_id}",
            "certId": str(badge.get("id", ""))})

    def render(status: int, token: str, csrf: str, **context: Any) -> HTMLResponse:
        out = HTMLResponse(page.render(token=token, csrf=csrf, **context), status,
                           headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
        out.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/claim")
        return out

    def keys_of(request: Request, token: Any) -> tuple[str, ...]:
        """The rate-limit keys of a request: its address and the token it tries."""
        address = request.client.host if request.client else "?"
        if isinstance(token, str) and token:
            return address, "token:" + token[:64]
        return (address,)

    async def show(request: Request) -> Response:
        token = request.path_params["token"]
        csrf = secrets.token_urlsafe(24)
        who = keys_of(request, token)
        if limiter.blocked(*who):
            return render(429, "", csrf, error="Too many attempts; try again later.")
        try:
            badge = await run_in_threadpool(deliveries.peek, token)
        except IssuingError as exc:
            limiter.failed(*who)
            return render(404, "", csrf, error=exc.message)
        issuer = badge.get("issuer")
        name = issuer.get("name") if isinstance(issuer, Mapping) else issuer
        page_id = str(badge.get("id", "")).removeprefix("urn:uuid:")
        offer = await run_in_threadpool(deliveries.wallets.offer, token)
        return render(200, token, csrf, name=badge.get("name") or "Your badge",
                      issuer=name or "the issuer", page=page_id, wallet=offer,
                      linkedin=linkedin_link(badge, page_id))

    async def download(request: Request) -> Response:
        token = request.path_params["token"]
        who = keys_of(request, token)
        if limiter.blocked(*who):
            return render(429, "", secrets.token_urlsafe(24),
                          error="Too many attempts; try again later.")
        form = await request.form(max_files=0, max_fields=3)
        sent, cookie = form.get("csrf"), request.cookies.get(CSRF_COOKIE, "")
        if not (isinstance(sent, str) and cookie and hmac.compare_digest(sent, cookie)):
            return render(403, "", secrets.token_urlsafe(24),
                          error="The page expired; open the link again.")
        try:
            badge = await run_in_threadpool(deliveries.redeem, token)
        except IssuingError as exc:
            limiter.failed(*who)
            return render(404, "", secrets.token_urlsafe(24), error=exc.message)
        return downloadable(badge, str(form.get("what") or "json"))

    badge_page = env.get_template("badge.html")

    async def badge(request: Request) -> Response:
        from urllib.parse import quote

        from mcbadge.verification import verify

        cid = "urn:uuid:" + request.path_params["uuid"]
        wanted = request.query_params.get("format")
        token = request.query_params.get("claim")
        who = keys_of(request, token)
        if limiter.blocked(*who):
            return HTMLResponse("Too many attempts", 429, headers=SECURITY_HEADERS)
        try:
            doc = await run_in_threadpool(deliveries.page_badge, cid, token)
        except IssuingError:
            limiter.failed(*who)
            return HTMLResponse("<!doctype html><title>Not found</title><p>This badge page "
                                "is private or does not exist.</p>", 404,
                                headers=SECURITY_HEADERS)
        public = await run_in_threadpool(deliveries.is_public, cid)
        if wanted in ("json", "png", "svg"):
            if not public:  # a private page's downloads are the claim's, which spends it
                return HTMLResponse("<!doctype html><title>Private</title><p>Download this "
                                    "badge from its claim page.</p>", 403,
                                    headers=SECURITY_HEADERS)
            return downloadable(doc, wanted)
        result = await run_in_threadpool(verify, doc, fetcher=deliveries.fetcher)
        shown = report(result)
        info = shown["badge"] or {}
        url = f"{deliveries.base_url}/badges/{request.path_params['uuid']}"
        csrf = secrets.token_urlsafe(24)
        out = HTMLResponse(badge_page.render(
            badge=info, verified=shown["verified"], plain=shown["plain"], url=url,
            public=public, claim=f"/claim/{quote(token, safe='')}" if token else None,
            token=token, csrf=csrf,
            linkedin=linkedin_link(doc, request.path_params["uuid"])), 200,
            headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
        if token:
            out.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                           path="/badges")
        return out

    async def visibility(request: Request) -> Response:
        """The earner's switch (with their live claim token): page public or private."""
        from urllib.parse import quote

        from starlette.responses import RedirectResponse

        uuid = request.path_params["uuid"]
        form = await request.form(max_files=0, max_fields=3)
        sent, cookie = form.get("csrf"), request.cookies.get(CSRF_COOKIE, "")
        token, wanted = form.get("claim"), form.get("public")
        who = keys_of(request, token)
        if limiter.blocked(*who):
            return HTMLResponse("Too many attempts", 429, headers=SECURITY_HEADERS)
        if not (isinstance(sent, str) and cookie and hmac.compare_digest(sent, cookie)):
            return HTMLResponse("The page expired; open it again.", 403,
                                headers=SECURITY_HEADERS)
        cid = "urn:uuid:" + uuid
        try:
            if not isinstance(token, str) or \
                    (await run_in_threadpool(deliveries.peek, token)).get("id") != cid:
                raise IssuingError("not this badge's claim", "CLAIM_INVALID")
        except IssuingError:
            limiter.failed(*who)
            return HTMLResponse("Only the earner (with the claim link) can change this.",
                                403, headers=SECURITY_HEADERS)
        await run_in_threadpool(deliveries.set_public, cid, wanted == "1")
        return RedirectResponse(f"/badges/{quote(uuid, safe='')}?claim="
                                f"{quote(token, safe='')}", 303, headers=SECURITY_HEADERS)

    from mcbadge.server._wallet import add_wallet_routes

    add_wallet_routes(routes, deliveries, limiter)
    routes += [Route("/claim/{token}", show, methods=["GET"]),
               Route("/claim/{token}", download, methods=["POST"]),
               Route("/badges/{uuid:str}", badge, methods=["GET"]),
               Route("/badges/{uuid:str}", visibility, methods=["POST"])]
