"""The issuer's command line: init, issue (one, a roster), bake, status publish, revoke, and
the badge checked by `mcbadge verify` (and by the peer) before and after revocation."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcbadge.baking import extract
from tests.test_baking import plain_png
from tests.test_cli_keys import run
from tests.test_issuing import ACHIEVEMENT, URL
from tests.test_peer import NODE, PEER

LIST_URL = f"{URL}/status/revocation-1.json"


@pytest.fixture
def workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, err = run(["init", str(tmp_path / "iss"), "--name", "District PD",
                          "--url", URL], capsys)
    assert code == 0, err
    assert "did:key:z6Mk" in out
    (tmp_path / "ach.json").write_text(json.dumps(ACHIEVEMENT), "utf-8")
    return tmp_path / "iss"


def issue_baked(workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                ) -> tuple[Path, dict[str, Any]]:
    (tmp_path / "badge-art.png").write_bytes(plain_png())
    baked = tmp_path / "ada.png"
    code, _, err = run(["issue", "--issuer", str(workspace), "-a", str(tmp_path / "ach.json"),
                        "-r", "ada@district.example", "--name", "Ada Lovelace",
                        "--evidence", "https://evidence.example/ada", "--narrative",
                        "Lesson video and reflection", "--result", "Proficient",
                        "--bake", str(tmp_path / "badge-art.png"), "-o", str(baked)], capsys)
    assert code == 0, err
    assert "baked into" in err
    return baked, json.loads(extract(baked.read_bytes()))


def publish(workspace: Path, site: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, err = run(["status", "publish", "--issuer", str(workspace), "-o", str(site)],
                         capsys)
    assert code == 0, err
    assert LIST_URL in out
    return site / "status" / "revocation-1.json"


def test_issued_baked_published_then_revoked_verifies_then_does_not(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baked, credential = issue_baked(workspace, tmp_path, capsys)
    listed = publish(workspace, tmp_path / "site", capsys)
    verify_args = ["verify", str(baked), "--document", f"{LIST_URL}={listed}", "--offline",
                   "--json", "--recipient", "ada@district.example"]
    code, out, err = run(verify_args, capsys)
    report = json.loads(out)
    assert code == 0, out + err
    assert report["verified"] is True and report["format"] == "png+json"
    assert report["credential"]["id"] == credential["id"]

    code, out, err = run(["revoke", "-i", str(workspace), credential["id"], "--reason",
                          "awarded in error"], capsys)
    assert code == 0 and "revoked" in out, err
    publish(workspace, tmp_path / "site", capsys)
    code, out, _ = run(verify_args, capsys)
    report = json.loads(out)
    assert code == 1
    assert report["problems"] == ["CREDENTIAL_REVOKED"]

    code, out, _ = run(["ledger", "-i", str(workspace), "--json"], capsys)
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["status"] == "revoked" and row["recipient"] == "ada@district.example"
    code, out, _ = run(["ledger", "-i", str(workspace), "--history", credential["id"]], capsys)
    assert "revocation=1" in out and "awarded in error" in out


@pytest.mark.skipif(NODE is None or not (PEER / "node_modules").is_dir(),
                    reason="peer harness not installed (run `make peer`)")
def test_the_peer_sees_the_badge_valid_then_revoked(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert NODE is not None
    _, credential = issue_baked(workspace, tmp_path, capsys)
    path = tmp_path / "ada.json"
    path.write_text(json.dumps(credential), "utf-8")

    def peer() -> dict[str, Any]:
        listed = publish(workspace, tmp_path / "site", capsys)
        done = subprocess.run(
            [NODE, "verify.mjs", "--status", f"{LIST_URL}={listed}", str(path)],
            cwd=PEER, capture_output=True, text=True, timeout=120,
        )
        report: dict[str, Any] = json.loads(done.stdout)
        return report

    before = peer()
    assert before["verified"] is True, before["errors"]
    assert before["checks"]["status"]["revoked"] is False
    code, _, err = run(["revoke", "-i", str(workspace), credential["id"], "--reason", "x"],
                       capsys)
    assert code == 0, err
    after = peer()
    assert after["verified"] is False
    assert after["checks"]["status"]["revoked"] is True
    assert after["checks"]["signature"]["verified"] is True


def test_a_roster_from_the_command_line(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAda,ada@district.example\nBad,nope\nGrace,"
                      "grace@district.example\n", "utf-8")
    args = ["issue", "-i", str(workspace), "-a", str(tmp_path / "ach.json"), "--roster",
            str(roster), "--out", str(tmp_path / "out"), "--workers", "1", "--json"]
    code, out, _ = run(args, capsys)
    summary = json.loads(out)
    assert code == 1  # a row failed
    assert (summary["issued"], summary["failed"][0]["line"]) == (2, 3)
    code, out, _ = run(args, capsys)
    assert json.loads(out)["existing"] == 2 and json.loads(out)["issued"] == 0
    code, _, err = run(args[:-1], capsys)
    assert "0 issued, 2 already issued, 1 failed of 3 rows" in err
    assert "line 3" in err


def test_mistakes_are_one_line_errors(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ach = str(tmp_path / "ach.json")
    cases = [
        (["issue", "-i", str(workspace), "-a", ach], "either --recipient"),
        (["issue", "-i", str(workspace), "-a", ach, "-r", "nobody"], "neither an email"),
        (["issue", "-i", str(tmp_path), "-a", ach, "-r", "a@b.example"], "not an issuer"),
        (["revoke", "-i", str(workspace), "urn:uuid:nope", "--reason", "x"], "no credential"),
        (["init", str(workspace), "--name", "X", "--url", URL], "not an empty folder"),
        (["issue", "-i", str(workspace), "-a", ach, "-r", "a@b.example", "--suite", "rot13"],
         "unknown suite"),
    ]
    for argv, message in cases:
        code, out, err = run(argv, capsys)
        assert code == 2, (argv, out, err)
        assert message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(("value", "hint"), [
    ("web.example:issuers:1", "'web.example/issuers/1'"),
    ("web.example:issuers", "'web.example/issuers'"),
    ("web.example:99999", "not a port number"),
    ("bad_host.example/x", "not a domain name"),
    ("did:web:web.example%3Aissuers:1", "not a port number"),
])
def test_init_did_web_refuses_a_host_that_is_not_name_and_port(
    value: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["init", str(tmp_path / "w"), "--name", "PD", "--url", URL,
                          "--did-web", value], capsys)
    assert code != 0 and hint in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and not (tmp_path / "w" / "issuer.json").exists()


@pytest.mark.parametrize(("value", "did"), [
    ("web.example:8443", "did:web:web.example%3A8443"),
    ("web.example%3A8443/issuers/1", "did:web:web.example%3A8443:issuers:1"),
    ("https://web.example/issuers/1/", "did:web:web.example:issuers:1"),
])
def test_init_did_web_takes_a_port_and_a_path(
    value: str, did: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["init", str(tmp_path / "w"), "--name", "PD", "--url", URL,
                        "--did-web", value], capsys)
    assert code == 0 and did in out


def test_init_did_web_and_publish_writes_the_did_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["init", str(tmp_path / "w"), "--name", "PD", "--url", URL,
                        "--did-web", "pd.district.example/issuers/pd"], capsys)
    assert code == 0 and "did:web:pd.district.example:issuers:pd" in out
    key = tmp_path / "w" / "keys" / "signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    (tmp_path / "ach.json").write_text(json.dumps(ACHIEVEMENT), "utf-8")
    code, _, _ = run(["issue", "-i", str(tmp_path / "w"), "-a", str(tmp_path / "ach.json"),
                      "-r", "did:example:a", "-o", str(tmp_path / "a.json")], capsys)
    assert code == 0
    code, out, _ = run(["status", "publish", "-i", str(tmp_path / "w"), "-o",
                        str(tmp_path / "site")], capsys)
    did_doc = json.loads((tmp_path / "site" / "issuers" / "pd" / "did.json").read_text())
    assert did_doc["id"] == "did:web:pd.district.example:issuers:pd"
    args = ["verify", str(tmp_path / "a.json"), "--offline", "--document",
            f"https://pd.district.example/issuers/pd/did.json="
            f"{tmp_path / 'site' / 'issuers' / 'pd' / 'did.json'}",
            "--document", f"{LIST_URL}={tmp_path / 'site' / 'status' / 'revocation-1.json'}"]
    code, out, err = run(args, capsys)
    assert code == 0, out + err


def test_the_installed_command_runs(tmp_path: Path) -> None:
    exe = shutil.which("mcbadge", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("mcbadge is not installed as a command here")
    done = subprocess.run([exe, "init", str(tmp_path / "x"), "--name", "X", "--url", URL],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_suspend_and_unsuspend_from_the_command_line(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["issue", "-i", str(workspace), "-a", str(tmp_path / "ach.json"),
                          "-r", "did:example:a", "--suspendable", "-o",
                          str(tmp_path / "a.json")], capsys)
    assert code == 0, err
    badge = json.loads((tmp_path / "a.json").read_text())
    code, out, _ = run(["suspend", "-i", str(workspace), badge["id"], "--reason", "review"],
                       capsys)
    assert code == 0 and "suspended" in out
    code, out, _ = run(["status", "publish", "-i", str(workspace), "-o", str(tmp_path / "s"),
                        "--json"], capsys)
    written = json.loads(out)
    args = ["verify", str(tmp_path / "a.json"), "--offline", "--json"]
    for url, path in written.items():
        args += ["--document", f"{url}={path}"]
    code, out, _ = run(args, capsys)
    assert code == 1 and json.loads(out)["problems"] == ["CREDENTIAL_SUSPENDED"]
    code, out, _ = run(["unsuspend", "-i", str(workspace), badge["id"]], capsys)
    assert code == 0 and "unsuspended" in out
    code, out, _ = run(["unsuspend", "-i", str(workspace), badge["id"]], capsys)
    assert code == 0 and "already unsuspended" in out
    run(["status", "publish", "-i", str(workspace), "-o", str(tmp_path / "s")], capsys)
    code, out, _ = run(args, capsys)
    assert code == 0, out
    code, _, err = run(["suspend", "-i", str(workspace), "urn:uuid:nope", "--reason", "x"],
                       capsys)
    assert code == 2 and "no credential" in err


def test_init_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["init", str(tmp_path / "j"), "--name", "PD", "--url", URL,
                        "--profile-url", f"{URL}/issuer.json", "--json"], capsys)
    info = json.loads(out)
    assert code == 0 and info["id"] == info["host"] == f"{URL}/issuer.json"
    assert info["verificationMethod"].startswith(f"{URL}/keys/z6Mk")
    code, out, _ = run(["init", str(tmp_path / "e"), "--name", "PD", "--url", URL,
                        "--profile-url", f"{URL}/issuer.json", "--embedded-key", "--json"],
                       capsys)
    assert code == 0 and json.loads(out)["verificationMethod"] == f"{URL}/issuer.json#key-1"


@pytest.mark.skipif(NODE is None or not (PEER / "node_modules").is_dir(),
                    reason="peer harness not installed (run `make peer`)")
def test_the_peer_verifies_bulk_issued_badges(tmp_path: Path) -> None:
    # bulk workers reuse the achievement's JSON-LD expansion; the peer expands afresh
    from mcbadge.issuing import Issuer

    assert NODE is not None
    achievement = dict(ACHIEVEMENT, description="A long description. " * 80)
    with Issuer.create(tmp_path / "iss", name="District PD", url=URL) as issuer:
        summary = issuer.issue_many(
            achievement, [{"email": f"e{i}@district.example", "name": f"E {i}",
                           "evidence": f"https://evidence.example/{i}"} for i in range(12)],
            out=tmp_path / "out", workers=1)
        assert summary.issued == 12
        listed = issuer.publish_status(tmp_path / "site")[LIST_URL]
    paths = [str(p) for p in sorted((tmp_path / "out").glob("*.json"))[:4]]
    done = subprocess.run([NODE, "verify.mjs", "--status", f"{LIST_URL}={listed}", *paths],
                          cwd=PEER, capture_output=True, text=True, timeout=120)
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(reports) == 4
    assert all(r["verified"] for r in reports), [r["errors"] for r in reports]
