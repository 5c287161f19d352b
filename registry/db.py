"""Database wiring: aware UTC timestamps, SQLite pragmas and locking, the write-transaction runner."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.types import TypeDecorator

from registry.extensions import db

T = TypeVar("T")
WRITE = "ikrar_write"
MAX_ATTEMPTS = 6


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware instant, stored in UTC on every backend and read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware instants only")
        value = value.astimezone(UTC)
        # SQLite has no time zone type; it stores the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def configure_engine(engine: Engine) -> None:
    """Install the per-dialect settings Ikrar's integrity depends on."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself: pysqlite's implicit transactions
        # start only at the first write, so a read-then-write (the log head) would not be
        # serialised: two appenders could read the same head and fork the chain.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Freed bytes are zeroed, not left in free pages: an erased signatory's name must not
        # stay readable in the file (services/erasure.py).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes the database lock at BEGIN, so two appenders can never both read
        # the same chain head; readers stay deferred and are not blocked in WAL mode.
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _retryable(exc: DBAPIError) -> bool:
    if isinstance(exc, IntegrityError):
        # The log's unique index/prev constraints are the backstop against a fork;
        # a racing writer that trips them retries against the new head.
        return True
    if isinstance(exc, OperationalError):
        code = getattr(exc.orig, "sqlstate", None)
        if code in {"40001", "40P01"}:  # serialization failure, deadlock
            return True
        return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)
    return False


def write_transaction(work: Callable[[], T]) -> T:
    """Run ``work`` in one write transaction and commit it; retry a bounded number of times on contention.

    ``work`` must only touch the database through ``db.session`` and must be safe to re-run:
    everything it did is rolled back before a retry. A change to the log goes through
    ``services/log.py`` ``append_transaction``, which runs its locked work in here.
    """
    session = db.session()  # the request-scoped Session itself
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if session.in_transaction():
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("write_transaction called with unflushed changes pending")
            session.rollback()
        try:
            session.connection(execution_options={WRITE: True})
            result = work()
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            if attempt == MAX_ATTEMPTS or not _retryable(exc):
                raise
            time.sleep(random.uniform(0, 0.005 * 2**attempt))
        except BaseException:
            session.rollback()
            raise
        return result
    raise AssertionError("unreachable")
