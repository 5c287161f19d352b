"""Appending to the hash-chained log: the one transaction every change to the log goes through.

Read :func:`append_transaction` top to bottom: begin, lock the head, run the use case's work
(which appends entries), seal a checkpoint covering them, commit, record the witness. The head
row's lock serialises appenders across threads, processes and servers; keep what runs under it
short (docs/PERFORMANCE.md): a use case prepares what does not need the lock before it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert, select, update

from registry.core import merkle
from registry.core.canonical import truncate_to_millis
from registry.core.chain import Entry, make_entry
from registry.db import write_transaction
from registry.extensions import db
from registry.models import LogEntry, LogHead, MerkleNode
from registry.services import checkpoints
from registry.services.checkpoints import CheckpointConflict, Sealer

T = TypeVar("T")


def append_transaction(sealer: Sealer, work: Callable[[LogWriter], T]) -> T:
    """Run ``work`` with the log locked for it, and seal and commit what it appended.

    No change is acknowledged before a checkpoint covering it is durable: the checkpoint is signed
    and stored in the same transaction. The witness file is told only after the commit, and a
    failure there is logged, not raised: the change stands (services/checkpoints.py, the order
    of a write). The whole attempt, ``work`` included, is re-run on contention, so ``work`` must
    only touch the database and must be safe to repeat.
    """

    def locked() -> tuple[T, Callable[[], None] | None]:
        log = _lock_head(sealer)
        result = work(log)
        return result, log.seal()

    result, record_witness = write_transaction(locked)  # BEGIN … COMMIT, retried on contention
    if record_witness is not None:
        record_witness()
    return result


@dataclass
class _Head:
    """The log head row as read under its lock; written back once, when the appends are sealed."""

    size: int
    head_hash: str
    frontier: bytes
    checkpoint_size: int
    checkpoint: str


def _lock_head(sealer: Sealer) -> LogWriter:
    """Lock the log head for this transaction; every other appender waits here until it ends."""
    row = db.session.execute(
        select(LogHead.size, LogHead.head_hash, LogHead.frontier, LogHead.checkpoint_size, LogHead.checkpoint)
        .where(LogHead.id == 1)
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise RuntimeError("the log head row is missing: run `ikrar init`")
    head = _Head(int(row[0]), str(row[1]), bytes(row[2]), int(row[3] or 0), str(row[4] or ""))
    last_time = None
    if head.size:
        last_time = db.session.execute(
            select(LogEntry.time).where(LogEntry.index == head.size - 1)
        ).scalar_one()
    return LogWriter(sealer, head, last_time)


class LogWriter:
    """The log, locked for one append transaction: appends go at the head, in order."""

    def __init__(self, sealer: Sealer, head: _Head, last_time: datetime | None) -> None:
        self._sealer = sealer
        self._head = head
        self._last_time = last_time
        self._frontier = merkle.Frontier.from_bytes(head.size, head.frontier)
        self._start = (head.size, self._frontier.root())
        self.appended: list[Entry] = []

    @property
    def size(self) -> int:
        return self._head.size

    @property
    def last_time(self) -> datetime | None:
        """The time of the last entry; the next one may not be earlier."""
        return self._last_time

    def now(self) -> datetime:
        """The time of the next entry: never earlier than the last one, even if clocks disagree."""
        moment = truncate_to_millis(self._sealer.clock())
        if self._last_time is not None and moment < self._last_time:
            return self._last_time
        return moment

    def append(self, type_: str, payload: Mapping[str, Any], moment: datetime | None = None) -> Entry:
        moment = moment or self.now()
        if self._last_time is not None and moment < self._last_time:
            raise ValueError("log time must not go backwards")
        head = self._head
        entry = make_entry(head.size, moment, type_, payload, head.head_hash)
        self._frontier, nodes = self._frontier.append(merkle.leaf_hash(entry.canonical))
        db.session.execute(
            insert(LogEntry).values(
                index=entry.index,
                body=entry.canonical,
                hash=entry.hash,
                prev=entry.prev,
                type=entry.type,
                time=moment,
            )
        )
        db.session.execute(insert(MerkleNode), [{"level": lv, "index": ix, "hash": h} for lv, ix, h in nodes])
        head.size, head.head_hash = entry.index + 1, entry.hash
        self._last_time = moment
        self.appended.append(entry)
        return entry

    def root(self) -> bytes:
        return self._frontier.root()

    def seal(self) -> Callable[[], None] | None:
        """Sign the checkpoint covering these appends and store it with the new head, in one
        compare-and-swap UPDATE; return what records it in the witness once committed."""
        if not self.appended:
            return None
        head, start_size = self._head, self._start[0]
        signer = self._sealer.note_signer()
        note = checkpoints.seal(
            self._sealer, signer, head.size, self.root(), self._start, (head.checkpoint_size, head.checkpoint)
        )
        db.session.flush()  # the use case's own rows go first: a failure there leaves no checkpoint
        swapped = db.session.execute(  # type: ignore[attr-defined]  # a CursorResult for UPDATE
            update(LogHead)
            .where(
                LogHead.id == 1, LogHead.size == start_size, LogHead.checkpoint_size == head.checkpoint_size
            )
            .values(
                size=head.size,
                head_hash=head.head_hash,
                frontier=self._frontier.to_bytes(),
                checkpoint=note,
                checkpoint_size=head.size,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if swapped != 1:
            raise CheckpointConflict("the latest checkpoint changed during this transaction")
        head.checkpoint_size, head.checkpoint = head.size, note
        return checkpoints.witness_after_commit(self._sealer, signer, note, head.size)
