"""A private, throwaway PostgreSQL cluster whose data directory lives on a small disk.

The shared test server is never the one filled: a tablespace of it on a tmpfs crashed the whole
cluster when the tmpfs went away (tests/test_disk_full.py). This cluster is the test's own:
``initdb`` (as the ``postgres`` OS user, since initdb refuses root) puts the data directory on the
small disk and the WAL on an ordinary temporary directory, so a full disk makes relation
extension fail with SQLSTATE 53100 (an ERROR the transaction rolls back from) instead of a WAL
PANIC. It listens on a free loopback port with trust authentication and is stopped before the
small disk is unmounted.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IS_CI, free_port

DATABASE = "ikrar"


def _server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian layout), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def _owned_by_postgres(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    account = pwd.getpwnam("postgres")
    os.chown(path, account.pw_uid, account.pw_gid)
    path.chmod(0o700)
    return path


def _as_postgres(*command: str) -> None:
    done = subprocess.run(
        ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:1])} failed:\n{done.stdout}{done.stderr}")


def _unavailable(reason: str) -> None:
    pytest.skip(f"a private PostgreSQL cluster cannot be made here: {reason}")


@contextlib.contextmanager
def private_cluster(disk: Path) -> Iterator[str]:
    """A running cluster with its data on ``disk``; yields the SQLAlchemy URL of its database."""
    binaries = _server_binaries()
    if os.geteuid() != 0:
        _unavailable("not root (initdb runs as the postgres user through runuser)")
    if binaries is None or shutil.which("runuser") is None:
        _unavailable("no /usr/lib/postgresql/*/bin/initdb or runuser")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        if IS_CI:
            pytest.fail("PostgreSQL is installed but there is no postgres OS user to run initdb as")
        _unavailable("no postgres OS user")
    assert binaries is not None
    # WAL, socket and server log off the small disk: only relation files may run out of room.
    scratch = _owned_by_postgres(Path(tempfile.mkdtemp(prefix="ikrar-private-pg-")))
    data = disk / "pgdata"
    port = free_port()
    started = False
    try:
        _owned_by_postgres(data)
        _as_postgres(
            str(binaries / "initdb"),
            "--pgdata",
            str(data),
            "--waldir",
            str(scratch / "wal"),
            "--auth",
            "trust",
            "--username",
            "postgres",
            "--encoding",
            "UTF8",
            "--no-sync",  # a throwaway cluster: its files need not reach the platter
        )
        options = " ".join(
            [
                f"-c port={port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={scratch}",
                "-c shared_buffers=8MB",
                "-c max_connections=40",
                "-c fsync=off",  # what is tested is a full disk, not durability
                # Autovacuum of a system catalog would remove the relation-cache init file, and a
                # connection opened on the full disk then dies rewriting it (FATAL, no SQLSTATE).
                "-c autovacuum=off",
            ]
        )
        _as_postgres(
            str(binaries / "pg_ctl"),
            "--pgdata",
            str(data),
            "--log",
            str(scratch / "server.log"),
            "--wait",
            "--options",
            options,
            "start",
        )
        started = True
        _as_postgres(str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), DATABASE)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            _as_postgres(str(binaries / "pg_ctl"), "--pgdata", str(data), "--mode", "immediate", "stop")
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
