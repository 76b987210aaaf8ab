"""`mcbadge keygen` and `mcbadge sign`: happy paths and the main bad inputs."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mcbadge.cli import main
from mcbadge.keys import Ed25519Key, load_key
from mcbadge.proofs import verify_jwt, verify_proof
from tests.conftest import DATA, SPEC

SEED = bytes(range(32)).hex()
UNSIGNED = SPEC / "ob-v3p0-test-vector/credential.json"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    old = sys.argv
    sys.argv = ["mcbadge", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.startswith("mcbadge ")
    for part in ("pyld ", "cryptography ", "Python 3."):  # what a bug report needs
        assert part in out


def test_keygen_with_seed_is_deterministic_and_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "key.json"
    code, out, _ = run(["keygen", "--seed", SEED, "-o", str(path)], capsys)
    assert code == 0
    assert out.strip() == Ed25519Key.from_seed(bytes(range(32))).did
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    code, _, err = run(["keygen", "--seed", SEED, "-o", str(path)], capsys)
    assert code == 2
    assert "exists" in err


@pytest.mark.parametrize(("kind", "fmt"), [("p256", "pem"), ("p384", "jwk"), ("rsa", "jwk"), ("ed25519", "pem")])
def test_keygen_types_and_formats(kind: str, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k"
    code, out, _ = run(["keygen", "--type", kind, "--format", fmt, "-o", str(path)], capsys)
    assert code == 0
    key = load_key(path)
    if kind in ("p256", "p384"):  # an EC key prints its did:key (zDn... / z82...)
        assert json.loads(out)["did"] == key.did  # type: ignore[union-attr]
        assert key.did.startswith({"p256": "did:key:zDn", "p384": "did:key:z82"}[kind])


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
def test_sign_each_suite(suite: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "key.json"
    run(["keygen", "--seed", SEED, "-o", str(key)], capsys)
    code, out, err = run(["sign", "--key", str(key), "--suite", suite,
                          "--created", "2024-01-01T00:00:00Z", str(UNSIGNED)], capsys)
    assert code == 0, err
    signed = json.loads(out)
    assert signed["proof"]["created"] == "2024-01-01T00:00:00Z"
    assert verify_proof(signed, signed["proof"]).verified


def test_sign_jwt_with_an_rsa_pem_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "rsa.pem"
    run(["keygen", "--type", "rsa", "-o", str(key)], capsys)
    code, out, _ = run(["sign", "--key", str(key), "--suite", "jwt", str(UNSIGNED)], capsys)
    assert code == 0
    assert verify_jwt(out.strip()).verified


def test_sign_with_the_w3c_vector_key_and_an_extra_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v = DATA / "vectors"
    code, out, err = run([
        "sign", "--key", str(v / "common/keyPair.json"), "--created", "2023-02-24T23:36:38Z",
        "--context", f"https://www.w3.org/ns/credentials/examples/v2={v / 'contexts/credentials-examples-v2.jsonld'}",
        str(v / "common/unsigned.json"),
    ], capsys)
    assert code == 0, err
    assert json.loads(out) == json.loads((v / "eddsa-rdfc-2022/signedDataInt.json").read_text())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sign", "--key", "{key}", "{missing}"], "cannot read"),
        (["sign", "--key", "{missing}", "{doc}"], "cannot read key file"),
        (["sign", "--key", "{key}", "{garbage}"], "not valid JSON"),
        (["sign", "--key", "{p256}", "{doc}"], "needs an Ed25519 key"),
        (["sign", "--key", "{key}", "--context", "nourl", "{doc}"], "URL=PATH"),
        (["sign", "--key", "{key}", "{undefined_term}"], "drop or rebase"),
        (["sign", "--key", "{key}", "{unknown_ctx}"], "unknown JSON-LD context"),
        (["keygen", "--type", "p256", "--seed", "00", "-o", "{new}"], "only with --type ed25519"),
        (["keygen", "--seed", "zz", "-o", "{new}"], "64 hex"),
    ],
)
def test_bad_inputs_give_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "key.json"
    run(["keygen", "--seed", SEED, "-o", str(key)], capsys)
    p256 = tmp_path / "p256.pem"
    run(["keygen", "--type", "p256", "-o", str(p256)], capsys)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    doc = json.loads(UNSIGNED.read_text())
    undefined = tmp_path / "undefined.json"
    undefined.write_text(json.dumps({**doc, "favouriteColour": "teal"}))
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({**doc, "@context": [*doc["@context"], "https://x.example/c"]}))
    names = {"key": key, "p256": p256, "garbage": garbage, "doc": UNSIGNED,
             "missing": tmp_path / "missing.json", "undefined_term": undefined,
             "unknown_ctx": unknown, "new": tmp_path / "new.key"}
    argv = [a.format(**names) for a in args]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_unknown_suite_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mcbadge", "sign", "--key", "k", "--suite", "rsa-2018", "x.json"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_keygen_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["keygen", "--seed", SEED, "-o", str(tmp_path / "k.json"), "--json"],
                       capsys)
    facts = json.loads(out)
    assert code == 0 and facts["did"].startswith("did:key:z6Mk")
    assert facts["verificationMethod"].startswith(facts["did"] + "#")
    assert facts["format"] == "multikey"


@pytest.mark.parametrize("command", [["verify"], ["issue"], ["ledger"], ["init"], []])
def test_help_shows_no_type_beside_a_flag(command: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*command, "--help"], capsys)
    assert code == 0
    assert "<bool>" not in out
