"""The image a badge is baked into: the achievement's own (a ``data:`` PNG or SVG of the kind
asked for), else a plain one drawn here (a disc; the SVG also carries the badge's name)."""

from __future__ import annotations

import base64
import binascii
import functools
import html
import struct
import zlib
from collections.abc import Mapping
from typing import Any

MAX_IMAGE_DATA = 1024 * 1024
_MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


def _own_image(badge: Mapping[str, Any], kind: str) -> bytes | None:
    subject = badge.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    image = achievement.get("image") if isinstance(achievement, Mapping) else None
    url = image.get("id") if isinstance(image, Mapping) else image
    prefix = f"data:{_MEDIA[kind]};base64,"
    if not isinstance(url, str) or not url.startswith(prefix) or \
            len(url) > MAX_IMAGE_DATA * 4 // 3 + len(prefix):
        return None
    try:
        return base64.b64decode(url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        return None


def badge_image(badge: Mapping[str, Any], kind: str) -> bytes:
    """PNG (``kind="png"``) or SVG (``"svg"``) bytes to bake ``badge`` into."""
    own = _own_image(badge, kind)
    if own is not None:
        return own
    if kind == "png":
        return default_png()
    name = badge.get("name")
    label = html.escape(name if isinstance(name, str) else "Badge")
    short = label if len(label) <= 28 else label[:27] + "…"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" '
        f'viewBox="0 0 256 256" role="img" aria-label="{label}">'
        '<circle cx="128" cy="128" r="124" fill="#1d4f73"/>'
        '<circle cx="128" cy="128" r="104" fill="none" stroke="#ffffff" stroke-width="4"/>'
        '<text x="128" y="134" font-family="sans-serif" font-size="16" fill="#ffffff" '
        f'text-anchor="middle">{short}</text></svg>').encode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


@functools.cache
def default_png(size: int = 256) -> bytes:
    """A ``size`` x ``size`` RGBA PNG of a disc with a ring."""
    centre, outer, ring_in, ring_out = size / 2, size / 2 - 2, size * 0.40, size * 0.42
    rows = bytearray()
    for y in range(size):
        rows.append(0)
        for x in range(size):
            r = ((x + 0.5 - centre) ** 2 + (y + 0.5 - centre) ** 2) ** 0.5
            if r > outer:
                rows += b"\x00\x00\x00\x00"
            elif ring_in <= r <= ring_out:
                rows += b"\xff\xff\xff\xff"
            else:
                rows += b"\x1d\x4f\x73\xff"
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b""))
