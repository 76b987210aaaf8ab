"""The guarded HTTP client (see :mod:`mcbadge.resolve`)."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from cachetools import TLRUCache

from mcbadge.errors import FetchError

logger = logging.getLogger("mcbadge.resolve")

CREDENTIAL_ACCEPT = ("application/vc+ld+json, application/vc+jwt;q=0.9, application/jwt;q=0.8, "
                     "application/ld+json;q=0.7, application/json;q=0.6")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}")

JSON_TYPES = frozenset({
    "application/json", "application/ld+json", "application/did+json",
    "application/did+ld+json", "application/vc+ld+json", "application/jwk-set+json",
})
UNTYPED = frozenset({"text/plain", "binary/octet-stream", "application/octet-stream", ""})
"""Content types read as JSON when the body parses (S3 and plain file servers send these)."""
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

_REFUSED_V6 = tuple(ipaddress.ip_network(n) for n in (
    "::/96",            # IPv4-compatible (deprecated), and :: and ::1
    "::ffff:0:0/96",    # IPv4-mapped
    "64:ff9b::/96",     # NAT64, well-known prefix
    "64:ff9b:1::/48",   # NAT64, local use
    "2002::/16",        # 6to4: embeds an IPv4 address
    "2001::/32",        # Teredo: embeds an IPv4 address
    "fec0::/10",        # site-local (deprecated)
    "fc00::/7",         # unique local
    "fe80::/10",        # link-local
))


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a globally routable unicast address (not private, loopback,
    link-local, CGNAT 100.64/10, multicast, reserved or unspecified), refusing too every IPv6
    form that embeds or reaches an IPv4 or local network (IPv4-mapped and -compatible, NAT64,
    6to4, Teredo, site-local)."""
    if isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in _REFUSED_V6):
        return False
    return ip.is_global and not ip.is_multicast


_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}\Z", re.I)
_DOTTED_QUAD = re.compile(r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
                          r"(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}\Z")

_HOST_CHARS = re.compile(r"[a-z0-9._\-\u0080-\U0010ffff]+\Z", re.I)

_DEADLINE: ContextVar[float | None] = ContextVar("mcbadge_fetch_deadline", default=None)


@contextmanager
def fetch_deadline(deadline: float | None) -> Iterator[None]:
    """Within this block no fetch runs past ``deadline`` (``time.monotonic()``): the
    budget of one :func:`mcbadge.verify` call across all its fetches."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves, checks every address, then connects to a checked address."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = []
        for *_, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if not self.allow_private and not is_public_address(ip):
                raise httpcore.ConnectError(
                    f"{host} resolves to {ip}, a non-public address (allow_private is off)"
                )
            addresses.append(str(ip))
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, *, allow_private: bool, verify: Any) -> None:
        super().__init__(verify=verify, retries=0)
        pool = self._pool
        self._pool = httpcore.ConnectionPool(
            ssl_context=pool._ssl_context,
            max_connections=10,
            max_keepalive_connections=5,
            network_backend=_GuardedBackend(allow_private),
        )


class Fetcher:
    """Fetches JSON documents under mcbadge's network policy (see the module doc).

    ``timeout`` bounds each fetch in total (connecting, every redirect and the whole body:
    a server dripping a byte a second is cut off), not each read. The cache holds at most
    ``cache_entries`` documents and ``cache_bytes`` of them; expired entries are dropped.
    """

    def __init__(
        self,
        *,
        documents: Mapping[str, Any] | None = None,
        allow_private: bool = False,
        allow_http: bool = False,
        timeout: float = 10.0,
        max_bytes: int = 2 * 1024 * 1024,
        max_redirects: int = 3,
        default_ttl: float = 300.0,
        verify: Any = True,
        clock: Callable[[], float] = time.monotonic,
        offline: bool = False,
        cache_entries: int = 256,
        cache_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        # a dict is copied; another Mapping is kept and asked on every fetch (a service
        # answering its own status lists from its ledger)
        self.documents: Mapping[str, Any] = (dict(documents) if isinstance(documents, dict)
                                             else documents if documents is not None else {})
        self.offline = offline
        self.allow_private = allow_private
        self.allow_http = allow_http
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.default_ttl = default_ttl
        self.cache_entries = cache_entries
        self._clock = clock
        self._cache: TLRUCache[str, tuple[float, Any, int]] = TLRUCache(
            maxsize=cache_bytes, ttu=lambda _k, v, _now: v[0], timer=clock,
            getsizeof=lambda v: v[2])
        self._lock = threading.Lock()
        self._verify = verify
        self._http: httpx.Client | None = None

    @property
    def _client(self) -> httpx.Client:
        """The HTTP client, made on first use (loading the CA store costs ~20 ms, which an
        offline verification should not pay)."""
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    transport=_GuardedTransport(allow_private=self.allow_private,
                                                verify=self._verify),
                    timeout=httpx.Timeout(self.timeout),
                    follow_redirects=False,
                    headers={"User-Agent": "mcbadge"},
                )
            return self._http

    def close(self) -> None:
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port
        except ValueError as exc:
            raise FetchError(f"invalid URL {url[:200]!r}: {exc}", url) from None
        allowed = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in allowed:
            raise FetchError(f"refusing {parts.scheme or 'relative'} URL {url!r}: https only", url)
        if not host:
            raise FetchError(f"URL {url!r} has no host", url)
        if parts.username or parts.password:
            raise FetchError(f"URL {url!r} carries credentials", url)
        if port == 0:
            raise FetchError(f"URL {url!r} names port 0", url)
        if not _HOST_CHARS.match(host) and ":" not in host:
            raise FetchError(f"URL {url[:200]!r} has an invalid host name", url)
        if _NUMERIC_HOST.match(host) and not _DOTTED_QUAD.match(host):
            raise FetchError(f"URL {url!r} spells an IPv4 address in decimal, octal or hex; "
                             "refused", url)
        if not self.allow_private:
            try:
                literal = ipaddress.ip_address(host)
            except ValueError:
                literal = None
            if literal is not None and not is_public_address(literal):
                raise FetchError(f"URL {url!r} names {literal}, a non-public address "
                                 "(allow_private is off)", url)

    def get_json(
        self, url: str, *, ttl: float | None = None, accept: str = "application/json"
    ) -> Any:
        """GET ``url`` and parse its JSON body, under the policy; cached."""
        if url in self.documents:
            given = self.documents[url]
            if isinstance(given, str | bytes):
                try:
                    return json.loads(given)
                except (ValueError, UnicodeDecodeError, RecursionError):
                    raise FetchError(f"the document given for {url} is not JSON", url) from None
            return given
        return self._cached(url, accept, ttl, any_type=False, parse=_parse_json)

    def get_credential(self, url: str, *, ttl: float | None = None,
                       accept: str = CREDENTIAL_ACCEPT) -> Any:
        """GET a credential that may be published as JSON or as a compact VC-JWT (status
        lists: openbadgeslib publishes only JWTs). Returns the parsed JSON, or the JWT as a
        ``str``; cached like :meth:`get_json`."""
        if url in self.documents:
            given = self.documents[url]
            if isinstance(given, str | bytes):
                text = given.decode("utf-8", "replace") if isinstance(given, bytes) else given
                if _COMPACT_JWS.fullmatch(text.strip()):
                    return text.strip()
            return self.get_json(url, ttl=ttl)
        return self._cached(url, accept, ttl, any_type=True, parse=_parse_credential)

    def _cached(self, url: str, accept: str, ttl: float | None, *, any_type: bool,
                parse: Callable[[bytes, str], Any]) -> Any:
        """The cached value for ``url``, or fetch, ``parse`` and cache it. One cache serves
        :meth:`get_json` and :meth:`get_credential`: a VC-JWT the latter cached is not JSON
        to the former."""
        with self._lock:
            hit = self._cache.get(url)
        if hit is not None:
            if isinstance(hit[1], str) and not any_type:
                raise FetchError(f"{url} did not return valid JSON", url)
            return hit[1]
        body, max_age = self._get(url, accept, any_type=any_type)
        value = parse(body, url)
        self._remember(url, value, len(body), max_age, ttl)
        return value

    def _remember(self, url: str, value: Any, size: int, max_age: float | None,
                  ttl: float | None) -> None:
        lifetime = max_age if max_age is not None else ttl if ttl is not None else self.default_ttl
        if lifetime > 0:
            with self._lock:
                if len(self._cache) >= self.cache_entries:
                    self._cache.expire()
                    while len(self._cache) >= self.cache_entries:
                        self._cache.popitem()
                with contextlib.suppress(ValueError):  # larger than the whole cache: not kept
                    self._cache[url] = (self._clock() + lifetime, value, size + 64)

    def get_bytes(self, url: str, *, accept: str = "*/*") -> bytes:
        """GET ``url`` under the policy and return its body, whatever its type (not cached).

        A ``documents`` entry for ``url`` is returned as UTF-8 (str) or JSON (anything else).
        """
        if url in self.documents:
            doc = self.documents[url]
            if isinstance(doc, bytes):
                return doc
            return doc.encode("utf-8") if isinstance(doc, str) else json.dumps(doc).encode()
        return self._get(url, accept, any_type=True)[0]

    def _get(
        self, url: str, accept: str, *, any_type: bool = False
    ) -> tuple[bytes, float | None]:
        if self.offline:
            self._check_url(url)
            raise FetchError(f"{url} is not among the documents given, and fetching is off", url)
        start = time.monotonic()
        deadline = start + self.timeout
        outer = _DEADLINE.get()
        if outer is not None:
            deadline = min(deadline, outer)
        logger.debug("fetching %s", url)
        current = url
        for _ in range(self.max_redirects + 1):
            self._check_url(current)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(f"{url}: the time allowed for fetching ran out", url)
            try:
                with self._client.stream("GET", current, headers={"Accept": accept},
                                         timeout=httpx.Timeout(remaining)) as resp:
                    timer = threading.Timer(remaining, resp.close)
                    timer.daemon = True
                    timer.start()
                    try:
                        result = self._read(resp, url, current, accept, any_type, deadline)
                    finally:
                        timer.cancel()
                    if isinstance(result, str):
                        current = result
                        continue
                    return result
            except httpx.TimeoutException:
                raise FetchError(f"{current} timed out", url) from None
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError) as exc:
                if time.monotonic() >= deadline:
                    raise FetchError(f"{current}: the time allowed for fetching ran out",
                                     url) from None
                raise FetchError(f"{current}: {exc}", url) from None
        raise FetchError(f"{url}: more than {self.max_redirects} redirects", url)

    def _read(self, resp: httpx.Response, url: str, current: str, accept: str,
              any_type: bool, deadline: float) -> tuple[bytes, float | None] | str:
        if resp.status_code in _REDIRECTS:
            location = resp.headers.get("location")
            if not location:
                raise FetchError(f"{current} redirected without a Location", url)
            return urljoin(current, str(location))
        if resp.status_code != 200:
            raise FetchError(f"{current} answered HTTP {resp.status_code}", url)
        kind = resp.headers.get("content-type", "").split(";")[0].strip().lower()
        if (not any_type and kind not in JSON_TYPES and not kind.endswith("+json")
                and kind not in UNTYPED):
            raise FetchError(f"{current} sent {kind or 'no content type'}, not JSON", url)
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(f"{current} is larger than {self.max_bytes} bytes", url)
        chunks, size = [], 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(f"{current} is larger than {self.max_bytes} bytes", url)
            if time.monotonic() > deadline:
                raise FetchError(f"{current}: the time allowed for fetching ran out", url)
            chunks.append(chunk)
        if time.monotonic() > deadline:
            raise FetchError(f"{current}: the time allowed for fetching ran out", url)
        return b"".join(chunks), _max_age(resp.headers.get("cache-control", ""))


def _max_age(header: str) -> float | None:
    for part in header.lower().split(","):
        name, _, value = part.strip().partition("=")
        if name in ("no-store", "no-cache"):
            return 0.0
        if name == "max-age" and value.isdigit():
            return float(value)
    return None


def _parse_json(body: bytes, url: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise FetchError(f"{url} did not return valid JSON", url) from None


def _parse_credential(body: bytes, url: str) -> Any:
    """A compact VC-JWT (as a ``str``) or JSON."""
    stripped = body.strip()
    if _COMPACT_JWS.fullmatch(stripped.decode("ascii", "replace")):
        return stripped.decode("ascii")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise FetchError(f"{url} returned neither JSON nor a VC-JWT", url) from None
