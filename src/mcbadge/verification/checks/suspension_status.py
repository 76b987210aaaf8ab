"""``suspension_status``: no suspension entry of the credential is set."""

from __future__ import annotations

from mcbadge.verification.checks._status import StatusCheck


class SuspensionStatusCheck(StatusCheck):
    id = "suspension_status"
    purpose = "suspension"
