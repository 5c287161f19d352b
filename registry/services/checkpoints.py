"""Signed checkpoints of the log: signing them, the Merkle queries behind proofs, and the witness file.

The witness file lives outside the database (by default in the instance folder). It holds the
latest checkpoint this installation signed, so that a database restored from an old backup, or
swapped for a forked copy, is noticed at start-up instead of being signed over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from flask import current_app
from sqlalchemy import select, text

from registry.core import merkle
from registry.core.errors import N_, IkrarError, NoteError
from registry.core.keys import Signer
from registry.core.note import NoteSigner, NoteVerifier
from registry.core.tlog import Checkpoint, open_checkpoint, sign_checkpoint
from registry.db import utcnow
from registry.extensions import db
from registry.models import LogEntry, LogHead, SigningKey
from registry.services import witness
from registry.services.errors import Unavailable

T = TypeVar("T")
logger = logging.getLogger("registry.witness")


class CheckpointConflict(IkrarError):
    """The stored checkpoint moved under us, or the database disagrees with what was signed."""


class WitnessMissing(Unavailable):
    """A non-empty log with no witness: a restored old database could not be told apart."""

    slug, title = "witness-missing", "Signing refused until an operator accepts the database"
    retry_after = 300


class WitnessUnwritable(Unavailable):
    """The witness file cannot be brought up to date (a full disk, a read-only folder)."""

    slug, title = "witness-unwritable", "Signing paused: the witness file cannot be written"
    retry_after = 60


class KeySource(Protocol):
    """Where the signing keys come from (services/keyring.py ActiveSigners)."""

    def for_purpose(self, purpose: str) -> Signer: ...


@dataclass(frozen=True)
class Sealer:
    """What sealing a checkpoint needs, handed to the append transaction (services/log.py)."""

    keys: KeySource
    origin: str
    witness_file: Path
    clock: Callable[[], datetime] = utcnow

    # The log key, when looked up before the transaction (:meth:`resolved`).
    log_signer: NoteSigner | None = None

    def note_signer(self) -> NoteSigner:
        """The log key as a signed-note signer. Looked up inside the transaction unless resolved
        before it: the database names the active log key, and `ikrar init` creates it there."""
        if self.log_signer is not None:
            return self.log_signer
        return NoteSigner(self.origin, self.keys.for_purpose("log").private_key)

    def resolved(self) -> Sealer:
        """This sealer with the log key looked up now, so the append transaction does not. The log
        key never rotates (a new log key is a new log origin), so it cannot change meanwhile."""
        return replace(self, log_signer=self.note_signer())


def sealer(keys: KeySource | None = None) -> Sealer:
    """This application's sealer: its signers (or ``keys``), log origin and witness file."""
    return Sealer(keys or current_app.extensions["ikrar.signers"], origin(), witness_path())


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


def entry_bodies(start: int, end: int) -> Iterator[bytes]:
    """The leaves ``start`` to ``end`` (exclusive) in log order, as stored: read lazily in batches,
    so GET /log/entries streams a page without holding it (no write transaction: it only reads)."""
    rows = db.session.execute(
        select(LogEntry.body)
        .where(LogEntry.index >= start, LogEntry.index < end)
        .order_by(LogEntry.index)
        .execution_options(yield_per=200)
    ).scalars()
    for body in rows:
        yield bytes(body)


def root_at(size: int) -> bytes:
    return merkle.root_hash(size, fetch_nodes)


def sign_at(size: int) -> str:
    """A signed checkpoint for an earlier size of this log (deterministic: same size, same bytes)."""
    return sign_checkpoint(Checkpoint(origin(), size, root_at(size)), note_signer())


def seal(
    sealer: Sealer,
    signer: NoteSigner,
    size: int,
    root: bytes,
    start: tuple[int, bytes],
    stored: tuple[int, str],
) -> str:
    """Sign a checkpoint for ``size`` entries with Merkle root ``root``; the caller stores it.

    ``start`` is (size, root) of the log before this transaction's appends and ``stored`` the
    (size, note) of the checkpoint stored in the head row, both read under the head lock. Refuses
    to sign a checkpoint that does not extend the last one this server signed (its witness file),
    so even a running server never signs over a database that was rewound or forked under it.
    """
    path, name = sealer.witness_file, witness.entry_name(signer.verifier())
    try:
        witnessed = witness.witnessed(path, name)
    except (OSError, ValueError, IkrarError) as exc:
        logger.critical("cannot read the witness file %s: %s", path, exc)
        raise WitnessUnwritable(
            N_("signing is paused: the server cannot read its witness file; an operator must check it")
        ) from exc
    if witnessed is None and start[0] > 0:
        # Without a witness, a database restored from an old backup (or swapped) would be signed
        # over silently. The first checkpoint of an empty log needs none.
        logger.critical(
            "refusing to sign: the log holds %d entries but %s has no witness for %s; "
            "check the database and run `ikrar log accept-database --yes`",
            start[0],
            path,
            name,
        )
        raise WitnessMissing(
            N_(
                "signing is refused: this server has no record of the last checkpoint it signed "
                "for this log (its witness), so a restored old database cannot be ruled out; an "
                "operator must check the database and run `ikrar log accept-database --yes`"
            )
        )
    if witnessed is not None:
        witnessed_size, witnessed_root = witnessed
        if size < witnessed_size:
            raise CheckpointConflict(
                f"refusing to sign: this server already signed a checkpoint for {witnessed_size} "
                f"entries and the database now has {size} (rewound?)"
            )
        known = (
            start[1]
            if witnessed_size == start[0]
            else root
            if witnessed_size == size
            else root_at(witnessed_size)
        )
        if known != witnessed_root:
            raise CheckpointConflict(
                "refusing to sign: the database's history differs from the checkpoint "
                "this server signed before (forked?)"
            )
        stored_size, stored_note = stored
        if witnessed_size < start[0] and stored_size == start[0] and stored_note:
            _catch_up(path, name, stored_note, start[0])
    return sign_checkpoint(Checkpoint(sealer.origin, size, root), signer)


def latest() -> tuple[int, str]:
    head = db.session.execute(
        select(LogHead.checkpoint_size, LogHead.checkpoint).where(LogHead.id == 1)
    ).one()
    return int(head[0]), str(head[1])


# --- the witness file (registry/services/witness.py) -------------------------------------------
#
# The order of a write, so that an acknowledged answer is never an error and a failure is never
# a half-commit:
#   1. inside the transaction, before anything is signed: if the witness is behind the stored
#      checkpoint (the previous write's witness update failed, a crash came between commit and
#      witness, or another server on the same database signed), write the stored checkpoint to
#      the witness first. If that fails, nothing is committed and the write is refused with 503.
#   2. sign the new checkpoint and commit it together with the change.
#   3. after the commit, record the new checkpoint in the witness. The change is durable and is
#      answered with its result whatever happens here; a failure is logged as critical, and step 1
#      of the next write retries it (or refuses that write until the file is writable again).
# The witness is never ahead of the database: a commit that fails leaves it where it was.


def witness_path() -> Path:
    return Path(current_app.config["IKRAR_WITNESS_FILE"])


def _catch_up(path: Path, name: str, note: str, size: int) -> None:
    """Step 1 above: bring the witness up to the stored checkpoint, or refuse this write."""
    try:
        witness.record(path, name, note, size)
    except (OSError, ValueError, IkrarError) as exc:
        logger.critical(
            "cannot update the witness file %s (%s): signing refused until it is writable", path, exc
        )
        raise WitnessUnwritable(
            N_(
                "signing is paused: the server cannot write its witness file (disk full or "
                "read-only?); try again later"
            )
        ) from exc


def witness_after_commit(sealer: Sealer, signer: NoteSigner, note: str, size: int) -> Callable[[], None]:
    """Step 3 above: the callback that records ``note`` once its transaction has committed."""
    path, name = sealer.witness_file, witness.entry_name(signer.verifier())

    def record() -> None:
        try:
            witness.record(path, name, note, size)
        except Exception as exc:  # whatever it is, the commit stands and is answered as such
            # The signing is committed and will be answered as such; the next write retries
            # this update first and is refused (503) while the file stays unwritable.
            logger.critical(
                "committed checkpoint %d but could not record it in the witness file %s (%s); "
                "the next write is refused until the file is writable",
                size,
                path,
                exc,
            )

    return record


def accept_database() -> int:
    """Make this log's witness entry the database's latest checkpoint; return its size."""
    db.session.rollback()
    size, note = latest()
    name = witness.entry_name(log_verifier())
    if note:
        witness.record(witness_path(), name, note, size, replace=True)
    else:
        witness.forget(witness_path(), name)
    return size


def witness_problem() -> str | None:
    """Why the database must not be served, judged against the witness file; None if all agree."""
    path = witness_path()
    try:
        name = witness.entry_name(log_verifier())
        note = witness.read(path, name)
    except (OSError, ValueError, NoteError) as exc:
        return f"the witness file {path} cannot be read ({exc})"
    # Read the database only now, in a fresh snapshot: one taken before the file was read could
    # predate a signing the file already covers.
    db.session.rollback()
    if note is None:
        size = log_size()
        if size == 0:
            return None
        return (
            f"the database holds {size} log entries but the witness file {path} has no checkpoint "
            f"of this log ({name}): it was deleted, or this is another log's database, or the log "
            "key or origin changed, so a restored old backup cannot be ruled out; check the "
            "database and run `ikrar log accept-database --yes`"
        )
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
