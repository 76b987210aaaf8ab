"""The CLI with the ECDSA suites: keygen a P-256 Multikey, sign with ecdsa-rdfc-2019 /
ecdsa-jcs-2019 / ecdsa-sd-2023 (--mandatory), derive (--reveal, --hide-results), verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli_keys import run
from tests.test_ecdsa_sd import _badge


def _key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    key = tmp_path / "p256.json"
    code, out, _ = run(["keygen", "--type", "p256", "--format", "multikey", "-o", str(key)],
                       capsys)
    assert code == 0
    assert key.stat().st_mode & 0o777 == 0o600
    did = json.loads(out)["did"]
    assert did.startswith("did:key:zDn")
    return key, did


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019"])
def test_sign_and_verify_with_an_ecdsa_suite(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             suite: str) -> None:
    key, did = _key(tmp_path, capsys)
    badge = _badge()
    badge["issuer"]["id"] = did
    (tmp_path / "badge.json").write_text(json.dumps(badge))
    code, out, err = run(["sign", str(tmp_path / "badge.json"), "--key", str(key),
                          "--suite", suite], capsys)
    assert code == 0, err
    assert json.loads(out)["proof"]["cryptosuite"] == suite
    (tmp_path / "signed.json").write_text(out)
    code, out, err = run(["verify", str(tmp_path / "signed.json"), "--offline"], capsys)
    assert code == 0, out + err


def test_sign_sd_derive_hiding_results_and_verify(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    key, did = _key(tmp_path, capsys)
    badge = _badge()
    badge["issuer"]["id"] = did
    (tmp_path / "badge.json").write_text(json.dumps(badge))
    code, out, err = run(["sign", str(tmp_path / "badge.json"), "--key", str(key), "--suite",
                          "ecdsa-sd-2023", "--mandatory", "/issuer",
                          "--mandatory", "/validFrom"], capsys)
    assert code == 0, err
    (tmp_path / "base.json").write_text(out)
    # a base proof is for the holder: verify says so, in one line, and fails
    code, out, err = run(["verify", str(tmp_path / "base.json"), "--offline"], capsys)
    assert code != 0 and "derive" in out + err
    code, _, err = run(["derive", str(tmp_path / "base.json"), "--hide-results",
                        "-o", str(tmp_path / "shared.json")], capsys)
    assert code == 0, err
    shared = json.loads((tmp_path / "shared.json").read_text())
    assert "evidence" not in shared and "result" not in shared["credentialSubject"]
    assert shared["credentialSubject"]["achievement"]["name"] == "Classroom Community"
    code, out, err = run(["verify", str(tmp_path / "shared.json"), "--offline"], capsys)
    assert code == 0, out + err
    code, out, _ = run(["derive", str(tmp_path / "base.json"), "--reveal", "/name"], capsys)
    assert code == 0 and json.loads(out)["name"] == "Classroom Community"


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key, did = _key(tmp_path, capsys)
    badge = _badge()
    badge["issuer"]["id"] = did
    (tmp_path / "badge.json").write_text(json.dumps(badge))
    for argv, needle in (
        (["sign", str(tmp_path / "badge.json"), "--key", str(key), "--mandatory", "/issuer"],
         "--mandatory is for"),
        (["sign", str(tmp_path / "badge.json"), "--key", str(key), "--suite",
          "eddsa-rdfc-2022"], "Ed25519"),
        (["derive", str(tmp_path / "badge.json")], "say what to disclose"),
        (["derive", str(tmp_path / "badge.json"), "--reveal", "/name"], "base proof"),
    ):
        code, _, err = run(argv, capsys)
        assert code != 0 and needle in err, (argv, err)
        assert len(err.strip().splitlines()) == 1
