"""What the two status checks share: BitstringStatusList, StatusList2021 and the 1EdTech
Revocation List, each list fetched, its proof verified under the same plain-form rule as the
credential, its issuer and window checked, then the entry's bit read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urldefrag

from mcbadge.errors import (
    DataLossError,
    FetchError,
    JsonLdFormError,
    MCBadgeError,
    StatusListError,
    UnknownContextError,
)
from mcbadge.jsonld._plain import check_plain_form
from mcbadge.jsonld._view import check_signed_view
from mcbadge.keys import key_from_jwk
from mcbadge.models import DateTimeZ
from mcbadge.proofs.jwt import verify_jwt
from mcbadge.resolve import ResolvedKey
from mcbadge.status import MIN_LIST_BITS, read_bitstring_status, revocation_list_status
from mcbadge.verification._result import Check, Outcome
from mcbadge.verification._state import Run, State, as_list, issuer_id, types_of
from mcbadge.verification.checks._base import VerifierCheck
from mcbadge.verification.checks.issuer_binding import Verdict, bind_key, worst
from mcbadge.verification.checks.signature import verify_embedded_proofs

BITSTRING_ENTRIES = ("BitstringStatusListEntry", "StatusList2021Entry")
REVOCATION_LIST = "1EdTechRevocationList"
CHECKED_PURPOSES = ("revocation", "suspension")
OTHER_PURPOSES = ("message", "refresh")
_SET = {"revocation": ("CREDENTIAL_REVOKED", "revoked"),
        "suspension": ("CREDENTIAL_SUSPENDED", "suspended")}
_LIST_READ_POINTS = (
    ((), frozenset({"issuer", "validFrom", "validUntil", "issuanceDate", "expirationDate",
                    "credentialSubject"})),
    (("credentialSubject",), frozenset({"statusPurpose", "encodedList", "ttl"})),
)

STATUS_PROBLEMS = frozenset({
    "CREDENTIAL_REVOKED", "CREDENTIAL_SUSPENDED", "STATUS_LIST_NOT_FOUND",
    "STATUS_LIST_SIGNATURE_ERROR", "STATUS_LIST_ISSUER_MISMATCH",
    "STATUS_LIST_ID_MISMATCH", "STATUS_LIST_LENGTH_ERROR",
    "STATUS_LIST_PURPOSE_ERROR", "STATUS_LIST_DECODING_ERROR", "STATUS_LIST_EXPIRED",
    "RANGE_ERROR", "UNSUPPORTED_STATUS_METHOD", "VERIFICATION_ERROR",
})


def kind_of_entry(entry: Mapping[str, Any]) -> str | None:
    """The entry's status method: its one known type (a string, or a list holding it)."""
    known = [t for t in types_of(entry) if t == REVOCATION_LIST or t in BITSTRING_ENTRIES]
    return known[0] if len(known) == 1 else None


def purpose_of(entry: Mapping[str, Any]) -> str | None:
    if kind_of_entry(entry) == REVOCATION_LIST:
        return "revocation"
    purpose = entry.get("statusPurpose")
    return purpose if isinstance(purpose, str) else None


def status_purposes(doc: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(p for e in as_list(doc.get("credentialStatus"))
                     if isinstance(e, Mapping) and (p := purpose_of(e)) in CHECKED_PURPOSES)


class StatusCheck(VerifierCheck):
    """One check per purpose; subclasses set ``id`` and ``purpose``."""

    phase = "after_signature"
    purpose = ""
    problems = STATUS_PROBLEMS

    def run(self, state: State) -> Check:
        doc = state.document
        run = state.run
        mine: list[Mapping[str, Any]] = []
        verdicts: list[Verdict] = []
        for entry in as_list(doc.get("credentialStatus")):
            if not isinstance(entry, Mapping):
                if self.purpose == "revocation":
                    verdicts.append(("failed", f"credentialStatus entry {entry!r:.60} is not "
                                     "an object", "UNSUPPORTED_STATUS_METHOD"))
                continue
            kind = kind_of_entry(entry)
            purpose = purpose_of(entry)
            if kind is None:
                if self.purpose == "revocation":
                    verdicts.append(_unreachable(run, "credentialStatus type "
                                                 f"{entry.get('type')!r:.60} is "
                                                 "not one mcbadge can check; its status is "
                                                 "unknown", "UNSUPPORTED_STATUS_METHOD"))
            elif purpose == self.purpose:
                mine.append(entry)
            elif (purpose not in CHECKED_PURPOSES and purpose not in OTHER_PURPOSES
                  and self.purpose == "revocation"):
                verdicts.append(("failed", f"statusPurpose {purpose!r:.60} is none of "
                                 f"{', '.join(CHECKED_PURPOSES + OTHER_PURPOSES)}; the "
                                 "credential's status is unknown", "STATUS_LIST_PURPOSE_ERROR"))
        if not mine and not verdicts:
            verb = "revoke" if self.purpose == "revocation" else "suspend"
            return self.passed(f"no {self.purpose} status entry: the issuer cannot {verb} it")
        details = []
        issuer = issuer_id(doc)
        for entry in mine:
            if kind_of_entry(entry) == REVOCATION_LIST:
                verdict = _revocation_list(doc, issuer, entry, run)
            else:
                verdict = _bitstring(issuer, entry, run, self.purpose)
            verdicts.append(verdict)
            details.append({"type": entry.get("type"), "outcome": verdict[0],
                            "message": verdict[1], "problem": verdict[2]})
        outcome, message, problem = worst(verdicts)
        return Check(self.id, outcome, message, problem, {"entries": details})


def _unreachable(run: Run, message: str, problem: str = "STATUS_LIST_NOT_FOUND") -> Verdict:
    outcome: Outcome = "warning" if run.settings.unsafe_status_unreachable else "failed"
    return outcome, message, problem


def _fetch(url: Any, run: Run, *, jwt: bool = False) -> tuple[Any, Verdict | None]:
    if not isinstance(url, str) or not url:
        return None, ("failed", "the status entry names no list URL", "STATUS_LIST_NOT_FOUND")
    try:
        run.check_deadline(f"status list {url} could be fetched")
        if jwt:
            return run.fetcher.get_credential(url), None
        return run.fetcher.get_json(url), None
    except FetchError as exc:
        return None, _unreachable(run, f"status list {url} could not be fetched: {exc.message};"
                                  " the status is unknown")


def _window(listing: Mapping[str, Any], url: str, run: Run) -> Verdict | None:
    skew = run.settings.clock_skew
    for name, late in (("validFrom", False), ("issuanceDate", False),
                       ("validUntil", True), ("expirationDate", True)):
        value = listing.get(name)
        if value is None:
            continue
        try:
            when = DateTimeZ.parse(value) if isinstance(value, str) else None
        except ValueError:
            when = None
        if when is None:
            return "failed", f"status list {url} has an unreadable {name}", "STATUS_LIST_EXPIRED"
        if late and when < run.now - skew:
            return "failed", f"status list {url} expired {value}", "STATUS_LIST_EXPIRED"
        if not late and when > run.now + skew:
            return ("failed", f"status list {url} is not valid until {value}, so it cannot "
                    "vouch for the status now", "STATUS_LIST_EXPIRED")
    return None


def _secured_list(listing: Mapping[str, Any], url: str, issuer: str | None,
                  run: Run) -> Verdict | None:
    """The list's proof, form, issuer and key, as for a credential."""
    try:
        check_plain_form(listing, run.loader)
    except (JsonLdFormError, UnknownContextError) as exc:
        return "failed", f"status list {url}: {exc.message}", "STATUS_LIST_SIGNATURE_ERROR"
    outcome = verify_embedded_proofs(listing, run)
    if not outcome.ok:
        return ("failed", f"status list {url}: {outcome.message}",
                "STATUS_LIST_SIGNATURE_ERROR")
    try:
        check_signed_view({k: v for k, v in listing.items() if k != "proof"}, run.loader,
                          _LIST_READ_POINTS)
    except (DataLossError, JsonLdFormError) as exc:
        return "failed", f"status list {url}: {exc.message}", "STATUS_LIST_SIGNATURE_ERROR"
    list_issuer = issuer_id(listing)
    if list_issuer != issuer:
        return ("failed", f"status list {url} is issued by {list_issuer}, not {issuer}",
                "STATUS_LIST_ISSUER_MISMATCH")
    for signer in outcome.signers:
        verdict, why, _ = bind_key(list_issuer, signer, run)
        if verdict == "failed":
            return "failed", f"status list {url}: {why}", "STATUS_LIST_SIGNATURE_ERROR"
    return None


def _jwt_list(token: str, url: str, issuer: str | None,
              run: Run) -> tuple[Mapping[str, Any] | None, Verdict | None]:
    """A status list published as a VC-JWT: its signature, issuer and key, as for a
    credential. (the list credential, None) or (None, why not)."""
    allowed = run.settings.allowed_suites
    if allowed is not None and "jwt" not in allowed:
        return None, ("failed", f"status list {url} is a VC-JWT, which the policy does not "
                      "allow", "STATUS_LIST_SIGNATURE_ERROR")
    result = verify_jwt(token, run.keys.jwt_key)
    if not result.verified or result.credential is None:
        return None, ("failed", f"status list {url} (VC-JWT): {result.message}",
                      "STATUS_LIST_SIGNATURE_ERROR")
    listing = result.credential
    list_issuer = issuer_id(listing)
    if list_issuer != issuer:
        return None, ("failed", f"status list {url} is issued by {list_issuer}, not {issuer}",
                      "STATUS_LIST_ISSUER_MISMATCH")
    header = result.header
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        signer = (ResolvedKey(key_from_jwk(header["jwk"]), "jwk", None)
                  if isinstance(header.get("jwk"), Mapping) else run.keys.resolve(str(kid)))
    except MCBadgeError as exc:
        return None, ("failed", f"status list {url}: {exc.message}",
                      "STATUS_LIST_SIGNATURE_ERROR")
    verdict, why, _ = bind_key(list_issuer, signer, run, kid)
    if verdict == "failed":
        return None, ("failed", f"status list {url}: {why}", "STATUS_LIST_SIGNATURE_ERROR")
    return listing, None


def _bitstring(issuer: str | None, entry: Mapping[str, Any], run: Run, purpose: str) -> Verdict:
    url = entry.get("statusListCredential")
    listing, problem = _fetch(url, run, jwt=True)
    if problem is not None:
        return problem
    assert isinstance(url, str)
    secured: Verdict | None = None
    if isinstance(listing, str):  # published as a VC-JWT (openbadgeslib does only this)
        listing, secured = _jwt_list(listing, url, issuer, run)
        if secured is not None:
            return secured
        jwt = True
    else:
        jwt = False
    if not isinstance(listing, Mapping):
        return "failed", f"{url} is not a status list credential", "STATUS_LIST_DECODING_ERROR"
    if listing.get("id") is not None and listing.get("id") != urldefrag(url)[0]:
        return ("failed", f"the list fetched from {url} says its id is {listing.get('id')!r:.80}"
                "; a list must be served at its own id", "STATUS_LIST_ID_MISMATCH")
    problem = (None if jwt else _secured_list(listing, url, issuer, run)) or _window(
        listing, url, run)
    if problem is not None:
        return problem
    try:
        value, bits = read_bitstring_status(listing, entry)
    except StatusListError as exc:
        return "failed", f"status list {url}: {exc.message}", exc.code
    except MCBadgeError as exc:
        return "failed", f"status list {url}: {exc.message}", "STATUS_LIST_DECODING_ERROR"
    index = entry.get("statusListIndex")
    if value:  # the bit is read whatever the list's length: a revoked badge is revoked
        code, word = _SET[purpose]
        return "failed", f"{word} (status list {url}, index {index})", code
    if bits.short:
        outcome: Outcome = "failed" if run.settings.strict_status_list_length else "warning"
        return (outcome, f"not {_SET[purpose][1]} (status list {url}, index {index}), but the "
                f"list is {bits.bits:,} bits, shorter than the {MIN_LIST_BITS:,} (16 KiB) the "
                "spec requires for herd privacy", "STATUS_LIST_LENGTH_ERROR")
    return "passed", f"not {_SET[purpose][1]} (status list {url}, index {index})", None


def _revocation_list(doc: Mapping[str, Any], issuer: str | None, entry: Mapping[str, Any],
                     run: Run) -> Verdict:
    url = entry.get("id")
    listing, problem = _fetch(url, run)
    if problem is not None:
        return problem
    if not isinstance(listing, Mapping):
        return "failed", f"{url} is not a revocation list", "STATUS_LIST_DECODING_ERROR"
    list_issuer = issuer_id(listing)
    if list_issuer is not None and list_issuer != issuer:
        return ("failed", f"revocation list {url} is issued by {list_issuer}, not {issuer}",
                "STATUS_LIST_ISSUER_MISMATCH")
    credential_id = doc.get("id")
    if not isinstance(credential_id, str):
        return "failed", "the credential has no id to look up", "STATUS_LIST_NOT_FOUND"
    revoked, reason = revocation_list_status(listing, credential_id)
    if revoked:
        return ("failed", f"revoked (listed in {url})" + (f": {reason}" if reason else ""),
                "CREDENTIAL_REVOKED")
    return "passed", f"not revoked (checked {url})", None
