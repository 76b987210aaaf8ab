"""The app of one worker of ``mcbadge serve --workers N``: uvicorn starts N processes, each
calls :func:`app_from_env`, which builds what ``serve`` would have built, from the settings
``serve`` left in the environment (each worker opens the workspace, and its ledger, itself)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SETTINGS_ENV = "MCBADGE_SERVE_SETTINGS"


def app_from_env() -> Any:
    from mcbadge.issuing import Issuer
    from mcbadge.resolve import Fetcher
    from mcbadge.server import create_app

    settings = json.loads(os.environ[SETTINGS_ENV])
    workspace = Issuer.open(settings["issuer"]) if settings.get("issuer") else None
    loader = None
    if settings.get("context"):
        from mcbadge.jsonld import DocumentLoader

        extra: dict[str, object] = {}
        for item in settings["context"]:
            url, _, file = item.partition("=")
            extra[url] = Path(file)
        loader = DocumentLoader(extra_contexts=extra)
    deliveries = None
    if settings.get("public_url") and workspace is not None:
        from mcbadge.delivery import Deliveries

        deliveries = Deliveries(workspace, base_url=settings["public_url"])
    return create_app(issuer=workspace, loader=loader, deliveries=deliveries,
                      fetcher=Fetcher(allow_private=bool(settings.get("allow_private_network"))),
                      token=settings.get("token"),
                      unsafe_no_auth=bool(settings.get("unsafe_no_auth")))
