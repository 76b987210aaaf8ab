"""Typed models of the Open Badges 3.0 data model, parsing, and JSON Schema validation.

Parse any shared credential with :func:`parse_credential`; build one in code with the
classes; check a document against the official 1EdTech schema with :func:`validate_schema`::

    from mcbadge.models import parse_credential, validate_schema

    cred = parse_credential(open("badge.json").read())   # OpenBadgeCredential
    print(cred.credential_subject.achievement.name)
    assert cred.to_dict() == json.loads(open("badge.json").read())   # exact round trip
    problems = validate_schema(cred.to_dict())                        # [] if it conforms
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcbadge._private.jsonutil import loads_strict
from mcbadge.errors import ModelValidationError, SchemaError
from mcbadge.models._base import DateTimeZ, OBModel
from mcbadge.models.identity import IdentityObject, identity_hash
from mcbadge.models.ob import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Address,
    Alignment,
    BitstringStatusListEntry,
    ClrCredential,
    ClrSubject,
    CredentialSchema,
    CredentialStatus,
    Criteria,
    EndorsementCredential,
    EndorsementSubject,
    Evidence,
    GeoCoordinates,
    IdentifierEntry,
    Image,
    OpenBadgeCredential,
    Profile,
    Proof,
    RefreshService,
    Related,
    Result,
    ResultDescription,
    RevocationListStatus,
    RubricCriterionLevel,
    TermsOfUse,
    VcIssuer,
    VerifiableCredential,
)
from mcbadge.models.schema import SCHEMA_IDS, validate_schema

__all__ = [
    "SCHEMA_IDS",
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Address",
    "Alignment",
    "AnyCredential",
    "BitstringStatusListEntry",
    "ClrCredential",
    "ClrSubject",
    "CredentialSchema",
    "CredentialStatus",
    "Criteria",
    "DateTimeZ",
    "EndorsementCredential",
    "EndorsementSubject",
    "Evidence",
    "GeoCoordinates",
    "IdentifierEntry",
    "IdentityObject",
    "Image",
    "OBModel",
    "OpenBadgeCredential",
    "Profile",
    "Proof",
    "RefreshService",
    "Related",
    "Result",
    "ResultDescription",
    "RevocationListStatus",
    "RubricCriterionLevel",
    "SchemaError",
    "TermsOfUse",
    "VcIssuer",
    "VerifiableCredential",
    "identity_hash",
    "parse_credential",
    "validate_schema",
]

AnyCredential = OpenBadgeCredential | EndorsementCredential | ClrCredential | VerifiableCredential
"""What :func:`parse_credential` returns."""


def parse_credential(source: Mapping[str, Any] | str | bytes | bytearray) -> AnyCredential:
    """Parse a credential (a JSON object, or its text) into the most specific model.

    ``OpenBadgeCredential``/``AchievementCredential`` -> :class:`OpenBadgeCredential`,
    ``EndorsementCredential`` -> :class:`EndorsementCredential`, ``ClrCredential`` ->
    :class:`ClrCredential`, any other ``VerifiableCredential`` -> :class:`VerifiableCredential`.

    Whatever the input, the only exception raised is
    :class:`~mcbadge.errors.ModelValidationError` (its ``errors`` say where and what).
    """
    data: Any = source if isinstance(source, Mapping) else _load(source)
    if not isinstance(data, Mapping):
        raise ModelValidationError("a credential must be a JSON object")
    kind = data.get("type")
    types = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    model: type[VerifiableCredential]
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        model = OpenBadgeCredential
    elif "EndorsementCredential" in types:
        model = EndorsementCredential
    elif "ClrCredential" in types:
        model = ClrCredential
    else:
        model = VerifiableCredential
    return model.from_dict(data)


def _load(source: object) -> Any:
    if isinstance(source, str | bytes | bytearray):
        return loads_strict(source)
    raise ModelValidationError(
        f"expected a JSON object, JSON text or bytes, got {type(source).__name__}"
    )
