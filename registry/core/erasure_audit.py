"""The auditor's rules for erasures (docs/FORMATS.md §7 "To check erasures").

A ``signature:erase`` entry says a signature's personal data were erased; the log keeps only the
hashes, so the entry names the record by its id and by the ``record_sha256`` its own
``signature:create`` entry committed to. The log alone must show:

- every erasure names a record an earlier ``signature:create`` entry created, with that entry's
  ``record_sha256`` (an erasure cannot hide which record it was, nor name one never signed);
- a record is erased at most once, on a ground of ``request`` or ``retention``.

Given the signature documents the registry serves, an ``erased`` document must agree with the
entry that erased it (index within the checkpoint, time, ground, record hash), and a record the
log erases must not be served as anything but ``erased``: serving it with its personal data
would mean the erasure did not happen.

Memory: the record id and record hash of every ``signature:create`` entry (an erasure may name
any earlier record), and the erased documents until their entry is reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from registry.core.canonical import parse_instant
from registry.core.errors import FormatError

GROUNDS: Final = ("request", "retention")
_HEX256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class ServedErasure:
    """What an ``erased`` signature document said of its erasure, kept until the log's entry comes."""

    log_index: int
    at: str
    ground: str
    record_sha256: str


class Erasures:
    """The ``signature:erase`` entries of a walk, and the erased documents served for it.

    Methods return a problem (English text) or None; the caller reports it at the index it
    belongs to, so the first bad index wins as for every other check.
    """

    def __init__(self, size: int, *, records: bool) -> None:
        self.size, self.records = size, records
        # record id → raw SHA-256 of its signature:create entry's record_sha256 (32 bytes a record)
        self.created: dict[str, bytes] = {}
        self.erased: set[str] = set()
        self.pending: dict[str, ServedErasure] = {}
        self.matched = 0  # erase entries that agreed with the served document

    def create(self, payload: dict[str, Any]) -> None:
        rid, digest = payload.get("record_id"), payload.get("record_sha256")
        if isinstance(rid, str) and isinstance(digest, str) and _HEX256.match(digest):
            self.created.setdefault(rid, bytes.fromhex(digest))

    def served(self, rid: str, index: int, digest: str, erasure: Any) -> str | None:
        """The ``erasure`` member of record ``rid``'s document (status ``erased``), which the
        log created at ``index`` with ``digest``: well formed, and remembered for its entry."""
        if not isinstance(erasure, dict):
            return f"record {rid} is served as erased without its erasure ({erasure!r})"
        log_index, at, ground = erasure.get("log_index"), erasure.get("at"), erasure.get("ground")
        try:
            if type(log_index) is not int or log_index <= index or not isinstance(at, str):
                raise FormatError("log_index or at")
            parse_instant(at)
        except FormatError:
            return f"record {rid}: malformed erasure {erasure!r}"
        if ground not in GROUNDS:
            return f"record {rid}: the erasure's ground {ground!r} is not one of {', '.join(GROUNDS)}"
        if log_index < self.size:  # an erasure after the checkpoint is for the next audit
            self.pending[rid] = ServedErasure(log_index, at, str(ground), digest)
        return None

    def erase(self, index: int, payload: dict[str, Any], time: str) -> str | None:
        """A ``signature:erase`` entry at ``index``: the log's rules, then the served document."""
        rid = payload.get("record_id")
        if not isinstance(rid, str):
            return "signature:erase entry without record_id"
        digest, ground = payload.get("record_sha256"), payload.get("ground")
        created = self.created.get(rid)
        if created is None:
            return f"the log erases record {rid}, which no earlier signature:create entry names"
        if not isinstance(digest, str) or not _HEX256.match(digest) or bytes.fromhex(digest) != created:
            return f"the erasure of record {rid} names another record_sha256 than its signature:create entry"
        if rid in self.erased:
            return f"record {rid} is erased a second time"
        self.erased.add(rid)
        if ground not in GROUNDS:
            return f"the erasure of record {rid} has ground {ground!r}, not one of {', '.join(GROUNDS)}"
        if not self.records:
            return None
        said = self.pending.pop(rid, None)
        if said is None:
            return (
                f"the log erases record {rid} here but the registry does not serve it as erased "
                "(its personal data would still be served)"
            )
        if said.log_index != index:
            return f"the registry gives record {rid} erasure.log_index {said.log_index}"
        if said.record_sha256 != digest:
            return f"the entry erases another record than the one served as {rid}"
        if said.ground != ground:
            return f"the registry gives record {rid} erasure.ground {said.ground!r}, the entry {ground!r}"
        if parse_instant(said.at) != parse_instant(time):
            return f"the erasure time served for record {rid} is not the entry's time"
        self.matched += 1
        return None

    def unmatched(self) -> list[tuple[int, str]]:
        """Erased documents whose entry (within the checkpoint) does not erase them: (index, problem)."""
        return [
            (
                said.log_index,
                f"the registry says record {rid} was erased by entry {said.log_index}, "
                "which does not erase it",
            )
            for rid, said in self.pending.items()
        ]
