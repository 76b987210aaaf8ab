"""pyld's helpers as mcbadge patches them (jsonld/_pyld_fast.py) answer exactly as pyld's
own: on generated strings and values, and for every pattern pyld matches with."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyld import jsonld

from mcbadge.jsonld import _pyld_fast

PATTERNS = [jsonld.KEYWORD_PATTERN, jsonld.REGEX_BCP47, r"^[+-]?\d+$", r".*((:[^:])|/)",
            r".*[:/\?#\[\]@]$", r".*(:|/)", r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$"]
TEXT = st.one_of(st.text(max_size=20), st.sampled_from(
    [*jsonld.KEYWORDS, "@foo", "@", "https://x.example/a b", "_:b0", "urn:x\n", "a:b",
     "1:x", "+1:x", "https:", "en-US", "123", "-4", "x/y", "ob:", "\u3000", "@id\n"]))
VALUES = st.one_of(TEXT, st.integers(), st.none(), st.lists(TEXT, max_size=2),
                   st.dictionaries(TEXT, TEXT, max_size=2))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, re.Match) or isinstance(b, re.Match):
        return isinstance(a, re.Match) and isinstance(b, re.Match) and a.span() == b.span() \
            and a.groups() == b.groups()
    return bool(a) == bool(b) and type(a) is type(b)


@settings(max_examples=1500, deadline=None)
@given(value=VALUES)
def test_the_helpers_answer_as_pyld_does(value: Any) -> None:
    assert _pyld_fast.is_keyword(value) == _pyld_fast.ORIGINAL_IS_KEYWORD(value)
    assert _same(_pyld_fast.is_absolute_iri(value),
                 _pyld_fast.ORIGINAL_IS_ABSOLUTE_IRI(value))


@settings(max_examples=800, deadline=None)
@given(text=TEXT, pattern=st.sampled_from(PATTERNS))
def test_pylds_re_matches_and_searches_as_re(text: str, pattern: str) -> None:
    shim = jsonld.re
    assert shim is not re and shim.escape is re.escape
    assert _same(shim.match(pattern, text), re.match(pattern, text))
    assert _same(shim.search(pattern, text), re.search(pattern, text))


def test_the_patches_are_in_place() -> None:
    assert jsonld._is_keyword is _pyld_fast.is_keyword
    assert jsonld._is_absolute_iri is _pyld_fast.is_absolute_iri


@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_pylds_deep_copy_of_its_input_is_an_equal_unshared_copy(value: Any) -> None:
    import copy

    doc = {"a": value, "b": [value, {"c": value}]}
    copied = jsonld.copy.deepcopy(doc)
    assert copied == copy.deepcopy(doc) and copied is not doc
    assert copied["b"] is not doc["b"] and copied["b"][1] is not doc["b"][1]
