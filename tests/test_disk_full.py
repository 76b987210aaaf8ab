"""A full disk during a roster run, a revocation and a publish, on a real small filesystem (a
tmpfs mounted for the test; needs root, as CI runs): one line and exit 2, the ledger
consistent afterwards, and the run resumable once there is room."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcbadge.issuing import Issuer
from tests.test_bulk import ACHIEVEMENT, URL, write_roster

pytestmark = pytest.mark.slow


def _mount(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    disk = tmp_path / "disk"
    if not _mount(disk, "700k"):
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _grow(disk: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mcbadge", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def _one_line(out: subprocess.CompletedProcess[str]) -> None:
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr


def test_a_full_disk_mid_roster_then_resume(small_disk: Path, tmp_path: Path) -> None:
    workspace = small_disk / "issuer"
    Issuer.create(workspace, name="District PD", url=URL).close()
    (tmp_path / "ach.json").write_text(json.dumps(ACHIEVEMENT), "utf-8")
    roster = write_roster(tmp_path / "roster.csv", 400)
    out = small_disk / "badges"
    args = ["issue", "-i", str(workspace), "-a", str(tmp_path / "ach.json"), "--roster",
            str(roster), "--out", str(out), "--workers", "1", "--quiet"]
    full = _cli(*args)
    _one_line(full)
    assert "No space left" in full.stderr or "full" in full.stderr, full.stderr
    check = _cli("ledger", "check", "-i", str(workspace), "--json")
    assert check.returncode == 0, check.stderr
    report = json.loads(check.stdout)
    assert report["ok"] and report["issued"] < 400
    _grow(small_disk, "16m")
    again = _cli(*args, "--json")
    assert again.returncode == 0, again.stderr
    with Issuer.open(workspace) as issuer:
        records = list(issuer.ledger.records(state=None))
        assert len(records) == 400 and all(r.issued for r in records)
        assert len({r.idempotency_key for r in records}) == 400
        documents = {json.loads(r.document or "")["id"] for r in records}
    written = {json.loads(p.read_text())["id"] for p in out.glob("*.json")}
    assert written == documents


def test_a_full_disk_during_revoke_and_publish(small_disk: Path, tmp_path: Path) -> None:
    workspace = small_disk / "issuer"
    with Issuer.create(workspace, name="District PD", url=URL) as issuer:
        badge = issuer.issue(ACHIEVEMENT, "maria@district.example")
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:  # take every byte left
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    revoke = _cli("revoke", "-i", str(workspace), badge["id"], "--reason", "test")
    publish = _cli("status", "publish", "-i", str(workspace), "-o", str(small_disk / "site"))
    filler.unlink()
    for out in (revoke, publish):
        if out.returncode != 0:  # SQLite may still fit a page in the WAL: then it worked
            _one_line(out)
    check = _cli("ledger", "check", "-i", str(workspace), "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["ok"], check.stdout
    with Issuer.open(workspace) as issuer:
        revoked = issuer.record(badge["id"])
        assert revoked is not None
        if revoke.returncode != 0:
            assert not revoked.revoked  # not half done: the change and its event, or neither
            assert issuer.history(badge["id"]) == []
            assert issuer.revoke(badge["id"], reason="test")
        assert len(issuer.history(badge["id"])) == 1
