"""RDFC-1.0, safe mode and eddsa-rdfc-2022, byte for byte against the W3C and 1EdTech vectors."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcbadge._private.rdfc import canonicalize_quads, escape_literal
from mcbadge.errors import CanonicalizationError, DataLossError, UnknownContextError
from mcbadge.jsonld import DocumentLoader, canonical_nquads
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import ProofOptions, sign, verify_proof
from mcbadge.proofs.eddsa_rdfc_2022 import EddsaRdfc2022
from tests.conftest import DATA, SPEC, VALIDATOR, load_json

V = DATA / "vectors"
W3C_LOADER = DocumentLoader(
    extra_contexts={
        "https://www.w3.org/ns/credentials/examples/v2": V / "contexts/credentials-examples-v2.jsonld",
        "https://w3id.org/citizenship/v4rc1": V / "contexts/citizenship-v4rc1.jsonld",
    }
)
W3C_KEY = Ed25519Key.from_multikey(load_json(V / "common/keyPair.json"))
SUITE = EddsaRdfc2022()


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


W3C_CASES = [
    ("common/unsigned.json", "eddsa-rdfc-2022"),
    ("common/employmentAuth.json", "eddsa-rdfc-2022/employ"),
]


@pytest.mark.parametrize(("doc", "folder"), W3C_CASES)
def test_w3c_vectors_reproduce_byte_for_byte(doc: str, folder: str) -> None:
    unsigned = load_json(V / doc)
    config = load_json(V / folder / "proofConfigDataInt.json")
    canon = canonical_nquads(unsigned, W3C_LOADER)
    assert canon == read(V / folder / "canonDocDataInt.txt")
    assert canonical_nquads(config, W3C_LOADER) == read(V / folder / "proofCanonDataInt.txt")
    assert hashlib.sha256(canon.encode()).hexdigest() == read(V / folder / "docHashDataInt.txt").strip()
    data = SUITE.hash_data(unsigned, config, W3C_LOADER)
    assert data.hex() == read(V / folder / "combinedHashDataInt.txt").strip()
    assert W3C_KEY.sign(data).hex() == read(V / folder / "sigHexDataInt.txt").strip()
    signed = sign(unsigned, W3C_KEY, created=config["created"], loader=W3C_LOADER)
    assert signed["proof"]["proofValue"] == read(V / folder / "sigBTC58DataInt.txt").strip()
    assert signed == load_json(V / folder / "signedDataInt.json")
    assert verify_proof(signed, signed["proof"], loader=W3C_LOADER).verified


@pytest.mark.parametrize("name", ["ob-v3p0-test-vector", "clr-v2p0-test-vector"])
def test_1edtech_vectors_reproduce_byte_for_byte(name: str) -> None:
    folder = SPEC / name
    key = Ed25519Key.from_multikey(load_json(folder / "key.json"))
    unsigned = load_json(folder / "credential.json")
    options = load_json(folder / "proof-options.json")
    expected = load_json(folder / "expected.json")
    loader = DocumentLoader()
    assert canonical_nquads(unsigned, loader) == read(folder / "document-canon.nq")
    config = SUITE.proof_config(unsigned, **{k: v for k, v in options.items() if k not in ("type", "cryptosuite")})
    assert canonical_nquads(config, loader) == read(folder / "proof-canon.nq")
    data = SUITE.hash_data(unsigned, config)
    assert data.hex() == expected["dataToSignHex"]
    assert key.sign(data).hex() == expected["signatureHex"]
    proof = SUITE.create_proof(
        unsigned, key,
        ProofOptions(created=options["created"], verification_method=options["verificationMethod"]),
    )
    assert proof["proofValue"] == expected["proofValue"]
    signed = load_json(folder / "credential.signed.json")
    published = signed["proof"][0] if isinstance(signed["proof"], list) else signed["proof"]
    assert published == proof

    def resolve(vm: str) -> Ed25519Key:
        assert vm == options["verificationMethod"]
        return Ed25519Key.from_public_multibase(vm.split("#")[1])

    assert verify_proof(signed, published, resolve).verified


@pytest.mark.parametrize(
    ("name", "verified"),
    [
        ("ob30/simple.json", True),
        ("ob30/complete.json", True),
        ("ob30/simple-did-key-method.json", True),
        ("ob30/simple-context-version.json", True),
        ("ob30/endorsement-valid.json", True),
        ("ob30/bit-string-list/credential-status-revoked.json", True),
        ("clr20/simple.json", True),
        ("ob30/simple-err-proof-value.json", False),
        ("ob30/simple-err-expired.json", True),  # the signature is fine; it is just expired
    ],
)
def test_validator_fixtures_verify_as_the_official_validator_says(name: str, verified: bool) -> None:
    doc = load_json(VALIDATOR / name)
    proofs = doc["proof"] if isinstance(doc["proof"], list) else [doc["proof"]]
    proof = next(p for p in proofs if p.get("cryptosuite") == "eddsa-rdfc-2022")

    def resolve(vm: str) -> Ed25519Key:
        return Ed25519Key.from_public_multibase(vm.split("#")[-1].split(":")[-1])

    assert verify_proof(doc, proof, resolve).verified is verified


# ------------------------------------------------------------------ escaping


def test_control_characters_are_escaped_as_rdfc_requires() -> None:
    assert escape_literal("a\x00b\x01\x08\t\n\x0b\x0c\r\x1f\x7f\"\\é🎓") == (
        'a\\u0000b\\u0001\\b\\t\\n\\u000B\\f\\r\\u001F\\u007F\\"\\\\é🎓'
    )


def test_control_characters_in_a_credential_reach_the_canonical_form_escaped() -> None:
    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.json")
    doc["name"] = "bell\x07 backspace\x08 formfeed\x0c del\x7f"
    canon = canonical_nquads(doc, DocumentLoader())
    assert '"bell\\u0007 backspace\\b formfeed\\f del\\u007F"' in canon
    assert all(ch not in canon for ch in "\x07\x08\x0c\x7f")


def test_escaping_changes_blank_node_labels_consistently() -> None:
    # two blank nodes told apart only by a control character in a literal
    quads = [
        (("blank node", "_:x"), "urn:p", ("literal", "a\x01", None, None), None),
        (("blank node", "_:y"), "urn:p", ("literal", "a\x02", None, None), None),
        (("IRI", "urn:s"), "urn:q", ("blank node", "_:x", None, None), None),
        (("IRI", "urn:s"), "urn:q", ("blank node", "_:y", None, None), None),
    ]
    out = canonicalize_quads(quads)
    assert out.count("_:c14n0") == 2
    assert "\\u0001" in out and "\\u0002" in out


# ------------------------------------------------------------------ bounds


def _clique(n: int) -> list[Any]:
    # every blank node linked to every other with the same predicate: maximally symmetric
    return [
        (("blank node", f"_:n{i}"), "urn:p", ("blank node", f"_:n{j}", None, None), None)
        for i in range(n) for j in range(n) if i != j
    ]


def test_poison_graph_is_refused_quickly_not_hung() -> None:
    with pytest.raises(CanonicalizationError, match="too"):
        canonicalize_quads(_clique(10))


def test_small_symmetric_graph_canonicalizes() -> None:
    out = canonicalize_quads(_clique(3))
    assert sorted({line.split()[0] for line in out.splitlines()}) == ["_:c14n0", "_:c14n1", "_:c14n2"]


def test_too_many_blank_nodes_are_refused() -> None:
    quads = [(("blank node", f"_:b{i}"), "urn:p", ("literal", str(i), None, None), None)
             for i in range(5000)]
    with pytest.raises(CanonicalizationError, match="blank nodes"):
        canonicalize_quads(quads)


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(6))), st.lists(st.text(max_size=4), min_size=6, max_size=6))
def test_canonical_form_does_not_depend_on_blank_node_names(order: list[int], values: list[str]) -> None:
    def quads(names: list[str]) -> list[Any]:
        out = [(("blank node", names[i]), "urn:v", ("literal", values[i], None, None), None) for i in range(6)]
        out += [(("blank node", names[i]), "urn:next", ("blank node", names[(i + 1) % 6], None, None), None)
                for i in range(6)]
        return out

    a = canonicalize_quads(quads([f"_:a{i}" for i in range(6)]))
    renamed = [f"_:z{order[i]}" for i in range(6)]
    assert canonicalize_quads(quads(renamed)) == a


# ------------------------------------------------------------------ safe mode


def _ob() -> dict[str, Any]:
    return load_json(SPEC / "ob-v3p0-test-vector/credential.json")


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["credentialSubject"].__setitem__("favouriteColour", "teal"), "favouriteColour"),
        (lambda d: d.__setitem__("undefinedTopLevel", 1), "undefinedTopLevel"),
        (lambda d: d.__setitem__("id", "relative/credential"), "relative IRI"),
        (lambda d: d["issuer"].__setitem__("type", ["Profile", "NotDefined"]), "NotDefined"),
    ],
)
def test_data_loss_is_an_error_when_signing_and_verifying(mutate: Any, where: str) -> None:
    doc = _ob()
    mutate(doc)
    with pytest.raises(DataLossError, match=where) as info:
        sign(doc, Ed25519Key.generate())
    assert info.value.code == "DATA_LOSS_DETECTION_ERROR"
    # a proof made over the clean document does not survive the added term either
    key = Ed25519Key.generate()
    signed = sign(_ob(), key)
    mutate(signed)
    result = verify_proof(signed, signed["proof"])
    assert not result.verified
    assert result.problem == "DATA_LOSS_DETECTION_ERROR"


def test_unknown_context_is_reported_not_fetched() -> None:
    doc = _ob()
    doc["@context"].append("https://issuer.example/ext/v1")
    with pytest.raises(UnknownContextError, match="ext/v1"):
        sign(doc, Ed25519Key.generate())


def test_registered_extension_context_signs_and_verifies() -> None:
    url = "https://issuer.example/ext/v1"
    loader = DocumentLoader(extra_contexts={url: {"@context": {"favouriteColour": "https://issuer.example/ext#fc"}}})
    doc = _ob()
    doc["@context"].append(url)
    doc["favouriteColour"] = "teal"
    key = Ed25519Key.generate()
    signed = sign(doc, key, loader=loader)
    assert verify_proof(signed, signed["proof"], loader=loader).verified
    tampered = copy.deepcopy(signed)
    tampered["favouriteColour"] = "red"
    assert verify_proof(tampered, tampered["proof"], loader=loader).problem == "INVALID_SIGNATURE"


def test_rdfc_is_the_default_suite_and_signs_ob3_credentials() -> None:
    key = Ed25519Key.generate()
    doc = _ob()
    signed = sign(doc, key)
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert "@context" not in signed["proof"]
    assert verify_proof(signed, signed["proof"]).verified
    assert json.loads(json.dumps(signed)) == signed


@pytest.mark.parametrize(
    "config",
    [
        {"created": "2023-02-24T23:36:38Z"},
        {"created": "2023-02-24T23:36:38.123+05:30"},
        {"verificationMethod": "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"},
        {"verificationMethod": "did:web:example.com%3A8443:issuers:1#key-1"},
        {"proofPurpose": "authentication"},
        {"created": "not a date"},  # full path: not template-safe
        {"verificationMethod": "has space"},  # full path (and a relative IRI: data loss)
        {"expires": "2030-01-01T00:00:00Z"},  # extra member: full path
        {"@context": ["https://www.w3.org/ns/credentials/v2"]},
    ],
)
def test_proof_config_template_equals_the_full_canonicalization(config: dict[str, Any]) -> None:
    base = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2010-01-01T19:23:24Z",
        "verificationMethod": "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "proofPurpose": "assertionMethod",
        **config,
    }
    loader = DocumentLoader()
    try:
        full = canonical_nquads(base, loader)
    except DataLossError:
        with pytest.raises(DataLossError):
            EddsaRdfc2022().canonicalize(base, loader)
        return
    suite = EddsaRdfc2022()
    assert suite.canonicalize(base, loader).decode() == full
    assert suite.canonicalize(base, loader).decode() == full  # from the cached template


def test_data_loss_paths_use_the_documents_own_names() -> None:
    doc = _ob()
    doc["credentialSubject"]["favouriteColour"] = "teal"
    doc["issuer"]["type"] = ["Profile", "Nope"]
    with pytest.raises(DataLossError) as info:
        canonical_nquads(doc, DocumentLoader())
    assert info.value.paths == (
        "/credentialSubject/favouriteColour (undefined term)",
        "/issuer (undefined type 'Nope')",
    )



def test_a_blank_node_pointing_at_itself() -> None:
    """The form of a quad whose subject and object are one blank node marks both places
    (it once left a raw mark in the output). Expected: rdf-canonize 4.x, the peer's."""
    quads: list[Any] = [
        (("blank node", "_:a"), "https://ex.org/p", ("blank node", "_:a", None, None), None),
        (("blank node", "_:b"), "https://ex.org/q", ("blank node", "_:a", None, None), None)]
    assert canonicalize_quads(quads) == ("_:c14n0 <https://ex.org/p> _:c14n0 .\n"
                                         "_:c14n1 <https://ex.org/q> _:c14n0 .\n")


_NODES = st.sampled_from(["_:a", "_:b", "_:c", "https://ex.org/n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NODES, st.sampled_from(["https://ex.org/p", "https://ex.org/q"]),
                          _NODES | st.text("xyz AB", max_size=3)), min_size=1, max_size=7),
       st.permutations(["_:a", "_:b", "_:c"]), st.randoms())
def test_blank_node_graphs_canonicalize_whatever_the_names_and_order(
        edges: list[Any], names: list[str], rnd: Any) -> None:
    """Small graphs of blank nodes (self loops, cycles, shared objects): the canonical
    N-Quads hold no mark of the forms and do not change when the blank nodes are renamed
    and the quads shuffled."""
    xsd = "http://www.w3.org/2001/XMLSchema#string"
    rename = dict(zip(["_:a", "_:b", "_:c"], names, strict=True))

    def quads(mapping: dict[str, str]) -> list[Any]:
        out = []
        for s, p, o in edges:
            subject = ("blank node", mapping[s]) if s.startswith("_:") else ("IRI", s)
            if o in ("_:a", "_:b", "_:c"):
                obj: Any = ("blank node", mapping[o], None, None)
            elif o == "https://ex.org/n":
                obj = ("IRI", o, None, None)
            else:
                obj = ("literal", o, xsd, None)
            out.append((subject, p, obj, None))
        return out

    ours = canonicalize_quads(quads({k: k for k in rename}))
    shuffled = quads(rename)
    rnd.shuffle(shuffled)
    assert "\x00" not in ours
    assert canonicalize_quads(shuffled) == ours
