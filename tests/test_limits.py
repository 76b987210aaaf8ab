"""What is read before anything else runs: size, nesting, containers, density; and the
pre-signature phase stays cheap (the figures are in benchmarks/presig.py, not timed here)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mcbadge
from mcbadge.resolve import Fetcher
from tests.issuers import NOW, Issuer, offline

ISSUER = Issuer()


def _parse(source: Any, **kw: Any) -> tuple[str, str]:
    result = mcbadge.verify(source, now=NOW, fetcher=Fetcher(offline=True), **kw)
    return result.checks[0].outcome, result.checks[0].message


def test_the_size_cap_applies_to_text_bytes_dicts_and_svg() -> None:
    doc = ISSUER.credential(description="x" * 3000)
    assert _parse(doc, max_bytes=1000)[0] == "failed"
    assert _parse(json.dumps(doc), max_bytes=1000)[0] == "failed"
    assert _parse(json.dumps(doc).encode(), max_bytes=1000)[0] == "failed"
    assert _parse(doc)[0] == "passed"
    svg = (b"<svg xmlns='http://www.w3.org/2000/svg'>" + b"<g/>" * 1000 + b"</svg>")
    outcome, message = _parse(svg, max_bytes=2000)
    assert outcome == "failed" and "SVG" in message


def test_nesting_containers_and_density_are_capped() -> None:
    deep: Any = "x"
    for _ in range(70):
        deep = {"a": deep}
    assert "nested" in _parse(ISSUER.credential(evidence=[deep]))[1]
    assert _parse(ISSUER.credential(evidence=[deep]), max_depth=100)[0] == "passed"
    many = ISSUER.credential(evidence=[{"name": "n"} for _ in range(300)])
    assert "objects and arrays" in _parse(json.dumps(many), max_containers=100)[1]
    assert "objects and arrays" in _parse(many, max_containers=100)[1]
    dense = json.dumps(ISSUER.credential(evidence=[[1, 2, 3, 4, 5, 6, 7, 8]] * 4000))
    assert "one value per" in _parse(dense)[1]


def test_a_normal_large_badge_is_read() -> None:
    # large because of long strings (an embedded image), as real large badges are
    doc = ISSUER.credential(image={"id": "data:image/png;base64," + "A" * 1_500_000,
                                   "type": "Image"})
    assert _parse(doc)[0] == "passed"
    signed = ISSUER.sign(ISSUER.credential(evidence=[
        {"id": f"https://evidence.example/{i}", "type": ["Evidence"],
         "name": f"Artifact {i}", "narrative": "A lesson video with a written reflection."}
        for i in range(800)]))
    assert mcbadge.verify(signed, now=NOW, fetcher=offline(ISSUER.documents())).verified


def test_the_presignature_benchmark_runs() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    try:
        import presig
    finally:
        sys.path.pop(0)
    lines: list[str] = []
    small = dict(list(presig.hostile().items())[:3])
    for data in small.values():
        cpu, peak, outcome = presig.presignature(data)
        lines.append(outcome)
        assert cpu >= 0 and peak > 0
    assert lines and all(line.split()[0] in ("parse", "context") for line in lines)


@pytest.mark.parametrize("count", [16, 17])
def test_at_most_sixteen_contexts(count: int) -> None:
    doc = ISSUER.credential()
    doc["@context"] = [*doc["@context"], *[{f"t{i}": f"https://t.example/{i}"}
                                           for i in range(count - 2)]]
    result = mcbadge.verify(doc, now=NOW, fetcher=Fetcher(offline=True))
    context = result.check("context")
    assert context is not None
    assert (context.outcome == "passed") is (count <= 16), context.message


@pytest.mark.parametrize(("bad", "message"), [
    ({"name": "a\ud800b"}, "lone surrogate"),
    ({"list": ["ok", ["deep", "\udfff"]]}, "lone surrogate"),
    ({"nested": {"k\udc00": 1}}, "member name holds a lone surrogate"),
    ({"nested": {1: "x"}}, "is not a string"),
    ({"n": [1.0, float("nan")]}, "NaN and Infinity"),
    ({"n": {"x": float("-inf")}}, "NaN and Infinity"),
    ({"x": {"y": b"bytes"}}, "not JSON data"),
    ({"x": [object()]}, "not JSON data"),
])
def test_a_python_document_is_checked_as_json_everywhere(bad: dict[str, Any],
                                                          message: str) -> None:
    from mcbadge._private.jsonutil import check_depth
    from mcbadge.errors import ModelValidationError

    with pytest.raises(ModelValidationError, match=message):
        check_depth(bad)
    result = mcbadge.verify({"@context": ["https://www.w3.org/ns/credentials/v2"], **bad},
                            fetcher=offline())
    assert not result.verified and result.checks[0].id == "parse"
    # the same values, well formed, pass the walk (surrogate pairs included)
    check_depth({"name": "a\U0001f600b", "k": [1, 2.5, True, None, {"x": ""}]})


def _jwt(credential: dict[str, Any], *, vc_claim: bool) -> str:
    """A compact JWS of ``credential`` (its payload, or a VC 1.1 ``vc`` claim), signed with
    a key the verifier is not told about: only the parse check's verdict matters here."""
    import base64

    def b64(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    payload = {"vc": credential, "iss": ISSUER.id} if vc_claim else credential
    return f"{b64({'alg': 'EdDSA', 'kid': ISSUER.method})}.{b64(payload)}.AAAA"


@pytest.mark.parametrize("vc_claim", [False, True])
def test_a_jwt_credential_meets_the_run_limits_as_json_does(vc_claim: bool) -> None:
    # the payload is measured as it is parsed; the credential in it is walked only when
    # the payload exceeds a limit, so each limit holds exactly, in both JWT forms
    def nested(levels: int) -> dict[str, Any]:
        deep: Any = "x"
        for _ in range(levels):
            deep = {"a": deep}
        return ISSUER.credential(evidence=[deep])

    base_depth = 3  # credential -> evidence array -> first wrapper object
    at_limit, over = nested(64 - base_depth + 1), nested(64 - base_depth + 2)
    for doc, outcome in ((at_limit, "passed"), (over, "failed")):
        assert _parse(json.dumps(doc))[0] == outcome  # the JSON path: the reference
        found = _parse(_jwt(doc, vc_claim=vc_claim))
        assert found[0] == outcome, found
    assert "nested more than 64" in _parse(_jwt(over, vc_claim=vc_claim))[1]
    many = ISSUER.credential(evidence=[{"name": "n"} for _ in range(98)])

    def count(node: Any) -> int:
        children = node.values() if isinstance(node, dict) else node
        return 1 + sum(count(c) for c in children if isinstance(c, dict | list))

    containers = count(many)
    for limit, outcome in ((containers, "passed"), (containers - 1, "failed")):
        found = _parse(_jwt(many, vc_claim=vc_claim), max_containers=limit)
        assert found[0] == outcome, (limit, found)


_JSON = st.recursive(st.one_of(st.text(max_size=3), st.integers(), st.none()),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.text(max_size=2), inner,
                                                             max_size=3)), max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(value=_JSON)
def test_check_depth_measures_what_it_walks(value: Any) -> None:
    from mcbadge._private.jsonutil import check_depth

    def depth(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 0
        children = node.values() if isinstance(node, dict) else node
        return 1 + max((depth(c) for c in children), default=0)

    def count(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 0
        children = node.values() if isinstance(node, dict) else node
        return 1 + sum(count(c) for c in children)

    measured: list[int] = []
    check_depth(value, measured=measured)
    assert measured == [depth(value), count(value)]


# The reader answers the caps from the document's shape (one walk, not two): it must
# refuse exactly what check_depth refuses, with its message, and pass exactly what it passes.
_HOSTILE_TEXT = st.one_of(st.text(max_size=3),
                          st.sampled_from(["\ud800", "a\udfff", "type", "proof", "_:b0"]))
_HOSTILE_SCALAR = st.one_of(_HOSTILE_TEXT, st.integers(), st.none(), st.booleans(),
                            st.floats(allow_nan=True, allow_infinity=True),
                            st.sampled_from([(1, 2), b"x", 1j]))
_HOSTILE = st.recursive(
    _HOSTILE_SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(_HOSTILE_TEXT,
                                                      st.sampled_from(["type", "@type",
                                                                       "@context", "proof",
                                                                       "endorsement", 7])),
                                            inner, max_size=3)),
    max_leaves=25)


def _caps(doc: Any, limits: Any, max_size: int | None, text_checked: bool) -> str:
    from mcbadge._private.jsonutil import check_depth
    from mcbadge.errors import ModelValidationError

    try:
        check_depth(doc, limits.max_depth, max_size, max_containers=limits.max_containers,
                    text_checked=text_checked)
    except ModelValidationError as exc:
        return exc.message
    return "passed"


@settings(max_examples=600, deadline=None)
@given(doc=st.dictionaries(st.sampled_from(["@context", "type", "proof", "name", "a", "b"]),
                           _HOSTILE, max_size=5),
       depth=st.integers(1, 6), containers=st.integers(1, 12), size=st.integers(0, 400),
       text_checked=st.booleans())
def test_the_shaped_read_refuses_what_check_depth_refuses(
        doc: dict[str, Any], depth: int, containers: int, size: int,
        text_checked: bool) -> None:
    from mcbadge.errors import MCBadgeError
    from mcbadge.jsonld._templates import shape_of
    from mcbadge.verification._source import Limits, _shaped

    limits = Limits(max_bytes=size, max_depth=depth, max_containers=containers)
    max_size = None if text_checked else size
    expected = _caps(doc, limits, max_size, text_checked)
    try:
        shapes = _shaped(doc, limits, max_size, text_checked=text_checked)
        found = "passed"
    except MCBadgeError as exc:
        found, shapes = exc.message, None
    assert found == expected
    if shapes is not None:
        full, bare = shapes
        whole = shape_of(doc)
        assert whole is not None
        assert (full.key, full.leaves, full.endorsed) == (whole.key, whole.leaves,
                                                          whole.endorsed)
        unsecured = shape_of({k: v for k, v in doc.items() if k != "proof"})
        if bare is not None:
            assert unsecured is not None
            assert (bare.key, bare.leaves, bare.endorsed) == (
                unsecured.key, unsecured.leaves, unsecured.endorsed)
        else:
            assert "proof" in doc and next(reversed(doc)) != "proof"


def test_a_shaped_read_gives_the_checks_the_shapes_they_would_take() -> None:
    from mcbadge.jsonld._canon import remembering_expansions, shape_in_run
    from mcbadge.verification._source import read_source
    from mcbadge.verification._state import Run, State, full_shape

    signed = ISSUER.sign(ISSUER.credential())
    for source in (signed, json.dumps(signed)):
        read = read_source(source)
        assert read.shapes is not None and read.shapes[1] is not None
        state = State(source, Run.__new__(Run), read=read)
        with remembering_expansions():
            shape = full_shape(state)
            assert shape is read.shapes[0]
            # the shape without the proof is remembered for the run: not walked again
            assert shape_in_run(state.unsecured) is read.shapes[1]
    # a proof not last: no shape for the whole (as before), the caps still checked
    moved = {"proof": signed["proof"], **{k: v for k, v in signed.items() if k != "proof"}}
    read = read_source(moved)
    assert read.shapes is not None and read.shapes[1] is None


def test_the_shaped_read_finds_surrogates_in_leaves_and_fixed_strings_and_the_size_edge(
        ) -> None:
    from mcbadge.verification._source import Limits, SourceError, _shaped

    doc = ISSUER.credential()
    for bad in ({**doc, "name": "a\ud800"}, {**doc, "type": [*doc["type"], "\udfff"]},
                {**doc, "\ud800": "x"}):
        # the clean badge read first: its shape's facts are remembered, leaves still read
        assert _shaped(doc, Limits(), None) is not None
        with pytest.raises(SourceError, match="surrogate"):
            _shaped(bad, Limits(), Limits().max_bytes)
    from mcbadge._private.jsonutil import check_depth
    from mcbadge.errors import ModelValidationError

    edge = next(n for n in range(100, 5000)
                if not _raises(check_depth, doc, max_size=n, exc=ModelValidationError))
    assert _shaped(doc, Limits(max_bytes=edge), edge) is not None
    with pytest.raises(SourceError, match="larger than"):
        _shaped(doc, Limits(max_bytes=edge - 1), edge - 1)


def _raises(f: Any, *args: Any, exc: type[Exception], **kw: Any) -> bool:
    try:
        f(*args, **kw)
    except exc:
        return True
    return False


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=st.sampled_from("Aaz09-_.+/= \n{\u00e9"), max_size=10))
def test_a_compact_jws_is_told_by_its_form(text: str) -> None:
    import re

    from mcbadge.verification._source import _compact_jws

    expected = re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", text)
    assert _compact_jws(text) == bool(expected)


def _token(payload_text: str) -> str:
    import base64

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    header = b64(b'{"alg":"EdDSA"}')
    return f"{header}.{b64(payload_text.encode('utf-8', 'surrogatepass'))}.c2ln"


def _read_outcome(source: str, *, shaped: bool) -> tuple[Any, ...]:
    import mcbadge.verification._source as source_module
    from mcbadge.errors import MCBadgeError

    plain = source_module.decode_jwt
    if not shaped:
        source_module.decode_jwt = lambda token, **_: plain(token)  # type: ignore[assignment]
    try:
        read = source_module.read_source(source)
    except MCBadgeError as exc:
        return ("refused", exc.message)
    finally:
        source_module.decode_jwt = plain
    assert read.jwt_parts is not None
    return ("read", read.document, read.jwt_parts.payload_size, read.shapes)


_PAYLOAD_MEMBERS = st.sampled_from(["@context", "type", "name", "proof", "iss", "jti", "nbf",
                                    "vc", "endorsement", "a"])


_JSONISH = st.recursive(
    st.one_of(_HOSTILE_TEXT, st.integers(), st.none(), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(_HOSTILE_TEXT, _PAYLOAD_MEMBERS), inner,
                                            max_size=3)), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(payload=st.dictionaries(_PAYLOAD_MEMBERS, _JSONISH, max_size=6),
       escaped_surrogate=st.booleans(), deep=st.integers(0, 3))
def test_a_jwt_payload_read_with_its_shape_is_read_as_without(
        payload: dict[str, Any], escaped_surrogate: bool, deep: int) -> None:
    from mcbadge.jsonld._templates import shape_of

    nested: Any = payload
    for _ in range(deep * 50):  # up to 150 levels: past the payload's cap of 100
        nested = {"a": nested}
    if nested is not payload:
        payload = {**payload, "evidence": [nested]}
    text = json.dumps(payload, ensure_ascii=True)
    if escaped_surrogate:
        text = text[:-1] + (', ' if payload else '') + '"x": "\\ud800"}'
    token = _token(text)
    with_shape = _read_outcome(token, shaped=True)
    without = _read_outcome(token, shaped=False)
    assert with_shape[:3] == without[:3]
    if with_shape[0] == "read":
        shapes = with_shape[3]
        document = with_shape[1]
        if shapes is not None:
            expected = shape_of(document)
            assert expected is not None and "proof" not in document
            assert shapes[0] is shapes[1]
            assert (shapes[0].key, shapes[0].leaves, shapes[0].endorsed) == (
                expected.key, expected.leaves, expected.endorsed)
