"""Baking and unbaking OB 3.0 PNG and SVG images (and reading OB 2.0 ones)."""

from __future__ import annotations

import contextlib
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mcbadge
from mcbadge.baking import _iter_png_chunks as chunks
from mcbadge.baking import bake, extract, unbake
from mcbadge.errors import BakingError
from mcbadge.proofs import sign_jwt
from tests.conftest import VALIDATOR
from tests.issuers import NOW, Issuer, offline
from tests.test_cli_keys import run


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def plain_png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x80\x00")
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"tEXt", b"Title\x00Badge")
            + _chunk(b"IDAT", idat) + _chunk(b"IEND", b""))


PLAIN_SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
             b'width="10" height="10"><circle cx="5" cy="5" r="4" fill="gold"/></svg>\n')
ISSUER = Issuer()
SIGNED = ISSUER.sign(ISSUER.credential())


def test_png_bake_keeps_the_image_and_replaces_on_rebake() -> None:
    image = plain_png()
    baked = bake(image, SIGNED)
    assert json.loads(extract(baked)) == SIGNED
    kinds = [k for k, _ in chunks(baked)]
    assert kinds == [b"IHDR", b"tEXt", b"IDAT", b"iTXt", b"IEND"]
    body = dict(chunks(baked))[b"iTXt"]
    assert body.startswith(b"openbadgecredential\x00\x00\x00\x00\x00")  # uncompressed, no lang
    assert [c for c in chunks(baked) if c[0] != b"iTXt"] == list(chunks(image))
    token = sign_jwt(ISSUER.credential(), ISSUER.key, kid=ISSUER.method)
    rebaked = bake(baked, token)
    assert extract(rebaked) == token
    assert [k for k, _ in chunks(rebaked)].count(b"iTXt") == 1
    assert unbake(rebaked).format == "jwt" and unbake(baked).format == "json"


def test_svg_bake_keeps_the_document_and_replaces_on_rebake() -> None:
    tricky = dict(SIGNED, description="ends with ]]> and <tags> & ampersands")
    baked = bake(PLAIN_SVG, tricky)
    assert json.loads(extract(baked)) == tricky
    text = baked.decode()
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in text
    assert text.index("<openbadges:credential>") < text.index("<circle")
    token = sign_jwt(ISSUER.credential(), ISSUER.key, kid=ISSUER.method)
    rebaked = bake(baked, token)
    assert extract(rebaked) == token
    assert rebaked.decode().count("openbadges:credential") == 1
    start = rebaked.index(b"<openbadges:credential")
    end = rebaked.index(b"/>", start) + 2
    restored = (rebaked[:start] + rebaked[end:]).replace(
        b' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"', b"")
    assert restored == PLAIN_SVG


@pytest.mark.parametrize("name", ["simple-json.png", "simple-jwt.png", "simple-json.svg",
                                  "simple-jwt.svg", "simple-jwt_v1.png", "simple-jwt_v1.svg"])
def test_validator_images_unbake_and_rebake(name: str) -> None:
    data = (VALIDATOR / "ob30" / name).read_bytes()
    found = unbake(data)
    assert found.version == "3.0" and found.image == name.rsplit(".", 1)[1]
    again = bake(data, found.text)
    assert extract(again) == found.text
    assert unbake(again).format == found.format


def test_ob2_images_are_read_and_named() -> None:
    url = "https://example.org/assertions/1"
    png = plain_png().replace(_chunk(b"IEND", b""), _chunk(b"tEXt", b"openbadges\x00" + url.encode())
                              + _chunk(b"IEND", b""))
    assert unbake(png).version == "2.0" and unbake(png).text == url
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
           b'<openbadges:assertion verify="' + url.encode() + b'"/></svg>')
    assert unbake(svg).version == "2.0" and unbake(svg).format == "url"
    with pytest.raises(BakingError, match=r"2\.0"):
        extract(png)
    result = mcbadge.verify(svg, now=NOW, fetcher=offline({}))
    assert result.problems == ["PARSING_ERROR"] and "2.0" in result.checks[0].message


def test_bad_inputs() -> None:
    with pytest.raises(BakingError):
        bake(b"GIF89a", SIGNED)
    with pytest.raises(BakingError):
        bake(plain_png(), "not a credential")
    with pytest.raises(BakingError):
        bake(plain_png()[:-12], SIGNED)  # no IEND
    with pytest.raises(BakingError):
        bake(b'<svg xmlns="http://www.w3.org/2000/svg"><!ENTITY x "y"></svg>', SIGNED)
    with pytest.raises(BakingError):
        unbake(plain_png())


def test_baked_badge_verifies(tmp_path: Path) -> None:
    for image in (plain_png(), PLAIN_SVG):
        result = mcbadge.verify(bake(image, SIGNED), now=NOW, fetcher=offline(ISSUER.documents()))
        assert result.verified and result.format in ("png+json", "svg+json")


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8),
                       st.text(max_size=30) | st.integers(), max_size=5))
def test_any_json_object_round_trips(extra: dict[str, Any]) -> None:
    doc = {**SIGNED, "x": extra}
    for image in (plain_png(), PLAIN_SVG):
        assert json.loads(extract(bake(image, doc))) == doc


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_unbake_garbage_raises_only_baking_error(data: bytes) -> None:
    for candidate in (data, b"\x89PNG\r\n\x1a\n" + data, b"<svg>" + data):
        with contextlib.suppress(BakingError):
            unbake(candidate)


def test_cli_bake_and_unbake(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(plain_png())
    cred = tmp_path / "cred.json"
    cred.write_text(json.dumps(SIGNED))
    out = tmp_path / "baked.png"
    code, _, err = run(["bake", str(image), str(cred), "-o", str(out)], capsys)
    assert code == 0, err
    code, text, _ = run(["unbake", str(out)], capsys)
    assert code == 0 and json.loads(text) == SIGNED
    code, _, err = run(["unbake", str(image)], capsys)
    assert code == 2 and err.startswith("mcbadge: error:") and "Traceback" not in err


def test_svg_baking_finds_the_real_root_after_comments_and_a_doctype() -> None:
    from mcbadge.baking import bake, extract

    svg = (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- an earlier <svg width="1"> draft -->\n'
           b'<?editor note="<svg x>"?>\n<!DOCTYPE svg>\n'
           b'<svg xmlns="http://www.w3.org/2000/svg" width="10"><g/></svg>')
    baked = bake(svg, '{"id": "urn:x"}')
    assert extract(baked) == '{"id": "urn:x"}'
    assert b"<!-- an earlier <svg width=\"1\"> draft -->" in baked  # the comment untouched
    prefixed = b'<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:g/></s:svg>'
    assert extract(bake(prefixed, '{"id": "urn:y"}')) == '{"id": "urn:y"}'
