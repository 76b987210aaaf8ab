"""RFC 8785 JCS and the eddsa-jcs-2022 suite, byte for byte against the W3C vectors."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcbadge._private.jcs import canonicalize
from mcbadge.errors import CanonicalizationError
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import ProofOptions, sign, verify_proof
from mcbadge.proofs.eddsa_jcs_2022 import EddsaJcs2022
from tests.conftest import DATA, load_json

V = DATA / "vectors"
KEY = Ed25519Key.from_multikey(load_json(V / "common/keyPair.json"))
UNSIGNED = load_json(V / "common/unsigned.json")
SIGNED = load_json(V / "eddsa-jcs-2022/signedJCS.json")
CONFIG = load_json(V / "eddsa-jcs-2022/proofConfigJCS.json")


def text(name: str) -> str:
    return (V / "eddsa-jcs-2022" / name).read_text().strip()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-1.5, "-1.5"), (1e21, "1e+21"),
        (1e20, "100000000000000000000"), (1e-7, "1e-7"), (1e-6, "0.000001"),
        (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (333333333.3333333, "333333333.3333333"), (1e23, "1e+23"),
        (295147905179352830000.0, "295147905179352830000"), (2**53, "9007199254740992"),
    ],
)
def test_numbers_are_written_as_ecmascript_does(value: float, expected: str) -> None:
    assert canonicalize(value).decode() == expected


def test_keys_sort_by_utf16_code_units_and_strings_escape_like_json_stringify() -> None:
    # U+10000 (surrogate pair D800 DC00) sorts before U+FB33 in UTF-16, after it in UTF-8
    doc = {"\ufb33": 1, "\U00010000": 2, "a": "\u2028\x7f\x01\n\"\\", "": None}
    out = canonicalize(doc).decode()
    assert out == '{"":null,"a":"\u2028\x7f\\u0001\\n\\"\\\\","\U00010000":2,"\ufb33":1}'


@pytest.mark.parametrize("bad", [math.nan, math.inf, 2**60, {"x": "\ud800"}, {1: 2}, object()])
def test_unrepresentable_values_are_refused(bad: Any) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(bad)


finite = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | finite | st.text(alphabet=st.characters(exclude_categories=["Cs"])),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=6), c, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_form_parses_back_to_the_same_value_and_is_stable(value: Any) -> None:
    out = canonicalize(value)
    # JCS writes integral doubles without a fraction: read numbers back as doubles
    again = json.loads(out, parse_int=float)
    assert canonicalize(again) == out
    assert again == value


def test_w3c_vector_canonical_document_and_proof_config() -> None:
    assert canonicalize(UNSIGNED).decode() == text("canonDocJCS.txt")
    assert canonicalize(CONFIG).decode() == text("proofCanonJCS.txt")
    assert hashlib.sha256(canonicalize(UNSIGNED)).hexdigest() == text("docHashJCS.txt")
    assert hashlib.sha256(canonicalize(CONFIG)).hexdigest() == text("proofHashJCS.txt")
    assert EddsaJcs2022().hash_data(UNSIGNED, CONFIG).hex() == text("combinedHashJCS.txt")


def test_w3c_vector_signature_and_signed_document_reproduce() -> None:
    proof = EddsaJcs2022().create_proof(UNSIGNED, KEY, ProofOptions(created=CONFIG["created"]))
    assert proof["proofValue"] == text("sigBTC58JCS.txt")
    signature = KEY.sign(EddsaJcs2022().hash_data(UNSIGNED, CONFIG))
    assert signature.hex() == text("sigHexJCS.txt")
    signed = sign(UNSIGNED, KEY, suite="eddsa-jcs-2022", created=CONFIG["created"])
    assert json.dumps(signed) == json.dumps(SIGNED)


def test_w3c_signed_vector_verifies() -> None:
    result = verify_proof(SIGNED, SIGNED["proof"])
    assert result.verified, result


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d.__setitem__("name", "Forged"), "INVALID_SIGNATURE"),
        (lambda d: d["credentialSubject"].__setitem__("extra", 1), "INVALID_SIGNATURE"),
        (lambda d: d["proof"].__setitem__("created", "2024-01-01T00:00:00Z"), "INVALID_SIGNATURE"),
        (lambda d: d["proof"].__setitem__("proofValue", "z" + "1" * 80), "INVALID_SIGNATURE"),
        (lambda d: d["proof"].__setitem__("proofValue", "not-multibase"), "INVALID_SIGNATURE"),
        (lambda d: d["proof"].__setitem__("cryptosuite", "eddsa-2019"), "PROOF_VERIFICATION_ERROR"),
        (lambda d: d.__setitem__("@context", d["@context"][:1]), "PROOF_VERIFICATION_ERROR"),
        (lambda d: d["proof"].__setitem__(
            "verificationMethod", Ed25519Key.generate().verification_method), "INVALID_SIGNATURE"),
        (lambda d: d["proof"].__setitem__("verificationMethod", "did:web:example.com#k"), "KEY_FORMAT_ERROR"),
    ],
)
def test_tampering_fails_with_a_problem_code(mutate: Any, problem: str) -> None:
    doc = copy.deepcopy(SIGNED)
    mutate(doc)
    result = verify_proof(doc, doc["proof"])
    assert not result.verified
    assert result.problem == problem


def test_sign_adds_to_an_existing_proof_making_a_set() -> None:
    other = Ed25519Key.generate()
    both = sign(SIGNED, other, suite="eddsa-jcs-2022")
    assert isinstance(both["proof"], list)
    assert len(both["proof"]) == 2
    for proof in both["proof"]:
        assert verify_proof(both, proof).verified


def test_signed_ob3_credential_with_awkward_strings_verifies() -> None:
    from tests.test_models_build import _credential

    doc = _credential(description="tab\tcr\r\nctl\x01\x7f emoji 🎓 combining e\u0301").to_dict()
    signed = sign(doc, Ed25519Key.generate(), suite="eddsa-jcs-2022")
    assert verify_proof(signed, signed["proof"]).verified


_TEXT = st.text(st.characters(codec="utf-8") | st.sampled_from("\x00\x1f\x7f\u2028\ue000\U0001f393"))
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _TEXT
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
@settings(max_examples=300, deadline=None)
def test_fast_path_writes_what_the_general_encoder_writes(value: Any) -> None:
    from mcbadge._private import jcs

    out: list[str] = []
    jcs._encode(value, out)
    assert canonicalize(value) == "".join(out).encode("utf-8")


def test_keys_beyond_the_bmp_sort_by_utf16_even_on_the_fast_path() -> None:
    # U+E000 sorts after U+1F393 by code point but before it by UTF-16 code unit
    value = {"\U0001f393": 1, "\ue000": 2}
    assert canonicalize(value) == '{"\U0001f393":1,"\ue000":2}'.encode()


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=3) | st.sampled_from(["\U0001f600", "\uffff", "id"]),
                       json_values | st.integers() | st.just([[[[[]]]]]), max_size=5))
def test_the_plain_test_of_a_shape_is_the_plain_test_of_its_documents(value: Any) -> None:
    from mcbadge._private.jcs import _plain
    from mcbadge.jsonld._templates import _jcs_plain, jcs_plain, shape_of

    shape = shape_of(value)
    assert shape is not None
    _jcs_plain.clear()
    assert jcs_plain(shape.key) == _plain(value)
    assert jcs_plain(shape.key) == _plain(value)  # remembered


def test_a_deep_document_is_not_plain_by_its_shape() -> None:
    from mcbadge._private.jcs import _plain
    from mcbadge.jsonld._templates import jcs_plain, shape_of

    for levels in (99, 100, 101, 102):
        deep: Any = {}
        for _ in range(levels):
            deep = {"a": deep}
        shape = shape_of(deep)
        assert shape is not None and jcs_plain(shape.key) == _plain(deep), levels


@pytest.mark.parametrize("extra", [{}, {"score": 1.5}, {"count": 2**53},
                                   {"\U0001f600": "x", "\uffff": "y"}])
def test_jcs_badges_verify_alike_through_the_shape_of_a_run(extra: dict[str, Any]) -> None:
    from mcbadge.verification import verify
    from tests.issuers import NOW, Issuer, offline

    issuer = Issuer()
    signed = issuer.sign(issuer.credential(**extra), suite="eddsa-jcs-2022")
    fetcher = offline(issuer.documents())

    def signature_check(doc: dict[str, Any]) -> str:
        checks = verify(doc, now=NOW, fetcher=fetcher).checks
        return next(c.outcome for c in checks if c.id == "valid_signature")

    for _ in range(2):  # the second: a shape met before
        assert signature_check(signed) == "passed"
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Another"
    assert signature_check(tampered) == "failed"


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=3) | st.sampled_from(["\U0001f600", "\uffff", "id",
                                                               "type", "@context", "b"]),
                       json_values | st.integers() | st.just([[[[[]]]]])
                       | st.sampled_from(["\ud800", "x\x00\"\\\u2028", 2**53 + 1, 1.5]),
                       max_size=6))
def test_jcs_written_from_a_shape_is_what_the_encoder_writes(value: Any) -> None:
    from mcbadge.errors import CanonicalizationError
    from mcbadge.jsonld._templates import _jcs_forms, jcs_of, jcs_plain, marked, shape_of

    shape = shape_of(value)
    assert shape is not None
    try:
        expected: bytes | str = canonicalize(value)
    except CanonicalizationError as exc:
        expected = exc.message
    for _ in range(2):  # built, then remembered
        try:
            found: bytes | str | None = jcs_of(shape)
        except CanonicalizationError as exc:
            found = exc.message
        if not jcs_plain(shape.key):
            assert found is None
        else:
            assert found == expected
    # a document of the same shape with other leaves: the remembered form, its own leaves
    other = marked(value, lambda at: f"leaf {at} \u00e9\n", [])
    other_shape = shape_of(other)
    assert other_shape is not None and other_shape.key == shape.key
    if jcs_plain(shape.key):
        outcomes = []
        for write in (lambda: jcs_of(other_shape), lambda: canonicalize(other)):
            try:
                outcomes.append(write())
            except CanonicalizationError as exc:
                outcomes.append(exc.message)
        assert outcomes[0] == outcomes[1]
    _jcs_forms.clear()


def test_jcs_from_a_shape_puts_each_leaf_where_the_sorted_members_put_it() -> None:
    from mcbadge.jsonld._templates import jcs_of, shape_of

    value = {"z": "1", "a": ["2", {"y": "3", "b": "4"}, 5], "m": {"k": "6"}, "type": "T"}
    shape = shape_of(value)
    assert shape is not None
    assert jcs_of(shape) == canonicalize(value)
    # same shape, other leaves
    again = {"z": "one", "a": ["two", {"y": "three", "b": "four"}, 5], "m": {"k": "six"},
             "type": "T"}
    shape2 = shape_of(again)
    assert shape2 is not None and shape2.key is shape.key
    assert jcs_of(shape2) == canonicalize(again)


@settings(max_examples=300, deadline=None)
@given(outer=st.dictionaries(st.text(max_size=3) | st.sampled_from(["a", "b", "\U0001f600"]),
                             json_values, max_size=4),
       inner=st.dictionaries(st.text(max_size=3), json_values | st.just(1.5), max_size=4),
       subtree=st.dictionaries(st.text(max_size=3) | st.just("\U0001f393"),
                               json_values | st.just(2**60) | st.just("\ud800"), max_size=5))
def test_a_shared_subtree_written_once_is_the_whole_written(
        outer: dict[str, Any], inner: dict[str, Any], subtree: dict[str, Any]) -> None:
    from mcbadge._private.splice import sharing, written
    from mcbadge.errors import CanonicalizationError

    doc = {**outer, "s": {**inner, "t": subtree}}

    def text(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def outcome(write: Any) -> Any:
        try:
            return write()
        except CanonicalizationError as exc:
            return exc.message

    whole = (outcome(lambda: canonicalize(doc)), text(doc))
    with sharing(("s", "t"), subtree):
        for _ in range(2):  # the subtree's text written, then remembered
            assert outcome(lambda: canonicalize(doc)) == whole[0]
            assert written(doc, text) == whole[1]
        # an equal subtree that is not the shared object, or another path: written whole
        other = {**outer, "s": {**inner, "t": dict(subtree)}}
        assert written(other, text) is None and outcome(lambda: canonicalize(other)) == \
            outcome(lambda: canonicalize(doc))
        assert written({"s": subtree}, text) is None


def test_bulk_signing_writes_what_signing_one_writes() -> None:
    import mcbadge.issuing._bulk as bulk
    from mcbadge._private.splice import sharing, written
    from mcbadge.issuing._build import CredentialTemplate, Recipient
    from mcbadge.keys import Ed25519Key
    from mcbadge.proofs import sign
    from tests.issuers import Issuer

    achievement = Issuer().credential()["credentialSubject"]["achievement"]
    template = CredentialTemplate({"id": "did:example:issuer", "type": ["Profile"]},
                                  achievement)
    key = Ed25519Key.generate()
    doc = template.build(credential_id="urn:uuid:1", recipient=Recipient.parse(
        "ada@example.edu"), name="Ada", statuses=[],
                         valid_from="2026-01-01T00:00:00Z", share=True)
    for suite in ("eddsa-jcs-2022", "eddsa-rdfc-2022"):
        alone = sign(doc, key, suite=suite, created="2026-01-01T00:00:00Z",
                     verification_method="did:example:issuer#key-1")
        with sharing(bulk._ACHIEVEMENT, achievement):
            shared = sign(doc, key, suite=suite, created="2026-01-01T00:00:00Z",
                          verification_method="did:example:issuer#key-1")
            text = written(shared, bulk._json_text)
        assert shared == alone  # Ed25519 is deterministic: the same bytes were signed
        assert text == json.dumps(alone, ensure_ascii=False)
