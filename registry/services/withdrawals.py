"""Withdrawing a signature made in error: an appended log entry; nothing is deleted or changed."""

from __future__ import annotations

from sqlalchemy import select

from registry.core.canonical import sha256_hex
from registry.core.errors import N_
from registry.extensions import db
from registry.models import SignatureRecord, Withdrawal
from registry.services import checkpoints, log
from registry.services.errors import Conflict, InvalidInput, NotFound
from registry.services.text import clean_text

MIN_REASON = 10


def withdraw(record_id: str, reason: str, actor: str) -> Withdrawal:
    """Mark a signature withdrawn with a public reason; its record and seal stay verifiable."""
    reason = clean_text(reason, "reason", max_length=1000, multiline=True, printed=True)
    if len(reason) < MIN_REASON:
        raise InvalidInput(
            N_("explain the withdrawal in at least %(n)d characters"), field="reason", n=MIN_REASON
        )
    actor = clean_text(actor, "actor", max_length=64)

    def work(writer: log.LogWriter) -> Withdrawal:
        record = db.session.get(SignatureRecord, record_id) if len(record_id) == 26 else None
        if record is None:
            raise NotFound(N_("there is no signature %(id).40r"), id=record_id)
        existing = db.session.execute(
            select(Withdrawal).where(Withdrawal.record_id == record_id)
        ).scalar_one_or_none()
        if existing is not None:
            raise Conflict(N_("signature %(id)s was already withdrawn"), id=record_id)
        if record.erasure is not None:
            # Its bytes are gone: a withdrawal entry could not name them, and the reason text
            # would be new personal data about a person whose data were erased.
            raise Conflict(
                N_("the personal data of signature %(id)s were erased: it cannot be withdrawn"), id=record_id
            )
        moment = writer.now()
        entry = writer.append(
            "signature:withdraw",
            {
                "record_id": record_id,
                "record_sha256": sha256_hex(bytes(record.body)),
                "reason_sha256": sha256_hex(reason.encode("utf-8")),
            },
            moment,
        )
        row = Withdrawal(
            record_id=record_id, reason=reason, actor=actor, withdrawn_at=moment, log_index=entry.index
        )
        db.session.add(row)
        return row

    return log.append_transaction(checkpoints.sealer(), work)
