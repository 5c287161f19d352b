"""Log entries of a few types, indexed in memory and read forward as the log grows.

The read path re-checks what it shows against the log on every request (services/sealed.py,
services/bound_versions.py). Reading and parsing every withdrawal or publish entry each time
would cost a scan per request, so each application keeps an index of the entries it has read and
asks the database only for entries after them. The log only appends; a database restored from an
older backup under a running server is noticed (the last entry read no longer has the same hash)
and the index is rebuilt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from sqlalchemy import select

from registry.core.canonical import parse_canonical
from registry.core.errors import FormatError
from registry.extensions import db
from registry.models import LogEntry

Entry = tuple[int, str, dict[str, Any]]  # (index, type, the parsed entry)
KeyOf = Callable[[dict[str, Any]], Hashable]


class EntryIndex:
    """Entries of ``types`` grouped by ``key_of(entry)``, in log order."""

    def __init__(self, types: tuple[str, ...], key_of: KeyOf) -> None:
        self.types, self.key_of = types, key_of
        self.scanned = 0
        self.last: tuple[int, str] | None = None  # (index, hash) of the last entry read
        self.by_key: dict[Hashable, list[Entry]] = {}
        self.lock = threading.Lock()

    def _still_same_log(self) -> bool:
        if self.last is None:
            return True
        index, digest = self.last
        found = db.session.execute(select(LogEntry.hash).where(LogEntry.index == index)).scalar_one_or_none()
        return found == digest

    def refresh(self) -> dict[Hashable, list[Entry]]:
        """Read the entries appended since the last call; return the whole index (a copy)."""
        if not self._still_same_log():
            with self.lock:
                self.scanned, self.last, self.by_key = 0, None, {}
        rows = db.session.execute(
            select(LogEntry.index, LogEntry.type, LogEntry.hash, LogEntry.body)
            .where(LogEntry.type.in_(self.types), LogEntry.index >= self.scanned)
            .order_by(LogEntry.index)
        ).all()
        with self.lock:
            for index, kind, digest, body in rows:
                if int(index) < self.scanned:
                    continue  # read by a concurrent refresh meanwhile
                try:
                    entry = parse_canonical(bytes(body))
                    key = self.key_of(entry)
                except (FormatError, KeyError, TypeError):
                    key = None  # a damaged entry is `ikrar log verify`'s to report; it binds nothing
                if key is not None:
                    self.by_key.setdefault(key, []).append((int(index), str(kind), entry))
                self.scanned, self.last = int(index) + 1, (int(index), str(digest))
            return dict(self.by_key)


def index_for(name: str, types: tuple[str, ...], key_of: KeyOf) -> EntryIndex:
    """The application's index called ``name`` (one per application, and so per database)."""
    indexes: dict[str, EntryIndex] = current_app.extensions.setdefault("ikrar.log_indexes", {})
    found = indexes.get(name)
    if found is None:
        found = indexes.setdefault(name, EntryIndex(types, key_of))
    return found
