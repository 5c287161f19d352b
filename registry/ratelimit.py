"""Rate-limit storages for Flask-Limiter: a thread-safe ``memory://`` registered over the library's
own, and ``sqlite://`` (the embedded default), whose counts every worker process of one host shares.

The ``memory://`` fix:

limits 5.8's MemoryStorage restarts its expiry timer from whichever request thread notices it
stopped, without a lock: two gunicorn gthread threads can both replace the timer and then both
start the same one, and the second gets ``RuntimeError: threads can only be started once``, a
500 for a verify request. The news-spike load test hit it once in 45,000 requests
(docs/PERFORMANCE.md). Upstream fix: alisaifee/limits pull request 352; remove this module when
the pinned release carries it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from limits.errors import ConfigurationError
from limits.storage import MemoryStorage, Storage, storage_from_string


class ThreadSafeMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry-timer restart is serialised; registered as the ``memory`` scheme."""

    STORAGE_SCHEME = ["memory"]  # noqa: RUF012 - the registry reads it at class creation

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        self._timer_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._timer_lock = threading.Lock()
        super().__setstate__(state)

    # The base class calls its private ``__schedule_expiry``; this is that name, mangled.
    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._timer_lock:
            if not self.timer.is_alive():
                timer = threading.Timer(0.01, self._MemoryStorage__expire_events)  # type: ignore[attr-defined]
                timer.daemon = True  # never keeps a stopping worker alive
                self.timer = timer
                timer.start()


class SQLiteStorage(Storage):
    """Fixed-window counters in one SQLite file, shared by every worker process on one host.

    ``memory://`` counts per gunicorn worker, so two workers let twice the documented limit
    through. This is the embedded default (``sqlite:///<instance>/ratelimit.sqlite3``): no server
    to run, one file every worker of this host opens. Each increment is a single UPSERT statement,
    atomic under SQLite's write lock, so concurrent workers never lose a count. A registry on
    several hosts needs a store they all reach: ``redis://`` (README, Rate limits).
    """

    STORAGE_SCHEME = ["sqlite"]  # noqa: RUF012 - the registry reads it at class creation

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        prefix = "sqlite:///"
        if not uri or not uri.startswith(prefix) or len(uri) == len(prefix):
            raise ConfigurationError("the sqlite rate-limit storage needs a file: sqlite:///PATH")
        # As in SQLAlchemy's URLs: sqlite:///relative/file, sqlite:////absolute/file.
        self.path = Path(uri[len(prefix) :])
        self._local = threading.local()
        self._writes = 0
        self._connection()  # creates the file and table now: a bad path fails at start-up

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process: sqlite3 connections are neither thread-safe
        # nor usable across the fork that starts each gunicorn worker.
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == pid:
            return conn
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():
            # Keys hold client addresses and account names: private like the rest of the instance.
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        # WAL lets readers go on while one worker writes; counters need no fsync per request
        # (synchronous=NORMAL keeps the file consistent, a power cut may forget recent counts).
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS counters "
            "(key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID"
        )
        # Writers queue on an flock of a companion file: the kernel wakes the next one the moment
        # the lock is free, where SQLite's own busy handler polls, sleeping up to 100 ms a retry.
        lock_path = self.path.with_name(self.path.name + ".lock")
        self._local.lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        self._local.conn, self._local.pid = conn, pid
        return conn

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        fcntl.flock(self._local.lock, fcntl.LOCK_EX)
        try:
            yield conn
        finally:
            fcntl.flock(self._local.lock, fcntl.LOCK_UN)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        with self._writing() as conn:
            now = time.time()
            row = conn.execute(
                "INSERT INTO counters (key, value, expires) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (key) DO UPDATE SET "
                "value = CASE WHEN expires <= ?4 THEN excluded.value ELSE value + excluded.value END, "
                "expires = CASE WHEN expires <= ?4 THEN excluded.expires ELSE expires END "
                "RETURNING value",
                (key, amount, now + expiry, now),
            ).fetchone()
            self._writes += 1
            if self._writes % _PURGE_EVERY == 0:
                conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))
        return int(row[0])

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        with self._writing() as conn:
            return conn.execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        with self._writing() as conn:
            conn.execute("DELETE FROM counters WHERE key = ?", (key,))


# Expired rows are removed every so many increments, so the file stays the size of live windows.
_PURGE_EVERY = 500


def check_shared(uri: str, workers: int) -> None:
    """Before serving: the store is reachable, and shared if there is more than one worker."""
    from registry.config import ConfigError

    if uri.startswith("memory://") and workers > 1:
        raise ConfigError(
            f"IKRAR_RATELIMIT_STORAGE=memory:// counts in each worker process: with {workers} workers "
            "every limit would let through that many times more. Leave it unset (a SQLite file "
            "shared by the workers of this host), use redis://, or serve with --workers 1"
        )
    try:
        reachable = storage_from_string(uri).check()
    except Exception as exc:  # any failure to reach the store stops the start
        raise ConfigError(f"the rate-limit store {_safe(uri)} cannot be used: {exc}") from exc
    if not reachable:
        raise ConfigError(f"the rate-limit store {_safe(uri)} does not answer (IKRAR_RATELIMIT_STORAGE)")


def _safe(uri: str) -> str:
    # A Redis URL may carry a password: name only the scheme and host part after it.
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}"
