"""Issuing: an issuer workspace with its key, ledger and status lists; bulk issuance.

```python
from mcbadge import Achievement, Criteria
from mcbadge.issuing import Issuer

issuer = Issuer.create("pd-issuer", name="District PD", url="https://pd.district.example")
achievement = Achievement(
    id="https://pd.district.example/achievements/community",
    name="Classroom Community", description="Builds a classroom where every student belongs.",
    criteria=Criteria(narrative="Submit a video, a reflection and student work."),
)
badge = issuer.issue(achievement, "ada@district.example", name="Ada Lovelace")   # signed dict
issuer.revoke(badge["id"], reason="awarded in error")
issuer.publish_status("site")               # serve site/ at https://pd.district.example/

summary = issuer.issue_many(achievement, "roster.csv", out="badges/")   # resumable
```

Every credential and every status change is committed to the ledger (SQLite,
``ledger.sqlite3`` in the workspace, or PostgreSQL: ``Issuer.create(..., ledger=
"postgresql://...")``, :class:`PostgresLedger`) before the call returns.
"""

from __future__ import annotations

from mcbadge.issuing._bulk import BulkSummary, Progress, issue_many
from mcbadge.issuing._issuer import Issuer
from mcbadge.issuing._ledger import (
    SCHEMA_VERSION,
    Ledger,
    LedgerRecord,
    ListUrl,
    Reservation,
    SQLiteLedger,
    StatusChange,
    StatusEntry,
    StatusListInfo,
)
from mcbadge.issuing._roster import RosterFormat, RosterRow, RowError, parse_row, read_roster

TYPE_CHECKING = False
if TYPE_CHECKING:
    from mcbadge.issuing._postgres import PostgresLedger


def __getattr__(name: str) -> object:
    """``PostgresLedger`` is imported on first use (it needs the ``postgresql`` extra)."""
    if name == "PostgresLedger":
        from mcbadge.issuing._postgres import PostgresLedger

        return PostgresLedger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SCHEMA_VERSION",
    "BulkSummary",
    "Issuer",
    "Ledger",
    "LedgerRecord",
    "ListUrl",
    "PostgresLedger",
    "Progress",
    "Reservation",
    "RosterFormat",
    "RosterRow",
    "RowError",
    "SQLiteLedger",
    "StatusChange",
    "StatusEntry",
    "StatusListInfo",
    "issue_many",
    "parse_row",
    "read_roster",
]
