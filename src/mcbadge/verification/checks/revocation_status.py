"""``revocation_status``: no revocation entry of the credential is set (and every status
entry is one mcbadge can check)."""

from __future__ import annotations

from mcbadge.verification.checks._status import StatusCheck


class RevocationStatusCheck(StatusCheck):
    id = "revocation_status"
    purpose = "revocation"
