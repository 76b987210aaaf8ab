"""Stopping a roster run: no signing process outlives it (they hold the key), and Ctrl-C or
SIGTERM report what was recorded. Real processes, a real terminal (a pty), /proc for who is
still alive."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mcbadge.issuing import Issuer
from tests.test_bulk import ACHIEVEMENT, URL, _issued_count, write_roster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)"),
]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _setup(tmp_path: Path, rows: int = 3000) -> tuple[list[str], Path]:
    workspace = tmp_path / "issuer"
    Issuer.create(workspace, name="District PD", url=URL).close()
    (tmp_path / "ach.json").write_text(json.dumps(ACHIEVEMENT), "utf-8")
    roster = write_roster(tmp_path / "roster.csv", rows)
    args = [sys.executable, "-m", "mcbadge", "issue", "--issuer", str(workspace),
            "--achievement", str(tmp_path / "ach.json"), "--roster", str(roster),
            "--out", str(tmp_path / "out"), "--workers", "2"]
    return args, workspace / "ledger.sqlite3"


def _wait_for(ledger: Path, count: int, proc_alive: object) -> None:
    deadline = time.monotonic() + 120
    while _issued_count(ledger) < count:
        assert time.monotonic() < deadline, "no progress"
        assert callable(proc_alive) and proc_alive(), "the run ended before it was stopped"
        time.sleep(0.02)


def _workers_of(pid: int) -> list[int]:
    deadline = time.monotonic() + 30
    while True:
        found = _children(pid)
        if len(found) >= 2 or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_sigkill_of_the_parent_takes_the_signing_workers_with_it(tmp_path: Path) -> None:
    args, ledger = _setup(tmp_path)
    proc = subprocess.Popen([*args, "--quiet"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(ledger, 50, lambda: proc.poll() is None)
        workers = _workers_of(proc.pid)
        assert workers, "no worker processes found"
        os.kill(proc.pid, signal.SIGKILL)  # the parent only: nobody tells the workers
        proc.wait(10)
        killed = time.monotonic()
        while any(_alive(w) for w in workers) and time.monotonic() - killed < 5:
            time.sleep(0.05)
        survivors = [w for w in workers if _alive(w)]
        assert survivors == [], f"workers outlived the parent: {survivors}"
        assert time.monotonic() - killed < 2.0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_sigterm_shuts_the_pool_down_and_says_what_was_recorded(tmp_path: Path) -> None:
    args, ledger = _setup(tmp_path)
    proc = subprocess.Popen([*args, "--quiet"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _wait_for(ledger, 50, lambda: proc.poll() is None)
        workers = _workers_of(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 143, err
        message = err.decode()
        assert "terminated:" in message and "rows recorded" in message, message
        assert "Traceback" not in message
        assert not any(_alive(w) for w in workers)
        recorded = int(message.split("terminated: ")[1].split(" of")[0].replace(",", ""))
        assert recorded <= _issued_count(ledger)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_ctrl_c_in_a_terminal_prints_the_counts(tmp_path: Path) -> None:
    args, ledger = _setup(tmp_path)
    pid, master = pty.fork()
    if pid == 0:  # the child: mcbadge in a real terminal
        os.execv(args[0], args)
    output = b""

    def read(timeout: float) -> None:
        nonlocal output
        ready, _, _ = select.select([master], [], [], timeout)
        if ready:
            with contextlib.suppress(OSError):
                output += os.read(master, 65536)

    try:
        deadline = time.monotonic() + 120
        while _issued_count(ledger) < 50:
            assert time.monotonic() < deadline, output[-2000:]
            read(0.05)
        workers = _workers_of(pid)
        os.write(master, b"\x03")  # Ctrl-C: SIGINT to the terminal's foreground group
        end = time.monotonic() + 30
        status = None
        while time.monotonic() < end:
            read(0.1)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        read(0.2)
        assert status is not None and os.waitstatus_to_exitcode(status) == 130, output[-2000:]
        text = output.decode("utf-8", "replace")
        assert "interrupted:" in text and "rows recorded" in text, text[-2000:]
        assert "run the same command again" in text
        assert "Traceback" not in text
        assert not any(_alive(w) for w in workers)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(master)
