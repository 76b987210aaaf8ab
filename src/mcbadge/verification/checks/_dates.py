"""Reading the credential's validity dates (VC 2.0 names first, VC 1.1 names for 1.1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mcbadge.models import DateTimeZ


def read_date(doc: Mapping[str, Any], *names: str) -> tuple[str | None, str | None,
                                                            datetime | None]:
    """(member name, its text, the parsed time) of the first of ``names`` present; raises
    ValueError for a value that is not one date-time string."""
    for name in names:
        value = doc.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError(f"{name} must be one date-time string")
        return name, value, DateTimeZ.parse(value)
    return None, None, None
