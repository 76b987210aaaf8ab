"""The ledger refuses damage, keeps its secrets to its owner, and is safe to share."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mcbadge.errors import LedgerError
from mcbadge.issuing import Issuer
from mcbadge.issuing._ledger import SQLiteLedger

ACHIEVEMENT = {"id": "https://pd.district.example/achievements/community",
               "name": "Classroom Community", "description": "Builds belonging.",
               "criteria": {"narrative": "Video, reflection and student work."}}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "issuer"
    with Issuer.create(root, name="District PD", url="https://pd.district.example") as issuer:
        badge = issuer.issue(ACHIEVEMENT, "maria@district.example", idempotency_key="k1")
        issuer.revoke(badge["id"], reason="test")
    return root


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mcbadge", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_workspace_and_the_ledger_are_private(workspace: Path) -> None:
    assert _mode(workspace) == 0o700
    ledger = workspace / "ledger.sqlite3"
    assert _mode(ledger) == 0o600
    with Issuer.open(workspace) as issuer:  # WAL files exist while it is open
        issuer.issue(ACHIEVEMENT, "ken@district.example")
        for suffix in ("-wal", "-shm"):
            side = ledger.with_name(ledger.name + suffix)
            assert side.exists() and _mode(side) == 0o600, suffix


DAMAGE = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2 + 100]),
    "foreign": lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 4096),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_ledger_is_refused_and_left_alone(workspace: Path, damage: str) -> None:
    ledger = workspace / "ledger.sqlite3"
    with sqlite3.connect(ledger) as db:  # fold the WAL in, so the file is the whole ledger
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    DAMAGE[damage](ledger)
    before = _digest(ledger)
    with pytest.raises(LedgerError, match="restore it from a backup"):
        Issuer.open(workspace)
    out = _cli("status", "publish", "-i", str(workspace), "-o", str(workspace / "site"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and str(ledger) in out.stderr
    assert "Traceback" not in out.stderr
    assert _digest(ledger) == before  # nothing written over it
    assert not (workspace / "site").exists()  # and no status list cleared of revocations


def test_missing_corrupted_foreign_and_future_ledgers(workspace: Path, tmp_path: Path) -> None:
    ledger = workspace / "ledger.sqlite3"
    with sqlite3.connect(ledger) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pristine = ledger.read_bytes()
    # a corrupted page in the middle (the header still looks right)
    data = bytearray(pristine)
    page = int.from_bytes(data[16:18], "big")
    data[page * 2: page * 2 + 200] = b"\xff" * 200
    ledger.write_bytes(bytes(data))
    with pytest.raises(LedgerError, match=r"corrupted|cannot be read"):
        Issuer.open(workspace)
    # another application's SQLite database
    ledger.unlink()
    with sqlite3.connect(ledger) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(LedgerError, match="not an mcbadge ledger"):
        Issuer.open(workspace)
    # a ledger from a newer mcbadge
    ledger.write_bytes(pristine)
    with sqlite3.connect(ledger) as db:
        db.execute("PRAGMA user_version = 99")
    before = _digest(ledger)
    with pytest.raises(LedgerError, match="upgrade mcbadge"):
        Issuer.open(workspace)
    assert _digest(ledger) == before
    ledger.unlink()
    with pytest.raises(LedgerError, match="is missing"):
        Issuer.open(workspace)
    with pytest.raises(LedgerError, match="already exists"):
        SQLiteLedger(workspace / "issuer.json", create=True)


def test_backup_and_check(workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "backup.sqlite3"
    out = _cli("ledger", "backup", "-i", str(workspace), str(copy), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] and report["issued"] == 1 and report["status_changes"] == 1
    assert _mode(copy) == 0o600
    with SQLiteLedger(copy) as restored:
        (record,) = list(restored.records())
        assert record.revoked
    assert _cli("ledger", "backup", "-i", str(workspace), str(copy)).returncode == 2
    out = _cli("ledger", "check", "-i", str(workspace))
    assert out.returncode == 0 and out.stdout.startswith("ledger ok: 1 issued"), out.stdout
    listing = _cli("ledger", "-i", str(workspace), "--json")
    assert json.loads(listing.stdout.splitlines()[0])["status"] == "revoked"


def test_one_issuer_shared_by_eight_threads(workspace: Path) -> None:
    errors: list[BaseException] = []
    with Issuer.open(workspace) as issuer:
        def work(n: int) -> None:
            try:
                for i in range(25):
                    issuer.issue(ACHIEVEMENT, f"t{n}-{i}@district.example",
                                 idempotency_key=f"thread-{n}-{i}")
            except BaseException as exc:  # counted, then asserted on
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        records = [r for r in issuer.ledger.records() if r.idempotency_key
                   and r.idempotency_key.startswith("thread-")]
        assert len(records) == 200
        places = [(s.list_url, s.index) for r in records for s in r.statuses]
        assert len(places) == len(set(places)) == 200


def test_two_processes_and_threads_on_one_workspace(workspace: Path) -> None:
    script = (
        "import sys, threading\n"
        "from mcbadge.issuing import Issuer\n"
        f"A = {ACHIEVEMENT!r}\n"
        "issuer = Issuer.open(sys.argv[1])\n"
        "def work(t):\n"
        "    for i in range(10):\n"
        "        issuer.issue(A, f'p{sys.argv[2]}-{t}-{i}@x.example', "
        "idempotency_key=f'p{sys.argv[2]}-{t}-{i}')\n"
        "ts = [threading.Thread(target=work, args=(t,)) for t in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(workspace), str(n)],
                              env={**os.environ}) for n in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    with Issuer.open(workspace) as issuer:
        records = [r for r in issuer.ledger.records()
                   if r.idempotency_key and r.idempotency_key.startswith("p")]
        assert len(records) == 80
        places = {(s.list_url, s.index) for r in records for s in r.statuses}
        assert len(places) == 80


def test_an_older_workspace_is_made_private_when_opened(workspace: Path) -> None:
    ledger = workspace / "ledger.sqlite3"
    os.chmod(workspace, 0o755)
    os.chmod(ledger, 0o644)
    Issuer.open(workspace).close()
    assert _mode(workspace) == 0o700 and _mode(ledger) == 0o600
