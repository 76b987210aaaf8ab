"""pyld's hottest helpers, answering exactly as before, faster.

Expanding a 3 KB badge, pyld asks about 540 times whether a string is a keyword
(``v in KEYWORDS``: a scan of a 30-item list), about 230 times whether one is an absolute
IRI, and calls ``re.match`` with a pattern string about 520 times (each call looks the
pattern up in ``re``'s cache): a fifth of an expansion; and it deep-copies its input with
:func:`copy.deepcopy`. Here the keywords are a frozenset, the absolute-IRI pattern is
compiled once, pyld's module sees a ``re`` whose ``match`` and ``search`` keep pyld's
(literal, fixed) patterns compiled, and a ``copy`` whose ``deepcopy`` copies JSON data
directly; everything else in ``re`` and ``copy`` is themselves. Same answers for every
input: the same membership test, the same patterns, an equal copy.
``tests/test_pyld_fast.py`` holds them to pyld's originals; the JSON-LD tests, vectors and
peer runs go through them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pyld import jsonld

from mcbadge._private.bounded import remembered_match

ORIGINAL_IS_KEYWORD = jsonld._is_keyword
ORIGINAL_IS_ABSOLUTE_IRI = jsonld._is_absolute_iri

_KEYWORDS = frozenset(jsonld.KEYWORDS)
_ABSOLUTE = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_MAX_PATTERNS = 64


def is_keyword(v: Any) -> bool:
    return isinstance(v, str) and v in _KEYWORDS


is_absolute_iri = remembered_match(_ABSOLUTE)
"""pyld's test (pyld reads only whether it holds), remembered per string."""


class _CompiledRe:
    """``re`` for pyld: ``match``/``search`` with each pattern compiled once (bounded)."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[Any, int], re.Pattern[str]] = {}

    def _pattern(self, pattern: Any, flags: int) -> re.Pattern[str]:
        found = self._compiled.get((pattern, flags))
        if found is None:
            found = re.compile(pattern, flags)
            if len(self._compiled) < _MAX_PATTERNS:
                self._compiled[(pattern, flags)] = found
        return found

    def match(self, pattern: Any, string: str, flags: int = 0) -> re.Match[str] | None:
        return self._pattern(pattern, flags).match(string)

    def search(self, pattern: Any, string: str, flags: int = 0) -> re.Match[str] | None:
        return self._pattern(pattern, flags).search(string)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)


_SCALARS = (str, int, float, bool, type(None))


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), several times faster than
    :func:`copy.deepcopy`; anything else is handed to it."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)


class _JsonCopy:
    """``copy`` for pyld, whose one use of it is a deep copy of the input document:
    :func:`json_copy` (an object met twice is copied twice, which JSON text cannot even
    express); everything else is ``copy`` itself."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return json_copy(value) if memo is None else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


jsonld._is_keyword = is_keyword
jsonld._is_absolute_iri = is_absolute_iri
jsonld.re = _CompiledRe()
jsonld.copy = _JsonCopy()
