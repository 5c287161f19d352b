"""The re-check of an erased signature: what is left must agree with the log.

After an erasure (services/erasure.py) the record's bytes, handwriting and name columns are
empty, so its seal cannot be re-checked. What can be, and is:

- the ``erasure`` row and the log's ``signature:erase`` entry exist together, name the same
  record, the same ground, time and log index, and carry the hash the record's own
  ``signature:create`` entry committed to;
- nothing personal is left in the row (an erasure that left data behind is not an erasure);
- a withdrawal made before the erasure still agrees with its ``signature:withdraw`` entry (its
  reason text was erased with the rest, so only its hash in the log remains).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select

from registry.core.canonical import parse_canonical, parse_instant
from registry.core.errors import FormatError
from registry.extensions import db
from registry.models import Erasure, LogHead, SignatureRecord
from registry.services import log_index

# The log's erasure entry was appended after this request's view of the row: not yet erased, for it.
_NOT_YET: Final = "not yet"


def _erasure_now(row: SignatureRecord, index: int) -> tuple[Erasure | None, bool]:
    """(the stored erasure re-read, whether the log entry at ``index`` is within this request's view)."""
    fresh = db.session.execute(
        select(Erasure).where(Erasure.record_id == row.id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    size = db.session.execute(select(LogHead.size).where(LogHead.id == 1)).scalar_one_or_none() or 0
    return fresh, index < size


def _created_sha256(row: SignatureRecord, entry_bytes: bytes | None) -> str | None:
    if entry_bytes is None:
        return None
    try:
        entry = parse_canonical(entry_bytes)
        payload = entry["payload"]
        if entry["type"] != "signature:create" or payload["record_id"] != row.id:
            return None
        return str(payload["record_sha256"])
    except (FormatError, KeyError, TypeError):
        return None


def _personal_left(row: SignatureRecord) -> bool:
    return bool(
        bytes(row.body) or bytes(row.strokes) or row.name or row.position or row.institution or row.category
    )


def erasure_problem(
    row: SignatureRecord,
    logged: list[log_index.Entry] | None,
    withdrawals: list[log_index.Entry] | None,
    entry_bytes: bytes | None,
) -> str | None:
    """None when the erased row agrees with the log; ``_NOT_YET``; else what failed."""
    erasure = row.erasure
    if logged and erasure is None:
        erasure, visible = _erasure_now(row, logged[0][0])
        if not visible:
            return _NOT_YET
    if not logged:
        return "an erasure is stored that the log does not hold"
    if erasure is None:
        return f"the log erases it at index {logged[0][0]} but the erasure is missing"
    if len(logged) > 1:
        return f"the log erases it twice (indexes {logged[0][0]} and {logged[1][0]})"
    index, _kind, entry = logged[0]
    payload: dict[str, Any] = entry.get("payload") or {}
    created = _created_sha256(row, entry_bytes)
    if created is None:
        return f"log entry {row.log_index} is not this record's signature:create"
    if (
        erasure.log_index != index
        or payload.get("record_sha256") != erasure.record_sha256
        or payload.get("ground") != erasure.ground
        or erasure.erased_at != parse_instant(str(entry.get("time")))
    ):
        return f"the stored erasure differs from log entry {index}"
    if erasure.record_sha256 != created:
        return "the erasure names another record than its signature:create entry committed to"
    if _personal_left(row):
        return "personal data are still stored after the erasure"
    return _withdrawal_problem(row, erasure.record_sha256, withdrawals)


def _withdrawal_problem(
    row: SignatureRecord, record_sha256: str, withdrawals: list[log_index.Entry] | None
) -> str | None:
    withdrawal = row.withdrawal
    if not withdrawals:
        return None if withdrawal is None else "a withdrawal is stored that the log does not hold"
    index, _kind, entry = withdrawals[0]
    if withdrawal is None:
        return f"the log withdraws it at index {index} but the withdrawal is missing"
    if (
        withdrawal.log_index != index
        or (entry.get("payload") or {}).get("record_sha256") != record_sha256
        or withdrawal.withdrawn_at != parse_instant(str(entry.get("time")))
    ):
        return f"the stored withdrawal differs from log entry {index}"
    return None
