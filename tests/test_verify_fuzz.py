"""Hypothesis: no input of any source kind makes mcbadge.verify raise."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mcbadge
from mcbadge.verification import PROBLEMS, VerificationResult
from tests.conftest import VALIDATOR, load_json
from tests.issuers import NOW, Issuer, offline

ISSUER = Issuer()
SIGNED = ISSUER.sign(ISSUER.credential(credentialStatus=ISSUER.status_entry(9)))
FETCHER = offline(ISSUER.documents())
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=20,
)


def _check(result: VerificationResult) -> None:
    assert isinstance(result, VerificationResult)
    assert result.checks and result.checks[0].id == "parse"
    for check in result.checks:
        assert check.outcome in ("passed", "failed", "warning", "skipped")
        assert check.problem is None or check.problem in PROBLEMS, check.problem
    json.dumps(result.to_json())


def verify(source: Any) -> VerificationResult:
    result = mcbadge.verify(source, now=NOW, fetcher=FETCHER)
    _check(result)
    return result


@FUZZ
@given(json_values)
def test_any_json_value_as_dict_or_text(value: Any) -> None:
    verify(json.dumps(value))
    if isinstance(value, dict):
        verify(value)


@FUZZ
@given(st.binary(max_size=2048))
def test_any_bytes(data: bytes) -> None:
    assert not verify(data).verified


@FUZZ
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    assert not verify(text).verified


def _mutations() -> st.SearchStrategy[dict[str, Any]]:
    def mutate(doc: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
        out = json.loads(json.dumps(doc))
        node = out
        for key in path[:-1]:
            nxt = node.get(key) if isinstance(node, dict) else None
            if not isinstance(nxt, dict):
                break
            node = nxt
        if isinstance(node, dict):
            node[path[-1]] = value
        return out

    paths = st.sampled_from([
        ["@context"], ["type"], ["issuer"], ["issuer", "id"], ["validFrom"], ["validUntil"],
        ["proof"], ["proof", "verificationMethod"], ["proof", "cryptosuite"],
        ["proof", "proofValue"], ["credentialStatus"], ["credentialStatus", "statusListIndex"],
        ["credentialStatus", "statusListCredential"], ["credentialSubject"],
        ["credentialSubject", "achievement"], ["endorsement"], ["credentialSchema"],
        ["proof", "proofPurpose"], ["credentialSubject", "id"],
    ])
    return st.builds(lambda p, v: mutate(SIGNED, p, v), paths, json_values)


@FUZZ
@given(_mutations())
def test_mutated_signed_credentials(doc: dict[str, Any]) -> None:
    result = verify(doc)
    if doc != SIGNED:
        assert not result.verified or doc.get("proof") == SIGNED["proof"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@FUZZ
@given(json_values, json_values, st.binary(max_size=80))
def test_jwt_shaped_garbage(header: Any, payload: Any, signature: bytes) -> None:
    token = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()),
                      _b64(signature)])
    assert not verify(token).verified


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = b"\x89PNG\r\n\x1a\n"
    for kind, body in chunks:
        out += struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))
    return out


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 1), st.sampled_from(
    [b"openbadgecredential", b"openbadges", b""]))
def test_png_with_garbage_itxt(text: bytes, compressed: int, keyword: bytes) -> None:
    body = keyword + b"\x00" + bytes([compressed, 0]) + b"\x00\x00" + text
    data = _png([(b"IHDR", b"\x00" * 13), (b"iTXt", body), (b"IEND", b"")])
    verify(data)
    verify(data[: len(data) // 2])  # truncated


@FUZZ
@given(st.text(max_size=200), st.booleans())
def test_svg_with_garbage_credential(text: str, as_attribute: bool) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    inner = (f'<openbadges:credential verify="{escaped}"/>' if as_attribute
             else f"<openbadges:credential><![CDATA[{text.replace(']]>', '')}]]>"
                  "</openbadges:credential>")
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" '
           f'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">{inner}</svg>')
    verify(svg.encode("utf-8", "surrogatepass"))


def test_hostile_documents() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>' \
           '<svg xmlns="http://www.w3.org/2000/svg">&b;</svg>'
    assert verify(bomb.encode()).problems == ["PARSING_ERROR"]
    deep: Any = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    assert not verify(deep).verified
    assert not verify("[" * 100000).verified
    assert not verify(b"\x00" * 10).verified
    assert not verify(12345).verified  # type: ignore[arg-type]
    assert not verify(None).verified  # type: ignore[arg-type]
    real = load_json(VALIDATOR / "ob30/simple.json")
    real["proof"] = [real["proof"]] * 200 if isinstance(real["proof"], dict) else real["proof"]
    assert not verify(real).verified


@FUZZ
@given(st.binary(max_size=1024) | st.text(max_size=300).map(str.encode))
def test_any_file_and_any_url_body(data: bytes) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "badge"
        path.write_bytes(data)
        assert not verify(path).verified
        assert not verify(str(path)).verified
    url = "https://badges.example/shared/1"
    result = mcbadge.verify(url, now=NOW, fetcher=offline({url: data}))
    _check(result)
    assert not result.verified
