"""Validation against the bundled official 1EdTech JSON Schemas."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from mcbadge.errors import SchemaNotFoundError
from mcbadge.models import SCHEMA_IDS, validate_schema
from mcbadge.models import schema as schema_module
from tests.conftest import SPEC, VALIDATOR, load_json

OB_FORMAL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
OB_JSONLD = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json"

CONFORMING = [
    SPEC / "ob-v3p0-test-vector/credential.signed.json",
    SPEC / "spec-examples/basic-openbadgecredential.json",
    SPEC / "spec-examples/complete-openbadgecredential.json",
    SPEC / "spec-examples/endorsement-credential.json",
    SPEC / "spec-examples/api-getprofile-response-profile.json",
    SPEC / "clr-v2p0-test-vector/credential.signed.json",
    VALIDATOR / "ob30/simple.json",
    VALIDATOR / "ob30/complete.json",
    VALIDATOR / "ob30/simple_v1.json",
    VALIDATOR / "ob30/endorsement-valid.json",
    VALIDATOR / "ob30/simple-multiple-proofs.json",
]

# validator fixtures that break the schema, and a pointer the error must name
NONCONFORMING = {
    "ob30/simple-err-credential-subject-type.json": "/credentialSubject/type",
    "ob30/simple-err-issuer-type.json": "/issuer",
    "ob30/simple-err-evidence-type.json": "/evidence/1",
    "ob30/simple-err-credential-subject-identifier-type.json": "/credentialSubject/identifier/0",
    "ob30/simple-err-issuer.json": "",
    "ob30/simple-err-context.json": "",
    "ob30/simple-noproof.json": "/credentialSubject",
}


@pytest.mark.parametrize("path", CONFORMING, ids=lambda p: p.name)
def test_conforming_documents_have_no_errors(path: Path) -> None:
    assert validate_schema(load_json(path)) == []


@pytest.mark.parametrize("name", sorted(NONCONFORMING))
def test_nonconforming_fixture_is_reported_with_a_pointer(name: str) -> None:
    errors = validate_schema(load_json(VALIDATOR / name))
    assert errors, name
    want = NONCONFORMING[name]
    assert any(e.pointer.startswith(want) for e in errors), errors
    assert all(len(e.message) <= 300 for e in errors)


def test_missing_required_member_is_named() -> None:
    doc = load_json(VALIDATOR / "ob30/simple.json")
    del doc["issuer"]
    (error,) = validate_schema(doc)
    assert error.pointer == ""
    assert "'issuer' is a required property" in error.message


def test_single_proof_object_is_accepted_like_an_array() -> None:
    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.signed.json")
    assert isinstance(doc["proof"], dict)
    assert validate_schema(doc) == []
    # the formal schema itself rejects it: the adaptation is ours, and deliberate
    validator = schema_module._validator(OB_FORMAL)
    assert not validator.is_valid(doc)
    assert validator.is_valid({**doc, "proof": [doc["proof"]]})


def test_proof_adaptation_does_not_hide_a_bad_proof() -> None:
    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.signed.json")
    doc["proof"] = {"created": "2020-01-01T00:00:00Z"}  # no type
    errors = validate_schema(doc)
    assert any(e.pointer.startswith("/proof") and "'type'" in e.message for e in errors)


def test_vc11_dates_are_reported_where_they_are_written() -> None:
    doc = load_json(VALIDATOR / "ob30/simple_v1.json")
    doc["issuanceDate"] = "2020-01-01T00:00:00"  # no offset
    errors = validate_schema(doc)
    assert [e.pointer for e in errors] == ["/issuanceDate"]
    assert "no time zone" in errors[0].message


def test_date_time_format_is_checked() -> None:
    doc = load_json(VALIDATOR / "ob30/simple.json")
    doc["validFrom"] = "last tuesday"
    (error,) = validate_schema(doc)
    assert error.pointer == "/validFrom"


def test_explicit_schema_id_and_both_folders() -> None:
    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.signed.json")
    assert OB_FORMAL in SCHEMA_IDS and OB_JSONLD in SCHEMA_IDS
    assert validate_schema(doc, OB_JSONLD) == []
    assert validate_schema(doc, OB_FORMAL) == []
    with pytest.raises(SchemaNotFoundError, match="no bundled schema"):
        validate_schema(doc, "https://example.com/schema.json")


def test_unknown_document_type_needs_a_schema_id() -> None:
    with pytest.raises(SchemaNotFoundError, match="pass schema_id"):
        validate_schema({"type": ["VerifiableCredential", "Other"]})


def test_non_object_is_an_error_not_an_exception() -> None:
    (error,) = validate_schema([])  # type: ignore[arg-type]
    assert error.pointer == ""


def test_validators_are_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_module, "_RESIDUALS", type(schema_module._RESIDUALS)())
    monkeypatch.setattr(schema_module, "_SIGHTINGS", type(schema_module._SIGHTINGS)())
    schema_module._validator.cache_clear()
    doc = load_json(VALIDATOR / "ob30/simple.json")
    for _ in range(5):
        validate_schema(copy.deepcopy(doc))
    info = schema_module._validator.cache_info()
    # built once; from the shape's second sighting on, its residual decides (no validator)
    assert info.misses == 1 and info.hits <= 4


def test_input_is_not_modified() -> None:
    doc = load_json(SPEC / "ob-v3p0-test-vector/credential.signed.json")
    before = json.dumps(doc)
    validate_schema(doc)
    assert json.dumps(doc) == before


@pytest.mark.parametrize(("where", "value", "pointer", "says"), [
    # the issue's case: the Profile branch is the one meant, not the string (IRI) branch
    (("issuer", "image"), "https://x.example/i.png", "/issuer/image", "not of type 'object'"),
    (("issuer", "image"), {"id": 5, "type": "Image"}, "/issuer/image/id", "not of type 'string'"),
    (("credentialSubject", "achievement", "image"), {"type": "Image"},
     "/credentialSubject/achievement/image", "'id' is a required property"),
    (("issuer", "name"), 7, "/issuer/name", "not of type 'string'"),
])
def test_schema_errors_name_the_deepest_field(
    where: tuple[str, ...], value: object, pointer: str, says: str
) -> None:
    doc = load_json(VALIDATOR / "ob30/simple.json")
    doc["issuer"] = {"id": doc["issuer"] if isinstance(doc["issuer"], str) else
                     doc["issuer"]["id"], "type": ["Profile"], "name": "X"}
    doc["credentialSubject"]["achievement"].setdefault("id", "urn:uuid:a")
    node = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    errors = validate_schema(doc)
    assert [e.pointer for e in errors] == [pointer], errors
    assert says in errors[0].message


def test_a_value_matching_no_branch_type_keeps_the_any_of_message() -> None:
    doc = load_json(VALIDATOR / "ob30/simple.json")
    doc["issuer"] = 5
    (error,) = validate_schema(doc)
    assert error.pointer == "/issuer"
    assert "not valid under any of the given schemas" in error.message
