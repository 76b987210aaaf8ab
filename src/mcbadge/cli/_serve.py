"""``mcbadge serve``: the VC-API service (verify for now)."""

from __future__ import annotations

from typing import Annotated

import typer

from mcbadge.cli import app, fail


@app.command(rich_help_panel="Check")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    allow_private_network: Annotated[bool, typer.Option(
        "--allow-private-network", help="Allow fetches from private and loopback addresses.")
    ] = False,
) -> None:
    """Serve the VC-API: POST /credentials/verify (needs the server extra)."""
    from mcbadge.resolve import Fetcher
    from mcbadge.server import create_app

    application = create_app(fetcher=Fetcher(allow_private=allow_private_network))
    try:
        import uvicorn
    except ImportError:
        fail("mcbadge serve needs uvicorn: pip install 'mcbadge[server]'")
    uvicorn.run(application, host=host, port=port, log_level="info")
