"""The hash-chained log: entry form, entry hash, and a streaming chain verifier."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.core.canonical import (
    canonical_bytes,
    format_instant,
    parse_canonical,
    parse_instant,
    sha256_hex,
)
from registry.core.errors import FormatError, VerificationError

GENESIS_PREV = "0" * 64
ENTRY_TYPE = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = {"index", "time", "type", "payload", "prev"}


@dataclass(frozen=True)
class Entry:
    """One log entry and its canonical bytes (the Merkle leaf) and hash (the next entry's prev)."""

    index: int
    time: str
    type: str
    payload: dict[str, Any]
    prev: str
    canonical: bytes

    @property
    def hash(self) -> str:
        return sha256_hex(self.canonical)


def make_entry(index: int, moment: datetime, type_: str, payload: Mapping[str, Any], prev: str) -> Entry:
    if not ENTRY_TYPE.fullmatch(type_):
        raise FormatError(f"entry type must look like subject:action, not {type_!r}")
    time = format_instant(moment)
    body = {
        "index": index,
        "time": time,
        "type": type_,
        "payload": dict(payload),
        "prev": prev,
    }
    return Entry(index, time, type_, dict(payload), prev, canonical_bytes(body))


def parse_entry(canonical: bytes) -> Entry:
    """Parse an entry's canonical bytes, checking its form; raise FormatError if it is not one."""
    body = parse_canonical(canonical)
    if not isinstance(body, dict) or set(body) != _FIELDS:
        raise FormatError(f"an entry has exactly the fields {sorted(_FIELDS)}")
    index, prev, type_ = body["index"], body["prev"], body["type"]
    if type(index) is not int or index < 0:
        raise FormatError("entry index must be a non-negative integer")
    if not isinstance(prev, str) or not _HEX64.fullmatch(prev):
        raise FormatError("entry prev must be 64 lowercase hex digits")
    if not isinstance(type_, str) or not ENTRY_TYPE.fullmatch(type_):
        raise FormatError("entry type must look like subject:action")
    if not isinstance(body["payload"], dict):
        raise FormatError("entry payload must be an object")
    parse_instant(body["time"])
    return Entry(index, body["time"], type_, body["payload"], prev, canonical)


class ChainError(VerificationError):
    """The chain is broken at ``index``."""

    def __init__(self, index: int, reason: str, kind: str = "chain") -> None:
        super().__init__(f"entry {index}: {reason}")
        self.index = index
        self.reason = reason
        self.kind = kind


class ChainVerifier:
    """Feed entries in order; it checks form, gapless indices, links and non-decreasing time."""

    def __init__(self, start_index: int = 0, prev: str = GENESIS_PREV) -> None:
        self.size = start_index
        self.head = prev
        self._last_time: str | None = None

    def add(self, canonical: bytes) -> Entry:
        try:
            entry = parse_entry(canonical)
        except FormatError as exc:
            raise self.malformed(str(exc)) from exc
        return self.link(entry, entry.hash)

    def malformed(self, reason: str) -> ChainError:
        """The error for a next line that is no entry (``reason``: what parse_entry said)."""
        return ChainError(self.size, f"malformed entry: {reason}")

    def link(self, entry: Entry, entry_hash: str) -> Entry:
        """Append an entry already parsed (with its hash, computed where it was parsed)."""
        position = self.size
        if entry.index != position:
            raise ChainError(
                position, f"index {entry.index} where {position} was expected (gap, deletion or reordering)"
            )
        if entry.prev != self.head and position > 0:
            # Either entry position-1 was altered or this entry's prev was: name the earlier one.
            raise ChainError(
                position - 1,
                f"entry {position - 1} does not hash to the prev of entry "
                f"{position}: one of them was altered",
                kind="link",
            )
        if entry.prev != self.head:
            raise ChainError(position, "the first entry's prev is not 64 zeros")
        # RFC 3339 UTC strings of one fixed width compare in time order.
        if self._last_time is not None and entry.time < self._last_time:
            raise ChainError(position, f"time {entry.time} is earlier than the previous entry's")
        self._last_time = entry.time
        self.head = entry_hash
        self.size += 1
        return entry
