"""Load on the service: `mcbadge serve` (default: one uvicorn worker) on loopback, N
concurrent clients posting the bench credential (did:key issuer, nothing fetched) to
``POST /credentials/verify``; prints verifications per second and latency percentiles.

    .venv/bin/python benchmarks/web_load.py [--requests 3000] [--clients 8] [--workers 1]

With ``--ledger sqlite|postgresql`` the service has an issuer workspace (PostgreSQL: a
throwaway server on loopback) and one request in ten issues a credential, one in ten
revokes one (``/credentials/issue``, ``/credentials/status``), between the verifications.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign

DATA = Path(__file__).parent / "data" / "ob3-credential-3k.json"


def _serve(port: int, workers: int, workspace: Path | None, token: Path | None
           ) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "mcbadge", "serve", "--port", str(port),
            "--workers", str(workers)]
    if workspace is not None and token is not None:
        argv += ["-i", str(workspace), "--token-file", str(token)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ledger", choices=["none", "sqlite", "postgresql"], default="none",
                        help="with a ledger, the load mixes issue and status (revoke) "
                             "requests into the verifications: 8 verify, 1 issue, 1 revoke")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        workspace = token = None
        issuer_id = None
        if args.ledger != "none":
            url = None
            if args.ledger == "postgresql":
                sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
                from tests.pg_server import new_database, postgres_cluster, unavailable

                why = unavailable()
                if why is not None:
                    raise SystemExit(f"no PostgreSQL here: {why}")
                url = new_database(stack.enter_context(postgres_cluster()))
            from mcbadge.issuing import Issuer

            workspace = Path(tmp) / "ws"
            issuer = Issuer.create(workspace, name="Load", url="https://load.example",
                                   ledger=url)
            issuer_id = issuer.id
            issuer.close()
            token = Path(tmp) / "token"
            token.write_text("load-test-token")
        run(args, workspace, token, issuer_id)


def run(args: argparse.Namespace, workspace: Path | None, token: Path | None,
        issuer_id: str | None) -> None:
    key = Ed25519Key.from_seed(bytes(range(32)))
    doc = json.loads(DATA.read_text())
    doc["issuer"]["id"] = key.did
    body = json.dumps({"verifiableCredential": sign(doc, key)}).encode()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _serve(port, args.workers, workspace, token)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer load-test-token", "Content-Type": "application/json"}
    issued: list[str] = []
    lock = threading.Lock()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/verify", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        headers = {"Content-Type": "application/json"}

        def verify_one(client: httpx.Client) -> None:
            answer = client.post(f"{base}/credentials/verify", content=body, headers=headers)
            assert answer.status_code == 200, answer.text[:300]

        def issue_one(client: httpx.Client, i: int) -> None:
            vc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                  "type": ["VerifiableCredential"], "issuer": issuer_id,
                  "credentialSubject": {"id": f"did:example:load-{i}"}}
            answer = client.post(f"{base}/credentials/issue", headers=auth,
                                 content=json.dumps({"credential": vc}))
            assert answer.status_code == 201, answer.text[:300]
            with lock:
                issued.append(answer.json()["verifiableCredential"]["id"])

        def revoke_one(client: httpx.Client) -> None:
            with lock:
                cid = issued.pop() if issued else None
            if cid is None:
                return verify_one(client)
            answer = client.post(f"{base}/credentials/status", headers=auth, content=json.dumps(
                {"credentialId": cid, "credentialStatus": [
                    {"type": "BitstringStatusListEntry", "status": "revoked"}]}))
            assert answer.status_code == 200, answer.text[:300]
            return None

        def one(i: int) -> tuple[str, float]:
            client = clients[i % args.clients]
            kind = "verify"
            if workspace is not None and i % 10 == 8:
                kind = "issue"
            elif workspace is not None and i % 10 == 9:
                kind = "revoke"
            start = time.perf_counter()
            if kind == "issue":
                issue_one(client, i)
            elif kind == "revoke":
                revoke_one(client)
            else:
                verify_one(client)
            return kind, time.perf_counter() - start

        clients = [httpx.Client(timeout=60) for _ in range(args.clients)]
        for c in clients:  # warm up
            verify_one(c)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(one, range(args.requests)))
        elapsed = time.perf_counter() - start
        for c in clients:
            c.close()
        latencies = sorted(t for _, t in results)
        p50 = statistics.median(latencies) * 1000
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
        workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
        if workspace is None:
            print(f"verify endpoint: {args.requests} requests, {args.clients} clients, "
                  f"{workers}: {args.requests / elapsed:,.0f} verifications/s, p50 {p50:.1f} "
                  f"ms, p99 {p99:.1f} ms")
            return
        print(f"issue/verify/status on a {args.ledger} ledger: {args.requests} requests "
              f"(8 verify : 1 issue : 1 revoke), {args.clients} clients, {workers}: "
              f"{args.requests / elapsed:,.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        for kind in ("verify", "issue", "revoke"):
            mine = sorted(t for k, t in results if k == kind)
            if mine:
                p50k = statistics.median(mine) * 1000
                p99k = mine[max(0, int(len(mine) * 0.99) - 1)] * 1000
                print(f"  {kind:7} {len(mine):5} requests  p50 {p50k:6.1f} ms  p99 {p99k:6.1f} "
                      "ms")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
