"""Salted, hashed recipient identifiers (OB 3.0 IdentityObject / IdentityHash)."""

from __future__ import annotations

import pytest

from mcbadge import IdentityObject
from mcbadge.models import identity_hash

# The example given in the OB 3.0 data model (IdentityHash): 'a@example.com' salted 'Kosher'.
SPEC_HASH = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"


def test_identity_hash_matches_the_spec_example() -> None:
    assert identity_hash("a@example.com", "Kosher") == SPEC_HASH


def test_hashed_email_uses_a_fresh_salt_and_verifies() -> None:
    one = IdentityObject.hashed_email("a@example.com")
    two = IdentityObject.hashed_email("a@example.com")
    assert one.salt and two.salt and one.salt != two.salt
    assert one.identity_hash != two.identity_hash
    assert one.hashed is True
    assert one.identity_type == "emailAddress"
    assert one.identity_hash.startswith("sha256$")
    assert one.matches("a@example.com")
    assert not one.matches("b@example.com")
    assert one.to_dict()["type"] == "IdentityObject"


def test_matches_the_spec_example_with_upper_case_hex() -> None:
    obj = IdentityObject(
        identity_type="emailAddress",
        hashed=True,
        identity_hash="sha256$" + SPEC_HASH.split("$")[1].upper(),
        salt="Kosher",
    )
    assert obj.matches("a@example.com")
    assert obj.matches("a@example.com", "emailAddress")
    assert not obj.matches("a@example.com", "sourcedId")
    assert not obj.matches("A@example.com")


def test_md5_and_plain_identifiers() -> None:
    md5 = IdentityObject.create("12345", "sourcedId", salt="s", algorithm="md5")
    assert md5.identity_hash.startswith("md5$")
    assert md5.matches("12345")
    plain = IdentityObject.create("student@example.edu", hashed=False)
    assert plain.salt is None
    assert plain.identity_hash == "student@example.edu"
    assert plain.matches("student@example.edu")
    assert not plain.matches("other@example.edu")


def test_unknown_algorithm_never_matches() -> None:
    obj = IdentityObject(identity_type="emailAddress", hashed=True, identity_hash="sha1$abc", salt="")
    assert not obj.matches("a@example.com")
    obj = IdentityObject(identity_type="emailAddress", hashed=True, identity_hash="nodollar")
    assert not obj.matches("a@example.com")
    with pytest.raises(ValueError, match="unsupported"):
        identity_hash("x", algorithm="sha1")


def test_empty_identifier_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        IdentityObject.hashed_email("")


def test_credential_recipient_check_by_email_and_by_did() -> None:
    from mcbadge import Achievement, AchievementSubject, Criteria, OpenBadgeCredential, Profile

    achievement = Achievement(name="A", description="d", criteria=Criteria(narrative="n"))
    by_email = OpenBadgeCredential(
        issuer=Profile(id="https://example.edu/i"),
        credential_subject=AchievementSubject(
            identifier=[IdentityObject.hashed_email("maria@district.example")],
            achievement=achievement,
        ),
    )
    assert by_email.is_recipient("maria@district.example")
    assert not by_email.is_recipient("someone@district.example")
    assert not by_email.is_recipient("maria@district.example", "sourcedId")
    by_did = OpenBadgeCredential(
        issuer=Profile(id="https://example.edu/i"),
        credential_subject=AchievementSubject(id="did:example:maria", achievement=achievement),
    )
    assert by_did.is_recipient("did:example:maria")
    assert not by_did.is_recipient("did:example:other")


def test_the_fast_email_check_gives_email_validators_verdict() -> None:
    """email_problem's ASCII fast path (dot-atom local part, a remembered domain) agrees
    with email-validator on every address, valid or not."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from mcbadge.issuing._build import _full_email_problem, email_problem

    atext = st.text(alphabet="abcXYZ09!#$%&'*+/=?^_`{|}~-.\"@ \\()", min_size=0, max_size=70)
    domains = st.sampled_from([
        "district.example", "example.com", "EXAMPLE.ORG", "localhost", "a.test",
        "x.local", "-bad.example", "bad-.example", "a..b", "xn--bcher-kva.example",
        "bücher.example", "1.2.3.4", "[1.2.3.4]", "ex ample.com", "", "a", "a." * 130 + "com",
        "invalid", "d.onion", "sub.district.example"])

    @settings(max_examples=1500, deadline=None)
    @given(atext, domains)
    def check(local: str, domain: str) -> None:
        value = f"{local}@{domain}"
        assert (email_problem(value) is None) == (_full_email_problem(value) is None), value

    check()
