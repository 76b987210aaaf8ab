"""PostgreSQL URLs, without psycopg: recognising them, and keeping passwords out of
configuration files and messages."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def is_postgres_url(url: str | None) -> bool:
    return isinstance(url, str) and url.startswith(("postgresql://", "postgres://"))


def strip_password(url: str) -> str:
    """``url`` without the password in its authority (libpq finds it elsewhere)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (parts.username or "") + "@" + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def redact(url: str) -> str:
    """For messages: the URL with ``***`` for its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def same_database(a: str, b: str) -> bool:
    """Whether two URLs name the same server, user and database (passwords aside)."""
    def key(url: str) -> tuple[object, ...]:
        parts = urlsplit(url)
        return (parts.hostname, parts.port or 5432, parts.username, parts.path.strip("/"))

    return key(a) == key(b)
