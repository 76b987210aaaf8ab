"""Baked badges: an Open Badges 3.0 credential carried inside a PNG or SVG image.

```python
from mcbadge.baking import bake, extract, unbake

baked = bake(png_bytes, signed_credential)        # dict, JSON text or a compact JWS
text = extract(baked)                              # the credential JSON, or a compact JWS
found = unbake(open("old-badge.png", "rb").read()) # also reads OB 2.0 images, and says so
```

OB 3.0 §5.3 (baking):

- **PNG**: an ``iTXt`` chunk with keyword ``openbadgecredential``, uncompressed, whose text
  is the credential JSON or a compact JWS. Extraction takes the first such chunk.
- **SVG**: an ``<openbadges:credential>`` element (namespace
  ``https://purl.imsglobal.org/ob/v3p0``) right inside ``<svg>``: a JWS in its ``verify``
  attribute, or the credential JSON as its text (CDATA). SVG is parsed with ``defusedxml``:
  no entities, no DTD tricks, no network.

Readers are bounded: at most :data:`MAX_IMAGE_BYTES` of image, chunk lengths checked against
the data actually present, and CRCs verified.

Baking keeps the rest of the image byte for byte: a PNG gets one ``iTXt`` chunk just before
``IEND``; an SVG gets the namespace declaration (if missing) on its root and one element right
after the root's start tag. Baking an already baked image replaces its credential.

Open Badges 2.0 images (PNG keyword ``openbadges``, SVG ``<openbadges:assertion>`` in the
``http://openbadges.org`` namespace) are read by :func:`unbake` and reported as version 2.0.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from mcbadge.errors import BakingError

__all__ = [
    "MAX_IMAGE_BYTES",
    "OB3_SVG_NAMESPACE",
    "PNG_KEYWORD",
    "Baked",
    "bake",
    "extract",
    "image_kind",
    "unbake",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
OB2_PNG_KEYWORD = b"openbadges"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NAMESPACE = "http://openbadges.org"
MAX_IMAGE_BYTES = 32 * 1024 * 1024
"""Images larger than this are refused before any parsing."""


def image_kind(data: bytes) -> str | None:
    """``"png"`` or ``"svg"`` when ``data`` looks like one, else None."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        return "svg" if _SVG_START.search(data[:65536].lower()) else None
    return None


_SVG_START = re.compile(rb"<(?:[a-z_][\w.-]*:)?svg[\s>/]")


@dataclass(frozen=True, slots=True)
class Baked:
    """What an image carries."""

    text: str
    """The credential JSON or compact JWS (OB 2.0: the assertion JSON, URL or JWS)."""
    version: str
    """``"3.0"`` or ``"2.0"``."""
    image: str
    """``"png"`` or ``"svg"``."""

    @property
    def format(self) -> str:
        """``"json"``, ``"jwt"`` or (OB 2.0 hosted assertions) ``"url"``."""
        stripped = self.text.lstrip()
        if stripped.startswith("{"):
            return "json"
        return "url" if stripped.startswith(("http://", "https://")) else "jwt"


def _check_size(data: bytes) -> str:
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError(f"image is larger than {MAX_IMAGE_BYTES} bytes")
    kind = image_kind(data)
    if kind is None:
        raise BakingError("not a PNG or SVG image")
    return kind


def extract(data: bytes) -> str:
    """The OB 3.0 credential baked into a PNG or SVG image: JSON text or a compact JWS.

    Raises :class:`~mcbadge.errors.BakingError` when the image is malformed or carries none
    (an OB 2.0 image is named as such).
    """
    found = unbake(data)
    if found.version != "3.0":
        raise BakingError("this is an Open Badges 2.0 baked image, not an OB 3.0 credential")
    return found.text


def unbake(data: bytes) -> Baked:
    """Read the credential (OB 3.0) or assertion (OB 2.0) baked into a PNG or SVG."""
    kind = _check_size(data)
    if kind == "png":
        text, version = _extract_png(data)
    else:
        text, version = _extract_svg(data)
    return Baked(text, version, kind)


_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def _credential_text(credential: Mapping[str, Any] | str | bytes) -> str:
    if isinstance(credential, Mapping):
        return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))
    text = credential.decode("utf-8") if isinstance(credential, bytes) else credential
    text = text.strip()
    if not text.startswith("{") and not _JWS.fullmatch(text):
        raise BakingError("a baked credential is JSON or a compact JWS")
    return text


def bake(image: bytes, credential: Mapping[str, Any] | str | bytes) -> bytes:
    """Return ``image`` (PNG or SVG) with ``credential`` baked in, replacing any credential
    it already carries. The rest of the image is kept byte for byte."""
    kind = _check_size(image)
    text = _credential_text(credential)
    return _bake_png(image, text) if kind == "png" else _bake_svg(image, text)


def _itxt(keyword: bytes, text: str) -> bytes:
    body = keyword + b"\x00\x00\x00" + b"\x00" + b"\x00" + text.encode("utf-8")
    return (struct.pack(">I", len(body)) + b"iTXt" + body
            + struct.pack(">I", zlib.crc32(b"iTXt" + body)))


def _bake_png(data: bytes, text: str) -> bytes:
    out = [PNG_SIGNATURE]
    pos = len(PNG_SIGNATURE)
    saw_end = False
    for kind, body in _iter_png_chunks(data):
        size = 12 + len(body)
        raw = data[pos : pos + size]
        pos += size
        if kind == b"iTXt" and body.partition(b"\x00")[0] == PNG_KEYWORD:
            continue  # re-baking replaces
        if kind == b"IEND":
            out.append(_itxt(PNG_KEYWORD, text))
            saw_end = True
        out.append(raw)
    if not saw_end:
        raise BakingError("the PNG has no IEND chunk")
    out.append(data[pos:])
    return b"".join(out)


_ROOT_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?svg(?=[\s>/])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
                       re.S)
_PROLOG = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^>\[]|\[.*?\])*>", re.S)


def _root_start(data: bytes) -> int:
    """Where the root element's start tag begins: after the prolog (BOM, XML declaration,
    comments, processing instructions, a doctype), which a well-formed document (checked
    first by the parser) holds and nothing else. A regex search would find ``<svg`` inside
    a leading comment."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        skipped = _PROLOG.match(data, pos)
        if skipped is None or skipped.end() == pos:
            return pos
        pos = skipped.end()


def _bake_svg(data: bytes, text: str) -> bytes:
    _extract_svg(data, require=False)  # well-formed, and safe to parse
    ns = OB3_SVG_NAMESPACE.encode()
    match = _ROOT_TAG.match(data, _root_start(data))
    if match is None:
        raise BakingError("the SVG's root element is not <svg>")
    start_tag = match.group(0)
    declared = re.search(rb"xmlns:([A-Za-z_][\w.-]*)\s*=\s*[\"']" + re.escape(ns) + rb"[\"']",
                         start_tag)
    prefix = declared.group(1) if declared else b"openbadges"
    if declared is None:
        if re.search(rb"xmlns:openbadges\s*=", start_tag):
            raise BakingError("the SVG binds the openbadges prefix to another namespace")
        closing = b"/>" if start_tag.endswith(b"/>") else b">"
        start_tag = start_tag[: -len(closing)] + b' xmlns:openbadges="' + ns + b'"' + closing
    if start_tag.endswith(b"/>"):
        raise BakingError("the SVG root element is empty")
    body = data[match.end():]
    name = re.escape(prefix) + rb":credential"
    element = re.compile(rb"<" + name + rb"\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
                         rb"(?:/>|>.*?</" + name + rb"\s*>)\s*", re.S)
    body = element.sub(b"", body)
    if text.startswith("{"):
        safe = text.replace("]]>", "]]]]><![CDATA[>")
        baked = (b"<" + prefix + b":credential><![CDATA[" + safe.encode("utf-8") + b"]]></"
                 + prefix + b":credential>")
    else:
        baked = b"<" + prefix + b':credential verify="' + text.encode("ascii") + b'"/>'
    result = data[: match.start()] + start_tag + baked + body
    try:  # confirm: what was baked is what an unbake finds
        found, _version = _extract_svg(result)
    except BakingError as exc:
        raise BakingError(f"baking did not produce a readable SVG: {exc.message}") from None
    if found != text.strip():
        raise BakingError("baking did not place the credential where a reader finds it")
    return result


def _iter_png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        if pos + 12 > len(data):
            raise BakingError("PNG is truncated inside a chunk header")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if length > 0x7FFFFFFF or end + 4 > len(data):
            raise BakingError(f"PNG chunk {kind!r} runs past the end of the file")
        body = data[pos + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(kind + body) != crc:
            raise BakingError(f"PNG chunk {kind!r} has a bad CRC")
        chunks.append((kind, body))
        pos = end + 4
        if kind == b"IEND":
            break
    return chunks


def _extract_png(data: bytes) -> tuple[str, str]:
    legacy: str | None = None
    for kind, body in _iter_png_chunks(data):
        if kind not in (b"iTXt", b"tEXt"):
            continue
        keyword, sep, rest = body.partition(b"\x00")
        if sep and keyword == OB2_PNG_KEYWORD and legacy is None:
            legacy = _ob2_png_text(kind, rest)
            continue
        if kind != b"iTXt" or not sep or keyword != PNG_KEYWORD:
            continue
        if len(rest) < 2:
            raise BakingError("the openbadgecredential iTXt chunk is truncated")
        compressed = rest[0]
        _language, sep1, rest = rest[2:].partition(b"\x00")
        _translated, sep2, text = rest.partition(b"\x00")
        if not (sep1 and sep2):
            raise BakingError("the openbadgecredential iTXt chunk is malformed")
        if compressed:
            raise BakingError("the openbadgecredential iTXt chunk is compressed; OB 3.0 forbids it")
        try:
            return text.decode("utf-8"), "3.0"
        except UnicodeDecodeError:
            raise BakingError("the baked credential is not UTF-8 text") from None
    if legacy is not None:
        return legacy, "2.0"
    raise BakingError("the PNG carries no openbadgecredential iTXt chunk")


def _ob2_png_text(kind: bytes, rest: bytes) -> str:
    if kind == b"tEXt":
        return rest.decode("latin-1")
    if len(rest) < 2:
        raise BakingError("the openbadges iTXt chunk is truncated")
    _language, _, rest2 = rest[2:].partition(b"\x00")
    _translated, _, text = rest2.partition(b"\x00")
    if rest[0]:
        try:
            text = zlib.decompressobj().decompress(text, MAX_IMAGE_BYTES)
        except zlib.error:
            raise BakingError("the openbadges iTXt chunk is not valid zlib data") from None
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise BakingError("the baked assertion is not UTF-8 text") from None


_OB3_TAG = f"{{{OB3_SVG_NAMESPACE}}}credential"
_OB2_TAG = f"{{{OB2_SVG_NAMESPACE}}}assertion"


class _CredentialTarget:
    """An XML parser target that keeps only the baked credential elements' text: no tree
    is built, so memory stays near the document's depth whatever its size."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self._inside: str | None = None
        self._text: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in (_OB3_TAG, _OB2_TAG) and tag not in self.found and self._inside is None:
            self._inside = tag
            self._text = []
            verify = attrs.get("verify")
            if verify:
                self.found[tag] = verify.strip()

    def end(self, tag: str) -> None:
        if tag == self._inside:
            self.found.setdefault(tag, "".join(self._text).strip())
            self._inside = None

    def data(self, text: str) -> None:
        if self._inside is not None and len(self._text) < 1_000_000:
            self._text.append(text)

    def close(self) -> None:
        return None


def _extract_svg(data: bytes, *, require: bool = True) -> tuple[str, str]:
    """The credential baked into an SVG (and its OB version), with defusedxml's parser
    (entities and external references refused) driving a target that builds no tree."""
    target = _CredentialTarget()
    try:
        parser = SafeET.XMLParser(target=target)
        parser.feed(data)
        parser.close()
    except DefusedXmlException as exc:
        raise BakingError(f"SVG refused: {type(exc).__name__}") from None
    except SafeET.ParseError as exc:
        raise BakingError(f"SVG is not well-formed XML: {exc}") from None
    except RecursionError:
        raise BakingError("SVG is nested too deeply") from None
    except (LookupError, ValueError) as exc:  # an encoding Python has no codec for, or
        # one that cannot express the document (utf-7, multi-byte declarations on bytes)
        raise BakingError(f"SVG declares an encoding that cannot be read: "
                          f"{type(exc).__name__}") from None
    if not require:
        return "", ""
    found = target.found
    version, tag = ("3.0", _OB3_TAG) if _OB3_TAG in found else ("2.0", _OB2_TAG)
    if tag not in found:
        raise BakingError("the SVG carries no <openbadges:credential> element")
    text = found[tag]
    if not text:
        raise BakingError("the <openbadges:credential> element is empty")
    return text, version
