"""Appending to the hash-chained log; callers hold the head lock for their whole transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from registry.core import merkle
from registry.core.canonical import truncate_to_millis
from registry.core.chain import Entry, make_entry
from registry.db import BEFORE_COMMIT, utcnow
from registry.extensions import db
from registry.models import LogEntry, LogHead, MerkleNode


class LogWriter:
    """The log, locked for one write transaction: appends go at the head, in order."""

    def __init__(self, head: LogHead, last_time: datetime | None) -> None:
        self._head = head
        self._last_time = last_time
        self.appended: list[Entry] = []
        self._start = (head.size, self.root())

    @property
    def size(self) -> int:
        return self._head.size

    def now(self) -> datetime:
        """The time of the next entry: never earlier than the last one, even if clocks disagree."""
        moment = truncate_to_millis(utcnow())
        if self._last_time is not None and moment < self._last_time:
            return self._last_time
        return moment

    def append(self, type_: str, payload: Mapping[str, Any], moment: datetime | None = None) -> Entry:
        moment = moment or self.now()
        if self._last_time is not None and moment < self._last_time:
            raise ValueError("log time must not go backwards")
        head = self._head
        entry = make_entry(head.size, moment, type_, payload, head.head_hash)
        frontier = merkle.Frontier.from_bytes(head.size, head.frontier)
        frontier, nodes = frontier.append(merkle.leaf_hash(entry.canonical))
        db.session.add(
            LogEntry(
                index=entry.index,
                body=entry.canonical,
                hash=entry.hash,
                prev=entry.prev,
                type=entry.type,
                time=moment,
            )
        )
        db.session.execute(insert(MerkleNode), [{"level": lv, "index": ix, "hash": h} for lv, ix, h in nodes])
        head.size = entry.index + 1
        head.head_hash = entry.hash
        head.frontier = frontier.to_bytes()
        self._last_time = moment
        self.appended.append(entry)
        return entry

    def root(self) -> bytes:
        return merkle.Frontier.from_bytes(self._head.size, self._head.frontier).root()

    def seal(self) -> Callable[[], None] | None:
        """Before commit: sign the checkpoint covering these appends, so no signing is
        acknowledged before a checkpoint covering it is durable. After commit: tell the witness."""
        if not self.appended:
            return None
        from registry.services import checkpoints

        note = checkpoints.seal(self._head, self.root(), self._start)
        # Faults (issue 13): a witness write failing after the commit no longer turns the
        # committed answer into an error; see the ordering note in services/checkpoints.py.
        return checkpoints.witness_after_commit(note, self._head.size)


def lock() -> LogWriter:
    """Lock the log head for this transaction: one appender at a time, so that two cannot read the
    same head and fork the chain (docs/PERFORMANCE.md measures this critical section)."""
    head = db.session.execute(select(LogHead).where(LogHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        raise RuntimeError("the log head row is missing: run `ikrar init`")
    last_time = None
    if head.size:
        last_time = db.session.execute(
            select(LogEntry.time).where(LogEntry.index == head.size - 1)
        ).scalar_one()
    writer = LogWriter(head, last_time)
    db.session.info.setdefault(BEFORE_COMMIT, []).append(writer.seal)
    return writer
