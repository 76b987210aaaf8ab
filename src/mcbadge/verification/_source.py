"""Reading whatever a verifier is handed: a dict, JSON text or bytes, a compact JWT, a baked
PNG or SVG, a path, or an https URL."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcbadge._private.jsonutil import check_depth, loads_strict
from mcbadge.baking import MAX_IMAGE_BYTES, extract, image_kind
from mcbadge.errors import MCBadgeError, ModelValidationError
from mcbadge.proofs import JwtParts, decode_jwt
from mcbadge.resolve import Fetcher

_JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_ACCEPT = ("application/vc+ld+json, application/ld+json, application/json, "
           "application/vc+jwt, text/plain, image/png, image/svg+xml")

Source = Mapping[str, Any] | str | bytes | bytearray | memoryview | os.PathLike[str]


class SourceError(MCBadgeError):
    code = "PARSING_ERROR"


@dataclass(frozen=True, slots=True)
class Read:
    """What was read: the credential document, and the JWT when it came as one."""

    document: dict[str, Any]
    format: str
    """``json``, ``jwt``, ``png+json``, ``png+jwt``, ``svg+json`` or ``svg+jwt``."""
    jwt: str | None = None
    jwt_parts: JwtParts | None = None


def _from_text(text: str, container: str = "") -> Read:
    prefix = f"{container}+" if container else ""
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith("{"):
        try:
            doc = loads_strict(stripped)
        except ModelValidationError as exc:
            raise SourceError(f"not valid JSON: {exc.message}") from None
        if not isinstance(doc, dict):
            raise SourceError("a credential must be a JSON object")
        return Read(doc, prefix + "json")
    if _JWT_RE.fullmatch(stripped):
        parts = decode_jwt(stripped)
        check_depth(parts.credential)
        return Read(parts.credential, prefix + "jwt", stripped, parts)
    where = f" baked into the {container.upper()}" if container else ""
    raise SourceError(f"the text{where} is neither a JSON credential nor a compact JWS")


def _from_bytes(data: bytes) -> Read:
    if len(data) > MAX_IMAGE_BYTES:
        raise SourceError(f"input is larger than {MAX_IMAGE_BYTES} bytes")
    kind = image_kind(data)
    if kind is not None:
        return _from_text(extract(data), kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("input is not UTF-8 text, a PNG or an SVG") from None
    return _from_text(text)


def read_source(source: object, fetcher: Fetcher) -> Read:
    """Read ``source`` (see :func:`mcbadge.verify`); raises MCBadgeError (PARSING_ERROR...)."""
    if isinstance(source, Mapping):
        doc = dict(source)
        check_depth(doc)
        return Read(doc, "json")
    if isinstance(source, bytes | bytearray | memoryview):
        return _from_bytes(bytes(source))
    if isinstance(source, os.PathLike):
        return _from_path(Path(os.fspath(source)))
    if isinstance(source, str):
        stripped = source.strip()
        if stripped.startswith("{") or _JWT_RE.fullmatch(stripped):
            return _from_text(stripped)
        if stripped.startswith("<"):
            return _from_bytes(stripped.encode("utf-8"))
        if stripped.startswith(("https://", "http://")):
            return _from_bytes(fetcher.get_bytes(stripped, accept=_ACCEPT))
        if len(stripped) < 4096 and "\x00" not in stripped:
            path = Path(stripped)
            if path.is_file():
                return _from_path(path)
        raise SourceError("input is not JSON, a compact JWT, an https URL or an existing file")
    raise SourceError(f"cannot verify a {type(source).__name__}")


def _from_path(path: Path) -> Read:
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise SourceError(f"{path} is larger than {MAX_IMAGE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _from_bytes(data)
