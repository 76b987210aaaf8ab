"""The SQLite ledger as it grows: opening it, reserving a chunk of 200 (random, never reused
status indexes), recording a status change, and reading every status list to publish,
at 1,000, 100,000 and 1,000,000 issued credentials.

    .venv/bin/python benchmarks/ledger.py [--sizes 1000,100000,1000000]

The ledgers are built directly in SQL (signing a million credentials is not what is
measured), with small documents and 75%-full lists of 131,072 entries, as issuing leaves them.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from mcbadge.issuing._ledger import (
    _MIGRATIONS,
    APPLICATION_ID,
    SCHEMA_VERSION,
    Reservation,
    SQLiteLedger,
)

LIST_SIZE = 131_072
FILL = int(LIST_SIZE * 0.75)


def _url(purpose: str, n: int) -> str:
    return f"https://pd.district.example/status/{purpose}-{n}.json"


def build(path: Path, issued: int) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    for version in range(1, SCHEMA_VERSION + 1):
        db.executescript(_MIGRATIONS[version])
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    lists = -(-issued // FILL)
    for n in range(1, lists + 1):
        allocated = min(FILL, issued - (n - 1) * FILL)
        db.execute("INSERT INTO status_lists (purpose, url, size, created_at, allocated) "
                   "VALUES ('revocation', ?, ?, '2026-01-01T00:00:00Z', ?)",
                   (_url("revocation", n), LIST_SIZE, allocated))
    doc = '{"@context": ["https://www.w3.org/ns/credentials/v2"], "proof": "' + "z" * 600 + '"}'
    batch = 50_000
    for start in range(0, issued, batch):
        rows = range(start, min(issued, start + batch))
        db.executemany(
            "INSERT INTO credentials (id, idempotency_key, recipient, achievement_id, state, "
            "reserved_at, issued_at, document) VALUES (?, ?, ?, 'a', 'issued', 't', 't', ?)",
            ((f"urn:uuid:{i:032x}", f"a|educator{i}@district.example",
              f"educator{i}@district.example", doc) for i in rows))
        entries = []
        for i in rows:
            seq = i // FILL + 1
            entries.append((seq, (i % FILL) * LIST_SIZE // FILL, f"urn:uuid:{i:032x}",
                            1 if i % 97 == 0 else 0))
        db.executemany("INSERT INTO status_entries (list_seq, idx, credential_id, purpose, "
                       "value) VALUES (?, ?, ?, 'revocation', ?)", entries)
        db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def measure(path: Path, rounds: int = 5) -> dict[str, float]:
    started = time.perf_counter()
    ledger = SQLiteLedger(path, list_url=_url, list_size=LIST_SIZE)
    opened = (time.perf_counter() - started) * 1000
    ledger.reserve([Reservation(f"warm-{secrets.token_hex(4)}", "a")])  # loads the used set
    reserve, status, publish = [], [], []
    for _ in range(rounds):
        t = time.perf_counter()
        records = ledger.reserve([Reservation(f"new-{secrets.token_hex(6)}", "a")
                                  for _ in range(200)])
        reserve.append((time.perf_counter() - t) * 1000)
        ledger.record_issued([(r.id, "{}") for r in records[:1]])
        t = time.perf_counter()
        ledger.set_status(records[0].id, "revocation", 1, reason="bench", actor="bench")
        status.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        ledger.status_lists()
        publish.append((time.perf_counter() - t) * 1000)
    lists = len(ledger.status_lists())
    ledger.close()
    return {"open": opened, "reserve200": statistics.median(reserve),
            "status": statistics.median(status), "publish": statistics.median(publish),
            "per_list": statistics.median(publish) / lists, "lists": lists}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    args = parser.parse_args()
    print("\n  the ledger as it grows (ms; median of 5): open, reserve 200, a status change, "
          "read every list to publish")
    print(f"  {'issued':>10}{'MB':>8}{'open':>8}{'reserve':>9}{'status':>8}{'publish':>9}"
          f"{'lists':>6}{'per list':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(dir=Path(__file__).parent.parent) as tmp:
            path = Path(tmp) / "ledger.sqlite3"
            build(path, size)
            mb = path.stat().st_size / 1e6
            m = measure(path)
            print(f"  {size:>10,}{mb:8.0f}{m['open']:8.1f}{m['reserve200']:9.2f}"
                  f"{m['status']:8.2f}{m['publish']:9.1f}{m['lists']:6.0f}{m['per_list']:9.1f}")


if __name__ == "__main__":
    main()
