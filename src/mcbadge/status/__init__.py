"""Credential status: W3C Bitstring Status List (and StatusList2021), 1EdTech Revocation List.

```python
from mcbadge.status import Bitstring, bitstring_status, revocation_list_status

bits = Bitstring.new()                       # 131,072 entries, all 0
bits.set(23, 1)
encoded = bits.encode()                      # "uH4sI..." (multibase base64url of GZIP)
Bitstring.decode(encoded).get(23)            # 1

bitstring_status(list_credential_dict, entry_dict)   # -> 0/1 (or the statusSize-bit value)
revocation_list_status(list_dict, credential_id)      # -> (revoked, reason)
```

Decoding is bounded: a GZIP bomb stops at :data:`MAX_LIST_BYTES` of output, and a list
shorter than 131,072 entries (W3C's floor, for herd privacy) is refused.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mcbadge.errors import StatusListError

__all__ = [
    "MAX_LIST_BYTES",
    "MIN_LIST_BITS",
    "MIN_LIST_ENTRIES",
    "Bitstring",
    "bitstring_status",
    "read_bitstring_status",
    "revocation_list_status",
]

MIN_LIST_BITS = 131_072
"""W3C Bitstring Status List minimum size: the uncompressed bitstring is at least 16 KiB
(131,072 bits, whatever the ``statusSize``), for herd privacy."""
MIN_LIST_ENTRIES = MIN_LIST_BITS
"""Entries in a list of 1-bit statuses at the minimum size (what :meth:`Bitstring.new`
makes by default)."""
MAX_LIST_BYTES = 16 * 1024 * 1024
"""Largest decompressed list accepted (128 Mi entries)."""


@dataclass(slots=True)
class Bitstring:
    """A status bitstring: entry ``i`` is bits ``[i*status_size, (i+1)*status_size)``, bit 0
    being the most significant bit of the first byte."""

    data: bytearray
    status_size: int = 1

    @classmethod
    def new(cls, entries: int = MIN_LIST_ENTRIES, status_size: int = 1) -> Bitstring:
        if entries < 1 or status_size < 1:
            raise StatusListError("a status list needs at least one entry of at least one bit")
        return cls(bytearray((entries * status_size + 7) // 8), status_size)

    @property
    def entries(self) -> int:
        return len(self.data) * 8 // self.status_size

    @property
    def bits(self) -> int:
        """The bitstring's length in bits (the spec's 16 KiB minimum counts these)."""
        return len(self.data) * 8

    @property
    def short(self) -> bool:
        """Shorter than the spec's 16 KiB minimum (:data:`MIN_LIST_BITS`): it still reads,
        but it gives its holders less herd privacy."""
        return self.bits < MIN_LIST_BITS

    def get(self, index: int) -> int:
        if not 0 <= index < self.entries:
            raise StatusListError(
                f"status index {index} is outside the list (0..{self.entries - 1})", "RANGE_ERROR"
            )
        value = 0
        start = index * self.status_size
        for bit in range(start, start + self.status_size):
            value = (value << 1) | ((self.data[bit >> 3] >> (7 - (bit & 7))) & 1)
        return value

    def set(self, index: int, value: int) -> None:
        if not 0 <= index < self.entries:
            raise StatusListError(f"status index {index} is outside the list", "RANGE_ERROR")
        if not 0 <= value < (1 << self.status_size):
            raise StatusListError(f"status value {value} does not fit in {self.status_size} bits")
        start = index * self.status_size
        for offset in range(self.status_size):
            bit = start + offset
            mask = 1 << (7 - (bit & 7))
            if (value >> (self.status_size - 1 - offset)) & 1:
                self.data[bit >> 3] |= mask
            else:
                self.data[bit >> 3] &= ~mask & 0xFF

    def encode(self) -> str:
        """Multibase (``u``) base64url, no padding, of the GZIP-compressed bitstring."""
        packed = gzip.compress(bytes(self.data), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str, status_size: int = 1, *, min_bits: int = 0) -> Bitstring:
        """Decode ``encodedList`` (Bitstring: ``u``-multibase; StatusList2021: bare base64url
        or base64). A list shorter than ``min_bits`` bits raises ``STATUS_LIST_LENGTH_ERROR``;
        by default any length reads (see :attr:`short`)."""
        if not isinstance(encoded, str) or not encoded:
            raise StatusListError("encodedList must be a non-empty string")
        if status_size < 1 or status_size > 64:
            raise StatusListError(f"unsupported statusSize {status_size}")
        text = encoded[1:] if encoded.startswith("u") else encoded
        try:
            packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            try:
                packed = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
            except (binascii.Error, ValueError):
                raise StatusListError("encodedList is not base64url") from None
        data = _gunzip_bounded(packed)
        bits = cls(bytearray(data), status_size)
        if bits.bits < min_bits:
            raise StatusListError(
                f"status list has {bits.bits} bits; at least {min_bits} are required",
                "STATUS_LIST_LENGTH_ERROR",
            )
        return bits


def _gunzip_bounded(packed: bytes) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(packed, MAX_LIST_BYTES + 1)
    except zlib.error as exc:
        raise StatusListError(f"encodedList is not GZIP data: {exc}") from None
    if len(out) > MAX_LIST_BYTES or inflater.unconsumed_tail:
        raise StatusListError(f"status list expands beyond {MAX_LIST_BYTES} bytes")
    if not inflater.eof:
        raise StatusListError("encodedList is truncated GZIP data")
    return out


_LIST_TYPES = ("BitstringStatusListCredential", "StatusList2021Credential")


def _types(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def bitstring_status(list_credential: Mapping[str, Any], entry: Mapping[str, Any]) -> int:
    """The status value ``entry`` points at in ``list_credential`` (0 = not set).

    Checks what can be checked without a network or a signature: the list's type, that its
    ``statusPurpose`` includes the entry's and the index range; a list of any length is read
    (:func:`read_bitstring_status` also says whether it is shorter than the spec's minimum).
    The caller verifies the list credential's proof and issuer.
    """
    return read_bitstring_status(list_credential, entry)[0]


def read_bitstring_status(
    list_credential: Mapping[str, Any], entry: Mapping[str, Any]
) -> tuple[int, Bitstring]:
    """(status value, the decoded list) for ``entry`` in ``list_credential``."""
    if not isinstance(list_credential, Mapping) or not isinstance(entry, Mapping):
        raise StatusListError("a status list credential and its entry must be JSON objects")
    types = _types(list_credential.get("type"))
    if not any(t in types for t in _LIST_TYPES):
        raise StatusListError(f"not a status list credential (type {types!r})")
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise StatusListError("status list credential has no credentialSubject")
    purpose = entry.get("statusPurpose")
    list_purposes = _types(subject.get("statusPurpose"))
    if purpose not in list_purposes:
        raise StatusListError(
            f"entry purpose {purpose!r} is not among the list's {list_purposes!r}",
            "STATUS_LIST_PURPOSE_ERROR",
        )
    size = entry.get("statusSize", 1)
    if not isinstance(size, int) or isinstance(size, bool):
        raise StatusListError(f"statusSize must be an integer, got {size!r}")
    raw_index = entry.get("statusListIndex")
    text = str(raw_index) if isinstance(raw_index, str | int) else ""
    if isinstance(raw_index, bool) or not (text.isascii() and text.isdigit()):
        raise StatusListError(f"statusListIndex must be a non-negative integer, got {raw_index!r}",
                              "RANGE_ERROR")
    bits = Bitstring.decode(subject.get("encodedList"), size)  # type: ignore[arg-type]
    return bits.get(int(text)), bits


def revocation_list_status(
    revocation_list: Mapping[str, Any], credential_id: str
) -> tuple[bool, str | None]:
    """(revoked, reason) for ``credential_id`` in a 1EdTech Revocation List.

    Reads ``revokedCredentials`` and, as the official validator does, ``revokedCredential``.
    An entry whose ``revoked`` is true or absent revokes.
    """
    if not isinstance(revocation_list, Mapping):
        raise StatusListError("a revocation list must be a JSON object")
    entries: list[Any] = []
    for key in ("revokedCredentials", "revokedCredential"):
        value = revocation_list.get(key)
        if isinstance(value, list):
            entries.extend(value)
        elif isinstance(value, Mapping):
            entries.append(value)
    for item in entries:
        if (
            isinstance(item, Mapping)
            and item.get("id") == credential_id
            and item.get("revoked", True) is not False
        ):
            reason = item.get("revocationReason")
            return True, reason if isinstance(reason, str) else None
    return False, None
