"""Bulk issuance throughput: credentials signed + recorded in the ledger + written, per second.

    .venv/bin/python benchmarks/bulk.py --rows 10000 --suite eddsa-rdfc-2022 [--jsonl]
        [--workers N] [--dir DIR]

Issues the benchmark credential's achievement (``benchmarks/data/ob3-credential-3k.json``) to
a generated roster (name, email, evidence URL, result), in a new workspace under ``--dir``,
and prints one JSON object: rows, seconds, credentials/s, and the peak RSS of the parent and of
the largest worker (MiB). ``benchmarks/run.py`` runs it for each suite and output kind.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from mcbadge.issuing import Issuer

HERE = Path(__file__).parent
DATA = HERE / "data" / "ob3-credential-3k.json"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--suite", default="eddsa-rdfc-2022")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--jsonl", action="store_true", help="one JSONL file, not a folder")
    parser.add_argument("--dir", type=Path, default=None, help="where to work (kept)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mcbadge-bulk-", dir=args.dir))
    achievement = json.loads(DATA.read_text("utf-8"))["credentialSubject"]["achievement"]
    roster = work / "roster.csv"
    with roster.open("w", encoding="utf-8") as fh:
        fh.write("name,email,evidence,result\n")
        for i in range(args.rows):
            fh.write(f"Educator {i},educator{i}@district.example,"
                     f"https://evidence.district.example/{i},Proficient\n")
    issuer = Issuer.create(work / "issuer", name="District PD",
                           url="https://pd.district.example", suite=args.suite)
    out = work / ("badges.jsonl" if args.jsonl else "badges")
    start = time.perf_counter()
    summary = issuer.issue_many(achievement, roster, out=out, workers=args.workers)
    seconds = time.perf_counter() - start
    issuer.close()
    if not summary.ok or summary.issued != args.rows:
        raise SystemExit(f"bulk run incomplete: {summary.to_json()}")
    size = (out.stat().st_size if args.jsonl else
            sum(p.stat().st_size for p in out.iterdir())) / args.rows
    print(json.dumps({
        "rows": args.rows, "suite": args.suite, "output": "jsonl" if args.jsonl else "files",
        "seconds": round(seconds, 2), "per_second": round(args.rows / seconds),
        "bytes_per_credential": round(size),
        "parent_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "parent_cpu_ms": round(_cpu(resource.RUSAGE_SELF) / args.rows * 1000, 3),
        "worker_cpu_ms": round(_cpu(resource.RUSAGE_CHILDREN) / args.rows * 1000, 3),
        "dir": str(work),
    }))


if __name__ == "__main__":
    main()
