"""Recipient identifiers: OB 3.0 ``IdentityObject`` and its salted ``IdentityHash``.

OB 3.0 §"IdentityHash": ``<alg>$<hex digest>`` where the digest is computed over the UTF-8
bytes of the identifier **followed by** the salt (no separator); ``alg`` is ``sha256`` or
``md5``; the hex may be upper or lower case.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import ClassVar

from pydantic import Field, StrictBool, field_validator

from mcbadge.models._base import OBModel, OneOrMany, require_type, single

__all__ = ["IdentityObject", "identity_hash"]

_ALGORITHMS = {"sha256": hashlib.sha256, "md5": hashlib.md5}


def identity_hash(identifier: str, salt: str | None = None, *, algorithm: str = "sha256") -> str:
    """``sha256$<hex>`` of ``identifier + salt``, as OB 3.0 defines IdentityHash."""
    try:
        fn = _ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(f"unsupported identity hash algorithm {algorithm!r}") from None
    digest = fn((identifier + (salt or "")).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{algorithm}${digest}"


class IdentityObject(OBModel):
    """An identifier of the recipient, plain or salted-and-hashed.

    Make one with :meth:`hashed_email` (the privacy-preserving default for email
    recipients) or :meth:`create`; check a known value against it with :meth:`matches`.
    """

    type: OneOrMany[str] = Field(default_factory=lambda: single("IdentityObject"))
    hashed: StrictBool
    identity_hash: str
    identity_type: str
    salt: str | None = None

    _required_when_parsed: ClassVar[tuple[str, ...]] = ("type",)

    @field_validator("type", mode="after")
    @classmethod
    def _check_type(cls, value: list[str]) -> list[str]:
        return require_type(value, "IdentityObject", where="IdentityObject")

    @classmethod
    def create(
        cls,
        value: str,
        identity_type: str = "emailAddress",
        *,
        hashed: bool = True,
        salt: str | None = None,
        algorithm: str = "sha256",
    ) -> IdentityObject:
        """An IdentityObject for ``value``; hashed with a fresh random salt by default."""
        if not value:
            raise ValueError("identifier value must not be empty")
        if not hashed:
            return cls(identity_type=identity_type, hashed=False, identity_hash=value)
        salt = salt if salt is not None else secrets.token_hex(16)
        return cls(
            identity_type=identity_type,
            hashed=True,
            identity_hash=identity_hash(value, salt, algorithm=algorithm),
            salt=salt,
        )

    @classmethod
    def hashed_email(cls, email: str, salt: str | None = None) -> IdentityObject:
        """A salted SHA-256 ``emailAddress`` identifier for ``email``."""
        return cls.create(email, "emailAddress", hashed=True, salt=salt)

    def matches(self, value: str, identity_type: str | None = None) -> bool:
        """Whether the known ``value`` (of ``identity_type``, if given) is this identifier.

        Hashed identifiers are recomputed with this object's salt and compared in constant
        time; an unknown hash algorithm never matches.
        """
        if identity_type is not None and identity_type != self.identity_type:
            return False
        if not self.hashed:
            return hmac.compare_digest(value.encode(), self.identity_hash.encode())
        algorithm, sep, digest = self.identity_hash.partition("$")
        if not sep or algorithm.lower() not in _ALGORITHMS:
            return False
        expected = identity_hash(value, self.salt, algorithm=algorithm.lower())
        return hmac.compare_digest(
            expected.partition("$")[2].encode(), digest.lower().encode()
        )
