"""An educator's record as a CLR 2.0 credential: every credential this issuer issued them
(not revoked), embedded as issued, the achievements, the stack structure as CLR
``association``s, signed by the issuer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from mcbadge.errors import IssuingError
from mcbadge.issuing._build import Recipient
from mcbadge.issuing._ledger import utc_now
from mcbadge.models.ob import CLR_CONTEXT, OB_CONTEXT, VC_V2_CONTEXT

if TYPE_CHECKING:
    from mcbadge.issuing._issuer import Issuer

ASSOCIATION_TYPES = ("exactMatchOf", "isChildOf", "isParentOf", "isPartOf", "isPeerOf",
                     "isRelatedTo", "precedes", "replacedBy")


def credits_of(credential: Mapping[str, Any]) -> Decimal:
    """The credits a credential earns: its subject's ``creditsEarned``, else its
    achievement's ``creditsAvailable`` (PD hours, say); 0 when it names none."""
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    for value in (subject.get("creditsEarned"), achievement.get("creditsAvailable")):
        try:
            if value is not None:
                return Decimal(str(value))
        except InvalidOperation:
            continue
    return Decimal(0)


def clr_credential(issuer: Issuer, recipient: str, *,
                   associations: Sequence[Mapping[str, Any]] = (),
                   name: str | None = None) -> dict[str, Any]:
    """The signed ``ClrCredential`` of ``recipient``: their issued, unrevoked credentials
    from this issuer's ledger, embedded unchanged; ``associations`` (``{associationType,
    sourceId, targetId}`` between achievement ids) describe how they stack. The total of
    their credits is the CLR's ``description``."""
    who = Recipient.parse(recipient)
    credentials = []
    for record in issuer.ledger.records_of(who.value):
        if record.document and not record.revoked:
            credentials.append(json.loads(record.document))
    if not credentials:
        raise IssuingError(f"{who.value} holds no credential of this issuer",
                           "RECIPIENT_ERROR")
    achievements: dict[str, Any] = {}
    for credential in credentials:
        achievement = credential["credentialSubject"].get("achievement")
        if isinstance(achievement, Mapping) and "id" in achievement:
            achievements.setdefault(achievement["id"], achievement)
    links = []
    for link in associations:
        kind = link.get("associationType")
        if kind not in ASSOCIATION_TYPES:
            raise IssuingError(f"unknown associationType {kind!r}")
        if link.get("sourceId") in achievements and link.get("targetId") in achievements:
            links.append({"type": "Association", "associationType": kind,
                          "sourceId": link["sourceId"], "targetId": link["targetId"]})
    subject = who.subject(name=None, plaintext_email=False)
    subject["type"] = ["ClrSubject"]
    subject["verifiableCredential"] = credentials
    subject["achievement"] = list(achievements.values())
    if links:
        subject["association"] = links
    total = sum((credits_of(c) for c in credentials), Decimal(0))
    doc: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": dict(issuer.config["profile"]),
        "name": name or f"Learner record from {issuer.profile.name}",
        "description": (f"{len(credentials)} credential(s); {total.normalize():f} credit(s) "
                        "earned"),
        "validFrom": utc_now(),
        "credentialSubject": subject,
    }
    return issuer.sign(doc)
