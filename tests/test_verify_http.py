"""Verification over real HTTPS on loopback: issuer profile, status list, a badge by URL."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import mcbadge
from mcbadge.resolve import Fetcher
from tests.issuers import NOW, Issuer
from tests.test_fetcher import Handler, route, server

__all__ = ["server"]  # the module-scoped HTTPS server fixture


def test_verify_fetches_profile_and_status_list_once(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    issuer = Issuer(f"{base}/issuers/pd")
    for url, doc in issuer.documents().items():
        route(urlsplit(url).path, doc, headers={"Content-Type": "application/ld+json",
                                               "Cache-Control": "max-age=600"})
    signed = issuer.sign(issuer.credential(credentialStatus=issuer.status_entry(7)))
    route("/badges/1", signed)
    Handler.hits.clear()
    fetcher = Fetcher(allow_private=True, verify=ctx, timeout=2.0)
    result = mcbadge.verify_url(f"{base}/badges/1", now=NOW, fetcher=fetcher)
    assert result.verified, [(c.id, c.message) for c in result.checks if c.outcome == "failed"]
    assert sorted(set(Handler.hits)) == ["/badges/1", "/issuers/pd", "/issuers/pd/status/1"]
    before = len(Handler.hits)
    assert mcbadge.verify(signed, now=NOW, fetcher=fetcher).verified
    assert len(Handler.hits) == before  # profile and list served from the cache


def test_loopback_is_refused_without_allow_private(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    issuer = Issuer(f"{base}/issuers/pd")
    for url, doc in issuer.documents().items():
        route(urlsplit(url).path, doc)
    signed = issuer.sign(issuer.credential())
    result = mcbadge.verify(signed, now=NOW, fetcher=Fetcher(verify=ctx, timeout=2.0))
    assert result.problems == ["VERIFICATION_METHOD_NOT_FOUND"]
    assert "private" in result.check("valid_signature").message or "loopback" in (  # type: ignore[union-attr]
        result.check("valid_signature").message)  # type: ignore[union-attr]
