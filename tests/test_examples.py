"""The examples run as a user would run them."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"example_{name}", REPO / "examples" /
                                                  f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_lms_award_endpoint_issues_once_per_completion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    import mcbadge
    from mcbadge.baking import extract

    monkeypatch.setenv("MCBADGE_ISSUER", str(tmp_path / "issuer"))
    monkeypatch.setenv("LMS_WEBHOOK_SECRET", "s3cret")
    example = _load("lms_award")
    client = TestClient(example.app)
    body = json.dumps({"completion_id": "c-8812", "course_id": "crt-101",
                       "learner_email": "maria@district.example", "learner_name": "Maria",
                       "evidence_url": "https://evidence.district.example/maria"}).encode()
    signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    first = client.post("/webhooks/course-completed", content=body,
                        headers={"X-LMS-Signature": signature})
    assert first.status_code == 201, first.text
    credential = first.json()["credential"]
    again = client.post("/webhooks/course-completed", content=body,
                        headers={"X-LMS-Signature": signature})
    assert again.json()["credential"] == credential  # a redelivered webhook: same badge
    png = client.get(first.json()["png"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert json.loads(extract(png.content)) == credential
    published = example.issuer.publish_status(tmp_path / "site")
    documents = {u: p.read_bytes() for u, p in published.items()}
    from mcbadge.resolve import Fetcher

    result = mcbadge.verify(png.content, fetcher=Fetcher(documents=documents, offline=True))
    assert result.verified, result.problems
    assert result.is_recipient("maria@district.example")
    forged = client.post("/webhooks/course-completed", content=body,
                         headers={"X-LMS-Signature": "0" * 64})
    assert forged.status_code == 401
    unknown = json.loads(body) | {"course_id": "nope"}
    raw = json.dumps(unknown).encode()
    missing = client.post("/webhooks/course-completed", content=raw, headers={
        "X-LMS-Signature": hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()})
    assert missing.status_code == 404
    garbage = b'{"completion_id": 5'
    malformed = client.post("/webhooks/course-completed", content=garbage, headers={
        "X-LMS-Signature": hmac.new(b"s3cret", garbage, hashlib.sha256).hexdigest()})
    assert malformed.status_code == 400 and "not a course completion" in malformed.text
    example.issuer.close()


def test_lms_award_under_fifty_concurrent_webhooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from tests.servers import asgi_on_loopback

    monkeypatch.setenv("MCBADGE_ISSUER", str(tmp_path / "issuer"))
    monkeypatch.setenv("LMS_WEBHOOK_SECRET", "s3cret")
    example = _load("lms_award")

    def deliver(base: str, n: int) -> tuple[int, str]:
        body = json.dumps({"completion_id": f"c-{n % 40}", "course_id": "crt-101",
                           "learner_email": f"learner{n % 40}@district.example",
                           "learner_name": f"Learner {n % 40}"}).encode()
        signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        answer = httpx.post(f"{base}/webhooks/course-completed",
                            content=body, headers={"X-LMS-Signature": signature}, timeout=60)
        return answer.status_code, answer.json()["credential"]["id"]

    with asgi_on_loopback(example.app) as base, ThreadPoolExecutor(50) as pool:
        # 50 at once, 10 of them redeliveries
        answers = list(pool.map(lambda n: deliver(base, n), range(50)))
    assert [status for status, _ in answers] == [201] * 50
    by_completion: dict[int, set[str]] = {}
    for n, (_, cid) in enumerate(answers):
        by_completion.setdefault(n % 40, set()).add(cid)
    assert all(len(ids) == 1 for ids in by_completion.values())  # redelivery: same badge
    records = list(example.issuer.ledger.records(state=None))
    assert len(records) == 40 and all(r.issued for r in records)
    places = {(s.list_url, s.index) for r in records for s in r.statuses}
    assert len(places) == 40
    example.issuer.close()


def test_bulk_award_then_verify_shared_badge(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)

    bulk = str(REPO / "examples" / "bulk_award.py")
    roster = str(REPO / "examples" / "roster.csv")
    first = run(bulk, roster, "--workers", "2")
    assert first.returncode == 1, first.stderr  # the roster's last row has no valid email
    assert "5 issued, 0 already issued, 1 not issued" in first.stdout
    assert "line 7:" in first.stdout
    second = run(bulk, roster)
    assert "0 issued, 5 already issued" in second.stdout
    badge = sorted((tmp_path / "badges").glob("maria*.json"))[0]
    listed = tmp_path / "site" / "status" / "revocation-1.json"
    verify = str(REPO / "examples" / "verify_shared_badge.py")
    ok = run(verify, str(badge), "--document",
             f"https://pd.district.example/status/revocation-1.json={listed}",
             "--recipient", "maria.lopez@district.example")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("VALID") and "belongs to maria.lopez@district.example: yes" \
        in ok.stdout
    tampered = tmp_path / "tampered.json"
    doc = json.loads(badge.read_text())
    doc["name"] = "Superintendent of Everything"
    tampered.write_text(json.dumps(doc))
    bad = run(verify, str(tampered), "--document",
              f"https://pd.district.example/status/revocation-1.json={listed}")
    assert bad.returncode == 1 and "NOT VALID" in bad.stdout
    assert "INVALID_SIGNATURE" in bad.stdout or "PROOF_VERIFICATION_ERROR" in bad.stdout


def test_readme_python_examples_run_in_order(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 4  # one for each kind of user, and building by hand
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md block {i + 1}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "eddsa-rdfc-2022" in out
    assert "True [] True" in out                       # verified, no problems, the recipient
    assert "2 [\"line 4: 'not-an-email'" in out          # roster: 2 issued, a bad row
    assert len(list((tmp_path / "badges").glob("*.json"))) == 2


def test_benchmark_script_runs() -> None:
    # a smoke run (one repetition): the figures themselves are read by people, not asserted
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--repeat", "1",
         "--bulk-rows", "200", "--ledger-sizes", "1000", "--memory-rows", "300"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"eddsa-rdfc-2022 +sign", result.stdout)
    assert re.search(r"eddsa-jcs-2022 +jsonl +[\d,]+", result.stdout)
    assert re.search(r"1,000 +\d+ +[\d.]+ +[\d.]+", result.stdout)  # the ledger figures
    assert "bulk memory" in result.stdout and "before the signature" in result.stdout
