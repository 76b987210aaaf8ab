"""VC Data Model 2.0 rules the JSON Schemas do not state, checked with them (the ``schema``
check): a ``type`` on every ``refreshService``, ``credentialSchema``, ``termsOfUse``,
``credentialStatus`` and ``evidence`` object (VC DM 2.0 sections 5.4-5.7, 5.9, 5.11), and
``relatedResource`` entries (5.3) each with an ``id`` unique in the list and a ``digestSRI`` or
``digestMultibase``; a ``credentialSubject`` that makes no claim (an empty object or list); a
``validFrom`` later than the ``validUntil``. Digests must have the
spec's form; mcbadge fetches no related resource, so it compares no digest (the bytes of a
context as served differ between editions: the W3C suite's own digests of the v2 context do
not match the bytes of the W3C's published file)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mcbadge.errors import SchemaError

TYPED = ("refreshService", "credentialSchema", "termsOfUse", "credentialStatus", "evidence")
MAX_RELATED = 256


def _items(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, list):
        return [(f"/{i}", item) for i, item in enumerate(value)]
    return [("", value)]


def data_model_errors(doc: Mapping[str, Any]) -> list[SchemaError]:
    """The VC Data Model 2.0 problems of ``doc``'s top level (empty: none)."""
    errors: list[SchemaError] = []
    for name in TYPED:
        if name not in doc:
            continue
        for where, item in _items(doc[name]):
            if isinstance(item, Mapping) and not _has_type(item.get("type")):
                errors.append(SchemaError(f"/{name}{where}",
                                          f"a {name} object must have a type (VC Data Model 2.0)"))
    if "relatedResource" in doc:
        related = _items(doc["relatedResource"])
        if len(related) > MAX_RELATED:
            return [*errors, SchemaError("/relatedResource",
                                         f"more than {MAX_RELATED} related resources")]
        seen: set[str] = set()
        for where, item in related:
            pointer = f"/relatedResource{where}"
            if not isinstance(item, Mapping):
                errors.append(SchemaError(pointer, "a related resource must be an object"))
                continue
            rid = item.get("id")
            if not isinstance(rid, str) or not rid:
                errors.append(SchemaError(pointer, "a related resource must have an id"))
            elif rid in seen:
                errors.append(SchemaError(f"{pointer}/id",
                                          f"related resource {rid!r:.80} is listed twice"))
            else:
                seen.add(rid)
            if not any(isinstance(item.get(k), str | list) and item.get(k)
                       for k in ("digestSRI", "digestMultibase")):
                errors.append(SchemaError(pointer, "a related resource must have a digestSRI "
                                          "or digestMultibase"))
            else:
                errors += _digest_errors(pointer, item)
    errors += _subject_errors(doc.get("credentialSubject"))
    errors += _period_errors(doc)
    return errors


def _subject_errors(subject: Any) -> list[SchemaError]:
    if subject == [] or subject == {}:
        return [SchemaError("/credentialSubject", "the credentialSubject makes no claim "
                            "(VC Data Model 2.0 4.8)")]
    if isinstance(subject, list):
        return [SchemaError(f"/credentialSubject/{i}", "a credentialSubject makes no claim")
                for i, item in enumerate(subject) if item == {}]
    return []


def _period_errors(doc: Mapping[str, Any]) -> list[SchemaError]:
    start, end = doc.get("validFrom"), doc.get("validUntil")
    if not (isinstance(start, str) and isinstance(end, str)):
        return []
    try:
        later = _instant(start) > _instant(end)
    except ValueError:
        return []  # the schemas report the malformed one
    if later:
        return [SchemaError("/validUntil", f"validUntil {end!r:.40} is before validFrom "
                            f"{start!r:.40} (VC Data Model 2.0 4.9)")]
    return []


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("no time zone")
    return value


_SRI = re.compile(r"(sha256|sha384|sha512)-[A-Za-z0-9+/_-]+={0,2}")
_MULTIBASE = re.compile(r"[uz][A-Za-z0-9_-]+")


def _digest_errors(pointer: str, item: Mapping[str, Any]) -> list[SchemaError]:
    """Digests that are not of the form the spec gives (SRI hash expressions, multibase)."""
    errors = []
    for name, form, example in (("digestSRI", _SRI, "sha384-BASE64"),
                                ("digestMultibase", _MULTIBASE, "uBASE64URL")):
        if name not in item:
            continue
        values = item[name] if isinstance(item[name], list) else [item[name]]
        for value in values:
            if not isinstance(value, str) or not form.fullmatch(value):
                errors.append(SchemaError(f"{pointer}/{name}",
                                          f"{name} must be like {example}, got {value!r:.60}"))
    return errors


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v for v in items if isinstance(v, str)]


def _has_type(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list) and bool(value) and all(isinstance(t, str) for t in value)
