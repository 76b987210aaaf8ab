"""What a forged document costs before its signature is checked.

    .venv/bin/python benchmarks/presig.py        # also printed by `make bench`

For hostile inputs of about 1 MiB (the default cap is 2 MiB), the CPU time and peak memory of
every check that runs before ``valid_signature`` (reading within the size and nesting caps,
the contexts and the plain-form rule). Target: at most 100 ms of CPU each, and memory under
ten times the input's size.
"""

from __future__ import annotations

import base64
import json
import struct
import time
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mcbadge.jsonld import default_document_loader
from mcbadge.resolve import Fetcher, KeyDirectory
from mcbadge.verification._state import Run, State
from mcbadge.verification.checks import CHECKS
from mcbadge.verification.policy import Settings

MIB = 1024 * 1024
V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
BASE: dict[str, Any] = {"@context": [V2, OB], "type": ["VerifiableCredential",
                                                       "OpenBadgeCredential"]}


def _json(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _png(text: bytes) -> bytes:
    body = b"openbadgecredential\x00\x00\x00\x00\x00" + text
    out = b"\x89PNG\r\n\x1a\n"
    for kind, data in ((b"IHDR", b"\x00" * 13), (b"iTXt", body), (b"IEND", b"")):
        out += struct.pack(">I", len(data)) + kind + data + struct.pack(">I",
                                                                        zlib.crc32(kind + data))
    return out


def _deep(levels: int, width: int) -> Any:
    node: Any = "x"
    for _ in range(levels):
        node = {"a": node}
    return [node] * width


def hostile() -> dict[str, bytes]:
    wide = dict(BASE, **{f"k{i}": i for i in range(60_000)})
    many = dict(BASE, evidence=[{"id": f"https://e.example/{i}", "name": "n"}
                                for i in range(20_000)])
    deep_ok = dict(BASE, evidence=_deep(60, 2_500))
    long_text = dict(BASE, name="x" * MIB)
    keywords = dict(BASE, evidence=[{"@nest": {"a": i}} for i in range(40_000)])
    contexts = dict(BASE)
    contexts["@context"] = [V2, OB, *[{f"t{j}": f"https://t.example/{j}"} for j in range(16)]]
    inline = dict(BASE)
    inline["@context"] = [V2, OB, {f"term{i}": "https://t.example/" + "x" * 200
                                   for i in range(64)}]
    inline["evidence"] = [{f"term{i % 64}": "v"} for i in range(30_000)]
    jwt_payload = _b64(_json({"vc": many}))
    jwt = f"{_b64(_json({'alg': 'EdDSA', 'kid': 'did:key:z6Mk'}))}.{jwt_payload}.{_b64(b'x' * 64)}"
    svg_body = "".join(f"<g id='g{i}'/>" for i in range(60_000))
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' "
           "xmlns:openbadges='https://purl.imsglobal.org/ob/v3p0'>"
           f"{svg_body}<openbadges:credential><![CDATA[{json.dumps(many)}]]>"
           "</openbadges:credential></svg>").encode()
    near_cap = dict(BASE, evidence=[{"id": f"https://e.example/{i}", "name": "n" * 24,
                                     "narrative": "x" * 24} for i in range(17_000)])
    inline_near = dict(BASE)
    inline_near["@context"] = [V2, OB, {f"term{i}": f"https://t.example/{i}" for i in range(64)}]
    inline_near["evidence"] = [{f"term{i % 64}": "v" * 30, "name": "n" * 20}
                               for i in range(19_000)]
    deep_near = dict(BASE, evidence=[_deep(60, 1)[0] | {"pad": "p" * 1500}
                                     for _ in range(300)])
    return {
        "17,000 evidence items (within the caps)": _json(near_cap),
        "64-term inline context, 19,000 uses": _json(inline_near),
        "nesting at the cap, 300 times": _json(deep_near),
        "60,000 members in one object": _json(wide),
        "20,000 evidence items": _json(many),
        "nesting near the cap, 2,500 times": _json(deep_ok),
        "a 1 MiB string": _json(long_text),
        "40,000 @nest keywords": _json(keywords),
        "18 @context entries": _json(contexts) + b" " * (MIB - len(_json(contexts))),
        "64-term inline context, 30,000 uses": _json(inline),
        "a 1 MiB VC-JWT": jwt.encode(),
        "a 1 MiB SVG, 60,000 elements": svg,
        "a PNG carrying 1 MiB of JSON": _png(_json(many)),
        "not JSON: 1 MiB of [": b"[" * MIB,
    }


def _before_signature(data: bytes) -> str:
    fetcher = Fetcher(offline=True)
    run = Run(datetime.now(UTC), Settings(), fetcher, default_document_loader(),
              KeyDirectory(fetcher))
    state = State(data, run)
    outcome = ""
    for check in CHECKS:
        if check.phase not in ("read", "before_signature"):
            break
        result = check.run(state)
        outcome = f"{result.id} {result.outcome}"
        if result.outcome == "failed":
            break
    fetcher.close()
    return outcome


def presignature(data: bytes) -> tuple[float, int, str]:
    """(CPU ms, peak bytes, the last outcome) of the checks before the signature: CPU timed
    on its own, memory traced in a second run (tracing slows Python several times)."""
    start = time.process_time()
    outcome = _before_signature(data)
    cpu = (time.process_time() - start) * 1000
    tracemalloc.start()
    _before_signature(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return cpu, peak, outcome


def main(print_: Callable[[str], None] = print) -> None:
    print_("\n  before the signature: hostile inputs, CPU ms and peak memory (target <= 100 ms,"
           " < 10x the input)")
    print_(f"  {'input':<38}{'size':>9}{'CPU ms':>9}{'peak':>9}  outcome")
    for name, data in hostile().items():
        presignature(data)  # warm (bundled contexts, vocabulary)
        cpu, peak, outcome = presignature(data)
        print_(f"  {name:<38}{len(data) / MIB:8.2f}M{cpu:9.1f}{peak / len(data):8.1f}x  "
               f"{outcome}")


if __name__ == "__main__":
    main()
