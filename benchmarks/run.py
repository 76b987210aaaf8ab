"""Print how fast the foundation layer is on the benchmark credential.

    make bench            # or: .venv/bin/python benchmarks/run.py [--repeat N]

Figures are medians over N runs (default 200) of: JSON text -> typed model, model -> JSON,
and schema validation, for ``benchmarks/data/ob3-credential-3k.json`` (the credential the
project's benchmarks are measured on). Later milestones add signing and verifying here.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from mcbadge.models import parse_credential, validate_schema

DATA = Path(__file__).parent / "data" / "ob3-credential-3k.json"


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches (compiled validators, model schemas)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    text = DATA.read_text(encoding="utf-8")
    cred = parse_credential(text)
    doc = cred.to_dict()
    rows = [
        ("parse (JSON text -> model)", median_ms(lambda: parse_credential(text), args.repeat)),
        ("serialise (model -> JSON)", median_ms(cred.to_json, args.repeat)),
        ("schema validation", median_ms(lambda: validate_schema(doc), args.repeat)),
    ]
    print(f"benchmark credential: {DATA.name} ({len(text.encode())} bytes), {args.repeat} runs")
    for name, ms in rows:
        print(f"  {name:<30} median {ms:8.3f} ms")


if __name__ == "__main__":
    main()
