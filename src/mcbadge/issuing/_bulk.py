"""Bulk issuance: one award to every row of a roster, across processes, resumable.

The parent process owns the ledger: it reserves each chunk of rows (ids and status indexes,
keyed by the row's idempotency key) in a transaction, hands the chunk to a worker process
to build and sign, records the signed credentials in a later transaction, and only then
writes the output files (atomically). A chunk's record and the next chunk's reservation
are one transaction (one fsync, ``Ledger.record_and_reserve``): what is durable when is
unchanged (a reservation before its chunk is signed, a record before its files are written).
Killed at any moment and run again, the rows already issued are skipped (their files
rewritten from the ledger if missing or different), reserved ones are completed with the
ids and indexes they already have, and the rest are issued.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import re
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcbadge._private.files import atomic_writer
from mcbadge._private.splice import sharing, written
from mcbadge.errors import IssuingError, MCBadgeError
from mcbadge.issuing._build import (
    CredentialTemplate,
    Recipient,
    iso_z,
    mandatory_pointers,
    status_entry_json,
)
from mcbadge.issuing._ledger import LedgerRecord, Reservation, utc_now
from mcbadge.issuing._roster import (
    RosterFormat,
    RosterRow,
    RowError,
    check_roster_text,
    iter_roster,
    parse_row,
)
from mcbadge.jsonld._canon import remembering_subtrees
from mcbadge.keys import Ed25519Key, JwtKey, load_key
from mcbadge.models import Achievement
from mcbadge.proofs import sign

if TYPE_CHECKING:
    from mcbadge.issuing._issuer import Issuer

__all__ = ["BulkSummary", "issue_many"]

Progress = Callable[[int, int], None]
"""``progress(done, total)``: rows finished (issued, already issued or failed) so far."""


@dataclass(slots=True)
class BulkSummary:
    """What a bulk run did."""

    total: int = 0
    """Rows in the roster (good and bad)."""
    issued: int = 0
    """Credentials issued by this run."""
    existing: int = 0
    """Rows already issued by an earlier run (nothing new issued for them)."""
    failed: list[RowError] = field(default_factory=list)
    """Rows not issued, with their line number and why."""
    rewritten: int = 0
    """Output files of earlier rows that were missing or stale and written again."""
    earlier_version: int = 0
    """Of the rows already issued, how many carry an earlier version of the achievement
    (it changed since; they are not reissued: revoke and issue again to update them)."""
    seconds: float = 0.0
    output: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def rate(self) -> float:
        """New credentials per second."""
        return self.issued / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total, "issued": self.issued, "existing": self.existing,
            "failed": [{"line": e.line, "message": e.message} for e in self.failed],
            "rewritten": self.rewritten, "earlierVersion": self.earlier_version,
            "seconds": round(self.seconds, 3),
            "output": str(self.output) if self.output else None,
        }


# --------------------------------------------------------------------------- workers

logger = logging.getLogger("mcbadge.issuing")

_worker: dict[str, Any] = {}


def _die_with(parent: int) -> None:
    """Make this worker exit as soon as its parent does: a signing process holds the private
    key and must not outlive the run (SIGKILL of the parent, a CI cancel). Linux: the kernel's
    parent-death signal; everywhere: a thread that watches the parent id (within 0.2 s)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.2)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="mcbadge-parent-watch", daemon=True).start()


def _init_worker(key_path: str, template: CredentialTemplate, method: str, suite: str,
                 valid_from: str | None, valid_until: str | None,
                 plaintext_email: bool, parent: int | None = None) -> None:
    """Load the key once per worker process; in a worker process, die with the parent and
    leave Ctrl-C to it (the parent shuts the pool down and reports what was recorded)."""
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with(parent)
    key = load_key(key_path)
    assert isinstance(key, Ed25519Key | JwtKey)
    _worker.update(key=key, template=template, method=method, suite=suite,
                   valid_from=valid_from, valid_until=valid_until,
                   plaintext_email=plaintext_email)


_Item = tuple[str, str, str, str | None, list[tuple[str, str, int]], list[dict[str, Any]],
              list[dict[str, Any]]]
"""(credential id, recipient value, recipient kind, name, statuses, evidence, results)."""
_Signed = tuple[str, str]
"""(credential id, signed JSON text)."""


def _sign_chunk(items: Sequence[_Item]) -> list[_Signed]:
    """Build and sign each item."""
    # every credential carries the same achievement (the template's own object, unchanged)
    with remembering_subtrees(), sharing(_ACHIEVEMENT, _worker["template"].achievement):
        return [_sign_one(item) for item in items]


_ACHIEVEMENT = ("credentialSubject", "achievement")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _sign_one(item: _Item) -> _Signed:
    template: CredentialTemplate = _worker["template"]
    cid, value, kind, name, statuses, evidence, results = item
    created = utc_now()
    doc = template.build(
        credential_id=cid, recipient=Recipient(value, kind), name=name,
        statuses=[status_entry_json(*s) for s in statuses],
        valid_from=_worker["valid_from"] or created, valid_until=_worker["valid_until"],
        evidence=evidence, results=results, plaintext_email=_worker["plaintext_email"],
        share=True,
    )
    signed = sign(doc, _worker["key"], suite=_worker["suite"],
                  verification_method=_worker["method"], created=created,
                  mandatory_pointers=mandatory_pointers(doc, _worker["suite"]))
    return cid, written(signed, _json_text) or _json_text(signed)


# --------------------------------------------------------------------------- outputs


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text.split("@", 1)[0]).strip("-").lower()
    return slug[:40] or "credential"


class _Outputs:
    """Where each row's credential goes: a folder of files, or one JSONL written at the end."""

    def __init__(self, out: Path | None, bake: bytes | None) -> None:
        self.out = out
        self.jsonl = out is not None and out.suffix.lower() == ".jsonl"
        self.bake = bake
        self.image_ext = ""
        if bake is not None:
            from mcbadge.baking import image_kind

            kind = image_kind(bake)
            if kind is None:
                raise IssuingError("the image to bake must be a PNG or an SVG")
            self.image_ext = "." + kind
        self.folder = str(out) if out is not None else ""
        if out is not None and not self.jsonl:
            out.mkdir(parents=True, exist_ok=True)

    def path(self, row: RosterRow, key: str) -> str | None:
        if self.out is None or self.jsonl:
            return None
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        return os.path.join(self.folder, f"{_slug(row.name or row.recipient.value)}-{digest}.json")

    def write(self, row: RosterRow, key: str, document: str, *, check: bool) -> bool:
        """Write the row's files; with ``check``, only if missing or different. Returns
        whether anything was written. A full disk or an I/O error is an IssuingError (the
        ledger already holds the credential: a re-run writes the file)."""
        try:
            return self._write(row, key, document, check=check)
        except OSError as exc:
            raise IssuingError(
                f"cannot write {exc.filename or self.folder}: {exc.strerror or exc}; the "
                "credentials recorded so far are safe in the ledger: free the space and run "
                "again to finish (nothing is issued twice)", "OUTPUT_ERROR") from None

    def _write(self, row: RosterRow, key: str, document: str, *, check: bool) -> bool:
        path = self.path(row, key)
        if path is None:
            return False
        data = (document + "\n").encode("utf-8")
        wrote = False
        if not check or not _same(path, data):
            # written in place: a rename per file costs ten times the write on ext4, and a
            # file cut short by a kill is found (it differs from the ledger) and rewritten
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            except OSError as exc:
                exc.filename = path
                raise
            finally:
                os.close(fd)
            wrote = True
        if self.bake is not None:
            from mcbadge.baking import bake, extract

            image = Path(path).with_suffix(self.image_ext)
            stale = True
            if check and image.exists():
                try:
                    stale = extract(image.read_bytes()) != document
                except MCBadgeError:
                    stale = True
            if stale:
                image.write_bytes(bake(self.bake, document))
                wrote = True
        return wrote


def _same(path: str, data: bytes) -> bool:
    try:
        if os.stat(path).st_size != len(data):
            return False
        with open(path, "rb") as fh:
            return fh.read() == data
    except OSError:
        return False


# --------------------------------------------------------------------------- the run


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``, without holding more than one list."""
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_Keyed = tuple[RosterRow, str]
_Kept = tuple[RosterRow, str, LedgerRecord]


class _Roster:
    """The rows of a run, streamed: a file is checked whole first (every byte decodes, the
    header's columns are known) and then read a line at a time; the keys seen so far live
    in a temporary SQLite file, not in memory, so a million-row roster costs what a
    thousand-row one does."""

    def __init__(self, rows: Any, fmt: RosterFormat, achievement: Mapping[str, Any]) -> None:
        self.achievement = achievement
        self.fmt = fmt
        if isinstance(rows, Mapping):
            raise IssuingError("rows must be a roster path or an iterable of rows",
                               "ROSTER_ERROR")
        if isinstance(rows, str | os.PathLike):
            self.path: Path | None = Path(rows)
            lines = check_roster_text(self.path, fmt)
            header = 0 if self.path.suffix.lower() in (".jsonl", ".ndjson", ".json") else 1
            self.expected = max(0, lines - header)
            self.records: Iterator[tuple[int, Any]] = iter_roster(self.path, fmt)
            first = next(self.records, None)  # the header is checked before anything is done
            self.records = itertools.chain([first] if first is not None else [], self.records)
        else:
            self.path = None
            self.expected = len(rows) if hasattr(rows, "__len__") else 0
            self.records = ((row.line if isinstance(row, RosterRow) else n,
                             row if isinstance(row, RosterRow) or not isinstance(row, Mapping)
                             else fmt.apply(row)) for n, row in enumerate(rows, 1))
        self._seen = sqlite3.connect("")  # a private temporary file, deleted on close
        self._seen.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, line INTEGER)")

    def rows(self, failed: list[RowError]) -> Iterator[_Keyed | None]:
        """Each good row with its idempotency key; None for a row that failed (recorded
        in ``failed``): a bad cell, or the same recipient or key as an earlier line."""
        achievement_id = str(self.achievement["id"])
        for line, record in self.records:
            if isinstance(record, Exception):
                failed.append(RowError(line, str(record)))
                yield None
                continue
            try:
                row = record if isinstance(record, RosterRow) else parse_row(
                    record, line, self.achievement)
            except MCBadgeError as exc:
                failed.append(RowError(line, exc.message))
                yield None
                continue
            key = f"{achievement_id}|{row.key if row.key is not None else row.recipient.value}"
            try:
                self._seen.execute("INSERT INTO seen VALUES (?, ?)", (key, row.line))
            except sqlite3.IntegrityError:
                (earlier,) = self._seen.execute("SELECT line FROM seen WHERE key = ?",
                                                (key,)).fetchone()
                what = "key" if row.key is not None else "recipient"
                failed.append(RowError(row.line, f"same {what} as line {earlier}"))
                yield None
                continue
            yield row, key

    def keys_in_order(self) -> Iterator[str]:
        for (key,) in self._seen.execute("SELECT key FROM seen ORDER BY rowid"):  # roster order
            yield key

    def close(self) -> None:
        self._seen.close()


class _Run:
    """One bulk run: the issuer's side (ledger, outputs, the summary); signing is done by
    :func:`_sign_chunk`, here or in worker processes."""

    def __init__(self, issuer: Issuer, template: CredentialTemplate, summary: BulkSummary,
                 outputs: _Outputs, purposes: tuple[str, ...],
                 progress: Progress | None) -> None:
        self.issuer = issuer
        self.template = template
        self.achievement_id = str(template.achievement["id"])
        self.summary = summary
        self.outputs = outputs
        self.purposes = purposes
        self.progress = progress
        self.done = 0

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, max(self.summary.total, self.done))

    def pending(self, rows: Iterator[_Keyed | None]) -> Iterator[_Keyed]:
        """The rows not issued yet; those an earlier run issued get their files checked
        and count as existing."""
        for batch in _chunks(rows, 500):
            good = [item for item in batch if item is not None]
            self.done += len(batch) - len(good)
            found = self.issuer.ledger.find_many([k for _, k in good]) if good else {}
            todo = []
            for row, key in good:
                record = found.get(key)
                if record is not None and record.issued:
                    self._existing(row, key, record)
                else:
                    todo.append((row, key))
            self.report()
            yield from todo

    def _existing(self, row: RosterRow, key: str, record: LedgerRecord) -> None:
        self.done += 1
        problem = _mismatch(record, row)
        if problem:
            self.summary.failed.append(RowError(row.line, problem))
            return
        assert record.document is not None
        self.summary.existing += 1
        if _earlier(record.document, self.template.achievement):
            self.summary.earlier_version += 1
        if self.outputs.write(row, key, record.document, check=True):
            self.summary.rewritten += 1

    def _requests(self, chunk: Sequence[_Keyed]) -> list[Reservation]:
        return [Reservation(row.recipient.value, self.achievement_id, key, self.purposes)
                for row, key in chunk]

    def reserve(self, chunk: Sequence[_Keyed]) -> tuple[list[_Kept], list[_Item]]:
        return self._take(chunk, self.issuer.ledger.reserve(self._requests(chunk)))

    def _take(self, chunk: Sequence[_Keyed], records: Sequence[LedgerRecord]
              ) -> tuple[list[_Kept], list[_Item]]:
        kept, items = [], []
        for (row, key), record in zip(chunk, records, strict=True):
            problem = _mismatch(record, row)
            if problem:
                self.summary.failed.append(RowError(row.line, problem))
                self.done += 1
                continue
            kept.append((row, key, record))
            items.append((record.id, row.recipient.value, row.recipient.kind, row.name,
                          [(s.purpose, s.list_url, s.index) for s in record.statuses],
                          row.evidence, row.results))
        return kept, items

    def finish(self, kept: list[_Kept], signed: list[_Signed],
               following: Sequence[_Keyed] | None = None
               ) -> tuple[list[_Kept], list[_Item]] | None:
        """Record what was signed, then (only then) write its files. With ``following``
        (the next chunk), its reservation is made in the same transaction as this record
        (one commit, not two) and returned as :meth:`reserve` returns it."""
        reserved = None
        if following:
            stored, records = self.issuer.ledger.record_and_reserve(
                signed, self._requests(following))
            reserved = self._take(following, records)
        else:
            stored = self.issuer.ledger.record_issued(signed)
        texts = dict(signed)
        for row, key, record in kept:
            document = texts[record.id]
            if record.id in stored:
                self.summary.issued += 1
            else:  # completed by a concurrent run: write its copy
                again = self.issuer.ledger.get(record.id)
                assert again is not None
                assert again.document is not None
                document = again.document
                self.summary.existing += 1
            self.outputs.write(row, key, document, check=False)
        self.done += len(kept)
        self.report()
        return reserved

    def failed_chunk(self, kept: list[_Kept], exc: BaseException) -> None:
        message = exc.message if isinstance(exc, MCBadgeError) else f"{type(exc).__name__}: {exc}"
        for row, _key, _record in kept:
            self.summary.failed.append(RowError(row.line, message))
        self.done += len(kept)
        self.report()

    def sign_here(self, pending: Iterator[_Keyed], chunk_size: int,
                  worker_args: tuple[Any, ...]) -> None:
        _init_worker(*worker_args)
        try:
            chunks = _chunks(pending, chunk_size)
            chunk = next(chunks, None)
            reserved = self.reserve(chunk) if chunk is not None else None
            while reserved is not None:
                kept, items = reserved
                signed = _sign_chunk(items)
                chunk = next(chunks, None)
                reserved = self.finish(kept, signed, chunk)
        finally:
            _worker.clear()

    def sign_in_pool(self, pending: Iterator[_Keyed], chunk_size: int, count: int,
                     worker_args: tuple[Any, ...]) -> None:
        with ProcessPoolExecutor(count, mp_context=_mp_context(), initializer=_init_worker,
                                 initargs=(*worker_args, os.getpid())) as pool:
            chunks = _chunks(pending, chunk_size)
            inflight: dict[Future[list[_Signed]], list[_Kept]] = {}

            def submit(reserved: tuple[list[_Kept], list[_Item]] | None = None) -> bool:
                if reserved is None:
                    chunk = next(chunks, None)
                    if chunk is None:
                        return False
                    reserved = self.reserve(chunk)
                kept, items = reserved
                inflight[pool.submit(_sign_chunk, items)] = kept
                return True

            try:
                while len(inflight) < count * 2 and submit():
                    pass
                while inflight:
                    finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
                    for future in finished:
                        kept = inflight.pop(future)
                        try:
                            signed = future.result()
                        except BrokenProcessPool:
                            raise IssuingError(
                                "a signing process died; run again to resume (nothing issued "
                                "is lost or issued twice)") from None
                        except Exception as exc:  # a row the worker could not build or sign
                            self.failed_chunk(kept, exc)
                            submit()
                        else:
                            # this chunk's record and the next one's reservation: one commit
                            following = next(chunks, None)
                            reserved = self.finish(kept, signed, following)
                            if reserved is not None:
                                submit(reserved)
            except BaseException:
                for future in inflight:
                    future.cancel()
                raise


def issue_many(
    issuer: Issuer,
    achievement: Achievement | Mapping[str, Any],
    rows: str | os.PathLike[str] | Iterable[RosterRow | Mapping[str, Any]],
    *,
    out: str | os.PathLike[str] | None = None,
    bake: bytes | None = None,
    workers: int | None = None,
    suite: str | None = None,
    valid_from: datetime | str | None = None,
    valid_until: datetime | str | None = None,
    suspendable: bool = False,
    plaintext_email: bool = False,
    progress: Progress | None = None,
    chunk_size: int = 200,
    roster: RosterFormat | None = None,
) -> BulkSummary:
    """Issue ``achievement`` to every row; idempotent and resumable (see the module doc).

    ``rows``: a roster file (CSV, or JSON Lines with a ``.jsonl`` name) or an iterable of
    :class:`RosterRow` / dicts with the roster's columns. ``out``: a folder (one
    ``<name>-<hash>.json`` per row, plus the image baked with it when ``bake`` holds PNG or
    SVG bytes) or a ``.jsonl`` file (every row's credential, in roster order). ``workers``:
    processes that sign (default: one per core; 1 signs in this process). ``chunk_size``:
    the most rows in one worker task and one ledger transaction (smaller for small rosters).
    ``roster``: how to read a file whose columns or encoding are not mcbadge's own.
    Each row's idempotency key is the achievement id with its ``key`` column, or with its
    recipient: a row already issued is never issued again. The roster is streamed: memory
    does not grow with its length.
    """
    started = time.perf_counter()
    suite = suite or issuer.suite
    issuer.check_suite(suite)
    template = issuer.template(achievement)
    source = _Roster(rows, roster or RosterFormat(), template.achievement)
    try:
        summary = BulkSummary(total=source.expected)
        outputs = _Outputs(Path(out) if out is not None else None, bake)
        summary.output = outputs.out
        purposes = ("revocation", "suspension") if suspendable else ("revocation",)
        run = _Run(issuer, template, summary, outputs, purposes, progress)
        run.report()
        worker_args = (str(issuer.path / "keys" / "signing.key"), template,
                       issuer.verification_method, suite, iso_z(valid_from),
                       iso_z(valid_until), plaintext_email)
        count = workers if workers is not None else (os.cpu_count() or 1)
        if count > 1 and source.expected:  # small rosters: every worker gets work
            chunk_size = max(10, min(chunk_size, -(-source.expected // (count * 4))))
        pending = run.pending(source.rows(summary.failed))
        if count <= 1 or (source.expected and source.expected <= chunk_size):
            run.sign_here(pending, chunk_size, worker_args)
        else:
            run.sign_in_pool(pending, chunk_size, count, worker_args)
        summary.total = run.done
        if outputs.jsonl and outputs.out is not None:
            _write_jsonl(issuer, outputs.out, source.keys_in_order())
    finally:
        source.close()
    summary.failed.sort(key=lambda e: e.line)
    summary.seconds = time.perf_counter() - started
    logger.info("roster: %d issued, %d already issued, %d failed of %d rows (%s) in %.1f s",
                summary.issued, summary.existing, len(summary.failed), summary.total,
                str(template.achievement["id"]), summary.seconds)
    return summary


def _mp_context() -> multiprocessing.context.BaseContext:
    """``fork`` where it is safe (POSIX, no other threads: workers start at once and scripts
    need no ``__main__`` guard), else ``spawn``."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _earlier(document: str, achievement: Mapping[str, Any]) -> bool:
    """Whether an issued credential carries another version of the achievement."""
    try:
        stored = json.loads(document)["credentialSubject"]["achievement"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(stored != achievement)


def _mismatch(record: LedgerRecord, row: RosterRow) -> str | None:
    if record.recipient != row.recipient.value:
        return (f"key {row.key!r} was already used for {record.recipient} ({record.id}); "
                "give this row its own key")
    return None


def _write_jsonl(issuer: Issuer, path: Path, keys: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as fh:
        for batch in _chunks(keys, 500):
            found = issuer.ledger.documents(batch)
            for key in batch:
                document = found.get(key)
                if document is not None:
                    fh.write(document.encode("utf-8") + b"\n")
