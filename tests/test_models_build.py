"""Building credentials in code: defaults, required members, clear errors, extensions kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcbadge import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    Criteria,
    EndorsementCredential,
    Evidence,
    IdentityObject,
    Image,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    validate_schema,
)
from mcbadge.errors import MCBadgeError, ModelValidationError
from mcbadge.models import DateTimeZ, parse_credential

ISSUER = Profile(id="https://example.edu/issuers/1", name="Example District")


def _achievement(**extra: object) -> Achievement:
    return Achievement(
        name="Culturally Responsive Teaching: Classroom Community",
        description="Builds a classroom community where every student belongs.",
        criteria=Criteria(narrative="Submit a lesson video, a reflection and student work."),
        **extra,
    )


def _credential(**extra: object) -> OpenBadgeCredential:
    return OpenBadgeCredential(
        issuer=ISSUER,
        credential_subject=AchievementSubject(
            id="did:example:educator-1", achievement=_achievement()
        ),
        **extra,
    )


def test_defaults_make_a_valid_ob3_credential() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    cred = _credential()
    doc = cred.to_dict()
    assert doc["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["id"].startswith("urn:uuid:")
    assert doc["credentialSubject"]["achievement"]["id"].startswith("urn:uuid:")
    assert doc["credentialSubject"]["type"] == ["AchievementSubject"]
    assert doc["issuer"]["type"] == ["Profile"]
    # validFrom is now, in UTC, written with Z
    assert doc["validFrom"].endswith("Z")
    assert before <= cred.valid_from <= datetime.now(UTC)  # type: ignore[operator]
    # the credential's name defaults to the achievement's
    assert doc["name"] == "Culturally Responsive Teaching: Classroom Community"
    # declared order: context, id, type first, as the spec writes them
    assert list(doc)[:3] == ["@context", "id", "type"]
    assert validate_schema(doc) == []


def test_two_credentials_get_distinct_ids() -> None:
    assert _credential().id != _credential().id


def test_none_fields_are_omitted() -> None:
    doc = _credential(description=None).to_dict()
    assert "description" not in doc
    assert "validUntil" not in doc
    assert "proof" not in doc
    assert all(v is not None for v in doc["credentialSubject"].values())


def test_snake_case_and_camel_case_keywords_both_work() -> None:
    a = Alignment(target_name="CASE item", target_url="https://case.example/1")
    b = Alignment(targetName="CASE item", targetUrl="https://case.example/1")
    assert a == b
    assert a.to_dict() == {
        "type": ["Alignment"],
        "targetName": "CASE item",
        "targetUrl": "https://case.example/1",
    }


def test_required_members_are_enforced_with_pointers() -> None:
    with pytest.raises(ModelValidationError) as info:
        Achievement(name="x")  # type: ignore[call-arg]
    pointers = {e.pointer for e in info.value.errors}
    assert pointers == {"/criteria", "/description"}
    assert isinstance(info.value, MCBadgeError)
    assert "criteria" in str(info.value)


def test_subject_needs_an_id_or_an_identifier() -> None:
    with pytest.raises(ModelValidationError, match="'id' or at least one 'identifier'"):
        AchievementSubject(achievement=_achievement())
    subject = AchievementSubject(
        identifier=[IdentityObject.hashed_email("learner@example.org")],
        achievement=_achievement(),
    )
    assert subject.id is None


def test_wrong_type_marker_is_refused() -> None:
    with pytest.raises(ModelValidationError, match="must include 'Profile'"):
        Profile(id="https://example.edu", type=["Organization"])


def test_achievement_credential_is_the_same_model() -> None:
    assert AchievementCredential is OpenBadgeCredential
    doc = _credential(type=["VerifiableCredential", "AchievementCredential"]).to_dict()
    assert isinstance(parse_credential(doc), OpenBadgeCredential)


def test_micro_credential_with_rubric_evidence_and_results_round_trips() -> None:
    levels = [
        RubricCriterionLevel(name="Emerging", points="1"),
        RubricCriterionLevel(name="Proficient", points="2"),
        RubricCriterionLevel(name="Exemplary", points="3"),
    ]
    rubric = ResultDescription(
        name="Classroom community rubric",
        result_type="RubricCriterionLevel",
        rubric_criterion_level=levels,
        required_level=levels[1].id,
    )
    achievement = _achievement(
        achievement_type="Competency",
        result_description=[rubric],
        alignment=[
            Alignment(
                target_name="InTASC Standard 3: Learning Environments",
                target_url="https://ccsso.org/intasc/3",
                target_type="CFItem",
            )
        ],
        image=Image(id="https://example.edu/badges/crt.png", caption="CRT badge"),
        tag=["culturally responsive teaching", "classroom community"],
    )
    cred = OpenBadgeCredential(
        issuer=ISSUER,
        credential_subject=AchievementSubject(
            id="did:example:educator-1",
            achievement=achievement,
            result=[Result(result_description=rubric.id, achieved_level=levels[2].id)],
        ),
        evidence=[
            Evidence(id="https://evidence.example/video/1", name="Lesson video", genre="video"),
            Evidence(narrative="My reflection on building community.", name="Reflection"),
        ],
        valid_until=DateTimeZ.from_datetime(datetime(2030, 1, 1, tzinfo=UTC)),
    )
    doc = cred.to_dict()
    assert doc["credentialSubject"]["achievement"]["image"]["type"] == "Image"
    assert doc["validUntil"] == "2030-01-01T00:00:00Z"
    assert validate_schema(doc) == []
    again = OpenBadgeCredential.from_json(cred.to_json(indent=2))
    assert again == cred
    assert again.to_dict() == doc


def test_extension_properties_are_kept_at_every_level() -> None:
    doc = json.loads(_credential().to_json())
    doc["myExtension"] = {"nested": [1, 2.5, None, True]}
    doc["credentialSubject"]["achievement"]["criteria"]["x:score"] = 7
    doc["issuer"]["nullable"] = None
    doc["credentialSubject"]["achievement"]["vendorTags"] = ["a"]
    cred = OpenBadgeCredential.from_dict(doc)
    assert cred.extra["myExtension"] == {"nested": [1, 2.5, None, True]}
    assert cred.to_dict() == doc


def test_integers_stay_integers_and_floats_stay_floats() -> None:
    doc = _credential().to_dict()
    doc["credentialSubject"]["creditsEarned"] = 3
    out = OpenBadgeCredential.from_dict(doc).to_dict()
    assert type(out["credentialSubject"]["creditsEarned"]) is int
    doc["credentialSubject"]["creditsEarned"] = 3.0
    out = OpenBadgeCredential.from_dict(doc).to_dict()
    assert type(out["credentialSubject"]["creditsEarned"]) is float


def test_booleans_are_not_coerced() -> None:
    with pytest.raises(ModelValidationError):
        IdentityObject(identity_hash="x", identity_type="emailAddress", hashed="yes")  # type: ignore[arg-type]


def test_parsing_never_invents_required_members() -> None:
    doc = _credential().to_dict()
    for member in ("@context", "id", "type"):
        broken = dict(doc)
        del broken[member]
        with pytest.raises(ModelValidationError, match=repr(member)):
            OpenBadgeCredential.from_dict(broken)
    broken = json.loads(json.dumps(doc))
    del broken["credentialSubject"]["achievement"]["id"]
    with pytest.raises(ModelValidationError) as info:
        OpenBadgeCredential.from_dict(broken)
    assert info.value.errors[0].pointer == "/credentialSubject/achievement"


def test_vc2_credential_needs_valid_from_when_parsed() -> None:
    doc = _credential().to_dict()
    del doc["validFrom"]
    with pytest.raises(ModelValidationError, match="validFrom"):
        OpenBadgeCredential.from_dict(doc)


def test_endorsement_needs_a_name_when_built() -> None:
    with pytest.raises(ModelValidationError, match="needs a 'name'"):
        EndorsementCredential(
            issuer=ISSUER, credential_subject={"id": "https://example.edu/achievements/1"}
        )
    endorsement = EndorsementCredential(
        name="Endorsed by the State",
        issuer=ISSUER,
        credential_subject={"id": "https://example.edu/achievements/1", "endorsementComment": "ok"},
    )
    assert validate_schema(endorsement.to_dict()) == []


# ---------------------------------------------------------------- DateTimeZ


@pytest.mark.parametrize(
    "text",
    [
        "2010-01-01T00:00:00Z",
        "2010-01-01T00:00:00.123Z",
        "2010-01-01T00:00:00.123456789Z",
        "2010-01-01T00:00:00+05:30",
        "2010-01-01T00:00:00-08:00",
        "2010-01-01t00:00:00z",
    ],
)
def test_datetimez_keeps_its_exact_text(text: str) -> None:
    value = DateTimeZ.parse(text)
    assert str(value) == text
    assert value.tzinfo is not None
    doc = _credential().to_dict()
    doc["validFrom"] = text
    assert OpenBadgeCredential.from_dict(doc).to_dict()["validFrom"] == text


@pytest.mark.parametrize("text", ["2010-01-01T00:00:00", "2010-01-01 00:00:00", "2010-01-01T00:00"])
def test_timestamp_without_offset_is_rejected_clearly(text: str) -> None:
    doc = _credential().to_dict()
    doc["validFrom"] = text
    with pytest.raises(ModelValidationError, match="has no time zone") as info:
        OpenBadgeCredential.from_dict(doc)
    assert info.value.errors[0].pointer == "/validFrom"


@pytest.mark.parametrize("text", ["yesterday", "2010-13-01T00:00:00Z", "2010-01-01", ""])
def test_garbage_timestamps_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="date-time"):
        DateTimeZ.parse(text)


def test_naive_datetime_is_rejected_and_aware_ones_are_written_iso() -> None:
    with pytest.raises(ModelValidationError, match="no time zone"):
        _credential(valid_from=datetime(2024, 1, 1))
    cred = _credential(valid_from=datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=2))))
    assert cred.to_dict()["validFrom"] == "2024-01-01T00:00:00+02:00"
    cred = _credential(valid_from=datetime(2024, 1, 1, 12, tzinfo=UTC))
    assert cred.to_dict()["validFrom"] == "2024-01-01T12:00:00Z"


def test_datetimez_compares_as_a_datetime() -> None:
    a = DateTimeZ.parse("2024-01-01T00:00:00Z")
    b = DateTimeZ.parse("2024-01-01T02:00:00+02:00")
    assert a == b
    assert (a + timedelta(days=1)).isoformat() == "2024-01-02T00:00:00+00:00"
    assert str(DateTimeZ.from_datetime(a + timedelta(days=1))) == "2024-01-02T00:00:00Z"


@given(moment=st.datetimes(timezones=st.integers(-1439, 1439).map(
    lambda minutes: timezone(timedelta(minutes=minutes)))))
def test_datetimez_is_the_moment_its_text_names(moment: datetime) -> None:
    text = moment.isoformat()
    value = DateTimeZ.parse(text)
    assert type(value) is DateTimeZ and value == moment and value.lexical == text
    assert value.utcoffset() == moment.utcoffset()


def test_a_date_parsed_again_is_the_same_unchanging_value() -> None:
    first = DateTimeZ.parse("2026-02-03T04:05:06.5+01:00")
    again = DateTimeZ.parse("2026-02-03T04:05:06.5+01:00")
    assert first is again and again.lexical == "2026-02-03T04:05:06.5+01:00"
    assert (first + timedelta(0)) is not first  # arithmetic makes a new datetime
    for bad in ("2026-02-03T04:05:06", "2026-02-30T00:00:00Z"):
        for _ in range(2):  # a refusal is never remembered as a value
            with pytest.raises(ValueError, match=r"time zone|not a valid date-time"):
                DateTimeZ.parse(bad)
