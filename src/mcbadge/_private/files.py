"""Writing files whole or not at all: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_writer(path: str | os.PathLike[str], *, mode: int = 0o644,
                  fsync: bool = True) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only when the block ends without an error (the
    temporary file is created with ``mode``, so a key is never readable by others)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644,
                 fsync: bool = True) -> None:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_writer(path, mode=mode, fsync=fsync) as fh:
        fh.write(data)
