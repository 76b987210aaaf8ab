"""The verifier page on a real loopback server: paste, upload (JSON, baked PNG), a URL; a
valid, a tampered, a revoked and an expired badge; CSRF, size caps, security headers."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("jinja2")
pytest.importorskip("multipart")

from mcbadge.baking import bake
from mcbadge.server import create_app
from tests.issuers import NOW, Issuer, offline
from tests.servers import asgi_on_loopback
from tests.test_baking import plain_png

ISSUER = Issuer()
REVOKED = 7
ISSUER.bits.set(REVOKED, 1)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    app = create_app(fetcher=offline(ISSUER.documents()), clock=lambda: NOW)
    with asgi_on_loopback(app) as url:
        yield url


def _session(base: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/verify")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    return client, token.group(1)


def _post(base: str, **fields: Any) -> httpx.Response:
    client, token = _session(base)
    files = fields.pop("files", None)
    return client.post("/verify", data={"csrf": token, **fields}, files=files)


def test_the_form_page_is_accessible_and_locked_down(base: str) -> None:
    page = httpx.get(f"{base}/verify")
    assert page.status_code == 200
    for label in ('for="text"', 'for="file"', 'for="url"'):
        assert label in page.text
    assert "<script" not in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    css = httpx.get(f"{base}/static/mcbadge.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def _badge(**extra: Any) -> dict[str, Any]:
    doc = ISSUER.credential(**extra)
    doc["credentialSubject"]["achievement"]["image"] = {
        "id": "https://badges.district.example/community.png", "type": "Image"}
    return ISSUER.sign(doc)


def test_a_valid_badge_pasted_shows_the_badge_and_every_check(base: str) -> None:
    answer = _post(base, text=json.dumps(_badge()))
    assert answer.status_code == 200
    assert ">Verified<" in answer.text
    assert "Classroom Community" in answer.text and "Example District PD" in answer.text
    assert 'src="https://badges.district.example/community.png"' in answer.text
    assert "valid signature" in answer.text and "Verify again" in answer.text


def test_a_tampered_badge_says_so_plainly(base: str) -> None:
    bad = copy.deepcopy(_badge())
    bad["credentialSubject"]["achievement"]["name"] = "Something <b>else</b>"
    answer = _post(base, text=json.dumps(bad))
    assert ">Not verified<" in answer.text
    assert "signature does not hold" in answer.text
    assert "<b>else</b>" not in answer.text  # escaped, never markup


def test_revoked_and_expired_badges_say_so_and_are_still_shown(base: str) -> None:
    revoked = _badge(credentialStatus=ISSUER.status_entry(REVOKED))
    expired = _badge(validUntil="2026-02-01T00:00:00Z")
    answer = _post(base, text=json.dumps(expired))
    assert ">Not verified<" in answer.text and "This badge has expired." in answer.text
    assert "Classroom Community" in answer.text
    answer = _post(base, text=json.dumps(revoked))
    assert "The issuer has revoked this badge." in answer.text
    assert "Classroom Community" in answer.text
    fine = _post(base, text=json.dumps(_badge(credentialStatus=ISSUER.status_entry(8))))
    assert ">Verified<" in fine.text and "not revoked" in fine.text


def test_uploads_of_json_and_a_baked_png(base: str) -> None:
    signed = _badge()
    answer = _post(base, files={"file": ("badge.json", json.dumps(signed).encode(),
                                         "application/json")})
    assert ">Verified<" in answer.text
    baked = bake(plain_png(), signed)
    answer = _post(base, files={"file": ("badge.png", baked, "image/png")})
    assert ">Verified<" in answer.text


def test_a_url_is_fetched_only_through_the_guarded_fetcher(base: str) -> None:
    answer = _post(base, url="http://127.0.0.1:9/badge.json")
    assert ">Not verified<" in answer.text and "https" in answer.text


def test_no_csrf_token_no_input_and_oversized_uploads_are_refused(base: str) -> None:
    no_token = httpx.post(f"{base}/verify", data={"text": "{}"})
    assert no_token.status_code == 403
    assert _post(base).status_code == 400
    big = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    assert _post(base, files={"file": ("big.json", big, "application/json")}).status_code == 413
