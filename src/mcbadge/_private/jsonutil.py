"""Strict JSON reading and JSON-pointer helpers shared by the parsing layers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from typing import Any

from mcbadge.errors import FieldError, ModelValidationError

MAX_JSON_BYTES = 16 * 1024 * 1024
"""Largest JSON document mcbadge parses (16 MiB); larger input is refused, not read."""


_INF = float("inf")

MAX_DEPTH = 100
"""Deepest nesting of objects and arrays mcbadge accepts in a document."""


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a surrogate code point (not Unicode: no UTF-8 text holds
    one). ASCII text is answered at once, other text by encoding it (the C codec stops at
    the first), not by a pattern search."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")

DENSE_AFTER = 64 * 1024
BYTES_PER_VALUE = 12
"""Above DENSE_AFTER bytes, a document may hold at most one JSON value (counted by its
commas, colons and brackets) per BYTES_PER_VALUE bytes: parsed, a value costs about a
hundred bytes, so this keeps the parsed form under ten times the text. Large real badges
are large because of long strings (embedded images, narratives), not because of many
tiny values."""

MAX_CONTAINERS = 20_000
"""Most JSON objects and arrays in one document (a real badge has a few hundred)."""


TRUSTED: ContextVar[object] = ContextVar("mcbadge_checked_document", default=None)
"""A document this verification run has checked already with limits at least as strict
as :func:`check_depth`'s defaults (the verifier sets it after reading its input): checking
that very object again with the defaults is skipped."""


def check_depth(value: Any, limit: int = MAX_DEPTH, max_size: int | None = None, *,
                max_containers: int | None = None, text_checked: bool = False,
                measured: list[int] | None = None) -> None:
    """Refuse documents nested deeper than ``limit``, with more than ``max_containers``
    objects and arrays, holding text with lone surrogates (not Unicode, so not UTF-8 and not
    JSON that anything else reads), NaN, Infinity or anything that is not JSON data, and,
    with ``max_size``, documents whose JSON would be larger (estimated from below), walking
    iteratively. ``text_checked``: the value was just parsed from text already checked for
    surrogates, non-finite numbers and size, so only the shape is walked. ``measured``:
    a list the deepest level and the number of containers found are appended to."""
    if measured is None and value is TRUSTED.get() and limit == MAX_DEPTH and \
            max_size is None and max_containers is None and value is not None:
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    size = 0
    containers = 0
    deepest = 0
    full = not text_checked
    # every member name and string, searched for lone surrogates once, at the end
    names: list[str] = []
    texts: list[str] = []
    while stack:
        node, depth = stack.pop()
        kind = type(node)
        if kind is dict:
            children: Iterable[Any] = node.values()
            if full:
                try:
                    joined = "".join(node)
                except TypeError:
                    key = next(k for k in node if not isinstance(k, str))
                    raise ModelValidationError(
                        f"member name {key!r:.40} is not a string") from None
                names.append(joined)
                size += len(joined) + 3 * len(node)
        elif kind is list or kind is tuple:
            children = node
        else:
            _check_scalar(node)
            size += len(node) if kind is str else 4
            continue
        containers += 1
        if depth > deepest:
            deepest = depth
        if depth > limit:
            raise ModelValidationError(f"document is nested more than {limit} levels deep")
        if max_containers is not None and containers > max_containers:
            raise ModelValidationError(f"more than {max_containers} JSON objects and arrays")
        for child in children:
            ckind = type(child)
            if ckind is dict or ckind is list or ckind is tuple:
                stack.append((child, depth + 1))
            elif not full:
                continue
            elif ckind is str:
                texts.append(child)
                size += len(child) + 3
            elif ckind is int or ckind is bool or child is None or (
                    ckind is float and math.isfinite(child)):
                size += 4
            else:
                _check_scalar(child)
                size += len(child) + 3 if isinstance(child, str) else 4
        if max_size is not None and size > max_size:
            raise ModelValidationError(f"the credential is larger than {max_size} bytes")
    if names and has_surrogate("".join(names)):
        raise ModelValidationError("a member name holds a lone surrogate")
    if texts and has_surrogate("".join(texts)):
        raise ModelValidationError("text holds a lone surrogate (\\ud800-\\udfff)")
    if measured is not None:
        measured += (deepest, containers)


def _check_scalar(node: Any) -> None:
    if isinstance(node, str):
        if has_surrogate(node):
            raise ModelValidationError("text holds a lone surrogate (\\ud800-\\udfff)")
    elif isinstance(node, float):
        if node != node or node in (_INF, -_INF):
            raise ModelValidationError("NaN and Infinity are not JSON numbers")
    elif not (node is None or isinstance(node, int)):
        raise ModelValidationError(f"a {type(node).__name__} is not JSON data")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH,
                 max_containers: int | None = None,
                 walk: Callable[[Any, bool], None] | None = None) -> Any:
    """Parse JSON text, refusing NaN/Infinity, lone surrogates, oversized input and
    pathological nesting; with ``max_containers``, counted before parsing (a cheap bound on
    the memory the parsed value takes). ``walk``: called as ``walk(value, text_checked)``
    instead of :func:`check_depth` (it must refuse at least what
    ``check_depth(value, max_depth, text_checked=...)`` refuses).

    Raises :class:`~mcbadge.errors.ModelValidationError` on anything that is not JSON.
    """
    if len(data) > MAX_JSON_BYTES:
        raise ModelValidationError(f"document is larger than {MAX_JSON_BYTES} bytes")
    try:
        if isinstance(data, bytes | bytearray):
            data = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelValidationError(f"not valid JSON: {exc}") from None
    if max_containers is not None:
        found = data.count("{") + data.count("[")  # brackets in strings count too: a bound
        if found > max_containers:
            raise ModelValidationError(f"more than {max_containers} JSON objects and arrays")
        if len(data) > DENSE_AFTER:
            values = found + data.count(",") + data.count(":")
            if values * BYTES_PER_VALUE > len(data):
                raise ModelValidationError(
                    f"{values} JSON values in {len(data)} bytes: a document over "
                    f"{DENSE_AFTER // 1024} KiB may hold at most one value per "
                    f"{BYTES_PER_VALUE} bytes (parsed, each costs about a hundred)")
    surrogates = has_surrogate(data) or bool(_ESCAPED_SURROGATE.search(data))
    try:
        value = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise ModelValidationError("document is nested too deeply to parse") from None
    except ValueError as exc:
        raise ModelValidationError(f"not valid JSON: {exc}") from None
    if walk is not None:
        walk(value, not surrogates)
    else:
        check_depth(value, max_depth, text_checked=not surrogates)
    return value


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(parts: Iterable[str | int]) -> str:
    """Render a path as an RFC 6901 JSON pointer ('' is the whole document)."""
    return "".join("/" + escape_pointer_token(p) for p in parts)


def loc_to_pointer(document: object, loc: Sequence[str | int]) -> str:
    """Turn a pydantic error location into a JSON pointer into ``document``.

    pydantic inserts the names of union members and validators into locations; walking the
    actual document keeps only the steps that exist in it.
    """
    parts: list[str | int] = []
    node: object = document
    for step in loc:
        if _has_step(node, step):
            parts.append(step)
            node = node[step]  # type: ignore[index]
        elif isinstance(node, dict) and isinstance(step, str) and not _looks_like_tag(step):
            # a missing member: point at where it should be, then stop
            parts.append(step)
            break
    return to_pointer(parts)


def _has_step(node: object, step: str | int) -> bool:
    if isinstance(node, dict):
        return isinstance(step, str) and step in node
    if isinstance(node, list):
        return isinstance(step, int) and 0 <= step < len(node)
    return False


def _looks_like_tag(step: str) -> bool:
    # pydantic's union/validator tags: 'Profile', 'str', 'function-wrap[...]', 'list[...]'
    return step[:1].isupper() or "[" in step or step in {"str", "int", "float", "bool", "dict"}


def merge_field_errors(errors: Iterable[FieldError]) -> list[FieldError]:
    """Merge errors at the same pointer (one per failed union member) into one."""
    merged: dict[str, list[str]] = {}
    for err in errors:
        msgs = merged.setdefault(err.pointer, [])
        if err.message not in msgs:
            msgs.append(err.message)
    return [FieldError(ptr, " or ".join(msgs)) for ptr, msgs in merged.items()]
