"""Load on the verify endpoint: `mcbadge serve` (default: one uvicorn worker) on loopback,
N concurrent clients posting the bench credential (did:key issuer, nothing fetched) to
``POST /credentials/verify``; prints verifications per second and latency percentiles.

    .venv/bin/python benchmarks/web_load.py [--requests 3000] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign

DATA = Path(__file__).parent / "data" / "ob3-credential-3k.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    key = Ed25519Key.from_seed(bytes(range(32)))
    doc = json.loads(DATA.read_text())
    doc["issuer"]["id"] = key.did
    body = json.dumps({"verifiableCredential": sign(doc, key)}).encode()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "mcbadge", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/credentials/verify"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/verify", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        headers = {"Content-Type": "application/json"}

        def one(client: httpx.Client) -> float:
            start = time.perf_counter()
            answer = client.post(url, content=body, headers=headers)
            assert answer.status_code == 200, answer.text[:300]
            return time.perf_counter() - start

        clients = [httpx.Client(timeout=30) for _ in range(args.clients)]
        for c in clients:  # warm up
            one(c)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            latencies = list(pool.map(lambda i: one(clients[i % args.clients]),
                                      range(args.requests)))
        elapsed = time.perf_counter() - start
        for c in clients:
            c.close()
        latencies.sort()
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        print(f"verify endpoint: {args.requests} requests, {args.clients} clients, one "
              f"worker: {args.requests / elapsed:,.0f} verifications/s, p50 {p50:.1f} ms, "
              f"p99 {p99:.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
