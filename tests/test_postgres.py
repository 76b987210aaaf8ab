"""A workspace whose ledger is PostgreSQL (a real server the tests start on loopback): init,
issue, revoke, publish and verify; the programs' workflow, stacks and deliveries in the same
database; `mcbadge ledger migrate` from SQLite, checked; many processes writing at once, and
one killed mid-transaction. Skips, saying why, where there is no PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mcbadge.errors import IssuingError, LedgerError
from mcbadge.issuing import Issuer, PostgresLedger
from mcbadge.resolve import Fetcher
from mcbadge.verification import verify
from tests.conftest import REPO
from tests.test_cli_keys import run

ACHIEVEMENT = {"id": "https://pd.district.example/a/community", "name": "Classroom Community",
               "description": "Belonging.", "criteria": {"narrative": "Reviewed."}}


def _workspace(folder: Path, url: str, **kw: Any) -> Issuer:
    return Issuer.create(folder, name="District PD", url="https://pd.district.example",
                         ledger=url, **kw)


def _verified(issuer: Issuer, badge: dict[str, Any]) -> Any:
    return verify(badge, fetcher=Fetcher(documents=issuer.status_list_credentials(),
                                         offline=True))


def test_init_issue_revoke_verify_on_postgresql(tmp_path: Path, postgres_url: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    secret = postgres_url.replace("postgres@", "postgres:s3cret@")
    code, _, err = run(["init", str(tmp_path / "ws"), "--name", "District PD", "--url",
                        "https://pd.district.example", "--ledger", secret], capsys)
    assert code == 0, err
    config = json.loads((tmp_path / "ws" / "issuer.json").read_text())
    assert config["ledger"] == postgres_url  # the password is not stored
    assert not (tmp_path / "ws" / "ledger.sqlite3").exists()
    issuer = Issuer.open(tmp_path / "ws")
    assert isinstance(issuer.ledger, PostgresLedger)
    badges = [issuer.issue(ACHIEVEMENT, f"e{i}@district.example") for i in range(5)]
    assert issuer.revoke(badges[0]["id"], "awarded in error")
    assert not _verified(issuer, badges[0]).verified
    assert "CREDENTIAL_REVOKED" in _verified(issuer, badges[0]).problems
    assert _verified(issuer, badges[1]).verified
    assert issuer.ledger.count() == 5
    issuer.close()
    code, out, err = run(["ledger", "check", "-i", str(tmp_path / "ws"), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["issued"] == 5
    code, _, err = run(["ledger", "backup", "-i", str(tmp_path / "ws"),
                        str(tmp_path / "copy.sqlite3")], capsys)
    assert code != 0 and "pg_dump" in err and len(err.strip().splitlines()) == 1
    # another workspace may not write into this one's database
    with pytest.raises(LedgerError, match="belongs to"):
        _workspace(tmp_path / "other", postgres_url)
    # MCBADGE_LEDGER may carry the password, not another database
    os.environ["MCBADGE_LEDGER"] = postgres_url.rsplit("/", 1)[0] + "/elsewhere"
    try:
        with pytest.raises(IssuingError, match="another database"):
            Issuer.open(tmp_path / "ws")
    finally:
        del os.environ["MCBADGE_LEDGER"]


def test_programs_stacks_and_deliveries_live_in_the_same_database(
        tmp_path: Path, postgres_url: str) -> None:
    from mcbadge.delivery import Deliveries
    from mcbadge.programs import Programs
    from mcbadge.stacks import Stack, Stacks
    from tests.programs_helpers import PROGRAM_ID, artifacts, program, recommended

    issuer = _workspace(tmp_path / "ws", postgres_url)
    programs = Programs(issuer)
    programs.define(program())
    stacks = Stacks(issuer)
    stacks.define(Stack.create({"id": "https://pd.district.example/stack/crt", "name": "CRT",
                                "description": "Stack.", "criteria": {"narrative": "All of."},
                                "achievementType": "Certificate"},
                               [PROGRAM_ID, ACHIEVEMENT["id"]]))
    issuer.issue(ACHIEVEMENT, "ada@district.example")
    arts = artifacts(programs, tmp_path / "files")
    sid = recommended(programs, "ada@district.example", arts)
    granted = programs.decide(sid, "grant", actor="district", reason="meets every criterion")
    assert granted.state == "awarded" and granted.credential_id
    [progress] = stacks.progress("ada@district.example")
    assert progress.complete and progress.awarded  # the stack badge came with the award
    assert programs.report(PROGRAM_ID)["states"] == {"awarded": 1}
    deliveries = Deliveries(issuer, base_url="https://badges.district.example")
    token = deliveries.claim_link(granted.credential_id).rsplit("/", 1)[1]
    offer = deliveries.wallets.offer(token)
    assert offer.exchange_url.startswith("https://badges.district.example/workflows/")
    assert deliveries.redeem(token)["id"] == granted.credential_id
    with pytest.raises(IssuingError, match="used"):
        deliveries.redeem(token)
    # nothing of it went to a SQLite file
    assert not (tmp_path / "ws" / "ledger.sqlite3").exists()
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert {"credentials", "program_submissions", "stack_awards", "delivery_claims",
            "delivery_exchanges"} <= tables
    issuer.close()


def test_ledger_migrate_copies_checks_and_switches(tmp_path: Path, postgres_url: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from mcbadge.delivery import Deliveries
    from mcbadge.programs import Programs
    from tests.programs_helpers import PROGRAM_ID, artifacts, program, recommended

    ws = tmp_path / "ws"
    issuer = Issuer.create(ws, name="District PD", url="https://pd.district.example")
    badges = [issuer.issue(ACHIEVEMENT, f"m{i}@district.example", suspendable=True)
              for i in range(30)]
    issuer.revoke(badges[3]["id"], "error")
    issuer.suspend(badges[4]["id"], "review")
    programs = Programs(issuer)
    programs.define(program())
    awarded = programs.decide(recommended(programs, "ada@district.example",
                                          artifacts(programs, tmp_path / "files")),
                              "grant", actor="district", reason="meets it")
    deliveries = Deliveries(issuer, base_url="https://badges.district.example")
    token = deliveries.claim_link(badges[5]["id"]).rsplit("/", 1)[1]
    before = {info.url: info.set_indexes for info in issuer.ledger.status_lists()}
    deliveries.close()
    programs.close()
    issuer.close()

    code, out, err = run(["ledger", "migrate", "-i", str(ws), "--to", postgres_url, "--json"],
                         capsys)
    assert code == 0, err
    tables = json.loads(out)["tables"]
    assert tables["credentials"]["rows"] == 31 and tables["status_events"]["rows"] == 2
    assert tables["program_submissions"]["rows"] == 1 and tables["delivery_claims"]["rows"] == 1
    assert (ws / "ledger-before-postgresql.sqlite3").exists()
    assert not (ws / "ledger.sqlite3").exists()

    issuer = Issuer.open(ws)
    assert isinstance(issuer.ledger, PostgresLedger)
    assert issuer.ledger.count() == 31
    assert {i.url: i.set_indexes for i in issuer.ledger.status_lists()} == before
    assert issuer.record(badges[3]["id"]).revoked and issuer.record(badges[4]["id"]).suspended
    assert [h.reason for h in issuer.history(badges[3]["id"])] == ["error"]
    assert Programs(issuer).submission(awarded.id).credential_id == awarded.credential_id
    assert Programs(issuer).report(PROGRAM_ID)["states"] == {"awarded": 1}
    assert Deliveries(issuer, base_url="https://badges.district.example").redeem(token)[
        "id"] == badges[5]["id"]  # a claim link sent before the move still works
    # issuing goes on: new indexes never collide with the migrated ones
    more = [issuer.issue(ACHIEVEMENT, f"n{i}@district.example") for i in range(20)]
    places = [(s.list_url, s.index) for r in issuer.ledger.records() for s in r.statuses]
    assert len(places) == len(set(places))
    assert _verified(issuer, more[0]).verified and _verified(issuer, badges[6]).verified
    issuer.close()
    # a second migration, or one into a database that holds a ledger, is refused
    code, _, err = run(["ledger", "migrate", "-i", str(ws), "--to", postgres_url], capsys)
    assert code != 0 and "already keeps its ledger" in err and len(err.strip().splitlines()) == 1


def test_migrate_refuses_a_database_that_is_not_empty(tmp_path: Path, postgres_url: str,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    taken = _workspace(tmp_path / "first", postgres_url)
    taken.issue(ACHIEVEMENT, "x@district.example")
    taken.close()
    other = Issuer.create(tmp_path / "second", name="Other", url="https://other.example")
    other.issue(ACHIEVEMENT, "y@district.example")
    other.close()
    code, _, err = run(["ledger", "migrate", "-i", str(tmp_path / "second"), "--to",
                        postgres_url], capsys)
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert (tmp_path / "second" / "ledger.sqlite3").exists()  # left as it was
    assert "ledger" not in json.loads((tmp_path / "second" / "issuer.json").read_text())


# ------------------------------------------------------------------ many writers, one killed

PROCESSES = 8
PER_PROCESS = 1250
SHARED_KEYS = 100


def _writer(ws: str, n: int, barrier: Any) -> None:
    issuer = Issuer.open(ws)
    barrier.wait()
    mine = range(n * PER_PROCESS, (n + 1) * PER_PROCESS)
    theirs = range(((n + 1) % PROCESSES) * PER_PROCESS,
                   ((n + 1) % PROCESSES) * PER_PROCESS + SHARED_KEYS)
    for i in [*mine, *theirs]:  # the neighbour's first keys too: each must issue once
        issuer.issue(ACHIEVEMENT, f"t{i}@district.example", idempotency_key=f"key-{i}")
    issuer.close()


@pytest.mark.slow
def test_eight_processes_issue_ten_thousand_badges_into_one_ledger(
        tmp_path: Path, postgres_url: str) -> None:
    ws = tmp_path / "ws"
    _workspace(ws, postgres_url).close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = [context.Process(target=_writer, args=(str(ws), n, barrier))
               for n in range(PROCESSES)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(600)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    issuer = Issuer.open(ws)
    records = list(issuer.ledger.records(state=None))
    assert len(records) == PROCESSES * PER_PROCESS  # no row lost, none twice
    assert all(r.issued for r in records)
    keys = [r.idempotency_key for r in records]
    assert len(set(keys)) == len(keys) == 10_000
    places = [(s.list_url, s.index) for r in records for s in r.statuses]
    assert len(set(places)) == len(places) == 10_000  # no status index reused
    assert {r.recipient for r in records} == {f"t{i}@district.example"
                                              for i in range(10_000)}
    issuer.close()


_HOLD = """
import sys, time
from mcbadge.issuing._postgres import PostgresLedger
from mcbadge._private.pg import RESERVE_LOCK
ledger = PostgresLedger(sys.argv[1])
with ledger.pool.transaction(RESERVE_LOCK) as db:
    db.execute("INSERT INTO credentials (id, recipient, achievement_id, state, reserved_at) "
               "VALUES ('urn:uuid:half-done', 'k@district.example', 'x', 'reserved', 'now')")
    print("inside", flush=True)
    time.sleep(120)
"""


def test_a_writer_killed_mid_transaction_leaves_no_partial_row(tmp_path: Path,
                                                               postgres_url: str) -> None:
    issuer = _workspace(tmp_path / "ws", postgres_url)
    issuer.issue(ACHIEVEMENT, "before@district.example")
    child = subprocess.Popen([sys.executable, "-c", _HOLD, postgres_url], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "inside"  # it holds the lock and a row
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    started = time.monotonic()
    after = issuer.issue(ACHIEVEMENT, "after@district.example")  # the lock went with it
    assert time.monotonic() - started < 30
    assert issuer.record("urn:uuid:half-done") is None
    assert issuer.ledger.count(None) == 2 and issuer.record(after["id"]).issued
    # a bulk writer killed at a random moment: every row is whole, and a re-run completes it
    script = ("import sys\nfrom mcbadge.issuing import Issuer\nissuer = Issuer.open(sys.argv[1])"
              "\nfor i in range(400):\n    issuer.issue(" + repr(ACHIEVEMENT) +
              ", f'b{i}@district.example', idempotency_key=f'bulk-{i}')\n")
    bulk = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "ws")], cwd=REPO)
    deadline = time.monotonic() + 120
    while issuer.ledger.count(None) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    bulk.send_signal(signal.SIGKILL)
    bulk.wait(30)
    for record in issuer.ledger.records(state=None):
        assert record.state in ("reserved", "issued")
        assert (record.document is not None) == record.issued
        assert record.statuses  # never a credential without its status entry
    for i in range(400):
        issuer.issue(ACHIEVEMENT, f"b{i}@district.example", idempotency_key=f"bulk-{i}")
    assert issuer.ledger.count() == 402 and issuer.ledger.count("reserved") == 0
    issuer.close()


def test_serve_with_two_workers_on_one_postgresql_ledger(tmp_path: Path,
                                                         postgres_url: str) -> None:
    """`mcbadge serve --workers 2` (two processes, one ledger): concurrent issue, verify and
    status requests; every issue recorded once, revocations seen by both workers."""
    import socket
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    ws = tmp_path / "ws"
    issuer = _workspace(ws, postgres_url)
    issuer_id = issuer.id
    issuer.close()
    (tmp_path / "token").write_text("t0ken-for-tests")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "mcbadge", "serve", "-i", str(ws),
                               "--port", str(port), "--workers", "2", "--token-file",
                               str(tmp_path / "token")], cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer t0ken-for-tests"}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/verify", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

        signed_by_id: dict[str, Any] = {}

        def one(i: int) -> tuple[str, int, int, int]:
            with httpx.Client(base_url=base, timeout=60) as client:
                vc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                      "type": ["VerifiableCredential"], "issuer": issuer_id,
                      "credentialSubject": {"id": f"did:example:learner-{i}"}}
                made = client.post("/credentials/issue", headers=auth,
                                   json={"credential": vc})
                signed = made.json()["verifiableCredential"]
                checked = client.post("/credentials/verify",
                                      json={"verifiableCredential": signed})
                status = 200
                if i % 5 == 0:
                    status = client.post("/credentials/status", headers=auth, json={
                        "credentialId": signed["id"],
                        "credentialStatus": [{"type": "BitstringStatusListEntry",
                                              "status": "revoked"}]}).status_code
                signed_by_id[signed["id"]] = signed
                return signed["id"], made.status_code, checked.status_code, status

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(120)))
        assert {(m, c, s) for _, m, c, s in results} == {(201, 200, 200)}
        # a revoked credential fails verification at either worker (they share the ledger)
        with httpx.Client(base_url=base, timeout=60) as client:
            revoked = [cid for cid, *_ in results[::5]]
            assert client.post("/credentials/status", headers=auth, json={
                "credentialId": revoked[0], "credentialStatus": [
                    {"type": "BitstringStatusListEntry", "status": "revoked"}]}
                ).json()["changed"] is False
        for cid in revoked[:6]:  # fresh connections: both workers answer some of these
            answer = httpx.post(base + "/credentials/verify", timeout=60,
                                json={"verifiableCredential": signed_by_id[cid]})
            assert answer.status_code == 400 and "CREDENTIAL_REVOKED" in answer.text
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)
    issuer = Issuer.open(ws)
    records = list(issuer.ledger.records(state=None))
    assert len(records) == 120 and all(r.issued for r in records)
    assert sum(r.revoked for r in records) == 24
    places = [(s.list_url, s.index) for r in records for s in r.statuses]
    assert len(set(places)) == len(places)
    issuer.close()


def test_a_roster_bulk_run_on_postgresql_is_idempotent(tmp_path: Path,
                                                      postgres_url: str) -> None:
    """`issue_many` with worker processes on a PostgreSQL ledger; a re-run issues nothing."""
    issuer = _workspace(tmp_path / "ws", postgres_url)
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name\n" + "".join(f"r{i}@district.example,R {i}\n"
                                               for i in range(300)))
    first = issuer.issue_many(ACHIEVEMENT, roster, out=tmp_path / "out.jsonl", workers=2,
                              chunk_size=50)
    assert (first.issued, first.existing, first.failed) == (300, 0, [])
    again = issuer.issue_many(ACHIEVEMENT, roster, out=tmp_path / "out.jsonl", workers=2,
                              chunk_size=50)
    assert (again.issued, again.existing) == (0, 300)
    assert issuer.ledger.count() == 300
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert len(lines) == 300 and _verified(issuer, json.loads(lines[0])).verified
    issuer.close()
