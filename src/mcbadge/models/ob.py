"""Pydantic models of the Open Badges 3.0 data model and its Verifiable Credential envelope.

Names follow the spec (1EdTech Open Badges 3.0, §B "Data Models"). JSON member names are the
spec's camelCase; Python attributes are snake_case. Every model keeps properties it does not
define and writes them back unchanged.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    Tag,
    field_validator,
    model_validator,
)

from mcbadge.models._base import DateTimeZ, OBModel, OneOrMany, require_type, single
from mcbadge.models.identity import IdentityObject

__all__ = [
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Address",
    "Alignment",
    "BitstringStatusListEntry",
    "ClrCredential",
    "ClrSubject",
    "CredentialSchema",
    "CredentialStatus",
    "Criteria",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Proof",
    "RefreshService",
    "Related",
    "Result",
    "ResultDescription",
    "RevocationListStatus",
    "RubricCriterionLevel",
    "TermsOfUse",
    "VcIssuer",
    "VerifiableCredential",
]

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"

Number = StrictInt | StrictFloat
"""A JSON number; integers stay integers so canonical forms do not change."""


def _urn_uuid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _present(cls: type[OBModel], data: dict[str, Any], name: str) -> bool:
    field = cls.model_fields[name]
    return name in data or (field.alias is not None and field.alias in data)


def _types(*names: str) -> Any:
    """Default ``type`` written as an array (as the spec's examples write it)."""
    return Field(default_factory=lambda: list(names))


def _single_type(name: str) -> Any:
    """Default ``type`` written as a single string (Image, IdentifierEntry ...)."""
    return Field(default_factory=lambda: single(name))


def _new_id() -> Any:
    return Field(default_factory=_urn_uuid)


def _contexts(*urls: str) -> Any:
    return Field(alias="@context", default_factory=lambda: list(urls))


class _Typed(OBModel):
    """A model whose ``type`` must name one of ``_type_markers``.

    Built in code, ``type`` defaults to the spec's form; parsed, it must be present.
    """

    _type_markers: ClassVar[tuple[str, ...]] = ()
    _required_when_parsed: ClassVar[tuple[str, ...]] = ("type",)

    @field_validator("type", mode="after", check_fields=False)
    @classmethod
    def _check_type(cls, value: list[str]) -> list[str]:
        markers = cls._type_markers
        for marker in markers:  # (a loop: this runs for every typed object parsed)
            if marker in value:
                return value
        if markers:
            require_type(value, *markers, where=cls.__name__)  # raises, naming them
        return value


class _Identified(_Typed):
    """Typed and identified by a URI; built in code the id defaults to a fresh urn:uuid."""

    _required_when_parsed: ClassVar[tuple[str, ...]] = ("id", "type")


# --------------------------------------------------------------------------- small parts


class Image(_Typed):
    """An image: its URI (or data: URI) and an optional caption."""

    id: str
    type: OneOrMany[str] = _single_type("Image")
    caption: str | None = None

    _type_markers = ("Image",)

class Criteria(OBModel):
    """How the achievement is earned: a narrative (Markdown allowed) and/or a URI."""

    id: str | None = None
    narrative: str | None = None


class Alignment(_Typed):
    """An alignment to a competency, standard or framework node."""

    type: OneOrMany[str] = _types("Alignment")
    target_code: str | None = None
    target_description: str | None = None
    target_name: str
    target_framework: str | None = None
    target_type: str | None = None
    target_url: str

    _type_markers = ("Alignment",)

class IdentifierEntry(_Typed):
    """Another identifier of a profile or achievement (``sourcedId``, ``systemId`` ...)."""

    type: OneOrMany[str] = _single_type("IdentifierEntry")
    identifier: str
    identifier_type: str

    _type_markers = ("IdentifierEntry",)

class GeoCoordinates(_Typed):
    """A point: latitude and longitude in decimal degrees."""

    type: OneOrMany[str] = _single_type("GeoCoordinates")
    latitude: Number
    longitude: Number

    _type_markers = ("GeoCoordinates",)

class Address(_Typed):
    """A postal address."""

    type: OneOrMany[str] = _types("Address")
    address_country: str | None = None
    address_country_code: str | None = None
    address_region: str | None = None
    address_locality: str | None = None
    street_address: str | None = None
    post_office_box_number: str | None = None
    postal_code: str | None = None
    geo: GeoCoordinates | None = None

    _type_markers = ("Address",)

class Related(_Identified):
    """Another version of the same achievement (another language, another version)."""

    id: str = _new_id()
    type: OneOrMany[str] = _types("Related")
    in_language: str | None = None
    version: str | None = None

    _type_markers = ("Related",)

class RubricCriterionLevel(_Identified):
    """One level of a rubric criterion (e.g. "Proficient"), with its points."""

    id: str = _new_id()
    type: OneOrMany[str] = _types("RubricCriterionLevel")
    alignment: list[Alignment] | None = None
    description: str | None = None
    level: str | None = None
    name: str
    points: str | None = None

    _type_markers = ("RubricCriterionLevel",)

class ResultDescription(_Identified):
    """What result an achievement expects (a grade, a rubric level, a score range)."""

    id: str = _new_id()
    type: OneOrMany[str] = _types("ResultDescription")
    alignment: list[Alignment] | None = None
    allowed_value: list[str] | None = None
    name: str
    required_level: str | None = None
    required_value: str | None = None
    result_type: str
    rubric_criterion_level: list[RubricCriterionLevel] | None = None
    value_max: str | None = None
    value_min: str | None = None

    _type_markers = ("ResultDescription",)

class Result(_Typed):
    """A result the recipient achieved; ``result_description`` names the ResultDescription."""

    type: OneOrMany[str] = _types("Result")
    achieved_level: str | None = None
    alignment: list[Alignment] | None = None
    result_description: str | None = None
    status: str | None = None
    value: str | None = None

    _type_markers = ("Result",)

class Evidence(_Typed):
    """Evidence behind the award: a URL and/or a narrative, with a name and genre."""

    id: str | None = None
    type: OneOrMany[str] = _types("Evidence")
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None

    _type_markers = ("Evidence",)

# --------------------------------------------------------------------------- VC parts


class Proof(OBModel):
    """An embedded proof (Data Integrity or legacy Linked Data Signature)."""

    type: str
    created: DateTimeZ | None = None
    cryptosuite: str | None = None
    challenge: str | None = None
    domain: str | None = None
    nonce: str | None = None
    proof_purpose: str | None = None
    proof_value: str | None = None
    verification_method: str | None = None

    _required_when_parsed = ("type",)


class CredentialSchema(OBModel):
    """A schema the credential claims to conform to."""

    id: str
    type: str


class RefreshService(OBModel):
    """Where a fresher copy of the credential can be obtained."""

    id: str
    type: str


class TermsOfUse(OBModel):
    """Terms of use set by the issuer."""

    id: str | None = None
    type: str


class CredentialStatus(OBModel):
    """A status entry (revocation, suspension) of any type; subclasses type the known ones."""

    id: str | None = None
    type: str


class BitstringStatusListEntry(CredentialStatus):
    """W3C Bitstring Status List entry: an index into a published, signed bitstring."""

    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    status_purpose: str
    status_list_index: str | StrictInt
    status_list_credential: str
    status_size: StrictInt | None = None
    status_message: list[dict[str, Any]] | None = None
    status_reference: str | list[str] | None = None

    @field_validator("status_list_index")
    @classmethod
    def _index_is_integer(cls, value: str | int) -> str | int:
        text = str(value)
        if not (text.isascii() and text.isdigit()):
            raise ValueError(
                f"statusListIndex must be a non-negative integer, got {value!r}"
            )
        return value

    @property
    def index(self) -> int:
        """``status_list_index`` as an int."""
        return int(self.status_list_index)


class RevocationListStatus(CredentialStatus):
    """1EdTech Revocation List status: ``id`` is the URL of the issuer's revocation list."""

    id: str
    type: Literal["1EdTechRevocationList"] = "1EdTechRevocationList"


def _status_discriminator(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if kind == "BitstringStatusListEntry":
        return "bitstring"
    if kind == "1EdTechRevocationList":
        return "revocation"
    return "other"


AnyStatus = Annotated[
    Annotated[BitstringStatusListEntry, Tag("bitstring")]
    | Annotated[RevocationListStatus, Tag("revocation")]
    | Annotated[CredentialStatus, Tag("other")],
    Discriminator(_status_discriminator),
]
"""A status entry, typed by its ``type``: Bitstring, 1EdTech Revocation List, or other."""


# --------------------------------------------------------------------------- profiles


class Profile(_Typed):
    """A person or organization: an issuer, creator or source.

    Its ``id`` is its identity (an https URL or a DID), so it is never invented.
    """

    id: str
    type: OneOrMany[str] = _types("Profile")
    name: str | None = None
    url: str | None = None
    phone: str | None = None
    description: str | None = None
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
    image: Image | str | None = None
    email: str | None = None
    address: Address | None = None
    other_identifier: list[IdentifierEntry] | None = None
    official: str | None = None
    parent_org: Profile | None = None
    family_name: str | None = None
    given_name: str | None = None
    additional_name: str | None = None
    patronymic_name: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None
    family_name_prefix: str | None = None
    date_of_birth: date | None = None

    _type_markers = ("Profile",)
    _required_when_parsed = ("id", "type")



# --------------------------------------------------------------------------- achievements


class Achievement(_Identified):
    """What was achieved: a badge class / micro-credential definition with its criteria."""

    id: str = _new_id()
    type: OneOrMany[str] = _types("Achievement")
    alignment: list[Alignment] | None = None
    achievement_type: str | None = None
    creator: Profile | None = None
    credits_available: Number | None = None
    criteria: Criteria
    description: str
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
    field_of_study: str | None = None
    human_code: str | None = None
    image: Image | str | None = None
    in_language: str | None = None
    name: str
    other_identifier: list[IdentifierEntry] | None = None
    related: list[Related] | None = None
    result_description: list[ResultDescription] | None = None
    specialization: str | None = None
    tag: list[str] | None = None
    version: str | None = None

    _type_markers = ("Achievement",)

class AchievementSubject(_Typed):
    """The recipient and what they achieved. Needs an ``id`` or at least one ``identifier``."""

    id: str | None = None
    type: OneOrMany[str] = _types("AchievementSubject")
    activity_end_date: DateTimeZ | None = None
    activity_start_date: DateTimeZ | None = None
    credits_earned: Number | None = None
    achievement: Achievement | str
    identifier: list[IdentityObject] | None = None
    image: Image | str | None = None
    license_number: str | None = None
    narrative: str | None = None
    result: list[Result] | None = None
    role: str | None = None
    source: Profile | None = None
    term: str | None = None

    _type_markers = ("AchievementSubject",)
    @model_validator(mode="after")
    def _needs_recipient(self) -> AchievementSubject:
        if not self.id and not self.identifier:
            raise ValueError(
                "credentialSubject needs an 'id' or at least one 'identifier' naming the "
                "recipient"
            )
        return self


class EndorsementSubject(_Typed):
    """What is endorsed (by its id) and the endorser's comment."""

    id: str
    type: OneOrMany[str] = _types("EndorsementSubject")
    endorsement_comment: str | None = None

    _type_markers = ("EndorsementSubject",)

# --------------------------------------------------------------------------- credentials


_LANGUAGE_KEYS = frozenset({"@value", "@language", "@direction"})


def _language_text(value: Any) -> Any:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            continue
        if (isinstance(item, dict) and isinstance(item.get("@value"), str)
                and set(item) <= _LANGUAGE_KEYS and all(isinstance(v, str) for v in item.values())):
            continue
        raise ValueError("must be a string or a language value object {@value, @language, "
                         "@direction} (VC Data Model 2.0 11.1), or a list of them")
    return value


LanguageText = Annotated[str | dict[str, str] | list[str | dict[str, str]],
                         AfterValidator(_language_text)]
"""A plain VC's ``name`` or ``description``: a string or language value objects."""


class VcIssuer(OBModel):
    """The issuer object of a plain W3C VC: an ``id``, and whatever else it says (a
    ``type`` is optional; an OB credential's issuer is a :class:`Profile`)."""

    id: str
    type: OneOrMany[str] | None = None
    name: LanguageText | None = None
    description: LanguageText | None = None

    _required_when_parsed: ClassVar[tuple[str, ...]] = ("id",)


class VerifiableCredential(_Typed):
    """A W3C Verifiable Credential (Data Model 2.0; 1.1 documents are read too).

    OB-specific credentials (:class:`OpenBadgeCredential`, :class:`EndorsementCredential`,
    :class:`ClrCredential`) derive from it; any other credential (a status list, say) parses
    as this class with its subject kept as plain JSON.
    """

    context: OneOrMany[str | dict[str, Any]] = _contexts(VC_V2_CONTEXT)
    id: str | None = None
    type: OneOrMany[str] = _types("VerifiableCredential")
    name: LanguageText | None = None
    """A string (OB and CLR credentials), or language value objects in a plain VC."""
    description: LanguageText | None = None
    issuer: Profile | VcIssuer | str
    """An OB :class:`Profile` when the object is typed ``Profile``; a plain VC's issuer object
    needs only an ``id`` (:class:`VcIssuer`)."""
    valid_from: DateTimeZ | None = None
    valid_until: DateTimeZ | None = None
    issuance_date: DateTimeZ | None = None
    expiration_date: DateTimeZ | None = None
    credential_subject: Any
    proof: OneOrMany[Proof] | None = None
    credential_schema: OneOrMany[CredentialSchema] | None = None
    credential_status: OneOrMany[AnyStatus] | None = None
    refresh_service: OneOrMany[RefreshService] | None = None
    terms_of_use: OneOrMany[TermsOfUse] | None = None

    _type_markers: ClassVar[tuple[str, ...]] = ("VerifiableCredential",)
    _required_when_parsed: ClassVar[tuple[str, ...]] = ("@context", "type")
    _ob_rules: ClassVar[bool] = False
    """OB 3.0 / CLR 2.0 rules (``validFrom`` required in a VC 2.0 document) apply."""

    @classmethod
    def _build_defaults(cls, data: dict[str, Any]) -> dict[str, Any]:
        if not _present(cls, data, "id"):
            data["id"] = _urn_uuid()
        if not _present(cls, data, "valid_from") and not _present(cls, data, "issuance_date"):
            data["valid_from"] = DateTimeZ.now()
        return super()._build_defaults(data)

    @model_validator(mode="after")
    def _check_dates(self) -> VerifiableCredential:
        v2 = self.is_vc2
        if self._ob_rules and v2 and self.valid_from is None and self.issuance_date is None:
            raise ValueError(f"an {type(self).__name__} needs 'validFrom'")
        if self._ob_rules and len(self.refresh_service or ()) > 1:
            raise ValueError(f"an {type(self).__name__} has at most one 'refreshService'")
        if not v2 and self.issuance_date is None and self.valid_from is None:
            raise ValueError("a VC 1.1 credential needs 'issuanceDate'")
        return self

    @property
    def is_vc2(self) -> bool:
        """Whether the first context is VC Data Model 2.0 (else a 1.1-era document)."""
        return bool(self.context) and self.context[0] != VC_V1_CONTEXT

    @property
    def issuer_id(self) -> str:
        """The issuer's id, whether ``issuer`` is a URI or an object."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id

    @property
    def effective_valid_from(self) -> DateTimeZ | None:
        """``validFrom``, or for a VC 1.1 document ``issuanceDate``."""
        return self.valid_from if self.valid_from is not None else self.issuance_date

    @property
    def effective_valid_until(self) -> DateTimeZ | None:
        """``validUntil``, or for a VC 1.1 document ``expirationDate``."""
        return self.valid_until if self.valid_until is not None else self.expiration_date

    @property
    def proofs(self) -> list[Proof]:
        """The embedded proofs, as a list whether ``proof`` was one object or an array."""
        return list(self.proof or ())

    @property
    def statuses(self) -> list[CredentialStatus]:
        """The status entries, as a list whether one object or an array."""
        return list(self.credential_status or ())

    def without_proof(self) -> dict[str, Any]:
        """The credential as JSON with ``proof`` removed (the document a new proof signs)."""
        data = self.to_dict()
        data.pop("proof", None)
        return data


class OpenBadgeCredential(VerifiableCredential):
    """An Open Badges 3.0 credential: an issuer says a recipient achieved an Achievement.

    Accepts documents typed ``OpenBadgeCredential`` or ``AchievementCredential``. Built in
    code, it gets the VC 2.0 + OB 3.0.3 contexts, its type, a ``urn:uuid:`` id,
    ``validFrom`` = now (UTC) and, unless given, the achievement's name as its ``name``::

        OpenBadgeCredential(
            issuer=Profile(id="https://example.edu/issuers/1", name="Example U"),
            credential_subject=AchievementSubject(
                id="did:example:learner",
                achievement=Achievement(
                    name="Teamwork", description="...", criteria=Criteria(narrative="...")
                ),
            ),
        )
    """

    context: OneOrMany[str | dict[str, Any]] = _contexts(VC_V2_CONTEXT, OB_CONTEXT)
    type: OneOrMany[str] = _types("VerifiableCredential", "OpenBadgeCredential")
    name: str | None = None
    description: str | None = None
    issuer: Profile | str
    credential_subject: AchievementSubject
    image: Image | str | None = None
    awarded_date: DateTimeZ | None = None
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
    evidence: list[Evidence] | None = None

    _type_markers = ("OpenBadgeCredential", "AchievementCredential")
    _ob_rules = True
    _required_when_parsed = ("@context", "id", "type")

    @classmethod
    def _build_defaults(cls, data: dict[str, Any]) -> dict[str, Any]:
        if not _present(cls, data, "name"):
            subject = data.get("credential_subject", data.get("credentialSubject"))
            achievement = (
                subject.get("achievement") if isinstance(subject, dict)
                else getattr(subject, "achievement", None)
            )
            name = (
                achievement.get("name") if isinstance(achievement, dict)
                else getattr(achievement, "name", None)
            )
            if isinstance(name, str):
                data["name"] = name
        return super()._build_defaults(data)

    @field_validator("type", mode="after")
    @classmethod
    def _check_vc_type(cls, value: list[str]) -> list[str]:
        return require_type(value, "VerifiableCredential", where=cls.__name__)

    @property
    def achievement(self) -> Achievement | str:
        """Shortcut for ``credential_subject.achievement``."""
        return self.credential_subject.achievement

    def is_recipient(self, value: str, identity_type: str | None = None) -> bool:
        """Whether the known ``value`` names this credential's recipient (OB 3.0
        verification step 5): equal to ``credentialSubject.id``, or matching one of its
        ``identifier`` entries (hashed ones recomputed with their salt).

        ``identity_type`` (e.g. ``"emailAddress"``) restricts which identifiers are tried;
        a value containing ``@`` and no ``:`` is treated as an email address by default.
        """
        subject = self.credential_subject
        if identity_type is None and subject.id is not None and value == subject.id:
            return True
        if identity_type is None and "@" in value and ":" not in value:
            identity_type = "emailAddress"
        candidates = [value]
        if identity_type == "emailAddress":
            # issuers normalise an address before hashing it (mcbadge: trimmed, lower case)
            normal = value.strip().lower()
            if normal != value:
                candidates.append(normal)
        return any(i.matches(v, identity_type) for i in subject.identifier or ()
                   for v in candidates)


AchievementCredential = OpenBadgeCredential
"""``AchievementCredential`` is the other name OB 3.0 gives an OpenBadgeCredential."""


class EndorsementCredential(VerifiableCredential):
    """A third party's endorsement of a profile, achievement or credential.

    OB 3.0 requires a ``name``: building one in code without it is an error. Parsing accepts
    a document without it (some VC 1.1-era endorsements lack it) and leaves the finding to
    :func:`~mcbadge.models.validate_schema`.
    """

    context: OneOrMany[str | dict[str, Any]] = _contexts(VC_V2_CONTEXT, OB_CONTEXT)
    type: OneOrMany[str] = _types("VerifiableCredential", "EndorsementCredential")
    issuer: Profile | str
    name: str | None = None
    credential_subject: EndorsementSubject
    awarded_date: DateTimeZ | None = None

    _type_markers = ("EndorsementCredential",)
    _ob_rules = True
    @classmethod
    def _build_defaults(cls, data: dict[str, Any]) -> dict[str, Any]:
        if not _present(cls, data, "name"):
            raise ValueError("an EndorsementCredential needs a 'name'")
        return super()._build_defaults(data)


class ClrSubject(_Typed):
    """The learner of a CLR 2.0 credential and the credentials it bundles."""

    id: str | None = None
    type: OneOrMany[str] = _types("ClrSubject")
    identifier: list[IdentityObject] | None = None
    achievement: list[Achievement] | None = None
    verifiable_credential: list[OpenBadgeCredential | EndorsementCredential | VerifiableCredential]
    association: list[dict[str, Any]] | None = None

    _type_markers = ("ClrSubject",)

class ClrCredential(VerifiableCredential):
    """A 1EdTech Comprehensive Learner Record 2.0: a signed bundle of achievement credentials."""

    context: OneOrMany[str | dict[str, Any]] = _contexts(VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT)
    type: OneOrMany[str] = _types("VerifiableCredential", "ClrCredential")
    issuer: Profile | str
    name: str
    credential_subject: ClrSubject
    description: str | None = None
    image: Image | str | None = None
    awarded_date: DateTimeZ | None = None
    endorsement: list[EndorsementCredential] | None = None
    endorsement_jwt: list[str] | None = None
    partial: StrictBool | None = None

    _type_markers = ("ClrCredential",)
    _ob_rules = True
    _required_when_parsed = ("@context", "id", "type")


for _model in (Profile, Achievement, OpenBadgeCredential, EndorsementCredential, ClrSubject):
    _model.model_rebuild()

