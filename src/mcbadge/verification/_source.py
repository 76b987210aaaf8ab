"""Reading whatever a verifier is handed: a dict, JSON text or bytes, a compact JWT, a baked
PNG or SVG, or a path. Strings are never taken for file names or URLs: a file comes as a
:class:`pathlib.Path`, a URL through :func:`mcbadge.verification.verify_url`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcbadge._private.jsonutil import (
    MAX_DEPTH,
    MAX_JSON_BYTES,
    check_depth,
    has_surrogate,
    loads_strict,
)
from mcbadge.baking import MAX_IMAGE_BYTES, extract, image_kind
from mcbadge.errors import MCBadgeError, ModelValidationError
from mcbadge.jsonld._templates import Shape, facts, read_shapes
from mcbadge.proofs import JwtParts, decode_jwt
from mcbadge.proofs.jwt import REGISTERED_CLAIMS

_JWS_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def _compact_jws(text: str) -> bool:
    """Whether ``text`` has a compact JWS's form: three base64url parts, the first two
    not empty (``[A-Za-z0-9_-]+.[A-Za-z0-9_-]+.[A-Za-z0-9_-]*``, answered by byte
    operations, not a pattern: a token is a few KB)."""
    if not text.isascii() or text.count(".") != 2:
        return False
    first = text.find(".")
    return first > 0 and text.find(".", first + 1) > first + 1 and \
        not text.encode("ascii").translate(None, _JWS_CHARS)


ACCEPT = ("application/vc+ld+json, application/ld+json, application/json, "
          "application/vc+jwt, text/plain, image/png, image/svg+xml")

Source = Mapping[str, Any] | str | bytes | bytearray | memoryview | os.PathLike[str]

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
"""The largest credential (JSON or JWT text) :func:`mcbadge.verify` reads by default."""
DEFAULT_MAX_DEPTH = 64
"""The deepest nesting of JSON objects and arrays it reads by default."""
DEFAULT_MAX_CONTAINERS = 20_000
"""The most JSON objects and arrays it reads by default (a real badge has a few hundred;
each costs a few hundred bytes of memory once parsed)."""


class SourceError(MCBadgeError):
    code = "PARSING_ERROR"


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps on what is read before anything else runs."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_containers: int = DEFAULT_MAX_CONTAINERS


@dataclass(frozen=True, slots=True)
class Read:
    """What was read: the credential document, and the JWT when it came as one."""

    document: dict[str, Any]
    format: str
    """``json``, ``jwt``, ``png+json``, ``png+jwt``, ``svg+json`` or ``svg+jwt``."""
    jwt: str | None = None
    jwt_parts: JwtParts | None = None
    shapes: tuple[Shape, Shape | None] | None = None
    """The document's shape and that of it without its proof, taken as it was read
    (``_templates.read_shapes``), or None."""


def _too_large(size: int, limits: Limits, what: str = "the credential") -> SourceError:
    return SourceError(f"{what} is {size} bytes; at most {limits.max_bytes} are read "
                       "(see verify(max_bytes=...))")


def _from_text(text: str, limits: Limits, container: str = "") -> Read:
    prefix = f"{container}+" if container else ""
    if len(text) > limits.max_bytes:
        raise _too_large(len(text), limits)
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith("{"):
        shapes: list[tuple[Shape, Shape | None] | None] = []

        def walk(value: Any, text_checked: bool) -> None:
            if type(value) is dict:
                shapes.append(_shaped(value, limits, None, text_checked=text_checked))
            else:
                check_depth(value, limits.max_depth, text_checked=text_checked)

        try:
            doc = loads_strict(stripped, max_depth=limits.max_depth,
                               max_containers=limits.max_containers, walk=walk)
        except ModelValidationError as exc:
            raise SourceError(exc.message) from None
        if not isinstance(doc, dict):
            raise SourceError("a credential must be a JSON object")
        return Read(doc, prefix + "json", shapes=shapes[0] if shapes else None)
    if _compact_jws(stripped):
        found: list[tuple[Shape, Shape | None] | None] = []

        def payload_walk(payload: Any, text_checked: bool) -> tuple[int, int] | None:
            # the payload's caps from its shape, and the credential's shape (the payload
            # without the JWT claims, when they come last) taken on the way
            taken = read_shapes(payload, MAX_DEPTH, MAX_JSON_BYTES, REGISTERED_CLAIMS) \
                if type(payload) is dict else None
            if taken is None or not _caps_hold(taken[0], MAX_DEPTH, None, None,
                                               text_checked):
                return None  # (decode_jwt measures it)
            bare = taken[1]
            found.append((bare, bare) if bare is not None and "proof" not in payload
                         else None)
            known = facts(taken[0].key)
            return known.deepest, known.containers

        parts = decode_jwt(stripped, payload_walk=payload_walk)
        # its text was checked as it was parsed (no lone surrogates, NaN or Infinity), and
        # the payload measured: the credential in it is no deeper and holds no more
        # containers. Only when the payload exceeds the run's limits is the credential
        # itself walked (its shape alone), for the verdict and the message.
        deepest, containers = parts.payload_size or (limits.max_depth + 1, 0)
        if deepest > limits.max_depth or containers > limits.max_containers:
            _depth(parts.credential, limits, text_checked=True)
        return Read(parts.credential, prefix + "jwt", stripped, parts,
                    shapes=found[0] if found and parts.where == "payload" else None)
    where = f" baked into the {container.upper()}" if container else ""
    raise SourceError(f"the text{where} is neither a JSON credential nor a compact JWS")


def _shaped(doc: dict[str, Any], limits: Limits, max_size: int | None, *,
            text_checked: bool = False) -> tuple[Shape, Shape | None] | None:
    """``_depth``'s checks of a JSON object, answered from its shape where the shape can
    (the shape is taken anyway, and a program's badges share it): the document is walked
    once, not twice. Anything the shape cannot answer, and every refusal, goes to
    ``check_depth`` itself, so the verdicts and messages are its own."""
    shapes = read_shapes(doc, limits.max_depth, limits.max_containers)
    if shapes is not None and _caps_hold(shapes[0], limits.max_depth, limits.max_containers,
                                         max_size, text_checked):
        return shapes
    _depth(doc, limits, max_size, text_checked=text_checked)
    return None


def _caps_hold(shape: Shape, max_depth: int, max_containers: int | None,
               max_size: int | None, text_checked: bool) -> bool:
    """Whether ``check_depth`` would pass the document ``shape`` was taken of with these
    caps, told from the shape's facts and its leaves (False: let ``check_depth`` say)."""
    known = facts(shape.key)
    if known.deepest > max_depth or (max_containers is not None
                                     and known.containers > max_containers):
        return False
    if text_checked:
        return True
    leaves = "".join(shape.leaves)
    return known.clean and not has_surrogate(leaves) and (
        max_size is None or known.size + len(leaves) <= max_size)


def _depth(doc: Any, limits: Limits, max_size: int | None = None, *,
           text_checked: bool = False) -> None:
    try:
        check_depth(doc, limits.max_depth, max_size, max_containers=limits.max_containers,
                    text_checked=text_checked)
    except ModelValidationError as exc:
        raise SourceError(exc.message) from None


def _from_bytes(data: bytes, limits: Limits) -> Read:
    kind = image_kind(data)
    if kind is not None:
        if len(data) > MAX_IMAGE_BYTES:
            raise SourceError(f"the image is larger than {MAX_IMAGE_BYTES} bytes")
        if kind == "svg" and len(data) > limits.max_bytes:  # XML text: parsed, not skimmed
            raise _too_large(len(data), limits, "the SVG")
        return _from_text(extract(data), limits, kind)
    if len(data) > limits.max_bytes:
        raise _too_large(len(data), limits)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError("input is not UTF-8 text, a PNG or an SVG") from None
    return _from_text(text, limits)


def read_source(source: object, limits: Limits | None = None) -> Read:
    """Read ``source`` (see :func:`mcbadge.verify`); raises MCBadgeError (PARSING_ERROR...)."""
    limits = limits or Limits()
    if isinstance(source, Mapping):
        doc = dict(source)
        return Read(doc, "json", shapes=_shaped(doc, limits, limits.max_bytes))
    if isinstance(source, bytes | bytearray | memoryview):
        return _from_bytes(bytes(source), limits)
    if isinstance(source, os.PathLike):
        return _from_path(Path(os.fspath(source)), limits)
    if isinstance(source, str):
        stripped = source.strip()
        if stripped.startswith("<"):
            return _from_bytes(stripped.encode("utf-8"), limits)
        if stripped.lstrip("\ufeff").startswith("{") or _compact_jws(stripped):
            return _from_text(stripped, limits)
        hint = ""
        if stripped.startswith(("https://", "http://")):
            hint = "; to fetch a URL use mcbadge.verify_url(url)"
        elif len(stripped) < 4096:
            hint = "; to read a file pass a pathlib.Path"
        raise SourceError(f"a string must be JSON text or a compact JWT{hint}")
    raise SourceError(f"cannot verify a {type(source).__name__}")


def _from_path(path: Path, limits: Limits) -> Read:
    try:
        size = path.stat().st_size
        if size > max(MAX_IMAGE_BYTES, limits.max_bytes):
            raise SourceError(f"{path} is larger than {MAX_IMAGE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _from_bytes(data, limits)
