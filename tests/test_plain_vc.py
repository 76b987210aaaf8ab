"""A plain W3C VC (not OB, not CLR) is held to the VC Data Model, not to OB 3.0's rules:
``validFrom`` is optional, an issuer object needs only an ``id``, ``refreshService`` may be an
array. OB and CLR credentials keep their rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import mcbadge
from mcbadge.errors import ModelValidationError
from mcbadge.models import (
    ClrCredential,
    EndorsementCredential,
    OpenBadgeCredential,
    Profile,
    VcIssuer,
    VerifiableCredential,
    parse_credential,
)
from mcbadge.verification.policy import AnyCredentialType
from tests.issuers import NOW, Issuer, offline

ISSUER = Issuer()
REFRESH = [{"id": "https://refresh.example/1", "type": "ExampleRefreshServiceA"},
           {"id": "https://refresh.example/2", "type": "ExampleRefreshServiceB"}]


def plain(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", {
            "ex": "https://vocab.example/#", "ExampleDegreeCredential": "ex:DegreeCredential",
            "ExampleBachelorDegree": "ex:BachelorDegree", "degree": "ex:degree",
            "ExampleRefreshServiceA": "ex:Refresh2021",
            "ExampleRefreshServiceB": "ex:Refresh2018",
        }],
        "id": "urn:uuid:0b9e5a62-3c8f-4d1e-9a7b-5e2f1c0d9a33",
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "issuer": {"id": ISSUER.id},
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
                              "degree": {"type": "ExampleBachelorDegree", "name": "BSc"}},
    }
    doc.update(extra)
    return doc


def test_a_plain_vc_without_valid_from_with_an_untyped_issuer_and_refresh_array_parses() -> None:
    doc = plain(refreshService=REFRESH)
    vc = parse_credential(doc)
    assert type(vc) is VerifiableCredential
    assert isinstance(vc.issuer, VcIssuer) and vc.issuer_id == ISSUER.id
    assert vc.valid_from is None and vc.refresh_service is not None
    assert len(vc.refresh_service) == 2
    assert vc.to_dict() == doc  # round trip, arrays and all
    single = plain(refreshService=REFRESH[0])
    assert parse_credential(single).to_dict() == single


def test_a_typed_profile_issuer_still_reads_as_a_profile() -> None:
    vc = parse_credential(plain(issuer={"id": ISSUER.id, "type": ["Profile"], "name": "PD"}))
    assert isinstance(vc.issuer, Profile) and vc.issuer.name == "PD"


def test_vc_11_still_needs_issuance_date() -> None:
    doc = plain()
    doc["@context"] = ["https://www.w3.org/2018/credentials/v1"]
    with pytest.raises(ModelValidationError, match="issuanceDate"):
        parse_credential(doc)


@pytest.mark.parametrize("model", [OpenBadgeCredential, EndorsementCredential, ClrCredential])
def test_ob_and_clr_credentials_keep_their_rules(model: type[VerifiableCredential]) -> None:
    base = ISSUER.credential()
    kind = model.__name__
    base["type"] = ["VerifiableCredential", kind]
    if model is EndorsementCredential:
        base["credentialSubject"] = {"id": "https://x.example/a", "type": ["EndorsementSubject"]}
    if model is ClrCredential:
        base["credentialSubject"] = {"type": ["ClrSubject"], "verifiableCredential": []}
    no_date = {k: v for k, v in base.items() if k != "validFrom"}
    with pytest.raises(ModelValidationError, match="validFrom"):
        parse_credential(no_date)
    untyped = copy.deepcopy(base)
    untyped["issuer"] = {"id": ISSUER.id, "name": "PD"}
    with pytest.raises(ModelValidationError):
        parse_credential(untyped)
    with pytest.raises(ModelValidationError, match="refreshService"):
        parse_credential({**base, "refreshService": REFRESH})
    assert isinstance(parse_credential(base), model)


def test_a_plain_vc_of_that_shape_signs_and_its_signature_verifies() -> None:
    signed = ISSUER.sign(plain(refreshService=REFRESH))
    result = mcbadge.verify(signed, now=NOW, fetcher=offline(ISSUER.documents()))
    for check in ("parse", "context", "valid_signature", "signed_view", "issuer_binding"):
        assert result.check(check).outcome == "passed", check  # type: ignore[union-attr]
    # mcbadge.verify is an Open Badges verifier: a non-OB/CLR credential fails the schema
    # check, by name, rather than passing as a badge
    schema = result.check("schema")
    assert schema is not None and schema.problem == "SCHEMA_VALIDATION_FAILED"
    assert "not an Open Badges or CLR credential" in schema.message
    assert "AnyCredentialType" in schema.message


def test_with_any_credential_type_a_plain_vc_verifies_by_the_data_model() -> None:
    signed = ISSUER.sign(plain(refreshService=REFRESH))
    result = mcbadge.verify(signed, now=NOW, fetcher=offline(ISSUER.documents()),
                            policy=AnyCredentialType())
    assert result.verified, result.problems
    assert "VC Data Model" in result.check("schema").message  # type: ignore[union-attr]


@pytest.mark.parametrize(("change", "pointer"), [
    ({"credentialSubject": {}}, "/credentialSubject"),
    ({"credentialSubject": []}, "/credentialSubject"),
    ({"validFrom": "2026-02-01T00:00:00Z", "validUntil": "2026-01-01T00:00:00Z"}, "/validUntil"),
    ({"refreshService": {"id": "https://refresh.example/1"}}, "/refreshService"),
    ({"relatedResource": [{"id": "https://x.example/", "digestSRI": "md5-abc"}]},
     "/relatedResource/0/digestSRI"),
])
def test_with_any_credential_type_a_plain_vc_breaking_the_data_model_fails(
        change: dict[str, Any], pointer: str) -> None:
    signed = ISSUER.sign(plain(**change))
    result = mcbadge.verify(signed, now=NOW, fetcher=offline(ISSUER.documents()),
                            policy=AnyCredentialType())
    assert not result.verified
    schema = result.check("schema")
    assert schema is not None and schema.outcome == "failed"
    assert pointer in [e["pointer"] for e in schema.details["errors"]]


def test_any_credential_type_still_holds_badges_to_their_schemas() -> None:
    badge = ISSUER.credential()
    badge["credentialSubject"] = {**badge["credentialSubject"], "achievement": {"id": "urn:x:1"}}
    result = mcbadge.verify(ISSUER.sign(badge), now=NOW, fetcher=offline(ISSUER.documents()),
                            policy=AnyCredentialType())
    assert "SCHEMA_VALIDATION_FAILED" in result.problems
