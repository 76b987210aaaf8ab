"""The issuer workspace: a folder holding the issuer's profile, signing key, ledger and the
state of its status lists.

```
WORKSPACE/
  issuer.json        the profile, identifiers and settings (public data)
  keys/signing.key   the signing key (Ed25519, or P-256 / P-384 for the ECDSA suites),
                     Multikey JSON, mode 0600 (folder 0700)
  ledger.sqlite3     every credential issued and every status change
```
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from mcbadge._private.files import write_atomic
from mcbadge.errors import IssuingError, MCBadgeError
from mcbadge.issuing._build import (
    CredentialTemplate,
    Recipient,
    achievement_json,
    as_evidence,
    as_results,
    iso_z,
    mandatory_pointers,
    status_entry_json,
)
from mcbadge.issuing._roster import RosterFormat

if TYPE_CHECKING:
    from mcbadge.issuing._bulk import BulkSummary

from mcbadge.issuing._ledger import (
    Ledger,
    LedgerRecord,
    ListUrl,
    Reservation,
    SQLiteLedger,
    StatusChange,
    StatusListInfo,
    utc_now,
)
from mcbadge.jsonld import DocumentLoader
from mcbadge.keys import (
    Ed25519Key,
    JwtKey,
    did_web_document,
    did_web_host_problem,
    did_web_to_url,
    load_key,
    save_key,
)
from mcbadge.models import Achievement, Evidence, Profile, Result
from mcbadge.models.ob import OB_CONTEXT, VC_V2_CONTEXT
from mcbadge.proofs import SUITES, sign
from mcbadge.status import Bitstring

__all__ = ["IssuedCredential", "Issuer"]

logger = logging.getLogger("mcbadge.issuing")


class IssuedCredential(dict[str, Any]):
    """A signed credential (a dict of its JSON), and whether an earlier call had already
    issued it (``already_issued``: the same idempotency key and data)."""

    already_issued: bool = False


def differences(stored: Mapping[str, Any], *, achievement: Mapping[str, Any],
                name: str | None, evidence: list[dict[str, Any]],
                results: list[dict[str, Any]], valid_from: str | None,
                valid_until: str | None, suite: str | None, purposes: tuple[str, ...],
                plaintext_email: bool) -> list[str]:
    """What a request asks that the credential already issued under its key does not say."""
    subject = stored.get("credentialSubject") or {}
    identifiers = subject.get("identifier") or []
    out = []
    if subject.get("achievement") != achievement:
        out.append("achievement (it changed since)")
    names = [i.get("identityHash") for i in identifiers if i.get("identityType") == "name"]
    if (names[0] if names else None) != name:
        out.append("name")
    if (stored.get("evidence") or []) != evidence:
        out.append("evidence")
    if (subject.get("result") or []) != results:
        out.append("result")
    if valid_from is not None and stored.get("validFrom") != valid_from:
        out.append("validFrom")
    if stored.get("validUntil") != valid_until:
        out.append("validUntil")
    proofs = stored.get("proof")
    proof = proofs[0] if isinstance(proofs, list) and proofs else proofs or {}
    if suite is not None and proof.get("cryptosuite", proof.get("type")) != suite:
        out.append("suite")
    statuses = stored.get("credentialStatus") or []
    statuses = statuses if isinstance(statuses, list) else [statuses]
    if sorted(s.get("statusPurpose") for s in statuses) != sorted(purposes):
        out.append("status entries (suspendable)")
    emails = [i for i in identifiers if i.get("identityType") == "emailAddress"]
    if emails and bool(emails[0].get("hashed")) == plaintext_email:
        out.append("plaintext_email")
    return out

FORMAT = "mcbadge-issuer/1"
CONFIG = "issuer.json"
KEY_FILE = "keys/signing.key"
LEDGER_FILE = "ledger.sqlite3"


def _did_web(value: str) -> str:
    """``HOST[:PORT][/PATH]`` (or a did:web already) as a did:web identifier."""
    if value.startswith("did:web:"):
        did = value
    else:
        text = value.removeprefix("https://").strip("/")
        host, _, path = text.partition("/")
        if not host:
            raise IssuingError(f"--did-web needs HOST[/PATH], got {value!r}", "WORKSPACE_ERROR")
        host = unquote(host)  # "web.example%3A8443" and "web.example:8443" alike
        problem = did_web_host_problem(host)
        if problem:
            name, _, rest = host.partition(":")
            hint = ""
            if rest and not rest.isdigit():
                as_path = "/".join([name, *rest.split(":"), *([path] if path else [])])
                hint = (f"; for a path write {as_path!r} (did:web:"
                        f"{':'.join(as_path.split('/'))}), for a port write "
                        f"'{name}%3A8443' or '{name}:8443'")
            raise IssuingError(f"--did-web {value!r}: {problem}{hint}", "WORKSPACE_ERROR")
        segments = [quote(host, safe="")] + [quote(s, safe="") for s in path.split("/") if s]
        did = "did:web:" + ":".join(segments)
    try:
        did_web_to_url(did)
    except MCBadgeError as exc:
        raise IssuingError(exc.message, "WORKSPACE_ERROR") from None
    return did


def _https(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise IssuingError(f"{what} must be an https URL, got {value!r}", "WORKSPACE_ERROR")
    return value


class Issuer:
    """An issuer of record: its profile, key, ledger and status lists, in one folder.

    ```python
    from mcbadge.issuing import Issuer

    issuer = Issuer.create("pd-issuer", name="District PD", url="https://pd.district.example")
    badge = issuer.issue(achievement, "educator@district.example", name="Ada Lovelace")
    issuer.revoke(badge["id"], "awarded in error")
    issuer.publish_status("site/")        # host site/ at https://pd.district.example/
    ```

    The issuer id is a did:key of the signing key by default; pass ``did_web="host/path"``
    for a did:web (host :meth:`did_document`), or ``profile_url=`` for an https issuer id
    (host :meth:`profile_document` there, and the key document :meth:`key_document` beside
    it, at ``keys/<multibase>.json``; ``embedded_key=True`` puts the key inside the profile
    instead, which fewer verifiers can use). ``url`` is the issuer's web site: the status
    lists are published under ``{url}/status/`` unless ``status_base_url`` says otherwise.
    """

    def __init__(self, path: Path, config: dict[str, Any], key: Ed25519Key | JwtKey,
                 ledger: Ledger) -> None:
        self.path = path
        self.config = config
        self.key = key
        self.ledger = ledger
        self._templates: dict[str, CredentialTemplate] = {}

    # -- creating and opening --------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        name: str,
        url: str,
        did_web: str | None = None,
        profile_url: str | None = None,
        description: str | None = None,
        email: str | None = None,
        image: str | None = None,
        status_base_url: str | None = None,
        suite: str | None = None,
        status_list_size: int = 131_072,
        key: Ed25519Key | JwtKey | None = None,
        embedded_key: bool = False,
        key_type: str = "ed25519",
        ledger: str | None = None,
    ) -> Issuer:
        """Make a new workspace at ``path`` (a new or empty folder) with a new key.

        ``key_type``: ``ed25519`` (default; suite ``eddsa-rdfc-2022``), ``p256`` or ``p384``
        (suite ``ecdsa-rdfc-2019``; ``ecdsa-jcs-2019`` too, and ``ecdsa-sd-2023`` with
        P-256). ``suite`` must fit the key.

        ``ledger``: a ``postgresql://`` URL to keep the ledger (and the programs', stacks'
        and deliveries' tables) in PostgreSQL, shared by several app servers; the default
        is the embedded SQLite file. The URL is stored without its password (give that to
        libpq: ``PGPASSWORD``, ``~/.pgpass``, or the whole URL in ``MCBADGE_LEDGER``)."""
        from mcbadge._private.pg_url import is_postgres_url, strip_password

        root = Path(path)
        if ledger is not None and not is_postgres_url(ledger):
            raise IssuingError("ledger is a postgresql:// URL (or None: the SQLite file)",
                               "WORKSPACE_ERROR")
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise IssuingError(
                f"{root} already exists and is not an empty folder; open it with "
                "Issuer.open, or choose a new folder", "WORKSPACE_ERROR",
            )
        if not name or not name.strip():
            raise IssuingError("the issuer needs a name", "WORKSPACE_ERROR")
        _https(url, "the issuer's url")
        if did_web and profile_url:
            raise IssuingError("give did_web or profile_url, not both", "WORKSPACE_ERROR")
        if key_type not in ("ed25519", "p256", "p384"):
            raise IssuingError(f"unknown key type {key_type!r}: ed25519, p256 or p384",
                               "WORKSPACE_ERROR")
        key = key or (Ed25519Key.generate() if key_type == "ed25519"
                      else JwtKey.generate(key_type))
        suite = suite or ("eddsa-rdfc-2022" if isinstance(key, Ed25519Key)
                          else "ecdsa-rdfc-2019")
        if suite not in SUITES:
            raise IssuingError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}",
                               "WORKSPACE_ERROR")
        problem = SUITES[suite].key_problem(key)
        if problem is not None:
            raise IssuingError(f"{problem} (--key-type)", "WORKSPACE_ERROR")
        if status_list_size < 131_072:
            raise IssuingError("status lists hold at least 131,072 entries (herd privacy)",
                               "WORKSPACE_ERROR")
        if did_web:
            issuer_id = _did_web(did_web)
            method = f"{issuer_id}#key-1"
        elif profile_url:
            issuer_id = _https(profile_url, "profile_url")
            # the key as a document of its own, with a controller (what DCC's verifier-core
            # and jsonld-signatures can use); embedded_key keeps the older #key-1 layout
            method = (f"{issuer_id}#key-1" if embedded_key else
                      urljoin(issuer_id, f"keys/{key.public_key_multibase}.json"))
        else:
            issuer_id = key.did
            method = key.verification_method
        profile: dict[str, Any] = {"id": issuer_id, "type": ["Profile"], "name": name.strip(),
                                   "url": url}
        for member, value in (("description", description), ("email", email),
                              ("image", image)):
            if value:
                profile[member] = value
        profile = Profile.from_dict(profile).to_dict()
        config = {
            "format": FORMAT,
            "id": issuer_id,
            "profile": profile,
            "verificationMethod": method,
            "suite": suite,
            "statusBaseUrl": _https(status_base_url or f"{url.rstrip('/')}/status",
                                    "status_base_url").rstrip("/"),
            "statusListSize": status_list_size,
            "created": utc_now(),
        }
        if ledger is not None:
            config["ledger"] = strip_password(ledger)
            _open_store(config, root, ledger).close()  # reachable, empty or ours: now
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(root, 0o700)  # the ledger holds recipients' addresses
        (root / "keys").mkdir(mode=0o700, exist_ok=True)
        os.chmod(root / "keys", 0o700)
        save_key(key, root / KEY_FILE)
        _write_json(root / CONFIG, config)
        if ledger is None:
            SQLiteLedger(root / LEDGER_FILE, create=True).close()
        return cls.open(root)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *,
             ledger: Callable[[ListUrl, int], Ledger] | None = None) -> Issuer:
        """Open an existing workspace.

        ``ledger`` makes the store to use instead of the workspace's SQLite file, from the
        workspace's status-list URL scheme and list size: a PostgreSQL ledger, say (any
        object with the :class:`~mcbadge.issuing.Ledger` methods).
        """
        root = Path(path)
        try:
            config = json.loads((root / CONFIG).read_text("utf-8"))
        except FileNotFoundError:
            raise IssuingError(
                f"{root} is not an issuer workspace (no {CONFIG}); create one with "
                "`mcbadge init`", "WORKSPACE_ERROR",
            ) from None
        except (OSError, ValueError) as exc:
            raise IssuingError(f"cannot read {root / CONFIG}: {exc}", "WORKSPACE_ERROR") from None
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            raise IssuingError(f"{root / CONFIG} is not a {FORMAT} workspace file",
                               "WORKSPACE_ERROR")
        key_path = root / KEY_FILE
        if key_path.exists() and key_path.stat().st_mode & 0o077:
            raise IssuingError(
                f"{key_path} is readable by others; run `chmod 600 {key_path}`",
                "WORKSPACE_ERROR",
            )
        key = load_key(key_path)
        if (not (isinstance(key, Ed25519Key) or (isinstance(key, JwtKey) and key.curve))
                or not key.has_private):
            raise IssuingError(f"{key_path} is not an Ed25519, P-256 or P-384 private key",
                               "WORKSPACE_ERROR")
        base = config["statusBaseUrl"]

        def list_url(purpose: str, number: int) -> str:
            return f"{base}/{purpose}-{number}.json"

        size = int(config["statusListSize"])
        if ledger is None:
            _tighten(root)
        store = (ledger(list_url, size) if ledger is not None else
                 _open_store(config, root, None, list_url))
        return cls(root, config, key, store)

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> Issuer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- who the issuer is -----------------------------------------------------------

    @property
    def id(self) -> str:
        """The issuer id: a did:key, a did:web or an https URL."""
        return str(self.config["id"])

    @property
    def profile(self) -> Profile:
        return Profile.from_dict(self.config["profile"])

    @property
    def verification_method(self) -> str:
        return str(self.config["verificationMethod"])

    @property
    def suite(self) -> str:
        return str(self.config["suite"])

    def did_document(self) -> dict[str, Any]:
        """The ``did.json`` to host for a did:web issuer (at :func:`did_web_url`)."""
        if not self.id.startswith("did:web:"):
            raise IssuingError(f"{self.id} is not a did:web issuer", "WORKSPACE_ERROR")
        return did_web_document(self.id, [self.key])

    def did_web_url(self) -> str:
        """Where :meth:`did_document` must be served."""
        return did_web_to_url(self.id)

    def profile_document(self) -> dict[str, Any]:
        """The issuer profile as a JSON-LD document; for an https issuer id, host it at that
        URL: it lists the signing key so verifiers can bind it to the issuer."""
        doc: dict[str, Any] = {"@context": [VC_V2_CONTEXT, OB_CONTEXT], **self.config["profile"]}
        if self.id.startswith("https://"):
            if self.key_document_url() is None:  # the older layout: the key inside
                doc["verificationMethod"] = [{
                    "id": self.verification_method, "type": "Multikey", "controller": self.id,
                    "publicKeyMultibase": self.key.public_key_multibase,
                }]
            doc["assertionMethod"] = [self.verification_method]
        return doc

    def key_document_url(self) -> str | None:
        """Where an https issuer's key document is served (None: the key is inside the
        profile, the layout of workspaces made with ``embedded_key``)."""
        method = self.verification_method
        if not self.id.startswith("https://") or "#" in method:
            return None
        return method

    def key_document(self) -> dict[str, Any]:
        """The signing key as a Multikey document of its own, controlled by the issuer; host
        it at :meth:`key_document_url` (the profile lists it under ``assertionMethod``)."""
        if self.key_document_url() is None:
            raise IssuingError(f"{self.id} has no separate key document", "WORKSPACE_ERROR")
        return {
            "@context": ["https://w3id.org/security/multikey/v1"],
            "id": self.verification_method, "type": "Multikey", "controller": self.id,
            "publicKeyMultibase": self.key.public_key_multibase,
        }

    # -- issuing ---------------------------------------------------------------------

    def template(self, achievement: Achievement | Mapping[str, Any]) -> CredentialTemplate:
        """The validated parts every credential of ``achievement`` shares."""
        data = achievement_json(achievement)
        cache_key = json.dumps(data, sort_keys=True)
        found = self._templates.get(cache_key)
        if found is None:
            found = CredentialTemplate(issuer=dict(self.config["profile"]), achievement=data)
            self._templates = {cache_key: found}
        return found

    def check_suite(self, suite: str) -> None:
        """Raise ``IssuingError`` unless ``suite`` is known and fits the workspace key."""
        if suite not in SUITES:
            raise IssuingError(f"unknown suite {suite!r}; known: {', '.join(SUITES)}")
        problem = SUITES[suite].key_problem(self.key)
        if problem is not None:
            raise IssuingError(f"{problem}; this workspace's key cannot sign it")

    def sign(self, document: Mapping[str, Any], suite: str | None = None, *,
             loader: DocumentLoader | None = None,
             mandatory: Sequence[str] | None = None) -> dict[str, Any]:
        """Sign ``document`` with the workspace key (its proof names the issuer's method);
        ``loader`` holds the contexts (default: the bundled set). An ``ecdsa-sd-2023`` base
        proof makes ``mandatory`` (JSON pointers) always disclosed (default: issuer,
        validity dates and status entries: ``SD_MANDATORY``)."""
        chosen = suite or self.suite
        pointers = (mandatory_pointers(document, chosen) if mandatory is None
                    else tuple(mandatory))
        return sign(document, self.key, suite=chosen,
                    verification_method=self.verification_method, created=utc_now(),
                    loader=loader, mandatory_pointers=pointers)

    def issue(
        self,
        achievement: Achievement | Mapping[str, Any],
        recipient: str,
        *,
        name: str | None = None,
        evidence: Iterable[Evidence | Mapping[str, Any] | str] = (),
        result: Iterable[Result | Mapping[str, Any] | str] = (),
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        suite: str | None = None,
        idempotency_key: str | None = None,
        suspendable: bool = False,
        plaintext_email: bool = False,
        subject_extra: Mapping[str, Any] | None = None,
        awarded_date: datetime | str | None = None,
    ) -> dict[str, Any]:
        """Issue, sign and record one credential; return it (signed JSON).

        ``subject_extra``: further ``credentialSubject`` members (``source``: the assessing
        organisation's Profile, ``activityStartDate``, ``activityEndDate``...);
        ``awarded_date``: its ``awardedDate``.

        ``recipient``: an email address (written salted and hashed unless
        ``plaintext_email``), a DID or a URL. ``name`` is shown as a ``name`` identifier.
        The credential gets a revocation entry (and a suspension one if ``suspendable``) at
        random, never reused indexes. With an ``idempotency_key`` already used for the same
        award and the same data, the credential issued then is returned (its
        ``already_issued`` is True) and nothing new is issued; with different data (evidence,
        results, name, dates, suite, status entries, the achievement) it is an
        ``IDEMPOTENCY_CONFLICT`` naming what differs.
        """
        explicit_suite = suite is not None
        suite = suite or self.suite
        self.check_suite(suite)
        template = self.template(achievement)
        who = Recipient.parse(recipient)
        evidence_json = as_evidence(evidence)
        results_json = as_results(result, template.achievement)
        starts = iso_z(valid_from) or utc_now()
        ends = iso_z(valid_until)
        achievement_id = str(template.achievement["id"])
        purposes = ("revocation", "suspension") if suspendable else ("revocation",)
        [record] = self.ledger.reserve(
            [Reservation(who.value, achievement_id, idempotency_key, purposes)]
        )
        _same_award(record, who.value, achievement_id)
        if record.issued:
            assert record.document is not None
            loaded = IssuedCredential(json.loads(record.document))
            differing = differences(
                loaded, achievement=template.achievement, name=name, evidence=evidence_json,
                results=results_json, valid_from=iso_z(valid_from), valid_until=ends,
                suite=suite if suite != self.suite or explicit_suite else None,
                purposes=purposes, plaintext_email=plaintext_email)
            if differing:
                raise IssuingError(
                    f"idempotency key {idempotency_key!r} already issued {record.id} with "
                    f"different {', '.join(differing)}; issue the new data under a new key "
                    "(or revoke the old credential first)", "IDEMPOTENCY_CONFLICT",
                    fields=differing)
            loaded.already_issued = True
            return loaded
        document = template.build(
            credential_id=record.id, recipient=who, name=name,
            statuses=[status_entry_json(s.purpose, s.list_url, s.index) for s in record.statuses],
            valid_from=starts, valid_until=ends, evidence=evidence_json, results=results_json,
            plaintext_email=plaintext_email, subject_extra=subject_extra,
            awarded_date=iso_z(awarded_date),
        )
        signed = self.sign(document, suite)
        stored = self.ledger.record_issued([(record.id, json.dumps(signed, ensure_ascii=False))])
        if record.id not in stored:  # another process finished the same reservation first
            again = self.ledger.get(record.id)
            assert again is not None
            assert again.document is not None
            winner = IssuedCredential(json.loads(again.document))
            winner.already_issued = True
            return winner
        logger.info("issued %s (%s) to %s", record.id, achievement_id, who.value)
        return IssuedCredential(signed)

    def issue_credential(self, credential: Mapping[str, Any], *, suite: str | None = None,
                         status: Sequence[str] | None = None,
                         loader: DocumentLoader | None = None,
                         mandatory: Sequence[str] | None = None) -> IssuedCredential:
        """Sign and record a credential the caller built (any VC, as the VC-API issue
        endpoint takes it); return it signed.

        Refused (``IssuingError`` with code ``CREDENTIAL_REFUSED``, ``fields`` the JSON
        pointers) when the VC Data Model forbids it (no base context first, no
        ``VerifiableCredential`` type, no or empty ``credentialSubject``, malformed dates, an
        object without its ``type``...), when a term is undefined (JSON-LD safe mode), when
        its issuer is not this issuer or it already has a proof. Its ``id`` is kept (one the
        ledger already holds is ``ID_CONFLICT``); without one it gets a new ``urn:uuid``.
        ``status``: the status purposes to add entries for (``revocation``, ``suspension``);
        default: a revocation entry for a VC 2.0 credential that has no ``credentialStatus``
        of its own, none for a VC 1.1 one. ``loader``: the contexts (default: the bundled
        set; a ``DocumentLoader(extra_contexts=...)`` for a domain's own). Recorded in the
        ledger before it returns.
        """
        from mcbadge.issuing._external import issue_credential

        return issue_credential(self, credential, suite=suite, status=status, loader=loader,
                                mandatory=mandatory)

    def clr(self, recipient: str, *, associations: Sequence[Mapping[str, Any]] = (),
            name: str | None = None) -> dict[str, Any]:
        """The recipient's record as a signed CLR 2.0 credential (see
        :func:`mcbadge.issuing._clr.clr_credential`)."""
        from mcbadge.issuing._clr import clr_credential

        return clr_credential(self, recipient, associations=associations, name=name)

    def issue_many(
        self,
        achievement: Achievement | Mapping[str, Any],
        rows: str | os.PathLike[str] | Iterable[Any],
        *,
        out: str | os.PathLike[str] | None = None,
        bake: bytes | None = None,
        workers: int | None = None,
        suite: str | None = None,
        valid_from: datetime | str | None = None,
        valid_until: datetime | str | None = None,
        suspendable: bool = False,
        plaintext_email: bool = False,
        progress: Callable[[int, int], None] | None = None,
        chunk_size: int = 200,
        roster: RosterFormat | None = None,
    ) -> BulkSummary:
        """Bulk issuance; see :func:`mcbadge.issuing.issue_many`."""
        from mcbadge.issuing._bulk import issue_many

        return issue_many(
            self, achievement, rows, out=out, bake=bake, workers=workers, suite=suite,
            valid_from=valid_from, valid_until=valid_until, suspendable=suspendable,
            plaintext_email=plaintext_email, progress=progress, chunk_size=chunk_size,
            roster=roster)

    # -- status ----------------------------------------------------------------------

    def revoke(self, credential_id: str, reason: str, *, actor: str | None = None) -> bool:
        """Revoke (for good); recorded with ``reason`` and ``actor`` before returning.
        False if it was already revoked."""
        if not reason or not reason.strip():
            raise IssuingError("say why the credential is revoked (reason)")
        return self._set(credential_id, "revocation", 1, reason, actor)

    def suspend(self, credential_id: str, reason: str, *, actor: str | None = None) -> bool:
        """Suspend a credential issued with ``suspendable=True``."""
        if not reason or not reason.strip():
            raise IssuingError("say why the credential is suspended (reason)")
        return self._set(credential_id, "suspension", 1, reason, actor)

    def unsuspend(self, credential_id: str, reason: str | None = None, *,
                  actor: str | None = None) -> bool:
        """Lift a suspension."""
        return self._set(credential_id, "suspension", 0, reason, actor)

    def _set(self, credential_id: str, purpose: str, value: int, reason: str | None,
             actor: str | None) -> bool:
        who = actor or _actor()
        changed = self.ledger.set_status(credential_id, purpose, value, reason=reason,
                                         actor=who)
        if changed:
            logger.info("%s %s=%d by %s: %s", credential_id, purpose, value, who, reason)
        return changed

    def record(self, credential_id: str) -> LedgerRecord | None:
        """What the ledger holds about a credential."""
        return self.ledger.get(credential_id)

    def history(self, credential_id: str) -> list[StatusChange]:
        return self.ledger.history(credential_id)

    def status_list_credentials(
        self, *, valid_until: datetime | None = None
    ) -> dict[str, dict[str, Any]]:
        """Every status list as a signed BitstringStatusListCredential, by URL."""
        return {info.url: self.status_list_credential(info, valid_until=valid_until)
                for info in self.ledger.status_lists()}

    def status_list_credential(self, info: StatusListInfo, *,
                               valid_until: datetime | None = None) -> dict[str, Any]:
        """One status list (as :meth:`Ledger.status_lists` describes it), signed."""
        bits = Bitstring.new(info.size)
        for index in info.set_indexes:
            bits.set(index, 1)
        doc: dict[str, Any] = {
            "@context": [VC_V2_CONTEXT],
            "id": info.url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.id,
            "validFrom": utc_now(),
        }
        if valid_until is not None:
            doc["validUntil"] = iso_z(valid_until)
        doc["credentialSubject"] = {
            "id": f"{info.url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": info.purpose,
            "encodedList": bits.encode(),
        }
        return self.sign(doc)

    def publish_status(
        self, directory: str | os.PathLike[str], *, valid_until: datetime | None = None
    ) -> dict[str, Path]:
        """Write every signed status list under ``directory`` at its URL's path (serve
        ``directory`` as the web root of the status URLs' host). Returns URL -> file."""
        docs = self.status_list_credentials(valid_until=valid_until)
        written = {url: _publish(Path(directory), url, doc) for url, doc in docs.items()}
        logger.info("published %d status list(s) under %s", len(written), directory)
        return written

    def publish_documents(self, directory: str | os.PathLike[str]) -> dict[str, Path]:
        """Write what verifiers fetch to bind the key to the issuer, at its URL's path under
        ``directory``: the DID document of a did:web issuer, the profile of an https one
        (nothing for a did:key). Returns URL -> file."""
        if self.id.startswith("did:web:"):
            url, doc = self.did_web_url(), self.did_document()
        elif self.id.startswith("https://"):
            url, doc = self.id, self.profile_document()
            key_url = self.key_document_url()
            if key_url is not None:
                return {url: _publish(Path(directory), url, doc),
                        key_url: _publish(Path(directory), key_url, self.key_document())}
        else:
            return {}
        return {url: _publish(Path(directory), url, doc)}


def _publish(root: Path, url: str, doc: Any) -> Path:
    """Write ``doc`` at ``url``'s path under ``root`` (the web root of its host)."""
    target = root / (urlsplit(url).path.lstrip("/") or "index.json")
    if not target.resolve().is_relative_to(root.resolve()):
        raise IssuingError(f"URL {url} escapes {root}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_json(target, doc)
    except OSError as exc:
        raise IssuingError(f"cannot write {target}: {exc.strerror or exc} (the ledger is "
                           "unchanged: free the space and publish again)",
                           "OUTPUT_ERROR") from None
    return target


def _open_store(config: Mapping[str, Any], root: Path, url: str | None,
                list_url: ListUrl | None = None) -> Ledger:
    """The workspace's ledger: PostgreSQL when its config names one (``MCBADGE_LEDGER``,
    when set, gives the full URL, password included), else the SQLite file."""
    configured = config.get("ledger")
    if url is None and configured:
        url = os.environ.get("MCBADGE_LEDGER") or str(configured)
        from mcbadge._private.pg_url import is_postgres_url, same_database

        if not is_postgres_url(url) or not same_database(url, str(configured)):
            raise IssuingError(f"MCBADGE_LEDGER names another database than the workspace's "
                               f"ledger ({configured})", "WORKSPACE_ERROR")
    if url is None:
        return SQLiteLedger(root / LEDGER_FILE, list_url=list_url,
                            list_size=int(config["statusListSize"]))
    from mcbadge.issuing._postgres import PostgresLedger

    return PostgresLedger(url, list_url=list_url, list_size=int(config["statusListSize"]),
                          owner=str(config["id"]))


def _tighten(root: Path) -> None:
    """A workspace made by an older mcbadge: make it and its ledger files private (they hold
    recipients' addresses), as new ones are."""
    for path, mode in ((root, 0o700), (root / LEDGER_FILE, 0o600),
                       (root / (LEDGER_FILE + "-wal"), 0o600),
                       (root / (LEDGER_FILE + "-shm"), 0o600)):
        try:
            if path.stat().st_mode & 0o077:
                os.chmod(path, mode)
        except OSError:
            continue


def _same_award(record: LedgerRecord, recipient: str, achievement_id: str) -> None:
    if record.recipient != recipient or record.achievement_id != achievement_id:
        raise IssuingError(
            f"idempotency key {record.idempotency_key!r} was used for {record.achievement_id} "
            f"to {record.recipient} ({record.id}); use a new key for a different award",
            "IDEMPOTENCY_CONFLICT",
        )


def _actor() -> str:
    try:
        return os.getlogin()
    except OSError:
        import getpass

        try:
            return getpass.getuser()
        except Exception:  # no user name available (containers)
            return f"uid {os.getuid()}"


def _write_json(path: Path, data: Any) -> None:
    write_atomic(path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode())

