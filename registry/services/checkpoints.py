"""Signed checkpoints of the log: signing them, the Merkle queries behind proofs, and the witness file.

The witness file lives outside the database (by default in the instance folder). It holds the
latest checkpoint this installation signed, so that a database restored from an old backup, or
swapped for a forked copy, is noticed at start-up instead of being signed over.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from flask import current_app
from sqlalchemy import select, text, update
from sqlalchemy.orm.attributes import set_committed_value

from registry.core import merkle
from registry.core.errors import IkrarError, NoteError
from registry.core.note import Checkpoint, NoteSigner, NoteVerifier, open_checkpoint, sign_checkpoint
from registry.extensions import db
from registry.models import LogHead, SigningKey

T = TypeVar("T")


class CheckpointConflict(IkrarError):
    """The stored checkpoint moved under us, or the database disagrees with what was signed."""


def origin() -> str:
    return str(current_app.config["IKRAR_LOG_ORIGIN"])


def note_signer() -> NoteSigner:
    """The log key as a signed-note signer whose key name is the log origin."""
    signer = current_app.extensions["ikrar.signers"].for_purpose("log")
    return NoteSigner(origin(), signer.private_key)


def log_verifier() -> NoteVerifier:
    """The active log key as a note verifier (public half only, from the database)."""
    row = db.session.execute(
        select(SigningKey).where(SigningKey.purpose == "log", SigningKey.status == "active")
    ).scalar_one_or_none()
    if row is None:
        raise IkrarError("no log key is recorded: run `ikrar init`")
    return NoteVerifier(origin(), bytes(row.public_key))


def fetch_nodes(keys: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
    """One query for every complete-subtree hash a proof needs."""
    if not keys:
        return {}
    # An OR of (level, index) pairs, not a row-value IN: SQLite answers the IN form with a scan
    # of the whole table (linear in the log size), the OR form with one primary-key search per
    # pair; PostgreSQL plans both as index lookups. Written as SQL text with bound integers
    # because building the same expression as SQLAlchemy objects cost more than the query.
    # See docs/PERFORMANCE.md.
    terms = " OR ".join(f'(level = :l{n} AND "index" = :i{n})' for n in range(len(keys)))
    params: dict[str, int] = {}
    for n, (level, index) in enumerate(keys):
        params[f"l{n}"], params[f"i{n}"] = int(level), int(index)
    query = text(f'SELECT level, "index", hash FROM merkle_node WHERE {terms}')  # noqa: S608 - placeholders only
    rows = db.session.execute(query, params)
    return {(level, index): bytes(hash_) for level, index, hash_ in rows}


def fetch_once(compute: Callable[[merkle.Fetch], T]) -> T:
    """Run ``compute``, which may look Merkle nodes up several times, with one database query.

    A first pass records which nodes ``compute`` asks for (answering with placeholder hashes), one
    query reads them all, and a second pass computes with the real hashes. A proof answer needs
    the proof, the leaf and the root: one round trip instead of three (docs/PERFORMANCE.md).
    """
    wanted: list[tuple[int, int]] = []

    def record(keys: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        wanted.extend(keys)
        return dict.fromkeys(keys, bytes(merkle.HASH_SIZE))

    compute(record)
    found = fetch_nodes(list(dict.fromkeys(wanted)))
    return compute(lambda keys: found)


def log_size() -> int:
    return int(db.session.execute(select(LogHead.size).where(LogHead.id == 1)).scalar_one())


def root_at(size: int) -> bytes:
    return merkle.root_hash(size, fetch_nodes)


def sign_at(size: int) -> str:
    """A signed checkpoint for an earlier size of this log (deterministic: same size, same bytes)."""
    return sign_checkpoint(Checkpoint(origin(), size, root_at(size)), note_signer())


def seal(head: LogHead, root: bytes, start: tuple[int, bytes]) -> str:
    """Sign a checkpoint for the head's new size and advance the stored one by compare-and-swap.

    ``start`` is (size, root) of the log before this transaction's appends. Refuses to sign a
    checkpoint that does not extend the last one this server signed (its witness file), so even a
    running server never signs over a database that was rewound or forked under it.
    """
    witnessed = _witnessed()
    if witnessed is not None:
        size, witnessed_root = witnessed
        if head.size < size:
            raise CheckpointConflict(
                f"refusing to sign: this server already signed a checkpoint for {size} "
                f"entries and the database now has {head.size} (rewound?)"
            )
        known = start[1] if size == start[0] else root if size == head.size else root_at(size)
        if known != witnessed_root:
            raise CheckpointConflict(
                "refusing to sign: the database's history differs from the checkpoint "
                "this server signed before (forked?)"
            )
    note = sign_checkpoint(Checkpoint(origin(), head.size, root), note_signer())
    old_size = head.checkpoint_size
    db.session.flush()
    swapped = db.session.execute(  # type: ignore[attr-defined]  # a CursorResult for UPDATE
        update(LogHead)
        .where(LogHead.id == 1, LogHead.checkpoint_size == old_size, LogHead.size == head.size)
        .values(checkpoint=note, checkpoint_size=head.size)
        .execution_options(synchronize_session=False)
    ).rowcount
    if swapped != 1:
        raise CheckpointConflict("the latest checkpoint changed during this transaction")
    # The UPDATE succeeded, so these are the stored values: no need to read the row back.
    set_committed_value(head, "checkpoint", note)
    set_committed_value(head, "checkpoint_size", head.size)
    return note


def latest() -> tuple[int, str]:
    head = db.session.execute(
        select(LogHead.checkpoint_size, LogHead.checkpoint).where(LogHead.id == 1)
    ).one()
    return int(head[0]), str(head[1])


# --- the witness file -------------------------------------------------------------------------


def witness_path() -> Path:
    return Path(current_app.config["IKRAR_WITNESS_FILE"])


def record_witness(note: str, size: int, path: Path | None = None) -> None:
    """Remember ``note`` as the newest checkpoint signed here, unless a newer one is already recorded."""
    path = path or witness_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several workers of one server share the file
        current = _read_size(path)
        if current is not None and current >= size:
            return
        temporary = path.with_suffix(".tmp")
        # Created 0600 whatever the umask: the witness is an instance file kept private (instance_files.py).
        with open(temporary, "w", encoding="utf-8", opener=_private) as handle:
            handle.write(note)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)


def _private(path: str, flags: int) -> int:
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # a temporary file left over by a crash keeps its old mode otherwise
    return fd


_witness_cache: dict[Path, tuple[int, int, bytes]] = {}


def _witnessed() -> tuple[int, bytes] | None:
    """(size, root) of the witness file, re-read only when the file changes."""
    path = witness_path()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    cached = _witness_cache.get(path)
    if cached is None or cached[0] != mtime:
        checkpoint = Checkpoint.parse(path.read_text(encoding="utf-8").split("\n\n", 1)[0] + "\n")
        cached = (mtime, checkpoint.size, checkpoint.root_hash)
        _witness_cache[path] = cached
    return cached[1], cached[2]


def _read_size(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return Checkpoint.parse(text.split("\n\n", 1)[0] + "\n").size


def witness_problem() -> str | None:
    """Why the database must not be served, judged against the witness file; None if all agree."""
    path = witness_path()
    try:
        note = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    # Read the database only now, in a fresh snapshot: one taken before the file was read could
    # predate a signing the file already covers.
    db.session.rollback()
    try:
        witnessed = open_checkpoint(note, log_verifier(), origin())
    except NoteError as exc:
        return (
            f"the last checkpoint this server signed ({path}) does not verify with the log key "
            f"in the database ({exc}): the log key or origin changed"
        )
    size = log_size()
    if size < witnessed.size:
        return (
            f"the database holds {size} log entries but this server already signed a checkpoint "
            f"for {witnessed.size} (a restored old backup?); see `ikrar log accept-database`"
        )
    if root_at(witnessed.size) != witnessed.root_hash:
        return (
            f"the database's first {witnessed.size} log entries differ from the checkpoint this "
            "server signed (a forked or altered database); see `ikrar log accept-database`"
        )
    return None
