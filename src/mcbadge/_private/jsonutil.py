"""Strict JSON reading and JSON-pointer helpers shared by the parsing layers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from mcbadge.errors import FieldError, ModelValidationError

MAX_JSON_BYTES = 16 * 1024 * 1024
"""Largest JSON document mcbadge parses (16 MiB); larger input is refused, not read."""


_INF = float("inf")

MAX_DEPTH = 100
"""Deepest nesting of objects and arrays mcbadge accepts in a document."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_depth(value: Any, limit: int = MAX_DEPTH, max_size: int | None = None) -> None:
    """Refuse documents nested deeper than ``limit``, text holding lone surrogates (not
    Unicode, so not UTF-8 and not JSON that anything else reads), NaN and Infinity, and,
    with ``max_size``, documents whose JSON would be larger (estimated from below: the
    text's length plus a few characters per value), iteratively."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    size = 0
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            size += len(node) + 3
            if _SURROGATE.search(node):
                raise ModelValidationError("text holds a lone surrogate (\\ud800-\\udfff)")
            continue
        size += 4
        if isinstance(node, float) and (node != node or node in (_INF, -_INF)):
            raise ModelValidationError("NaN and Infinity are not JSON numbers")
        if isinstance(node, dict):
            for key in node:
                if not isinstance(key, str):
                    raise ModelValidationError(f"member name {key!r:.40} is not a string")
                size += len(key) + 3
                if _SURROGATE.search(key):
                    raise ModelValidationError("a member name holds a lone surrogate")
            children: Iterable[Any] = node.values()
        elif isinstance(node, list | tuple):
            children = node
        elif node is None or isinstance(node, int | float):
            continue
        else:
            raise ModelValidationError(f"a {type(node).__name__} is not JSON data")
        if depth > limit:
            raise ModelValidationError(f"document is nested more than {limit} levels deep")
        if max_size is not None and size > max_size:
            raise ModelValidationError(f"the credential is larger than {max_size} bytes")
        stack.extend((child, depth + 1) for child in children)
    if max_size is not None and size > max_size:
        raise ModelValidationError(f"the credential is larger than {max_size} bytes")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(data: str | bytes | bytearray) -> Any:
    """Parse JSON text, refusing NaN/Infinity, oversized input and pathological nesting.

    Raises :class:`~mcbadge.errors.ModelValidationError` on anything that is not JSON.
    """
    if len(data) > MAX_JSON_BYTES:
        raise ModelValidationError(f"document is larger than {MAX_JSON_BYTES} bytes")
    try:
        if isinstance(data, bytes | bytearray):
            data = bytes(data).decode("utf-8-sig")
        value = json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise ModelValidationError("document is nested too deeply to parse") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelValidationError(f"not valid JSON: {exc}") from None
    check_depth(value)
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
