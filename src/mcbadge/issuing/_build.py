"""Building the unsigned credential: recipients, evidence, results, status entries.

The achievement and the issuer profile are validated once (through the models) into a
template; each credential is then a few dictionary copies, which is what bulk issuance needs.
"""

from __future__ import annotations

import copy
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

def _looks_like_email(value: str) -> bool:
    """local@domain.tld, in linear time (a regex here backtracked quadratically)."""
    local, sep, domain = value.partition("@")
    if not sep or not local or "@" in domain or any(c.isspace() for c in value):
        return False
    if ":" in value:
        return False
    head, dot, tail = domain.rpartition(".")
    return bool(dot and head and tail)


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
            return cls(value.lower(), "email")
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


def as_results(items: Iterable[Result | Mapping[str, Any] | str]) -> list[dict[str, Any]]:
    """Results as JSON: models, dicts (validated), or a plain value."""
    out = []
    for item in items:
        if isinstance(item, str):
            item = {"value": item}
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
    ) -> dict[str, Any]:
        """The unsigned credential. With ``share`` its achievement is the template's own
        object (for a caller that serialises the result at once and never changes it)."""
        subject = recipient.subject(name=name, plaintext_email=plaintext_email)
        subject["achievement"] = self.achievement if share else copy.deepcopy(self.achievement)
        if results:
            subject["result"] = results
        doc: dict[str, Any] = {
            "@context": list(self.contexts),
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": dict(self.issuer),
            "validFrom": valid_from,
        }
        if valid_until is not None:
            doc["validUntil"] = valid_until
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
