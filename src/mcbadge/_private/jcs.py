"""RFC 8785 JSON Canonicalization Scheme (JCS).

Members sorted by their UTF-16 code units, no whitespace, strings escaped as ECMAScript's
JSON.stringify does, numbers written as ECMAScript's Number.prototype.toString writes them.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from mcbadge._private.splice import written
from mcbadge.errors import CanonicalizationError

MAX_SAFE_INTEGER = 2**53


def _number(value: int | float) -> str:
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalizationError(
                f"integer {value} is outside the range JCS represents exactly (2^53)"
            )
        return str(value)
    if not math.isfinite(value):
        raise CanonicalizationError(f"{value!r} cannot be represented in JSON")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    dec = Decimal(repr(abs(value))).normalize()
    _, digit_tuple, exponent = dec.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    k = len(digits)
    n = exponent + k  # value = 0.digits * 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exp = n - 1
    exp_text = ("+" if exp >= 0 else "-") + str(abs(exp))
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return sign + mantissa + "e" + exp_text


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int | float):
        out.append(_number(value))
    elif isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise CanonicalizationError("JSON object keys must be strings")
        out.append("{")
        for i, key in enumerate(sorted(value, key=_utf16_order)):
            if i:
                out.append(",")
            out.append(_string(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise CanonicalizationError(f"{type(value).__name__} is not a JSON value")


def _plain_keys(value: dict[Any, Any]) -> bool:
    try:
        joined = "".join(value)  # TypeError unless every key is a str
    except TypeError:
        return False
    return joined.isascii() or max(joined) < "\U00010000"


def _plain(value: Any, depth: int = 0) -> bool:
    """Whether ``json.dumps(sort_keys=True)`` writes ``value`` exactly as JCS does: plain
    dicts, lists, strings, booleans, null and integers JCS represents exactly (no floats),
    and keys whose code-point order is their UTF-16 order (no characters beyond the BMP)."""
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
        if not _plain_keys(value):
            return False
    elif kind is list:
        items = value
    elif kind is int:
        return bool(-MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER)
    else:
        return kind is str or kind is bool or value is None
    if depth > 100:
        return False
    for item in items:
        sub = type(item)
        if sub is str or sub is bool or item is None:
            continue
        if not _plain(item, depth + 1):
            return False
    return True


def canonicalize(value: Any, *, plain: bool | None = None) -> bytes:
    """The JCS canonical UTF-8 bytes of a JSON value. ``plain``: :func:`_plain`'s answer
    for ``value``, when the caller knows it (``jsonld._templates.jcs_plain``). Inside
    ``_private.splice.sharing``, the shared subtree is written once."""
    if plain is None:
        spliced = written(value, canonicalize)
        if spliced is not None:
            return spliced
    if _plain(value) if plain is None else plain:
        # json's C encoder escapes strings exactly as ECMAScript's JSON.stringify does
        try:
            return json.dumps(
                value, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode("utf-8")
        except UnicodeEncodeError:
            raise CanonicalizationError("a string holds an unpaired surrogate") from None
    out: list[str] = []
    try:
        _encode(value, out)
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalizationError("a string holds an unpaired surrogate") from None
    except RecursionError:
        raise CanonicalizationError("document is nested too deeply") from None
