"""``mcbadge serve``: the VC-API service."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from mcbadge.cli import app, fail, note


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command(rich_help_panel="Check")
def serve(
    issuer: Annotated[Path | None, typer.Option(
        "--issuer", "-i", envvar="MCBADGE_ISSUER",
        help="The issuer workspace that issues (without one: verify routes only).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    token_file: Annotated[Path | None, typer.Option(
        help="File holding the bearer token issue and status require (or env "
             "MCBADGE_SERVE_TOKEN). Without one, issuing is open, on loopback only.")] = None,
    ssl_certfile: Annotated[Path | None, typer.Option(
        help="Serve https with this certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(
        help="The certificate's private key (PEM).")] = None,
    context: Annotated[list[str] | None, typer.Option(
        "--context", help="URL=FILE: trust the JSON-LD context in FILE for URL (repeatable); "
                          "contexts are never fetched.")] = None,
    public_url: Annotated[str | None, typer.Option(
        help="With --issuer: the https address this service is reached at; turns on the "
             "claim pages (/claim/TOKEN) and badge pages (/badges/ID).")] = None,
    log_level: Annotated[str, typer.Option(
        help="Log level: warning, info (each refusal and failed verification), debug.")
    ] = "warning",
    allow_private_network: Annotated[bool, typer.Option(
        "--allow-private-network", help="Allow fetches from private and loopback addresses.")
    ] = False,
    workers: Annotated[int, typer.Option(
        min=1, help="Worker processes (each opens the workspace; with a PostgreSQL ledger "
                    "several servers may run, too).")] = 1,
) -> None:
    """Serve the VC-API: issue, status, verify credentials and presentations, and the
    issuer's status lists and key documents (needs the server extra)."""
    from mcbadge.issuing import Issuer
    from mcbadge.resolve import Fetcher
    from mcbadge.server import create_app

    token = os.environ.get("MCBADGE_SERVE_TOKEN") or None
    if token_file is not None:
        try:
            token = token_file.read_text("utf-8").strip()
        except OSError as exc:
            fail(f"cannot read {token_file}: {exc.strerror or exc}")
        if not token:
            fail(f"{token_file} is empty")
    workspace = Issuer.open(issuer) if issuer is not None else None
    open_issuing = workspace is not None and not token
    if open_issuing and not _loopback(host):
        fail(f"issuing on {host} needs a bearer token: --token-file FILE or "
             "MCBADGE_SERVE_TOKEN (only a loopback address may run without one)")
    if open_issuing:
        note("mcbadge serve: no token; issue and status are open to anyone on this machine")
    if (ssl_certfile is None) != (ssl_keyfile is None):
        fail("give --ssl-certfile and --ssl-keyfile together")
    loader = None
    if context:
        from mcbadge.jsonld import DocumentLoader

        extra: dict[str, object] = {}
        for item in context:
            url, sep, file = item.partition("=")
            if not sep or not url or not file:
                fail(f"--context takes URL=FILE, got {item!r}")
            extra[url] = Path(file)
        loader = DocumentLoader(extra_contexts=extra)
    deliveries = None
    if public_url is not None:
        if workspace is None:
            fail("--public-url needs --issuer")
        from mcbadge.delivery import Deliveries

        deliveries = Deliveries(workspace, base_url=public_url)
    try:
        import uvicorn
    except ImportError:
        fail("mcbadge serve needs uvicorn: pip install 'mcbadge[server]'")
    import logging

    logging.basicConfig(level=log_level.upper(), format="%(name)s: %(message)s")
    tls = {"ssl_certfile": str(ssl_certfile) if ssl_certfile else None,
           "ssl_keyfile": str(ssl_keyfile) if ssl_keyfile else None}
    if workers > 1:  # each worker process builds the same app from these settings
        import json

        from mcbadge.server._factory import SETTINGS_ENV

        if workspace is not None:
            workspace.close()
        os.environ[SETTINGS_ENV] = json.dumps({
            "issuer": str(issuer) if issuer is not None else None, "token": token,
            "unsafe_no_auth": open_issuing, "public_url": public_url,
            "context": context or [], "allow_private_network": allow_private_network})
        uvicorn.run("mcbadge.server._factory:app_from_env", factory=True, workers=workers,
                    host=host, port=port, log_level=log_level, **tls)  # type: ignore[arg-type]
        return
    application = create_app(issuer=workspace, loader=loader, deliveries=deliveries,
                             fetcher=Fetcher(allow_private=allow_private_network),
                             token=token, unsafe_no_auth=open_issuing)
    uvicorn.run(application, host=host, port=port, log_level=log_level, **tls)  # type: ignore[arg-type]
