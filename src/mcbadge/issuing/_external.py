"""Signing a credential the caller built (the VC-API ``/credentials/issue``): refuse what the
VC Data Model forbids, give it status entries, sign it, record it in the ledger."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mcbadge.errors import (
    DataLossError,
    IssuingError,
    JsonLdFormError,
    MCBadgeError,
    ModelValidationError,
    SchemaError,
    UnknownContextError,
)
from mcbadge.issuing._build import status_entry_json
from mcbadge.issuing._ledger import Reservation
from mcbadge.jsonld import (
    CREDENTIALS_V1,
    CREDENTIALS_V2,
    DocumentLoader,
    default_document_loader,
    expand_safely,
)
from mcbadge.jsonld._plain import check_plain_form
from mcbadge.models import parse_credential
from mcbadge.proofs import SUITES
from mcbadge.verification._data_model import data_model_errors

if TYPE_CHECKING:
    from mcbadge.issuing._issuer import IssuedCredential, Issuer

PURPOSES = ("revocation", "suspension")


def credential_problems(document: Any, issuer_id: str,
                        loader: DocumentLoader | None = None) -> list[SchemaError]:
    """Why ``document`` may not be signed as a credential of ``issuer_id`` (empty: it may):
    the base context first, the typed model (types, issuer, subject, dates), the VC Data
    Model rules the schemas leave out, the plain JSON-LD form the verifier reads, the issuer
    being this issuer, no proof yet."""
    if not isinstance(document, Mapping):
        return [SchemaError("", "a credential must be a JSON object")]
    context = document.get("@context")
    if not isinstance(context, list) or not context or context[0] not in (CREDENTIALS_V2,
                                                                           CREDENTIALS_V1):
        return [SchemaError("/@context", f"the first @context must be {CREDENTIALS_V2} (or "
                            f"{CREDENTIALS_V1}), as a list")]
    errors: list[SchemaError] = []
    try:
        parse_credential(document)
    except ModelValidationError as exc:
        errors += [SchemaError(e.pointer, e.message) for e in exc.errors] or [
            SchemaError("", exc.message)]
    errors += data_model_errors(document)
    if errors:
        return errors
    issuer = document.get("issuer")
    issuer_value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if issuer_value != issuer_id:
        errors.append(SchemaError("/issuer", f"this service issues as {issuer_id}, not as "
                                  f"{issuer_value!r:.120}"))
    if "proof" in document:
        errors.append(SchemaError("/proof", "the credential already has a proof"))
    try:
        check_plain_form(document, loader or default_document_loader())
    except UnknownContextError as exc:
        errors.append(SchemaError("/@context", f"context {exc.url} is not bundled with "
                                  "mcbadge; contexts are never fetched"))
    except JsonLdFormError as exc:
        errors.append(SchemaError(exc.paths[0] if exc.paths else "", exc.message))
    return errors


def _check_signable(issuer: Issuer, document: Mapping[str, Any], suite: str | None,
                    purposes: tuple[str, ...], loader: DocumentLoader | None) -> None:
    """Refuse, before anything is reserved in the ledger, a credential whose signing would
    lose data (an undefined term: JSON-LD safe mode): the same expansion signing does, on
    the document as it will be signed (placeholder id and status entries)."""
    trial = dict(document)
    trial.setdefault("id", "urn:uuid:00000000-0000-4000-8000-000000000000")
    if purposes:
        url = issuer.config["statusBaseUrl"] + "/revocation-1.json"
        trial["credentialStatus"] = [status_entry_json(p, url, 0) for p in purposes]
    prepared = SUITES[suite or issuer.suite].prepare(trial)
    try:
        expand_safely(prepared, loader or default_document_loader())
    except (DataLossError, JsonLdFormError) as exc:
        raise IssuingError(f"the credential cannot be issued: {exc.message}",
                           "CREDENTIAL_REFUSED", fields=list(getattr(exc, "paths", ()))
                           ) from None


def issue_credential(issuer: Issuer, credential: Mapping[str, Any], *, suite: str | None,
                     status: Sequence[str] | None,
                     loader: DocumentLoader | None = None,
                     mandatory: Sequence[str] | None = None) -> IssuedCredential:
    """See :meth:`Issuer.issue_credential`."""
    from mcbadge.issuing._issuer import IssuedCredential

    issuer.check_suite(suite or issuer.suite)
    problems = credential_problems(credential, issuer.id, loader)
    if problems:
        first = problems[0]
        raise IssuingError(f"the credential cannot be issued: {first.pointer or '/'}: "
                           f"{first.message}", "CREDENTIAL_REFUSED",
                           fields=[p.pointer for p in problems])
    document = copy.deepcopy(dict(credential))
    has_status = "credentialStatus" in document
    v2 = document["@context"][0] == CREDENTIALS_V2
    if status is None:
        purposes: tuple[str, ...] = ("revocation",) if v2 and not has_status else ()
    else:
        purposes = tuple(dict.fromkeys(status))
        for purpose in purposes:
            if purpose not in PURPOSES:
                raise IssuingError(f"unknown status purpose {purpose!r}; known: "
                                   f"{', '.join(PURPOSES)}", "CREDENTIAL_REFUSED")
        if purposes and has_status:
            raise IssuingError("the credential has a credentialStatus of its own; ask for no "
                               "status entries", "CREDENTIAL_REFUSED")
        if purposes and not v2:
            raise IssuingError("status entries (BitstringStatusListEntry) need the VC 2.0 "
                               "context", "CREDENTIAL_REFUSED")
    given_id = document.get("id")
    if given_id is not None and not isinstance(given_id, str):
        raise IssuingError("the credential id must be a string", "CREDENTIAL_REFUSED")
    _check_signable(issuer, document, suite, purposes, loader)
    if mandatory is not None:
        from mcbadge.proofs._sd import SelectiveDisclosureError, parse_pointer, select_json_ld

        try:
            for pointer in mandatory:
                parse_pointer(pointer)
            select_json_ld(list(mandatory), document)
        except SelectiveDisclosureError as exc:
            raise IssuingError(f"the credential cannot be issued: {exc.message}",
                               "CREDENTIAL_REFUSED") from None
    subject = document["credentialSubject"]
    first_subject = subject[0] if isinstance(subject, list) and subject else subject
    recipient = first_subject.get("id") if isinstance(first_subject, Mapping) else None
    achievement = (first_subject.get("achievement") if isinstance(first_subject, Mapping)
                   else None)
    achievement_id = achievement.get("id") if isinstance(achievement, Mapping) else None
    types = document["type"] if isinstance(document["type"], list) else [document["type"]]
    try:
        [record] = issuer.ledger.reserve([Reservation(
            str(recipient or ""), str(achievement_id or types[-1]), None, purposes,
            credential_id=given_id)])
    except MCBadgeError as exc:
        raise IssuingError(exc.message, "ID_CONFLICT" if exc.code == "ID_CONFLICT"
                           else exc.code) from None
    document["id"] = record.id
    if record.statuses:
        entries = [status_entry_json(s.purpose, s.list_url, s.index) for s in record.statuses]
        document["credentialStatus"] = entries[0] if len(entries) == 1 else entries
    if mandatory is not None and "credentialStatus" in document:
        # the holder must not be able to hide a revocation
        mandatory = [*mandatory, *([] if "/credentialStatus" in mandatory
                                   else ["/credentialStatus"])]
    try:
        signed = issuer.sign(document, suite, loader=loader, mandatory=mandatory)
    except MCBadgeError as exc:  # a mandatory pointer that matches nothing, say
        raise IssuingError(f"the credential cannot be issued: {exc.message}",
                           "CREDENTIAL_REFUSED") from None
    issuer.ledger.record_issued([(record.id, json.dumps(signed, ensure_ascii=False))])
    return IssuedCredential(signed)
