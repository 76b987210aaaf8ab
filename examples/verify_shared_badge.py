"""Verify a badge someone sent you, and say why it is (or is not) valid.

    python examples/verify_shared_badge.py maria-lopez.png
    python examples/verify_shared_badge.py badge.json --document URL=FILE ...   # offline

Reads JSON, a compact VC-JWT, or a baked PNG/SVG. Without --document it fetches what it
needs (issuer profile, did:web document, status list) over https, guarded; with --document
it fetches nothing and answers those URLs from local files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import mcbadge
from mcbadge.resolve import Fetcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("badge", type=Path)
    parser.add_argument("--document", action="append", default=[], metavar="URL=FILE",
                        help="answer URL from FILE and fetch nothing else")
    parser.add_argument("--recipient", help="an email address or DID it should belong to")
    args = parser.parse_args(argv)

    documents = {}
    for pair in args.document:
        url, _, file = pair.partition("=")
        documents[url] = Path(file).read_bytes()
    with Fetcher(documents=documents, offline=bool(documents)) as fetcher:
        result = mcbadge.verify(args.badge, fetcher=fetcher)

    doc = result.document or {}
    print(f"{'VALID' if result.verified else 'NOT VALID'}: {doc.get('name', args.badge)}")
    for check in result.checks:
        why = f" [{check.problem}]" if check.problem else ""
        print(f"  {check.outcome:>7}  {check.id:<18}{why} {check.message}")
    if args.recipient:
        belongs = result.is_recipient(args.recipient)
        print(f"belongs to {args.recipient}: {'yes' if belongs else 'NO'}")
        return 0 if result.verified and belongs else 1
    return 0 if result.verified else 1


if __name__ == "__main__":
    sys.exit(main())
