"""Bitstring Status List and 1EdTech Revocation List: encode, decode, check."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcbadge.errors import StatusListError
from mcbadge.keys import Ed25519Key
from mcbadge.proofs import verify_proof
from mcbadge.status import (
    MIN_LIST_BITS,
    MIN_LIST_ENTRIES,
    Bitstring,
    bitstring_status,
    revocation_list_status,
)
from tests.conftest import DATA, VALIDATOR, load_json

TESTLIST = json.loads((VALIDATOR / "ob30/bit-string-list/testlist").read_text())
REVOKED = load_json(VALIDATOR / "ob30/bit-string-list/credential-status-revoked.json")


def test_validator_testlist_revokes_index_23_only() -> None:
    entry = REVOKED["credentialStatus"]
    assert bitstring_status(TESTLIST, entry) == 1
    assert bitstring_status(TESTLIST, {**entry, "statusListIndex": "22"}) == 0
    assert bitstring_status(TESTLIST, {**entry, "statusListIndex": "24"}) == 0


def test_validator_testlist_signature_verifies() -> None:
    def resolve(vm: str) -> Ed25519Key:
        return Ed25519Key.from_public_multibase(vm.split("#")[1])

    assert verify_proof(TESTLIST, TESTLIST["proof"][0], resolve).verified


def test_w3c_example_list_is_all_zero() -> None:
    doc = load_json(DATA / "w3c-bitstring-status-list/04-a-status-list-verifiable-credential.json")
    bits = Bitstring.decode(doc["credentialSubject"]["encodedList"])
    assert bits.entries == MIN_LIST_ENTRIES
    assert not any(bits.data)


def test_encode_decode_round_trip_and_bit_order() -> None:
    bits = Bitstring.new()
    bits.set(0, 1)
    bits.set(23, 1)
    bits.set(MIN_LIST_ENTRIES - 1, 1)
    assert bits.data[0] == 0b1000_0000
    assert bits.data[2] == 0b0000_0001
    again = Bitstring.decode(bits.encode())
    assert [i for i in range(MIN_LIST_ENTRIES) if again.get(i)] == [0, 23, MIN_LIST_ENTRIES - 1]
    assert bits.encode().startswith("uH4sI")
    bits.set(23, 0)
    assert Bitstring.decode(bits.encode()).get(23) == 0


def test_multi_bit_statuses() -> None:
    bits = Bitstring.new(MIN_LIST_ENTRIES, status_size=2)
    bits.set(5, 0b10)
    bits.set(6, 0b11)
    again = Bitstring.decode(bits.encode(), status_size=2)
    assert (again.get(5), again.get(6), again.get(7)) == (2, 3, 0)
    with pytest.raises(StatusListError, match="does not fit"):
        bits.set(1, 4)


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(0, MIN_LIST_ENTRIES - 1), max_size=50))
def test_any_set_of_indexes_round_trips(indexes: set[int]) -> None:
    bits = Bitstring.new()
    for i in indexes:
        bits.set(i, 1)
    again = Bitstring.decode(bits.encode())
    assert all(again.get(i) == 1 for i in indexes)
    assert sum(bin(b).count("1") for b in again.data) == len(indexes)


def _encoded(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("encoded", "code"),
    [
        ("u!!!!", "STATUS_LIST_DECODING_ERROR"),
        ("u" + base64.urlsafe_b64encode(b"not gzip").decode(), "STATUS_LIST_DECODING_ERROR"),
        (_encoded(bytes(16384))[:30], "STATUS_LIST_DECODING_ERROR"),
        ("", "STATUS_LIST_DECODING_ERROR"),
    ],
)
def test_bad_lists_are_typed_errors(encoded: str, code: str) -> None:
    with pytest.raises(StatusListError) as info:
        Bitstring.decode(encoded)
    assert info.value.code == code


def test_a_short_list_decodes_and_says_it_is_short() -> None:
    bits = Bitstring.decode(_encoded(bytes(12_500)))  # 100,000 entries (the DCC's size)
    assert bits.entries == 100_000 and bits.bits == 100_000 and bits.short
    assert not Bitstring.decode(_encoded(bytes(16_384)), 2).short  # 65,536 2-bit entries
    assert Bitstring.decode(_encoded(bytes(16_384)), 2).entries == 65_536
    with pytest.raises(StatusListError) as info:
        Bitstring.decode(_encoded(bytes(12_500)), min_bits=MIN_LIST_BITS)
    assert info.value.code == "STATUS_LIST_LENGTH_ERROR"
    assert not Bitstring.new().short and Bitstring.new().bits == MIN_LIST_BITS


def test_gzip_bomb_is_stopped() -> None:
    bomb = _encoded(bytes(17 * 1024 * 1024))
    assert len(bomb) < 100_000
    with pytest.raises(StatusListError, match="expands beyond"):
        Bitstring.decode(bomb)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"statusListIndex": str(MIN_LIST_ENTRIES)}, "RANGE_ERROR"),
        ({"statusListIndex": "-1"}, "RANGE_ERROR"),
        ({"statusListIndex": True}, "RANGE_ERROR"),
        ({"statusPurpose": "suspension"}, "STATUS_LIST_PURPOSE_ERROR"),
    ],
)
def test_entry_problems(change: dict[str, Any], code: str) -> None:
    with pytest.raises(StatusListError) as info:
        bitstring_status(TESTLIST, {**REVOKED["credentialStatus"], **change})
    assert info.value.code == code


def test_not_a_status_list() -> None:
    with pytest.raises(StatusListError, match="not a status list"):
        bitstring_status(REVOKED, REVOKED["credentialStatus"])


def test_revocation_list_reads_both_spellings() -> None:
    plural = {"revokedCredentials": [{"id": "urn:a", "revocationReason": "Issued in error"},
                                     {"id": "urn:b", "revoked": False}]}
    assert revocation_list_status(plural, "urn:a") == (True, "Issued in error")
    assert revocation_list_status(plural, "urn:b") == (False, None)
    assert revocation_list_status(plural, "urn:c") == (False, None)
    singular = {"revokedCredential": [{"id": "urn:a", "revoked": True}]}
    assert revocation_list_status(singular, "urn:a") == (True, None)
    assert revocation_list_status({"revokedCredentials": "junk"}, "urn:a") == (False, None)
