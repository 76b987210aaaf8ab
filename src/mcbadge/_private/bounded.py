"""A bounded, thread-safe memo for the per-process caches of the fast paths."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(dict[K, V]):
    """A dict of at most ``limit`` entries, the oldest dropped first. Reads are plain dict
    reads (``get``); writes go through :meth:`put`, under a lock."""

    __slots__ = ("_lock", "limit")

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self._lock = threading.Lock()

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` (dropping the oldest entries over the limit)."""
        with self._lock:
            self[key] = value
            while len(self) > self.limit:
                del self[next(iter(self))]
        return value


def remembered_match(pattern: re.Pattern[str], limit: int = 8192,
                     max_chars: int = 256) -> Callable[[object], bool]:
    """``pattern.match(text) is not None`` (False for anything but a string), remembered
    for strings of at most ``max_chars``: property IRIs, types and ids recur in every
    document. The memo holds at most ``limit`` answers and is emptied when full (a lost
    answer is only matched again)."""
    seen: dict[str, bool] = {}

    def match(text: object) -> bool:
        if type(text) is str and len(text) <= max_chars:
            known = seen.get(text)
            if known is None:
                known = pattern.match(text) is not None
                if len(seen) >= limit:
                    seen.clear()
                seen[text] = known
            return known
        return isinstance(text, str) and pattern.match(text) is not None

    return match
