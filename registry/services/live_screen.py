"""The live screen of a commitment (``/c/<slug>/layar``): what the projector in the room shows.

It shows what the public list shows (services/roll.py ``public_list``, the same audience policy of
services/audience.py): the running count and the bars count every valid signature that is neither
withdrawn nor erased; names, institutions and handwriting only of signatories who consented to
public display (the consent text: "gambar tanda tangan hanya ditampilkan bila saya
mengizinkannya"). A signature withdrawn or erased later leaves the screen at the next change.

The screen's *cursor* is the size of the latest signed checkpoint: one integer, read with one
cheap query, that changes whenever anything is appended to the log (every write signs a new
checkpoint in its own transaction, services/checkpoints.py). A client that holds a cursor asks
"anything after N?"; only when the cursor moved is the screen rebuilt and re-checked. The server
keeps nothing per client: the cursor travels as the SSE event id (``Last-Event-ID``) or as
``?after=N``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from registry.core.errors import N_
from registry.core.strokes import svg_paths
from registry.extensions import db
from registry.models import CommitmentVersion, LogHead
from registry.services import commitments, sealed
from registry.services.errors import ServiceError
from registry.services.roll import Count, _labels, _records, _withdrawn

NEWEST = 9  # signatures on the screen (3 × 3 cards at 1920×1080); the page keeps no more
MAX_CURSOR_DIGITS = 18  # a log size fits a signed 64-bit integer


@dataclass(frozen=True)
class LiveSignature:
    """One consenting signatory as the screen shows them (allow-listed fields and handwriting)."""

    log_index: int
    name: str
    position: str
    institution: str
    category: str  # label
    signed_at: str
    # [x, y, t] per point: tenths of a pad pixel and ms since the first point (FORMATS.md §5);
    # the pressure is left out, the screen draws a constant line.
    strokes: list[list[list[int]]]

    @property
    def paths(self) -> list[str]:
        """SVG path data per stroke (pad pixels), for the server-rendered first paint."""
        return svg_paths(self.strokes)

    @property
    def view_box(self) -> str:
        xs = [p[0] / 10 for s in self.strokes for p in s]
        ys = [p[1] / 10 for s in self.strokes for p in s]
        pad = 6.0
        width, height = max(xs) - min(xs) + 2 * pad, max(ys) - min(ys) + 2 * pad
        return f"{min(xs) - pad:g} {min(ys) - pad:g} {width:g} {height:g}"

    def document(self) -> dict[str, Any]:
        return {
            "log_index": self.log_index,
            "name": self.name,
            "position": self.position,
            "institution": self.institution,
            "category": self.category,
            "signed_at": self.signed_at,
            "strokes": self.strokes,
        }


@dataclass(frozen=True)
class LiveScreen:
    cursor: int
    slug: str
    version: CommitmentVersion
    total: int  # valid signatures, neither withdrawn nor erased, public or not
    listed: int  # of which consented to public display
    by_category: list[Count]
    by_dimension: list[Count]
    newest: list[LiveSignature] = field(default_factory=list)  # newest first, at most NEWEST
    integrity_errors: int = 0

    def document(self) -> dict[str, Any]:
        """The JSON form sent to the page (SSE data and the polling answer)."""
        return {
            "cursor": self.cursor,
            "changed": True,
            "commitment": {"id": self.slug, "version": self.version.version, "title": self.version.title},
            "total": self.total,
            "listed": self.listed,
            "by_category": [{"id": c.id, "label": c.label, "count": c.count} for c in self.by_category],
            "by_dimension": [{"id": c.id, "label": c.label, "count": c.count} for c in self.by_dimension],
            "signatures": [s.document() for s in self.newest],
            "integrity_errors": self.integrity_errors,
        }


def parse_cursor(raw: str | None) -> int | None:
    """A client's cursor (``?after=`` or ``Last-Event-ID``): None when absent, else a count ≥ 0."""
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_CURSOR_DIGITS:
        raise ServiceError(N_("after must be a whole number of log entries (0 or more)"), field="after")
    return int(raw)


def current_cursor() -> int:
    """The size of the latest signed checkpoint: one indexed single-row read."""
    # End the request's read transaction first: SQLite (WAL) keeps showing the snapshot a
    # transaction started with, so a stream that never ended it would never see a new signature.
    # Nothing is written here, so nothing is lost; the connection goes back to the pool meanwhile.
    db.session.rollback()
    size = db.session.execute(select(LogHead.checkpoint_size).where(LogHead.id == 1)).scalar_one_or_none()
    return int(size or 0)


def require(slug: str) -> CommitmentVersion:
    """The commitment's latest published version (NotFound for an unknown or draft-only one)."""
    return commitments.get_version(slug, published_only=True)


def screen(slug: str) -> LiveScreen:
    """The screen now: counts of every signature shown publicly by number, newest consenting ones."""
    version = require(slug)
    size = current_cursor()
    categories = _labels(version.categories)
    dimensions = _labels(version.dimensions)
    per_category: Counter[str] = Counter()
    per_dimension: Counter[str] = Counter()
    consenting: list[sealed.Sealed] = []
    total = broken = 0
    for signature in sealed.check_many(_records(version, size)):
        if signature.erased:
            continue  # nothing of the person is held any more
        if not signature.ok:
            broken += 1
            continue
        if _withdrawn(signature, size) is not None:
            continue
        record = signature.signed()
        total += 1
        per_category[record["signatory"]["category"]] += 1
        for dimension in record["dimensions"]:
            per_dimension[dimension] += 1
        if signature.public_display:
            consenting.append(signature)
    newest = []
    for signature in sorted(consenting, key=lambda s: s.row.log_index, reverse=True)[:NEWEST]:
        record = signature.signed()
        signer = record["signatory"]
        points = json.loads(bytes(signature.row.strokes))  # its hash was re-checked with the seal
        newest.append(
            LiveSignature(
                log_index=signature.row.log_index,
                name=signer["name"],
                position=signer["position"],
                institution=signer["institution"],
                category=categories.get(signer["category"], signer["category"]),
                signed_at=record["signed_at"],
                strokes=[[[int(p[0]), int(p[1]), int(p[2])] for p in stroke] for stroke in points],
            )
        )
    return LiveScreen(
        cursor=size,
        slug=slug,
        version=version,
        total=total,
        listed=len(consenting),
        by_category=[Count(k, v, per_category[k]) for k, v in categories.items()],
        by_dimension=[Count(k, v, per_dimension[k]) for k, v in dimensions.items()],
        newest=newest,
        integrity_errors=broken,
    )


def poll(slug: str, after: int | None) -> dict[str, Any]:
    """The polling answer: the whole screen when the log moved past ``after``, else only the cursor."""
    require(slug)
    cursor = current_cursor()
    if after is not None and after == cursor:
        return {"cursor": cursor, "changed": False}
    return screen(slug).document()


def changes(
    slug: str,
    after: int | None,
    *,
    seconds: float,
    interval: float = 0.5,
    heartbeat: float = 10.0,
) -> Iterator[LiveScreen | None]:
    """The screen each time it changes during ``seconds`` (None when ``heartbeat`` passed quietly).

    Each ``interval`` costs one read of the cursor; the screen is rebuilt only when it moved, and
    sent only when what it shows changed (an entry of another commitment moves the cursor too).
    ``seconds`` 0 looks once: the answer of a stream that may not stay open.
    """
    started = last_sent = time.monotonic()
    seen = after
    shown: dict[str, Any] | None = None
    while True:
        cursor = current_cursor()
        if cursor != seen:
            now = screen(slug)
            seen = now.cursor
            document = now.document() | {"cursor": None}
            if document != shown:
                shown = document
                last_sent = time.monotonic()
                yield now
        if time.monotonic() - last_sent >= heartbeat:
            last_sent = time.monotonic()
            yield None
        if time.monotonic() - started >= seconds:
            return
        db.session.rollback()  # hold no connection while asleep
        time.sleep(interval)
