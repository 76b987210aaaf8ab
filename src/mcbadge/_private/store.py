"""Per-thread SQLite connections to a workspace's ledger file, for the tables programs and
stacks keep beside the ledger's own, and ``BEGIN IMMEDIATE`` transactions (one writer at a
time across threads and processes; a failure rolls everything back)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any


class SideTables:
    """Connections to ``path`` (one per thread) with ``schema`` created on first use."""

    def __init__(self, path: Path, schema: str, *, timeout: float = 60.0) -> None:
        self.path = path
        self._timeout = timeout
        self._local = threading.local()
        self.db().executescript(schema)

    def db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = FULL")
            self._local.db = db
        return db

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        db = self.db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def side_tables(issuer: Any, schema: str, *, timeout: float = 60.0) -> Any:
    """The side tables of ``issuer``'s workspace, wherever its ledger is: the SQLite file,
    or the PostgreSQL database of a :class:`~mcbadge.issuing.PostgresLedger` (its pool;
    the SQL is translated, writers serialised by an advisory lock)."""
    pool = getattr(issuer.ledger, "pool", None)
    if pool is not None:
        from mcbadge._private.pg import PgSideTables

        return PgSideTables(pool, schema)
    return SideTables(issuer.path / "ledger.sqlite3", schema, timeout=timeout)


class UsesSideTables:
    """For a class whose ``_tables`` is a :class:`SideTables`: the connection of this
    thread, a transaction, and closing."""

    _tables: SideTables

    def _db(self) -> sqlite3.Connection:
        return self._tables.db()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._tables.tx()

    def close(self) -> None:
        self._tables.close()
