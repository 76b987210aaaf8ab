"""A real PostgreSQL server for the tests: a throwaway cluster (initdb + pg_ctl) in a
temporary folder, listening on 127.0.0.1 only, stopped and deleted afterwards. As root it
runs as the ``postgres`` user (initdb refuses root). Where there is no PostgreSQL (``make
test`` installs Debian's ``postgresql`` when run as root) or no psycopg, the tests that
need it skip and say why."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _binary(name: str) -> str | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(f"{folder}/{name}", os.X_OK):
            return f"{folder}/{name}"
    return shutil.which(name)


def unavailable() -> str | None:
    """Why there can be no test server here (None: there can)."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg / psycopg-pool are not installed (the postgresql extra)"
    if _binary("initdb") is None or _binary("pg_ctl") is None:
        return ("no PostgreSQL server binaries (initdb, pg_ctl); as root `make test` "
                "installs Debian's postgresql")
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user to run the server as"
    return None


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A running server; yields the URL of its ``postgres`` database (superuser, trust)."""
    folder = Path(tempfile.mkdtemp(prefix="mcbadge-pg-"))
    data, sockets = folder / "data", folder / "sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    assert initdb and pg_ctl
    subprocess.run(_as_owner([initdb, "-D", str(data), "-A", "trust", "-U", "postgres",
                              "-E", "UTF8", "--no-sync", "--no-instructions"]),
                   check=True, capture_output=True, timeout=120)
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c max_connections=200 -c shared_buffers=64MB")
    subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-w",
                              "-t", "60", "-o", options, "start"]),
                   check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(server: str) -> str:
    """A fresh, empty database on the test server; its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name
