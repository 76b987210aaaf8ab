"""Delivering badges: single-use, expiring claim links, sent by email.

```python
from mcbadge.delivery import Deliveries, SmtpSettings

deliveries = Deliveries(issuer, base_url="https://badges.district.example")
link = deliveries.claim_link(badge["id"])            # https://.../claim/<128-bit token>
deliveries.send(badge["id"], SmtpSettings("smtp.district.example", 587, starttls=True,
                                          sender="badges@district.example"))
badge = deliveries.redeem(token)                     # once; then the link is spent
```

A token is 128 random bits, kept only as its SHA-256 (a copy of the ledger does not let
anyone claim); it expires (``ttl``, 30 days by default) and works once. Every send is a row
of the delivery log (tables ``delivery_*`` in the ledger file), whatever the outcome; a
failed send is retried (``retries``) before it is logged as failed. The email carries the
link, never the badge or a secret that outlives the token.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import secrets
import smtplib
import ssl
import string
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from importlib import resources
from pathlib import Path
from typing import Any

from mcbadge._private.store import side_tables
from mcbadge.delivery._wallet import WALLET_SCHEMA, WalletError, WalletOffer, Wallets
from mcbadge.errors import IssuingError
from mcbadge.issuing import Issuer
from mcbadge.issuing._ledger import utc_now

__all__ = ["Deliveries", "SmtpSettings", "WalletError", "WalletOffer", "Wallets"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery_claims (
    token_hash TEXT PRIMARY KEY, credential_id TEXT NOT NULL, recipient TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL, claimed_at TEXT);
CREATE TABLE IF NOT EXISTS delivery_pages (
    credential_id TEXT PRIMARY KEY, public INTEGER NOT NULL, changed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delivery_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, credential_id TEXT NOT NULL,
    recipient TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT);
"""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    sender: str = "badges@localhost"
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Deliveries:
    """Claim links and email delivery for one issuer workspace."""

    def __init__(self, issuer: Issuer, *, base_url: str,
                 ttl: timedelta = timedelta(days=30), fetcher: Any = None,
                 templates: str | os.PathLike[str] | None = None) -> None:
        if not base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise IssuingError("claim links need an https base URL", "WORKSPACE_ERROR")
        self.issuer = issuer
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self.templates = Path(templates) if templates is not None else None
        """A folder whose ``claim.txt`` / ``claim.html`` replace the package's email
        templates (either or both)."""
        self.fetcher = fetcher
        """The fetcher badge pages verify with (default: mcbadge's guarded one)."""
        self._tables = side_tables(issuer, _SCHEMA + WALLET_SCHEMA)
        self.rate_limit: tuple[int, float] = (20, 600.0)
        """Failed claim, badge-page and wallet attempts allowed per client address and per
        token, and the window (seconds), in the server that serves these pages."""
        self.wallets = Wallets(self)
        """Delivery to wallets: the VC-API exchange and the OID4VCI offer of a claim."""

    def close(self) -> None:
        self._tables.close()

    def claim_link(self, credential_id: str, *, now: datetime | None = None) -> str:
        """A new single-use link to ``credential_id`` (issued, not revoked)."""
        record = self.issuer.record(credential_id)
        if record is None or not record.issued:
            raise IssuingError(f"{credential_id} is not an issued credential", "NOT_FOUND")
        if record.revoked:
            raise IssuingError(f"{credential_id} is revoked; it is not delivered")
        token = secrets.token_urlsafe(16)  # 128 bits
        moment = now or datetime.now(UTC)
        with self._tables.tx() as db:
            db.execute("INSERT INTO delivery_claims VALUES (?, ?, ?, ?, ?, NULL)",
                       (_hash(token), credential_id, record.recipient, _iso(moment),
                        _iso(moment + self.ttl)))
        return f"{self.base_url}/claim/{token}"

    def peek(self, token: str, *, now: datetime | None = None) -> dict[str, Any]:
        """What a claim link leads to (the badge), without spending it; raises
        ``IssuingError`` (``CLAIM_INVALID``) for an unknown, used or expired token."""
        row = self._tables.db().execute(
            "SELECT credential_id, expires_at, claimed_at FROM delivery_claims WHERE "
            "token_hash = ?", (_hash(token),)).fetchone()
        return self._badge(row, now)

    def redeem(self, token: str, *, now: datetime | None = None) -> dict[str, Any]:
        """The badge a claim link leads to, once: the token is spent in the same
        transaction that reads it."""
        with self._tables.tx() as db:
            return self._spend(db, _hash(token), now)

    def _spend(self, db: Any, claim_hash: str, now: datetime | None) -> dict[str, Any]:
        """Inside a transaction: the claim's badge, and the claim spent."""
        row = db.execute("SELECT credential_id, expires_at, claimed_at FROM "
                         "delivery_claims WHERE token_hash = ?", (claim_hash,)).fetchone()
        badge = self._badge(row, now)
        db.execute("UPDATE delivery_claims SET claimed_at = ? WHERE token_hash = ?",
                   (utc_now(), claim_hash))
        return badge

    def _badge(self, row: Any, now: datetime | None) -> dict[str, Any]:
        if row is None:
            raise IssuingError("this claim link is not valid", "CLAIM_INVALID")
        credential_id, expires_at, claimed_at = row
        if claimed_at is not None:
            raise IssuingError("this claim link has been used", "CLAIM_INVALID")
        if _iso(now or datetime.now(UTC)) > expires_at:
            raise IssuingError("this claim link has expired; ask the issuer for a new one",
                               "CLAIM_INVALID")
        record = self.issuer.record(credential_id)
        if record is None or record.document is None or record.revoked:
            raise IssuingError("this badge is no longer available", "CLAIM_INVALID")
        badge: dict[str, Any] = json.loads(record.document)
        return badge

    def message(self, credential_id: str, link: str, sender: str) -> EmailMessage:
        """The email, from the templates ``claim.txt`` (its first line ``Subject: ...``)
        and ``claim.html`` (``string.Template``: ``$badge``, ``$issuer``, ``$link``,
        ``$days``, ``$recipient``; HTML-escaped in the HTML part): the package's own, or
        those in ``templates`` given to :class:`Deliveries`."""
        record = self.issuer.record(credential_id)
        if record is None or record.document is None:
            raise IssuingError(f"{credential_id} is not an issued credential", "NOT_FOUND")
        badge = json.loads(record.document)
        name = badge.get("name")
        values = {"badge": name if isinstance(name, str) else "a badge",
                  "issuer": self.issuer.profile.name or "Your issuer", "link": link,
                  "days": str(self.ttl.days), "recipient": record.recipient}
        text_template, html_template = self._templates()
        try:
            text = text_template.substitute(values)
            body = html_template.substitute({k: html.escape(v) for k, v in values.items()})
        except (KeyError, ValueError) as exc:
            raise IssuingError(f"an email template names an unknown or bad placeholder: "
                               f"{exc}", "WORKSPACE_ERROR") from None
        subject, _, rest = text.partition("\n")
        if not subject.startswith("Subject:"):
            raise IssuingError("claim.txt must start with a 'Subject: ...' line",
                               "WORKSPACE_ERROR")
        msg = EmailMessage()
        msg["Subject"] = subject.removeprefix("Subject:").strip()
        msg["From"] = sender
        msg["To"] = record.recipient
        msg.set_content(rest.lstrip("\n"))
        msg.add_alternative(body, subtype="html")
        return msg

    def _templates(self) -> tuple[string.Template, string.Template]:
        def read(name: str) -> str:
            if self.templates is not None and (self.templates / name).is_file():
                return (self.templates / name).read_text("utf-8")
            return resources.files("mcbadge.delivery").joinpath("templates", name).read_text(
                "utf-8")

        return string.Template(read("claim.txt")), string.Template(read("claim.html"))

    def send(self, credential_id: str, smtp: SmtpSettings, *, retries: int = 3,
             backoff: float = 1.0) -> str:
        """Email a fresh claim link to the credential's recipient; retried, and logged
        (``sent`` or ``failed`` with the reason). Returns the outcome."""
        record = self.issuer.record(credential_id)
        if record is None or "@" not in record.recipient:
            raise IssuingError(f"{credential_id} has no email recipient to deliver to")
        link = self.claim_link(credential_id)
        msg = self.message(credential_id, link, smtp.sender)
        detail = ""
        for attempt in range(1, retries + 1):
            try:
                with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as client:
                    if smtp.starttls:
                        client.starttls(context=ssl.create_default_context())
                    if smtp.username:
                        client.login(smtp.username, smtp.password or "")
                    client.send_message(msg)
                self._log(credential_id, record.recipient, "sent", f"attempt {attempt}")
                return "sent"
            except (OSError, smtplib.SMTPException) as exc:
                detail = f"attempt {attempt}: {type(exc).__name__}: {exc}"[:300]
                if attempt < retries:
                    time.sleep(backoff * attempt)
        self._log(credential_id, record.recipient, "failed", detail)
        return "failed"

    def _log(self, credential_id: str, recipient: str, outcome: str, detail: str) -> None:
        with self._tables.tx() as db:
            db.execute("INSERT INTO delivery_log (credential_id, recipient, at, outcome, "
                       "detail) VALUES (?, ?, ?, ?, ?)",
                       (credential_id, recipient, utc_now(), outcome, detail))

    # -- badge pages -------------------------------------------------------------------

    def set_public(self, credential_id: str, public: bool = True) -> None:
        """Make a badge's page public (or private again: the default)."""
        if self.issuer.record(credential_id) is None:
            raise IssuingError(f"{credential_id} is not a credential of this issuer",
                               "NOT_FOUND")
        with self._tables.tx() as db:
            db.execute("INSERT INTO delivery_pages VALUES (?, ?, ?) ON CONFLICT "
                       "(credential_id) DO UPDATE "
                       "SET public = excluded.public, changed_at = excluded.changed_at",
                       (credential_id, int(public), utc_now()))

    def is_public(self, credential_id: str) -> bool:
        """Whether the earner made the badge's page public."""
        row = self._tables.db().execute("SELECT public FROM delivery_pages WHERE "
                                        "credential_id = ?", (credential_id,)).fetchone()
        return row is not None and bool(row[0])

    def page_badge(self, credential_id: str, token: str | None = None) -> dict[str, Any]:
        """The badge shown at ``/badges/{id}``: public ones to anyone, private ones only
        with a live claim token for that badge; else ``CLAIM_INVALID``."""
        if self.is_public(credential_id):
            record = self.issuer.record(credential_id)
            if record is not None and record.document is not None:
                badge: dict[str, Any] = json.loads(record.document)
                return badge
        if token:
            found = self.peek(token)
            if found.get("id") == credential_id:
                return found
        raise IssuingError("this badge page is private", "CLAIM_INVALID")

    def log(self, credential_id: str | None = None) -> list[dict[str, str]]:
        query = "SELECT credential_id, recipient, at, outcome, detail FROM delivery_log"
        args: tuple[str, ...] = ()
        if credential_id is not None:
            query += " WHERE credential_id = ?"
            args = (credential_id,)
        rows = self._tables.db().execute(query + " ORDER BY seq", args).fetchall()
        return [dict(zip(("credential", "recipient", "at", "outcome", "detail"), r,
                         strict=True)) for r in rows]
