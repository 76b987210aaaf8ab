"""mcbadge: issue and verify Open Badges 3.0 micro-credentials.

What you may import from here is listed in ``__all__``; everything under a module or
package whose name starts with ``_`` is internal and may change without notice.

Public modules:

- :mod:`mcbadge.models` -- the OB 3.0 data model, parsing, JSON Schema validation
- :mod:`mcbadge.jsonld` -- the bundled, hash-pinned JSON-LD contexts and offline loader
- :mod:`mcbadge.keys` -- signing keys (Ed25519, P-256, RSA), key files, did:key, did:web
- :mod:`mcbadge.proofs` -- Data Integrity proofs and VC-JWT: ``sign``, ``verify_proof``
- :mod:`mcbadge.verification` -- ``verify``: every check, with problem codes; policies
- :mod:`mcbadge.issuing` -- the issuer workspace: ``Issuer``, the ledger, status lists, bulk
- :mod:`mcbadge.baking` -- baking credentials into PNG and SVG images, and reading them
- :mod:`mcbadge.resolve` -- the one guarded HTTP client
- :mod:`mcbadge.errors` -- every exception mcbadge raises
"""

from __future__ import annotations

from mcbadge.errors import MCBadgeError, ModelValidationError
from mcbadge.models import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    Criteria,
    EndorsementCredential,
    Evidence,
    IdentityObject,
    Image,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    RubricCriterionLevel,
    parse_credential,
    validate_schema,
)
from mcbadge.verification import Check, VerificationResult, verify, verify_url

__version__ = "0.1.0"

__all__ = [
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Alignment",
    "Check",
    "Criteria",
    "EndorsementCredential",
    "Evidence",
    "IdentityObject",
    "Image",
    "MCBadgeError",
    "ModelValidationError",
    "OpenBadgeCredential",
    "Profile",
    "Result",
    "ResultDescription",
    "RubricCriterionLevel",
    "VerificationResult",
    "__version__",
    "parse_credential",
    "validate_schema",
    "verify",
    "verify_url",
]
