"""Delivery: claim links (single-use, expiring, stored hashed) sent by email through a real
SMTP server on loopback (aiosmtpd), redeemed on the claim page of a loopback server."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("aiosmtpd")
pytest.importorskip("jinja2")

from mcbadge.delivery import Deliveries, SmtpSettings
from mcbadge.errors import IssuingError
from mcbadge.issuing import Issuer
from mcbadge.resolve import Fetcher
from mcbadge.server import create_app
from tests.servers import SmtpInbox, asgi_on_loopback, smtp_on_loopback

ACHIEVEMENT = {"id": "https://pd.district.example/a/community", "name": "Classroom Community",
               "description": "Belonging.", "criteria": {"narrative": "Reviewed."}}


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpInbox, int]]:
    with smtp_on_loopback() as server:
        yield server


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[tuple[Issuer, Deliveries]]:
    issuer = Issuer.create(tmp_path / "issuer", name="District PD",
                           url="https://pd.district.example")
    deliveries = Deliveries(issuer, base_url="https://badges.district.example")
    yield issuer, deliveries
    deliveries.close()
    issuer.close()


def _link(message: Message) -> str:
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    found = re.search(r"https://badges\.district\.example/claim/\S+", text.get_payload())
    assert found is not None
    return found.group(0)


def test_an_award_is_emailed_as_a_claim_link_and_logged(ws: Any, smtp: Any) -> None:
    issuer, deliveries = ws
    inbox, port = smtp
    badge = issuer.issue(ACHIEVEMENT, "Ada@District.example")
    outcome = deliveries.send(badge["id"], SmtpSettings("127.0.0.1", port, starttls=False,
                                                        sender="badges@district.example"))
    assert outcome == "sent"
    [message] = inbox.messages
    assert message["To"] == "ada@district.example"
    assert "Classroom Community" in message["Subject"]
    assert {p.get_content_type() for p in message.walk()} >= {"text/plain", "text/html"}
    link = _link(message)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 22  # 128 random bits, base64url
    body = message.as_string()
    assert badge["proof"]["proofValue"] not in body  # the badge itself is not in the mail
    assert [r["outcome"] for r in deliveries.log(badge["id"])] == ["sent"]
    # stored hashed: the token is nowhere in the ledger file
    assert token.encode() not in (issuer.path / "ledger.sqlite3").read_bytes()


def test_a_claim_works_once_and_expires(ws: Any) -> None:
    issuer, deliveries = ws
    badge = issuer.issue(ACHIEVEMENT, "bo@district.example")
    token = deliveries.claim_link(badge["id"]).rsplit("/", 1)[1]
    assert deliveries.peek(token)["id"] == badge["id"]  # looking does not spend it
    assert deliveries.redeem(token)["id"] == badge["id"]
    with pytest.raises(IssuingError, match="used"):
        deliveries.redeem(token)
    old = deliveries.claim_link(badge["id"], now=datetime.now(UTC) - timedelta(days=31))
    with pytest.raises(IssuingError, match="expired"):
        deliveries.redeem(old.rsplit("/", 1)[1])
    with pytest.raises(IssuingError, match="not valid"):
        deliveries.redeem("A" * 22)
    issuer.revoke(badge["id"], "awarded in error")
    with pytest.raises(IssuingError, match="revoked"):
        deliveries.claim_link(badge["id"])


def test_a_server_that_is_down_is_retried_then_logged_as_failed(ws: Any) -> None:
    issuer, deliveries = ws
    badge = issuer.issue(ACHIEVEMENT, "cy@district.example")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    outcome = deliveries.send(badge["id"], SmtpSettings("127.0.0.1", closed, starttls=False,
                                                        timeout=2), retries=2, backoff=0)
    assert outcome == "failed"
    [row] = deliveries.log(badge["id"])
    assert row["outcome"] == "failed" and "attempt 2" in row["detail"]


def test_from_email_to_download_on_the_claim_page(ws: Any, smtp: Any) -> None:
    issuer, deliveries = ws
    inbox, port = smtp
    badge = issuer.issue(ACHIEVEMENT, "dee@district.example")
    deliveries.send(badge["id"], SmtpSettings("127.0.0.1", port, starttls=False))
    path = "/claim/" + _link(inbox.messages[0]).rsplit("/", 1)[1]
    app = create_app(fetcher=Fetcher(offline=True), deliveries=deliveries)
    with asgi_on_loopback(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        page = client.get(path)
        assert page.status_code == 200 and "Classroom Community" in page.text
        assert "<script" not in page.text and page.headers["cache-control"] == "no-store"
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        assert client.post(path, data={}).status_code == 403  # no CSRF token: refused
        page = client.get(path)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        download = client.post(path, data={"csrf": csrf.group(1)})
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.json()["id"] == badge["id"]
        again = client.get(path)
        assert again.status_code == 404 and "used" in again.text
        # guessing tokens is rate limited per address
        codes = [client.get(f"/claim/guess{i}").status_code for i in range(25)]
        assert codes[-1] == 429


def test_mcbadge_deliver_sends_and_exits_non_zero_when_a_send_fails(
        tmp_path: Path, smtp: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_cli_keys import run

    inbox, port = smtp
    issuer = Issuer.create(tmp_path / "ws", name="District PD", url="https://pd.district.example")
    badge = issuer.issue(ACHIEVEMENT, "eve@district.example")
    issuer.close()
    argv = ["deliver", badge["id"], "-i", str(tmp_path / "ws"), "--base-url",
            "https://badges.district.example", "--smtp-host", "127.0.0.1", "--smtp-port",
            str(port), "--no-starttls", "--json"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert json.loads(out) == {badge["id"]: "sent"} and len(inbox.messages) == 1
    code, _, err = run(["deliver", "urn:uuid:not-there", "-i", str(tmp_path / "ws"),
                        "--base-url", "https://badges.district.example"], capsys)
    assert code != 0 and len(err.strip().splitlines()) == 1


def test_the_badge_page_is_private_until_made_public(tmp_path: Path) -> None:
    issuer = Issuer.create(tmp_path / "ws", name="District PD", url="https://pd.district.example")
    badge = issuer.issue(ACHIEVEMENT, "fay@district.example")
    fetcher = Fetcher(documents=issuer.status_list_credentials(), offline=True)
    deliveries = Deliveries(issuer, base_url="https://badges.district.example",
                            fetcher=fetcher)
    token = deliveries.claim_link(badge["id"]).rsplit("/", 1)[1]
    page = "/badges/" + badge["id"].removeprefix("urn:uuid:")
    app = create_app(fetcher=fetcher, deliveries=deliveries)
    with asgi_on_loopback(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.get(page).status_code == 404
        claim = client.get(f"/claim/{token}")
        assert f'href="{page}?claim={token}"' in claim.text.replace("&amp;", "&")
        private_view = client.get(f"{page}?claim={token}")
        assert private_view.status_code == 200 and "Classroom Community" in private_view.text
        deliveries.set_public(badge["id"])
        public = client.get(page)
        assert public.status_code == 200 and ">Verified<" in public.text
        assert '<meta property="og:title" content="Classroom Community">' in public.text
        assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in \
            public.text
        assert "<script" not in public.text
        assert client.get(page + "?format=json").json()["id"] == badge["id"]
        deliveries.set_public(badge["id"], False)
        assert client.get(page).status_code == 404
        issuer.revoke(badge["id"], "awarded in error")
        deliveries.fetcher = Fetcher(documents=issuer.status_list_credentials(), offline=True)
        deliveries.set_public(badge["id"])
        revoked = client.get(page)
        assert "The issuer has revoked this badge." in revoked.text
    deliveries.close()
    issuer.close()


def test_a_grant_emails_the_claim_link_once_when_configured(tmp_path: Path, smtp: Any) -> None:
    from tests.programs_helpers import artifacts, recommended, workspace

    inbox, port = smtp
    issuer, programs = workspace(tmp_path / "ws")
    deliveries = Deliveries(issuer, base_url="https://badges.district.example")
    programs.mail = (deliveries, SmtpSettings("127.0.0.1", port, starttls=False))
    arts = artifacts(programs, tmp_path)
    granted = programs.decide(recommended(programs, "ada@district.example", arts), "grant",
                              actor="district", reason="meets every criterion")
    denied = programs.decide(recommended(programs, "bo@district.example", arts, "deny"),
                             "deny", actor="district", reason="not yet")
    assert granted.credential_id and denied.credential_id is None
    [message] = inbox.messages  # the denial sends no claim link
    assert message["To"] == "ada@district.example"
    token = _link(message).rsplit("/", 1)[1]
    assert deliveries.peek(token)["id"] == granted.credential_id
    programs._mail(granted.credential_id)  # a grant re-run: not sent twice
    assert len(inbox.messages) == 1
    assert [r["outcome"] for r in deliveries.log(granted.credential_id)] == ["sent"]
    deliveries.close()
    programs.close()
    issuer.close()


def test_the_decide_command_emails_with_claim_url(tmp_path: Path, smtp: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from tests.programs_helpers import artifacts, recommended, workspace
    from tests.test_cli_keys import run

    inbox, port = smtp
    issuer, programs = workspace(tmp_path / "ws")
    sid = recommended(programs, "cy@district.example", artifacts(programs, tmp_path))
    programs.close()
    issuer.close()
    code, _, err = run(["decide", sid, "grant", "-i", str(tmp_path / "ws"), "--actor", "d",
                        "--reason", "meets it", "--claim-url",
                        "https://badges.district.example", "--smtp-host", "127.0.0.1",
                        "--smtp-port", str(port), "--no-starttls"], capsys)
    assert code == 0, err
    [message] = inbox.messages
    assert message["To"] == "cy@district.example" and "/claim/" in _link(message)


def test_the_claim_limiter_counts_per_address_and_per_token() -> None:
    from mcbadge.server._pages import _Limiter

    limiter = _Limiter(limit=3, window=600)
    for i in range(3):  # one token tried from three addresses
        assert not limiter.blocked(f"10.0.0.{i}", "token:abc")
        limiter.failed(f"10.0.0.{i}", "token:abc")
    assert limiter.blocked("10.9.9.9", "token:abc")  # a fresh address, the same token
    assert not limiter.blocked("10.9.9.9", "token:other")
    for i in range(3):  # many tokens from one address
        limiter.failed("10.1.1.1", f"token:{i}")
    assert limiter.blocked("10.1.1.1", "token:never-tried")


def test_email_templates_can_be_replaced_and_values_are_escaped_in_html(
        tmp_path: Path, smtp: Any) -> None:
    inbox, port = smtp
    issuer = Issuer.create(tmp_path / "ws", name="District <PD>",
                           url="https://pd.district.example")
    badge = issuer.issue({**ACHIEVEMENT, "name": "Community <script>alert(1)</script>"},
                         "gus@district.example")
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "claim.txt").write_text("Subject: $badge is yours, $recipient\n\nGo: $link\n")
    deliveries = Deliveries(issuer, base_url="https://badges.district.example",
                            templates=folder)
    assert deliveries.send(badge["id"], SmtpSettings("127.0.0.1", port,
                                                     starttls=False)) == "sent"
    [message] = inbox.messages
    assert message["Subject"].startswith("Community <script>") and "gus@" in message["Subject"]
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    assert text.get_payload().startswith("Go: https://badges.district.example/claim/")
    page = next(p for p in message.walk() if p.get_content_type() == "text/html")
    body = page.get_payload(decode=True).decode()
    assert "<script>" not in body and "&lt;script&gt;" in body  # the package's HTML, escaped
    assert "District &lt;PD&gt;" in body
    (folder / "claim.txt").write_text("no subject line $link")
    with pytest.raises(IssuingError, match="Subject"):
        deliveries.message(badge["id"], "https://x.example/claim/t", "a@b.example")
    (folder / "claim.txt").write_text("Subject: x\n$unknown")
    with pytest.raises(IssuingError, match="placeholder"):
        deliveries.message(badge["id"], "https://x.example/claim/t", "a@b.example")
    deliveries.close()
    issuer.close()
