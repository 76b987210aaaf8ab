"""`make docs`: the site builds with no warnings, and the CLI reference covers every command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

MKDOCS = Path(sys.executable).parent / "mkdocs"


@pytest.mark.skipif(not MKDOCS.exists() and shutil.which("mkdocs") is None,
                    reason="mkdocs is not installed (pip install 'mcbadge[docs]')")
def test_docs_build_strict_and_document_every_command(tmp_path: Path) -> None:
    exe = str(MKDOCS) if MKDOCS.exists() else "mkdocs"
    done = subprocess.run(
        [exe, "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=REPO,
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr
    cli = (REPO / "docs" / "reference" / "cli.md").read_text("utf-8")
    for command in ("init", "keygen", "achievement new", "issue", "sign", "verify", "bake",
                    "unbake", "revoke", "suspend", "status publish", "validate", "inspect",
                    "demo", "ledger"):
        assert f"`mcbadge {command}`" in cli, command
    api = (tmp_path / "site" / "reference" / "api" / "index.html").read_text("utf-8")
    for name in ("Issuer", "issue_many", "VerificationResult", "TrustedIssuers", "bake"):
        assert name in api, name
    # the models' fields are listed, with their types
    for field in ("mcbadge.models.IdentityObject.identity_hash",
                  "mcbadge.models.OpenBadgeCredential.credential_subject",
                  "mcbadge.issuing.RosterFormat.columns"):
        assert f'id="{field}"' in api, field
