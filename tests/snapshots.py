"""A registry set up once per test process and copied into each test that asks for the same one.

Setting up a registry (migrating a new database, generating the keys, loading the demo) costs about
1.2 s of CPU per test on this machine: cProfile gave 0.53 s for the migrations, 0.27 s for the keys
and 0.36 s for the demo, and about 2,000 tests paid it. The first test with a given configuration
runs the real set-up; each later one gets a byte copy of its result: the SQLite database through
sqlite3's backup API, and every file the set-up wrote beside it (key files, the witness file) with
their permission bits. So each test still owns a private database, keys and witness file.

Only SQLite databases are copied. On PostgreSQL each test keeps the real set-up: a database
copied with ``CREATE DATABASE … TEMPLATE`` took seconds on this machine's disk, longer than the
set-up it would replace, and schemas cannot be copied. Tests that check the set-up itself (the
migrations, key generation) call ``initialise(app, fresh=True)``.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Flask

# Settings that can change what the set-up writes; any other setting leaves it the same.
_SETTING_PREFIXES = ("IKRAR_", "SECRET_KEY")
_snapshots: dict[str, Path] = {}
_root: Path | None = None


def _database_file(app: Flask) -> Path | None:
    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if not uri.startswith("sqlite:///") or "?" in uri:
        return None
    return Path(uri.removeprefix("sqlite:///"))


def _files(home: Path) -> set[Path]:
    return {path.relative_to(home) for path in home.rglob("*") if path.is_file()}


def _fingerprint(app: Flask, home: Path, demo: bool) -> str:
    """What the set-up depends on, with the test's own folder written as ``<home>``."""
    lines = [f"demo={demo}"]
    for name in sorted(app.config):
        if name.startswith(_SETTING_PREFIXES) and name != "SQLALCHEMY_DATABASE_URI":
            lines.append(f"{name}={app.config[name]!r}")
    lines += [
        f"env {name}={value}" for name, value in sorted(os.environ.items()) if name.startswith("IKRAR_")
    ]
    text = "\n".join(lines).replace(str(home), "<home>")
    return hashlib.sha256(text.encode()).hexdigest()


def _copy_database(source: Path, target: Path) -> None:
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


def _release(app: Flask) -> None:
    """Close the application's pooled connections so its database file can be copied or replaced."""
    from registry.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _snapshot_root() -> Path:
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="ikrar-test-snapshots-"))
        atexit.register(shutil.rmtree, _root, True)
    return _root


def set_up(app: Flask, demo: bool, real_set_up: Callable[[], None]) -> None:
    """Run ``real_set_up`` once per configuration; give later tests a copy of what it wrote."""
    database = _database_file(app)
    home = database.parent if database else None
    if database is None or home is None or not _empty(database) or _files(home) - _own(home, database):
        real_set_up()  # PostgreSQL, or a registry already partly there: nothing safe to copy
        return
    key = _fingerprint(app, home, demo)
    snapshot = _snapshots.get(key)
    if snapshot is not None:
        _release(app)
        _copy_database(snapshot / "database", database)
        for relative in _files(snapshot / "files"):
            target = home / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(snapshot / "files" / relative, target)
            if relative.parent != Path("."):  # a key folder's 0700 matters; the test's own folder is its own
                shutil.copymode(snapshot / "files" / relative.parent, target.parent)
        return
    before = _files(home)
    real_set_up()
    _release(app)
    snapshot = Path(tempfile.mkdtemp(dir=_snapshot_root()))
    _copy_database(database, snapshot / "database")
    written = _files(home) - before - _own(home, database)
    for relative in written:
        target = snapshot / "files" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(home / relative, target)
        if relative.parent != Path("."):
            shutil.copymode(home / relative.parent, target.parent)
    _snapshots[key] = snapshot


def _own(home: Path, database: Path) -> set[Path]:
    """Files in a test's folder that are not the set-up's to copy: the database (copied through
    sqlite3), the rate limiter's counters, logs."""
    return {
        path
        for path in _files(home)
        if path.name.startswith((database.name, "ratelimit")) or path.suffix in {".log", ".toml"}
    }


def _empty(database: Path) -> bool:
    """No database yet, or one that creating the application opened but nothing has written."""
    if not database.exists():
        return True
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
