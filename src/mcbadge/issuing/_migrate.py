"""``mcbadge ledger migrate --to postgresql://...``: a workspace's SQLite ledger (and the
programs', stacks' and deliveries' tables beside it) copied into an empty PostgreSQL
database in one transaction, then checked table by table: the row counts and an
order-independent digest of every row (the sum, mod 2**256, of each row's SHA-256) must be
equal on both sides, or the copy is rolled back and the workspace is left as it was.

On success the workspace's config names the PostgreSQL ledger (its URL without the
password) and the SQLite file is renamed ``ledger-before-postgresql.sqlite3``, so no one
goes on writing to it by mistake."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mcbadge.errors import IssuingError, LedgerError

LEDGER_TABLES = ("status_lists", "credentials", "status_entries", "status_events")
SIDE_TABLES = ("program_definitions", "program_submissions", "program_assignments",
               "program_reviews", "program_unlocks", "program_audit", "stack_definitions",
               "stack_awards", "delivery_claims", "delivery_pages", "delivery_log",
               "delivery_exchanges", "delivery_grants")
"""In an order that respects their foreign keys."""
_ROWID_AS_SEQ = {"credentials", "status_entries"}
"""Tables whose PostgreSQL ``seq`` (the order of insertion) is SQLite's rowid."""
BATCH = 1000


def _side_schemas() -> str:
    from mcbadge import delivery, stacks
    from mcbadge.delivery import _wallet
    from mcbadge.programs import _workflow

    return _workflow._SCHEMA + stacks._SCHEMA + delivery._SCHEMA + _wallet.WALLET_SCHEMA


class _Digest:
    def __init__(self) -> None:
        self.rows = 0
        self.total = 0

    def add(self, row: Iterable[Any]) -> None:
        text = json.dumps(list(row), ensure_ascii=False, separators=(",", ":"))
        self.total = (self.total + int.from_bytes(hashlib.sha256(text.encode()).digest(),
                                                  "big")) % (1 << 256)
        self.rows += 1

    def hex(self) -> str:
        return f"{self.total:064x}"


def migrate_to_postgres(workspace: str | Path, url: str) -> dict[str, dict[str, Any]]:
    """Copy the workspace's SQLite ledger into the empty PostgreSQL database at ``url`` and
    switch the workspace to it; returns ``{table: {"rows": n, "sha256": digest}}``."""
    from mcbadge._private.pg import Connection, PgSideTables
    from mcbadge._private.pg_url import is_postgres_url, redact, strip_password
    from mcbadge.issuing._issuer import CONFIG, LEDGER_FILE, _write_json
    from mcbadge.issuing._ledger import SQLiteLedger
    from mcbadge.issuing._postgres import MIGRATE_LOCK, PostgresLedger

    root = Path(workspace)
    if not is_postgres_url(url):
        raise LedgerError("--to is a postgresql:// URL")
    if not (root / CONFIG).is_file():
        raise IssuingError(f"{root} is not an issuer workspace (no {CONFIG}); create one "
                           "with `mcbadge init`", "WORKSPACE_ERROR")
    config = json.loads((root / CONFIG).read_text("utf-8"))
    if config.get("ledger"):
        raise LedgerError(f"{root} already keeps its ledger in {config['ledger']}")
    SQLiteLedger(root / LEDGER_FILE).close()  # an mcbadge ledger, current schema, sound
    source = sqlite3.connect(f"file:{root / LEDGER_FILE}?mode=ro", uri=True,
                             isolation_level=None)
    target = PostgresLedger(url, owner=str(config["id"]))
    report: dict[str, dict[str, Any]] = {}
    try:
        PgSideTables(target.pool, _side_schemas())
        source.execute("BEGIN")  # one snapshot of the SQLite file
        present = {r[0] for r in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        with target.pool.transaction(MIGRATE_LOCK) as db:
            row = db.execute("SELECT count(*) FROM credentials").fetchone()
            lists = db.execute("SELECT count(*) FROM status_lists").fetchone()
            if (row and row[0]) or (lists and lists[0]):
                raise LedgerError(f"{redact(url)} already holds a ledger; migrate into an "
                                  "empty database", "LEDGER_EXISTS")
            for table in (*LEDGER_TABLES, *SIDE_TABLES):
                if table in present:
                    report[table] = _copy(source, db, table)
            for table in ("status_lists", "credentials", "status_entries", "status_events",
                          "program_audit", "delivery_log"):
                db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'seq'), "  # noqa: S608
                           f"(SELECT COALESCE(max(seq), 0) + 1 FROM {table}), false)")
            for table, expected in report.items():
                seen = _digest_pg(db, table, _columns(source, table))
                if seen.rows != expected["rows"] or seen.hex() != expected["sha256"]:
                    raise LedgerError(f"the copy of {table} does not match ({seen.rows} rows, "
                                      f"expected {expected['rows']}); nothing was changed")
            assert isinstance(db, Connection)
        source.execute("ROLLBACK")
    finally:
        source.close()
        target.close()
    config["ledger"] = strip_password(url)
    _write_json(root / CONFIG, config)
    for suffix in ("", "-wal", "-shm"):
        old = root / (LEDGER_FILE + suffix)
        if old.exists():
            old.rename(root / f"ledger-before-postgresql.sqlite3{suffix}")
    return report


def _columns(source: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in source.execute(f"PRAGMA table_info({table})")]


def _copy(source: sqlite3.Connection, db: Any, table: str) -> dict[str, Any]:
    columns = _columns(source, table)
    select = ", ".join(columns)
    names = list(columns)
    if table in _ROWID_AS_SEQ:
        select = "rowid, " + select
        names = ["seq", *columns]
    insert = (f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
              f"VALUES ({', '.join('?' * len(names))})")
    digest = _Digest()
    cursor = source.execute(f"SELECT {select} FROM {table}")  # noqa: S608
    while True:
        rows = cursor.fetchmany(BATCH)
        if not rows:
            break
        db.executemany(insert, rows)
        offset = 1 if table in _ROWID_AS_SEQ else 0
        for row in rows:
            digest.add(row[offset:])
    return {"rows": digest.rows, "sha256": digest.hex()}


def _digest_pg(db: Any, table: str, columns: list[str]) -> _Digest:
    digest = _Digest()
    for row in db.execute(f"SELECT {', '.join(columns)} FROM {table}"):  # noqa: S608
        digest.add(row)
    return digest
