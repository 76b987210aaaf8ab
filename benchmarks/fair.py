"""mcbadge and Digital Bazaar's stack side by side, fairly: one run, interleaved.

    .venv/bin/python benchmarks/fair.py [--suites ...] [--rounds 15] [--batch 50]
                                        [--data CREDENTIAL.json] [--sizes 1,10,100,300,1000]

The peer is a persistent node process (benchmarks/peer_server.mjs) with its key pair derived
and its suites built once; both sides are warmed up (``--warmup``, 300 operations by
default) and then timed in alternating batches (mcbadge, peer, mcbadge, peer, ...), so a
noisy moment of the machine falls on both. Each figure is the median over rounds of a
batch's mean CPU time per operation (user + system: the peer's garbage collection counts,
which per-operation medians hide). ``sign``: a new proof; ``verify``: the proof alone;
``full``: mcbadge's :func:`mcbadge.verify` (every check) against the peer's
``vc.verifyCredential``. ``--miss`` times the rdfc suites again with shape templates off
(``sign*``...: the full path, which a shape never seen takes). ``--sizes`` (KB) times
eddsa-rdfc-2022 signing on the bench credential grown with evidence to each size.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from run import DATA, PEER, as_issued_by, key_for  # noqa: E402

from mcbadge.jsonld._canon import without_templates  # noqa: E402
from mcbadge.proofs import sign, verify_proof  # noqa: E402
from mcbadge.resolve import Fetcher  # noqa: E402
from mcbadge.verification import verify  # noqa: E402

SUITES = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019")


class Peer:
    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None or not (PEER / "node_modules").is_dir():
            raise SystemExit("the peer is not installed (`make peer`: ../shared/peer, node)")
        self.proc = subprocess.Popen([node, str(HERE / "peer_server.mjs"), str(PEER)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(10)


def _ours(fn: Callable[[], object], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - start) * 1000 / n


def compare(peer: Peer, doc: dict[str, Any], suite: str, ops: tuple[str, ...], rounds: int,
            batch: int, warmup: int) -> dict[str, tuple[float, float]]:
    key = key_for(suite)
    mine = as_issued_by(doc, key)
    signed = sign(mine, key, suite=suite)
    theirs = peer.ask(cmd="setup", suite=suite, credential=doc)
    assert theirs["verified"], suite
    offline = Fetcher(offline=True)
    assert verify(signed, fetcher=offline).verified
    assert verify(theirs["signed"], fetcher=offline).verified  # each reads the other's
    # mcbadge verifies a different credential each time (its expansion cache must not
    # help across operations); the peer keeps no such cache
    needed = warmup + rounds * batch
    pool = ([sign(dict(mine, id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}"), key,
                  suite=suite) for i in range(needed)] if set(ops) - {"sign"} else [])
    turn = iter(range(10**9))

    def next_signed() -> dict[str, Any]:
        return pool[next(turn) % len(pool)]

    def verify_one() -> object:
        doc = next_signed()
        return verify_proof(doc, doc["proof"])

    fns: dict[str, Callable[[], object]] = {
        "sign": lambda: sign(mine, key, suite=suite),
        "verify": verify_one,
        "full": lambda: verify(next_signed(), fetcher=offline),
    }
    out: dict[str, tuple[float, float]] = {}
    for op in ops:
        turn = iter(range(10**9))
        _ours(fns[op], warmup)
        peer.ask(cmd="batch", op=op, n=warmup)
        ours, peers = [], []
        for _ in range(rounds):
            ours.append(_ours(fns[op], batch))
            peers.append(peer.ask(cmd="batch", op=op, n=batch)["cpu_ms"] / batch)
        out[op] = (statistics.median(ours), statistics.median(peers))
    return out


def grown(doc: dict[str, Any], kilobytes: int) -> dict[str, Any]:
    """The bench credential with evidence items added until its JSON is ``kilobytes``."""
    out = json.loads(json.dumps(doc))
    evidence = out.setdefault("evidence", [])
    i = 0
    while len(json.dumps(out)) < kilobytes * 1024:
        evidence.append({"id": f"https://pd.district.example/evidence/{i}",
                         "type": ["Evidence"], "name": f"Artifact {i}",
                         "description": "A lesson plan with student work and a reflection "
                                        "on what changed in the classroom.",
                         "genre": "lesson-plan"})
        i += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--suites", nargs="*", default=list(SUITES))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sizes", default="1,10,100,300,1000",
                        help="KB sizes for the eddsa-rdfc-2022 signing ladder (empty: skip)")
    parser.add_argument("--miss", default="eddsa-rdfc-2022,ecdsa-rdfc-2019",
                        help="suites timed again on template misses (the full path: a "
                             "shape never seen, a one-off verification; empty: skip)")
    args = parser.parse_args()
    doc = json.loads(args.data.read_text())
    peer = Peer()
    try:
        print(f"fair benchmark: {args.data.name}, CPU ms per operation (median of "
              f"{args.rounds} interleaved batches of {args.batch}, after {args.warmup} warm-up)")
        print(f"  {'suite':<18}{'op':<8}{'mcbadge':>9}{'peer':>9}{'ratio':>8}")
        for suite in args.suites:
            figures = compare(peer, doc, suite, ("sign", "verify", "full"), args.rounds,
                              args.batch, args.warmup)
            for op, (mine, theirs) in figures.items():
                print(f"  {suite:<18}{op:<8}{mine:9.3f}{theirs:9.3f}{mine / theirs:8.2f}")
        for suite in (s for s in args.miss.split(",") if s):
            with without_templates():
                figures = compare(peer, doc, suite, ("sign", "verify", "full"), args.rounds,
                                  args.batch, args.warmup)
            for op, (mine, theirs) in figures.items():
                print(f"  {suite:<18}{op + '*':<8}{mine:9.3f}{theirs:9.3f}{mine / theirs:8.2f}")
        if args.miss:
            print("  * a template miss: every badge of a shape never seen (the full path)")
        if args.sizes:
            print("\n  eddsa-rdfc-2022 sign as the credential grows (evidence items added)")
            print(f"  {'KB':>6}{'mcbadge':>10}{'ms/KB':>8}{'peer':>10}{'ratio':>8}")
            for kb in (int(s) for s in args.sizes.split(",")):
                big = grown(doc, kb)
                rounds = max(3, args.rounds // max(1, kb // 50))
                size_batch = max(1, args.batch // max(1, kb // 10))
                [(mine, theirs)] = compare(peer, big, "eddsa-rdfc-2022", ("sign",), rounds,
                                           size_batch, max(5, args.warmup // kb)).values()
                print(f"  {kb:>6}{mine:10.2f}{mine / kb:8.3f}{theirs:10.2f}"
                      f"{mine / theirs:8.2f}")
    finally:
        peer.close()


if __name__ == "__main__":
    main()
