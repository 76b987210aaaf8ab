"""`mcbadge demo --serve`: the demo, then its badges served on loopback until stopped."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("jinja2")

from tests.conftest import REPO


def test_demo_serve_prints_the_urls_and_serves_public_badge_pages(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "200"}
    child = subprocess.Popen([sys.executable, "-m", "mcbadge", "demo", str(tmp_path / "d"),
                              "--serve", "--port", str(port), "-w", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=env)
    assert child.stdout is not None
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "a badge's page" in line:
                break
        text = "".join(lines)
        assert "demo complete" in text and f"serving on http://127.0.0.1:{port}" in text, text
        url = re.search(r"a badge's page (\S+)", text)
        assert url is not None
        for _ in range(100):
            try:
                page = httpx.get(url.group(1), timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert page.status_code == 200
        # verified, or (the demo revokes one) revoked and saying so
        assert ">Verified<" in page.text or "The issuer has revoked this badge." in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/verify").status_code == 200
    finally:
        child.terminate()
        child.wait(timeout=20)
