"""Delivery to a wallet: a VC-API exchange with DID authentication (the Learner Credential
Wallet's flow) and an OpenID for Verifiable Credential Issuance 1.0 offer (pre-authorised
code, proof of possession), both spending the claim link they come from.

Every identifier here is derived from the claim token with a domain-separating SHA-256
(``exchange``, ``code``, ``challenge``): as unguessable as the token, not linkable to the
token's stored hash, and the same however often the claim page is shown. The ledger keeps only
hashes of the exchange id, the pre-authorised code, access tokens and nonces; each works
once, and the claim is spent in the transaction that hands the credential over.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mcbadge.errors import IssuingError, MCBadgeError

if TYPE_CHECKING:
    from mcbadge.delivery import Deliveries

WALLET_SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery_exchanges (
    exchange_hash TEXT PRIMARY KEY, claim_hash TEXT NOT NULL, code_hash TEXT NOT NULL UNIQUE,
    challenge TEXT NOT NULL, created_at TEXT NOT NULL, done_at TEXT, protocol TEXT,
    holder TEXT);
CREATE TABLE IF NOT EXISTS delivery_grants (
    grant_hash TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('access', 'nonce')),
    exchange_hash TEXT, expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
"""

CREDENTIAL_CONFIGURATION = "OpenBadgeCredential"
"""The one OID4VCI credential configuration offered: the issued badge, as issued (``ldp_vc``)."""
PROOF_TYP = "openid4vci-proof+jwt"
ACCESS_TTL = 600.0
NONCE_TTL = 300.0
PROOF_AGE = 300
"""A proof of possession's ``iat`` may be this many seconds off the server's clock."""
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


class WalletError(IssuingError):
    """A wallet request refused: ``error`` is the OAuth / OID4VCI error code."""

    def __init__(self, message: str, error: str = "invalid_request", status: int = 400) -> None:
        super().__init__(message, "CLAIM_INVALID")
        self.error = error
        self.status = status


def _derive(label: str, token: str) -> str:
    digest = hashlib.sha256(f"mcbadge {label}\0{token}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")  # 144 bits, 24 chars


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WalletOffer:
    """What the claim page links a wallet to."""

    exchange_url: str
    """The VC-API exchange (POST ``{}`` to start, then the DID-authentication VP)."""
    interaction_url: str
    """GET: the protocols this claim can be delivered by (``vcapi``, ``OID4VCI``)."""
    lcw_link: str
    """The Learner Credential Wallet's deep link to the exchange."""
    credential_offer: str
    """``openid-credential-offer://?credential_offer_uri=...`` for any OID4VCI wallet."""


class Wallets:
    """The wallet side of :class:`~mcbadge.delivery.Deliveries` (``deliveries.wallets``)."""

    def __init__(self, deliveries: Deliveries) -> None:
        self.d = deliveries  # its tables hold WALLET_SCHEMA's too

    @property
    def issuer_url(self) -> str:
        """The credential issuer identifier (OID4VCI) and DID-auth domain: the base URL."""
        return self.d.base_url

    # -- the offer ------------------------------------------------------------------------

    def offer(self, token: str) -> WalletOffer:
        """The wallet links of a live claim token (``CLAIM_INVALID`` otherwise)."""
        from urllib.parse import quote

        self.d.peek(token)
        exchange = _derive("exchange", token)
        with self.d._tables.tx() as db:
            db.execute("INSERT INTO delivery_exchanges (exchange_hash, claim_hash, code_hash, "
                       "challenge, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (_hash(exchange), _hash(token), _hash(self._code(exchange)),
                        _derive("challenge", token), _now_iso()))
        base = self.issuer_url
        exchange_url = f"{base}/workflows/claim/exchanges/{exchange}"
        request = ('{"credentialRequestOrigin":"' + base + '","protocols":{"vcapi":"'
                   + exchange_url + '"}}')
        offer_uri = f"{base}/oid4vci/offers/{exchange}"
        return WalletOffer(
            exchange_url=exchange_url,
            interaction_url=f"{base}/interactions/{exchange}?iuv=1",
            lcw_link="https://lcw.app/request.html?request=" + quote(request, safe=""),
            credential_offer="openid-credential-offer://?credential_offer_uri="
                             + quote(offer_uri, safe=""))

    def _exchange(self, db: Any, exchange: str) -> tuple[str, str, str | None]:
        row = db.execute("SELECT claim_hash, challenge, done_at FROM delivery_exchanges "
                         "WHERE exchange_hash = ?", (_hash(exchange),)).fetchone()
        if row is None:
            raise WalletError("no such exchange", "invalid_request", 404)
        return row[0], row[1], row[2]

    def protocols(self, exchange: str) -> dict[str, Any]:
        """The interaction URL's answer: how this exchange can be carried out."""
        self._exchange(self.d._tables.db(), exchange)
        base = self.issuer_url
        return {"protocols": {
            "vcapi": f"{base}/workflows/claim/exchanges/{exchange}",
            "OID4VCI": "openid-credential-offer://?credential_offer_uri="
                       f"{base}/oid4vci/offers/{exchange}"}}

    # -- VC-API exchange --------------------------------------------------------------------

    def exchange_step(self, exchange: str, body: Any) -> dict[str, Any]:
        """One POST to the exchange: ``{}`` gets the DID-authentication request; a
        ``verifiablePresentation`` answering it gets the badge (once)."""
        from mcbadge.verification import verify_presentation

        db = self.d._tables.db()
        claim_hash, challenge, done = self._exchange(db, exchange)
        if done is not None:
            raise WalletError("this exchange is complete", "invalid_request", 409)
        if not isinstance(body, Mapping):
            raise WalletError("the body must be a JSON object")
        vp = body.get("verifiablePresentation")
        if vp is None:
            self._live(db, claim_hash)
            return {"verifiablePresentationRequest": {
                "query": [{"type": "DIDAuthentication",
                           "acceptedMethods": [{"method": "key"}],
                           "acceptedCryptosuites": [{"cryptosuite": "eddsa-rdfc-2022"},
                                                    {"cryptosuite": "ecdsa-rdfc-2019"}]}],
                "challenge": challenge, "domain": self.issuer_url}}
        result = verify_presentation(vp, challenge=challenge, domain=self.issuer_url,
                                     fetcher=self.d.fetcher)
        proof_check = next((c for c in result.checks if c.id == "presentation_proof"), None)
        if proof_check is None or proof_check.outcome != "passed" or not result.verified:
            failed = next((c for c in result.checks if c.outcome == "failed"), None)
            raise WalletError("DID authentication failed: "
                              + (failed.message if failed else "no proof"), "invalid_proof",
                              401)
        holder = vp.get("holder") if isinstance(vp, Mapping) else None
        holder = holder.get("id") if isinstance(holder, Mapping) else holder
        if not isinstance(holder, str) or not holder.startswith("did:"):
            raise WalletError("the presentation names no holder DID", "invalid_proof", 401)
        badge = self._hand_over(claim_hash, _hash(exchange), "vcapi", holder)
        return {"verifiablePresentation": {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"], "verifiableCredential": [badge]}}

    def _live(self, db: Any, claim_hash: str) -> None:
        row = db.execute("SELECT credential_id, expires_at, claimed_at FROM delivery_claims "
                         "WHERE token_hash = ?", (claim_hash,)).fetchone()
        self.d._badge(row, None)

    # -- OpenID for Verifiable Credential Issuance 1.0 ------------------------------------

    def issuer_metadata(self) -> dict[str, Any]:
        """``/.well-known/openid-credential-issuer``."""
        base = self.issuer_url
        return {
            "credential_issuer": base,
            "authorization_servers": [base],
            "credential_endpoint": f"{base}/oid4vci/credential",
            "nonce_endpoint": f"{base}/oid4vci/nonce",
            "display": [{"name": self.d.issuer.profile.name or "mcbadge issuer"}],
            "credential_configurations_supported": {CREDENTIAL_CONFIGURATION: {
                "format": "ldp_vc",
                "credential_definition": {
                    "@context": ["https://www.w3.org/ns/credentials/v2",
                                 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"]},
                "cryptographic_binding_methods_supported": ["did:key", "jwk"],
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022",
                                                            "ecdsa-rdfc-2019"],
                "proof_types_supported": {"jwt": {
                    "proof_signing_alg_values_supported": ["EdDSA", "ES256", "ES384"]}},
                "display": [{"name": "Open Badge"}]}},
        }

    def authorization_metadata(self) -> dict[str, Any]:
        """``/.well-known/oauth-authorization-server``: only the pre-authorised grant."""
        base = self.issuer_url
        return {"issuer": base, "token_endpoint": f"{base}/oid4vci/token",
                "grant_types_supported": [PRE_AUTHORIZED],
                "pre-authorized_grant_anonymous_access_supported": True,
                "response_types_supported": []}

    def credential_offer(self, exchange: str) -> dict[str, Any]:
        """The offer behind ``credential_offer_uri`` (its pre-authorised code inside)."""
        db = self.d._tables.db()
        claim_hash, _, done = self._exchange(db, exchange)
        if done is not None:
            raise WalletError("this offer has been taken", "invalid_request", 404)
        self._live(db, claim_hash)
        return {"credential_issuer": self.issuer_url,
                "credential_configuration_ids": [CREDENTIAL_CONFIGURATION],
                "grants": {PRE_AUTHORIZED: {"pre-authorized_code": self._code(exchange)}}}

    def _code(self, exchange: str) -> str:
        # the code is derived from the exchange id: whoever holds the offer URL holds the code
        return _derive("code-of", exchange)

    def token(self, form: Mapping[str, Any]) -> dict[str, Any]:
        """The token endpoint: a pre-authorised code for a short-lived access token."""
        if form.get("grant_type") != PRE_AUTHORIZED:
            raise WalletError("only the pre-authorized_code grant is supported",
                              "unsupported_grant_type")
        code = form.get("pre-authorized_code")
        if not isinstance(code, str) or not code:
            raise WalletError("pre-authorized_code is missing")
        if form.get("tx_code"):
            raise WalletError("no transaction code was asked for", "invalid_grant")
        access = secrets.token_urlsafe(32)
        with self.d._tables.tx() as db:
            row = db.execute("SELECT exchange_hash, claim_hash, done_at FROM "
                             "delivery_exchanges WHERE code_hash = ?",
                             (_hash(code),)).fetchone()
            if row is None or row[2] is not None:
                raise WalletError("the pre-authorized code is not valid", "invalid_grant")
            self._live(db, row[1])
            # a code works once: it is replaced by one nobody knows
            db.execute("UPDATE delivery_exchanges SET code_hash = ? WHERE exchange_hash = ?",
                       (_hash(secrets.token_urlsafe(32)), row[0]))
            db.execute("INSERT INTO delivery_grants VALUES (?, 'access', ?, ?, 0)",
                       (_hash(access), row[0], time.time() + ACCESS_TTL))
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(ACCESS_TTL)}

    def nonce(self) -> dict[str, Any]:
        """The nonce endpoint: a fresh ``c_nonce`` for one proof of possession."""
        value = secrets.token_urlsafe(24)
        with self.d._tables.tx() as db:
            db.execute("DELETE FROM delivery_grants WHERE expires_at < ?", (time.time(),))
            db.execute("INSERT INTO delivery_grants VALUES (?, 'nonce', NULL, ?, 0)",
                       (_hash(value), time.time() + NONCE_TTL))
        return {"c_nonce": value}

    def credential(self, authorization: str | None, body: Any) -> dict[str, Any]:
        """The credential endpoint: a bearer access token and a proof of possession (a JWT
        signed by the holder's key over this issuer and a fresh nonce) for the badge."""
        if not authorization or not authorization.startswith("Bearer "):
            raise WalletError("a Bearer access token is required", "invalid_token", 401)
        access = authorization.removeprefix("Bearer ").strip()
        if not isinstance(body, Mapping):
            raise WalletError("the body must be a JSON object", "invalid_credential_request")
        wanted = body.get("credential_configuration_id", CREDENTIAL_CONFIGURATION)
        if wanted != CREDENTIAL_CONFIGURATION:
            raise WalletError(f"unknown credential configuration {wanted!r:.60}",
                              "unknown_credential_configuration")
        jwt = _proof_jwt(body)
        db = self.d._tables.db()
        row = db.execute("SELECT exchange_hash, expires_at, used FROM delivery_grants WHERE "
                         "grant_hash = ? AND kind = 'access'", (_hash(access),)).fetchone()
        if row is None or row[1] < time.time() or row[2]:
            raise WalletError("the access token is not valid", "invalid_token", 401)
        exchange_hash = row[0]
        holder = self._check_proof(jwt)
        found = db.execute("SELECT exchange_hash, claim_hash FROM delivery_exchanges WHERE "
                           "exchange_hash = ?", (exchange_hash,)).fetchone()
        assert found is not None
        with self.d._tables.tx() as tx:
            spent = tx.execute("UPDATE delivery_grants SET used = 1 WHERE grant_hash = ? AND "
                               "used = 0", (_hash(access),)).rowcount
            if spent != 1:
                raise WalletError("the access token is not valid", "invalid_token", 401)
        badge = self._hand_over(found[1], exchange_hash, "oid4vci", holder)
        return {"credentials": [{"credential": badge}]}

    def _hand_over(self, claim_hash: str, exchange_hash: str, protocol: str,
                          holder: str) -> dict[str, Any]:
        with self.d._tables.tx() as db:
            row = db.execute("SELECT done_at FROM delivery_exchanges WHERE exchange_hash = ?",
                             (exchange_hash,)).fetchone()
            if row is None or row[0] is not None:
                raise WalletError("this offer has been taken", "invalid_request", 409)
            try:
                badge = self.d._spend(db, claim_hash, None)
            except IssuingError as exc:
                raise WalletError(exc.message, "invalid_grant", 400) from None
            db.execute("UPDATE delivery_exchanges SET done_at = ?, protocol = ?, holder = ? "
                       "WHERE exchange_hash = ?", (_now_iso(), protocol, holder,
                                                   exchange_hash))
            db.execute("INSERT INTO delivery_log (credential_id, recipient, at, outcome, "
                       "detail) VALUES (?, ?, ?, ?, ?)",
                       (badge.get("id", ""), holder, _now_iso(), "wallet",
                        f"{protocol} to {holder}"[:300]))
        return badge

    def _check_proof(self, jwt: str) -> str:
        """The holder (a did:key or a JWK thumbprint URN) of a valid proof of possession."""
        from mcbadge.keys import key_from_jwk, public_key_from_any_multibase
        from mcbadge.proofs.jwt import decode_jwt, jws_verify

        try:
            parts = decode_jwt(jwt)
        except MCBadgeError as exc:
            raise WalletError(f"the proof is not a JWT: {exc.message}", "invalid_proof") \
                from None
        header, claims = parts.header, parts.payload
        if header.get("typ") != PROOF_TYP:
            raise WalletError(f"the proof's typ must be {PROOF_TYP}", "invalid_proof")
        kid, jwk = header.get("kid"), header.get("jwk")
        try:
            if isinstance(kid, str) and kid.startswith("did:key:") and jwk is None:
                holder = kid.split("#")[0]
                key = public_key_from_any_multibase(holder.removeprefix("did:key:"))
            elif isinstance(jwk, Mapping) and kid is None:
                if "d" in jwk:
                    raise WalletError("the proof's jwk is a private key", "invalid_proof")
                key = key_from_jwk(jwk)
                holder = "urn:ietf:params:oauth:jwk-thumbprint:sha-256:" + _thumbprint(jwk)
            else:
                raise WalletError("the proof names its key by a did:key kid or a jwk",
                                  "invalid_proof")
        except MCBadgeError as exc:
            raise WalletError(f"the proof's key cannot be read: {exc.message}",
                              "invalid_proof") from None
        if not jws_verify(parts, key):
            raise WalletError("the proof's signature does not verify", "invalid_proof")
        if claims.get("aud") != self.issuer_url:
            raise WalletError("the proof's aud is not this credential issuer", "invalid_proof")
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or abs(time.time() - iat) > PROOF_AGE:
            raise WalletError("the proof's iat is missing or too far from now",
                              "invalid_proof")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str):
            raise WalletError("the proof carries no nonce", "invalid_nonce")
        with self.d._tables.tx() as db:
            used = db.execute("UPDATE delivery_grants SET used = 1 WHERE grant_hash = ? AND "
                              "kind = 'nonce' AND used = 0 AND expires_at >= ?",
                              (_hash(nonce), time.time())).rowcount
        if used != 1:
            raise WalletError("the proof's nonce is unknown, used or expired", "invalid_nonce")
        return holder


def _proof_jwt(body: Mapping[str, Any]) -> str:
    """The one proof JWT of a credential request (1.0 ``proofs.jwt``, or a draft's
    ``proof``)."""
    proofs = body.get("proofs")
    if isinstance(proofs, Mapping):
        jwts = proofs.get("jwt")
        if isinstance(jwts, list) and len(jwts) == 1 and isinstance(jwts[0], str):
            return jwts[0]
        raise WalletError("proofs.jwt must hold one JWT", "invalid_proof")
    proof = body.get("proof")
    if isinstance(proof, Mapping) and proof.get("proof_type") == "jwt" and \
            isinstance(proof.get("jwt"), str):
        return str(proof["jwt"])
    raise WalletError("a proof of possession (proofs.jwt) is required", "invalid_proof")


def _thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    import json

    members = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x"),
               "RSA": ("e", "kty", "n")}.get(str(jwk.get("kty")), ())
    canonical = json.dumps({k: jwk.get(k) for k in members}, separators=(",", ":"),
                           sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _now_iso() -> str:
    moment = datetime.now(UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
