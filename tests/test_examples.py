"""The examples run as a user would run them."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO


def test_demo_runs_and_everything_conforms() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "examples" / "demo.py")],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "round trip:  exact" in out
    assert out.count("conforms") == 2
    assert "matches the hashed identifier: True" in out
    assert "expanded offline" in out


def test_readme_python_example_runs() -> None:
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", readme, re.S)
    assert code is not None
    exec(compile(code.group(1), "README.md", "exec"), {})


def test_benchmark_script_runs() -> None:
    # a smoke run (one repetition): the figures themselves are read by people, not asserted
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--repeat", "1",
         "--bulk-rows", "200"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"eddsa-rdfc-2022 +sign", result.stdout)
    assert re.search(r"eddsa-jcs-2022 +jsonl +[\d,]+", result.stdout)
