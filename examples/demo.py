"""The end-to-end demo (``make demo``): what mcbadge does today, start to finish.

1. Parse a shared Open Badges 3.0 credential (the spec's complete example) into typed models
   and show that it writes back exactly as received.
2. Validate it against the official 1EdTech JSON Schema.
3. Define a micro-credential the way a district would (rubric levels, an alignment, evidence)
   and award it to an educator identified by a salted, hashed email address.
4. Validate that too, and expand it to JSON-LD with the bundled contexts only (no network).
5. Sign it (eddsa-rdfc-2022) and verify it check by check, offline: the issuer's profile is
   given ahead of time, as its web server would answer it.
6. Tamper with it and verify again: the signature fails and nothing else is trusted.

Later milestones add the ledger, status lists, baking and bulk issuance here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pyld import jsonld

from mcbadge import (
    Achievement,
    AchievementSubject,
    Alignment,
    Criteria,
    Evidence,
    IdentityObject,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    parse_credential,
    validate_schema,
)
from mcbadge.jsonld import DocumentLoader
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import sign
from mcbadge.resolve import Fetcher
from mcbadge.verification import VerificationResult, verify

HERE = Path(__file__).parent


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 66 - len(title)))


def main() -> int:
    section("1. Parse a shared badge")
    path = HERE / "badges" / "complete-openbadgecredential.json"
    text = path.read_text(encoding="utf-8")
    shared = parse_credential(text)
    achievement = shared.credential_subject.achievement  # type: ignore[union-attr]
    print(f"file:        {path.relative_to(HERE.parent)}")
    print(f"model:       {type(shared).__name__}")
    print(f"name:        {shared.name}")
    print(f"issuer:      {shared.issuer_id}")
    print(f"achievement: {getattr(achievement, 'name', achievement)}")
    print(f"valid from:  {shared.effective_valid_from}")
    print(f"round trip:  {'exact' if shared.to_dict() == json.loads(text) else 'CHANGED'}")

    section("2. Validate against the official 1EdTech schema")
    problems = validate_schema(shared.to_dict())
    print("conforms" if not problems else "\n".join(map(str, problems)))

    section("3. Define a micro-credential and award it")
    levels = [
        RubricCriterionLevel(name="Emerging", points="1", description="Community norms exist."),
        RubricCriterionLevel(name="Proficient", points="2", description="Students co-own norms."),
        RubricCriterionLevel(name="Exemplary", points="3", description="Students lead repair."),
    ]
    rubric = ResultDescription(
        name="Classroom community rubric",
        result_type="RubricCriterionLevel",
        rubric_criterion_level=levels,
        required_level=levels[1].id,
    )
    micro = Achievement(
        name="Culturally Responsive Teaching: Classroom Community",
        description="The educator builds a classroom community where every student belongs.",
        achievement_type="Competency",
        criteria=Criteria(
            narrative="Submit a lesson video, a written reflection and samples of student "
            "work; assessors score them against the rubric and recommend award."
        ),
        alignment=[
            Alignment(
                target_name="InTASC Standard 3: Learning Environments",
                target_url="https://ccsso.org/resource-library/intasc-model-core-teaching-standards",
                target_framework="InTASC",
                target_type="ext:Standard",
            )
        ],
        result_description=[rubric],
    )
    email = "maria.lopez@district.example"
    credential = OpenBadgeCredential(
        issuer=Profile(id="https://district.example/issuers/pd", name="Example District PD"),
        credential_subject=AchievementSubject(
            identifier=[IdentityObject.hashed_email(email)],
            achievement=micro,
            result=[Result(result_description=rubric.id, achieved_level=levels[2].id)],
        ),
        evidence=[
            Evidence(id="https://district.example/evidence/411/video", name="Lesson video",
                     genre="Video"),
            Evidence(name="Reflection", narrative="How our morning circle changed the room."),
            Evidence(id="https://district.example/evidence/411/work", name="Student work",
                     genre="Artifact"),
        ],
    )
    print(credential.to_json(indent=2))
    recipient = credential.credential_subject.identifier[0]  # type: ignore[index]
    print(f"recipient {email!r} matches the hashed identifier: {recipient.matches(email)}")

    section("4. Check it")
    problems = validate_schema(credential.to_dict())
    print("schema:   conforms" if not problems else "\n".join(map(str, problems)))
    expanded = jsonld.expand(credential.to_dict(), DocumentLoader().pyld_options())
    print(f"JSON-LD:  expanded offline with bundled contexts ({len(json.dumps(expanded))} bytes)")

    section("5. Sign it and verify it")
    key = Ed25519Key.from_seed(bytes(32))  # a demo key; real issuers: mcbadge keygen
    issuer_id = credential.issuer_id
    method = f"{issuer_id}#key-1"
    signed = sign(credential.to_dict(), key, verification_method=method)
    profile = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": issuer_id, "type": ["Profile"], "name": "Example District PD",
        "verificationMethod": [{"id": method, "type": "Multikey", "controller": issuer_id,
                                "publicKeyMultibase": key.public_key_multibase}],
        "assertionMethod": [method],
    }
    fetcher = Fetcher(documents={issuer_id: profile}, offline=True)
    result = verify(signed, fetcher=fetcher)
    show(result)
    print(f"belongs to {email}: {result.is_recipient(email)}")

    section("6. Tamper with it")
    forged = json.loads(json.dumps(signed))
    forged["credentialSubject"]["achievement"]["name"] = "Superintendent of Everything"
    tampered = verify(forged, fetcher=fetcher)
    show(tampered)
    ok = not problems and result.verified and not tampered.verified
    return 0 if ok else 1


def show(result: VerificationResult) -> None:
    print("VERIFIED" if result.verified else "NOT VERIFIED")
    for check in result.checks:
        problem = f" [{check.problem}]" if check.problem else ""
        print(f"  {check.id:<18} {check.outcome:<8}{problem} {check.message}")


if __name__ == "__main__":
    sys.exit(main())
