"""The ledger backends side by side, on this machine, in one run: issues/s and revokes/s on
the embedded SQLite file and on PostgreSQL (a throwaway server on loopback, started the way
the tests start theirs; ``fsync=off`` there, ``synchronous=FULL`` for SQLite: the figures
compare the code paths, not the disks).

    .venv/bin/python benchmarks/ledger_backends.py [--n 1000] [--processes 4]

Measured, per backend: ``Issuer.issue`` one at a time (sign + two ledger transactions),
the same from several processes at once (as app servers would), the ledger alone
(``reserve`` + ``record_issued`` of one credential, no signing), and ``set_status`` (a
revocation each).
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mcbadge.issuing import Issuer, Reservation  # noqa: E402

ACHIEVEMENT = {"id": "https://pd.district.example/a/bench", "name": "Bench",
               "description": "d", "criteria": {"narrative": "n"}}


def _ledger_only(ws: str, n: int, tag: str) -> None:
    issuer = Issuer.open(ws)
    for i in range(n):
        [record] = issuer.ledger.reserve([Reservation(f"{tag}{i}@x.example", "a",
                                                      f"{tag}-{i}")])
        issuer.ledger.record_issued([(record.id, "{}")])
    issuer.close()


def _issuing(ws: str, n: int, tag: str, barrier: Any) -> None:
    issuer = Issuer.open(ws)
    issuer.issue(ACHIEVEMENT, f"{tag}-warm@x.example")
    barrier.wait()
    for i in range(n):
        issuer.issue(ACHIEVEMENT, f"{tag}{i}@x.example")
    issuer.close()


def _rate(n: int, fn: Callable[[], None]) -> float:
    started = time.perf_counter()
    fn()
    return n / (time.perf_counter() - started)


def measure(ws: Path, n: int, processes: int) -> dict[str, float]:
    issuer = Issuer.open(ws)
    issuer.issue(ACHIEVEMENT, "warm@x.example")
    out: dict[str, float] = {}
    ids: list[str] = []

    def issue() -> None:
        ids.extend(issuer.issue(ACHIEVEMENT, f"i{i}@x.example")["id"] for i in range(n))

    out["issue"] = _rate(n, issue)

    def revoke() -> None:
        for cid in ids:
            issuer.ledger.set_status(cid, "revocation", 1, reason="bench", actor="bench")

    out["revoke"] = _rate(len(ids), revoke)
    issuer.close()
    out["ledger"] = _rate(n, lambda: _ledger_only(str(ws), n, "solo"))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    workers = [context.Process(target=_issuing, args=(str(ws), n, f"p{k}", barrier))
               for k in range(processes)]
    for w in workers:
        w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    out["issue_multi"] = processes * n / (time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    from tests.pg_server import new_database, postgres_cluster, unavailable

    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_ws = Path(tmp) / "sqlite"
        Issuer.create(sqlite_ws, name="Bench", url="https://pd.district.example").close()
        rows["SQLite"] = measure(sqlite_ws, args.n, args.processes)
        why = unavailable()
        if why is None:
            with postgres_cluster() as server:
                pg_ws = Path(tmp) / "pg"
                Issuer.create(pg_ws, name="Bench", url="https://pd.district.example",
                              ledger=new_database(server)).close()
                rows["PostgreSQL"] = measure(pg_ws, args.n, args.processes)
        else:
            print(f"  (no PostgreSQL: {why})")
    print(f"\n  ledger backends, per second ({args.n} each; {args.processes} processes for "
          "the multi-writer column)")
    print(f"  {'backend':<12}{'issue':>10}{'issue x' + str(args.processes):>12}{'ledger':>10}"
          f"{'revoke':>10}")
    for name, m in rows.items():
        print(f"  {name:<12}{m['issue']:10.0f}{m['issue_multi']:12.0f}{m['ledger']:10.0f}"
              f"{m['revoke']:10.0f}")


if __name__ == "__main__":
    main()
