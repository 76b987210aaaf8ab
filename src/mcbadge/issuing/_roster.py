"""Rosters: who gets the award, one row each, from CSV or JSON Lines.

Columns (CSV header or JSON keys, case-insensitive): ``name``; the recipient as ``email``,
``did``, ``url`` or ``recipient``; optional ``evidence`` (a URL; in JSONL also an object or a
list), ``narrative`` (evidence narrative), ``result`` (a value; in JSONL also an object or a
list) and ``key`` / ``idempotency_key``. A bad row is reported with its line number.

A file straight out of a student information system has other column names and more columns:
:class:`RosterFormat` maps them (``columns={"email": "Email Address"}``), builds ``name`` from
several (``name_from=("First Name", "Last Name")``), and ignores the ones named in
``ignore``. Any other unknown column stops the run before anything is issued (a typo must
not become 5,000 badges). Text is UTF-8 by default (a BOM is fine); ``encoding="cp1252"`` or
``"latin-1"`` on request; a byte that does not decode is reported with its line and offset.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcbadge.errors import IssuingError, MCBadgeError
from mcbadge.issuing._build import Recipient, as_evidence, as_results

__all__ = ["RosterFormat", "RosterRow", "RowError", "check_roster_text", "iter_roster",
           "parse_row", "read_roster"]

MAX_ROSTER_BYTES = 512 * 1024 * 1024

_RECIPIENT_COLUMNS = ("recipient", "email", "did", "url")
_KNOWN = {
    "name", "recipient", "email", "did", "url", "evidence", "evidence_url", "narrative",
    "evidence_narrative", "result", "key", "idempotency_key",
}


_MAX_RENAMED = 256


@dataclass(frozen=True)
class RosterFormat:
    """How to read a roster file whose columns are not mcbadge's own."""

    encoding: str = "utf-8"
    columns: Mapping[str, str] = field(default_factory=dict)
    """mcbadge's column -> the file's column (``{"email": "Email Address"}``)."""
    name_from: tuple[str, ...] = ()
    """The file's columns joined with a space into ``name`` (``("First Name", "Last Name")``)."""
    ignore: tuple[str, ...] = ()
    """The file's columns not read at all (``("school", "grade")``)."""

    def __post_init__(self) -> None:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise IssuingError(f"unknown text encoding {self.encoding!r}",
                               "ROSTER_ERROR") from None
        bad = [c for c in self.columns if c.strip().lower() not in _KNOWN]
        if bad:
            raise IssuingError(f"--column {bad[0]!r}: not a roster column (known: "
                               f"{', '.join(sorted(_KNOWN))})", "ROSTER_ERROR")

    def rename(self, header: str) -> str | None:
        """The mcbadge column a file column is read as; None to leave it out."""
        known: dict[str, str | None] | None = self.__dict__.get("_renamed")
        if known is None:
            known = {}
            object.__setattr__(self, "_renamed", known)  # a cache, not a field
        if header in known:
            return known[header]
        found = self._rename(header)
        if len(known) < _MAX_RENAMED:  # a JSONL roster may name any key: bounded
            known[header] = found
        return found

    def _rename(self, header: str) -> str | None:
        folded = header.strip().lower()
        for ours, theirs in self.columns.items():
            if theirs.strip().lower() == folded:
                return ours.strip().lower()
        if folded in {c.strip().lower() for c in (*self.ignore, *self.name_from)}:
            return None
        return folded

    def apply(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A row with the file's columns as mcbadge's."""
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key is None:
                continue
            name = self.rename(str(key))
            if name is not None:
                out[name] = value
        if self.name_from:
            folded = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
            parts = [str(folded.get(c.strip().lower()) or "").strip() for c in self.name_from]
            joined = " ".join(p for p in parts if p)
            if joined:
                out["name"] = joined
        return out


DEFAULT_FORMAT = RosterFormat()


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


def parse_row(data: Mapping[str, Any], line: int,
              achievement: Mapping[str, Any] | None = None) -> RosterRow:
    """Validate one row (a CSV record or a JSON object). Raises IssuingError. With the
    ``achievement``, a ``result`` naming a rubric level becomes that level (see
    :func:`~mcbadge.issuing.as_results`)."""
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
        results=as_results(results, achievement),
        key=(str(key).strip() or None) if key is not None else None,
    )


def _records(path: Path, text: str, fmt: RosterFormat) -> Iterator[tuple[int, Any]]:
    return _records_from(path, io.StringIO(text, newline=""), fmt)


def _records_from(path: Path, handle: Iterable[str], fmt: RosterFormat
                  ) -> Iterator[tuple[int, Any]]:
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield number, IssuingError(f"not JSON: {exc.msg}", "ROSTER_ERROR")
                continue
            yield number, fmt.apply(value) if isinstance(value, Mapping) else value
        return
    reader = csv.DictReader(handle)
    if not reader.fieldnames:
        return
    missing = [c for c in (*fmt.columns.values(), *fmt.name_from)
               if c.strip().lower() not in {f.strip().lower() for f in reader.fieldnames if f}]
    if missing:
        raise IssuingError(f"{path}: no column {missing[0]!r} in the header",
                           "ROSTER_ERROR")
    unknown = [f for f in reader.fieldnames
               if f and (name := fmt.rename(f)) is not None and name not in _KNOWN]
    if unknown:
        raise IssuingError(
            f"{path}: unknown roster column(s) {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(sorted(_KNOWN))} (map one with --column email=\"Email Address\", "
            "leave one out with --ignore-column)", "ROSTER_ERROR",
        )
    start = reader.line_num + 1
    for record in reader:
        if None in record:
            yield start, IssuingError("more fields than the header has", "ROSTER_ERROR")
        elif any(v for v in record.values()):
            yield start, fmt.apply(record)
        start = reader.line_num + 1


def decode_roster(path: Path, data: bytes, encoding: str) -> str:
    """The roster's text; a byte that does not decode is an error naming its line and
    offset."""
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = (" (a file saved by a Windows program is often cp1252: give "
                "--encoding cp1252)" if codec == "utf-8-sig" else "")
        raise IssuingError(
            f"roster {path} is not {encoding} text: line {line}, column {column} (byte "
            f"offset {exc.start}) holds byte 0x{data[exc.start]:02x}{hint}", "ROSTER_ERROR",
        ) from None


def check_roster_text(path: Path, fmt: RosterFormat) -> int:
    """Read the whole file once, in chunks, before anything is issued: every byte must
    decode (else the error names the line, column and byte offset). Returns the number of
    non-blank lines (the rows, for a progress bar, plus a CSV header)."""
    codec = "utf-8-sig" if codecs.lookup(fmt.encoding).name == "utf-8" else fmt.encoding
    decoder = codecs.getincrementaldecoder(codec)()
    lines = 0
    pending_text = False
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > MAX_ROSTER_BYTES:
                raise IssuingError(f"{path} is larger than {MAX_ROSTER_BYTES} bytes",
                                   "ROSTER_ERROR")
            while chunk := handle.read(1 << 20):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    _locate(path, fmt.encoding, codec)
                    raise
                for piece in chunk.split(b"\n")[:-1]:
                    if piece.strip() or pending_text:
                        lines += 1
                    pending_text = False
                pending_text = pending_text or bool(chunk[chunk.rfind(b"\n") + 1:].strip())
            decoder.decode(b"", final=True)
    except OSError as exc:
        raise IssuingError(f"cannot read roster {path}: {exc.strerror}", "ROSTER_ERROR") from None
    except UnicodeDecodeError:
        raise IssuingError(f"roster {path} is not {fmt.encoding} text (it ends inside a "
                           "character)", "ROSTER_ERROR") from None
    return lines + (1 if pending_text else 0)


def _locate(path: Path, encoding: str, codec: str) -> None:
    """Raise the error naming the first line, column and byte offset that does not decode
    (read again line by line: a newline byte is never part of a character in the
    ASCII-compatible encodings rosters come in)."""
    offset = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode(codec if number == 1 else codec.removesuffix("-sig"))
            except UnicodeDecodeError as exc:
                hint = (" (a file saved by a Windows program is often cp1252: give "
                        "--encoding cp1252)" if codec == "utf-8-sig" else "")
                raise IssuingError(
                    f"roster {path} is not {encoding} text: line {number}, column "
                    f"{exc.start + 1} (byte offset {offset + exc.start}) holds byte "
                    f"0x{raw[exc.start]:02x}{hint}", "ROSTER_ERROR") from None
            offset += len(raw)


def iter_roster(path: str | Path, fmt: RosterFormat = DEFAULT_FORMAT
                ) -> Iterator[tuple[int, Any]]:
    """The roster's records, (line, record or error), read a line at a time: memory stays
    flat whatever its length. Check the text first with :func:`check_roster_text`."""
    path = Path(path)
    codec = "utf-8-sig" if codecs.lookup(fmt.encoding).name == "utf-8" else fmt.encoding
    with open(path, encoding=codec, newline="") as handle:
        yield from _records_from(path, handle, fmt)


def read_roster(path: str | Path, fmt: RosterFormat = DEFAULT_FORMAT,
                achievement: Mapping[str, Any] | None = None,
                ) -> tuple[list[RosterRow], list[RowError]]:
    """Read a CSV (header row) or JSON Lines (``.jsonl``) roster: its good rows and, for the
    others, the line number and what is wrong. Raises IssuingError if the file is unusable."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise IssuingError(f"{path} is larger than {MAX_ROSTER_BYTES} bytes", "ROSTER_ERROR")
        data = path.read_bytes()
    except OSError as exc:
        raise IssuingError(f"cannot read roster {path}: {exc.strerror}", "ROSTER_ERROR") from None
    return parse_rows(_records(path, decode_roster(path, data, fmt.encoding), fmt), achievement)


def parse_rows(records: Iterable[tuple[int, Any]], achievement: Mapping[str, Any] | None = None,
               ) -> tuple[list[RosterRow], list[RowError]]:
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
            rows.append(parse_row(record, line, achievement))
        except MCBadgeError as exc:
            errors.append(RowError(line, exc.message))
    return rows, errors
