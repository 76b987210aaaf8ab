"""Every Python block of the README and of every docs page runs as pasted: in order, one
namespace per page, in a fresh empty folder, offline. And the same from the installed wheel,
with no source tree on the path."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

BLOCK = re.compile(r"```python\n(.*?)```", re.S)
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
RUNNABLE = [p for p in PAGES if BLOCK.search(p.read_text("utf-8"))]


def _blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text("utf-8"))


def test_the_pages_have_code_to_run() -> None:
    assert len(RUNNABLE) >= 10
    assert sum(len(_blocks(p)) for p in RUNNABLE) >= 25


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda p: str(p.relative_to(REPO)))
def test_every_block_of_the_page_runs_in_order(page: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for i, block in enumerate(_blocks(page), 1):
        try:
            exec(compile(block, f"{page.relative_to(REPO)} block {i}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"{page.relative_to(REPO)} block {i} fails: {type(exc).__name__}: "
                        f"{exc}\n{block}")


RUNNER = r"""
import json, os, socket, sys, tempfile

def refuse(*args, **kwargs):
    raise SystemExit("network access attempted")

socket.socket.connect = refuse
socket.getaddrinfo = refuse
import mcbadge
assert mcbadge.__file__.startswith(sys.argv[2]), mcbadge.__file__
failures = []
for page, blocks in json.load(open(sys.argv[1])).items():
    os.chdir(tempfile.mkdtemp())
    namespace = {"__name__": "__docs__"}
    for i, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"{page} block {i}", "exec"), namespace)
        except Exception as exc:
            failures.append(f"{page} block {i}: {type(exc).__name__}: {exc}")
print(json.dumps(failures))
"""


@pytest.mark.slow
def test_the_blocks_run_from_the_installed_wheel(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(out), str(REPO)], check=True, capture_output=True)
    (wheel,) = out.glob("mcbadge-*.whl")
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                    "--quiet", "--target", str(target), str(wheel)], check=True,
                   capture_output=True)
    blocks = tmp_path / "blocks.json"
    blocks.write_text(json.dumps({str(p.relative_to(REPO)): _blocks(p) for p in RUNNABLE}))
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env["PYTHONPATH"] = str(target)
    work = tmp_path / "elsewhere"
    work.mkdir()
    done = subprocess.run([sys.executable, "-c", RUNNER, str(blocks), str(target)], cwd=work,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
