"""The guarded HTTP client (see :mod:`mcbadge.resolve`)."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
import typing
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from mcbadge.errors import FetchError

JSON_TYPES = frozenset({
    "application/json", "application/ld+json", "application/did+json",
    "application/did+ld+json", "application/vc+ld+json", "application/jwk-set+json",
})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a globally routable unicast address (not private, loopback,
    link-local, CGNAT 100.64/10, multicast, reserved or unspecified)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


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
    """Fetches JSON documents under mcbadge's network policy (see the module doc)."""

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
    ) -> None:
        self.documents = dict(documents or {})
        self.offline = offline
        self.allow_private = allow_private
        self.allow_http = allow_http
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.default_ttl = default_ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._client = httpx.Client(
            transport=_GuardedTransport(allow_private=allow_private, verify=verify),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": "mcbadge"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        allowed = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in allowed:
            raise FetchError(f"refusing {parts.scheme or 'relative'} URL {url!r}: https only", url)
        if not parts.hostname:
            raise FetchError(f"URL {url!r} has no host", url)
        if parts.username or parts.password:
            raise FetchError(f"URL {url!r} carries credentials", url)

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
        now = self._clock()
        with self._lock:
            hit = self._cache.get(url)
        if hit is not None and hit[0] > now:
            return hit[1]
        body, max_age = self._get(url, accept)
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise FetchError(f"{url} did not return valid JSON", url) from None
        lifetime = max_age if max_age is not None else ttl if ttl is not None else self.default_ttl
        if lifetime > 0:
            with self._lock:
                self._cache[url] = (now + lifetime, value)
        return value

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
        current = url
        for _ in range(self.max_redirects + 1):
            self._check_url(current)
            try:
                with self._client.stream("GET", current, headers={"Accept": accept}) as resp:
                    if resp.status_code in _REDIRECTS:
                        location = resp.headers.get("location")
                        if not location:
                            raise FetchError(f"{current} redirected without a Location", url)
                        current = urljoin(current, location)
                        continue
                    if resp.status_code != 200:
                        raise FetchError(f"{current} answered HTTP {resp.status_code}", url)
                    kind = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                    if not any_type and kind not in JSON_TYPES and not kind.endswith("+json"):
                        raise FetchError(f"{current} sent {kind or 'no content type'}, not JSON",
                                         url)
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.max_bytes:
                        raise FetchError(f"{current} is larger than {self.max_bytes} bytes", url)
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise FetchError(f"{current} is larger than {self.max_bytes} bytes",
                                             url)
                        chunks.append(chunk)
                    return b"".join(chunks), _max_age(resp.headers.get("cache-control", ""))
            except httpx.TimeoutException:
                raise FetchError(f"{current} timed out", url) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{current}: {exc}", url) from None
        raise FetchError(f"{url}: more than {self.max_redirects} redirects", url)


def _max_age(header: str) -> float | None:
    for part in header.lower().split(","):
        name, _, value = part.strip().partition("=")
        if name in ("no-store", "no-cache"):
            return 0.0
        if name == "max-age" and value.isdigit():
            return float(value)
    return None
