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
    # pyld reads only whether it holds (every use is a condition); asked twice: remembered
    for _ in range(2):
        assert _pyld_fast.is_absolute_iri(value) == bool(
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


@settings(max_examples=600, deadline=None)
@given(value=TEXT, vocab=st.booleans(), base=st.sampled_from([None, "", "https://b.example/"]))
def test_iri_expansion_remembered_per_frozen_context_answers_as_pyld(
        value: str, vocab: bool, base: str | None) -> None:
    """Under each processed context of a real badge (OB 3.0, VC 2.0, the type-scoped ones),
    the remembered expansion of a string is pyld's, asked first or again."""
    from mcbadge.jsonld import _canon, default_document_loader

    contexts = _frozen_contexts(_canon, default_document_loader())
    assert contexts
    for ctx in contexts:
        want = jsonld.JsonLdProcessor()._expand_iri(ctx, value, base=base, vocab=vocab)
        processor = _canon._Processor()
        assert processor._expand_iri(ctx, value, base=base, vocab=vocab) == want
        assert processor._expand_iri(ctx, value, base=base, vocab=vocab) == want


_SEEN: list[Any] = []


def _frozen_contexts(canon: Any, loader: Any) -> list[Any]:
    """The frozen contexts pyld expands a badge under (caught once)."""
    if _SEEN:
        return _SEEN
    import json

    from tests.conftest import REPO

    badge = json.loads((REPO / "benchmarks" / "data" / "ob3-credential-3k.json").read_text())
    badge.pop("proof", None)
    original = canon._Processor._expand_iri

    def catch(self: Any, ctx: Any, *args: Any, **kwargs: Any) -> Any:
        if type(ctx) is jsonld.frozendict and all(c is not ctx for c in _SEEN):
            _SEEN.append(ctx)
        return original(self, ctx, *args, **kwargs)

    canon._Processor._expand_iri = catch
    try:
        with canon.without_templates():
            canon.expand_safely(badge, loader)
    finally:
        canon._Processor._expand_iri = original
    return _SEEN


_TERMS = st.sampled_from(["id", "type", "name", "description", "validFrom", "image",
                          "allowedValue", "achievementType", "narrative", "credentialSubject",
                          "evidence", "@id", "@type", "@graph", "unknownTerm", "schema:name",
                          "https://x.example/p", "value", "identityHash", "salt"])
_PLAIN = st.one_of(TEXT, st.integers(-10**30, 10**30), st.floats(allow_nan=False),
                   st.booleans())


@settings(max_examples=600, deadline=None)
@given(term=_TERMS, value=_PLAIN, base=st.sampled_from(["", "https://b.example/"]))
def test_value_expansion_remembered_per_frozen_context_answers_as_pyld(
        term: str, value: Any, base: str) -> None:
    """Under each processed context of a real badge, the value expansion that remembers
    what it read of the context for a term gives pyld's answer, asked first or again."""
    from mcbadge.jsonld import _canon, default_document_loader

    contexts = _frozen_contexts(_canon, default_document_loader())
    for ctx in contexts:
        options = {"base": base}
        want = jsonld.JsonLdProcessor()._expand_value(ctx, term, value, options)
        processor = _canon._Processor()
        assert processor._expand_value(ctx, term, value, options) == want
        assert processor._expand_value(ctx, term, value, options) == want


_TYPE_VALUES = st.sampled_from([
    "Achievement", "Profile", "Image", "Evidence", "Result", "ResultDescription", "Alignment",
    "IdentityObject", "AchievementSubject", "Criteria", "EndorsementCredential", "Extension",
    "VerifiableCredential", "OpenBadgeCredential", "unknown", "https://x.example/T"])


@settings(max_examples=150, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, 200), st.lists(_TYPE_VALUES, max_size=2)),
                      max_size=4), order=st.booleans())
def test_a_badge_expands_as_pylds_own_processor_expands_it(
        edits: list[tuple[int, list[str]]], order: bool) -> None:
    """Every remembering override of the processor (contexts, IRIs, values, the contexts
    of nested objects) together: a badge whose nested objects change type (so their
    type-scoped contexts change) and key order expands exactly as pyld's processor
    expands it."""
    import json

    from mcbadge.jsonld import _canon, default_document_loader
    from tests.conftest import REPO

    badge = json.loads((REPO / "benchmarks" / "data" / "ob3-credential-3k.json").read_text())
    badge.pop("proof", None)
    typed = [o for o in _objects(badge) if "type" in o]
    for where, types in edits:
        target = typed[where % len(typed)]
        target["type"] = types[0] if len(types) == 1 else types
        if order:
            items = list(target.items())[::-1]
            target.clear()
            target.update(items)
    options = default_document_loader().pyld_options()
    try:
        want = jsonld.JsonLdProcessor().expand(badge, dict(options))
    except jsonld.JsonLdError:
        return
    for _ in range(2):
        assert _canon._Processor().expand(badge, dict(options)) == want


def _objects(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _objects(value)
    elif isinstance(node, list):
        for value in node:
            out += _objects(value)
    return out


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(TEXT | st.text(min_size=300, max_size=400), max_size=30))
def test_a_remembered_match_answers_as_the_pattern_and_stays_bounded(texts: list[str]) -> None:
    from mcbadge._private.bounded import remembered_match

    pattern = re.compile(r"(?:[A-Za-z][A-Za-z0-9+,.-]*|_):[^\s\ufeff]*\Z")
    match = remembered_match(pattern, limit=4, max_chars=256)
    for text in texts + texts:  # the second time from the memo (if still held)
        assert match(text) == (pattern.match(text) is not None)
    (held,) = [c.cell_contents for c in match.__closure__ or ()
               if isinstance(c.cell_contents, dict)]
    assert len(held) <= 4
    assert all(len(k) <= 256 for k in held)
