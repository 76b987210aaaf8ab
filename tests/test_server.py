"""``mcbadge serve`` (VC-API), first slice: POST /credentials/verify on a real uvicorn server on
loopback."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi")

from mcbadge.server import MAX_BODY_BYTES, create_app
from tests.issuers import NOW, Issuer, offline
from tests.servers import asgi_on_loopback

ISSUER = Issuer()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    app = create_app(fetcher=offline(ISSUER.documents()), clock=lambda: NOW)
    with asgi_on_loopback(app) as url:
        yield url


def _post(base: str, body: Any) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{base}/credentials/verify", content=data,
                      headers={"Content-Type": "application/json"}, timeout=30)


def test_a_good_badge_verifies_in_the_vc_api_shape(base: str) -> None:
    signed = ISSUER.sign(ISSUER.credential())
    answer = _post(base, {"verifiableCredential": signed, "options": {}})
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out["errors"] == [] and "valid_signature" in out["checks"]
    assert out["result"]["verified"] is True


def test_a_tampered_badge_is_400_with_the_failed_check(base: str) -> None:
    signed = ISSUER.sign(ISSUER.credential())
    bad = copy.deepcopy(signed)
    bad["name"] = "Something else"
    answer = _post(base, {"verifiableCredential": bad})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert errors and errors[0]["check"] == "valid_signature"
    assert errors[0]["problem"] == "INVALID_SIGNATURE"


def test_a_jwt_string_is_verified_too(base: str) -> None:
    from mcbadge.proofs.jwt import sign_jwt

    token = sign_jwt(ISSUER.credential(), ISSUER.key, kid=ISSUER.method)
    answer = _post(base, {"verifiableCredential": token})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", {"credential": {}}, b"{\"verifiableCredential\": {\"a\": NaN}}",
                                  {"verifiableCredential": 5}, b"{\"a\": NaN"])
def test_malformed_requests_are_400_not_500(base: str, body: Any) -> None:
    answer = _post(base, body)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["problem"] == "MALFORMED_REQUEST"


def test_an_oversized_body_is_refused(base: str) -> None:
    answer = _post(base, b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}")
    assert answer.status_code == 413
