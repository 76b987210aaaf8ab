"""Building the unsigned credential: recipients, evidence, results, status entries.

The achievement and the issuer profile are validated once (through the models) into a
template; each credential is then a few dictionary copies, which is what bulk issuance needs.
"""

from __future__ import annotations

import copy
import functools
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mcbadge.errors import IssuingError, MCBadgeError
from mcbadge.models import Achievement, Evidence, Result
from mcbadge.models._base import DateTimeZ
from mcbadge.models.identity import identity_hash
from mcbadge.models.ob import OB_CONTEXT, VC_V2_CONTEXT

__all__ = ["CredentialTemplate", "Recipient", "as_evidence", "as_results", "iso_z"]

MAX_EMAIL_LENGTH = 320


def normalize_email(value: str) -> str:
    """How an address is written before it is hashed (and how a verifier must write it to
    match): surrounding spaces removed, then lower case throughout."""
    return value.strip().lower()


_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@functools.lru_cache(maxsize=4096)
def _domain_problem(domain: str) -> str | None:
    """email-validator's verdict on a domain (through an address with a plain local part):
    a roster's thousands of addresses share a few domains."""
    return _full_email_problem(f"a@{domain}")


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an email address (syntax only, no DNS), or None. The
    ``email-validator`` library decides (what pydantic uses), bounded in length first.
    An ASCII dot-atom local part (which email-validator accepts up to 64 characters) is
    checked here and its domain's verdict remembered; ``tests/test_identity.py`` holds
    the two ways to the same verdicts."""
    if len(value) > MAX_EMAIL_LENGTH:
        return f"it is longer than {MAX_EMAIL_LENGTH} characters"
    local, sep, domain = value.rpartition("@")
    if sep and len(local) <= 64 and len(value) <= 254 and _DOT_ATOM.fullmatch(local) \
            and domain.isascii() and _domain_problem(domain) is None:
        return None
    return _full_email_problem(value)


def _full_email_problem(value: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def _looks_like_email(value: str) -> bool:
    local, sep, domain = value.partition("@")
    return bool(sep and local and domain) and len(value) <= MAX_EMAIL_LENGTH * 4


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who receives a credential: a DID, an https URL, or an email address.

    An email address is written as a salted SHA-256 ``IdentityObject`` (the recipient can
    prove it, nobody can read it) unless ``plaintext_email`` is asked for.
    """

    value: str
    kind: str
    """``did``, ``url`` or ``email``."""

    @classmethod
    def parse(cls, value: str) -> Recipient:
        if not isinstance(value, str) or not value.strip():
            raise IssuingError("a recipient is needed: an email address, a DID or a URL",
                               "RECIPIENT_ERROR")
        value = value.strip()
        if value.lower().startswith("mailto:"):
            value = value[len("mailto:"):]
        if value.startswith("did:"):
            if not re.fullmatch(r"did:[a-z0-9]+:\S+", value):
                raise IssuingError(f"{value!r} is not a DID", "RECIPIENT_ERROR")
            return cls(value, "did")
        if value.startswith(("https://", "http://")):
            if any(c.isspace() for c in value):
                raise IssuingError(f"{value!r} is not a URL", "RECIPIENT_ERROR")
            return cls(value, "url")
        if _looks_like_email(value):
            problem = email_problem(value)
            if problem is not None:
                raise IssuingError(f"{value[:80]!r} is not an email address: {problem}",
                                   "RECIPIENT_ERROR")
            return cls(normalize_email(value), "email")
        raise IssuingError(
            f"{value!r} is neither an email address, a DID nor an http(s) URL", "RECIPIENT_ERROR"
        )

    def subject(self, *, name: str | None, plaintext_email: bool) -> dict[str, Any]:
        subject: dict[str, Any] = {"type": ["AchievementSubject"]}
        identifiers: list[dict[str, Any]] = []
        if self.kind == "email" and plaintext_email:
            identifiers.append({"type": "IdentityObject", "hashed": False,
                                "identityHash": self.value, "identityType": "emailAddress"})
        elif self.kind == "email":
            salt = secrets.token_hex(16)
            identifiers.append({"type": "IdentityObject", "hashed": True,
                                "identityHash": identity_hash(self.value, salt),
                                "identityType": "emailAddress", "salt": salt})
        else:
            subject["id"] = self.value
        if name:
            identifiers.append({"type": "IdentityObject", "hashed": False,
                                "identityHash": name, "identityType": "name"})
        if identifiers:
            subject["identifier"] = identifiers
        return subject


def iso_z(value: datetime | str | None) -> str | None:
    """An XML Schema dateTime in UTC (``...Z``) for ``value``; naive datetimes are refused."""
    if value is None:
        return None
    try:
        parsed = DateTimeZ.parse(value) if isinstance(value, str) else \
            DateTimeZ.from_datetime(value)
    except (ValueError, MCBadgeError) as exc:
        raise IssuingError(f"not a date-time with a time zone: {value!r} ({exc})") from None
    return parsed.lexical


_EVIDENCE_TEXT = frozenset({"id", "narrative", "name", "description", "genre", "audience"})
_RESULT_TEXT = frozenset({"value", "status", "achievedLevel", "resultDescription"})


def _text_only(item: Mapping[str, Any], members: frozenset[str]) -> bool:
    return all(k in members and type(v) is str for k, v in item.items())


def as_evidence(items: Iterable[Evidence | Mapping[str, Any] | str]) -> list[dict[str, Any]]:
    """Evidence as JSON: models, dicts (validated), or plain URLs."""
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"id": item}
        if isinstance(item, Mapping) and _text_only(item, _EVIDENCE_TEXT):
            out.append({"type": ["Evidence"], **item})  # all text: nothing to validate
            continue
        if isinstance(item, Mapping):
            data = {"type": ["Evidence"], **item}
            item = Evidence.from_dict(data)
        if not isinstance(item, Evidence):
            raise IssuingError(f"evidence must be an Evidence, a dict or a URL, not {item!r}")
        out.append(item.to_dict())
    return out


def _levels(description: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A rubric's levels, lowest first: by ``points`` when every level has numeric points,
    else in the order the achievement lists them (lowest first, as `mcbadge achievement
    new` writes them)."""
    levels = [lvl for lvl in description.get("rubricCriterionLevel") or []
              if isinstance(lvl, Mapping)]
    try:
        points = [float(lvl["points"]) for lvl in levels]
    except (KeyError, TypeError, ValueError):
        return levels
    return [lvl for _, lvl in sorted(zip(points, levels, strict=True), key=lambda p: p[0])]


def _rubrics(achievement: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    found = (achievement or {}).get("resultDescription") or []
    return [d for d in found if isinstance(d, Mapping) and d.get("rubricCriterionLevel")]


def _match(level: Mapping[str, Any], wanted: str) -> bool:
    return wanted in (level.get("id"), level.get("name")) or (
        isinstance(level.get("name"), str) and level["name"].casefold() == wanted.casefold())


def _rubric_result(value: str, rubrics: list[Mapping[str, Any]]) -> dict[str, Any]:
    """``Level`` (one rubric) or ``Criterion=Level`` as the result naming that level."""
    criterion, sep, level_name = value.partition("=")
    if sep:
        chosen = [r for r in rubrics if _match(r, criterion.strip())]
        if not chosen:
            raise IssuingError(f"result {value!r}: the achievement has no rubric criterion "
                               f"{criterion.strip()!r}", "RESULT_ERROR")
        level_name = level_name.strip()
    else:
        chosen = [r for r in rubrics if any(_match(lvl, value) for lvl in _levels(r))]
        level_name = value
        if len(chosen) > 1:
            raise IssuingError(f"result {value!r} is a level of several criteria; write "
                               "CRITERION=LEVEL", "RESULT_ERROR")
        if not chosen:
            names = ", ".join(str(lvl.get("name")) for r in rubrics for lvl in _levels(r))
            raise IssuingError(f"result {value!r} is not a level of the achievement's rubric "
                               f"({names})", "RESULT_ERROR")
    return _checked_level(chosen[0], level_name)


def _checked_level(rubric: Mapping[str, Any], wanted: str) -> dict[str, Any]:
    levels = _levels(rubric)
    found = next((lvl for lvl in levels if _match(lvl, wanted)), None)
    title = rubric.get("name") or rubric.get("id")
    if found is None:
        raise IssuingError(f"{wanted!r} is not a level of {title!r} "
                           f"({', '.join(str(lvl.get('name')) for lvl in levels)})",
                           "RESULT_ERROR")
    required = rubric.get("requiredLevel")
    if required is not None:
        bar = next((i for i, lvl in enumerate(levels) if lvl.get("id") == required), None)
        if bar is not None and levels.index(found) < bar:
            raise IssuingError(
                f"{found.get('name')!r} is below the required level "
                f"{levels[bar].get('name')!r} of {title!r}: a badge below the bar is not a "
                "badge", "RESULT_ERROR")
    return {"resultDescription": str(rubric["id"]), "achievedLevel": str(found["id"])}


def as_results(items: Iterable[Result | Mapping[str, Any] | str],
               achievement: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Results as JSON: models, dicts (validated), or a plain value.

    With the ``achievement`` and a rubric in its ``resultDescription``s, a string (or a
    ``{"value": ...}``) naming a level (by name, any case, or id; ``Criterion=Level`` when
    there are several criteria) becomes ``{"resultDescription": ..., "achievedLevel": ...}``,
    and a result naming a description or level checks that they exist and that the level
    meets ``requiredLevel``: an unknown level, or one below the bar, is an error.
    """
    rubrics = _rubrics(achievement)
    out = []
    for item in items:
        if isinstance(item, Result):
            item = item.to_dict()
        if rubrics and isinstance(item, Mapping):
            value = item.get("value")
            if set(item) <= {"value", "type"} and isinstance(value, str):
                item = value
            elif isinstance(item.get("resultDescription"), str):
                rubric = next((r for r in rubrics if r.get("id") == item["resultDescription"]),
                              None)
                level = item.get("achievedLevel")
                if rubric is None:
                    raise IssuingError(f"result names {item['resultDescription']!r}, which is "
                                       "not one of the achievement's rubric criteria",
                                       "RESULT_ERROR")
                if isinstance(level, str):
                    _checked_level(rubric, level)
        if isinstance(item, str):
            item = _rubric_result(item, rubrics) if rubrics else {"value": item}
        if isinstance(item, Mapping) and _text_only(item, _RESULT_TEXT):
            out.append({"type": ["Result"], **item})
            continue
        if isinstance(item, Mapping):
            item = Result.from_dict({"type": ["Result"], **item})
        if not isinstance(item, Result):
            raise IssuingError(f"a result must be a Result, a dict or a string, not {item!r}")
        out.append(item.to_dict())
    return out


def achievement_json(achievement: Achievement | Mapping[str, Any]) -> dict[str, Any]:
    """The achievement as JSON, validated by the model (a dict may omit ``type``)."""
    if isinstance(achievement, Achievement):
        return achievement.to_dict()
    if not isinstance(achievement, Mapping):
        raise IssuingError("the achievement must be an Achievement or a JSON object")
    data = {"type": ["Achievement"], **achievement}
    if "id" not in data:
        raise IssuingError(
            "the achievement needs an 'id' (a stable URL or URN): credentials issued for it "
            "are grouped and de-duplicated by it"
        )
    return Achievement.from_dict(data).to_dict()


@dataclass(slots=True)
class CredentialTemplate:
    """The parts every credential of one award shares."""

    issuer: dict[str, Any]
    achievement: dict[str, Any]
    contexts: tuple[str, ...] = (VC_V2_CONTEXT, OB_CONTEXT)

    def build(
        self,
        *,
        credential_id: str,
        recipient: Recipient,
        name: str | None,
        statuses: list[dict[str, Any]],
        valid_from: str,
        valid_until: str | None = None,
        evidence: list[dict[str, Any]] | None = None,
        results: list[dict[str, Any]] | None = None,
        plaintext_email: bool = False,
        share: bool = False,
        subject_extra: Mapping[str, Any] | None = None,
        awarded_date: str | None = None,
    ) -> dict[str, Any]:
        """The unsigned credential. With ``share`` its achievement is the template's own
        object (for a caller that serialises the result at once and never changes it).
        ``subject_extra``: more ``credentialSubject`` members (``source``,
        ``activityStartDate``...); ``awarded_date``: the credential's ``awardedDate``."""
        subject = recipient.subject(name=name, plaintext_email=plaintext_email)
        subject["achievement"] = self.achievement if share else copy.deepcopy(self.achievement)
        if results:
            subject["result"] = results
        for member, value in (subject_extra or {}).items():
            if member not in subject:
                subject[member] = copy.deepcopy(value)
        doc: dict[str, Any] = {
            "@context": list(self.contexts),
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": dict(self.issuer),
            "validFrom": valid_from,
        }
        if valid_until is not None:
            doc["validUntil"] = valid_until
        if awarded_date is not None:
            doc["awardedDate"] = awarded_date
        name_of = self.achievement.get("name")
        if isinstance(name_of, str):
            doc["name"] = name_of
        doc["credentialSubject"] = subject
        if evidence:
            doc["evidence"] = evidence
        if statuses:
            doc["credentialStatus"] = statuses[0] if len(statuses) == 1 else statuses
        return doc


def status_entry_json(purpose: str, list_url: str, index: int) -> dict[str, Any]:
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


SD_MANDATORY = ("/issuer", "/validFrom", "/validUntil", "/credentialStatus")
"""What an ``ecdsa-sd-2023`` badge always discloses (those present): who issued it, when it
is valid, and its status entries, so that no holder can hide a revocation."""


def mandatory_pointers(document: Mapping[str, Any], suite: str) -> tuple[str, ...]:
    """The mandatory JSON pointers of an ``ecdsa-sd-2023`` base proof (none for other
    suites): :data:`SD_MANDATORY`, those the document has."""
    if suite != "ecdsa-sd-2023":
        return ()
    return tuple(p for p in SD_MANDATORY if p[1:] in document)
