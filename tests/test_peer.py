"""Cross-implementation checks against Digital Bazaar's JS stack (../shared/peer).

`make test` installs the peer into .peer/ when ../shared/peer and npm are there; without it
(a user's clone) these tests skip. They run offline: the peer uses bundled contexts only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mcbadge import Achievement, AchievementSubject, Criteria, OpenBadgeCredential, Profile
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign, verify_proof
from tests.conftest import REPO

PEER = Path(os.environ.get("MCBADGE_PEER", REPO / ".peer"))
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(
    NODE is None or not (PEER / "node_modules").is_dir(),
    reason="peer harness not installed (run `make peer` with ../shared/peer and node)",
)

SEED = bytes(range(32))
KEY = Ed25519Key.from_seed(SEED)
AWKWARD = [
    "plain",
    "tab\there, CRLF\r\nand LF\n",
    "control \x01\x08\x0c\x1f and DEL \x7f",
    "emoji 🎓👩🏽‍🏫 and combining e\u0301 vs é",
    "quotes \" and backslash \\ and U+2028 \u2028",
]


def _credential(description: str) -> dict[str, Any]:
    return OpenBadgeCredential(
        issuer=Profile(id=KEY.did, name="Peer Test Issuer"),
        description=description,
        credential_subject=AchievementSubject(
            id="did:example:learner",
            achievement=Achievement(
                name="Cross-check", description=description, criteria=Criteria(narrative="n")
            ),
        ),
    ).to_dict()


def _node(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    return subprocess.run(
        [NODE, script, *args], cwd=PEER, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
@pytest.mark.parametrize("description", AWKWARD)
def test_what_mcbadge_signs_the_peer_verifies(
    suite: str, description: str, tmp_path: Path
) -> None:
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(sign(_credential(description), KEY, suite=suite)), "utf-8")
    result = _node("verify.mjs", str(path))
    report = json.loads(result.stdout)
    assert result.returncode == 0, report["errors"]
    assert report["verified"] is True


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
@pytest.mark.parametrize("description", AWKWARD)
def test_what_the_peer_signs_mcbadge_verifies(
    suite: str, description: str, tmp_path: Path
) -> None:
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(_credential(description)), "utf-8")
    result = _node("sign.mjs", "--seed", SEED.hex(), "--suite", suite, str(path))
    assert result.returncode == 0, result.stderr
    signed = json.loads(result.stdout)
    outcome = verify_proof(signed, signed["proof"])
    assert outcome.verified, outcome
    # and a change the peer's signature does not cover is caught
    signed["description"] = "tampered"
    assert not verify_proof(signed, signed["proof"]).verified


IRIS = [
    "https://evidence.example/{id}",
    "https://evidence.example/a|b^c`d",
    "https://evidence.example/back\\slash",
    "https://evidence.example/caf\u00e9/\u2603",
]


@pytest.mark.parametrize("iri", IRIS)
def test_iris_that_need_escaping_interoperate_both_ways(iri: str, tmp_path: Path) -> None:
    doc = _credential("IRIs")
    doc["evidence"] = [{"id": iri, "type": ["Evidence"], "name": "artifact"}]
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(sign(doc, KEY)), "utf-8")
    report = json.loads(_node("verify.mjs", str(path)).stdout)
    assert report["verified"] is True, report.get("errors")
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(doc), "utf-8")
    result = _node("sign.mjs", "--seed", SEED.hex(), "--suite", "eddsa-rdfc-2022",
                   str(unsigned))
    assert result.returncode == 0, result.stderr
    signed = json.loads(result.stdout)
    assert verify_proof(signed, signed["proof"]).verified


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u3000"])
def test_the_peer_refuses_white_space_ids_too(space: str, tmp_path: Path) -> None:
    doc = _credential("IRIs")
    doc["evidence"] = [{"id": f"https://evidence.example/a{space}b", "type": ["Evidence"]}]
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps(doc), "utf-8")
    result = _node("sign.mjs", "--seed", SEED.hex(), "--suite", "eddsa-rdfc-2022", str(path))
    assert result.returncode != 0  # safe mode: data loss, as in mcbadge


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_a_vc11_badge_mcbadge_signs_the_peer_verifies_and_the_reverse(
    suite: str, tmp_path: Path
) -> None:
    doc = _credential("VC 1.1 era")
    doc["@context"] = ["https://www.w3.org/2018/credentials/v1", doc["@context"][1]]
    doc["issuanceDate"] = doc.pop("validFrom")
    ours = sign(doc, KEY, suite=suite)
    assert ours["@context"][-1] == "https://w3id.org/security/data-integrity/v2"
    path = tmp_path / "signed.json"
    path.write_text(json.dumps(ours), "utf-8")
    result = _node("verify.mjs", str(path))
    report = json.loads(result.stdout)
    assert result.returncode == 0, report["errors"]
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(doc), "utf-8")
    theirs = _node("sign.mjs", "--seed", SEED.hex(), "--suite", suite, str(unsigned))
    assert theirs.returncode == 0, theirs.stderr
    signed = json.loads(theirs.stdout)
    assert signed["@context"] == ours["@context"]  # the peer adds the same context
    assert verify_proof(signed, signed["proof"]).verified
