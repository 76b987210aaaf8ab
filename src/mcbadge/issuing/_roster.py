"""Rosters: who gets the award, one row each, from CSV or JSON Lines.

Columns (CSV header or JSON keys, case-insensitive): ``name``; the recipient as ``email``,
``did``, ``url`` or ``recipient``; optional ``evidence`` (a URL; in JSONL also an object or a
list), ``narrative`` (evidence narrative), ``result`` (a value; in JSONL also an object or a
list) and ``key`` / ``idempotency_key``. A bad row is reported with its line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcbadge.errors import IssuingError, MCBadgeError
from mcbadge.issuing._build import Recipient, as_evidence, as_results

__all__ = ["RosterRow", "RowError", "parse_row", "read_roster"]

MAX_ROSTER_BYTES = 512 * 1024 * 1024

_RECIPIENT_COLUMNS = ("recipient", "email", "did", "url")
_KNOWN = {
    "name", "recipient", "email", "did", "url", "evidence", "evidence_url", "narrative",
    "evidence_narrative", "result", "key", "idempotency_key",
}


@dataclass(frozen=True, slots=True)
class RowError:
    """A roster row that was not issued, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One validated roster row."""

    line: int
    recipient: Recipient
    name: str | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    key: str | None = None


def _text(value: Any, column: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise IssuingError(f"'{column}' must be text", "ROSTER_ERROR")
    value = value.strip()
    return value or None


def _listed(value: Any) -> list[Any]:
    """A cell as a list: empty for nothing, itself for a list, else one item."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_row(data: Mapping[str, Any], line: int) -> RosterRow:
    """Validate one row (a CSV record or a JSON object). Raises IssuingError."""
    if not isinstance(data, Mapping):
        raise IssuingError("a row must be a JSON object", "ROSTER_ERROR")
    row = {str(k).strip().lower(): v for k, v in data.items() if k is not None}
    given = [c for c in _RECIPIENT_COLUMNS if _text(row.get(c), c)]
    if not given:
        raise IssuingError("no recipient: give an email, did, url or recipient column",
                           "ROSTER_ERROR")
    if len(given) > 1:
        raise IssuingError(f"more than one recipient column is filled in ({', '.join(given)})",
                           "ROSTER_ERROR")
    recipient = Recipient.parse(_text(row[given[0]], given[0]) or "")
    evidence_in = row.get("evidence", row.get("evidence_url"))
    narrative = _text(row.get("narrative", row.get("evidence_narrative")), "narrative")
    evidence = _listed(evidence_in)
    if narrative:
        if evidence and isinstance(evidence[0], str):
            evidence[0] = {"id": evidence[0], "narrative": narrative}
        elif evidence and isinstance(evidence[0], Mapping):
            evidence[0] = {**evidence[0], "narrative": narrative}
        else:
            evidence = [{"narrative": narrative}]
    results = _listed(row.get("result"))
    key = row.get("idempotency_key", row.get("key"))
    if key is not None and not isinstance(key, str | int):
        raise IssuingError("'key' must be text", "ROSTER_ERROR")
    return RosterRow(
        line=line,
        recipient=recipient,
        name=_text(row.get("name"), "name"),
        evidence=as_evidence(evidence),
        results=as_results(results),
        key=(str(key).strip() or None) if key is not None else None,
    )


def _records(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, raw in enumerate(text.splitlines(), 1):
            if not raw.strip():
                continue
            try:
                yield number, json.loads(raw)
            except json.JSONDecodeError as exc:
                yield number, IssuingError(f"not JSON: {exc.msg}", "ROSTER_ERROR")
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        return
    unknown = [f for f in reader.fieldnames if f and f.strip().lower() not in _KNOWN]
    if unknown:
        raise IssuingError(
            f"{path}: unknown roster column(s) {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(sorted(_KNOWN))}", "ROSTER_ERROR",
        )
    start = reader.line_num + 1
    for record in reader:
        if None in record:
            yield start, IssuingError("more fields than the header has", "ROSTER_ERROR")
        elif any(v for v in record.values()):
            yield start, record
        start = reader.line_num + 1


def read_roster(path: str | Path) -> tuple[list[RosterRow], list[RowError]]:
    """Read a CSV (header row) or JSON Lines (``.jsonl``) roster: its good rows and, for the
    others, the line number and what is wrong. Raises IssuingError if the file is unusable."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise IssuingError(f"{path} is larger than {MAX_ROSTER_BYTES} bytes", "ROSTER_ERROR")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise IssuingError(f"cannot read roster {path}: {exc.strerror}", "ROSTER_ERROR") from None
    except UnicodeDecodeError:
        raise IssuingError(f"roster {path} is not UTF-8 text", "ROSTER_ERROR") from None
    return parse_rows(_records(path, text))


def parse_rows(records: Iterable[tuple[int, Any]]) -> tuple[list[RosterRow], list[RowError]]:
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    for line, record in records:
        if isinstance(record, RosterRow):
            rows.append(record)
            continue
        if isinstance(record, Exception):
            errors.append(RowError(line, str(record)))
            continue
        try:
            rows.append(parse_row(record, line))
        except MCBadgeError as exc:
            errors.append(RowError(line, exc.message))
    return rows, errors
