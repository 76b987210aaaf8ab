"""A bounded, thread-safe memo for the per-process caches of the fast paths."""

from __future__ import annotations

import threading
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
