"""Every published example parses and writes back exactly; the broken ones are refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcbadge.errors import ModelValidationError
from mcbadge.models import (
    ClrCredential,
    EndorsementCredential,
    OpenBadgeCredential,
    Profile,
    VerifiableCredential,
    parse_credential,
)
from tests.conftest import DATA, SPEC, VALIDATOR, load_json

# Examples that are not well-formed OB 3.0 and must be refused, with where it is wrong.
REFUSED: dict[str, str] = {
    # the spec's HTML example omits the achievement and the issuer's type
    "1edtech-spec/spec-examples/examples-html-openbadgecredential.json": "/issuer",
    # the validator's negative fixtures: each breaks one rule of the data model
    "1edtech-validator/ob30/simple-err-context.json": "/credentialSubject/achievement",
    "1edtech-validator/ob30/simple-err-credential-subject-achievement-result-description-type.json":
        "/credentialSubject/achievement/resultDescription/2/type",
    "1edtech-validator/ob30/simple-err-credential-subject-identifier-type.json":
        "/credentialSubject/identifier/0/type",
    "1edtech-validator/ob30/simple-err-credential-subject-profile-type.json":
        "/credentialSubject/source/type",
    "1edtech-validator/ob30/simple-err-credential-subject-result-type.json":
        "/credentialSubject/result/1/type",
    "1edtech-validator/ob30/simple-err-credential-subject-type.json": "/credentialSubject/type",
    "1edtech-validator/ob30/simple-err-evidence-type.json": "/evidence/1/type",
    "1edtech-validator/ob30/simple-err-issued.json": "/credentialSubject/achievement",
    "1edtech-validator/ob30/simple-err-issuer-otheridentifier-type.json":
        "/issuer/otherIdentifier/1/type",
    "1edtech-validator/ob30/simple-err-issuer-parentorg-type.json": "/issuer/parentOrg/type",
    "1edtech-validator/ob30/simple-err-issuer-type.json": "/issuer/type",
    "1edtech-validator/ob30/simple-err-issuer.json": "/issuer",
    "1edtech-validator/ob30/simple-noproof.json": "/credentialSubject/achievement",
}

NOT_CREDENTIALS = {"expected.json", "key.json", "proof-options.json"}


def _credential_examples() -> list[Path]:
    files = sorted((SPEC).rglob("*.json")) + sorted((VALIDATOR).rglob("*.json"))
    return [
        f for f in files
        if f.name not in NOT_CREDENTIALS and f.name != "api-getprofile-response-profile.json"
    ]


EXAMPLES = _credential_examples()


def _rel(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


def test_the_example_set_is_complete() -> None:
    # guards against silently testing nothing if the data folder moves
    assert len(EXAMPLES) >= 55
    assert set(REFUSED) <= {_rel(p) for p in EXAMPLES}


@pytest.mark.parametrize("path", [p for p in EXAMPLES if _rel(p) not in REFUSED], ids=_rel)
def test_example_round_trips_exactly(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    original = json.loads(text)
    credential = parse_credential(text)
    assert credential.to_dict() == original
    # member order is kept too, so the written JSON reads like the input
    assert json.dumps(credential.to_dict()) == json.dumps(original)
    # and parsing what we wrote gives the same model again
    assert parse_credential(credential.to_json()) == credential


@pytest.mark.parametrize("path", [p for p in EXAMPLES if _rel(p) in REFUSED], ids=_rel)
def test_malformed_example_is_refused_with_a_pointer(path: Path) -> None:
    with pytest.raises(ModelValidationError) as info:
        parse_credential(path.read_bytes())
    pointers = [e.pointer for e in info.value.errors]
    assert any(p.startswith(REFUSED[_rel(path)]) for p in pointers), pointers


@pytest.mark.parametrize(
    ("relpath", "model"),
    [
        ("1edtech-validator/ob30/simple.json", OpenBadgeCredential),
        ("1edtech-validator/ob30/simple-did-key-method.json", OpenBadgeCredential),  # Achievement-
        ("1edtech-validator/ob30/endorsement-valid.json", EndorsementCredential),
        ("1edtech-validator/clr20/simple.json", ClrCredential),
        ("1edtech-validator/ob30/simple-err-type.json", VerifiableCredential),
    ],
)
def test_parse_credential_picks_the_most_specific_model(relpath: str, model: type) -> None:
    assert type(parse_credential(load_json(DATA / relpath))) is model


def test_standalone_profile_round_trips() -> None:
    doc = load_json(SPEC / "spec-examples/api-getprofile-response-profile.json")
    profile = Profile.from_dict(doc)
    assert profile.to_dict() == doc
    assert profile.extra["@context"] == doc["@context"]


def test_clr_nested_credentials_are_typed() -> None:
    clr = parse_credential(load_json(VALIDATOR / "clr20/simple.json"))
    assert isinstance(clr, ClrCredential)
    inner = clr.credential_subject.verifiable_credential
    assert inner and all(isinstance(c, OpenBadgeCredential) for c in inner)


def test_vc11_credential_reads_issuance_and_expiration_dates() -> None:
    cred = parse_credential(load_json(VALIDATOR / "ob30/simple_v1.json"))
    assert not cred.is_vc2
    assert cred.valid_from is None
    assert cred.issuance_date is not None
    assert cred.effective_valid_from == cred.issuance_date


def test_single_object_proof_stays_single_and_multiple_stay_a_list() -> None:
    single = load_json(SPEC / "ob-v3p0-test-vector/credential.signed.json")
    assert isinstance(single["proof"], dict)
    cred = parse_credential(single)
    assert len(cred.proofs) == 1
    assert isinstance(cred.to_dict()["proof"], dict)

    many = parse_credential(load_json(VALIDATOR / "ob30/simple-multiple-proofs.json"))
    assert isinstance(many.to_dict()["proof"], list)
    assert len(many.proofs) == 2


def test_status_entries_are_typed_by_their_type() -> None:
    from mcbadge.models import BitstringStatusListEntry, RevocationListStatus

    bitstring = parse_credential(load_json(VALIDATOR / "ob30/bit-string-list/credential-status-revoked.json"))
    (entry,) = bitstring.statuses
    assert isinstance(entry, BitstringStatusListEntry)
    assert entry.index == 23
    assert entry.status_purpose == "revocation"

    revocation = parse_credential(load_json(VALIDATOR / "ob30/credential-status-revoked.json"))
    (entry,) = revocation.statuses
    assert isinstance(entry, RevocationListStatus)
