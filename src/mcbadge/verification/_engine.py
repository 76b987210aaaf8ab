"""The verification pipeline: each check a function of the run, each guarded so that no
input can make :func:`mcbadge.verify` raise."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from mcbadge.errors import (
    DataLossError,
    FetchError,
    MCBadgeError,
    ModelValidationError,
)
from mcbadge.jsonld import DocumentLoader
from mcbadge.jsonld._canon import expand_safely
from mcbadge.keys import key_from_jwk
from mcbadge.models import AnyCredential, DateTimeZ, parse_credential
from mcbadge.models.schema import SCHEMA_IDS, validate_schema
from mcbadge.proofs import SUITES, VERIFY_ONLY, JwtResult, verify_jwt, verify_proof
from mcbadge.resolve import Fetcher
from mcbadge.verification._keys import KeyDirectory, ResolvedKey
from mcbadge.verification._result import Check, Outcome, VerificationResult
from mcbadge.verification._schemas import fetched_schema_errors
from mcbadge.verification._source import Read, read_source
from mcbadge.verification._status import status_checks
from mcbadge.verification.policy import Settings

VC_V1 = "https://www.w3.org/2018/credentials/v1"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = re.compile(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d+\.\d+)?\.json")
CLR_CONTEXT = re.compile(
    r"https://purl\.imsglobal\.org/spec/clr/v2p0/context(-2\.\d+\.\d+)?\.json")
_PURL = "https://purl.imsglobal.org/spec"
_ADAPTED_SCHEMA = {
    "ob": f"{_PURL}/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json",
    "endorsement": f"{_PURL}/ob/v3p0/schema/json-ld/ob_v3p0_endorsementcredential_schema.json",
    "clr": f"{_PURL}/clr/v2p0/schema/json-ld/clr_v2p0_clrcredential_schema.json",
}
_FORMAL_OB = f"{_PURL}/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
_KEEP_PROBLEMS = frozenset({
    "INVALID_SIGNATURE", "DATA_LOSS_DETECTION_ERROR", "DID_WEB_UNRESOLVED",
    "VERIFICATION_METHOD_NOT_FOUND", "INVALID_VERIFICATION_METHOD",
})
MAX_ENDORSEMENTS = 32
MAX_PROOFS = 16
MAX_NESTING = 2
NOT_RUN_SIGNATURE = "not run: signature invalid"


@dataclass
class Run:
    """Everything one verification (and its nested endorsements) shares."""

    now: datetime
    settings: Settings
    fetcher: Fetcher
    loader: DocumentLoader
    keys: KeyDirectory
    depth: int = 0
    fetched_schemas: dict[str, Any] = field(default_factory=dict)


def _types(doc: Mapping[str, Any]) -> list[Any]:
    kind = doc.get("type")
    return [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []


def _kind(doc: Mapping[str, Any]) -> str | None:
    types = _types(doc)
    if "ClrCredential" in types:
        return "clr"
    if "EndorsementCredential" in types:
        return "endorsement"
    if "OpenBadgeCredential" in types or "AchievementCredential" in types:
        return "ob"
    return None


def issuer_id(doc: Mapping[str, Any]) -> str | None:
    issuer = doc.get("issuer")
    value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _guard(check_id: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except RecursionError:
        return Check(check_id, "failed", "the document is nested too deeply to check",
                     "VERIFICATION_ERROR")
    except MCBadgeError as exc:
        return Check(check_id, "failed", exc.message, exc.code)
    except Exception as exc:  # untrusted input must never crash verification
        return Check(check_id, "failed", f"could not check: {type(exc).__name__}: {exc}"[:300],
                     "VERIFICATION_ERROR")


# ------------------------------------------------------------------------------ pipeline


def verify_source(source: object, run: Run) -> VerificationResult:
    read: Read | None = None
    try:
        read = read_source(source, run.fetcher)
        parse = Check("parse", "passed", f"read a {read.format.upper()} credential",
                      details={"format": read.format})
    except MCBadgeError as exc:
        parse = Check("parse", "failed", exc.message, "PARSING_ERROR")
    except (RecursionError, MemoryError, ValueError, OSError) as exc:
        parse = Check("parse", "failed", f"cannot read the input: {type(exc).__name__}",
                      "PARSING_ERROR")
    if read is None:
        rest = [Check(c, "skipped", "not run: nothing could be read")
                for c in ("context", "schema", "valid_signature", "issuer_binding", "valid_from",
                          "expiration", "revocation_status", "suspension_status",
                          "endorsements")]
        return VerificationResult((parse, *rest))
    return _verify_document(read, run, parse)


def _verify_document(read: Read, run: Run, parse: Check) -> VerificationResult:
    doc = read.document
    checks: list[Check] = [parse]
    checks.append(_guard("context", lambda: _context(doc, run)))
    holder: list[AnyCredential] = []
    checks.append(_guard("schema", lambda: _schema(doc, run, holder)))
    signers: list[ResolvedKey] = []
    jwt_result: list[JwtResult] = []
    signature = _guard("valid_signature", lambda: _signature(read, run, signers, jwt_result))
    checks.append(signature)
    later = ["issuer_binding", "valid_from", "expiration", "revocation_status",
             "suspension_status", "endorsements"]
    if run.settings.trusted_issuers:
        later.append("registered_issuer")
    if signature.outcome == "failed":
        checks.extend(Check(c, "skipped", NOT_RUN_SIGNATURE) for c in later)
    else:
        checks.append(_guard("issuer_binding", lambda: _binding(doc, read, signers, run)))
        checks.append(_guard("valid_from", lambda: _valid_from(doc, run)))
        checks.append(_guard("expiration", lambda: _expiration(doc, run)))
        checks.extend(status_checks(doc, issuer_id(doc), run, verify_embedded_proofs, bind_key))
        checks.append(_guard("endorsements", lambda: _endorsements(doc, run)))
        if run.settings.trusted_issuers:
            checks.append(_guard("registered_issuer", lambda: _registered(doc, run)))
    if run.settings.vacuous:
        checks.append(Check("policy", "failed",
                            "the policy is AllOf() of nothing; refusing to pass vacuously",
                            "POLICY_VIOLATION"))
    return VerificationResult(tuple(checks), holder[0] if holder else None, doc, read.format)


# ------------------------------------------------------------------------------- context


def _context(doc: Mapping[str, Any], run: Run) -> Check:
    ctx = doc.get("@context")
    if not isinstance(ctx, list) or not ctx:
        return Check("context", "failed", "@context must be a non-empty list", "INVALID_CONTEXT")
    if ctx[0] not in (VC_V2, VC_V1):
        return Check("context", "failed",
                     f"the first @context must be {VC_V2} (or {VC_V1}), not {ctx[0]!r}",
                     "INVALID_CONTEXT")
    urls = [c for c in ctx if isinstance(c, str)]
    if any(not isinstance(c, str | dict) for c in ctx):
        return Check("context", "failed", "@context entries must be URLs or objects",
                     "INVALID_CONTEXT")
    kind = _kind(doc)
    if kind in ("ob", "endorsement") and not any(OB_CONTEXT.fullmatch(u) for u in urls):
        return Check("context", "failed",
                     "an Open Badges credential must declare the OB 3.0 context "
                     "(https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json)",
                     "INVALID_CONTEXT")
    if kind == "clr" and not any(CLR_CONTEXT.fullmatch(u) for u in urls):
        return Check("context", "failed", "a CLR credential must declare the CLR 2.0 context",
                     "INVALID_CONTEXT")
    unknown = [u for u in urls if not run.loader.knows(u)]
    if unknown:
        return Check("context", "failed",
                     f"context {unknown[0]} is not bundled with mcbadge; contexts are never "
                     "fetched (register it with DocumentLoader(extra_contexts=...))",
                     "UNKNOWN_CONTEXT", {"unknown": unknown})
    unsecured = {k: v for k, v in doc.items() if k != "proof"}
    try:
        expand_safely(unsecured, run.loader)
    except DataLossError as exc:
        return Check("context", "failed", exc.message, "DATA_LOSS_DETECTION_ERROR",
                     {"paths": list(exc.paths)})
    except MCBadgeError as exc:
        return Check("context", "failed", exc.message, "INVALID_CONTEXT")
    return Check("context", "passed", f"{len(ctx)} contexts, all known; every term defined")


# -------------------------------------------------------------------------------- schema


_MAX_STATUS_ENTRIES = 4


def _schema(doc: Mapping[str, Any], run: Run, holder: list[AnyCredential]) -> Check:
    kind = _kind(doc)
    try:
        holder.append(parse_credential(doc))
        model_errors: list[Any] = []
    except ModelValidationError as exc:
        model_errors = list(exc.errors) or [exc]
    if kind is None:
        return Check("schema", "failed",
                     f"not an Open Badges or CLR credential (type {doc.get('type')!r})",
                     "SCHEMA_VALIDATION_FAILED")
    # VC DM 2.0 allows several status entries (revocation and suspension); the OB 3.0
    # schema has room for one. Each entry is checked in that one place, and the credential
    # gets a warning (other OB validators may refuse it) rather than a failure.
    statuses = doc.get("credentialStatus")
    several = (isinstance(statuses, list) and 1 < len(statuses) <= _MAX_STATUS_ENTRIES
               and all(isinstance(e, Mapping) for e in statuses))
    count = len(statuses) if isinstance(statuses, list) else 1
    if several:
        assert isinstance(statuses, list)
        views = [{**doc, "credentialStatus": entry} for entry in statuses]
        doc = views[0]
    # The JSON-LD adaptation accepts everything the formal schema does, so a document the
    # formal OB schema accepts needs no second pass; otherwise the adaptation decides and a
    # formal-only failure is a warning.
    formal: list[Any] | None = validate_schema(doc, _FORMAL_OB) if kind == "ob" else None
    errors = [] if formal == [] else validate_schema(doc, _ADAPTED_SCHEMA[kind])
    used = ([_ADAPTED_SCHEMA[kind]] if formal is None else [_FORMAL_OB] if not formal
            else [_FORMAL_OB, _ADAPTED_SCHEMA[kind]])
    for entry in _list(doc.get("credentialSchema")):
        if not isinstance(entry, Mapping) or entry.get("type") != "1EdTechJsonSchemaValidator2019":
            continue
        url = entry.get("id")
        if not isinstance(url, str) or url in used[:1]:
            if url == _FORMAL_OB and formal:
                errors += formal  # declared by the issuer: its failures count
            continue
        used.append(url)
        if url in SCHEMA_IDS:
            errors += validate_schema(doc, url)
        else:
            errors += fetched_schema_errors(doc, url, run)
    if several:
        for view in views[1:]:
            errors += validate_schema(view, _FORMAL_OB if formal == [] else _ADAPTED_SCHEMA[kind])
    if errors or model_errors:
        found = [*errors, *model_errors]
        first = found[0]
        where = getattr(first, "pointer", "") or "/"
        return Check("schema", "failed",
                     f"{len(found)} schema problem(s); first at {where}: {first.message}",
                     "SCHEMA_VALIDATION_FAILED",
                     {"schemas": used, "errors": [
                         {"pointer": getattr(e, "pointer", ""), "message": e.message}
                         for e in found[:50]]})
    if formal:
        return Check("schema", "warning",
                     f"valid against the JSON-LD schema, but the formal schema finds "
                     f"{len(formal)} problem(s); first at {formal[0].pointer or '/'}: "
                     f"{formal[0].message}", "SCHEMA_VALIDATION_FAILED",
                     {"schemas": used, "formal": [
                         {"pointer": e.pointer, "message": e.message} for e in formal[:50]]})
    if several:
        return Check("schema", "warning",
                     f"valid against {len(used)} schema(s), with {count} credentialStatus "
                     "entries (VC Data Model 2.0); the OB 3.0 schema has room for one, so other "
                     "OB validators may refuse it", "SCHEMA_VALIDATION_FAILED",
                     {"schemas": used})
    return Check("schema", "passed", f"valid against {len(used)} schema(s)", details={
        "schemas": used})


# ----------------------------------------------------------------------------- signature


def _suite_of(proof: Any) -> str | None:
    if not isinstance(proof, Mapping):
        return None
    name = proof.get("cryptosuite", proof.get("type"))
    return name if isinstance(name, str) else None


def verify_embedded_proofs(
    doc: Mapping[str, Any], run: Run, signers: list[ResolvedKey] | None = None
) -> tuple[bool, str, str | None, list[dict[str, Any]]]:
    """(ok, message, problem, per-proof details) for every embedded proof of ``doc``.

    Proofs in suites mcbadge does not know (or the policy does not allow) are listed and
    set aside; at least one proof must remain, and every one that remains must verify.
    """
    proofs = _list(doc.get("proof"))
    if not proofs:
        return False, "the credential has no proof", "INVALID_SIGNATURE", []
    if len(proofs) > MAX_PROOFS:
        return (False, f"{len(proofs)} proofs; at most {MAX_PROOFS} are checked",
                "INVALID_SIGNATURE", [])
    allowed = run.settings.allowed_suites
    report: list[dict[str, Any]] = []
    counted = failed = 0
    first_problem: tuple[str, str] | None = None
    for proof in proofs:
        suite = _suite_of(proof)
        vm = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
        row: dict[str, Any] = {"suite": suite, "verificationMethod": vm}
        if suite not in SUITES and suite not in VERIFY_ONLY:
            row.update(verified=None, message=f"unsupported proof suite {suite!r}; set aside")
        elif allowed is not None and suite not in allowed:
            row.update(verified=None, message=f"suite {suite} is not allowed by the policy")
        else:
            counted += 1
            result = verify_proof(doc, proof, run.keys.ed25519, run.loader)
            row.update(verified=result.verified, message=result.message)
            if result.verified:
                if signers is not None and isinstance(vm, str):
                    signers.append(run.keys.resolve(vm))
            else:
                failed += 1
                problem = result.problem or "INVALID_SIGNATURE"
                row["problem"] = problem
                if first_problem is None:
                    first_problem = (
                        problem if problem in _KEEP_PROBLEMS else "INVALID_SIGNATURE",
                        f"{suite} proof by {vm}: {result.message}",
                    )
        report.append(row)
    if counted == 0:
        return (False, "no proof in a suite mcbadge verifies"
                + (" and the policy allows" if allowed is not None else ""),
                "INVALID_SIGNATURE", report)
    if first_problem is not None:
        return False, first_problem[1], first_problem[0], report
    suites = sorted({str(r["suite"]) for r in report if r.get("verified")})
    return True, f"{counted} proof(s) verified ({', '.join(suites)})", None, report


def _signature(read: Read, run: Run, signers: list[ResolvedKey],
               jwt_out: list[JwtResult]) -> Check:
    if read.jwt is not None:
        allowed = run.settings.allowed_suites
        if allowed is not None and "jwt" not in allowed:
            return Check("valid_signature", "failed", "VC-JWT is not allowed by the policy",
                         "INVALID_SIGNATURE")
        result = verify_jwt(read.jwt, run.keys.jwt_key)
        jwt_out.append(result)
        header = result.header
        details = {"format": "jwt", "alg": header.get("alg"), "kid": header.get("kid")}
        if not result.verified:
            problem = result.problem if result.problem in _KEEP_PROBLEMS else "INVALID_SIGNATURE"
            return Check("valid_signature", "failed", result.message, problem, details)
        kid = header.get("kid")
        if isinstance(kid, str) and not isinstance(header.get("jwk"), Mapping):
            signers.append(run.keys.resolve(kid))
        elif isinstance(header.get("jwk"), Mapping):
            signers.append(ResolvedKey(key_from_jwk(header["jwk"]), "jwk", None))
        return Check("valid_signature", "passed",
                     f"VC-JWT signature verified ({header.get('alg')})", details=details)
    ok, text, found, report = verify_embedded_proofs(read.document, run, signers)
    return Check("valid_signature", "passed" if ok else "failed", text, found,
                 {"proofs": report})


# ------------------------------------------------------------------------------- binding


def bind_key(issuer: str | None, resolved: ResolvedKey, run: Run,
             kid: str | None = None) -> tuple[Outcome, str, str | None]:
    """Is ``resolved`` the issuer's key? (outcome, message, problem)."""
    mode = run.settings.unconfirmed_keys or "fail"
    unconfirmed: Outcome = "warning" if mode == "warn" else "failed"
    method = resolved.method
    if issuer is None:
        return "failed", "the credential names no issuer id", "ISSUER_BINDING_ERROR"
    if issuer.startswith("did:"):
        if resolved.controller != issuer:
            return ("failed", f"key {method} is controlled by {resolved.controller or 'nobody'},"
                    f" not the issuer {issuer}", "ISSUER_BINDING_ERROR")
        if resolved.for_assertion is False:
            return ("failed", f"{issuer}'s DID document does not list {method} under "
                    "assertionMethod", "ISSUER_BINDING_ERROR")
        return "passed", f"key {method} belongs to {issuer}", None
    if issuer.startswith("https://"):
        if method == "jwk" or (resolved.controller is None and resolved.document is not None):
            return _bind_jwk(issuer, resolved, run, kid, unconfirmed)
        self_contained = method.startswith("did:key:")
        if resolved.controller != issuer and not self_contained:
            return ("failed", f"key {method} is controlled by {resolved.controller or 'nobody'},"
                    f" not the issuer {issuer}", "ISSUER_BINDING_ERROR")
        if resolved.document == issuer:
            if resolved.for_assertion is False:
                return ("failed", f"the issuer's profile does not list {method} under "
                        "assertionMethod", "ISSUER_BINDING_ERROR")
            return "passed", f"key {method} is published in the issuer's profile", None
        try:
            listed = run.keys.profile_lists(issuer, resolved)
        except FetchError as exc:
            return (unconfirmed, f"could not confirm key {method} with the issuer's profile: "
                    f"{exc.message}", "ISSUER_KEY_UNCONFIRMED")
        if not listed:
            return ("failed", f"the issuer's profile at {issuer} does not list key {method}",
                    "ISSUER_BINDING_ERROR")
        return "passed", f"the issuer's profile lists key {method}", None
    # urn:uuid:... and other ids that cannot be dereferenced: nothing to confirm against.
    if resolved.controller == issuer or method.startswith("did:key:") or method == "jwk":
        return ("warning", f"the issuer id {issuer} cannot be resolved, so nothing ties key "
                f"{method} to it; trust it only through a registry", "ISSUER_KEY_UNCONFIRMED")
    return ("failed", f"key {method} is controlled by {resolved.controller or 'nobody'}, not "
            f"the issuer {issuer}", "ISSUER_BINDING_ERROR")


def _bind_jwk(issuer: str, resolved: ResolvedKey, run: Run, kid: str | None,
              unconfirmed: Outcome) -> tuple[Outcome, str, str | None]:
    reasons = []
    for where in ("JWK set", "profile"):
        try:
            if where == "JWK set":
                listed = run.keys.jwks_lists(issuer, resolved.key, kid)
            else:
                listed = run.keys.profile_lists(issuer, resolved)
        except FetchError as exc:
            reasons.append(exc.message)
            continue
        if listed:
            return "passed", f"the issuer's {where} lists the JWT's key", None
        return ("failed", f"the issuer's {where} does not list the JWT's key",
                "ISSUER_BINDING_ERROR")
    return (unconfirmed, "could not confirm the JWT's key with the issuer: "
            + "; ".join(reasons), "ISSUER_KEY_UNCONFIRMED")


def _binding(doc: Mapping[str, Any], read: Read, signers: list[ResolvedKey], run: Run) -> Check:
    issuer = issuer_id(doc)
    kid = read.jwt_parts.header.get("kid") if read.jwt_parts is not None else None
    results = [bind_key(issuer, s, run, kid if isinstance(kid, str) else None) for s in signers]
    if not results:
        return Check("issuer_binding", "skipped", "no verified key to bind")
    rank = {"failed": 0, "warning": 1, "passed": 2, "skipped": 3}
    worst = min(results, key=lambda r: rank[r[0]])
    details = {"keys": [{"verificationMethod": s.method, "controller": s.controller,
                         "outcome": r[0]} for s, r in zip(signers, results, strict=True)]}
    return Check("issuer_binding", worst[0], worst[1], worst[2], details)


# --------------------------------------------------------------------------------- dates


def _date(doc: Mapping[str, Any], *names: str) -> tuple[str | None, datetime | None]:
    for name in names:
        value = doc.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a date-time string")
        return name, DateTimeZ.parse(value)
    return None, None


def _valid_from(doc: Mapping[str, Any], run: Run) -> Check:
    try:
        name, when = _date(doc, "validFrom", "issuanceDate")
    except ValueError as exc:
        return Check("valid_from", "failed", str(exc), "MALFORMED_VALUE_ERROR")
    if when is None:
        return Check("valid_from", "passed", "no validFrom: valid from any time")
    skew = run.settings.clock_skew
    if when > run.now + skew:
        return Check("valid_from", "failed", f"not valid until {doc[str(name)]}",
                     "CREDENTIAL_NOT_YET_VALID", {"validFrom": doc[str(name)]})
    max_age = run.settings.max_age
    if max_age is not None and run.now - when > max_age + skew:
        return Check("valid_from", "failed",
                     f"issued {doc[str(name)]}, older than the policy's maximum age {max_age}",
                     "POLICY_VIOLATION")
    return Check("valid_from", "passed", f"valid from {doc[str(name)]}")


def _expiration(doc: Mapping[str, Any], run: Run) -> Check:
    try:
        name, when = _date(doc, "validUntil", "expirationDate")
    except ValueError as exc:
        return Check("expiration", "failed", str(exc), "MALFORMED_VALUE_ERROR")
    if when is None:
        return Check("expiration", "passed", "does not expire")
    if when < run.now - run.settings.clock_skew:
        return Check("expiration", "failed", f"expired {doc[str(name)]}", "CREDENTIAL_EXPIRED",
                     {"validUntil": doc[str(name)]})
    return Check("expiration", "passed", f"valid until {doc[str(name)]}")


# ---------------------------------------------------------------------------- endorsements


def _embedded_endorsements(doc: Mapping[str, Any]) -> list[tuple[str, Any]]:
    holders: list[tuple[str, Any]] = [("", doc)]
    issuer = doc.get("issuer")
    if isinstance(issuer, Mapping):
        holders.append(("/issuer", issuer))
    for i, subject in enumerate(_list(doc.get("credentialSubject"))):
        if isinstance(subject, Mapping) and isinstance(subject.get("achievement"), Mapping):
            achievement = subject["achievement"]
            base = "/credentialSubject" + (f"/{i}" if isinstance(doc.get(
                "credentialSubject"), list) else "") + "/achievement"
            holders.append((base, achievement))
            if isinstance(achievement.get("creator"), Mapping):
                holders.append((base + "/creator", achievement["creator"]))
    found: list[tuple[str, Any]] = []
    for where, node in holders:
        for j, item in enumerate(_list(node.get("endorsement"))):
            found.append((f"{where}/endorsement/{j}", item))
        for j, item in enumerate(_list(node.get("endorsementJwt"))):
            found.append((f"{where}/endorsementJwt/{j}", item))
    return found


def _endorsements(doc: Mapping[str, Any], run: Run) -> Check:
    found = _embedded_endorsements(doc)
    if not found:
        return Check("endorsements", "passed", "no embedded endorsements")
    if run.depth >= MAX_NESTING:
        return Check("endorsements", "warning",
                     f"{len(found)} endorsement(s) nested too deep; not verified")
    if len(found) > MAX_ENDORSEMENTS:
        return Check("endorsements", "failed",
                     f"{len(found)} embedded endorsements; at most {MAX_ENDORSEMENTS} are checked",
                     "ENDORSEMENT_INVALID")
    # an endorser is a third party: the trust registry and the credential's own
    # requirements (status, age) do not apply to it; keys, suites and leniency do
    nested_settings = replace(run.settings, trusted_issuers=[], required_status=frozenset(),
                              max_age=None, vacuous=False)
    child = Run(run.now, nested_settings, run.fetcher, run.loader, run.keys, run.depth + 1,
                run.fetched_schemas)
    results = []
    bad: list[str] = []
    for where, item in found:
        result = verify_source(item, child)
        if isinstance(item, Mapping) and "EndorsementCredential" not in _types(item):
            result = VerificationResult(
                (*result.checks, Check("schema", "failed", "not an EndorsementCredential",
                                       "SCHEMA_VALIDATION_FAILED")),
                result.credential, result.document, result.format)
        results.append(result)
        if not result.verified:
            first = next(c for c in result.checks if c.outcome == "failed")
            bad.append(f"{where}: {first.id}: {first.message}")
    if bad:
        return Check("endorsements", "failed",
                     f"{len(bad)} of {len(found)} endorsement(s) failed; {bad[0]}",
                     "ENDORSEMENT_INVALID", {"paths": [w for w, _ in found]}, tuple(results))
    return Check("endorsements", "passed", f"{len(found)} endorsement(s) verified",
                 details={"paths": [w for w, _ in found]}, nested=tuple(results))


def _registered(doc: Mapping[str, Any], run: Run) -> Check:
    issuer = issuer_id(doc)
    if issuer is not None and all(issuer in ids for ids in run.settings.trusted_issuers):
        return Check("registered_issuer", "passed", f"issuer {issuer} is registered")
    return Check("registered_issuer", "failed",
                 f"issuer {issuer or '(none)'} is not in the trust registry",
                 "ISSUER_NOT_REGISTERED")
