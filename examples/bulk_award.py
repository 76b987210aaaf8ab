"""A district awards a micro-credential to a whole roster.

    python examples/bulk_award.py examples/roster.csv --issuer pd-issuer --out badges/

Creates the issuer workspace the first time (a did:key issuer with its key and ledger), issues
the micro-credential to every row with a progress line, reports the rows it could not issue
(by line number), and publishes the status list for hosting. Run it again: nothing is issued
twice; interrupt it (even kill -9): run it again and it finishes the job.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mcbadge.issuing import Issuer

SITE = "https://pd.district.example"
ACHIEVEMENT = {
    "id": f"{SITE}/achievements/crt-classroom-community",
    "name": "Culturally Responsive Teaching: Classroom Community",
    "description": "The educator builds a classroom community where every student belongs.",
    "criteria": {"narrative": "A lesson video, a reflection and student work, scored "
                              "Proficient or above on the district rubric."},
    "achievementType": "MicroCredential",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("roster", type=Path, help="CSV (header row) or .jsonl")
    parser.add_argument("--issuer", type=Path, default=Path("pd-issuer"))
    parser.add_argument("--out", type=Path, default=Path("badges"))
    parser.add_argument("--site", type=Path, default=Path("site"),
                        help="where to write the status list for hosting")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)

    if (args.issuer / "issuer.json").exists():
        issuer = Issuer.open(args.issuer)
    else:
        issuer = Issuer.create(args.issuer, name="Example District PD", url=SITE)
        print(f"created issuer {issuer.id} in {args.issuer}")

    def progress(done: int, total: int) -> None:
        print(f"\r{done}/{total} rows", end="", file=sys.stderr, flush=True)

    with issuer:
        summary = issuer.issue_many(ACHIEVEMENT, args.roster, out=args.out,
                                    workers=args.workers, progress=progress)
        print(file=sys.stderr)
        print(f"{summary.issued} issued, {summary.existing} already issued, "
              f"{len(summary.failed)} not issued, in {summary.seconds:.1f} s -> {args.out}")
        for error in summary.failed:
            print(f"  {error}")
        for url, path in issuer.publish_status(args.site).items():
            print(f"status list: host {path} at {url}")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
