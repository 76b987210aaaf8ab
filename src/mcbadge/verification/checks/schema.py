"""``schema``: the 1EdTech JSON Schemas (the formal OB schema, else its JSON-LD adaptation),
every ``1EdTechJsonSchemaValidator2019`` the credential declares, the typed model, and the
VC Data Model 2.0 rules the schemas leave out (``verification/_data_model.py``).
Runs after the signature: a declared schema is fetched only for a credential whose proof
holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcbadge.errors import ModelValidationError
from mcbadge.models import parse_credential
from mcbadge.models.schema import SCHEMA_IDS, validate_shaped
from mcbadge.verification._data_model import data_model_errors
from mcbadge.verification._result import Check
from mcbadge.verification._schemas import fetched_schema_errors
from mcbadge.verification._state import State, as_list, full_shape, kind_of
from mcbadge.verification.checks._base import VerifierCheck

_PURL = "https://purl.imsglobal.org/spec"
ADAPTED_SCHEMA = {
    "ob": f"{_PURL}/ob/v3p0/schema/json-ld/ob_v3p0_achievementcredential_schema.json",
    "endorsement": f"{_PURL}/ob/v3p0/schema/json-ld/ob_v3p0_endorsementcredential_schema.json",
    "clr": f"{_PURL}/clr/v2p0/schema/json-ld/clr_v2p0_clrcredential_schema.json",
}
FORMAL_OB = f"{_PURL}/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
MAX_STATUS_ENTRIES = 4


class SchemaCheck(VerifierCheck):
    id = "schema"
    phase = "after_signature"
    problems = frozenset({"SCHEMA_VALIDATION_FAILED"})

    def run(self, state: State) -> Check:
        doc: Mapping[str, Any] = state.document
        kind = kind_of(doc)
        try:
            state.credential = parse_credential(doc)
            model_errors: list[Any] = []
        except ModelValidationError as exc:
            model_errors = list(exc.errors) or [exc]
        if kind is None:
            if not state.run.settings.any_credential_type:
                return self.failed(
                    f"not an Open Badges or CLR credential (type {doc.get('type')!r:.80}); "
                    "verify with the AnyCredentialType() policy to accept any VC",
                    "SCHEMA_VALIDATION_FAILED")
            return self._plain(doc, model_errors)
        # VC DM 2.0 allows several status entries (revocation and suspension); the OB 3.0
        # schema has room for one. Each entry is checked in that one place, and the
        # credential gets a warning (other OB validators may refuse it), not a failure.
        statuses = doc.get("credentialStatus")
        several = (isinstance(statuses, list) and 1 < len(statuses) <= MAX_STATUS_ENTRIES
                   and all(isinstance(e, Mapping) for e in statuses))
        count = len(statuses) if isinstance(statuses, list) else 1
        views: list[Mapping[str, Any]] = []
        if several:
            assert isinstance(statuses, list)
            views = [{**doc, "credentialStatus": entry} for entry in statuses]
            doc = views[0]
        # The JSON-LD adaptation accepts everything the formal schema does, so a document
        # the formal OB schema accepts needs no second pass; otherwise the adaptation decides
        # and a formal-only failure is a warning.
        shape = None if several else full_shape(state)

        def validate_schema(doc: Mapping[str, Any], url: str) -> list[Any]:
            return validate_shaped(doc, url, shape)

        formal: list[Any] | None = validate_schema(doc, FORMAL_OB) if kind == "ob" else None
        errors = [] if formal == [] else validate_schema(doc, ADAPTED_SCHEMA[kind])
        used = ([ADAPTED_SCHEMA[kind]] if formal is None else [FORMAL_OB] if not formal
                else [FORMAL_OB, ADAPTED_SCHEMA[kind]])
        for entry in as_list(doc.get("credentialSchema")):
            if not isinstance(entry, Mapping) or entry.get("type") != \
                    "1EdTechJsonSchemaValidator2019":
                continue
            url = entry.get("id")
            if not isinstance(url, str) or url in used[:1]:
                if url == FORMAL_OB and formal:
                    errors += formal  # declared by the issuer: its failures count
                continue
            used.append(url)
            if url in SCHEMA_IDS:
                errors += validate_schema(doc, url)
            else:
                errors += fetched_schema_errors(doc, url, state.run)
        for view in views[1:]:
            errors += validate_shaped(view, FORMAL_OB if formal == [] else ADAPTED_SCHEMA[kind],
                                      None)
        errors += data_model_errors(state.document)
        if errors or model_errors:
            found = [*errors, *model_errors]
            first = found[0]
            where = getattr(first, "pointer", "") or "/"
            return self.failed(
                f"{len(found)} schema problem(s); first at {where}: {first.message}",
                "SCHEMA_VALIDATION_FAILED", schemas=used,
                errors=[{"pointer": getattr(e, "pointer", ""), "message": e.message}
                        for e in found[:50]])
        if formal:
            return self.warning(
                f"valid against the JSON-LD schema, but the formal schema finds {len(formal)} "
                f"problem(s); first at {formal[0].pointer or '/'}: {formal[0].message}",
                "SCHEMA_VALIDATION_FAILED", schemas=used,
                formal=[{"pointer": e.pointer, "message": e.message} for e in formal[:50]])
        if several:
            return self.warning(
                f"valid against {len(used)} schema(s), with {count} credentialStatus entries "
                "(VC Data Model 2.0); the OB 3.0 schema has room for one, so other OB "
                "validators may refuse it", "SCHEMA_VALIDATION_FAILED", schemas=used)
        return self.passed(f"valid against {len(used)} schema(s)", schemas=used)

    def _plain(self, doc: Mapping[str, Any], model_errors: list[Any]) -> Check:
        """A credential of no OB/CLR type: the VC model and the VC Data Model rules."""
        found = [*model_errors, *data_model_errors(doc)]
        if found:
            first = found[0]
            where = getattr(first, "pointer", "") or "/"
            return self.failed(
                f"{len(found)} VC Data Model problem(s); first at {where}: {first.message}",
                "SCHEMA_VALIDATION_FAILED", schemas=[],
                errors=[{"pointer": getattr(e, "pointer", ""), "message": e.message}
                        for e in found[:50]])
        return self.passed("a Verifiable Credential meeting the VC Data Model 2.0 rules "
                           "(no Open Badges schema applies)", schemas=[])

