"""The guarded HTTP client against a real HTTPS server on loopback (no mocks)."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mcbadge.errors import FetchError
from mcbadge.resolve import Fetcher, is_public_address


class Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Handler.hits.append(self.path)
        if self.path == "/slow":
            time.sleep(1.5)
        if self.path == "/drip":  # one byte every 0.25 s: no single read ever times out
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
                for _ in range(40):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.25)
                self.wfile.write(b"{}")
            return
        status, headers, body = Handler.routes.get(self.path, (404, {}, b"{}"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ssl.SSLContext]]:
    cert, key = _certificate(tmp_path_factory.mktemp("tls"))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(cert))
    yield f"https://localhost:{httpd.server_address[1]}", client_ctx
    httpd.shutdown()
    httpd.server_close()


JSON = {"Content-Type": "application/ld+json"}


def route(path: str, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    Handler.routes[path] = (status, headers if headers is not None else dict(JSON), data)


def fetcher(ctx: ssl.SSLContext, **kw: Any) -> Fetcher:
    return Fetcher(allow_private=True, verify=ctx, timeout=1.0, **kw)


def test_fetches_json_over_https(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    route("/profile", {"id": "x"})
    assert fetcher(ctx).get_json(f"{base}/profile") == {"id": "x"}


def test_loopback_is_refused_unless_allowed(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    route("/secret", {"internal": True})
    Handler.hits.clear()
    with pytest.raises(FetchError, match="non-public"):
        Fetcher(verify=ctx).get_json(f"{base}/secret")
    assert Handler.hits == []  # nothing reached the server


def test_plain_http_is_refused(server: tuple[str, ssl.SSLContext]) -> None:
    _, ctx = server
    with pytest.raises(FetchError, match="https only"):
        fetcher(ctx).get_json("http://localhost/x")
    with pytest.raises(FetchError, match="https only"):
        fetcher(ctx).get_json("file:///etc/passwd")


def test_redirects_are_checked_each_hop(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    route("/a", b"", 302, {"Location": "/b"})
    route("/b", {"ok": 1})
    assert fetcher(ctx).get_json(f"{base}/a") == {"ok": 1}
    route("/to-http", b"", 301, {"Location": "http://localhost/b"})
    with pytest.raises(FetchError, match="https only"):
        fetcher(ctx).get_json(f"{base}/to-http")
    route("/loop", b"", 302, {"Location": "/loop"})
    with pytest.raises(FetchError, match="redirects"):
        fetcher(ctx).get_json(f"{base}/loop")


def test_size_type_status_and_timeout_bounds(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    route("/big", {"x": "a" * 5000})
    with pytest.raises(FetchError, match="larger than"):
        fetcher(ctx, max_bytes=1000).get_json(f"{base}/big")
    route("/html", b"<html></html>", 200, {"Content-Type": "text/html"})
    with pytest.raises(FetchError, match="not JSON"):
        fetcher(ctx).get_json(f"{base}/html")
    route("/bad-json", b"{nope", 200, dict(JSON))
    with pytest.raises(FetchError, match="valid JSON"):
        fetcher(ctx).get_json(f"{base}/bad-json")
    with pytest.raises(FetchError, match="404"):
        fetcher(ctx).get_json(f"{base}/missing")
    route("/slow", {"late": True})
    with pytest.raises(FetchError, match="timed out"):
        fetcher(ctx).get_json(f"{base}/slow")


def test_untrusted_certificate_is_refused(server: tuple[str, ssl.SSLContext]) -> None:
    base, _ = server
    route("/profile", {"id": "x"})
    with pytest.raises(FetchError):
        Fetcher(allow_private=True, timeout=1.0).get_json(f"{base}/profile")


def test_cache_honours_max_age_and_ttl(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    now = [1000.0]
    f = fetcher(ctx, clock=lambda: now[0])
    route("/cached", {"v": 1}, headers={**JSON, "Cache-Control": "max-age=60"})
    Handler.hits.clear()
    assert f.get_json(f"{base}/cached") == {"v": 1}
    route("/cached", {"v": 2}, headers={**JSON, "Cache-Control": "max-age=60"})
    assert f.get_json(f"{base}/cached") == {"v": 1}
    assert Handler.hits == ["/cached"]
    now[0] += 61
    assert f.get_json(f"{base}/cached") == {"v": 2}
    route("/nostore", {"v": 1}, headers={**JSON, "Cache-Control": "no-store"})
    f.get_json(f"{base}/nostore")
    f.get_json(f"{base}/nostore")
    assert Handler.hits.count("/nostore") == 2


def test_documents_given_ahead_are_used_offline() -> None:
    f = Fetcher(documents={"https://issuer.example/list": {"given": True}})
    assert f.get_json("https://issuer.example/list") == {"given": True}


@pytest.mark.parametrize(
    ("ip", "public"),
    [("8.8.8.8", True), ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False),
     ("192.168.1.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
     ("::1", False), ("fe80::1", False), ("fc00::1", False), ("::ffff:127.0.0.1", False),
     ("2001:4860:4860::8888", True), ("224.0.0.1", False), ("0.0.0.0", False),
     ("::127.0.0.1", False), ("::10.0.0.1", False), ("64:ff9b::7f00:1", False),
     ("64:ff9b:1::a00:1", False), ("2002:7f00:1::1", False), ("2002:c0a8:101::1", False),
     ("2001:0:4136:e378::1", False), ("fec0::1", False), ("2606:4700::1111", True)],
)
def test_public_address_classification(ip: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(ip)) is public


def test_a_dripping_server_is_cut_off_by_the_total_deadline(
        server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"time allowed|timed out"):
        fetcher(ctx).get_json(f"{base}/drip")  # timeout=1.0 for the whole fetch
    assert time.monotonic() - started < 3.0


def test_the_verify_budget_bounds_every_fetch(server: tuple[str, ssl.SSLContext]) -> None:
    from mcbadge.resolve import fetch_deadline

    base, ctx = server
    route("/profile", {"id": "x"})
    with fetch_deadline(time.monotonic() - 1), pytest.raises(FetchError, match="ran out"):
        Fetcher(allow_private=True, verify=ctx).get_json(f"{base}/profile")


@pytest.mark.parametrize("url", [
    "https://2130706433/x", "https://0x7f.0.0.1/x", "https://0177.0.0.1/x",
    "https://127.1/x", "https://[::ffff:127.0.0.1]/x", "https://[64:ff9b::a00:1]/x",
    "https://[2002:7f00:1::1]/x", "https://10.0.0.1/x"])
def test_private_and_numeric_spellings_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(FetchError, match=r"non-public|decimal, octal or hex"):
        Fetcher().get_json(url)


@pytest.mark.parametrize("url", ["https://[::1", "https://exa mple.org/x", "https://x:99999/",
                                 "https://\x00/", "https:///nohost", "https://x\udcff.org/"])
def test_invalid_urls_are_fetch_errors(url: str) -> None:
    with pytest.raises(FetchError):
        Fetcher().get_json(url)


def test_json_served_as_text_or_octet_stream_is_read(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    for kind in ("text/plain", "binary/octet-stream", "application/octet-stream"):
        route(f"/typed-{kind}", {"kind": kind}, headers={"Content-Type": kind})
        assert fetcher(ctx).get_json(f"{base}/typed-{kind}") == {"kind": kind}
    route("/plain-not-json", b"hello", headers={"Content-Type": "text/plain"})
    with pytest.raises(FetchError, match="valid JSON"):
        fetcher(ctx).get_json(f"{base}/plain-not-json")


def test_the_cache_is_bounded_and_drops_expired_entries(
        server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    now = [0.0]
    f = fetcher(ctx, clock=lambda: now[0], cache_entries=2)
    for name in ("c1", "c2", "c3"):
        route(f"/{name}", {"n": name})
        f.get_json(f"{base}/{name}")
    assert len(f._cache) == 2
    Handler.hits.clear()
    f.get_json(f"{base}/c1")  # evicted: fetched again
    assert Handler.hits == ["/c1"]
    now[0] += 10_000
    f._cache.expire()
    assert len(f._cache) == 0


def test_a_credential_is_fetched_as_json_or_as_a_vc_jwt(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    token = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
    route("/list-jwt", token.encode() + b"\n", headers={"Content-Type": "application/vc+jwt"})
    route("/list-json", {"id": "l"}, headers={"Content-Type": "application/vc+ld+json"})
    route("/list-junk", b"<html>", headers={"Content-Type": "text/html"})
    f = fetcher(ctx)
    assert f.get_credential(f"{base}/list-jwt") == token
    assert f.get_credential(f"{base}/list-json") == {"id": "l"}
    with pytest.raises(FetchError, match="neither JSON nor a VC-JWT"):
        f.get_credential(f"{base}/list-junk")
    hits = len(Handler.hits)
    assert f.get_credential(f"{base}/list-jwt") == token  # cached
    assert len(Handler.hits) == hits
    assert Fetcher(documents={"https://l.example/1": token}, offline=True).get_credential(
        "https://l.example/1") == token


def test_a_cached_vc_jwt_is_not_json_to_get_json(server: tuple[str, ssl.SSLContext]) -> None:
    base, ctx = server
    route("/jwt-then-json", b"eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl",
          headers={"Content-Type": "application/vc+jwt"})
    f = fetcher(ctx)
    assert isinstance(f.get_credential(f"{base}/jwt-then-json"), str)
    with pytest.raises(FetchError, match="valid JSON"):
        f.get_json(f"{base}/jwt-then-json")
