"""Micro-credential programs at scale: N submissions each through the pre-check, assignment,
two reviews and the issuer of record's grant (an award: a signed, recorded badge), one
process, on the workspace's SQLite ledger (synchronous=FULL: every transition is durable
when it returns).

    .venv/bin/python benchmarks/programs.py [--submissions 10000] [--processes 2]

Prints ledger transitions per second (every audit row is one) and awards per second; with
``--processes N`` the submissions are shared out to N processes working on one ledger.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from mcbadge.issuing import Issuer
from mcbadge.programs import Programs
from mcbadge.programs._demo import PASS, demo_program


def _worker(path: str, program_id: str, first: int, count: int,
            arts: list[Any]) -> dict[str, float]:
    issuer = Issuer.open(path)
    programs = Programs(issuer)
    phases = _run(programs, program_id, range(first, first + count), arts)
    programs.close()
    issuer.close()
    return phases


ANSWERS = {"overview": "Grade 4, a community circle.", "artifacts": "Plan and video.",
           "reflection": "Students led the circle by week three."}


def _run(programs: Programs, program_id: str, numbers: range, arts: list[Any]
         ) -> dict[str, float]:
    phases = {"submit + pre-check": 0.0, "assign": 0.0, "two reviews": 0.0,
              "decide (grant, sign, record)": 0.0}
    for n in numbers:
        t = time.perf_counter()
        sub = programs.submit(program_id, f"educator-{n}@district.example", ANSWERS, arts)
        phases["submit + pre-check"] += time.perf_counter() - t
        t = time.perf_counter()
        programs.assign(sub.id, [f"assessor-{n % 7}", f"assessor-{(n + 1) % 7}"],
                        actor="coordinator")
        phases["assign"] += time.perf_counter() - t
        t = time.perf_counter()
        for who in (f"assessor-{n % 7}", f"assessor-{(n + 1) % 7}"):
            programs.review(sub.id, who, levels=PASS, feedback={}, recommendation="award")
        phases["two reviews"] += time.perf_counter() - t
        t = time.perf_counter()
        programs.decide(sub.id, "grant", actor="district", reason="meets every criterion")
        phases["decide (grant, sign, record)"] += time.perf_counter() - t
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mcbadge-bench-programs-") as tmp:
        issuer = Issuer.create(Path(tmp) / "issuer", name="District PD",
                               url="https://pd.district.example")
        programs = Programs(issuer)
        program = programs.define(demo_program())  # 3 criteria, 3 artifact kinds
        files = Path(tmp) / "files"
        files.mkdir()
        arts = []
        for kind in program.artifact_kinds:
            (files / kind).write_bytes(kind.encode())
            arts.append(programs.store_artifact(files / kind, kind))
        start = time.perf_counter()
        if args.processes == 1:
            phases = _run(programs, program.id, range(args.submissions), arts)
        else:
            from concurrent.futures import ProcessPoolExecutor

            share = args.submissions // args.processes
            with ProcessPoolExecutor(args.processes) as pool:
                parts = list(pool.map(
                    _worker, [str(issuer.path)] * args.processes,
                    [program.id] * args.processes,
                    [i * share for i in range(args.processes)],
                    [share] * args.processes, [arts] * args.processes))
            phases = {k: sum(p[k] for p in parts) for k in parts[0]}
        elapsed = time.perf_counter() - start
        audit = programs._db().execute("SELECT count(*) FROM program_audit").fetchone()[0]
        awards = issuer.ledger.count()
        print(f"programs: {args.submissions} submissions, {audit} transitions, {awards} "
              f"awards in {elapsed:.1f} s, {args.processes} process(es)")
        print(f"  {audit / elapsed:,.0f} transitions/s, {awards / elapsed:,.1f} awards/s "
              f"(end to end: {elapsed / args.submissions * 1000:.1f} ms per submission)")
        for phase, seconds in phases.items():
            print(f"  {phase:<30}{seconds / args.submissions * 1000:8.2f} ms each "
                  "(per process)")
        programs.close()
        issuer.close()


if __name__ == "__main__":
    main()
