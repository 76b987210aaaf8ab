"""The pages in a real browser: Playwright driving Debian's Chromium (headless) against a
loopback server. A valid, a revoked, an expired and a tampered badge on the verifier page, by
upload and by paste; a claim from the email (a real SMTP server on loopback) to the download;
the badge page's private/public switch. Each page's screenshot is saved (`make
screenshots` puts them in docs/screenshots/, which docs/web.md shows).

Skips, saying why, without the playwright package or a Chromium at /usr/bin/chromium
(``make test`` installs Debian's chromium when run as root) or MCBADGE_CHROMIUM."""

from __future__ import annotations

import base64
import copy
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
pytest.importorskip("aiosmtpd")
pytest.importorskip("jinja2")

from playwright import sync_api

from mcbadge.delivery import Deliveries, SmtpSettings
from mcbadge.issuing import Issuer
from mcbadge.resolve import Fetcher
from mcbadge.server import create_app
from tests.servers import SmtpInbox, asgi_on_loopback, smtp_on_loopback

CHROMIUM = os.environ.get("MCBADGE_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("MCBADGE_SCREENSHOTS")
             or Path(__file__).resolve().parents[1] / ".screenshots")
"""Where screenshots go: .screenshots/ (ignored by git); `make screenshots` writes the ones
docs/web.md shows, in docs/screenshots/."""
_ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120">'
         '<circle cx="60" cy="60" r="56" fill="#1d4f73"/><path d="M34 62l18 18 36-40" '
         'stroke="#fff" stroke-width="10" fill="none"/></svg>')
ACHIEVEMENT = {
    "id": "https://pd.district.example/a/community", "name": "Classroom Community",
    "description": "Builds a classroom where every student belongs.",
    "criteria": {"narrative": "Two assessors scored the evidence against the rubric."},
    "image": {"id": "data:image/svg+xml;base64," + base64.b64encode(_ICON.encode()).decode(),
              "type": "Image"},
}

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (as root, `make test` installs Debian's "
                "chromium; or set MCBADGE_CHROMIUM)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        yield chromium
        chromium.close()


class Site:
    def __init__(self, base: str, issuer: Issuer, deliveries: Deliveries,
                 badges: dict[str, dict[str, Any]], inbox: SmtpInbox, smtp_port: int) -> None:
        self.base, self.issuer, self.deliveries = base, issuer, deliveries
        self.badges, self.inbox, self.smtp_port = badges, inbox, smtp_port


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    issuer = Issuer.create(folder / "ws", name="Springfield District PD",
                           url="https://pd.district.example")
    past = datetime.now(UTC) - timedelta(days=400)
    badges = {
        "valid": issuer.issue(ACHIEVEMENT, "ada@district.example"),
        "revoked": issuer.issue(ACHIEVEMENT, "bo@district.example"),
        "expired": issuer.issue(ACHIEVEMENT, "cy@district.example", valid_from=past,
                                valid_until=past + timedelta(days=30)),
        "claim": issuer.issue(ACHIEVEMENT, "dee@district.example"),
    }
    issuer.revoke(badges["revoked"]["id"], "awarded in error")
    tampered = copy.deepcopy(badges["valid"])
    tampered["name"] = "Principal of the Year"
    badges["tampered"] = tampered
    fetcher = Fetcher(documents=issuer.status_list_credentials(), offline=True)
    deliveries = Deliveries(issuer, base_url="http://127.0.0.1", fetcher=fetcher)
    app = create_app(fetcher=fetcher, deliveries=deliveries)
    with smtp_on_loopback() as (inbox, port), asgi_on_loopback(app) as base:
        deliveries.base_url = base  # the claim links point at this server
        yield Site(base, issuer, deliveries, badges, inbox, port)
    deliveries.close()
    issuer.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


EXPECTED = {
    "valid": ("Verified", None),
    "revoked": ("Not verified", "The issuer has revoked this badge."),
    "expired": ("Not verified", "This badge has expired."),
    "tampered": ("Not verified", "Its signature does not hold"),
}


@pytest.mark.parametrize("how", ["upload", "paste"])
@pytest.mark.parametrize("which", list(EXPECTED))
def test_the_verifier_page_judges_each_badge(browser: Any, site: Site, tmp_path: Path,
                                            which: str, how: str) -> None:
    page = browser.new_page()
    page.goto(f"{site.base}/verify")
    text = json.dumps(site.badges[which], indent=2)
    if how == "upload":
        upload = tmp_path / f"{which}.json"
        upload.write_text(text)
        page.set_input_files("#file", str(upload))
    else:
        page.fill("#text", text)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector(".verdict h2")
    verdict, plain = EXPECTED[which]
    assert page.inner_text(".verdict h2") == verdict
    if plain:
        assert plain in page.inner_text(".verdict")
    # the badge is still displayed, whatever the verdict: image, name, issuer, dates
    shown = page.inner_text(".badge")
    name = "Principal of the Year" if which == "tampered" else "Classroom Community"
    assert name in shown and "Springfield District PD" in shown
    assert page.locator(".badge img").count() == 1
    if which == "expired":
        assert "Expires" in shown
    status = {"valid": "not revoked", "revoked": "revoked", "expired": "not revoked",
              "tampered": "not checked"}[which]
    assert status in shown
    assert page.locator("table tbody tr").count() >= 5  # every check, in a table
    # the page ran no script and fetched nothing off the machine (CSP: default-src 'none')
    assert page.evaluate("document.scripts.length") == 0
    if how == "upload":
        _shot(page, f"verify-{which}")
    # "verify again" verifies the same badge afresh; "verify another" is the empty form
    first = page.inner_text(".verdict")
    page.get_by_role("button", name="Verify again").click()
    page.wait_for_selector(".verdict h2")
    assert page.inner_text(".verdict") == first
    page.get_by_role("link", name="Verify another badge").click()
    assert page.locator("#text").input_value() == ""
    page.close()


def test_a_claim_from_email_to_download(browser: Any, site: Site, tmp_path: Path) -> None:
    from mcbadge.verification import verify

    badge = site.badges["claim"]
    outcome = site.deliveries.send(badge["id"], SmtpSettings("127.0.0.1", site.smtp_port,
                                                             starttls=False))
    assert outcome == "sent"
    message = site.inbox.messages[-1]
    html_part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    # open the email's HTML in the browser and follow its link, as a person would
    mail = tmp_path / "mail.html"
    mail.write_bytes(html_part.get_payload(decode=True))
    page = browser.new_page()
    page.goto(mail.as_uri())
    page.get_by_role("link", name="Claim your badge").click()
    page.wait_for_selector("h1")
    assert "Classroom Community" in page.inner_text(".verdict")
    assert page.get_by_role("link", name="Add to the Learner Credential Wallet").count() == 1
    assert page.locator("#offer").input_value().startswith("openid-credential-offer://")
    _shot(page, "claim")
    claim_url = page.url
    with page.expect_download() as info:
        page.get_by_role("button", name="Download your badge (JSON)").click()
    saved = tmp_path / "badge.json"
    info.value.save_as(saved)
    downloaded = json.loads(saved.read_text())
    assert downloaded["id"] == badge["id"]
    fetcher = Fetcher(documents=site.issuer.status_list_credentials(), offline=True)
    assert verify(downloaded, fetcher=fetcher).verified
    # the link worked once
    page.goto(claim_url)
    assert "has been used" in page.inner_text("[role=alert]")
    page.close()


def test_the_badge_page_switches_from_private_to_public(browser: Any, site: Site) -> None:
    badge = site.issuer.issue(ACHIEVEMENT, "eve@district.example")
    site.deliveries.fetcher = Fetcher(documents=site.issuer.status_list_credentials(),
                                      offline=True)
    link = site.deliveries.claim_link(badge["id"])
    token = link.rsplit("/", 1)[1]
    page_url = f"{site.base}/badges/{badge['id'].removeprefix('urn:uuid:')}"
    stranger = browser.new_page()
    assert stranger.goto(page_url).status == 404
    earner = browser.new_page()
    earner.goto(link)
    earner.get_by_role("link", name="See the badge's page").click()
    assert "This page is private" in earner.inner_text("main")
    earner.get_by_role("button", name="Make it public").click()
    earner.wait_for_selector("text=This page is public")
    assert stranger.goto(page_url).status == 200
    assert stranger.inner_text(".verdict h2") == "Verified"
    og = stranger.locator('meta[property="og:title"]').get_attribute("content")
    assert og == "Classroom Community"
    assert stranger.get_by_role("link", name="Add to LinkedIn").count() == 1
    assert stranger.get_by_role("link", name="baked PNG").count() == 1
    assert stranger.get_by_role("button", name="Make it private").count() == 0  # not theirs
    _shot(stranger, "badge-page")
    earner.get_by_role("button", name="Make it private").click()
    earner.wait_for_selector("text=This page is private")
    assert stranger.goto(page_url).status == 404
    # a stranger cannot flip it with a made-up token
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    stranger.close()
    earner.close()


def test_a_baked_png_uploads_and_verifies_again(browser: Any, site: Site,
                                               tmp_path: Path) -> None:
    from mcbadge._private.images import default_png
    from mcbadge.baking import bake

    baked = tmp_path / "badge.png"
    baked.write_bytes(bake(default_png(), site.badges["valid"]))
    page = browser.new_page()
    page.goto(f"{site.base}/verify")
    page.set_input_files("#file", str(baked))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector(".verdict h2")
    assert page.inner_text(".verdict h2") == "Verified"
    page.get_by_role("button", name="Verify again").click()  # resends the baked credential
    page.wait_for_selector(".verdict h2")
    assert page.inner_text(".verdict h2") == "Verified"
    page.close()
