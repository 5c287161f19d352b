"""Private files at rest: the instance folder 0700, the files in it that hold secrets or personal data 0600.

The embedded database holds names, contacts, password and token hashes; ``secret_key`` signs
sessions and certificate links; ``demo-credentials`` holds passwords. UU 27/2022 asks for
security measures fitting the data, and on a shared machine a 0644 file is readable by every
local user. New files are created private; files of an existing installation are tightened at
start-up (with a log line), never refused, so an upgrade does not stop a running registry.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# SQLite keeps its write-ahead log, shared-memory index and rollback journal next to the database.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def sqlite_file(database_url: str) -> Path | None:
    """The file of an embedded SQLite database URL; None for PostgreSQL or an in-memory database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.database.startswith("file:"):
        return None
    return Path(url.database)


def create_private_database(path: Path) -> None:
    """Create an empty database file 0600 before SQLite does (SQLite's own default is 0644).

    SQLite gives the -wal and -shm files it creates later the main file's permissions, so they
    are private too (tests/test_secrets_at_rest.py checks this after a signing).
    """
    if path.exists():
        return
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:  # another process created it first; tightened below if need be
        return
    os.close(fd)


def secure(app: Flask) -> None:
    """Create the embedded database privately and tighten every instance file that is too open."""
    instance = Path(app.instance_path)
    _tighten(app, instance, PRIVATE_DIR)
    private = [instance / "secret_key", instance / "demo-credentials", Path(app.config["IKRAR_WITNESS_FILE"])]
    database = sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    if database is not None:
        create_private_database(database)
        private += [database] + [Path(f"{database}{suffix}") for suffix in SQLITE_COMPANIONS]
    for path in private:
        _tighten(app, path, PRIVATE_FILE)


def _tighten(app: Flask, path: Path, wanted: int) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~wanted == 0:
        return
    try:
        path.chmod(current & wanted)
    except OSError as exc:
        app.logger.warning("cannot tighten %s (%04o): %s; run: chmod %o %s", path, current, exc, wanted, path)
        return
    app.logger.warning("tightened %s from %04o to %04o", path, current, current & wanted)
