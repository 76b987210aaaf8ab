"""A large subtree that every document of a block of work shares, written once.

A bulk run signs thousands of credentials that carry one achievement object (the run's
own, never changed while it runs): its JCS canonical form and its JSON text are the same in
every credential. Inside :func:`sharing`, a document holding that very object at the given
path is written with a placeholder there, and the subtree's text (written once) is put in
for the placeholder. JCS is compositional (an object's canonical form is its sorted members
with their canonical values) and so is JSON, so the result is byte for byte what writing
the whole document gives; ``tests/test_jcs.py`` holds it to that.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T", str, bytes)


class _Shared:
    __slots__ = ("path", "subtree", "texts", "token")

    def __init__(self, path: tuple[str, ...], subtree: Any) -> None:
        self.path = path
        self.subtree = subtree
        # a string no document holds: a control character and 128 random bits
        self.token = "\x00mcbadge-shared-" + secrets.token_hex(16)
        self.texts: dict[Callable[..., Any], Any] = {}


_SHARED: ContextVar[_Shared | None] = ContextVar("mcbadge_shared_subtree", default=None)


@contextmanager
def sharing(path: tuple[str, ...], subtree: Mapping[str, Any]) -> Iterator[None]:
    """Within this block, documents holding ``subtree`` (this very object) at ``path`` (member
    names from the root) are written with its text written once. The caller must not change
    ``subtree`` inside the block."""
    token = _SHARED.set(_Shared(path, subtree))
    try:
        yield
    finally:
        _SHARED.reset(token)


def written(value: Any, write: Callable[[Any], T]) -> T | None:
    """``write(value)`` with the shared subtree's text written once (``write`` must be
    compositional: JSON or JCS text of a JSON value); None: no shared subtree here (the
    caller writes the whole document)."""
    shared = _SHARED.get()
    if shared is None or type(value) is not dict:
        return None
    parents: list[dict[str, Any]] = []
    node: Any = value
    for name in shared.path:
        if type(node) is not dict or name not in node:
            return None
        parents.append(node)
        node = node[name]
    if node is not shared.subtree:
        return None
    replaced: Any = shared.token
    for parent, name in zip(reversed(parents), reversed(shared.path), strict=True):
        replaced = {**parent, name: replaced}
    text = write(replaced)
    inner = shared.texts.get(write)
    if inner is None:
        inner = shared.texts[write] = write(shared.subtree)
    quoted: Any = json.dumps(shared.token)
    if isinstance(text, bytes):
        quoted = quoted.encode("ascii")
    if text.count(quoted) != 1:  # pragma: no cover - the token is random and unprintable
        return None
    return text.replace(quoted, inner)
