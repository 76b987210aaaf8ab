"""Untrusted input: whatever arrives, parsing raises nothing but ModelValidationError."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcbadge.errors import ModelValidationError, SchemaNotFoundError
from mcbadge.models import OpenBadgeCredential, Profile, parse_credential, validate_schema
from tests.conftest import VALIDATOR, load_json

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=30,
)
# keys the models know, so random documents reach deep validation paths
known_keys = st.sampled_from(
    ["@context", "id", "type", "issuer", "validFrom", "credentialSubject", "achievement",
     "criteria", "name", "description", "proof", "identifier", "credentialStatus", "result",
     "issuanceDate", "validUntil", "evidence", "endorsement", "image", "alignment"]
)
credential_like = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(known_keys | st.text(max_size=5), children, max_size=6),
    max_leaves=40,
)

BASE = load_json(VALIDATOR / "ob30/complete.json")
PATHS: list[list[str | int]] = []


def _collect(node: Any, path: list[str | int]) -> None:
    PATHS.append(path)
    if isinstance(node, dict):
        for k, v in node.items():
            _collect(v, [*path, k])
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _collect(v, [*path, i])


_collect(BASE, [])


def _parse_only_raises_our_error(source: Any) -> None:
    try:
        cred = parse_credential(source)
    except ModelValidationError as exc:
        assert isinstance(exc.errors, tuple)
        str(exc)
        return
    # whatever parsed must write JSON that parses to the same model again
    assert parse_credential(cred.to_json()) == cred


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values)
def test_arbitrary_json_values(value: Any) -> None:
    _parse_only_raises_our_error(value)


@settings(max_examples=300, deadline=None)
@given(credential_like)
def test_credential_shaped_garbage(value: Any) -> None:
    _parse_only_raises_our_error(value)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_arbitrary_bytes_and_text(data: bytes | str) -> None:
    _parse_only_raises_our_error(data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS), json_values)
def test_one_member_of_a_real_credential_replaced(path: list[str | int], value: Any) -> None:
    doc = copy.deepcopy(BASE)
    if not path:
        return
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    _parse_only_raises_our_error(doc)
    # schema validation reports problems as data, never as an exception
    try:
        errors = validate_schema(doc)
    except SchemaNotFoundError:  # the type itself was replaced
        return
    assert all(e.pointer == "" or e.pointer.startswith("/") for e in errors)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_schema_validation_never_raises_on_garbage(value: Any) -> None:
    with contextlib.suppress(SchemaNotFoundError):
        validate_schema(value)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_each_model_class_from_dict(value: Any) -> None:
    for model in (OpenBadgeCredential, Profile):
        with contextlib.suppress(ModelValidationError):
            model.from_dict(value)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # nesting bomb
        '{"a": NaN}',
        '{"a": Infinity}',
        "1" * 10_000,  # over Python's int-digits limit
        b"\xef\xbb\xbf{}",  # BOM then an empty object
        "",
        "null",
    ],
)
def test_hostile_json_text(text: str | bytes) -> None:
    with pytest.raises(ModelValidationError):
        parse_credential(text)


def test_deeply_nested_object_is_refused_cleanly() -> None:
    doc: dict[str, Any] = {}
    node = doc
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    base = copy.deepcopy(BASE)
    base["extension"] = doc
    with pytest.raises(ModelValidationError, match="nested more than"):
        parse_credential(base)
    (error,) = validate_schema(base)
    assert "nested more than" in error.message
    text = '{"x":' * 5000 + "{}" + "}" * 5000
    with pytest.raises(ModelValidationError, match="nested"):
        parse_credential(text)


def test_oversized_input_is_refused_without_parsing() -> None:
    with pytest.raises(ModelValidationError, match="larger than"):
        parse_credential(b" " * (16 * 1024 * 1024 + 1))
