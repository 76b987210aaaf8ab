"""base58btc multibase and the multicodec prefixes used by Multikey / did:key."""

from __future__ import annotations

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}

ED25519_PUB = b"\xed\x01"  # multicodec 0xed, varint-encoded
ED25519_PRIV = b"\x80\x26"  # multicodec 0x1300, varint-encoded
P256_PUB = b"\x80\x24"  # multicodec 0x1200 (p256-pub), compressed point: did:key:zDn...
P384_PUB = b"\x81\x24"  # multicodec 0x1201 (p384-pub), compressed point: did:key:z82...
P256_PRIV = b"\x86\x26"  # multicodec 0x1306 (p256-priv), the 32-byte secret scalar
P384_PRIV = b"\x87\x26"  # multicodec 0x1307 (p384-priv), the 48-byte secret scalar


_CHUNK = 58**10  # ten base58 digits per big-integer division
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]  # two digits per small division


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    pairs = _PAIRS
    out: list[str] = []
    while num:  # ten digits a step, as five pairs (written out: a loop costs a third more)
        num, chunk = divmod(num, _CHUNK)
        chunk, e = divmod(chunk, 3364)
        chunk, d = divmod(chunk, 3364)
        chunk, c = divmod(chunk, 3364)
        a, b = divmod(chunk, 3364)
        out += (pairs[e], pairs[d], pairs[c], pairs[b], pairs[a])
    text = "".join(reversed(out)).lstrip("1")
    return "1" * zeros + text


def b58decode(text: str) -> bytes:
    if len(text) > 512:
        raise ValueError("base58 value is too long")
    num = 0
    for char in text:
        try:
            num = num * 58 + _INDEX[char]
        except KeyError:
            raise ValueError(f"invalid base58btc character {char!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    """``z`` + base58btc."""
    return "z" + b58encode(data)


def multibase_decode(text: str) -> bytes:
    """Decode a ``z``-prefixed base58btc multibase string."""
    if not text.startswith("z"):
        raise ValueError("only base58btc multibase values ('z' prefix) are supported")
    return b58decode(text[1:])
