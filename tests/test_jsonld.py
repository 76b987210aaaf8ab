"""The bundled, hash-pinned contexts and the offline document loader."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from mcbadge import jsonld as mj
from mcbadge.errors import (
    ContextConflictError,
    ContextIntegrityError,
    MCBadgeError,
    UnknownContextError,
)
from mcbadge.jsonld._pins import KNOWN_EDITIONS, PINNED_CONTEXTS
from tests.conftest import SHARED, SPEC, VALIDATOR, load_json

REQUIRED = {
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://w3id.org/security/data-integrity/v1",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/suites/ed25519-2020/v1",
    "https://w3id.org/vc/status-list/2021/v1",
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/v1",
    "https://w3id.org/security/v2",
    "https://w3id.org/security/jwk/v1",
}


def test_every_context_the_spec_needs_is_bundled() -> None:
    assert mj.BUNDLED_CONTEXT_URLS >= REQUIRED


def test_the_examples_vocabulary_is_not_bundled() -> None:
    # its @vocab would define every term and hide data loss; register it explicitly
    assert "https://www.w3.org/ns/credentials/examples/v2" not in mj.BUNDLED_CONTEXT_URLS


@pytest.mark.parametrize("url", sorted(PINNED_CONTEXTS))
def test_bundled_file_matches_its_pin(url: str) -> None:
    filename, sha = PINNED_CONTEXTS[url]
    data = resources.files("mcbadge.jsonld").joinpath("contexts", filename).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha
    assert "@context" in mj.bundled_context(url)


def test_pins_agree_with_the_reference_provenance_when_available() -> None:
    sources = SHARED / "reference" / "SOURCES.md"
    if not sources.exists():
        pytest.skip("../shared is not beside this checkout")
    text = sources.read_text()
    amended = SHARED / "reference" / "contexts" / "1edtech" / "ob" / "v3p0"
    amended_digests = {
        hashlib.sha256(p.read_bytes()).hexdigest() for p in amended.glob("context-*.*-*.json")
    }
    for url, (_, sha) in PINNED_CONTEXTS.items():
        # An edition amended in place is listed in the notes (note 6), not the URL table.
        assert f"| {url} | `{sha}` |" in text or sha in amended_digests, url
    for url, editions in KNOWN_EDITIONS.items():
        for digest in editions:
            assert f"| {url} | `{digest}` |" in text or digest in amended_digests, digest


def test_unknown_context_is_a_typed_error_naming_the_url() -> None:
    loader = mj.DocumentLoader()
    url = "https://evil.example/context.json"
    with pytest.raises(UnknownContextError) as info:
        loader(url, {})
    assert info.value.url == url
    assert url in str(info.value)
    assert isinstance(info.value, MCBadgeError)
    assert info.value.code == "UNKNOWN_CONTEXT"


def test_bundled_context_returns_independent_copies() -> None:
    a = mj.bundled_context(mj.CREDENTIALS_V2)
    a["@context"]["mutated"] = True
    assert "mutated" not in mj.bundled_context(mj.CREDENTIALS_V2)["@context"]


def test_remote_document_shape_and_static_tag() -> None:
    loader = mj.DocumentLoader(extra_contexts={"https://ext.example/v1": {"@context": {}}})
    remote = loader(mj.OB_V3P0_CONTEXT, {})
    assert remote["documentUrl"] == mj.OB_V3P0_CONTEXT
    assert remote["contextUrl"] is None
    assert remote["tag"] == "static"
    assert "tag" not in loader("https://ext.example/v1", {})


class CountingLoader(mj.DocumentLoader):
    __slots__ = ("calls",)

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        super().__init__(extra)
        self.calls: list[str] = []

    def __call__(self, url: str, options: Any = None) -> dict[str, Any]:
        self.calls.append(url)
        return super().__call__(url, options)


def test_expansion_runs_offline_and_caches_bundled_contexts() -> None:
    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.json")
    mj._shared_resolved_cache().clear()
    loader = CountingLoader()
    first = jsonld.expand(doc, loader.pyld_options())
    assert first and "@type" in first[0]
    calls_after_first = len(loader.calls)
    assert calls_after_first >= 2
    second = jsonld.expand(doc, loader.pyld_options())
    assert second == first
    # the processed bundled contexts were reused, not fetched again
    assert len(loader.calls) == calls_after_first


def test_unknown_context_in_a_document_fails_expansion() -> None:
    doc = load_json(VALIDATOR / "clr20/simple_old_safesigned.json")  # retired draft context
    with pytest.raises(jsonld.JsonLdError) as info:
        jsonld.expand(doc, mj.DocumentLoader().pyld_options())
    cause = info.value
    while cause is not None and not isinstance(cause, UnknownContextError):
        cause = cause.__cause__ or getattr(cause, "cause", None)
    assert isinstance(cause, UnknownContextError)
    assert cause.url == "https://dc.imsglobal.org/draft/clr/v2p0/context"


def test_extra_context_is_used_and_does_not_leak_to_other_loaders() -> None:
    url = "https://issuer.example/ext/v1"
    ext = {"@context": {"favouriteColour": "https://issuer.example/ext#favouriteColour"}}
    doc = {"@context": [mj.CREDENTIALS_V2, url], "favouriteColour": "teal"}
    with_ext = mj.DocumentLoader(extra_contexts={url: json.dumps(ext)})
    expanded = jsonld.expand(doc, with_ext.pyld_options())
    assert expanded[0]["https://issuer.example/ext#favouriteColour"] == [{"@value": "teal"}]
    # a loader without the registration must not see it, even after the first used it
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(doc, mj.DocumentLoader().pyld_options())
    assert with_ext.extra_context_urls == {url}
    assert with_ext.knows(url) and not mj.default_document_loader().knows(url)


def test_extra_context_accepts_a_path(tmp_path: Any) -> None:
    path = tmp_path / "ctx.json"
    path.write_text('{"@context": {"a": "https://x.example/a"}}')
    loader = mj.DocumentLoader(extra_contexts={"https://x.example/ctx": path})
    assert loader.load("https://x.example/ctx") == {"@context": {"a": "https://x.example/a"}}


def test_bundled_url_cannot_be_overridden() -> None:
    with pytest.raises(ContextConflictError, match="bundled"):
        mj.DocumentLoader(extra_contexts={mj.CREDENTIALS_V2: {"@context": {"@vocab": "x:"}}})
    # registering the identical document is harmless
    same = mj.bundled_context(mj.CREDENTIALS_V2)
    assert mj.DocumentLoader(extra_contexts={mj.CREDENTIALS_V2: same}).extra_context_urls == set()


@pytest.mark.parametrize("bad", ["not json", b"\xff", {"no": "context"}, [1, 2]])
def test_malformed_extra_context_is_refused(bad: object) -> None:
    with pytest.raises(ContextConflictError):
        mj.DocumentLoader(extra_contexts={"https://x.example/c": bad})


def test_tampered_bundled_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    url = mj.OB_V3P0_CONTEXT
    filename, _ = PINNED_CONTEXTS[url]
    monkeypatch.setitem(PINNED_CONTEXTS, url, (filename, "0" * 64))
    mj._bundled_bytes.cache_clear()
    mj._bundled_parsed.cache_clear()
    try:
        with pytest.raises(ContextIntegrityError, match="corrupted"):
            mj.bundled_context(url)
    finally:
        mj._bundled_bytes.cache_clear()
        mj._bundled_parsed.cache_clear()


def test_remembered_expansions_are_equal_to_fresh_ones_and_never_mutated() -> None:
    from mcbadge.jsonld._canon import (
        expand_safely,
        remembering_expansions,
    )

    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.json")
    loader = mj.DocumentLoader()
    assert expand_safely(doc, loader) is not expand_safely(doc, loader)  # no memo by default
    with remembering_expansions():
        assert expand_safely(doc, loader) is expand_safely(doc, loader)
        _remembered_checks(doc, loader)


def _remembered_checks(doc: Any, loader: Any) -> None:
    import copy

    from mcbadge.jsonld._canon import _expand_safely, canonical_nquads, expand_safely

    first = canonical_nquads(doc, loader)
    snapshot = copy.deepcopy(expand_safely(doc, loader))
    assert canonical_nquads(copy.deepcopy(doc), loader) == first  # served from memory
    assert expand_safely(doc, loader) == snapshot == _expand_safely(doc, loader)
    changed = {**doc, "name": "Another name"}
    assert canonical_nquads(changed, loader) != first
    other = mj.DocumentLoader()
    assert canonical_nquads(doc, other) == first


def test_remembered_subtrees_give_the_canonical_form_fresh_expansion_gives() -> None:
    import copy

    from mcbadge.jsonld import _canon

    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.json")
    loader = mj.DocumentLoader()
    achievement = doc["credentialSubject"]["achievement"]
    achievement["description"] = "A long description. " * 60  # over the 1 KiB threshold
    variants = []
    for i in range(4):
        variant = copy.deepcopy(doc)
        variant["id"] = f"urn:uuid:00000000-0000-4000-8000-00000000000{i}"
        variant["credentialSubject"]["id"] = f"did:example:learner-{i}"
        variants.append(variant)
    # the same achievement under another active context: a different expansion entry
    moved = copy.deepcopy(variants[0])
    moved["@context"] = [*moved["@context"], {"extraTerm": "https://example.com/extra"}]
    moved["extraTerm"] = "x"
    variants.append(moved)
    fresh = [_canon.canonical_nquads(v, loader) for v in variants]
    with _canon.without_templates(), _canon.remembering_subtrees():  # templates aside
        remembered = [_canon.canonical_nquads(v, loader) for v in variants]
        memo = _canon._SUBTREES.get()
        assert memo  # something was remembered
        again = [_canon.canonical_nquads(v, mj.DocumentLoader()) for v in variants]
    assert remembered == fresh == again
    assert _canon._SUBTREES.get() is None  # only inside the block


_LOSS_KEYS = st.sampled_from([
    "@id", "@type", "@value", "@language", "@graph", "@list", "https://x.example/p",
    "urn:mcbadge:undefined-term:name", "relative", "_:b0", "http://a.example/b c",
    "https://x.example/q\u3000"])
_LOSS_LEAF = st.one_of(st.sampled_from([
    "https://x.example/a", "rel/x", "_:b1", "@json", "urn:mcbadge:undefined-term:T",
    "https://x.example/a b", "", "#f"]), st.integers(), st.none())
_EXPANDED = st.recursive(_LOSS_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_LOSS_KEYS, inner, max_size=4)),
    max_leaves=25)


_CLEAN = {"@id": "https://x.example/a", "@type": ["https://x.example/T"],
          "https://x.example/p": [{"@value": "v"}, {"@id": "https://x.example/b"}]}


@settings(max_examples=1000, deadline=None)
@given(expanded=_EXPANDED)
@example(expanded=[_CLEAN])
@example(expanded=[{**_CLEAN, "@type": ["urn:mcbadge:undefined-term:T"]}])
@example(expanded=[{**_CLEAN, "@type": "rel"}])
@example(expanded=[{**_CLEAN, "@id": "rel"}])
@example(expanded=[{**_CLEAN, "urn:mcbadge:undefined-term:name": [{"@value": "x"}]}])
@example(expanded=[{**_CLEAN, "relative": [{"@value": "x"}]}])
@example(expanded=[{"https://x.example/p": [{"@value": "x", "@type": "rel"}]}])
@example(expanded=[{"https://x.example/p": [{"@list": [{"@id": "_:b0"}, {"@id": "r"}]}]}])
def test_the_quick_loss_test_agrees_with_the_loss_scan(expanded: Any) -> None:
    from mcbadge.jsonld._canon import _find_losses, _loses

    losses: list[str] = []
    _find_losses(expanded, "", losses)
    assert _loses(expanded) == bool(losses)
