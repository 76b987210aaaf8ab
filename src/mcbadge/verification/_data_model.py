"""VC Data Model 2.0 rules the JSON Schemas do not state, checked with them (the ``schema``
check): a ``type`` on every ``refreshService``, ``credentialSchema``, ``termsOfUse``,
``credentialStatus`` and ``evidence`` object (VC DM 2.0 sections 5.4-5.7, 5.9, 5.11), and
``relatedResource`` entries (5.3) each with an ``id`` unique in the list and a ``digestSRI`` or
``digestMultibase``. mcbadge never fetches a related resource, so its digest is not compared."""

from __future__ import annotations

from collections.abc import Mapping
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
    return errors


def _has_type(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value)
    return isinstance(value, list) and bool(value) and all(isinstance(t, str) for t in value)
