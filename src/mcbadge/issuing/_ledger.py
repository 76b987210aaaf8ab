"""The issuer's ledger: every credential issued and every status change, committed before the
issuer reports it done.

:class:`Ledger` is the interface the issuer talks to; :class:`SQLiteLedger` is the embedded
default (one file in the workspace, WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` so several
processes may write at once). A PostgreSQL ledger implements the same methods.

A credential goes through two states. ``reserve`` gives it an id and its status indexes
(random, never reused: the pair (list, index) is a primary key) in one transaction;
``record_issued`` stores the signed document in a second. A reservation whose signing never
finished (the process was killed) is found again by its idempotency key and completed with
the same id and indexes, so a re-run neither issues twice nor burns indexes.
"""

from __future__ import annotations

import functools
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mcbadge.errors import LedgerError

__all__ = [
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerRecord",
    "Reservation",
    "SQLiteLedger",
    "StatusChange",
    "StatusEntry",
    "StatusListInfo",
]

PURPOSES = ("revocation", "suspension")

ListUrl = Callable[[str, int], str]
"""``list_url(purpose, n)``: the URL of the ``n``-th status list (1, 2, ...) of a purpose."""


def utc_now() -> str:
    """Now, UTC, to the second, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Reservation:
    """What ``reserve`` is asked for: one credential to be."""

    recipient: str
    achievement_id: str
    idempotency_key: str | None = None
    purposes: tuple[str, ...] = ("revocation",)
    credential_id: str | None = None
    """The credential's own id (a credential built by the caller); default: a new urn:uuid."""


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A credential's place in one status list."""

    purpose: str
    list_url: str
    index: int
    value: int = 0


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One credential in the ledger. ``document`` is the signed JSON text once issued."""

    id: str
    recipient: str
    achievement_id: str
    idempotency_key: str | None
    state: str
    """``reserved`` (id and indexes allocated, not yet signed) or ``issued``."""
    reserved_at: str
    issued_at: str | None
    document: str | None
    statuses: tuple[StatusEntry, ...] = field(default=())

    @property
    def issued(self) -> bool:
        return self.state == "issued"

    def status(self, purpose: str) -> StatusEntry | None:
        return next((s for s in self.statuses if s.purpose == purpose), None)

    @property
    def revoked(self) -> bool:
        entry = self.status("revocation")
        return entry is not None and entry.value != 0

    @property
    def suspended(self) -> bool:
        entry = self.status("suspension")
        return entry is not None and entry.value != 0


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One status change, as the ledger keeps it (who, when, why)."""

    credential_id: str
    purpose: str
    value: int
    reason: str | None
    actor: str | None
    at: str


@dataclass(frozen=True, slots=True)
class StatusListInfo:
    """A status list the issuer hosts: its URL, purpose, size and the indexes set in it."""

    url: str
    purpose: str
    size: int
    set_indexes: tuple[int, ...]
    allocated: int


class Ledger(Protocol):
    """What the issuer needs from a store. Every method commits before it returns."""

    def reserve(self, requests: Sequence[Reservation]) -> list[LedgerRecord]:
        """For each request: the existing record for its idempotency key, or a new reserved
        one with a fresh id and a random unused index in a list of each purpose."""
        ...

    def record_issued(self, issued: Sequence[tuple[str, str]]) -> set[str]:
        """Store ``(credential id, signed JSON)`` pairs for reserved credentials; returns the
        ids stored (one another writer completed first is left as that writer stored it)."""
        ...

    def record_and_reserve(self, issued: Sequence[tuple[str, str]],
                           requests: Sequence[Reservation]
                           ) -> tuple[set[str], list[LedgerRecord]]:
        """:meth:`record_issued` then :meth:`reserve`, in one transaction (one commit: bulk
        runs record a chunk and reserve the next together); both or neither."""
        ...

    def set_status(
        self, credential_id: str, purpose: str, value: int, *, reason: str | None,
        actor: str | None,
    ) -> bool:
        """Set a credential's status bit; False when it already had that value."""
        ...

    def get(self, credential_id: str) -> LedgerRecord | None: ...

    def find(self, idempotency_key: str) -> LedgerRecord | None: ...

    def find_many(self, idempotency_keys: Sequence[str]) -> dict[str, LedgerRecord]: ...

    def documents(self, idempotency_keys: Sequence[str]) -> dict[str, str]:
        """The signed JSON of the issued credentials with these keys, by key."""
        ...

    def records(self, *, state: str | None = "issued") -> Iterator[LedgerRecord]: ...

    def records_of(self, recipient: str) -> list[LedgerRecord]:
        """The issued credentials of one recipient (as ``reserve`` recorded it)."""
        ...

    def count(self, state: str | None = "issued") -> int: ...

    def history(self, credential_id: str) -> list[StatusChange]: ...

    def status_lists(self) -> list[StatusListInfo]: ...

    def close(self) -> None: ...


def check_reservations(requests: Sequence[Reservation]) -> list[str]:
    """The idempotency keys of ``requests``, once each checked (no key twice, known
    purposes only): what every backend's ``reserve`` refuses before it writes."""
    keys = [r.idempotency_key for r in requests if r.idempotency_key is not None]
    if len(set(keys)) != len(keys):
        raise LedgerError("the same idempotency key appears twice in one reservation")
    for request in requests:
        for purpose in request.purposes:
            if purpose not in PURPOSES:
                raise LedgerError(f"unknown status purpose {purpose!r}")
    return keys


def plan_reservations(
    requests: Sequence[Reservation], existing: dict[str, LedgerRecord],
    id_taken: Callable[[str], bool], allocate: Callable[[str], tuple[int, str, int]],
    now: str,
) -> tuple[list[LedgerRecord], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Inside a backend's reservation transaction: the records to return, and the
    ``credentials`` and ``status_entries`` rows to insert (``allocate(purpose)`` draws one
    index: ``(list seq, list url, index)``)."""
    out: list[LedgerRecord] = []
    credentials: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    for request in requests:
        key = request.idempotency_key
        if key is not None and key in existing:
            out.append(existing[key])
            continue
        cid = request.credential_id or f"urn:uuid:{uuid.uuid4()}"
        if request.credential_id is not None and id_taken(cid):
            raise LedgerError(f"a credential with id {cid!r:.200} is already in the "
                              "ledger; give each credential a new id", "ID_CONFLICT")
        credentials.append((cid, key, request.recipient, request.achievement_id, now))
        statuses = []
        for purpose in request.purposes:
            seq, url, index = allocate(purpose)
            entries.append((seq, index, cid, purpose))
            statuses.append(StatusEntry(purpose, url, index))
        out.append(LedgerRecord(cid, request.recipient, request.achievement_id, key,
                                "reserved", now, None, None, tuple(statuses)))
    return out, credentials, entries


def per_list_counts(entries: Sequence[tuple[Any, ...]]) -> list[tuple[int, int]]:
    """``(count, list seq)`` for each list the new entries fall in."""
    per_list: dict[int, int] = {}
    for seq, *_ in entries:
        per_list[seq] = per_list.get(seq, 0) + 1
    return [(n, seq) for seq, n in per_list.items()]


# --------------------------------------------------------------------------- SQLite

SCHEMA_VERSION = 3

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE status_lists (
        seq        INTEGER PRIMARY KEY,
        purpose    TEXT NOT NULL CHECK (purpose IN ('revocation', 'suspension')),
        url        TEXT NOT NULL UNIQUE,
        size       INTEGER NOT NULL CHECK (size > 0),
        created_at TEXT NOT NULL
    );
    CREATE TABLE credentials (
        id              TEXT PRIMARY KEY,
        idempotency_key TEXT UNIQUE,
        recipient       TEXT NOT NULL,
        achievement_id  TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('reserved', 'issued')),
        reserved_at     TEXT NOT NULL,
        issued_at       TEXT,
        document        TEXT,
        CHECK ((state = 'issued') = (document IS NOT NULL))
    );
    CREATE TABLE status_entries (
        list_seq      INTEGER NOT NULL REFERENCES status_lists (seq),
        idx           INTEGER NOT NULL CHECK (idx >= 0),
        credential_id TEXT NOT NULL REFERENCES credentials (id),
        purpose       TEXT NOT NULL,
        value         INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (list_seq, idx),
        UNIQUE (credential_id, purpose)
    );
    CREATE TABLE status_events (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        credential_id TEXT NOT NULL REFERENCES credentials (id),
        purpose       TEXT NOT NULL,
        value         INTEGER NOT NULL,
        reason        TEXT,
        actor         TEXT,
        at            TEXT NOT NULL
    );
    CREATE INDEX credentials_by_state ON credentials (state);
    CREATE INDEX events_by_credential ON status_events (credential_id);
    """,
    # publishing reads only the set entries (a partial index), and each list's allocated
    # count is kept with the list: both flat however large the ledger grows
    2: """
    ALTER TABLE status_lists ADD COLUMN allocated INTEGER NOT NULL DEFAULT 0;
    UPDATE status_lists SET allocated =
        (SELECT count(*) FROM status_entries e WHERE e.list_seq = status_lists.seq);
    CREATE INDEX status_entries_set ON status_entries (list_seq, idx) WHERE value != 0;
    """,
    # stacks and the CLR read one recipient's credentials
    3: """
    CREATE INDEX credentials_by_recipient ON credentials (recipient, state);
    """,
}
"""Schema migrations: version -> SQL taking the schema from version - 1 to version."""



_F = TypeVar("_F", bound=Callable[..., Any])


def _locked(method: _F) -> _F:
    """Run ``method`` holding the ledger's lock: one SQLite connection, many threads."""

    @functools.wraps(method)
    def wrapper(self: SQLiteLedger, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


QUICK_CHECK_BYTES = 64 * 1024 * 1024
"""Ledgers up to this size get ``PRAGMA quick_check`` on every open (about 40 ms at the
bound; 0.24 s at 100,000 credentials, 420 MB, measured); larger ones rely on the header
checks, SQLite's own page checks, and ``mcbadge ledger check``."""

APPLICATION_ID = 0x6D636267
"""``PRAGMA application_id`` of an mcbadge ledger ("mcbg"): a foreign SQLite file is refused."""
_SQLITE_HEADER = b"SQLite format 3\x00"
_RESTORE = "restore it from a backup (`mcbadge ledger backup` makes one)"


def _refuse(path: Path, what: str) -> LedgerError:
    return LedgerError(f"ledger {path} {what}; nothing was written: {_RESTORE}", "LEDGER_DAMAGED")


def check_ledger_file(path: Path) -> None:
    """Refuse, before SQLite opens it, a ledger file that is missing, empty, truncated or not
    an SQLite database (cheap: the 100-byte header and the file's size)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        raise _refuse(path, "is missing") from None
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger {path}: {exc.strerror or exc}",
                          "LEDGER_DAMAGED") from None
    if size == 0:
        raise _refuse(path, "is empty (0 bytes)")
    if len(header) < 100 or not header.startswith(_SQLITE_HEADER):
        raise _refuse(path, "is not an SQLite database (damaged, or a different file)")
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(header[28:32], "big")
    # the size in the header counts only when it is current (its "valid for" number is the
    # change counter) and no write-ahead log holds newer pages (a checkpoint cut short by a
    # full disk leaves the file shorter than the header says, and the WAL makes it whole)
    wal = path.with_name(path.name + "-wal")
    current = header[92:96] == header[24:28] and not (wal.exists() and wal.stat().st_size)
    if page < 512 or size % page or (current and pages and size < pages * page):
        raise _refuse(path, f"is truncated ({size} bytes; the header says "
                      f"{pages} pages of {page})")


class SQLiteLedger:
    """The embedded ledger: one SQLite file.

    ``list_url(purpose, n)`` names the ``n``-th list of a purpose (1, 2, ...);
    ``list_size`` entries each (131,072 by default, W3C's floor); a list takes new
    credentials until ``max_fill`` of it is allocated, then the next one is opened.

    ``create=True`` makes a new ledger (the file must not exist; it is made 0600, and SQLite
    gives its ``-wal`` and ``-shm`` files the same mode). Otherwise the file must be an
    mcbadge ledger: a missing, empty, truncated, corrupted or foreign file, or one of a
    newer schema, is a :class:`~mcbadge.errors.LedgerError` and nothing is written.

    One ledger object may be shared by threads (a lock serialises its connection); several
    processes may write to one file at once (WAL, ``BEGIN IMMEDIATE``, a busy timeout).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        list_url: ListUrl | None = None,
        list_size: int = 131_072,
        max_fill: float = 0.75,
        timeout: float = 60.0,
        create: bool = False,
    ) -> None:
        self.path = Path(path)
        self._list_url = list_url
        self.list_size = list_size
        self.max_fill = max_fill
        self._lock = threading.RLock()
        if create:
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                raise LedgerError(f"ledger {self.path} already exists; open it instead",
                                  "LEDGER_EXISTS") from None
            except OSError as exc:
                raise LedgerError(f"cannot create the ledger {self.path}: "
                                  f"{exc.strerror or exc}") from None
        else:
            check_ledger_file(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the ledger {self.path}: {exc}") from None
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if not create:
                self._check_open()
            self._retry(lambda: self._db.execute("PRAGMA journal_mode = WAL"))
            self._db.execute("PRAGMA synchronous = FULL")
            self._used_cache: dict[int, set[int]] = {}
            self._seen_rowid: dict[str, int] = {}
            self._fresh: set[int] = set()
            self._current: dict[str, tuple[int, str, int]] = {}  # within one transaction
            self._migrate(create)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise _refuse(self.path, f"cannot be read ({exc})") from None
        except BaseException:
            self._db.close()
            raise

    def _check_open(self) -> None:
        """An existing file: ours, of a schema this mcbadge knows, and not corrupted."""
        app = self._db.execute("PRAGMA application_id").fetchone()[0]
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app not in (0, APPLICATION_ID) or (app == 0 and "credentials" not in tables):
            raise _refuse(self.path, "is an SQLite database, but not an mcbadge ledger")
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger {self.path} has schema version {version}; this mcbadge knows up to "
                f"{SCHEMA_VERSION}: upgrade mcbadge (nothing was written)", "LEDGER_NEWER")
        if version < 1 or not {"credentials", "status_lists", "status_entries",
                               "status_events"} <= tables:
            raise _refuse(self.path, "lacks the ledger's tables")
        if self.path.stat().st_size <= QUICK_CHECK_BYTES:
            problems = [r[0] for r in self._db.execute("PRAGMA quick_check(5)")]
            if problems != ["ok"]:
                raise _refuse(self.path, f"is corrupted ({problems[0]})")

    # -- plumbing --------------------------------------------------------------------

    def _retry(self, fn: Any) -> Any:
        for attempt in range(50):
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise LedgerError(f"ledger {self.path}: {exc}") from None
                time.sleep(0.05)
        raise AssertionError("unreachable")

    def _tx(self) -> _Transaction:
        return _Transaction(self)

    def _migrate(self, create: bool = False) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise LedgerError(
                    f"ledger {self.path} has schema version {version}; this mcbadge knows up "
                    f"to {SCHEMA_VERSION}: upgrade mcbadge", "LEDGER_NEWER"
                )
            if create or db.execute("PRAGMA application_id").fetchone()[0] == 0:
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target}")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @_locked
    def backup(self, destination: str | Path) -> Path:
        """A consistent copy of the ledger at ``destination`` (SQLite's online backup: other
        writers may go on), made 0600; the file must not exist yet."""
        target = Path(destination)
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            raise LedgerError(f"{target} already exists; choose a new file",
                              "LEDGER_EXISTS") from None
        except OSError as exc:
            raise LedgerError(f"cannot create {target}: {exc.strerror or exc}") from None
        copy = sqlite3.connect(target)
        try:
            self._db.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        except sqlite3.Error as exc:
            copy.close()
            target.unlink(missing_ok=True)
            raise LedgerError(f"backup to {target} failed: {exc}") from None
        copy.close()
        return target

    @_locked
    def check(self) -> dict[str, Any]:
        """A full integrity check (``PRAGMA integrity_check``, foreign keys) and the counts:
        ``{"ok": bool, "problems": [...], "issued": n, "reserved": n, "status_changes": n,
        "status_lists": n, "schema_version": n}``."""
        problems = [r[0] for r in self._db.execute("PRAGMA integrity_check(20)")]
        problems = [] if problems == ["ok"] else problems
        problems += [f"foreign key: {row}" for row in
                     self._db.execute("PRAGMA foreign_key_check").fetchall()[:20]]
        one = self._db.execute
        return {
            "ok": not problems, "problems": problems,
            "issued": one("SELECT count(*) FROM credentials WHERE state = 'issued'")
            .fetchone()[0],
            "reserved": one("SELECT count(*) FROM credentials WHERE state = 'reserved'")
            .fetchone()[0],
            "status_changes": one("SELECT count(*) FROM status_events").fetchone()[0],
            "status_lists": one("SELECT count(*) FROM status_lists").fetchone()[0],
            "schema_version": one("PRAGMA user_version").fetchone()[0],
        }

    @_locked
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SQLiteLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------

    _SELECT = (
        "SELECT id, recipient, achievement_id, idempotency_key, state, reserved_at, "
        "issued_at, document FROM credentials"
    )

    def _statuses(self, ids: Sequence[str]) -> dict[str, list[StatusEntry]]:
        out: dict[str, list[StatusEntry]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT e.credential_id, e.purpose, l.url, e.idx, e.value FROM status_entries e "  # noqa: S608
                f"JOIN status_lists l ON l.seq = e.list_seq WHERE e.credential_id IN ({marks}) "
                "ORDER BY e.purpose",
                chunk,
            )
            for cid, purpose, url, idx, value in rows:
                out.setdefault(cid, []).append(StatusEntry(purpose, url, idx, value))
        return out

    def _records(self, rows: Iterable[tuple[Any, ...]]) -> list[LedgerRecord]:
        rows = list(rows)
        statuses = self._statuses([r[0] for r in rows])
        return [
            LedgerRecord(id=r[0], recipient=r[1], achievement_id=r[2], idempotency_key=r[3],
                         state=r[4], reserved_at=r[5], issued_at=r[6], document=r[7],
                         statuses=tuple(statuses.get(r[0], ())))
            for r in rows
        ]

    @_locked
    def get(self, credential_id: str) -> LedgerRecord | None:
        rows = self._db.execute(f"{self._SELECT} WHERE id = ?", (credential_id,))
        found = self._records(rows)
        return found[0] if found else None

    def find(self, idempotency_key: str) -> LedgerRecord | None:
        return self.find_many([idempotency_key]).get(idempotency_key)

    @_locked
    def find_many(self, idempotency_keys: Sequence[str]) -> dict[str, LedgerRecord]:
        out: dict[str, LedgerRecord] = {}
        keys = list(idempotency_keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self._db.execute(
                f"{self._SELECT} WHERE idempotency_key IN ({','.join('?' * len(chunk))})", chunk
            )
            for record in self._records(rows):
                assert record.idempotency_key is not None
                out[record.idempotency_key] = record
        return out

    @_locked
    def documents(self, idempotency_keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        keys = list(idempotency_keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            # by the unique key's index alone ("+state": the planner would otherwise walk
            # the state index, every issued credential, for each batch)
            rows = self._db.execute(
                "SELECT idempotency_key, document FROM credentials "  # noqa: S608
                f"WHERE idempotency_key IN ({marks}) AND +state = 'issued'", chunk,
            )
            out.update(rows)
        return out

    def records(self, *, state: str | None = "issued") -> Iterator[LedgerRecord]:
        """Every record (issued ones by default), oldest first, read in pages."""
        last = -1
        columns = self._SELECT.removeprefix("SELECT ").removesuffix(" FROM credentials")
        where = " AND +state = ?" if state else ""  # walk by rowid, never the state index
        sql = (f"SELECT rowid, {columns} FROM credentials WHERE rowid > ?{where} "  # noqa: S608
               "ORDER BY rowid LIMIT 500")
        while True:
            params: tuple[Any, ...] = (last, state) if state else (last,)
            with self._lock:
                rows = self._db.execute(sql, params).fetchall()
                if not rows:
                    return
                page = self._records(r[1:] for r in rows)
            last = rows[-1][0]
            yield from page

    @_locked
    def records_of(self, recipient: str) -> list[LedgerRecord]:
        rows = self._db.execute(f"{self._SELECT} WHERE recipient = ? AND state = 'issued' "
                                "ORDER BY issued_at, rowid", (recipient,))
        return self._records(rows.fetchall())

    @_locked
    def count(self, state: str | None = "issued") -> int:
        if state is None:
            return int(self._db.execute("SELECT count(*) FROM credentials").fetchone()[0])
        return int(self._db.execute(
            "SELECT count(*) FROM credentials WHERE state = ?", (state,)
        ).fetchone()[0])

    @_locked
    def history(self, credential_id: str) -> list[StatusChange]:
        rows = self._db.execute(
            "SELECT credential_id, purpose, value, reason, actor, at FROM status_events "
            "WHERE credential_id = ? ORDER BY seq", (credential_id,)
        )
        return [StatusChange(*row) for row in rows]

    @_locked
    def status_lists(self) -> list[StatusListInfo]:
        out = []
        for seq, purpose, url, size, allocated in self._db.execute(
            "SELECT seq, purpose, url, size, allocated FROM status_lists ORDER BY seq"
        ).fetchall():
            set_rows = self._db.execute(
                "SELECT idx FROM status_entries INDEXED BY status_entries_set "
                "WHERE list_seq = ? AND value != 0 ORDER BY idx", (seq,),
            ).fetchall()
            out.append(StatusListInfo(url, purpose, size, tuple(r[0] for r in set_rows),
                                      allocated))
        return out

    # -- writing ---------------------------------------------------------------------

    @_locked
    def reserve(self, requests: Sequence[Reservation]) -> list[LedgerRecord]:
        keys = check_reservations(requests)
        now = utc_now()
        with self._tx() as db:
            out = self._reserve(db, requests, keys, now)
        self._fresh.clear()
        self._current.clear()
        return out

    @_locked
    def record_and_reserve(self, issued: Sequence[tuple[str, str]],
                           requests: Sequence[Reservation]
                           ) -> tuple[set[str], list[LedgerRecord]]:
        keys = check_reservations(requests)
        now = utc_now()
        with self._tx() as db:
            stored = self._record(db, issued, now)
            out = self._reserve(db, requests, keys, now)
        self._fresh.clear()
        self._current.clear()
        return stored, out

    def _reserve(self, db: sqlite3.Connection, requests: Sequence[Reservation],
                 keys: list[str], now: str) -> list[LedgerRecord]:
        existing = self.find_many(keys) if keys else {}
        out, credentials, entries = plan_reservations(
            requests, existing,
            lambda cid: db.execute("SELECT 1 FROM credentials WHERE id = ?",
                                   (cid,)).fetchone() is not None,
            lambda purpose: self._allocate(db, purpose), now)
        db.executemany(
            "INSERT INTO credentials (id, idempotency_key, recipient, achievement_id, "
            "state, reserved_at) VALUES (?, ?, ?, ?, 'reserved', ?)", credentials,
        )
        db.executemany(
            "INSERT INTO status_entries (list_seq, idx, credential_id, purpose) "
            "VALUES (?, ?, ?, ?)", entries,
        )
        db.executemany("UPDATE status_lists SET allocated = allocated + ? WHERE seq = ?",
                       per_list_counts(entries))
        return out

    def _forget_allocations(self) -> None:
        """After a rollback the cache may hold indexes that were never stored."""
        self._used_cache.clear()
        self._seen_rowid.clear()
        self._fresh.clear()
        self._current.clear()

    def _used(self, db: sqlite3.Connection, seq: int) -> set[int]:
        """The indexes allocated in list ``seq``: loaded once, then brought up to date once
        per transaction (no other writer can add any while this one holds the write lock)
        by reading only the entries added since (a rowid range, not the whole list)."""
        if seq not in self._used_cache:
            rows = db.execute("SELECT idx FROM status_entries WHERE list_seq = ?",
                              (seq,)).fetchall()
            self._used_cache[seq] = {r[0] for r in rows}
            self._fresh.add(seq)
            if "last" not in self._seen_rowid:
                top = db.execute("SELECT max(rowid) FROM status_entries").fetchone()[0]
                self._seen_rowid["last"] = top or 0
        if seq not in self._fresh:
            last = self._seen_rowid.get("last", 0)
            for rowid, list_seq, idx in db.execute(
                "SELECT rowid, list_seq, idx FROM status_entries WHERE rowid > ?", (last,)
            ):
                known = self._used_cache.get(list_seq)
                if known is not None:
                    known.add(idx)
                last = max(last, rowid)
            self._seen_rowid["last"] = last
            self._fresh.update(self._used_cache)
        return self._used_cache[seq]

    def _allocate(self, db: sqlite3.Connection, purpose: str) -> tuple[int, str, int]:
        """A random index never allocated before, in the current list of ``purpose`` (a new
        list when that one is ``max_fill`` full)."""
        row = self._current.get(purpose)
        if row is None:
            row = db.execute(
                "SELECT seq, url, size FROM status_lists WHERE purpose = ? "
                "ORDER BY seq DESC LIMIT 1", (purpose,),
            ).fetchone()
        if row is None or len(self._used(db, row[0])) >= int(row[2] * self.max_fill):
            if row is not None:  # that list takes no more: its indexes need not be kept
                self._used_cache.pop(row[0], None)
            if self._list_url is None:
                raise LedgerError("this ledger was opened without a status list URL scheme")
            number = 1 + db.execute(
                "SELECT count(*) FROM status_lists WHERE purpose = ?", (purpose,)
            ).fetchone()[0]
            url = self._list_url(purpose, number)
            cursor = db.execute(
                "INSERT INTO status_lists (purpose, url, size, created_at) VALUES (?, ?, ?, ?)",
                (purpose, url, self.list_size, utc_now()),
            )
            assert cursor.lastrowid is not None
            row = (cursor.lastrowid, url, self.list_size)
        self._current[purpose] = row
        seq, url, size = row
        used = self._used(db, seq)
        while True:
            index = secrets.randbelow(size)
            if index not in used:
                used.add(index)
                return seq, url, index

    @_locked
    def record_issued(self, issued: Sequence[tuple[str, str]]) -> set[str]:
        now = utc_now()
        with self._tx() as db:
            return self._record(db, issued, now)

    @staticmethod
    def _record(db: sqlite3.Connection, issued: Sequence[tuple[str, str]], now: str
                ) -> set[str]:
        update = ("UPDATE credentials SET state = 'issued', document = ?, issued_at = ? "
                  "WHERE id = ? AND state = 'reserved'")
        cursor = db.executemany(update, [(doc, now, cid) for cid, doc in issued])
        if cursor.rowcount == len(issued):
            return {cid for cid, _ in issued}
        # some were completed by another writer first (or are not ours): sort them out
        stored = set()
        for cid, _document in issued:
            row = db.execute("SELECT issued_at, document FROM credentials WHERE id = ?",
                             (cid,)).fetchone()
            if row is None:
                raise LedgerError(f"{cid} is not a credential of this ledger", "NOT_FOUND")
            if row[0] == now and row[1] == _document:
                stored.add(cid)
        return stored

    @_locked
    def set_status(
        self, credential_id: str, purpose: str, value: int, *, reason: str | None = None,
        actor: str | None = None,
    ) -> bool:
        with self._tx() as db:
            row = db.execute(
                "SELECT c.state, e.value FROM credentials c LEFT JOIN status_entries e "
                "ON e.credential_id = c.id AND e.purpose = ? WHERE c.id = ?",
                (purpose, credential_id),
            ).fetchone()
            if row is None:
                raise LedgerError(f"no credential {credential_id} in the ledger", "NOT_FOUND")
            state, current = row
            if state != "issued":
                raise LedgerError(f"{credential_id} was never issued", "NOT_ISSUED")
            if current is None:
                raise LedgerError(
                    f"{credential_id} has no {purpose} status entry"
                    + (" (issue with suspendable=True to allow suspension)"
                       if purpose == "suspension" else ""),
                    "NO_STATUS_ENTRY",
                )
            if current == value:
                return False
            db.execute(
                "UPDATE status_entries SET value = ? WHERE credential_id = ? AND purpose = ?",
                (value, credential_id, purpose),
            )
            db.execute(
                "INSERT INTO status_events (credential_id, purpose, value, reason, actor, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (credential_id, purpose, value, reason, actor, utc_now()),
            )
            return True


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error); waits for other writers."""

    def __init__(self, ledger: SQLiteLedger) -> None:
        self.ledger = ledger

    def __enter__(self) -> sqlite3.Connection:
        db = self.ledger._db
        self.ledger._retry(lambda: db.execute("BEGIN IMMEDIATE"))
        return db

    def __exit__(self, kind: type[BaseException] | None, exc: object, tb: object) -> None:
        db = self.ledger._db
        if kind is None:
            try:
                self.ledger._retry(lambda: db.execute("COMMIT"))
            except BaseException as failed:
                self._rollback(db)
                if isinstance(failed, LedgerError):
                    raise LedgerError(
                        f"{failed.message} (nothing of this change was recorded)") from None
                raise
        else:
            self._rollback(db)
            if isinstance(exc, sqlite3.Error):
                raise LedgerError(f"ledger {self.ledger.path}: {exc} (nothing of this change "
                                  "was recorded)") from None

    def _rollback(self, db: sqlite3.Connection) -> None:
        """Undo the transaction, if SQLite has not already (it rolls back by itself when
        the disk is full or an I/O error strikes), and forget cached allocations."""
        try:
            if db.in_transaction:
                db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self.ledger._forget_allocations()
