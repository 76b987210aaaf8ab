"""Delivery to wallets, end to end over a loopback server: a scripted wallet with its own key
takes a claim by the VC-API exchange (DID authentication) and by an OpenID for Verifiable
Credential Issuance 1.0 offer (pre-authorised code, proof of possession); the credential it
receives verifies, the claim is spent, replays and forgeries are refused. Also the baked
PNG / SVG downloads of the claim and badge pages."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

pytest.importorskip("jinja2")

from mcbadge.baking import unbake
from mcbadge.delivery import Deliveries
from mcbadge.issuing import Issuer
from mcbadge.keys import Ed25519Key, JwtKey
from mcbadge.proofs import SUITES, ProofOptions
from mcbadge.proofs.jwt import jws_sign
from mcbadge.resolve import Fetcher
from mcbadge.server import create_app
from mcbadge.verification import verify
from tests.servers import asgi_on_loopback

ORIGIN = "https://badges.district.example"
ACHIEVEMENT = {"id": "https://pd.district.example/a/community", "name": "Classroom Community",
               "description": "Belonging.", "criteria": {"narrative": "Reviewed."}}


class Service:
    def __init__(self, issuer: Issuer, deliveries: Deliveries, client: httpx.Client) -> None:
        self.issuer, self.deliveries, self.client = issuer, deliveries, client

    def local(self, url: str) -> str:
        """The public URL's path on the loopback server (the public origin is a proxy's)."""
        assert url.startswith(ORIGIN + "/"), url
        return url.removeprefix(ORIGIN)

    def fetcher(self) -> Fetcher:
        return Fetcher(documents=self.issuer.status_list_credentials(), offline=True)

    def claim(self) -> tuple[dict[str, Any], str]:
        badge = self.issuer.issue(ACHIEVEMENT, "ada@district.example")
        link = self.deliveries.claim_link(badge["id"])
        return badge, self.local(link)


@pytest.fixture
def service(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Service]:
    issuer = Issuer.create(tmp_path / "ws", name="District PD", url="https://pd.district.example")
    issuer.issue(ACHIEVEMENT, "someone@district.example")  # the status list exists
    fetcher = Fetcher(documents=issuer.status_list_credentials(), offline=True)
    deliveries = Deliveries(issuer, base_url=ORIGIN, fetcher=fetcher)
    if "fuzz" in request.keywords:  # thousands of refusals from one loopback address
        deliveries.rate_limit = (1_000_000, 600.0)
    app = create_app(fetcher=fetcher, deliveries=deliveries)
    with asgi_on_loopback(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield Service(issuer, deliveries, client)
    deliveries.close()
    issuer.close()


def _page_links(service: Service, claim_path: str) -> tuple[str, str]:
    """(the VC-API exchange URL from the LCW deep link, the OID4VCI credential offer URI),
    read off the claim page the way a person's phone would."""
    page = service.client.get(claim_path)
    assert page.status_code == 200
    text = html.unescape(page.text)
    lcw = re.search(r'href="(https://lcw\.app/request\.html\?request=[^"]+)"', text)
    offer = re.search(r'value="(openid-credential-offer://[^"]+)"', text)
    assert lcw is not None and offer is not None
    request = json.loads(unquote(lcw.group(1).split("request=", 1)[1]))
    assert request["credentialRequestOrigin"] == ORIGIN
    return request["protocols"]["vcapi"], offer.group(1)


# -------------------------------------------------------------------------- VC-API exchange


def _did_auth(holder: Ed25519Key, request: dict[str, Any]) -> dict[str, Any]:
    vp = {"@context": ["https://www.w3.org/ns/credentials/v2"],
          "type": ["VerifiablePresentation"], "holder": holder.did}
    proof = SUITES["eddsa-rdfc-2022"].create_proof(vp, holder, ProofOptions(
        verification_method=holder.verification_method, proof_purpose="authentication",
        challenge=request["challenge"], domain=request["domain"]))
    return {**vp, "proof": proof}


def test_a_wallet_takes_the_badge_by_the_vc_api_exchange(service: Service) -> None:
    badge, claim = service.claim()
    exchange, _ = _page_links(service, claim)
    path = service.local(exchange)
    assert service.client.get(service.local(
        service.deliveries.wallets.offer(claim.rsplit("/", 1)[1]).interaction_url)
    ).json()["protocols"]["vcapi"] == exchange
    holder = Ed25519Key.generate()
    start = service.client.post(path, json={})
    assert start.status_code == 200, start.text
    request = start.json()["verifiablePresentationRequest"]
    assert request["query"][0]["type"] == "DIDAuthentication"
    assert request["domain"] == ORIGIN and len(request["challenge"]) >= 22

    # a presentation signed by a key that is not the holder's: refused, nothing spent
    other = Ed25519Key.generate()
    forged = _did_auth(other, request)
    forged["holder"] = holder.did
    refused = service.client.post(path, json={"verifiablePresentation": forged})
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_proof"
    # a stale challenge: refused
    stale = _did_auth(holder, {**request, "challenge": "an-old-challenge"})
    assert service.client.post(path, json={"verifiablePresentation": stale}).status_code == 401
    assert service.client.get(claim).status_code == 200  # the claim still stands

    answer = service.client.post(path, json={"verifiablePresentation":
                                             _did_auth(holder, request)})
    assert answer.status_code == 200, answer.text
    [received] = answer.json()["verifiablePresentation"]["verifiableCredential"]
    assert received["id"] == badge["id"]
    assert verify(received, fetcher=service.fetcher()).verified
    # spent: the claim page, the exchange and the offer are gone
    assert service.client.get(claim).status_code == 404
    again = service.client.post(path, json={"verifiablePresentation":
                                            _did_auth(holder, request)})
    assert again.status_code == 409
    logged = service.deliveries.log(badge["id"])
    assert logged[-1]["outcome"] == "wallet" and holder.did in logged[-1]["detail"]


# -------------------------------------------------------------------------------- OID4VCI


def _proof(key: Ed25519Key | JwtKey, nonce: str, *, aud: str = ORIGIN,
           by_jwk: bool = False) -> str:
    header: dict[str, Any] = {"typ": "openid4vci-proof+jwt"}
    if by_jwk:
        assert isinstance(key, JwtKey)
        header["jwk"] = key.to_jwk()
    else:
        header["kid"] = key.verification_method
    return jws_sign(header, {"aud": aud, "iat": int(time.time()), "nonce": nonce}, key)


def _offer(service: Service, claim: str) -> dict[str, Any]:
    _, uri = _page_links(service, claim)
    query = parse_qs(urlsplit(uri).query)
    offer = service.client.get(service.local(query["credential_offer_uri"][0]))
    assert offer.status_code == 200, offer.text
    body: dict[str, Any] = offer.json()
    return body


@pytest.mark.parametrize("kind", ["ed25519-did-key", "p256-jwk"])
def test_a_wallet_takes_the_badge_by_an_oid4vci_offer(service: Service, kind: str) -> None:
    badge, claim = service.claim()
    offer = _offer(service, claim)
    assert offer["credential_issuer"] == ORIGIN
    [configuration] = offer["credential_configuration_ids"]
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    meta = service.client.get("/.well-known/openid-credential-issuer").json()
    assert configuration in meta["credential_configurations_supported"]
    auth = service.client.get("/.well-known/oauth-authorization-server").json()
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            "pre-authorized_code": grant["pre-authorized_code"]}
    token = service.client.post(service.local(auth["token_endpoint"]), data=form)
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    # the code works once
    assert service.client.post(service.local(auth["token_endpoint"]),
                               data=form).json()["error"] == "invalid_grant"
    nonce = service.client.post(service.local(meta["nonce_endpoint"])).json()["c_nonce"]
    key: Ed25519Key | JwtKey = (Ed25519Key.generate() if kind == "ed25519-did-key"
                                else JwtKey.generate("p256"))
    endpoint = service.local(meta["credential_endpoint"])
    bearer = {"Authorization": f"Bearer {access}"}
    request = {"credential_configuration_id": configuration,
               "proofs": {"jwt": [_proof(key, nonce, by_jwk=kind == "p256-jwk")]}}
    # without the token, or with a proof for another issuer: refused
    assert service.client.post(endpoint, json=request).status_code == 401
    wrong = {**request, "proofs": {"jwt": [_proof(key, nonce, aud="https://evil.example",
                                                   by_jwk=kind == "p256-jwk")]}}
    assert service.client.post(endpoint, json=wrong, headers=bearer).json()["error"] == \
        "invalid_proof"
    answer = service.client.post(endpoint, json=request, headers=bearer)
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["credentials"]
    assert item["credential"]["id"] == badge["id"]
    assert verify(item["credential"], fetcher=service.fetcher()).verified
    # the access token and the nonce worked once; the claim is spent
    fresh = service.client.post(service.local(meta["nonce_endpoint"])).json()["c_nonce"]
    replay = {**request, "proofs": {"jwt": [_proof(key, fresh, by_jwk=kind == "p256-jwk")]}}
    assert service.client.post(endpoint, json=replay, headers=bearer).status_code == 401
    assert service.client.get(claim).status_code == 404
    assert service.deliveries.log(badge["id"])[-1]["outcome"] == "wallet"


def test_a_proof_of_possession_must_be_fresh_signed_and_typed(service: Service) -> None:
    _, claim = service.claim()
    offer = _offer(service, claim)
    code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    access = service.client.post("/oid4vci/token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        "pre-authorized_code": code["pre-authorized_code"]}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    key = Ed25519Key.generate()

    def attempt(jwt: str) -> str:
        answer = service.client.post("/oid4vci/credential", headers=bearer,
                                     json={"proofs": {"jwt": [jwt]}})
        assert answer.status_code in (400, 401)
        return str(answer.json()["error"])

    nonce = service.client.post("/oid4vci/nonce").json()["c_nonce"]
    assert attempt(_proof(key, "never-issued")) == "invalid_nonce"
    untyped = jws_sign({"kid": key.verification_method},
                       {"aud": ORIGIN, "iat": int(time.time()), "nonce": nonce}, key)
    assert attempt(untyped) == "invalid_proof"
    old = jws_sign({"typ": "openid4vci-proof+jwt", "kid": key.verification_method},
                   {"aud": ORIGIN, "iat": int(time.time()) - 3600, "nonce": nonce}, key)
    assert attempt(old) == "invalid_proof"
    good = _proof(key, nonce)
    h, p, s = good.split(".")
    assert attempt(f"{h}.{p}.{s[:-4]}AAAA") == "invalid_proof"
    assert attempt("not a jwt") == "invalid_proof"
    assert service.client.post("/oid4vci/credential", headers=bearer,
                               json={}).json()["error"] == "invalid_proof"
    assert service.client.post("/oid4vci/token", data={"grant_type": "password"}).json()[
        "error"] == "unsupported_grant_type"
    # after all that, the genuine proof still works: failures spent nothing
    assert service.client.post("/oid4vci/credential", headers=bearer, json={
        "proofs": {"jwt": [good]}}).status_code == 200


def test_unknown_exchanges_and_offers_are_404(service: Service) -> None:
    assert service.client.post("/workflows/claim/exchanges/nope", json={}).status_code == 404
    assert service.client.get("/oid4vci/offers/nope").status_code == 404
    assert service.client.get("/interactions/nope").status_code == 404
    big = service.client.post("/workflows/claim/exchanges/nope", content=b"{" * 300_000)
    assert big.status_code == 413


# ------------------------------------------------------------------------- baked downloads


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_the_claim_page_downloads_a_baked_image_that_verifies(service: Service,
                                                              kind: str) -> None:
    badge, claim = service.claim()
    page = service.client.get(claim)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None and "photo apps strip" in page.text
    image = service.client.post(claim, data={"csrf": csrf.group(1), "what": kind})
    assert image.status_code == 200
    assert image.headers["content-type"].startswith(f"image/{kind}")
    assert image.headers["content-disposition"] == f'attachment; filename="badge.{kind}"'
    found = unbake(image.content)
    assert found.image == kind and json.loads(found.text)["id"] == badge["id"]
    result = verify(image.content, fetcher=service.fetcher())
    assert result.verified, result.problems
    assert service.client.get(claim).status_code == 404  # spent


def test_a_public_badge_page_offers_baked_downloads_a_private_one_does_not(
        service: Service) -> None:
    badge, claim = service.claim()
    token = claim.rsplit("/", 1)[1]
    page = "/badges/" + badge["id"].removeprefix("urn:uuid:")
    private = service.client.get(f"{page}?claim={token}")
    assert private.status_code == 200 and "?format=png" not in private.text
    assert f'href="{claim}"' in private.text
    assert service.client.get(f"{page}?claim={token}&format=json").status_code == 403
    service.deliveries.set_public(badge["id"])
    public = service.client.get(page)
    assert "?format=png" in public.text and "?format=svg" in public.text
    for kind in ("png", "svg"):
        baked = service.client.get(f"{page}?format={kind}")
        assert baked.status_code == 200
        assert verify(baked.content, fetcher=service.fetcher()).verified


# ------------------------------------------------------------------ untrusted wallet input

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.text(max_size=12), kids, max_size=4), max_leaves=20)
_KEYS = st.sampled_from(["verifiablePresentation", "proofs", "proof", "jwt", "holder",
                         "credential_configuration_id", "@context", "type", "challenge"])
_BODIES = st.dictionaries(_KEYS, _JSON, max_size=4) | _JSON


@pytest.mark.fuzz
@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(body=_BODIES, form=st.dictionaries(st.text(max_size=20), st.text(max_size=30),
                                          max_size=4))
def test_wallet_endpoints_answer_any_input_with_a_4xx_never_a_crash(
        service: Service, body: Any, form: dict[str, str]) -> None:
    _, claim = service.claim()
    exchange, _ = _page_links(service, claim)
    for path, kwargs in [(service.local(exchange), {"json": body}),
                         ("/oid4vci/credential", {"json": body,
                                                  "headers": {"Authorization": "Bearer x"}}),
                         ("/oid4vci/token", {"data": form})]:
        answer = service.client.post(path, **kwargs)
        assert answer.status_code < 500, (path, answer.text)
        if answer.status_code >= 400:
            assert "error" in answer.json()
    # the live claim survived all of it
    assert service.client.get(claim).status_code == 200
