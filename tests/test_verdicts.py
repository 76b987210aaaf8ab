"""Nobody can forge a verdict: JSON rewrites that keep a signed badge's graph (so its proof
still verifies) never turn a failing verdict into ``verified: true``.

The named attacks come first; then a hypothesis generator of graph-preserving rewrites
(term <-> full IRI, compact IRIs, aliases, @nest, @included, @set wrappers, value objects,
arrays vs single values, keyword keys) applied to revoked, expired and not-yet-valid badges
in every suite.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mcbadge
from mcbadge.jsonld import default_document_loader
from mcbadge.jsonld._canon import expansion, remembering_expansions
from mcbadge.verification import VerificationResult
from tests.issuers import NOW, Issuer, offline

ISSUER = Issuer()
VC = "https://www.w3.org/2018/credentials#"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
EVIDENCE = [{"id": "https://evidence.example/report", "type": ["Evidence"],
             "name": "Lesson video"}]


def _revoked_documents() -> dict[str, Any]:
    ISSUER.bits.set(5, 1)
    try:
        return ISSUER.documents()
    finally:
        ISSUER.bits.set(5, 0)


REVOKED_DOCS = _revoked_documents()


def verify(doc: Any, docs: dict[str, Any] | None = None) -> VerificationResult:
    return mcbadge.verify(doc, now=NOW, fetcher=offline(docs or REVOKED_DOCS))


def bases(suite: str) -> dict[str, dict[str, Any]]:
    """Signed badges that must fail: revoked (index 5 is set), expired, not yet valid."""
    return {
        "revoked": ISSUER.sign(ISSUER.credential(credentialStatus=ISSUER.status_entry(5),
                                                 evidence=EVIDENCE), suite),
        "expired": ISSUER.sign(ISSUER.credential(validUntil="2026-06-01T00:00:00Z"), suite),
        "not yet valid": ISSUER.sign(ISSUER.credential(validFrom="2027-06-01T00:00:00Z"), suite),
    }


RDFC = bases("eddsa-rdfc-2022")


def test_the_bases_fail_for_the_right_reason() -> None:
    assert verify(RDFC["revoked"]).problems == ["CREDENTIAL_REVOKED"]
    assert verify(RDFC["expired"]).problems == ["CREDENTIAL_EXPIRED"]
    assert verify(RDFC["not yet valid"]).problems == ["CREDENTIAL_NOT_YET_VALID"]
    fresh = ISSUER.sign(ISSUER.credential(credentialStatus=ISSUER.status_entry(6)))
    assert verify(fresh).verified


def _proof_still_holds(doc: dict[str, Any]) -> bool:
    """Whether the proof alone (no plain-form rule) still verifies: the graph is unchanged."""
    from mcbadge.proofs import verify_proof

    proof = doc["proof"]
    return verify_proof(doc, proof, lambda _vm: ISSUER.key).verified


# ------------------------------------------------------------------------ named attacks


def test_nest_hides_the_status_entry() -> None:
    doc = copy.deepcopy(RDFC["revoked"])
    doc["@nest"] = {"credentialStatus": doc.pop("credentialStatus")}
    result = verify(doc)
    assert not result.verified
    assert result.check("context").problem == "JSON_LD_FORM_ERROR"  # type: ignore[union-attr]


def test_an_appended_nest_alias_hides_validuntil() -> None:
    doc = copy.deepcopy(RDFC["expired"])
    doc["@context"] = [*doc["@context"], {"meta": "@nest"}]
    doc["meta"] = {"validUntil": doc.pop("validUntil")}
    result = verify(doc)
    assert not result.verified
    assert result.check("context").problem == "INVALID_CONTEXT"  # type: ignore[union-attr]
    assert "keyword" in result.check("context").message  # type: ignore[union-attr]


def test_included_moves_the_status_to_a_second_description() -> None:
    doc = copy.deepcopy(RDFC["revoked"])
    doc["@included"] = [{"id": doc["id"], "type": doc["type"],
                         "credentialStatus": doc.pop("credentialStatus")}]
    result = verify(doc)
    assert not result.verified
    assert result.check("context").problem == "JSON_LD_FORM_ERROR"  # type: ignore[union-attr]


def test_a_node_described_twice_hides_the_status_even_in_plain_json() -> None:
    # the subject's source is the credential itself, so a second JSON object describes the
    # credential's node; the status moves there (typed VerifiableCredential, which the node
    # already is, so that the term is defined): the graph, and so the proof, are unchanged
    doc = ISSUER.credential(credentialStatus=ISSUER.status_entry(5))
    doc["credentialSubject"]["source"] = {"id": doc["id"], "type": ["Profile"]}
    signed = ISSUER.sign(doc)
    assert verify(signed).problems == ["CREDENTIAL_REVOKED"]
    moved = copy.deepcopy(signed)
    moved["credentialSubject"]["source"] = {
        "id": doc["id"], "type": ["Profile", "VerifiableCredential"],
        "credentialStatus": moved.pop("credentialStatus")}
    assert _proof_still_holds(moved)
    result = verify(moved)
    assert not result.verified
    assert result.check("signed_view").problem == "JSON_LD_FORM_ERROR"  # type: ignore[union-attr]


@pytest.mark.parametrize("member", [("@honors", "summa cum laude"), ("honors", None)])
def test_unsigned_content_is_refused_not_shown(member: tuple[str, Any]) -> None:
    doc = ISSUER.sign(ISSUER.credential())
    key, value = member
    if value is None:  # a term mapped to null in an appended context: dropped, unsigned
        doc["@context"] = [*doc["@context"], {"honors": None}]
        doc["honors"] = "summa cum laude"
    else:
        doc[key] = value
    result = verify(doc)
    assert not result.verified
    assert result.credential is None
    assert result.check("context").problem in (  # type: ignore[union-attr]
        "JSON_LD_FORM_ERROR", "INVALID_CONTEXT")


@pytest.mark.parametrize("space", [" ", "\t", "\n", "\u00a0", "\u3000", "\u2028", "\u0085",
                                   "\ufeff"])
def test_an_id_with_white_space_is_data_loss(space: str) -> None:
    forged = {"id": f"https://evidence.example/forged{space}report", "type": ["Evidence"],
              "name": "Forged report"}
    doc = ISSUER.credential(evidence=[*EVIDENCE, forged])
    with pytest.raises(mcbadge.MCBadgeError):
        ISSUER.sign(doc)  # the signer refuses it too
    signed = ISSUER.sign(ISSUER.credential(evidence=EVIDENCE))
    added = copy.deepcopy(signed)
    added["evidence"].append(forged)
    result = verify(added)
    assert not result.verified
    assert "DATA_LOSS_DETECTION_ERROR" in result.problems, result.problems


def test_jcs_gives_the_same_answer_for_white_space_ids() -> None:
    forged = {"id": "https://evidence.example/forged report", "type": ["Evidence"]}
    signed = mcbadge.proofs.sign(ISSUER.credential(evidence=[forged]), ISSUER.key,
                                 suite="eddsa-jcs-2022", verification_method=ISSUER.method)
    result = verify(signed, ISSUER.documents())
    assert result.check("valid_signature").outcome == "passed"  # type: ignore[union-attr]
    assert result.problems == ["DATA_LOSS_DETECTION_ERROR"]


def test_keyword_keys_and_full_iri_keys_are_refused() -> None:
    for change in (
        lambda d: d.__setitem__("@type", d.pop("type")),
        lambda d: d.__setitem__(VC + "validUntil", {"@value": d.pop("validUntil"),
                                                    "@type": XSD_DATETIME}),
        lambda d: d.__setitem__("cred:validUntil", d.pop("validUntil")),
        lambda d: d.__setitem__("validUntil", {"@set": [d["validUntil"]]}),
    ):
        doc = copy.deepcopy(RDFC["expired"])
        change(doc)
        assert not verify(doc).verified


def test_language_values_keep_working() -> None:
    doc = ISSUER.credential(name={"@value": "Communauté de classe", "@language": "fr"},
                            description={"@value": "مجتمع الفصل", "@language": "ar",
                                         "@direction": "rtl"})
    result = verify(ISSUER.sign(doc), ISSUER.documents())
    # the plain-form rule accepts the VC Data Model 2.0 language form; the 1EdTech schemas
    # allow only strings (or language maps) for names, so OB's schema check objects
    assert [(c.id, c.outcome) for c in result.checks[:4]] == [
        ("parse", "passed"), ("context", "passed"), ("valid_signature", "passed"),
        ("signed_view", "passed")]
    assert result.problems == ["SCHEMA_VALIDATION_FAILED"]


def test_inline_contexts_that_only_add_terms_keep_working() -> None:
    doc = ISSUER.credential(districtCode="PD-411")
    doc["@context"] = [*doc["@context"],
                       {"districtCode": "https://district.example/vocab#districtCode"}]
    assert verify(ISSUER.sign(doc), ISSUER.documents()).verified
    for bad in ({"validUntil": "https://district.example/vocab#validUntil"},
                {"vu": "https://www.w3.org/2018/credentials#validUntil"},
                {"vu": "cred:validUntil"}, {"@vocab": "https://district.example/vocab#"},
                {"x": {"@id": "https://district.example/x", "@context": {}}}):
        doc = ISSUER.credential()
        doc["@context"] = [*doc["@context"], bad]
        assert not verify(doc).verified


def test_iris_are_escaped_as_rdf_canonize_does() -> None:
    from mcbadge._private.rdfc import escape_iri

    assert escape_iri("https://x.example/{a}|b^c`d\\e") == (
        "https://x.example/\\u007Ba\\u007D\\u007Cb\\u005Ec\\u0060d\\u005Ce")
    doc = ISSUER.credential(evidence=[{"id": "https://evidence.example/{id}|^`", "type":
                                       ["Evidence"]}])
    signed = ISSUER.sign(doc)
    assert verify(signed, ISSUER.documents()).verified


def test_the_proof_template_agrees_with_the_full_path_for_line_separators() -> None:
    from mcbadge.jsonld import canonical_nquads
    from mcbadge.proofs import SUITES

    suite = SUITES["eddsa-rdfc-2022"]
    loader = default_document_loader()
    for mark in ("\u2028", "\u2029", "\u0085", "\x1c", "é"):
        config = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                  "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                  "created": "2026-01-01T00:00:00Z", "proofPurpose": "assertionMethod",
                  "verificationMethod": f"did:key:z6Mk{mark}x#k"}
        try:
            full: str | None = canonical_nquads(config, loader)
        except mcbadge.MCBadgeError:
            full = None
        try:
            fast: str | None = suite.canonicalize(config, loader).decode()
        except mcbadge.MCBadgeError:
            fast = None
        assert fast == full, repr(mark)


# ---------------------------------------------------------------- the rewrite generator


def _meaning(doc: dict[str, Any]) -> tuple[Any, Any]:
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    with remembering_expansions():
        found = expansion(unsecured, default_document_loader())
    return found, found.root


def _sites(doc: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, str, Any]]:
    """(path to a JSON object, key, the IRI it expands to, its expanded values) for every
    member of every node object of the unsecured document."""
    found, root = _meaning(doc)
    out: list[tuple[tuple[Any, ...], str, str, Any]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, (*path, i))
            return
        if not isinstance(node, dict):
            return
        meaning = found.meaning(node)
        if meaning is None:
            return
        iris, expanded = meaning
        for key, value in node.items():
            iri = iris.get(key)
            if key == "@context" or not isinstance(iri, str):
                continue
            out.append((path, key, iri, expanded.get(iri)))
            walk(value, (*path, key))

    walk(root, ())
    return out


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


Rewrite = Callable[[dict[str, Any], dict[str, Any], str, str, Any], None]


def _full_iri(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str, exp: Any) -> None:
    if iri.startswith("@"):
        obj[iri] = obj.pop(key)
    elif exp is not None:
        obj.pop(key)
        obj[iri] = exp


def _compact_iri(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str, exp: Any) -> None:
    if iri.startswith("@") or exp is None:
        return
    base, sep, local = iri.rpartition("#") if "#" in iri else iri.rpartition("/")
    doc["@context"] = [*doc["@context"], {"zz": base + sep}]
    obj.pop(key)
    obj[f"zz:{local}"] = exp


def _alias(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str, exp: Any) -> None:
    if exp is None and not iri.startswith("@"):
        return
    doc["@context"] = [*doc["@context"], {"aliased": iri}]
    obj["aliased"] = obj.pop(key) if iri.startswith("@") else exp
    if not iri.startswith("@"):
        obj.pop(key, None)


def _nest(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str, exp: Any) -> None:
    if key in ("id", "type"):
        return
    obj.setdefault("@nest", {})[key] = obj.pop(key)


def _nest_alias(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str, exp: Any) -> None:
    if key in ("id", "type"):
        return
    doc["@context"] = [*doc["@context"], {"meta": "@nest"}]
    obj.setdefault("meta", {})[key] = obj.pop(key)


def _include(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str, exp: Any) -> None:
    node_id = obj.get("id")
    if key in ("id", "type") or not isinstance(node_id, str) or exp is None:
        return
    obj.pop(key)
    doc.setdefault("@included", []).append({"@id": node_id, iri: exp})


def _set_wrapper(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str, exp: Any) -> None:
    if key not in ("id", "type"):
        obj[key] = {"@set": obj[key] if isinstance(obj[key], list) else [obj[key]]}


def _value_object(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str,
                  exp: Any) -> None:
    if isinstance(exp, list) and len(exp) == 1 and "@value" in exp[0]:
        obj[key] = exp[0]


def _array_toggle(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str,
                  exp: Any) -> None:
    value = obj[key]
    if isinstance(value, list) and len(value) == 1:
        obj[key] = value[0]
    elif not isinstance(value, list) and key != "id":
        obj[key] = [value]


def _keyword_key(doc: dict[str, Any], obj: dict[str, Any], key: str, iri: str,
                 exp: Any) -> None:
    if key in ("id", "type"):
        obj["@" + key] = obj.pop(key)


REWRITES: dict[str, Rewrite] = {
    "full IRI": _full_iri, "compact IRI": _compact_iri, "alias": _alias, "@nest": _nest,
    "@nest alias": _nest_alias, "@included": _include, "@set": _set_wrapper,
    "value object": _value_object, "array toggle": _array_toggle, "keyword key": _keyword_key,
}
SITES = {name: _sites(doc) for name, doc in RDFC.items()}


def _apply(doc: dict[str, Any], plan: list[tuple[str, int]], sites: list[Any]) -> bool:
    changed = False
    for name, pick in plan:
        path, key, iri, exp = sites[pick % len(sites)]
        try:
            obj = _at(doc, path)
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(obj, dict) or key not in obj:
            continue
        before = json.dumps(doc, sort_keys=True)
        REWRITES[name](doc, obj, key, iri, copy.deepcopy(exp))
        changed = changed or json.dumps(doc, sort_keys=True) != before
    return changed


PLANS = st.lists(st.tuples(st.sampled_from(sorted(REWRITES)), st.integers(0, 10_000)),
                 min_size=1, max_size=3)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(sorted(RDFC)), plan=PLANS)
def test_no_graph_preserving_rewrite_forges_a_verdict(base: str, plan: list[Any]) -> None:
    doc = copy.deepcopy(RDFC[base])
    _apply(doc, plan, SITES[base])
    result = verify(doc)
    assert not result.verified, (base, plan, json.dumps(doc)[:2000])
    assert "INTERNAL_ERROR" not in result.problems


def test_the_generator_really_preserves_the_graph() -> None:
    # the rewrites are worth something only if many of them keep the proof valid
    kept = 0
    for name in sorted(REWRITES):
        for base, doc in RDFC.items():
            for pick in range(0, len(SITES[base]), 3):
                rewritten = copy.deepcopy(doc)
                if _apply(rewritten, [(name, pick)], SITES[base]) and \
                        _proof_still_holds(rewritten):
                    kept += 1
    assert kept >= 100, kept


@pytest.mark.parametrize("suite", ["eddsa-jcs-2022", "Ed25519Signature2020"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=PLANS)
def test_other_suites_give_no_forged_verdict_either(suite: str, plan: list[Any]) -> None:
    for doc in bases(suite).values():
        rewritten = copy.deepcopy(doc)
        _apply(rewritten, plan, _sites(doc))
        result = verify(rewritten)
        assert not result.verified
        assert "INTERNAL_ERROR" not in result.problems


@settings(max_examples=200, deadline=None)
@given(vm=st.text(alphabet=st.sampled_from([*"az09:/#.-_{}|^`\\<>\" \t\n",
                                           "\u2028", "\u2029", "\u0085", "\x1c", "\x1d",
                                           "\x1e", "\x1f", "\x0b", "\x0c", "\ufeff", "\u00a0",
                                           "é", "😀"]), max_size=20),
       created=st.sampled_from(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5+01:00",
                                "2026-01-01T00:00:00Z\u2028", "2026-13-01T00:00:00Z"]),
       purpose=st.sampled_from(["assertionMethod", "authentication", "x\u2028y"]))
def test_the_proof_template_equals_the_full_path(vm: str, created: str, purpose: str) -> None:
    from mcbadge.jsonld import canonical_nquads
    from mcbadge.proofs import SUITES

    config = {"@context": ["https://www.w3.org/ns/credentials/v2"],
              "type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
              "created": created, "proofPurpose": purpose,
              "verificationMethod": f"did:key:z6Mk{vm}"}
    loader = default_document_loader()
    try:
        full: str | None = canonical_nquads(config, loader)
    except mcbadge.MCBadgeError:
        full = None
    try:
        fast: str | None = SUITES["eddsa-rdfc-2022"].canonicalize(config, loader).decode()
    except mcbadge.MCBadgeError:
        fast = None
    assert fast == full
