"""Print how fast mcbadge is on the benchmark credential, and how that compares to the peer.

    make bench            # or: .venv/bin/python benchmarks/run.py [--repeat N]

Figures are medians over N runs (default 100) for ``benchmarks/data/ob3-credential-3k.json``
(the credential the project's benchmarks are measured on): parsing and schema validation,
then signing and verifying with each proof suite. When the peer harness is installed
(``make peer``: Digital Bazaar's JS stack in .peer/) the same is timed there, in-process, and
the ratio mcbadge/peer is printed (< 1.0: mcbadge is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from mcbadge.keys import AnyKey, Ed25519Key, JwtKey
from mcbadge.models import parse_credential, validate_schema
from mcbadge.proofs import SUITES, derive, reveal_except, sign, sign_jwt, verify_proof
from mcbadge.resolve import Fetcher
from mcbadge.verification import verify

HERE = Path(__file__).parent
DATA = HERE / "data" / "ob3-credential-3k.json"
PEER = HERE.parent / ".peer"
KEY = Ed25519Key.from_seed(bytes(range(32)))  # the peer harness derives the same key
_P256 = ec.derive_private_key(int.from_bytes(bytes(range(32)), "big"), ec.SECP256R1())
P256 = JwtKey("ES256", _P256.public_key(), _P256)  # the peer's --seed for ECDSA: the scalar


SD = "ecdsa-sd-2023"
"""ecdsa-sd-2023: the base proof makes /issuer mandatory; the holder derives with the OB
preset (everything but the rubric results and the evidence)."""


def sd_options(suite: str) -> dict[str, Any]:
    return {"mandatory_pointers": ["/issuer"]} if suite == SD else {}


def key_for(suite: str) -> AnyKey:
    """The Ed25519 key for the EdDSA suites, the P-256 key for the ECDSA ones."""
    return KEY if SUITES[suite].key_problem(KEY) is None else P256


def as_issued_by(doc: dict[str, Any], key: AnyKey) -> dict[str, Any]:
    return {**doc, "issuer": {**doc["issuer"], "id": key.did}}


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches (compiled validators, processed contexts)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def without_lists(doc: dict[str, Any]) -> dict[str, Any]:
    """The bench credential without its rubric's ``allowedValue`` (a JSON-LD list): the
    peer's ecdsa-sd-2023 cannot sign lists, so the side-by-side sd row uses this copy."""
    out = json.loads(json.dumps(doc))
    for described in out["credentialSubject"]["achievement"].get("resultDescription", []):
        described.pop("allowedValue", None)
    return out


def peer_figures(suite: str, repeat: int, data: Path = DATA) -> dict[str, Any] | None:
    node = shutil.which("node")
    if node is None or not (PEER / "node_modules").is_dir():
        return None
    out = subprocess.run(
        [node, str(HERE / "peer_bench.mjs"), str(PEER), str(data), suite, str(repeat)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    if out.returncode != 0:
        return None
    figures: dict[str, Any] = json.loads(out.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--bulk-rows", type=int, default=10_000,
                        help="roster size for the bulk issuance figures (0: skip them)")
    parser.add_argument("--memory-rows", default="1000,100000",
                        help="roster sizes for the bulk memory figures (add 1000000 for the "
                        "million-row run, about ten minutes; empty: skip)")
    parser.add_argument("--ledger-sizes", default="1000,100000,1000000",
                        help="ledger sizes for the ledger figures (empty: skip)")
    args = parser.parse_args()
    text = DATA.read_text(encoding="utf-8")
    doc = json.loads(text)
    doc["issuer"]["id"] = KEY.did  # as the peer signs it
    print(f"benchmark credential: {DATA.name} ({len(text.encode())} bytes), "
          f"median of {args.repeat} runs, ms")
    cred = parse_credential(text)
    rows: list[tuple[str, Callable[[], object]]] = [
        ("parse (JSON text -> model)", lambda: parse_credential(text)),
        ("serialise (model -> JSON)", cred.to_json),
        ("schema validation", lambda: validate_schema(doc)),
    ]
    for name, fn in rows:
        print(f"  {name:<34}{median_ms(fn, args.repeat):8.3f}")
    print(f"\n  {'suite':<22}{'op':<8}{'mcbadge':>9}{'peer':>9}{'ratio':>8}")
    full = doc
    for suite in SUITES:
        key = key_for(suite)
        doc = without_lists(full) if suite == SD else full
        shared = sign(doc, key, suite=suite, **sd_options(suite))
        if suite == SD:
            shared = derive(shared, reveal_except(shared))
        assert verify_proof(shared, shared["proof"]).verified
        ours = {
            "sign_ms": median_ms(lambda s=suite, k=key, d=doc: sign(d, k, suite=s, **sd_options(s)),
                                 args.repeat),
            "verify_ms": median_ms(lambda s=shared: verify_proof(s, s["proof"]), args.repeat),
        }
        if suite == SD:
            base = sign(doc, key, suite=suite, **sd_options(suite))
            ours["derive_ms"] = median_ms(lambda b=base: derive(b, reveal_except(b)), args.repeat)
        if suite == SD:
            import tempfile

            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as tmp:
                json.dump(doc, tmp)
            peer = peer_figures(suite, args.repeat, Path(tmp.name))
            os.unlink(tmp.name)
        else:
            peer = peer_figures(suite, args.repeat)
        for op in ("sign", "derive", "verify"):
            if f"{op}_ms" not in ours:
                continue
            mine = ours[f"{op}_ms"]
            if peer and f"{op}_ms" in peer:
                theirs = peer[f"{op}_ms"]
                print(f"  {suite:<22}{op:<8}{mine:9.3f}{theirs:9.3f}{mine / theirs:8.2f}")
            else:
                print(f"  {suite:<22}{op:<8}{mine:9.3f}{'-':>9}{'-':>8}")
    doc = full
    print(f"  ({SD}: the bench credential without its rubric's allowedValue list, which "
          "the peer cannot sign)")
    print("\n  mcbadge.verify: every check (parse, context + data-loss, schema, signature,")
    print("  binding, dates, status, endorsements), did:key issuer, nothing fetched")
    print("  (each run verifies a different credential: no cache helps across runs)")
    offline = Fetcher(offline=True)

    def variants(make: Callable[[dict[str, Any]], object]) -> list[object]:
        out = []
        for i in range(args.repeat):
            variant = dict(doc, id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}")
            out.append(make(variant))
        return out

    def made(d: dict[str, Any], s: str) -> dict[str, Any]:
        signed = sign(as_issued_by(d, key_for(s)), key_for(s), suite=s, **sd_options(s))
        return derive(signed, reveal_except(signed)) if s == SD else signed

    cases: list[tuple[str, list[object]]] = [
        (f"{suite} (dict)" + (", derived" if suite == SD else ""),
         variants(lambda d, s=suite: made(d, s)))  # type: ignore[misc]
        for suite in SUITES]
    cases.append(("eddsa-rdfc-2022 (JSON text)", variants(lambda d: json.dumps(sign(d, KEY)))))
    cases.append(("VC-JWT EdDSA", variants(lambda d: sign_jwt(d, KEY))))
    for name, sources in cases:
        result = verify(sources[0], fetcher=offline)  # type: ignore[arg-type]
        assert result.verified, [(c.id, c.message) for c in result.checks if not c.ok]
        times = []
        for source in sources:
            start = time.perf_counter()
            verify(source, fetcher=offline)  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)
        ms = statistics.median(times) * 1000
        print(f"  verify {name:<34}{ms:8.3f}  ({1000 / ms:6.0f}/s)")
    import presig

    presig.main()
    if args.ledger_sizes:
        subprocess.run([sys.executable, str(HERE / "ledger.py"), "--sizes", args.ledger_sizes],
                       check=True)
    if args.bulk_rows:
        bulk_figures(args.bulk_rows)
    if args.memory_rows:
        memory_figures([int(n) for n in args.memory_rows.split(",")])
    if not (PEER / "node_modules").is_dir():
        print("\n(peer not installed: `make peer` with ../shared/peer and node gives the ratios)")


def bulk_figures(rows: int) -> None:
    """Bulk issuance, each configuration in a fresh process (so peak RSS is its own)."""
    import sys
    import tempfile

    print(f"\n  bulk issuance of {rows:,} rows (signed + recorded + written), all cores")
    print(f"  {'suite':<18}{'output':<8}{'cred/s':>8}{'seconds':>9}{'parent MiB':>12}"
          f"{'worker MiB':>12}")
    # in the repository, not /tmp: creating 10,000 files right after many deletions (pytest
    # rotates its folders in /tmp) costs this machine's ext4 (mounted with discard) twice
    # as much; the figures are about mcbadge, not the filesystem's backlog
    base = HERE.parent / ".bench-work"
    base.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bulk-", dir=base) as work:
        for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
            for jsonl in (False, True):
                argv = [sys.executable, str(HERE / "bulk.py"), "--rows", str(rows),
                        "--suite", suite, "--dir", work, *(["--jsonl"] if jsonl else [])]
                os.sync()  # the last run's writeback must not slow this one's file creation
                done = subprocess.run(argv, capture_output=True, text=True, check=True)
                fig = json.loads(done.stdout)
                print(f"  {suite:<18}{fig['output']:<8}{fig['per_second']:>8,}"
                      f"{fig['seconds']:>9.2f}{fig['parent_rss_mib']:>12}"
                      f"{fig['worker_rss_mib']:>12}")


def memory_figures(sizes: list[int]) -> None:
    """Peak RSS of the parent and the largest worker as the roster grows (eddsa-jcs-2022,
    JSONL output): the roster is streamed, so memory stays flat."""
    import tempfile

    print("\n  bulk memory as the roster grows (eddsa-jcs-2022, JSONL out): peak RSS, MiB")
    print(f"  {'rows':>10}{'cred/s':>9}{'parent MiB':>12}{'worker MiB':>12}")
    base = HERE.parent / ".bench-work"
    base.mkdir(exist_ok=True)
    for rows in sizes:
        with tempfile.TemporaryDirectory(prefix="mem-", dir=base) as work:
            argv = [sys.executable, str(HERE / "bulk.py"), "--rows", str(rows), "--suite",
                    "eddsa-jcs-2022", "--jsonl", "--dir", work]
            done = subprocess.run(argv, capture_output=True, text=True, check=True)
            fig = json.loads(done.stdout)
            print(f"  {rows:>10,}{fig['per_second']:>9,}{fig['parent_rss_mib']:>12}"
                  f"{fig['worker_rss_mib']:>12}")


if __name__ == "__main__":
    main()
