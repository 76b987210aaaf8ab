"""The issuer workspace: ids, keys, issuing, the ledger, status changes, published lists."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from mcbadge import verify
from mcbadge.errors import IssuingError, LedgerError
from mcbadge.issuing import SCHEMA_VERSION, Issuer, Reservation, SQLiteLedger
from mcbadge.resolve import Fetcher
from mcbadge.status import Bitstring

URL = "https://pd.district.example"
ACHIEVEMENT: dict[str, Any] = {
    "id": f"{URL}/achievements/community",
    "name": "Classroom Community",
    "description": "Builds a classroom where every student belongs.",
    "criteria": {"narrative": "A video, a reflection and student work, scored on the rubric."},
}


@pytest.fixture
def issuer(tmp_path: Path) -> Issuer:
    made = Issuer.create(tmp_path / "issuer", name="District PD", url=URL)
    yield made
    made.close()


def published(issuer: Issuer, site: Path, **extra: Any) -> Fetcher:
    """An offline fetcher answering what the issuer publishes (lists, DID doc, profile)."""
    docs: dict[str, Any] = {u: p.read_text("utf-8") for u, p in issuer.publish_status(site).items()}
    docs.update(extra)
    return Fetcher(documents=docs, offline=True)


# --------------------------------------------------------------------------- workspace


def test_workspace_holds_profile_key_0600_and_ledger(issuer: Issuer) -> None:
    root = issuer.path
    key = root / "keys" / "signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "keys").stat().st_mode) == 0o700
    assert (root / "ledger.sqlite3").exists()
    config = json.loads((root / "issuer.json").read_text())
    assert "secret" not in json.dumps(config).lower()
    assert config["id"] == issuer.key.did and issuer.id.startswith("did:key:z6Mk")
    assert issuer.profile.name == "District PD"
    again = Issuer.open(root)
    assert again.id == issuer.id and again.key.public_bytes == issuer.key.public_bytes
    again.close()


def test_create_refuses_a_used_folder_and_open_a_stranger(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    with pytest.raises(IssuingError, match="not an empty folder") as err:
        Issuer.create(tmp_path / "used", name="X", url=URL)
    assert err.value.code == "WORKSPACE_ERROR"
    with pytest.raises(IssuingError, match="not an issuer workspace"):
        Issuer.open(tmp_path / "used")
    with pytest.raises(IssuingError, match="https"):
        Issuer.create(tmp_path / "new", name="X", url="http://pd.example")


def test_open_refuses_a_key_others_can_read(issuer: Issuer) -> None:
    key = issuer.path / "keys" / "signing.key"
    os.chmod(key, 0o644)
    with pytest.raises(IssuingError, match="chmod 600"):
        Issuer.open(issuer.path)


def test_did_web_issuer_verifies_through_its_did_document(tmp_path: Path) -> None:
    with Issuer.create(tmp_path / "w", name="PD", url=URL,
                       did_web="pd.district.example/issuers/pd") as web:
        assert web.id == "did:web:pd.district.example:issuers:pd"
        assert web.did_web_url() == "https://pd.district.example/issuers/pd/did.json"
        badge = web.issue(ACHIEVEMENT, "did:example:educator")
        assert badge["proof"]["verificationMethod"] == f"{web.id}#key-1"
        fetcher = published(web, tmp_path / "site", **{web.did_web_url(): web.did_document()})
        result = verify(badge, fetcher=fetcher)
        assert result.verified, result.problems
        assert result.check("issuer_binding").outcome == "passed"


def test_https_issuer_key_is_a_document_of_its_own_by_default(tmp_path: Path) -> None:
    profile_url = f"{URL}/issuer.json"
    with Issuer.create(tmp_path / "h", name="PD", url=URL, profile_url=profile_url) as web:
        assert web.id == profile_url
        key_url = web.key_document_url()
        assert key_url == f"{URL}/keys/{web.key.public_key_multibase}.json"
        assert web.verification_method == key_url
        profile = web.profile_document()
        assert profile["assertionMethod"] == [key_url]
        assert "verificationMethod" not in profile  # the key is not inside the profile
        key_doc = web.key_document()
        assert key_doc["id"] == key_url and key_doc["controller"] == profile_url
        assert key_doc["type"] == "Multikey"
        written = web.publish_documents(tmp_path / "site")
        assert set(written) == {profile_url, key_url}
        badge = web.issue(ACHIEVEMENT, "did:example:educator")
        assert badge["proof"]["verificationMethod"] == key_url
        docs = {u: p.read_text("utf-8") for u, p in written.items()}
        result = verify(badge, fetcher=published(web, tmp_path / "site", **docs))
        assert result.verified, result.problems
        # a key document whose controller the profile does not list is not the issuer's
        stray = published(web, tmp_path / "site3", **{key_url: docs[key_url],
                          profile_url: {**profile, "assertionMethod": []}})
        assert "ISSUER_BINDING_ERROR" in verify(badge, fetcher=stray).problems
        # without the key document the key is nowhere to be found
        bare = verify(badge, fetcher=published(web, tmp_path / "site2",
                                               **{profile_url: docs[profile_url]}))
        assert bare.problems == ["VERIFICATION_METHOD_NOT_FOUND"]


def test_https_issuer_with_the_key_embedded_verifies_through_its_profile(tmp_path: Path) -> None:
    profile_url = f"{URL}/issuer.json"
    with Issuer.create(tmp_path / "h", name="PD", url=URL, profile_url=profile_url,
                       embedded_key=True) as web:
        profile = web.profile_document()
        assert profile["assertionMethod"] == [f"{profile_url}#key-1"]
        assert web.key_document_url() is None
        badge = web.issue(ACHIEVEMENT, "did:example:educator")
        result = verify(badge, fetcher=published(web, tmp_path / "site",
                                                 **{profile_url: profile}))
        assert result.verified, result.problems
        bare = verify(badge, fetcher=published(web, tmp_path / "site2"))
        assert bare.problems == ["VERIFICATION_METHOD_NOT_FOUND"]


# --------------------------------------------------------------------------- issuing


def test_email_recipient_is_salted_and_hashed_and_verifies(issuer: Issuer, tmp_path: Path) -> None:
    badge = issuer.issue(ACHIEVEMENT, "Ada@District.Example", name="Ada Lovelace",
                         evidence=["https://evidence.example/ada/video"], result=["Proficient"])
    assert "ada@district.example" not in json.dumps(badge).lower()
    email, name = badge["credentialSubject"]["identifier"]
    assert email["hashed"] is True and email["identityType"] == "emailAddress"
    assert name == {"type": "IdentityObject", "hashed": False, "identityHash": "Ada Lovelace",
                    "identityType": "name"}
    assert badge["evidence"][0]["id"] == "https://evidence.example/ada/video"
    assert badge["credentialSubject"]["result"][0]["value"] == "Proficient"
    result = verify(badge, fetcher=published(issuer, tmp_path / "site"))
    assert result.verified, result.problems
    assert result.is_recipient("ada@district.example")
    assert not result.is_recipient("eve@district.example")
    record = issuer.record(badge["id"])
    assert record is not None and record.issued and json.loads(record.document or "") == badge


def test_plaintext_email_and_did_and_url_recipients(issuer: Issuer) -> None:
    plain = issuer.issue(ACHIEVEMENT, "ada@district.example", plaintext_email=True)
    assert plain["credentialSubject"]["identifier"][0]["identityHash"] == "ada@district.example"
    did = issuer.issue(ACHIEVEMENT, "did:example:educator-7")
    assert did["credentialSubject"]["id"] == "did:example:educator-7"
    url = issuer.issue(ACHIEVEMENT, "https://people.example/ada")
    assert url["credentialSubject"]["id"] == "https://people.example/ada"


@pytest.mark.parametrize("bad", ["", "ada", "ada@", "did:", "ftp://x.example/a", "a b@c.d"])
def test_bad_recipients_are_refused_with_a_code(issuer: Issuer, bad: str) -> None:
    with pytest.raises(IssuingError) as err:
        issuer.issue(ACHIEVEMENT, bad)
    assert err.value.code == "RECIPIENT_ERROR"
    assert issuer.ledger.count(None) == 0


def test_dates_need_a_zone_and_valid_until_is_written(issuer: Issuer) -> None:
    with pytest.raises(IssuingError, match="time zone"):
        issuer.issue(ACHIEVEMENT, "did:example:a", valid_until="2030-01-01T00:00:00")
    badge = issuer.issue(ACHIEVEMENT, "did:example:a", valid_from="2026-01-01T00:00:00Z",
                         valid_until="2030-01-01T00:00:00Z")
    assert (badge["validFrom"], badge["validUntil"]) == ("2026-01-01T00:00:00Z",
                                                         "2030-01-01T00:00:00Z")


def test_achievement_needs_an_id_and_is_validated(issuer: Issuer) -> None:
    with pytest.raises(IssuingError, match="needs an 'id'"):
        issuer.issue({k: v for k, v in ACHIEVEMENT.items() if k != "id"}, "did:example:a")
    with pytest.raises(Exception, match="criteria"):
        issuer.issue({k: v for k, v in ACHIEVEMENT.items() if k != "criteria"}, "did:example:a")


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "Ed25519Signature2020"])
def test_every_suite_issues_verifiable_credentials(issuer: Issuer, suite: str,
                                                    tmp_path: Path) -> None:
    badge = issuer.issue(ACHIEVEMENT, "did:example:a", suite=suite)
    result = verify(badge, fetcher=published(issuer, tmp_path / "site"))
    assert result.verified, result.problems


def test_status_indexes_are_random_distinct_and_in_one_big_list(issuer: Issuer) -> None:
    badges = [issuer.issue(ACHIEVEMENT, f"did:example:{i}") for i in range(40)]
    entries = [b["credentialStatus"] for b in badges]
    indexes = [int(e["statusListIndex"]) for e in entries]
    assert len(set(indexes)) == 40
    assert indexes != sorted(indexes)  # not handed out in order (1 in 40! by chance)
    assert max(indexes) > 1000  # spread over the 131,072 entries
    assert {e["statusListCredential"] for e in entries} == {f"{URL}/status/revocation-1.json"}
    assert all(e["statusPurpose"] == "revocation" for e in entries)


def test_a_full_list_rolls_over_to_a_new_one(tmp_path: Path) -> None:
    urls = lambda purpose, n: f"{URL}/status/{purpose}-{n}.json"  # noqa: E731
    with SQLiteLedger(tmp_path / "l.db", list_url=urls, list_size=8, max_fill=0.5,
                      create=True) as ledger:
        records = ledger.reserve([Reservation(f"r{i}", "a") for i in range(10)])
        seen = [(s.list_url, s.index) for r in records for s in r.statuses]
        assert len(set(seen)) == 10
        lists = ledger.status_lists()
        assert [info.allocated for info in lists] == [4, 4, 2]


def test_idempotency_key_returns_the_same_credential(issuer: Issuer) -> None:
    first = issuer.issue(ACHIEVEMENT, "did:example:a", idempotency_key="lms-award-17")
    again = issuer.issue(ACHIEVEMENT, "did:example:a", idempotency_key="lms-award-17")
    assert again == first
    assert issuer.ledger.count() == 1
    with pytest.raises(IssuingError) as err:
        issuer.issue(ACHIEVEMENT, "did:example:b", idempotency_key="lms-award-17")
    assert err.value.code == "IDEMPOTENCY_CONFLICT"


def test_a_reservation_left_by_a_crash_is_completed_not_duplicated(issuer: Issuer) -> None:
    # a process reserved (id and index committed) and died before signing
    [left] = issuer.ledger.reserve([Reservation("did:example:a", ACHIEVEMENT["id"], "k1")])
    assert issuer.ledger.count("reserved") == 1
    badge = issuer.issue(ACHIEVEMENT, "did:example:a", idempotency_key="k1")
    assert badge["id"] == left.id
    assert badge["credentialStatus"]["statusListIndex"] == str(left.statuses[0].index)
    assert (issuer.ledger.count("reserved"), issuer.ledger.count()) == (0, 1)


# --------------------------------------------------------------------------- status


def test_revoke_is_recorded_with_who_when_why_and_verifiers_see_it(
    issuer: Issuer, tmp_path: Path
) -> None:
    badge = issuer.issue(ACHIEVEMENT, "did:example:a")
    keep = issuer.issue(ACHIEVEMENT, "did:example:b")
    assert verify(badge, fetcher=published(issuer, tmp_path / "s1")).verified
    assert issuer.revoke(badge["id"], "awarded in error", actor="registrar") is True
    assert issuer.revoke(badge["id"], "again") is False
    [change] = issuer.history(badge["id"])
    assert (change.purpose, change.value, change.reason, change.actor) == (
        "revocation", 1, "awarded in error", "registrar")
    assert change.at.endswith("Z")
    fetcher = published(issuer, tmp_path / "s2")
    assert verify(badge, fetcher=fetcher).problems == ["CREDENTIAL_REVOKED"]
    assert verify(keep, fetcher=fetcher).verified


def test_suspension_needs_an_entry_and_can_be_lifted(issuer: Issuer, tmp_path: Path) -> None:
    plain = issuer.issue(ACHIEVEMENT, "did:example:a")
    with pytest.raises(LedgerError) as err:
        issuer.suspend(plain["id"], "review")
    assert err.value.code == "NO_STATUS_ENTRY"
    badge = issuer.issue(ACHIEVEMENT, "did:example:b", suspendable=True)
    purposes = [e["statusPurpose"] for e in badge["credentialStatus"]]
    assert purposes == ["revocation", "suspension"]
    issuer.suspend(badge["id"], "under review")
    assert verify(badge, fetcher=published(issuer, tmp_path / "s1")).problems == [
        "CREDENTIAL_SUSPENDED"]
    issuer.unsuspend(badge["id"], "review closed")
    assert verify(badge, fetcher=published(issuer, tmp_path / "s2")).verified
    assert [c.value for c in issuer.history(badge["id"])] == [1, 0]


def test_status_changes_need_an_issued_credential_and_a_reason(issuer: Issuer) -> None:
    with pytest.raises(LedgerError) as err:
        issuer.revoke("urn:uuid:00000000-0000-0000-0000-000000000000", "x")
    assert err.value.code == "NOT_FOUND"
    badge = issuer.issue(ACHIEVEMENT, "did:example:a")
    with pytest.raises(IssuingError, match="why"):
        issuer.revoke(badge["id"], " ")


def test_published_lists_sit_at_their_url_paths(issuer: Issuer, tmp_path: Path) -> None:
    badge = issuer.issue(ACHIEVEMENT, "did:example:a", suspendable=True)
    issuer.revoke(badge["id"], "x")
    written = issuer.publish_status(tmp_path / "site")
    assert sorted(p.relative_to(tmp_path / "site").as_posix() for p in written.values()) == [
        "status/revocation-1.json", "status/suspension-1.json"]
    listed = json.loads(written[f"{URL}/status/revocation-1.json"].read_text())
    assert listed["issuer"] == issuer.id and listed["proof"]["proofPurpose"] == "assertionMethod"
    bits = Bitstring.decode(listed["credentialSubject"]["encodedList"])
    assert bits.entries == 131_072
    assert bits.get(int(badge["credentialStatus"][0]["statusListIndex"])) == 1
    assert sum(bin(b).count("1") for b in bits.data) == 1


# --------------------------------------------------------------------------- ledger


def test_ledger_schema_is_versioned_and_refuses_a_newer_one(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with SQLiteLedger(path, create=True) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"credentials", "status_entries", "status_events", "status_lists"} <= tables
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="upgrade mcbadge"):
        SQLiteLedger(path)


def test_a_failed_transaction_leaves_nothing_behind(issuer: Issuer) -> None:
    with pytest.raises(LedgerError):
        issuer.ledger.reserve([Reservation("a", "x", "k"), Reservation("b", "x", "k")])
    with pytest.raises(LedgerError, match="unknown status purpose"):
        issuer.ledger.reserve([Reservation("a", "x", None, ("revocation", "bogus"))])
    assert issuer.ledger.count(None) == 0
    assert issuer.ledger.status_lists() == []


def _issue_from_another_process(path: str, start: int, count: int) -> None:
    with Issuer.open(path) as issuer:
        for i in range(start, start + count):
            issuer.issue(ACHIEVEMENT, f"did:example:{i}", suite="eddsa-jcs-2022")


def test_two_processes_issuing_at_once_never_share_an_index(issuer: Issuer) -> None:
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=_issue_from_another_process,
                             args=(str(issuer.path), n * 100, 100)) for n in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    records = list(issuer.ledger.records())
    assert len(records) == 200
    slots = [(s.list_url, s.index) for r in records for s in r.statuses]
    assert len(set(slots)) == 200
    documents = [json.loads(r.document or "") for r in records]
    assert len({d["credentialStatus"]["statusListIndex"] for d in documents}) == 200


class _OnlyTheInterface:
    """A ledger that lets the issuer use nothing but the Ledger protocol's methods."""

    def __init__(self, inner: SQLiteLedger) -> None:
        from mcbadge.issuing import Ledger

        self._inner = inner
        self._allowed = {n for n in dir(Ledger) if not n.startswith("_")}
        self.calls: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        assert name in self._allowed, f"the issuer reached past the interface: {name}"
        self.calls.add(name)
        return getattr(self._inner, name)


def test_the_issuer_needs_only_the_ledger_interface(issuer: Issuer, tmp_path: Path) -> None:
    made: list[_OnlyTheInterface] = []

    def other_store(list_url: Any, size: int) -> Any:
        made.append(_OnlyTheInterface(SQLiteLedger(tmp_path / "elsewhere.db",
                                                   list_url=list_url, list_size=size,
                                                   create=True)))
        return made[0]

    with Issuer.open(issuer.path, ledger=other_store) as again:
        badge = again.issue(ACHIEVEMENT, "did:example:a", idempotency_key="k")
        again.issue_many(ACHIEVEMENT, [{"did": "did:example:b"}], out=tmp_path / "o", workers=1)
        again.revoke(badge["id"], "x")
        assert again.history(badge["id"])[0].reason == "x"
        again.publish_status(tmp_path / "site")
    assert {"reserve", "record_issued", "set_status", "status_lists"} <= made[0].calls
    assert (tmp_path / "elsewhere.db").exists() and issuer.ledger.count(None) == 0


def test_a_version_1_ledger_is_migrated_with_its_counts(tmp_path: Path) -> None:
    from mcbadge.issuing._ledger import _MIGRATIONS, APPLICATION_ID

    path = tmp_path / "v1.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(_MIGRATIONS[1])
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO status_lists (purpose, url, size, created_at) VALUES "
               "('revocation', 'https://x.example/s/1', 131072, '2026-01-01T00:00:00Z')")
    for i in range(5):
        db.execute("INSERT INTO credentials (id, recipient, achievement_id, state, reserved_at,"
                   " issued_at, document) VALUES (?, 'r', 'a', 'issued', 't', 't', '{}')",
                   (f"urn:c{i}",))
        db.execute("INSERT INTO status_entries (list_seq, idx, credential_id, purpose, value) "
                   "VALUES (1, ?, ?, 'revocation', ?)", (i * 7, f"urn:c{i}", i % 2))
    db.commit()
    db.close()
    with SQLiteLedger(path, list_url=lambda p, n: f"https://x.example/s/{n}") as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        (info,) = ledger.status_lists()
        assert info.allocated == 5 and info.set_indexes == (7, 21)
        ledger.reserve([Reservation("r9", "a")])
        assert ledger.status_lists()[0].allocated == 6
