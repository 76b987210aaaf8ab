"""`mcbadge verify`: table and JSON output, exit codes 0/1/2, documents, trust, recipient."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import VALIDATOR
from tests.issuers import Issuer
from tests.test_cli_keys import run

NOW = ["--now", "2026-11-23T12:00:00Z"]


@pytest.fixture
def served(tmp_path: Path) -> tuple[Issuer, Path, list[str]]:
    issuer = Issuer()
    issuer.bits.set(2, 1)
    args = ["--offline"]
    for i, (url, doc) in enumerate(issuer.documents().items()):
        path = tmp_path / f"doc{i}.json"
        path.write_text(json.dumps(doc))
        args += ["--document", f"{url}={path}"]
    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(issuer.sign(issuer.credential(
        credentialStatus=issuer.status_entry(1)))))
    return issuer, badge, args


def test_valid_badge_exits_0_with_a_table(served: tuple[Issuer, Path, list[str]],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, badge, args = served
    code, out, err = run(["verify", str(badge), *args, *NOW], capsys)
    assert code == 0, out + err
    assert out.startswith("VERIFIED")
    for check in ("valid_signature", "issuer_binding", "revocation_status"):
        assert check in out


def test_json_output_and_invalid_exit_1(served: tuple[Issuer, Path, list[str]],
                                        capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    issuer, badge, args = served
    revoked = tmp_path / "revoked.json"
    revoked.write_text(json.dumps(issuer.sign(issuer.credential(
        credentialStatus=issuer.status_entry(2)))))
    code, out, _ = run(["verify", str(revoked), "--json", *args, *NOW], capsys)
    assert code == 1
    result = json.loads(out)
    assert result["verified"] is False
    assert result["problems"] == ["CREDENTIAL_REVOKED"]
    code, out, _ = run(["verify", str(badge), "--json", "--offline", *NOW], capsys)
    assert code == 1  # nothing served: the key cannot be found
    assert json.loads(out)["problems"] == ["VERIFICATION_METHOD_NOT_FOUND"]


def test_unreadable_input_and_usage_errors_exit_2(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    code, _, err = run(["verify", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01garbage")
    code, _, err = run(["verify", str(junk), "--offline"], capsys)
    assert code == 2 and err.startswith("mcbadge: error:")
    code, _, err = run(["verify", str(junk), "--now", "yesterday"], capsys)
    assert code == 2 and "--now" in err
    code, _, err = run(["verify", str(junk), "--document", "nourl"], capsys)
    assert code == 2 and "URL=PATH" in err
    code, _, err = run(["verify", str(junk), "--trust", str(tmp_path / "none.txt")], capsys)
    assert code == 2 and "trust registry" in err


def test_stdin_trust_and_recipient(served: tuple[Issuer, Path, list[str]],
                                   capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _issuer, badge, args = served
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(badge.read_bytes())))
    code, out, _ = run(["verify", "-", "--json", *args, *NOW], capsys)
    assert code == 0, out
    registry = tmp_path / "trust.txt"
    registry.write_text("https://someone-else.example\n")
    code, out, _ = run(["verify", str(badge), "--json", "--trust", str(registry), *args, *NOW],
                       capsys)
    assert code == 1 and json.loads(out)["problems"] == ["ISSUER_NOT_REGISTERED"]
    code, out, _ = run(["verify", str(badge), "--recipient", "did:example:educator-411",
                        *args, *NOW], capsys)
    assert code == 0 and "matches" in out
    code, out, _ = run(["verify", str(badge), "--recipient", "someone@example.org",
                        *args, *NOW], capsys)
    assert code == 1 and "no match" in out
    assert out.splitlines()[0].startswith("NOT VERIFIED  not awarded to someone@example.org")
    code, out, _ = run(["verify", str(badge), "--recipient", "someone@example.org", "--json",
                        *args, *NOW], capsys)
    assert code == 1 and json.loads(out)["problems"] == ["RECIPIENT_MISMATCH"]


def test_terminal_escapes_in_a_badge_never_reach_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    issuer = Issuer()
    doc = issuer.credential(name="Classroom \x1b[2J\x1b]0;pwned\x07Community\x9b31m")
    badge = tmp_path / "badge.json"
    badge.write_text(json.dumps(issuer.sign(doc)))
    for command in (["verify", str(badge), "--offline", *NOW], ["inspect", str(badge)]):
        _code, out, err = run(command, capsys)
        assert "\x1b" not in out + err and "\x07" not in out + err and "\x9b" not in out + err
        assert "Classroom" in out


def test_baked_png_with_lenient_flags(capsys: pytest.CaptureFixture[str]) -> None:
    png = VALIDATOR / "ob30/simple-jwt.png"
    code, out, _ = run(["verify", str(png), "--offline"], capsys)
    assert code == 1
    code, out, _ = run(["verify", str(png), "--offline", "--unsafe-unconfirmed-keys",
                        "--json"], capsys)
    assert code == 0 and json.loads(out)["format"] == "png+jwt"


def test_serve_without_the_server_extra_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    if importlib.util.find_spec("fastapi") is not None:
        pytest.skip("the server extra is installed here (tests/test_server.py covers serve)")
    code, _, err = run(["serve"], capsys)
    assert code == 2 and "mcbadge[server]" in err and len(err.strip().splitlines()) == 1
