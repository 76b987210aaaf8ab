"""The wallet endpoints of a claim: the VC-API exchange (``/workflows/claim/exchanges/{id}``,
``/interactions/{id}``) and OpenID for Verifiable Credential Issuance 1.0 (issuer and
authorisation-server metadata, ``/oid4vci/offers/{id}``, ``token``, ``nonce``,
``credential``). Bodies are capped; failures are OAuth-style ``{error, error_description}``
and count against the client's address like failed claims."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

MAX_WALLET_BODY = 256 * 1024


def add_wallet_routes(routes: list[Any], deliveries: Any, limiter: Any) -> None:
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from mcbadge._private.jsonutil import loads_strict
    from mcbadge.delivery import WalletError
    from mcbadge.errors import MCBadgeError

    wallets = deliveries.wallets
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

    def answer(body: Any, status: int = 200) -> JSONResponse:
        return JSONResponse(body, status, headers=headers)

    def refused(exc: WalletError, who: str) -> JSONResponse:
        limiter.failed(who)
        return answer({"error": exc.error, "error_description": exc.message}, exc.status)

    async def body_of(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_WALLET_BODY:
            raise WalletError("the request is too large", "invalid_request", 413)
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_WALLET_BODY:
                raise WalletError("the request is too large", "invalid_request", 413)
        return bytes(data)

    async def json_of(request: Request) -> Any:
        data = await body_of(request)
        if not data.strip():
            return {}
        try:
            return loads_strict(data)
        except MCBadgeError as exc:
            raise WalletError(f"the body is not JSON: {exc.message}") from None

    def guarded(handler: Callable[[Request], Awaitable[Any]]) -> Callable[[Request],
                                                                         Awaitable[Response]]:
        async def run(request: Request) -> Response:
            who = request.client.host if request.client else "?"
            if limiter.blocked(who):
                return answer({"error": "slow_down",
                               "error_description": "too many failed attempts"}, 429)
            try:
                return answer(await handler(request))
            except WalletError as exc:
                return refused(exc, who)

        return run

    async def interaction(request: Request) -> Any:
        return await run_in_threadpool(wallets.protocols, request.path_params["exchange"])

    async def exchange(request: Request) -> Any:
        body = await json_of(request)
        return await run_in_threadpool(wallets.exchange_step, request.path_params["exchange"],
                                       body)

    async def issuer_metadata(request: Request) -> Any:
        return wallets.issuer_metadata()

    async def authorization_metadata(request: Request) -> Any:
        return wallets.authorization_metadata()

    async def offer(request: Request) -> Any:
        return await run_in_threadpool(wallets.credential_offer,
                                       request.path_params["exchange"])

    async def token(request: Request) -> Any:
        from urllib.parse import parse_qsl

        data = await body_of(request)
        try:
            form = dict(parse_qsl(data.decode("ascii"), max_num_fields=8, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise WalletError("the token request is a form (application/x-www-form-"
                              "urlencoded)") from None
        return await run_in_threadpool(wallets.token, form)

    async def nonce(request: Request) -> Any:
        return await run_in_threadpool(wallets.nonce)

    async def credential(request: Request) -> Any:
        body = await json_of(request)
        return await run_in_threadpool(wallets.credential,
                                       request.headers.get("authorization"), body)

    routes += [
        Route("/interactions/{exchange}", guarded(interaction), methods=["GET"]),
        Route("/workflows/claim/exchanges/{exchange}", guarded(exchange), methods=["POST"]),
        Route("/.well-known/openid-credential-issuer", guarded(issuer_metadata),
              methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", guarded(authorization_metadata),
              methods=["GET"]),
        Route("/oid4vci/offers/{exchange}", guarded(offer), methods=["GET"]),
        Route("/oid4vci/token", guarded(token), methods=["POST"]),
        Route("/oid4vci/nonce", guarded(nonce), methods=["POST"]),
        Route("/oid4vci/credential", guarded(credential), methods=["POST"]),
    ]
