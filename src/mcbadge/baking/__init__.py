"""Baked badges: an Open Badges 3.0 credential carried inside a PNG or SVG image.

```python
from mcbadge.baking import extract

text = extract(open("badge.png", "rb").read())   # the credential JSON, or a compact JWS
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
"""

from __future__ import annotations

import struct
import zlib

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from mcbadge.errors import BakingError

__all__ = ["MAX_IMAGE_BYTES", "OB3_SVG_NAMESPACE", "PNG_KEYWORD", "extract", "image_kind"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
MAX_IMAGE_BYTES = 32 * 1024 * 1024
"""Images larger than this are refused before any parsing."""


def image_kind(data: bytes) -> str | None:
    """``"png"`` or ``"svg"`` when ``data`` looks like one, else None."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--"):
        return "svg" if b"<svg" in data[:65536].lower() else None
    return None


def extract(data: bytes) -> str:
    """The credential baked into a PNG or SVG image: JSON text or a compact JWS.

    Raises :class:`~mcbadge.errors.BakingError` when the image is malformed or carries none.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError(f"image is larger than {MAX_IMAGE_BYTES} bytes")
    kind = image_kind(data)
    if kind == "png":
        return _extract_png(data)
    if kind == "svg":
        return _extract_svg(data)
    raise BakingError("not a PNG or SVG image")


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


def _extract_png(data: bytes) -> str:
    for kind, body in _iter_png_chunks(data):
        if kind != b"iTXt":
            continue
        keyword, sep, rest = body.partition(b"\x00")
        if not sep or keyword != PNG_KEYWORD:
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
            return text.decode("utf-8")
        except UnicodeDecodeError:
            raise BakingError("the baked credential is not UTF-8 text") from None
    raise BakingError("the PNG carries no openbadgecredential iTXt chunk")


def _extract_svg(data: bytes) -> str:
    try:
        root = SafeET.fromstring(data)  # entities and external references refused
    except DefusedXmlException as exc:
        raise BakingError(f"SVG refused: {type(exc).__name__}") from None
    except SafeET.ParseError as exc:
        raise BakingError(f"SVG is not well-formed XML: {exc}") from None
    except RecursionError:
        raise BakingError("SVG is nested too deeply") from None
    tag = f"{{{OB3_SVG_NAMESPACE}}}credential"
    element = root.find(tag)
    if element is None:
        element = next(root.iter(tag), None)
    if element is None:
        raise BakingError("the SVG carries no <openbadges:credential> element")
    jws = element.get("verify")
    if jws:
        return jws.strip()
    text = (element.text or "").strip()
    if not text:
        raise BakingError("the <openbadges:credential> element is empty")
    return text
