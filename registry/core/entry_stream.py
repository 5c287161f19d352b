"""Log entries parsed on every core, handed back in order.

Most of an audit's time goes into parsing each entry strictly (canonical JCS, its fields) and
hashing it; none of that depends on the other entries. Only the link (``prev``), the index and the
time order, and the Merkle fold, need the entries in sequence, and they are cheap. So batches of
lines go to worker processes and come back in their order; the caller links and folds them.

Memory stays constant: at most ``WINDOW`` batches are in flight, however long the export.
A malformed line comes back as a :class:`Malformed` in its place, so the caller stops at the
same first bad index as when it parses line by line; lines after the caller stops are parsed
for nothing but never reported.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

from registry.core.chain import Entry, parse_entry
from registry.core.errors import FormatError

BATCH = 2048  # lines per task: large enough that pickling and scheduling cost little per line
WINDOW = 4  # batches in flight per worker: keeps the workers busy, bounds memory


@dataclass(frozen=True, slots=True)
class Parsed:
    """One well-formed entry with its entry hash (SHA-256 of the line) and RFC 6962 leaf hash."""

    entry: Entry
    digest: bytes
    leaf: bytes


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that is no entry; ``reason`` is what parse_entry said."""

    reason: str


Item = Parsed | Malformed


def parse_line(line: bytes) -> Item:
    """Parse one line (without its newline) as a log entry; never raises for bad bytes."""
    try:
        entry = parse_entry(line)
    except FormatError as exc:
        return Malformed(str(exc))
    return Parsed(entry, hashlib.sha256(line).digest(), hashlib.sha256(b"\x00" + line).digest())


# What a worker sends back per line: a plain tuple pickles several times faster than the objects.
# (index, time, type, payload, prev, entry hash, leaf hash), or (reason,) for a malformed line.
_Wire = tuple[Any, ...]


def _parse_batch(lines: list[bytes]) -> list[_Wire]:
    """A worker's task: parse a batch, stopping after the first malformed line (the caller stops
    there too, so what follows would never be looked at)."""
    out: list[_Wire] = []
    sha256 = hashlib.sha256
    for line in lines:
        try:
            e = parse_entry(line)
        except FormatError as exc:
            out.append((str(exc),))
            break
        out.append(
            (
                e.index,
                e.time,
                e.type,
                e.payload,
                e.prev,
                sha256(line).digest(),
                sha256(b"\x00" + line).digest(),
            )
        )
    return out


def _item(line: bytes, wire: _Wire) -> Item:
    if len(wire) == 1:
        return Malformed(wire[0])
    index, time, type_, payload, prev, digest, leaf = wire
    return Parsed(Entry(index, time, type_, payload, prev, line), digest, leaf)


def _strip(raw: bytes) -> bytes:
    return raw[:-1] if raw.endswith(b"\n") else raw


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parsed_entries(lines: Iterable[bytes], workers: int | None = None) -> Iterator[tuple[bytes, Item]]:
    """``(line, item)`` for each line of ``lines``, in order; ``workers`` processes parse them.

    ``workers`` 1 (or a log shorter than one batch) parses in this process: no pool to start.
    """
    workers = default_workers() if workers is None else workers
    source = (_strip(raw) for raw in lines)
    first = list(islice(source, BATCH))
    if workers <= 1 or len(first) < BATCH:
        for line in first:
            yield line, parse_line(line)
        for line in source:
            yield line, parse_line(line)
        return
    # fork: the workers start at once with the parent's modules; elsewhere the platform default.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[tuple[list[bytes], Future[list[_Wire]]]] = deque()
        batch: list[bytes] | None = first
        try:
            while True:
                while batch and len(pending) < workers * WINDOW:
                    pending.append((batch, pool.submit(_parse_batch, batch)))
                    batch = list(islice(source, BATCH))
                if not pending:
                    return
                lines_done, future = pending.popleft()
                # strict=False: a batch's results stop at its first malformed line.
                for line, wire in zip(lines_done, future.result(), strict=False):
                    yield line, _item(line, wire)
        finally:
            for _, future in pending:  # the caller stopped early: drop what is still queued
                future.cancel()
