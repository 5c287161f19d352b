"""Erasing a signatory's personal data without breaking the log (UU 27/2022 Pasal 8, 16, 43).

The log commits only to hashes, so erasing the data it hashed leaves every entry, checkpoint,
proof and receipt verifiable. For each signature erased, one transaction:

- appends a ``signature:erase`` entry naming the record, the ``record_sha256`` its
  ``signature:create`` entry committed to, and the ground (``request``: the data subject asked;
  ``retention``: the commitment's retention period ended);
- empties the record's signed bytes, handwriting, name columns and request fingerprint, and the
  reason text of a withdrawal (it may name the person); the row keeps its id, code, log index,
  times and seal, which identify nobody without the erased bytes;
- deletes the invitee row it was signed for (the name list is personal data too), with the
  corrections made to it before signing (``invitee_change``).

On SQLite the connection runs with ``secure_delete`` (registry/db.py), so freed bytes are zeroed,
and the WAL is checkpointed and truncated after the commit, so no old page image keeps the data.
On PostgreSQL dead row versions keep the bytes until VACUUM reclaims them; ``vacuum()`` runs a
plain VACUUM of the tables touched (README, "Privacy": backups are the operator's to expire).

A certificate the signer kept still verifies offline (its PDF embeds the record and seal), and
the registry confirms it: the embedded record hashes to the kept ``record_sha256``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select, text

from registry.core.canonical import parse_canonical
from registry.core.errors import N_, FormatError
from registry.db import utcnow, write_transaction
from registry.extensions import db
from registry.models import (
    ERASURE_GROUNDS,
    Commitment,
    CommitmentVersion,
    Erasure,
    Invitee,
    InviteeChange,
    LogEntry,
    SignatureRecord,
    Withdrawal,
)
from registry.services import checkpoints, log
from registry.services.errors import IntegrityFailure, InvalidInput, NotFound
from registry.services.text import clean_text

ERASED_TABLES = ("signature_record", "invitee", "invitee_change", "withdrawal")


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure did: the signatures erased (record id → log index) and invitee rows deleted."""

    erased: dict[str, int]
    invitees_deleted: int
    already_erased: list[str]


def _created_sha256(record: SignatureRecord) -> str:
    body = db.session.execute(
        select(LogEntry.body).where(LogEntry.index == record.log_index)
    ).scalar_one_or_none()
    try:
        entry: Any = parse_canonical(bytes(body if body is not None else b""))
        payload = entry["payload"]
        if entry["type"] != "signature:create" or payload["record_id"] != record.id:
            raise KeyError("not its entry")
        return str(payload["record_sha256"])
    except (FormatError, KeyError, TypeError) as exc:
        raise IntegrityFailure(
            N_(
                "integrity error: log entry %(index)s is not the signature:create entry of %(id)s; "
                "run `ikrar log verify` before erasing"
            ),
            index=record.log_index,
            id=record.id,
        ) from exc


def _empty(record: SignatureRecord) -> None:
    record.body = b""
    record.strokes = b""
    record.name = record.position = record.institution = record.category = ""
    record.public_display = False
    record.request_sha256 = None


def _delete_invitee(invitee_id: int | None, keep_for: set[str]) -> int:
    """Delete the invitee row unless another signature not being erased still points at it."""
    if invitee_id is None:
        return 0
    others = db.session.execute(
        select(func.count())
        .select_from(SignatureRecord)
        .where(SignatureRecord.invitee_id == invitee_id, SignatureRecord.id.not_in(keep_for))
    ).scalar_one()
    if others:
        return 0
    invitee = db.session.get(Invitee, invitee_id)
    if invitee is None:
        return 0
    # Corrections made before signing hold the old and new names: they go with the invitee.
    db.session.execute(delete(InviteeChange).where(InviteeChange.invitee_id == invitee_id))
    db.session.delete(invitee)
    return 1


def erase(
    record_ids: Sequence[str],
    *,
    ground: str,
    actor: str,
    invitee_ids: Sequence[int] = (),
) -> ErasureReport:
    """Erase the personal data of these signatures (and these unsigned invitees) in one transaction.

    A signature erased before is reported in ``already_erased`` and left as it is; an unknown
    record id is NotFound and nothing is erased.
    """
    if ground not in ERASURE_GROUNDS:
        raise InvalidInput(
            N_("the ground of an erasure is one of %(grounds)s"),
            field="ground",
            grounds=", ".join(ERASURE_GROUNDS),
        )
    actor = clean_text(actor, "actor", max_length=64)
    wanted = list(dict.fromkeys(record_ids))
    if not wanted and not invitee_ids:
        raise InvalidInput(N_("nothing to erase"))

    def work(writer: log.LogWriter) -> ErasureReport:
        records = {
            r.id: r
            for r in db.session.execute(
                select(SignatureRecord)
                .where(SignatureRecord.id.in_(wanted))
                .order_by(SignatureRecord.log_index)
            )
            .unique()
            .scalars()
        }
        missing = [rid for rid in wanted if rid not in records]
        if missing:
            raise NotFound(N_("there is no signature %(id).40r"), id=missing[0])
        erased: dict[str, int] = {}
        already: list[str] = []
        deleted = 0
        erasing = {rid for rid, r in records.items() if r.erasure is None}
        for record in sorted(records.values(), key=lambda r: r.log_index):
            if record.erasure is not None:
                already.append(record.id)
                continue
            # The hash the log committed to when it was signed (not of the stored bytes, which
            # may have been altered since): the erasure names the record the log knows.
            digest = _created_sha256(record)
            moment = writer.now()
            entry = writer.append(
                "signature:erase",
                {"record_id": record.id, "record_sha256": digest, "ground": ground},
                moment,
            )
            db.session.add(
                Erasure(
                    record_id=record.id,
                    record_sha256=digest,
                    ground=ground,
                    actor=actor,
                    erased_at=moment,
                    log_index=entry.index,
                )
            )
            _empty(record)
            withdrawal = db.session.get(Withdrawal, record.id)
            if withdrawal is not None:
                withdrawal.reason = ""
            invitee_id, record.invitee_id = record.invitee_id, None
            db.session.flush()
            deleted += _delete_invitee(invitee_id, erasing)
            erased[record.id] = entry.index
        for invitee_id in invitee_ids:
            deleted += _delete_invitee(invitee_id, erasing)
        db.session.flush()
        return ErasureReport(erased, deleted, already)

    report = log.append_transaction(checkpoints.sealer(), work)
    _compact()
    return report


def _compact() -> None:
    """Leave no old copy of the erased bytes where the database engine would keep one."""
    if db.engine.dialect.name == "sqlite":
        # secure_delete zeroed the freed space in the pages; the WAL still holds the old page
        # images until a checkpoint copies the new ones back and truncates it. Busy readers can
        # delay it: it is retried by the next erasure or `ikrar privacy purge`.
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def vacuum() -> None:
    """On PostgreSQL, reclaim the dead row versions that still hold erased bytes (plain VACUUM)."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ERASED_TABLES:
            connection.execute(text(f"VACUUM {table}"))


def set_retention(slug: str, until: date | None, actor: str) -> Commitment:
    """Keep the signatories' personal data of ``slug`` until ``until`` (inclusive); None: undecided."""
    actor = clean_text(actor, "actor", max_length=64)

    def work() -> Commitment:
        found = db.session.execute(
            select(Commitment).where(Commitment.slug == slug).with_for_update()
        ).scalar_one_or_none()
        if found is None:
            raise NotFound(N_("there is no commitment %(slug)r"), slug=slug)
        if until is not None:
            last_event = db.session.execute(
                select(func.max(CommitmentVersion.event_date)).where(
                    CommitmentVersion.commitment_id == found.id
                )
            ).scalar_one_or_none()
            if last_event is not None and until < last_event:
                raise InvalidInput(
                    N_("the retention period cannot end before the event (%(date)s)"),
                    field="retain_until",
                    date=last_event.isoformat(),
                )
        found.retain_until = until
        return found

    return write_transaction(work)


@dataclass(frozen=True)
class Due:
    """A commitment whose retention period has ended, and what of it is still held."""

    slug: str
    retain_until: date
    record_ids: list[str]
    invitee_ids: list[int]


def due(today: date | None = None) -> list[Due]:
    """Commitments whose retention period ended before ``today``, with what is still to erase."""
    today = today or utcnow().date()
    found: list[Due] = []
    for commitment in db.session.execute(
        select(Commitment).where(Commitment.retain_until.is_not(None), Commitment.retain_until < today)
    ).scalars():
        record_ids = list(
            db.session.execute(
                select(SignatureRecord.id)
                .join(CommitmentVersion)
                .outerjoin(Erasure, Erasure.record_id == SignatureRecord.id)
                .where(CommitmentVersion.commitment_id == commitment.id, Erasure.record_id.is_(None))
                .order_by(SignatureRecord.log_index)
            ).scalars()
        )
        invitee_ids = list(
            db.session.execute(
                select(Invitee.id).where(Invitee.commitment_id == commitment.id).order_by(Invitee.id)
            ).scalars()
        )
        if record_ids or invitee_ids:
            assert commitment.retain_until is not None
            found.append(Due(commitment.slug, commitment.retain_until, record_ids, invitee_ids))
    return found


def purge_due(actor: str, today: date | None = None) -> list[tuple[Due, ErasureReport]]:
    """Erase everything whose retention period has ended (``ikrar privacy purge --due``)."""
    done = []
    for item in due(today):
        done.append(
            (item, erase(item.record_ids, ground="retention", actor=actor, invitee_ids=item.invitee_ids))
        )
    return done
