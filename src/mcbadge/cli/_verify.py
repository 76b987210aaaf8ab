"""``mcbadge verify``: check a shared badge (JSON, JWT, baked PNG/SVG, URL or stdin)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from mcbadge.cli import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    app,
    clean,
    fail,
    parse_contexts,
    parse_pairs,
)


def _now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        fail(f"--now takes an ISO 8601 date-time such as 2026-01-01T00:00:00Z, got {value!r}")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


_STYLE = {"passed": "green", "failed": "bold red", "warning": "yellow", "skipped": "dim"}


def _rows(result: Any, depth: int = 0) -> list[tuple[str, str, str, str]]:
    rows = []
    for check in result.checks:
        rows.append(("  " * depth + check.id, check.outcome, check.problem or "",
                     clean(check.message)))
        for i, nested in enumerate(check.nested):
            doc = nested.document or {}
            issuer = doc.get("issuer")
            name = issuer.get("id") if isinstance(issuer, dict) else issuer
            label = "credential" if check.id == "clr_credentials" else "endorsement"
            title = doc.get("name") if label == "credential" else f"by {name}"
            rows.append(("  " * (depth + 1) + f"{label} {i + 1}",
                         "passed" if nested.verified else "failed", "", clean(str(title))))
            rows.extend(_rows(nested, depth + 2))
    return rows


def _print_table(result: Any, recipient: tuple[str, bool] | None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=False, emoji=False)
    doc = result.document or {}
    issuer = doc.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    verdict = "[bold green]VERIFIED[/]" if result.verified else "[bold red]NOT VERIFIED[/]"
    title = doc.get("name") if isinstance(doc.get("name"), str) else "credential"
    if recipient is not None and not recipient[1]:
        verdict += f"  [red]not awarded to {escape(clean(recipient[0]))}[/]"
    console.print(f"{verdict}  {escape(clean(title))}")
    if issuer_id:
        console.print(escape(clean(f"issuer: "
                                   f"{issuer_name + ' ' if isinstance(issuer_name, str) else ''}"
                                   f"<{issuer_id}>")))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("check")
    table.add_column("outcome")
    table.add_column("problem")
    table.add_column("message", overflow="fold")
    for check_id, outcome, problem, message in _rows(result):
        table.add_row(Text(check_id), Text(outcome, style=_STYLE[outcome]), Text(problem),
                      Text(message))
    console.print(table)
    if recipient is not None:
        who, ok = recipient
        console.print(f"recipient {escape(who)}: "
                      + ("[green]matches[/]" if ok else "[red]no match[/]"))


@app.command(rich_help_panel="Check")
def verify(
    source: Annotated[str, typer.Argument(help="A file (JSON, JWT, PNG, SVG), an https URL, "
                                               "or - for standard input.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    now: Annotated[str | None, typer.Option(
        help="Judge validity at this time (ISO 8601), not now.")] = None,
    document: Annotated[list[str] | None, typer.Option(
        help="URL=PATH: answer a fetch of URL with this file (issuer profile, DID "
             "document, status list...). Repeatable.")] = None,
    trust: Annotated[Path | None, typer.Option(
        help="Trust registry: the issuer must be listed (JSON list or one id per line).")] = None,
    allow_private_network: Annotated[bool, typer.Option(
        "--allow-private-network", help="Allow fetches from private and loopback addresses.")
    ] = False,
    offline: Annotated[bool, typer.Option(
        "--offline", help="Fetch nothing; only --document answers.")] = False,
    strict_status_length: Annotated[bool, typer.Option(
        "--strict-status-length",
        help="A status list shorter than the spec's 16 KiB fails instead of warning.")
    ] = False,
    unsafe_status_unreachable: Annotated[bool, typer.Option(
        "--unsafe-status-unreachable",
        help="UNSAFE: an unfetchable status list is a warning (a revoked badge passes while "
             "its list is down).")] = False,
    unsafe_unconfirmed_keys: Annotated[bool, typer.Option(
        "--unsafe-unconfirmed-keys",
        help="UNSAFE: a key the issuer's documents could not be fetched to confirm is a "
             "warning.")] = False,
    unsafe_unbound_issuer: Annotated[bool, typer.Option(
        "--unsafe-unbound-issuer",
        help="UNSAFE: an issuer id no key can be bound to (urn:uuid:...) is a warning.")
    ] = False,
    recipient: Annotated[str | None, typer.Option(
        help="The badge must belong to this email address or DID (else exit 1).")] = None,
    max_bytes: Annotated[int, typer.Option(
        help="Largest credential read, in bytes.")] = 2 * 1024 * 1024,
    context: Annotated[list[str] | None, typer.Option(
        help="URL=FILE: trust an extra JSON-LD context. Repeatable.")] = None,
) -> None:
    """Verify a badge: exit 0 verified, 1 not verified, 2 unreadable input or usage error."""
    from mcbadge.jsonld import DocumentLoader
    from mcbadge.resolve import Fetcher
    from mcbadge.verification import verify as run_verify
    from mcbadge.verification import verify_url
    from mcbadge.verification.policy import (
        AllOf,
        Policy,
        StrictStatusListLength,
        TrustedIssuers,
        UnsafeStatusUnreachable,
        UnsafeUnboundIssuer,
        UnsafeUnconfirmedKeys,
    )

    when = _now(now)
    documents: dict[str, bytes] = {}
    for url, path in parse_pairs(document, "--document").items():
        try:
            documents[url] = path.read_bytes()
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}")
    policies: list[Policy] = []
    if strict_status_length:
        policies.append(StrictStatusListLength())
    if unsafe_status_unreachable:
        policies.append(UnsafeStatusUnreachable())
    if unsafe_unconfirmed_keys:
        policies.append(UnsafeUnconfirmedKeys())
    if unsafe_unbound_issuer:
        policies.append(UnsafeUnboundIssuer())
    if trust is not None:
        policies.append(TrustedIssuers(registry=trust))
    loader = DocumentLoader(extra_contexts=parse_contexts(context)) if context else None

    data: Any = None
    is_url = source.startswith(("https://", "http://"))
    if source == "-":
        data = sys.stdin.buffer.read()
    elif not is_url:
        path = Path(source)
        if not path.is_file():
            fail(f"cannot read {source}: no such file")
        data = path
    options: dict[str, Any] = {
        "now": when, "policy": AllOf(*policies) if policies else None, "loader": loader,
        "recipient": recipient, "max_bytes": max_bytes}
    with Fetcher(documents=documents, allow_private=allow_private_network,
                 offline=offline) as fetcher:
        result = (verify_url(source, fetcher=fetcher, **options) if is_url
                  else run_verify(data, fetcher=fetcher, **options))
    matched = None
    if recipient is not None:
        check = result.check("recipient")
        matched = (recipient, check is not None and check.outcome == "passed")
    parse = result.check("parse")
    if not as_json and parse is not None and parse.outcome == "failed":
        fail(f"cannot read {source}: {parse.message}")
    if as_json:
        out = result.to_json()
        if matched is not None:
            out["recipient"] = {"value": matched[0], "matches": matched[1]}
        typer.echo(json.dumps(out, indent=2))
    else:
        _print_table(result, matched)
    if parse is not None and parse.outcome == "failed":
        raise typer.Exit(EXIT_USAGE)
    ok = result.verified and (matched is None or matched[1])
    raise typer.Exit(EXIT_OK if ok else EXIT_INVALID)
