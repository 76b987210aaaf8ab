"""``mcbadge serve`` with an issuer workspace, on a real uvicorn server on loopback: issue
(refusing what the VC Data Model forbids, recording in the ledger), status changes through
the ledger, the issuer's own status lists served and read back by the verifier, bearer-token
auth, presentations."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi")

from mcbadge.issuing import Issuer
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign
from mcbadge.resolve import Fetcher
from mcbadge.server import ServerConfigError, create_app
from tests.servers import asgi_on_loopback

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _vc(issuer: str, **extra: Any) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"], "issuer": issuer,
            "credentialSubject": {"id": "did:example:learner", "name": "Ada"}, **extra}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Issuer]]:
    folder = tmp_path_factory.mktemp("serve") / "issuer"
    issuer = Issuer.create(folder, name="Serve test issuer", url="https://issuer.test")
    app = create_app(issuer=issuer, token=TOKEN, fetcher=Fetcher(offline=True))
    with asgi_on_loopback(app) as url:
        yield url, issuer
    issuer.close()


def _issue(base: str, credential: Any, path: str = "/credentials/issue",
           headers: dict[str, str] | None = None, **options: Any) -> httpx.Response:
    return httpx.post(base + path, json={"credential": credential, "options": options},
                      headers=AUTH if headers is None else headers, timeout=30)


def _verify(base: str, vc: Any) -> httpx.Response:
    return httpx.post(f"{base}/credentials/verify", json={"verifiableCredential": vc},
                      timeout=30)


def test_issue_signs_records_and_the_service_verifies_it(service: tuple[str, Issuer]) -> None:
    base, issuer = service
    answer = _issue(base, _vc(issuer.id))
    assert answer.status_code == 201, answer.text
    vc = answer.json()["verifiableCredential"]
    assert vc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert vc["credentialStatus"]["statusPurpose"] == "revocation"
    record = issuer.record(vc["id"])
    assert record is not None and record.issued and json.loads(record.document or "") == vc
    checked = _verify(base, vc)
    assert checked.status_code == 200, checked.text
    assert "revocation_status" in checked.json()["checks"]


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "Ed25519Signature2020"])
def test_a_suite_route_signs_with_that_suite(service: tuple[str, Issuer], suite: str) -> None:
    base, issuer = service
    answer = _issue(base, _vc(issuer.id), f"/suites/{suite}/credentials/issue")
    assert answer.status_code == 201, answer.text
    proof = answer.json()["verifiableCredential"]["proof"]
    assert proof.get("cryptosuite", proof["type"]) == suite
    assert _verify(base, answer.json()["verifiableCredential"]).status_code == 200


def test_a_vc_11_credential_gets_the_data_integrity_context(service: tuple[str, Issuer]) -> None:
    base, issuer = service
    vc11 = {"@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"], "issuer": issuer.id,
            "issuanceDate": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:learner"}}
    answer = _issue(base, vc11)
    assert answer.status_code == 201, answer.text
    vc = answer.json()["verifiableCredential"]
    assert vc["@context"][-1] == "https://w3id.org/security/data-integrity/v2"
    assert "credentialStatus" not in vc  # no status entries in a VC 1.1 document


@pytest.mark.parametrize(("change", "pointer"), [
    ({"credentialSubject": None}, "/credentialSubject"),
    ({"credentialSubject": {}}, "/credentialSubject"),
    ({"type": ["ExampleCredential"]}, "/type"),
    ({"issuer": None}, "/issuer"),
    ({"issuer": "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj"}, "/issuer"),
    ({"validFrom": "Sat 25 Feb 2023 07:16:31 PM CST"}, "/validFrom"),
    ({"termsOfUse": {"id": "https://x.example/tos"}}, "/termsOfUse"),
    ({"@context": ["https://www.w3.org/ns/credentials/examples/v2"]}, "/@context"),
    ({"undefinedTerm": "x"}, "/undefinedTerm"),
])
def test_what_the_data_model_forbids_is_refused_and_nothing_is_recorded(
        service: tuple[str, Issuer], change: dict[str, Any], pointer: str) -> None:
    base, issuer = service
    before = issuer.ledger.count(None)
    vc = {k: v for k, v in {**_vc(issuer.id), **change}.items() if v is not None}
    answer = _issue(base, vc)
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["problem"] == "CREDENTIAL_REFUSED"
    assert any(p.startswith(pointer) for p in error["pointers"]) or pointer in error["message"]
    assert issuer.ledger.count(None) == before


def test_an_id_issued_before_is_a_conflict(service: tuple[str, Issuer]) -> None:
    base, issuer = service
    vc = _vc(issuer.id, id="urn:uuid:6a1f0c1e-2f52-4d8e-8f0a-0c2d5c1b9e01")
    assert _issue(base, vc).status_code == 201
    again = _issue(base, vc)
    assert again.status_code == 409
    assert again.json()["errors"][0]["problem"] == "ID_CONFLICT"


def test_issue_and_status_need_the_token(service: tuple[str, Issuer]) -> None:
    base, issuer = service
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        answer = _issue(base, _vc(issuer.id), headers=headers)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
    status = httpx.post(f"{base}/credentials/status", json={"credentialId": "urn:x"})
    assert status.status_code == 401


def test_issuing_without_a_token_is_refused_unless_named_unsafe(tmp_path: Path) -> None:
    issuer = Issuer.create(tmp_path / "i", name="No token", url="https://issuer.test")
    try:
        with pytest.raises(ServerConfigError):
            create_app(issuer=issuer)
        create_app(issuer=issuer, unsafe_no_auth=True)
    finally:
        issuer.close()


def test_revoke_and_suspend_through_the_ledger_and_the_served_list(
        service: tuple[str, Issuer]) -> None:
    base, issuer = service
    vc = _issue(base, _vc(issuer.id), credentialStatus=[
        {"type": "BitstringStatusListEntry", "statusPurpose": "revocation"},
        {"type": "BitstringStatusListEntry", "statusPurpose": "suspension"}],
    ).json()["verifiableCredential"]
    assert _verify(base, vc).status_code == 200
    change = {"credentialId": vc["id"], "credentialStatus": [
        {"type": "BitstringStatusListCredential", "status": "suspended"}]}
    answer = httpx.post(f"{base}/credentials/status", json=change, headers=AUTH)
    assert answer.status_code == 200 and answer.json()["changed"] is True
    assert issuer.record(vc["id"]).suspended  # type: ignore[union-attr]
    refused = _verify(base, vc)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["problem"] == "CREDENTIAL_SUSPENDED"
    # the list the verifier read is the one served at its URL's path
    entry = next(e for e in vc["credentialStatus"] if e["statusPurpose"] == "suspension")
    served = httpx.get(base + entry["statusListCredential"].removeprefix("https://issuer.test"))
    assert served.status_code == 200
    assert served.json()["credentialSubject"]["statusPurpose"] == "suspension"
    lift = {"credentialId": vc["id"], "credentialStatus": {"statusPurpose": "suspension",
                                                           "value": 0}}
    assert httpx.post(f"{base}/credentials/status", json=lift, headers=AUTH).status_code == 200
    assert _verify(base, vc).status_code == 200
    revoke = {"credentialId": vc["id"], "reason": "awarded in error",
              "credentialStatus": [{"type": "BitstringStatusListCredential",
                                    "status": "revoked"}]}
    assert httpx.post(f"{base}/credentials/status", json=revoke, headers=AUTH).status_code == 200
    assert _verify(base, vc).json()["errors"][0]["problem"] == "CREDENTIAL_REVOKED"
    assert issuer.history(vc["id"])[-1].reason == "awarded in error"


@pytest.mark.parametrize("body", [{"credentialId": "urn:uuid:nope", "credentialStatus": [
    {"status": "revoked"}]}, {"credentialId": 5}, {"credentialId": "x", "credentialStatus": [
        {"status": "deleted"}]}, {"credentialId": "x", "credentialStatus": {
            "statusPurpose": "revocation", "value": 0}}])
def test_bad_status_requests_are_refused(service: tuple[str, Issuer], body: Any) -> None:
    base, _ = service
    answer = httpx.post(f"{base}/credentials/status", json=body, headers=AUTH)
    assert answer.status_code in (400, 404)


def _presentation(holder: Ed25519Key, credentials: list[dict[str, Any]],
                  **extra: Any) -> dict[str, Any]:
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"],
          "type": ["VerifiablePresentation"], "holder": holder.did,
          "verifiableCredential": credentials, **extra}
    return vp


def _sign_vp(vp: dict[str, Any], holder: Ed25519Key, challenge: str, domain: str
             ) -> dict[str, Any]:
    from mcbadge.proofs import SUITES, ProofOptions

    impl = SUITES["eddsa-rdfc-2022"]
    proof = impl.create_proof(vp, holder, ProofOptions(
        created="2026-12-01T00:00:00Z", verification_method=holder.verification_method,
        proof_purpose="authentication", challenge=challenge, domain=domain))
    return {**vp, "proof": proof}


def test_a_presentation_and_its_credentials_verify(service: tuple[str, Issuer]) -> None:
    base, issuer = service
    holder = Ed25519Key.generate()
    vc = _issue(base, _vc(issuer.id)).json()["verifiableCredential"]
    vp = _sign_vp(_presentation(holder, [vc]), holder, "c-1", "verifier.example")
    body = {"verifiablePresentation": vp, "options": {"challenge": "c-1",
                                                       "domain": "verifier.example"}}
    answer = httpx.post(f"{base}/presentations/verify", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    assert "presentation_proof" in answer.json()["checks"]
    # a wrong challenge, a tampered credential, a broken proof: each refused
    wrong = {**body, "options": {"challenge": "c-2", "domain": "verifier.example"}}
    assert httpx.post(f"{base}/presentations/verify", json=wrong).status_code == 400
    tampered = copy.deepcopy(vp)
    tampered["verifiableCredential"][0]["credentialSubject"]["name"] = "Eve"
    assert httpx.post(f"{base}/presentations/verify",
                      json={**body, "verifiablePresentation": tampered}).status_code == 400
    other = Ed25519Key.generate()
    stolen = _sign_vp(_presentation(holder, [vc]), other, "c-1", "verifier.example")
    answer = httpx.post(f"{base}/presentations/verify",
                        json={**body, "verifiablePresentation": stolen})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["check"] == "presentation_proof"


@pytest.mark.parametrize("change", [{"@context": None}, {"type": ["Presentation"]},
                                    {"@context": ["https://www.w3.org/ns/credentials/examples/v2"]},
                                    {"verifiableCredential": ["https://x.example/vc"]},
                                    {"holder": 5}])
def test_a_malformed_presentation_is_refused(service: tuple[str, Issuer],
                                             change: dict[str, Any]) -> None:
    base, _ = service
    holder = Ed25519Key.generate()
    vp = {k: v for k, v in {**_presentation(holder, []), **change}.items() if v is not None}
    answer = httpx.post(f"{base}/presentations/verify", json={"verifiablePresentation": vp})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["check"] == "presentation"


def test_a_credential_signed_elsewhere_verifies_as_any_vc(service: tuple[str, Issuer]) -> None:
    base, _ = service
    key = Ed25519Key.generate()
    vc = sign(_vc(key.did), key)
    assert _verify(base, vc).status_code == 200
    assert _verify(base, json.dumps(vc)).status_code == 400  # a JSON string is not a VC


def test_serve_refuses_open_issuing_off_loopback(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_cli_keys import run

    Issuer.create(tmp_path / "ws", name="CLI", url="https://issuer.test").close()
    code, _, err = run(["serve", "-i", str(tmp_path / "ws"), "--host", "0.0.0.0"], capsys)
    assert code != 0 and "needs a bearer token" in err
    assert len(err.strip().splitlines()) == 1
    empty = tmp_path / "token"
    empty.write_text("\n")
    code, _, err = run(["serve", "-i", str(tmp_path / "ws"), "--token-file", str(empty)],
                       capsys)
    assert code != 0 and "is empty" in err
    code, _, err = run(["serve", "--context", "no-equals-sign"], capsys)
    assert code != 0 and "URL=FILE" in err


def test_make_conformance_skips_cleanly_without_the_kit(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    done = subprocess.run([sys.executable, str(REPO / "tools" / "conformance.py")],
                          env={**os.environ, "MCBADGE_SHARED": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.startswith("conformance: skipped: no conformance kit")


@pytest.mark.parametrize("layout", ["did_web", "profile_url"])
def test_the_issuers_key_documents_are_served_at_their_paths(tmp_path: Path,
                                                             layout: str) -> None:
    from urllib.parse import urlsplit

    options = ({"did_web": "issuer.test/pd"} if layout == "did_web"
               else {"profile_url": "https://issuer.test/pd/profile.json"})
    issuer = Issuer.create(tmp_path / "ws", name="Docs", url="https://issuer.test", **options)
    try:
        expected = issuer.publish_documents(tmp_path / "site")
        app = create_app(issuer=issuer, token=TOKEN, fetcher=Fetcher(offline=True))
        with asgi_on_loopback(app) as base:
            for url, file in expected.items():
                served = httpx.get(base + urlsplit(url).path)
                assert served.status_code == 200, url
                assert served.json() == json.loads(file.read_text("utf-8"))
            assert httpx.get(base + "/nothing/here.json").status_code == 404
            # and what it issues verifies against those documents, read from the workspace
            vc = _issue(base, _vc(issuer.id)).json()["verifiableCredential"]
            assert _verify(base, vc).status_code == 200
    finally:
        issuer.close()


@pytest.fixture(scope="module")
def ecdsa_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Issuer]]:
    folder = tmp_path_factory.mktemp("serve-ec") / "issuer"
    issuer = Issuer.create(folder, name="ECDSA issuer", url="https://issuer.test",
                           key_type="p256")
    app = create_app(issuer=issuer, token=TOKEN, fetcher=Fetcher(offline=True))
    with asgi_on_loopback(app) as url:
        yield url, issuer
    issuer.close()


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019"])
def test_a_p256_workspace_issues_the_ecdsa_suites(ecdsa_service: tuple[str, Issuer],
                                                  suite: str) -> None:
    base, issuer = ecdsa_service
    assert issuer.id.startswith("did:key:zDn") and issuer.suite == "ecdsa-rdfc-2019"
    answer = _issue(base, _vc(issuer.id), f"/suites/{suite}/credentials/issue")
    assert answer.status_code == 201, answer.text
    vc = answer.json()["verifiableCredential"]
    assert vc["proof"]["cryptosuite"] == suite
    assert _verify(base, vc).status_code == 200
    # an EdDSA suite does not fit the workspace key: refused, not a 500
    wrong = _issue(base, _vc(issuer.id), "/suites/eddsa-rdfc-2022/credentials/issue")
    assert wrong.status_code == 422 and "Ed25519" in wrong.json()["errors"][0]["message"]


def test_ecdsa_sd_issue_keeps_the_status_mandatory_and_a_derived_proof_verifies(
        ecdsa_service: tuple[str, Issuer]) -> None:
    from mcbadge.proofs import derive
    from mcbadge.proofs.ecdsa_sd_2023 import parse_base

    base, issuer = ecdsa_service
    vc = _vc(issuer.id, validFrom="2026-01-01T00:00:00Z")
    answer = _issue(base, vc, "/suites/ecdsa-sd-2023/credentials/issue",
                    mandatoryPointers=["/validFrom"])
    assert answer.status_code == 201, answer.text
    issued = answer.json()["verifiableCredential"]
    assert parse_base(issued["proof"]["proofValue"])[4] == ["/validFrom", "/credentialStatus"]
    # the base proof is for the holder; what the holder derives verifies
    assert _verify(base, issued).status_code == 400
    shared = derive(issued, ["/issuer", "/credentialSubject/name"])
    assert "credentialStatus" in shared
    assert _verify(base, shared).status_code == 200, _verify(base, shared).text
    refused = _issue(base, vc, "/suites/ecdsa-sd-2023/credentials/issue",
                     mandatoryPointers=["/nowhere"])
    assert refused.status_code == 422


@pytest.mark.parametrize("layout", ["did:web", "https"])
def test_a_small_issuer_hosts_its_documents_with_their_media_types(
        tmp_path: Path, layout: str) -> None:
    """One process serves the status lists, the did:web document or the https profile and
    its key document at their URL paths, with their Content-Type and caching headers."""
    from urllib.parse import urlsplit

    from tests.servers import asgi_on_loopback

    if layout == "did:web":
        issuer = Issuer.create(tmp_path / "ws", name="Hosted", url="https://issuer.test",
                               did_web="did:web:issuer.test")
    else:
        issuer = Issuer.create(tmp_path / "ws", name="Hosted", url="https://issuer.test",
                               profile_url="https://issuer.test/profile.json")
    issuer.issue({"id": "https://issuer.test/a/1", "name": "A", "description": "d",
                  "criteria": {"narrative": "n"}}, "ada@district.example")
    wanted = dict.fromkeys(issuer.status_list_credentials(), "application/vc+ld+json")
    if layout == "did:web":
        wanted[issuer.did_web_url()] = "application/did+ld+json"
    else:
        wanted[issuer.id] = "application/ld+json"
        if issuer.key_document_url():
            wanted[str(issuer.key_document_url())] = "application/ld+json"
    app = create_app(issuer=issuer, token=TOKEN, fetcher=Fetcher(offline=True))
    with asgi_on_loopback(app) as base:
        for url, media in wanted.items():
            answer = httpx.get(base + urlsplit(url).path, timeout=30)
            assert answer.status_code == 200, url
            assert answer.headers["content-type"].startswith(media), url
            assert "max-age=" in answer.headers["cache-control"]
        assert httpx.get(base + "/nothing/here.json", timeout=30).status_code == 404
    issuer.close()
