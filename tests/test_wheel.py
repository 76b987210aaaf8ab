"""A built wheel works on its own: no source tree, no network, schemas and contexts inside."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, SPEC

PROBE = r"""
import json, socket, sys

def refuse(*args, **kwargs):
    raise SystemExit("network access attempted")

socket.socket.connect = refuse
socket.getaddrinfo = refuse

import mcbadge
from mcbadge.models import parse_credential, validate_schema
from mcbadge.jsonld import DocumentLoader
from pyld import jsonld

assert mcbadge.__file__.startswith(sys.argv[2]), mcbadge.__file__
text = open(sys.argv[1], encoding="utf-8").read()
cred = parse_credential(text)
assert cred.to_dict() == json.loads(text)
assert validate_schema(cred.to_dict()) == []
expanded = jsonld.expand(cred.to_dict(), DocumentLoader().pyld_options())
assert expanded
print("ok", type(cred).__name__)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("mcbadge-*.whl")
    return whl


def test_wheel_contains_schemas_contexts_and_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mcbadge/py.typed" in names
    assert "mcbadge/schemas/ob/v3p0/json/ob_v3p0_achievementcredential_schema.json" in names
    assert "mcbadge/jsonld/contexts/credentials-v2.jsonld" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_parses_and_validates_offline(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    example = tmp_path / "badge.json"
    example.write_bytes((SPEC / "spec-examples/complete-openbadgecredential.json").read_bytes())
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env["PYTHONPATH"] = str(target)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(example), str(target)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok OpenBadgeCredential"


@pytest.mark.slow
def test_dist_builds_a_wheel_and_an_sdist_that_twine_accepts(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    built = subprocess.run(  # what `make dist` does, without the isolated (downloading) env
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stderr[-2000:]
    files = sorted(p.name for p in out.iterdir())
    assert any(f.endswith(".whl") for f in files) and any(f.endswith(".tar.gz") for f in files)
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict",
                              *map(str, out.iterdir())], capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = set(zipfile.ZipFile(next(out.glob("*.whl"))).namelist())
    assert any(n.endswith("licenses/LICENSE") for n in names), sorted(names)[-5:]
