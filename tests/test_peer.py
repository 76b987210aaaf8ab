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


SERVICE_SUITES = ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    pytest.importorskip("fastapi")
    from mcbadge.issuing import Issuer
    from mcbadge.resolve import Fetcher
    from mcbadge.server import create_app
    from tests.servers import asgi_on_loopback

    issuer = Issuer.create(tmp_path_factory.mktemp("peer-serve") / "issuer",
                           name="Peer service issuer", url="https://issuer.test")
    app = create_app(issuer=issuer, token="t", fetcher=Fetcher(offline=True))
    with asgi_on_loopback(app) as url:
        yield url, issuer
    issuer.close()


@pytest.mark.parametrize("version", ["2.0", "1.1"])
@pytest.mark.parametrize("suite", SERVICE_SUITES)
def test_the_peer_verifies_what_the_service_issues(service: Any, suite: str, version: str,
                                                     tmp_path: Path) -> None:
    import httpx

    base, issuer = service
    vc: dict[str, Any] = {"type": ["VerifiableCredential"], "issuer": issuer.id,
                          "credentialSubject": {"id": "did:example:learner"}}
    if version == "2.0":
        vc["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    else:
        vc["@context"] = ["https://www.w3.org/2018/credentials/v1"]
        vc["issuanceDate"] = "2026-01-01T00:00:00Z"
    answer = httpx.post(f"{base}/suites/{suite}/credentials/issue",
                        json={"credential": vc}, headers={"Authorization": "Bearer t"})
    assert answer.status_code == 201, answer.text
    issued = answer.json()["verifiableCredential"]
    path = tmp_path / "issued.json"
    path.write_text(json.dumps(issued), "utf-8")
    args = [str(path)]
    if "credentialStatus" in issued:  # the list, as the service serves it at its path
        url = issued["credentialStatus"]["statusListCredential"]
        served = httpx.get(base + url.removeprefix("https://issuer.test"))
        assert served.status_code == 200
        (tmp_path / "list.json").write_text(served.text, "utf-8")
        args += ["--status", f"{url}={tmp_path / 'list.json'}"]
    result = _node("verify.mjs", *args)
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["verified"] is True


@pytest.mark.parametrize("suite", SERVICE_SUITES)
def test_the_service_verifies_what_the_peer_signs(service: Any, suite: str,
                                                  tmp_path: Path) -> None:
    import httpx

    base, _ = service
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
        "issuer": KEY.did, "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"}}), "utf-8")
    theirs = _node("sign.mjs", "--seed", SEED.hex(), "--suite", suite, str(unsigned))
    assert theirs.returncode == 0, theirs.stderr
    signed = json.loads(theirs.stdout)
    answer = httpx.post(f"{base}/credentials/verify", json={"verifiableCredential": signed})
    assert answer.status_code == 200, answer.text
    signed["credentialSubject"]["id"] = "did:example:someone-else"
    assert httpx.post(f"{base}/credentials/verify",
                      json={"verifiableCredential": signed}).status_code == 400


# -- ECDSA (issue: ecdsa-rdfc-2019, ecdsa-jcs-2019, ecdsa-sd-2023) ------------------------

def _ec_key(curve: str) -> Any:
    from mcbadge.keys import JwtKey

    return JwtKey.generate(curve)


def _ec_key_file(key: Any, path: Path) -> Path:
    path.write_text(json.dumps({"publicKeyMultibase": key.public_key_multibase,
                                "secretKeyMultibase": key.secret_key_multibase}))
    return path


def _as_issued_by(doc: dict[str, Any], did: str) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    doc["issuer"]["id"] = did
    return doc


def _bench() -> dict[str, Any]:
    return json.loads((REPO / "benchmarks" / "data" / "ob3-credential-3k.json").read_text())


def _peer_verifies(doc: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "for-peer.json"
    path.write_text(json.dumps(doc), "utf-8")
    result = _node("verify.mjs", str(path))
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["verified"] is True


@pytest.mark.parametrize(("suite", "curve"), [
    ("ecdsa-rdfc-2019", "p256"), ("ecdsa-rdfc-2019", "p384"),
    ("ecdsa-jcs-2019", "p256"), ("ecdsa-jcs-2019", "p384")])
@pytest.mark.parametrize("description", [*AWKWARD, "bench"])
def test_ecdsa_both_ways(suite: str, curve: str, description: str, tmp_path: Path) -> None:
    key = _ec_key(curve)
    doc = _bench() if description == "bench" else _credential(description)
    doc = _as_issued_by(doc, key.did)
    ours = sign(doc, key, suite=suite)
    _peer_verifies(ours, tmp_path)
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(doc), "utf-8")
    theirs = _node("sign.mjs", "--suite", suite, "--key",
                   str(_ec_key_file(key, tmp_path / "key.json")), str(unsigned))
    assert theirs.returncode == 0, theirs.stderr
    signed = json.loads(theirs.stdout)
    assert verify_proof(signed, signed["proof"]).verified
    signed["description"] = "tampered"
    assert not verify_proof(signed, signed["proof"]).verified


@pytest.mark.parametrize("description", [*AWKWARD, "bench"])
def test_ecdsa_sd_base_and_derived_both_ways(description: str, tmp_path: Path) -> None:
    from mcbadge.proofs import derive, reveal_except

    key = _ec_key("p256")
    doc = _as_issued_by(_bench() if description == "bench" else _credential(description),
                        key.did)
    # ours: base, derive (the OB preset), the peer verifies the derived proof
    base = sign(doc, key, suite="ecdsa-sd-2023", mandatory_pointers=["/issuer"])
    derived = derive(base, reveal_except(base))
    _peer_verifies(derived, tmp_path)
    # the peer derives from our base proof (it cannot skolemize a JSON-LD list: the bench
    # badge's rubric), we verify what it derives
    base_path = tmp_path / "base.json"
    if description != "bench":
        base_path.write_text(json.dumps(base), "utf-8")
        theirs = _node("derive.mjs", "--reveal", "/credentialSubject/achievement/name",
                       str(base_path))
        assert theirs.returncode == 0, theirs.stderr
        peer_derived = json.loads(theirs.stdout)
        assert verify_proof(peer_derived, peer_derived["proof"]).verified
        assert derive(base, ["/credentialSubject/achievement/name"]) == peer_derived
    # the peer's base proof: we derive, both verify
    if description == "bench":
        return
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(doc), "utf-8")
    theirs = _node("sign.mjs", "--suite", "ecdsa-sd-2023", "--key",
                   str(_ec_key_file(key, tmp_path / "key.json")), "--mandatory", "/issuer",
                   str(unsigned))
    assert theirs.returncode == 0, theirs.stderr
    their_base = json.loads(theirs.stdout)
    ours_from_theirs = derive(their_base, ["/credentialSubject/achievement/name"])
    assert verify_proof(ours_from_theirs, ours_from_theirs["proof"]).verified
    _peer_verifies(ours_from_theirs, tmp_path)
    tampered = json.loads(json.dumps(ours_from_theirs))
    tampered["credentialSubject"]["achievement"]["name"] = "Something else"
    assert not verify_proof(tampered, tampered["proof"]).verified


def test_the_peer_verifies_a_badge_awarded_through_a_program(tmp_path: Path) -> None:
    from tests.programs_helpers import artifacts, recommended, workspace

    issuer, programs = workspace(tmp_path / "issuer")
    sid = recommended(programs, "ada@district.example", artifacts(programs, tmp_path / "f"))
    done = programs.decide(sid, "grant", actor="district", reason="meets every criterion")
    record = issuer.record(done.credential_id or "")
    assert record is not None and record.document is not None
    badge = json.loads(record.document)
    args = []
    for url, doc in issuer.status_list_credentials().items():
        path = tmp_path / f"list-{len(args)}.json"
        path.write_text(json.dumps(doc), "utf-8")
        args += ["--status", f"{url}={path}"]
    path = tmp_path / "badge.json"
    path.write_text(json.dumps(badge), "utf-8")
    result = _node("verify.mjs", *args, str(path))
    report = json.loads(result.stdout)
    assert result.returncode == 0, report
    assert report["verified"] is True
