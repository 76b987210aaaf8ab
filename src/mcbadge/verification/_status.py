"""Revocation and suspension: BitstringStatusList, StatusList2021, 1EdTechRevocationList."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mcbadge.errors import FetchError, MCBadgeError, StatusListError
from mcbadge.models import DateTimeZ
from mcbadge.status import bitstring_status, revocation_list_status
from mcbadge.verification._result import Check, Outcome

if TYPE_CHECKING:
    from mcbadge.verification._engine import Run

_BITSTRING_ENTRIES = ("BitstringStatusListEntry", "StatusList2021Entry")
_REVOCATION_LIST = "1EdTechRevocationList"
_CHECK = {"revocation": "revocation_status", "suspension": "suspension_status"}
_SET = {"revocation": ("CREDENTIAL_REVOKED", "revoked"),
        "suspension": ("CREDENTIAL_SUSPENDED", "suspended")}

Verdict = tuple[Outcome, str, str | None]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _purpose(entry: Mapping[str, Any]) -> str | None:
    if entry.get("type") == _REVOCATION_LIST:
        return "revocation"
    purpose = entry.get("statusPurpose")
    return purpose if isinstance(purpose, str) else None


def status_checks(
    doc: Mapping[str, Any], issuer: str | None, run: Run,
    verify_proofs: Callable[..., tuple[bool, str, str | None, list[dict[str, Any]]]],
    bind_key: Callable[..., tuple[Outcome, str, str | None]],
) -> list[Check]:
    entries = list(_list(doc.get("credentialStatus")))
    checks = []
    for purpose, check_id in _CHECK.items():
        try:
            checks.append(_one_purpose(doc, issuer, run, purpose, check_id, entries,
                                       verify_proofs, bind_key))
        except RecursionError:
            checks.append(Check(check_id, "failed", "status list nested too deeply",
                                "VERIFICATION_ERROR"))
        except Exception as exc:  # untrusted lists must never crash verification
            checks.append(Check(check_id, "failed",
                                f"could not check: {type(exc).__name__}: {exc}"[:300],
                                "VERIFICATION_ERROR"))
    return checks


def _one_purpose(
    doc: Mapping[str, Any], issuer: str | None, run: Run, purpose: str, check_id: str,
    entries: list[Any], verify_proofs: Callable[..., Any], bind_key: Callable[..., Any],
) -> Check:
    mine: list[Mapping[str, Any]] = []
    unsupported: list[str] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            if purpose == "revocation":
                unsupported.append(repr(entry)[:60])
            continue
        kind = entry.get("type")
        if kind == _REVOCATION_LIST or kind in _BITSTRING_ENTRIES:
            if _purpose(entry) == purpose:
                mine.append(entry)
        elif purpose == "revocation":
            unsupported.append(str(kind))
    verdicts: list[Verdict] = []
    for kind in unsupported:
        verdicts.append(_unreachable(run, f"credentialStatus type {kind} is not one mcbadge "
                                     "can check; its status is unknown",
                                     "UNSUPPORTED_STATUS_METHOD"))
    if not mine and not unsupported:
        if purpose in run.settings.required_status:
            return Check(check_id, "failed",
                         f"the policy requires a {purpose} status entry and there is none",
                         "POLICY_VIOLATION")
        return Check(check_id, "passed", f"no {purpose} status entry: the issuer cannot "
                     f"{'revoke' if purpose == 'revocation' else 'suspend'} it")
    details = []
    for entry in mine:
        if entry.get("type") == _REVOCATION_LIST:
            verdict = _revocation_list(doc, issuer, entry, run)
        else:
            verdict = _bitstring(issuer, entry, run, purpose, verify_proofs, bind_key)
        verdicts.append(verdict)
        details.append({"type": entry.get("type"), "outcome": verdict[0],
                        "message": verdict[1], "problem": verdict[2]})
    rank = {"failed": 0, "warning": 1, "passed": 2, "skipped": 3}
    worst = min(verdicts, key=lambda v: rank[v[0]])
    return Check(check_id, worst[0], worst[1], worst[2], {"entries": details})


def _issuer_of(doc: Mapping[str, Any]) -> Any:
    issuer = doc.get("issuer")
    return issuer.get("id") if isinstance(issuer, Mapping) else issuer


def _unreachable(run: Run, message: str, problem: str = "STATUS_LIST_NOT_FOUND") -> Verdict:
    if run.settings.status_unreachable == "warn":
        return "warning", message, problem
    return "failed", message, problem


def _fetch(url: Any, run: Run) -> tuple[Any, Verdict | None]:
    if not isinstance(url, str) or not url:
        return None, ("failed", "the status entry names no list URL", "STATUS_LIST_NOT_FOUND")
    try:
        return run.fetcher.get_json(url), None
    except FetchError as exc:
        return None, _unreachable(run, f"status list {url} could not be fetched: {exc.message};"
                                  " the status is unknown")


def _revocation_list(doc: Mapping[str, Any], issuer: str | None, entry: Mapping[str, Any],
                     run: Run) -> Verdict:
    url = entry.get("id")
    listing, problem = _fetch(url, run)
    if problem is not None:
        return problem
    if not isinstance(listing, Mapping):
        return "failed", f"{url} is not a revocation list", "STATUS_LIST_DECODING_ERROR"
    list_issuer = _issuer_of(listing)
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


def _bitstring(issuer: str | None, entry: Mapping[str, Any], run: Run, purpose: str,
               verify_proofs: Callable[..., Any], bind_key: Callable[..., Any]) -> Verdict:
    url = entry.get("statusListCredential")
    listing, problem = _fetch(url, run)
    if problem is not None:
        return problem
    if not isinstance(listing, Mapping):
        return "failed", f"{url} is not a status list credential", "STATUS_LIST_DECODING_ERROR"
    signers: list[Any] = []
    ok, message, _problem, _report = verify_proofs(listing, run, signers)
    if not ok:
        return "failed", f"status list {url}: {message}", "STATUS_LIST_SIGNATURE_ERROR"
    list_issuer = _issuer_of(listing)
    if list_issuer != issuer:
        return ("failed", f"status list {url} is issued by {list_issuer}, not {issuer}",
                "STATUS_LIST_ISSUER_MISMATCH")
    for signer in signers:
        outcome, why, _ = bind_key(list_issuer, signer, run)
        if outcome == "failed":
            return "failed", f"status list {url}: {why}", "STATUS_LIST_SIGNATURE_ERROR"
    until = listing.get("validUntil")
    if isinstance(until, str):
        try:
            expired = DateTimeZ.parse(until) < run.now - run.settings.clock_skew
        except ValueError:
            return ("failed", f"status list {url} has an unreadable validUntil",
                    "STATUS_LIST_EXPIRED")
        if expired:
            return "failed", f"status list {url} expired {until}", "STATUS_LIST_EXPIRED"
    try:
        value = bitstring_status(listing, entry)
    except StatusListError as exc:
        return "failed", f"status list {url}: {exc.message}", exc.code
    except MCBadgeError as exc:
        return "failed", f"status list {url}: {exc.message}", "STATUS_LIST_DECODING_ERROR"
    index = entry.get("statusListIndex")
    if value:
        code, word = _SET[purpose]
        return "failed", f"{word} (status list {url}, index {index})", code
    return "passed", f"not {_SET[purpose][1]} (status list {url}, index {index})", None
