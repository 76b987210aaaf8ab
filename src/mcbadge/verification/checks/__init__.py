"""The verifier's checks, in the order they run and are reported: one file each, one line
here. A check's failure marks the later ones ``skipped`` when it is ``fatal``."""

from __future__ import annotations

from mcbadge.verification.checks._base import Phase, VerifierCheck
from mcbadge.verification.checks.clr_credentials import ClrCredentialsCheck
from mcbadge.verification.checks.context import ContextCheck
from mcbadge.verification.checks.endorsements import EndorsementsCheck
from mcbadge.verification.checks.expiration import ExpirationCheck
from mcbadge.verification.checks.issuer_binding import IssuerBindingCheck
from mcbadge.verification.checks.parse import ParseCheck
from mcbadge.verification.checks.policy import PolicyCheck
from mcbadge.verification.checks.recipient import RecipientCheck
from mcbadge.verification.checks.results import ResultsCheck
from mcbadge.verification.checks.revocation_status import RevocationStatusCheck
from mcbadge.verification.checks.schema import SchemaCheck
from mcbadge.verification.checks.signature import SignatureCheck
from mcbadge.verification.checks.signed_view import SignedViewCheck
from mcbadge.verification.checks.suspension_status import SuspensionStatusCheck
from mcbadge.verification.checks.valid_from import ValidFromCheck

__all__ = ["CHECKS", "Phase", "VerifierCheck"]

CHECKS: tuple[VerifierCheck, ...] = (
    ParseCheck(),
    ContextCheck(),
    SignatureCheck(),
    SignedViewCheck(),
    SchemaCheck(),
    IssuerBindingCheck(),
    ValidFromCheck(),
    ExpirationCheck(),
    RevocationStatusCheck(),
    SuspensionStatusCheck(),
    EndorsementsCheck(),
    ResultsCheck(),
    ClrCredentialsCheck(),
    RecipientCheck(),
    PolicyCheck(),
)
