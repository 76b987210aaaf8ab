"""The contract every Ledger implementation passes: the same tests, run against the embedded
SQLite ledger and the PostgreSQL ledger (a real server on loopback; those cases skip, saying
why, where there is none)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mcbadge.errors import LedgerError
from mcbadge.issuing import SCHEMA_VERSION, Reservation, SQLiteLedger


def list_url(purpose: str, n: int) -> str:
    return f"https://issuer.example/status/{purpose}-{n}.json"


Factory = Callable[..., Any]


@pytest.fixture(params=["sqlite", "postgresql"])
def make_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Factory]:
    """``make_ledger(**options)``: a ledger object on this test's store (every call opens
    another writer on the same store: another process or machine, as far as the store
    knows)."""
    opened: list[Any] = []
    if request.param == "sqlite":
        path = tmp_path / "ledger.sqlite3"
        SQLiteLedger(path, create=True).close()

        def make(**options: Any) -> Any:
            ledger = SQLiteLedger(path, list_url=list_url, **options)
            opened.append(ledger)
            return ledger
    else:
        url = request.getfixturevalue("postgres_url")
        from mcbadge.issuing import PostgresLedger

        def make(**options: Any) -> Any:
            ledger = PostgresLedger(url, list_url=list_url, **options)
            opened.append(ledger)
            return ledger
    yield make
    for ledger in opened:
        ledger.close()


def _issue(ledger: Any, n: int, prefix: str = "k", **kw: Any) -> list[Any]:
    records = ledger.reserve([Reservation(f"r{i}@example.org", "https://a.example/1",
                                          f"{prefix}{i}", **kw) for i in range(n)])
    ledger.record_issued([(r.id, f'{{"id": "{r.id}"}}') for r in records])
    return records


def test_reserve_then_record_issued(make_ledger: Factory) -> None:
    ledger = make_ledger()
    assert ledger.schema_version == SCHEMA_VERSION
    [record] = ledger.reserve([Reservation("ada@example.org", "https://a.example/1", "key-1",
                                           ("revocation", "suspension"))])
    assert record.state == "reserved" and record.id.startswith("urn:uuid:")
    assert {s.purpose for s in record.statuses} == {"revocation", "suspension"}
    assert ledger.get(record.id).state == "reserved"
    assert ledger.count() == 0 and ledger.count("reserved") == 1 and ledger.count(None) == 1
    assert ledger.record_issued([(record.id, '{"a": 1}')]) == {record.id}
    stored = ledger.get(record.id)
    assert stored.issued and stored.document == '{"a": 1}' and stored.issued_at
    assert stored.statuses == record.statuses
    assert ledger.find("key-1") == stored
    assert ledger.find("nope") is None
    assert ledger.documents(["key-1", "nope"]) == {"key-1": '{"a": 1}'}
    assert ledger.record_issued([(record.id, '{"b": 2}')]) == set()  # already issued
    assert ledger.get(record.id).document == '{"a": 1}'
    with pytest.raises(LedgerError) as caught:
        ledger.record_issued([("urn:uuid:not-there", "{}")])
    assert caught.value.code == "NOT_FOUND"
    assert ledger.get("urn:uuid:not-there") is None


def test_record_and_reserve_is_one_transaction_both_or_neither(make_ledger: Factory) -> None:
    """Bulk runs record a chunk and reserve the next in one commit: after it both hold; when
    the reservation is refused, the record is not kept either (and can be made again)."""
    ledger = make_ledger()
    [first] = ledger.reserve([Reservation("ada@example.org", "x", "c0")])
    stored, [second] = ledger.record_and_reserve(
        [(first.id, '{"n": 0}')], [Reservation("bob@example.org", "x", "c1")])
    assert stored == {first.id}
    assert ledger.get(first.id).document == '{"n": 0}'
    assert second.state == "reserved" and ledger.find("c1") == second
    ledger.reserve([Reservation("a@example.org", "x", "c2", credential_id="urn:uuid:taken")])
    with pytest.raises(LedgerError) as caught:
        ledger.record_and_reserve(
            [(second.id, '{"n": 1}')],
            [Reservation("c@example.org", "x", "c3", credential_id="urn:uuid:taken")])
    assert caught.value.code == "ID_CONFLICT"
    assert ledger.get(second.id).state == "reserved" and ledger.find("c3") is None
    other = make_ledger()  # another writer sees the same
    assert other.get(second.id).state == "reserved"
    assert ledger.record_issued([(second.id, '{"n": 1}')]) == {second.id}
    with pytest.raises(LedgerError, match="twice"):
        ledger.record_and_reserve([], [Reservation("a", "b", "x"), Reservation("a", "b", "x")])


def test_an_idempotency_key_is_reserved_once_across_writers(make_ledger: Factory) -> None:
    one, two = make_ledger(), make_ledger()
    [first] = one.reserve([Reservation("ada@example.org", "https://a.example/1", "same")])
    [again] = two.reserve([Reservation("ada@example.org", "https://a.example/1", "same")])
    assert again.id == first.id and again.statuses == first.statuses
    assert two.count(None) == 1
    with pytest.raises(LedgerError, match="twice"):
        one.reserve([Reservation("a", "b", "x"), Reservation("a", "b", "x")])
    with pytest.raises(LedgerError, match="purpose"):
        one.reserve([Reservation("a", "b", "y", ("expiry",))])


def test_a_credential_id_given_twice_is_refused_and_nothing_of_the_batch_stays(
        make_ledger: Factory) -> None:
    ledger = make_ledger()
    ledger.reserve([Reservation("a@example.org", "x", "k0", credential_id="urn:uuid:fixed")])
    with pytest.raises(LedgerError) as caught:
        ledger.reserve([Reservation("b@example.org", "x", "k1"),
                        Reservation("c@example.org", "x", "k2", credential_id="urn:uuid:fixed")])
    assert caught.value.code == "ID_CONFLICT"
    assert ledger.find("k1") is None and ledger.count(None) == 1
    # and the indexes the failed batch drew are free again, not half-remembered
    records = _issue(ledger, 5, "after")
    assert len({s.index for r in records for s in r.statuses}) == 5


def test_indexes_are_random_unique_and_lists_roll_over_across_writers(
        make_ledger: Factory) -> None:
    one = make_ledger(list_size=16, max_fill=0.75)
    two = make_ledger(list_size=16, max_fill=0.75)
    records = []
    for turn in range(6):  # two writers, alternately, 4 at a time: 24 > 12 per list
        writer = (one, two)[turn % 2]
        records += writer.reserve([Reservation(f"r{turn}-{i}", "x", f"t{turn}-{i}")
                                   for i in range(4)])
    places = [(s.list_url, s.index) for r in records for s in r.statuses]
    assert len(places) == len(set(places)) == 24
    lists = one.status_lists()
    assert [info.url for info in lists] == [list_url("revocation", 1),
                                            list_url("revocation", 2)]
    assert [info.allocated for info in lists] == [12, 12]
    first = sorted(i for url, i in places if url == list_url("revocation", 1))
    assert first != list(range(12))  # random, not sequential


def test_status_changes_and_their_history(make_ledger: Factory) -> None:
    ledger = make_ledger()
    [record] = _issue_with(ledger, ("revocation", "suspension"))
    assert ledger.set_status(record.id, "suspension", 1, reason="review", actor="ops")
    assert not ledger.set_status(record.id, "suspension", 1, reason="again", actor="ops")
    assert ledger.set_status(record.id, "suspension", 0, reason="cleared", actor="ops")
    assert ledger.set_status(record.id, "revocation", 1, reason="error", actor="registrar")
    history = ledger.history(record.id)
    assert [(h.purpose, h.value, h.reason, h.actor) for h in history] == [
        ("suspension", 1, "review", "ops"), ("suspension", 0, "cleared", "ops"),
        ("revocation", 1, "error", "registrar")]
    assert ledger.get(record.id).revoked and not ledger.get(record.id).suspended
    revocation = next(s for s in record.statuses if s.purpose == "revocation")
    info = next(i for i in ledger.status_lists() if i.url == revocation.list_url)
    assert info.set_indexes == (revocation.index,)
    for bad, code in [("urn:uuid:none", "NOT_FOUND")]:
        with pytest.raises(LedgerError) as caught:
            ledger.set_status(bad, "revocation", 1, reason=None, actor=None)
        assert caught.value.code == code
    [reserved] = ledger.reserve([Reservation("x", "y", "only-reserved")])
    with pytest.raises(LedgerError) as caught:
        ledger.set_status(reserved.id, "revocation", 1, reason=None, actor=None)
    assert caught.value.code == "NOT_ISSUED"
    [plain] = _issue(ledger, 1, "plain")
    with pytest.raises(LedgerError) as caught:
        ledger.set_status(plain.id, "suspension", 1, reason=None, actor=None)
    assert caught.value.code == "NO_STATUS_ENTRY"


def _issue_with(ledger: Any, purposes: tuple[str, ...]) -> list[Any]:
    records = ledger.reserve([Reservation("s@example.org", "x", "suspendable", purposes)])
    ledger.record_issued([(r.id, "{}") for r in records])
    return records


def test_records_pages_and_a_recipients_credentials(make_ledger: Factory) -> None:
    ledger = make_ledger()
    records = _issue(ledger, 1203)  # more than two pages
    listed = list(ledger.records())
    assert [r.id for r in listed] == [r.id for r in records]  # oldest first
    assert all(r.issued and r.statuses for r in listed)
    [extra] = ledger.reserve([Reservation("r7@example.org", "x", "not-yet")])
    assert len(list(ledger.records(state=None))) == 1204
    assert len(list(ledger.records(state="reserved"))) == 1
    mine = _issue(ledger, 1, "again-r0")  # r0 again
    assert [r.id for r in ledger.records_of("r0@example.org")] == [records[0].id, mine[0].id]
    assert extra.id not in {r.id for r in ledger.records_of("r7@example.org")}
    found = ledger.find_many([f"k{i}" for i in range(1203)])
    assert len(found) == 1203 and found["k5"].id == records[5].id


def test_threads_sharing_one_ledger_never_collide(make_ledger: Factory) -> None:
    ledger = make_ledger()
    out: list[Any] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            out.extend(_issue(ledger, 25, f"th{n}-"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    places = [(s.list_url, s.index) for r in out for s in r.statuses]
    assert len(out) == 200 and len(set(places)) == 200
    assert ledger.count() == 200
