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


def test_declared_schemas_are_fetched_after_the_signature_bounded_and_linear(
        tmp_path: object) -> None:
    import time as _time

    from mcbadge.verification._schemas import MAX_FETCHED_SCHEMAS
    from tests.issuers import Issuer, offline

    issuer = Issuer()
    slow = {"type": "object", "properties": {"name": {"pattern": "^(a+)+$"}}}
    lookaround = {"type": "object", "properties": {"name": {"pattern": "(?=a)a"}}}
    urls = [f"https://schemas.example/{i}.json" for i in range(6)]
    docs = {**issuer.documents(), urls[0]: slow, urls[1]: lookaround,
            **{u: {"type": "object"} for u in urls[2:]}}
    doc = issuer.credential(name="a" * 5000 + "!", credentialSchema=[
        {"id": u, "type": "1EdTechJsonSchemaValidator2019"} for u in urls])
    doc["@context"].append("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json")
    started = _time.monotonic()
    result = mcbadge.verify(issuer.sign(doc), now=NOW, fetcher=offline(docs))
    assert _time.monotonic() - started < 5  # ^(a+)+$ on 5,000 a's: linear on RE2
    errors = result.check("schema").details["errors"]  # type: ignore[union-attr]
    messages = " ".join(e["message"] for e in errors)
    assert "does not match" in messages  # the slow pattern ran, and failed
    assert "cannot run in linear time" in messages  # the look-around schema is refused
    assert f"at most {MAX_FETCHED_SCHEMAS} schemas" in messages
    forged = issuer.sign(doc)
    forged["name"] = "forged"
    fetcher = offline(docs)
    asked: list[str] = []
    original = fetcher.get_json
    fetcher.get_json = lambda url, **kw: (asked.append(url), original(url, **kw))[1]  # type: ignore[method-assign]
    mcbadge.verify(forged, now=NOW, fetcher=fetcher)
    assert not any(u in asked for u in urls)  # nothing declared is fetched for a forgery
