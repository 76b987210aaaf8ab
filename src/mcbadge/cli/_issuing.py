"""``mcbadge init``, ``issue``, ``revoke``, ``suspend``, ``unsuspend``, ``status publish`` and
``ledger``: the issuer's commands."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mcbadge.cli import EXIT_INVALID, app, fail, note, quiet, read_json_file

IssuerDir = Annotated[Path, typer.Option(
    "--issuer", "-i", envvar="MCBADGE_ISSUER",
    help="The issuer workspace (made by `mcbadge init`; env MCBADGE_ISSUER).")]

status_app = typer.Typer(help="Status lists: publish them for hosting.", no_args_is_help=True)
app.add_typer(status_app, name="status", rich_help_panel="Issue")


def _open(path: Path) -> Any:
    from mcbadge.issuing import Issuer

    return Issuer.open(path)


@app.command(rich_help_panel="Issue")
def init(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) folder for the workspace.")],
    name: Annotated[str, typer.Option("--name", help="The issuer's name, as badges show it.")],
    url: Annotated[str, typer.Option(
        "--url", help="The issuer's https web site; status lists go under URL/status/.")],
    did_web: Annotated[str | None, typer.Option(
        "--did-web", metavar="HOST[:PORT][/PATH]",
        help="Use a did:web id instead of a did:key. A path is written with / "
        "(web.example/issuers/1 is did:web:web.example:issuers:1); a colon after the host is "
        "a port (web.example:8443 or web.example%3A8443).")] = None,
    profile_url: Annotated[str | None, typer.Option(
        "--profile-url", help="Use this https URL (where you host the profile) as the id.")] = None,
    embedded_key: Annotated[bool, typer.Option(
        "--embedded-key", help="With --profile-url: put the key inside the profile (#key-1) "
        "instead of a key document of its own (fewer verifiers can use it).")] = False,
    description: Annotated[str | None, typer.Option("--description")] = None,
    email: Annotated[str | None, typer.Option("--email", help="A contact address.")] = None,
    suite: Annotated[str | None, typer.Option(
        "--suite", help="Default proof suite (eddsa-rdfc-2022 for Ed25519 keys, "
        "ecdsa-rdfc-2019 for P-256 / P-384; ecdsa-sd-2023 for selective disclosure).")] = None,
    key_type: Annotated[str, typer.Option(
        "--key-type", help="ed25519, p256 or p384 (the ECDSA suites).")] = "ed25519",
    status_base_url: Annotated[str | None, typer.Option(
        "--status-base-url", help="Where the status lists are hosted (default URL/status).")]
        = None,
    ledger: Annotated[str | None, typer.Option(
        "--ledger", envvar="MCBADGE_LEDGER", metavar="postgresql://USER@HOST/DB",
        help="Keep the ledger in PostgreSQL (several app servers, one ledger); default: "
        "the embedded SQLite file. The password is not stored: give it to libpq "
        "(PGPASSWORD, ~/.pgpass) or keep the whole URL in MCBADGE_LEDGER.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
        = False,
) -> None:
    """Create an issuer workspace: profile, signing key (0600), ledger."""
    from mcbadge.issuing import Issuer

    issuer = Issuer.create(
        directory, name=name, url=url, did_web=did_web, profile_url=profile_url,
        embedded_key=embedded_key,
        description=description, email=email, suite=suite, status_base_url=status_base_url,
        key_type=key_type, ledger=ledger or None,
    )
    if as_json:
        typer.echo(json.dumps({
            "workspace": str(directory), "id": issuer.id,
            "verificationMethod": issuer.verification_method,
            "key": str(directory / "keys" / "signing.key"),
            "statusBaseUrl": issuer.config["statusBaseUrl"],
            "host": issuer.did_web_url() if issuer.id.startswith("did:web:") else
            issuer.id if issuer.id.startswith("https://") else None,
        }, indent=2))
        issuer.close()
        return
    typer.echo(f"created issuer workspace {directory}")
    typer.echo(f"  issuer id: {issuer.id}")
    typer.echo(f"  signing key: {directory / 'keys' / 'signing.key'} (keep it secret)")
    if issuer.id.startswith("did:web:"):
        typer.echo(f"  host the DID document at {issuer.did_web_url()}"
                   " (`mcbadge status publish` writes it)")
    elif issuer.id.startswith("https://"):
        typer.echo(f"  host the profile at {issuer.id} (`mcbadge status publish` writes it)")
    typer.echo(f"  status lists: {issuer.config['statusBaseUrl']}/")
    issuer.close()


def _achievement(path: Path) -> dict[str, Any]:
    data = read_json_file(path)
    if not isinstance(data, dict):
        fail(f"{path} must hold a JSON object (an Achievement)")
    return data


class _Bar:
    """A rich progress bar with rate and ETA on stderr, redrawn from the callback (no
    refresh thread, so worker processes can be forked)."""

    def __init__(self, quiet: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("issuing"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}/s"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), console=Console(stderr=True, emoji=False), auto_refresh=False,
            disable=quiet,
        )
        self.task = self.progress.add_task("issue", total=None, rate="-")
        self.started = time.perf_counter()
        self.first: int | None = None
        self.last_draw = 0.0
        self.done = self.total = 0
        self.started_drawing = False
        self.quiet = quiet

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if not self.started_drawing and not self.quiet:  # drawn once the roster is read
            self.progress.start()
            self.started_drawing = True
        now = time.perf_counter()
        if self.first is None:
            self.first, self.started = done, now
        elapsed = now - self.started
        rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=done, total=total, rate=f"{rate:,.0f}")
        if now - self.last_draw > 0.1 or done == total:
            self.progress.refresh()
            self.last_draw = now

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started_drawing:
            self.progress.stop()


@app.command(rich_help_panel="Issue")
def issue(
    issuer_dir: IssuerDir,
    achievement: Annotated[Path, typer.Option(
        "--achievement", "-a", help="The Achievement, a JSON file (needs an id).")],
    recipient: Annotated[str | None, typer.Option(
        "--recipient", "-r", help="One recipient: an email address, a DID or a URL.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The recipient's name.")] = None,
    roster: Annotated[Path | None, typer.Option(
        "--roster", help="Many recipients: a CSV (header row) or a .jsonl file.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="One recipient: the file to write (stdout if not given). "
        "A roster: a folder (a file per row) or a .jsonl file.")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", "-w", min=1, help="Signing processes for a roster (default: all cores).")]
        = None,
    suite: Annotated[str | None, typer.Option(
        "--suite", help="eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020, or with a "
        "P-256/P-384 workspace ecdsa-rdfc-2019, ecdsa-jcs-2019, ecdsa-sd-2023 "
        "(default: the workspace's).")] = None,
    valid_from: Annotated[str | None, typer.Option(
        "--valid-from", help="ISO 8601 date-time with a zone (default: now).")] = None,
    valid_until: Annotated[str | None, typer.Option(
        "--valid-until", help="ISO 8601 date-time with a zone (default: no expiry).")] = None,
    evidence: Annotated[list[str] | None, typer.Option(
        "--evidence", help="An evidence URL (repeatable; one recipient).")] = None,
    narrative: Annotated[str | None, typer.Option(
        "--narrative", help="An evidence narrative (one recipient).")] = None,
    result: Annotated[str | None, typer.Option(
        "--result", help="A result value, e.g. a rubric level (one recipient).")] = None,
    key: Annotated[str | None, typer.Option(
        "--key", help="An idempotency key: issuing again with it returns the same credential.")]
        = None,
    bake: Annotated[Path | None, typer.Option(
        "--bake", help="Also bake each credential into this PNG or SVG image.")] = None,
    suspendable: Annotated[bool, typer.Option(
        "--suspendable", help="Add a suspension status entry too.")] = False,
    plaintext_email: Annotated[bool, typer.Option(
        "--plaintext-email", help="Write email addresses in the clear (default: salted hash).")]
        = False,
    encoding: Annotated[str, typer.Option(
        "--encoding", help="The roster's text encoding: utf-8 (default; a BOM is fine), "
        "cp1252, latin-1...")] = "utf-8",
    column: Annotated[list[str] | None, typer.Option(
        "--column", metavar='NAME="FILE COLUMN"',
        help='Read a roster column under another name: --column email="Email Address" '
        "(repeatable).")] = None,
    name_from: Annotated[str | None, typer.Option(
        "--name-from", metavar='"FIRST,LAST"',
        help='Build the name from these columns, joined by a space: --name-from '
        '"First Name,Last Name".')] = None,
    ignore_column: Annotated[list[str] | None, typer.Option(
        "--ignore-column", metavar="COLUMN",
        help="A roster column to leave out (repeatable); any other unknown column stops the "
        "run.")] = None,
    quiet_bar: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the roster summary as JSON.")]
        = False,
) -> None:
    """Issue a badge to one recipient, or to every row of a roster.

    A roster run is resumable: run it again after an interruption and only the rows not yet
    issued are issued; rows that cannot be issued are reported by line number."""
    if (recipient is None) == (roster is None):
        fail("give either --recipient (one badge) or --roster (many)")
    image = _read_image(bake) if bake is not None else None
    ach = _achievement(achievement)
    with _open(issuer_dir) as issuer:
        if roster is not None:
            if out is None:
                fail("--roster needs --out (a folder, or a .jsonl file)")
            if not roster.is_file():
                fail(f"cannot read roster {roster}: no such file")
            fmt = _roster_format(encoding, column, name_from, ignore_column)
            bar = _Bar(quiet_bar or as_json or quiet() or not sys.stderr.isatty())
            try:
                with bar, _terminate_as_interrupt():
                    summary = issuer.issue_many(
                        ach, roster, out=out, bake=image, workers=workers, suite=suite,
                        valid_from=valid_from, valid_until=valid_until,
                        suspendable=suspendable, plaintext_email=plaintext_email,
                        progress=bar, roster=fmt,
                    )
            except KeyboardInterrupt as exc:
                done, total = bar.done, bar.total
                left = f"; run the same command again to finish the other {total - done:,}" \
                    if total else "; run the same command again to finish"
                typer.echo(f"mcbadge: {getattr(exc, 'why', 'interrupted')}: {done:,} of "
                           f"{total:,} rows recorded{left} (nothing is issued twice)", err=True)
                raise typer.Exit(getattr(exc, "code", 130)) from None
            if as_json:
                typer.echo(json.dumps(summary.to_json(), indent=2))
            else:  # even under -q: the summary and the failed rows are the run's result
                _print_summary(summary)
            if summary.failed:
                raise typer.Exit(EXIT_INVALID)
            return
        assert recipient is not None
        evidence_items: list[Any] = list(evidence or [])
        if narrative:
            first: dict[str, Any] = {"narrative": narrative}
            if evidence_items:
                first["id"] = evidence_items.pop(0)
            evidence_items.insert(0, first)
        credential = issuer.issue(
            ach, recipient, name=name, evidence=evidence_items,
            result=[result] if result else [], valid_from=valid_from, valid_until=valid_until,
            suite=suite, idempotency_key=key, suspendable=suspendable,
            plaintext_email=plaintext_email,
        )
    text = json.dumps(credential, indent=2, ensure_ascii=False)
    verb = "already issued" if getattr(credential, "already_issued", False) else "issued"
    if image is not None:
        from mcbadge.baking import bake as bake_image

        if out is None:
            fail("--bake needs --out for the baked image")
        _write(out, bake_image(image, json.dumps(credential, ensure_ascii=False)))
        note(f"{verb} {credential['id']}; baked into {out}")
    elif out is not None:
        _write(out, (text + "\n").encode("utf-8"))
        note(f"{verb} {credential['id']} -> {out}")
    else:
        if verb != "issued":
            note(f"{verb} {credential['id']} (the same key and data: nothing new)")
        sys.stdout.write(text + "\n")


def _roster_format(encoding: str, columns: list[str] | None, name_from: str | None,
                   ignore: list[str] | None) -> Any:
    from mcbadge.issuing import RosterFormat

    mapping: dict[str, str] = {}
    for item in columns or []:
        ours, sep, theirs = item.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            fail(f'--column takes NAME="FILE COLUMN", got {item!r}')
        mapping[ours.strip()] = theirs.strip().strip('"')
    parts = tuple(p.strip() for p in (name_from or "").split(",") if p.strip())
    return RosterFormat(encoding=encoding, columns=mapping, name_from=parts,
                        ignore=tuple(c.strip() for c in ignore or []))


class _Terminated(KeyboardInterrupt):
    why = "terminated"
    code = 143


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI cancel, `kill`) stops a roster run as Ctrl-C does: the signing pool is
    shut down and what was recorded is reported, instead of dying mid-chunk."""
    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _read_image(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


def _write(path: Path, data: bytes) -> None:
    from mcbadge._private.files import write_atomic

    try:
        write_atomic(path, data)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")


def _print_summary(summary: Any) -> None:
    from rich.console import Console
    from rich.markup import escape

    # a log file or a pipe gets plain lines, one per failed row, never wrapped
    console = Console(stderr=True, highlight=False, emoji=False,
                      soft_wrap=not sys.stderr.isatty())
    console.print(
        f"[green]{summary.issued} issued[/green], {summary.existing} already issued"
        + (f" ({summary.earlier_version} with an earlier version of the achievement)"
           if summary.earlier_version else "")
        + (f", {summary.rewritten} file(s) rewritten" if summary.rewritten else "")
        + (f", [red]{len(summary.failed)} failed[/red]" if summary.failed else "")
        + f" of {summary.total} rows in {summary.seconds:.1f} s"
        + (f" ({summary.rate:,.0f}/s)" if summary.issued else "")
        + (f" -> {escape(str(summary.output))}" if summary.output else "")
    )
    for error in summary.failed[:50]:
        console.print(f"  [red]line {error.line}[/red]: {escape(error.message)}")
    if len(summary.failed) > 50:
        console.print(f"  ... and {len(summary.failed) - 50} more (use --json for all)")


def _status_command(action: str, issuer_dir: Path, credential_id: str,
                    reason: str | None) -> None:
    with _open(issuer_dir) as issuer:
        changed = getattr(issuer, action)(credential_id, reason)
        done = {"revoke": "revoked", "suspend": "suspended", "unsuspend": "unsuspended"}[action]
        if changed:
            typer.echo(f"{done} {credential_id}; run `mcbadge status publish` to tell verifiers")
        else:
            typer.echo(f"{credential_id} was already {done}: nothing changed")


@app.command(rich_help_panel="Issue")
def revoke(
    issuer_dir: IssuerDir,
    credential_id: Annotated[str, typer.Argument(help="The credential's id (urn:uuid:...).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger).")],
) -> None:
    """Revoke a credential for good (recorded in the ledger with who, when, why)."""
    _status_command("revoke", issuer_dir, credential_id, reason)


@app.command(rich_help_panel="Issue")
def suspend(
    issuer_dir: IssuerDir,
    credential_id: Annotated[str, typer.Argument(help="The credential's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger).")],
) -> None:
    """Suspend a credential issued with --suspendable."""
    _status_command("suspend", issuer_dir, credential_id, reason)


@app.command(rich_help_panel="Issue")
def unsuspend(
    issuer_dir: IssuerDir,
    credential_id: Annotated[str, typer.Argument(help="The credential's id.")],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
) -> None:
    """Lift a suspension."""
    _status_command("unsuspend", issuer_dir, credential_id, reason)


@status_app.command("publish")
def status_publish(
    issuer_dir: IssuerDir,
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="A folder to serve as the web root of the status URLs' host.")],
    valid_days: Annotated[float | None, typer.Option(
        "--valid-days", help="Lists expire after this many days (verifiers then refetch).")]
        = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print URL -> file as JSON.")]
        = False,
) -> None:
    """Write the signed status lists (and the did:web document or https profile) at the
    paths their URLs name under OUT."""
    from datetime import UTC, datetime, timedelta

    until = (datetime.now(UTC).replace(microsecond=0) + timedelta(days=valid_days)
             if valid_days is not None else None)
    with _open(issuer_dir) as issuer:
        written = issuer.publish_status(out, valid_until=until)
        written.update(issuer.publish_documents(out))
    if as_json:
        typer.echo(json.dumps({url: str(path) for url, path in written.items()}, indent=2))
        return
    if not written:
        typer.echo("nothing to publish yet: no credential has been issued")
    for url, path in written.items():
        typer.echo(f"{path}  ->  {url}")


ledger_app = typer.Typer(help="The ledger: list what was issued, back it up, check it.")
app.add_typer(ledger_app, name="ledger", rich_help_panel="Issue")


@ledger_app.callback(invoke_without_command=True)
def ledger(
    ctx: typer.Context,
    issuer_dir: Annotated[Path | None, typer.Option(
        "--issuer", "-i", envvar="MCBADGE_ISSUER", help="The issuer workspace.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    history: Annotated[str | None, typer.Option(
        "--history", metavar="ID", help="Show one credential's status changes.")] = None,
) -> None:
    """List the credentials the issuer has issued, with their status (`mcbadge ledger -i DIR`);
    `backup` and `check` below."""
    if ctx.invoked_subcommand is not None:
        return
    if issuer_dir is None:
        fail("give the issuer workspace with -i DIR (or MCBADGE_ISSUER)")
    with _open(issuer_dir) as issuer:
        if history is not None:
            record = issuer.record(history)
            if record is None:
                fail(f"no credential {history} in the ledger")
            for change in issuer.history(history):
                line = {"purpose": change.purpose, "value": change.value, "at": change.at,
                        "actor": change.actor, "reason": change.reason}
                typer.echo(json.dumps(line) if as_json else
                           f"{change.at}  {change.purpose}={change.value}  by {change.actor}: "
                           f"{change.reason or ''}")
            return
        for record in issuer.ledger.records():
            state = "revoked" if record.revoked else "suspended" if record.suspended else "valid"
            if as_json:
                typer.echo(json.dumps({
                    "id": record.id, "recipient": record.recipient,
                    "achievement": record.achievement_id, "issuedAt": record.issued_at,
                    "status": state, "key": record.idempotency_key,
                }))
            else:
                typer.echo(f"{record.issued_at}  {record.id}  {state:9}  {record.recipient}  "
                           f"{record.achievement_id}")


def _sqlite_ledger(issuer_dir: Path) -> Any:
    from mcbadge.issuing._issuer import LEDGER_FILE
    from mcbadge.issuing._ledger import SQLiteLedger

    return SQLiteLedger(issuer_dir / LEDGER_FILE)


def _workspace_ledger(issuer_dir: Path) -> Any:
    """The workspace's ledger, SQLite or PostgreSQL, opened as the issuer opens it."""
    from mcbadge.issuing import Issuer

    return Issuer.open(issuer_dir).ledger


@ledger_app.command("migrate")
def ledger_migrate(
    issuer_dir: IssuerDir,
    to: Annotated[str, typer.Option("--to", metavar="postgresql://USER@HOST/DB",
                                    help="An empty PostgreSQL database.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Copy the SQLite ledger (with the programs', stacks' and deliveries' tables) into
    PostgreSQL, check every table's row count and digest, then switch the workspace to it."""
    from mcbadge._private.pg_url import redact
    from mcbadge.issuing._migrate import migrate_to_postgres

    report = migrate_to_postgres(issuer_dir, to)
    if as_json:
        typer.echo(json.dumps({"ledger": redact(to), "tables": report}, indent=2))
        return
    for table, facts in report.items():
        typer.echo(f"{table:22} {facts['rows']:>9} rows  sha256-sum {facts['sha256'][:16]}...")
    note(f"copied and checked; {issuer_dir} now keeps its ledger in {redact(to)} (the SQLite "
         "file is kept as ledger-before-postgresql.sqlite3)")


@ledger_app.command("backup")
def ledger_backup(
    issuer_dir: IssuerDir,
    destination: Annotated[Path, typer.Argument(help="A new file for the copy (made 0600).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Copy the ledger consistently (SQLite's online backup: issuing may go on meanwhile)."""
    from mcbadge.issuing import Issuer
    from mcbadge.issuing._ledger import SQLiteLedger

    with Issuer.open(issuer_dir) as workspace:
        on_postgres = bool(workspace.config.get("ledger"))
    if on_postgres:
        fail("this workspace keeps its ledger in PostgreSQL: back it up with pg_dump "
             "(docs/deploying.md)")

    with _sqlite_ledger(issuer_dir) as store:
        target = store.backup(destination)
    with SQLiteLedger(target) as copy:  # the copy opens as a ledger and checks out
        report = copy.check()
    if as_json:
        typer.echo(json.dumps({"backup": str(target), **report}))
    else:
        note(f"backed up to {target}: {report['issued']} issued, "
             f"{report['status_changes']} status changes")


@ledger_app.command("check")
def ledger_check(
    issuer_dir: IssuerDir,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Check the ledger in full (SQLite integrity check, foreign keys; PostgreSQL: the
    counts and orphan entries); exit 1 if damaged."""
    with _workspace_ledger(issuer_dir) as store:
        report = store.check()
    if as_json:
        typer.echo(json.dumps(report))
    else:
        state = "ok" if report["ok"] else "DAMAGED: " + "; ".join(report["problems"][:3])
        typer.echo(f"ledger {state}: {report['issued']} issued, {report['reserved']} reserved, "
                   f"{report['status_changes']} status changes, {report['status_lists']} "
                   f"status lists, schema {report['schema_version']}")
    if not report["ok"]:
        raise typer.Exit(EXIT_INVALID)
