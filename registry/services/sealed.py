"""The one read path for signatures: a record is shown only after its seal and bindings are re-checked.

Every surface that displays a signature (verify page and JSON, signature API, public list, roll,
progress page, certificate PDFs and their ZIP) reads it through :func:`check` or
:func:`check_many`. The fields they show come from the signed bytes, never from the unsigned
convenience columns; a row whose bytes, seal, strokes, commitment version or withdrawal state no
longer agree with the log is reported as ``invalid`` (an integrity error), never as valid.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from registry.core.canonical import parse_canonical, parse_instant, sha256_hex
from registry.core.errors import FormatError, IkrarError
from registry.core.keys import KeyRing
from registry.core.records import verify_record
from registry.extensions import db
from registry.models import LogEntry, SignatureRecord, Withdrawal
from registry.services import keyring
from registry.services.bound_versions import check_version
from registry.services.errors import IntegrityFailure

logger = logging.getLogger("registry.integrity")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class LoggedWithdrawal:
    index: int
    record_sha256: str
    reason_sha256: str
    time: str


@dataclass(frozen=True)
class Sealed:
    """A stored signature after its re-check: ``record`` is the signed object, None when invalid."""

    row: SignatureRecord
    status: str  # valid | withdrawn | invalid
    record: dict[str, Any] | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.record is not None

    def signed(self) -> dict[str, Any]:
        if self.record is None:
            raise IntegrityFailure(
                "integrity error: signature %(id)s no longer verifies (%(problem)s)",
                id=self.row.id,
                problem=self.problem or "",
            )
        return self.record

    @property
    def signatory(self) -> dict[str, str]:
        return dict(self.signed()["signatory"])

    @property
    def public_display(self) -> bool:
        return bool(self.signed()["consent"]["public_display"])

    @property
    def withdrawal(self) -> Withdrawal | None:
        return self.row.withdrawal if self.status == "withdrawn" else None


class _WithdrawalIndex:
    """The log's signature:withdraw entries by record id, read incrementally (entries only append)."""

    def __init__(self) -> None:
        self.scanned = 0
        self.by_record: dict[str, LoggedWithdrawal] = {}

    def refresh(self) -> dict[str, LoggedWithdrawal]:
        rows = db.session.execute(
            select(LogEntry.index, LogEntry.body)
            .where(LogEntry.type == "signature:withdraw", LogEntry.index >= self.scanned)
            .order_by(LogEntry.index)
        ).all()
        with _LOCK:
            for index, body in rows:
                try:
                    entry = parse_canonical(bytes(body))
                    payload = entry["payload"]
                    found = LoggedWithdrawal(
                        int(index),
                        str(payload["record_sha256"]),
                        str(payload["reason_sha256"]),
                        entry["time"],
                    )
                    self.by_record.setdefault(str(payload["record_id"]), found)
                except (FormatError, KeyError, TypeError):
                    continue  # a damaged entry is `ikrar log verify`'s to report
                self.scanned = max(self.scanned, int(index) + 1)
            return dict(self.by_record)


def logged_withdrawals() -> dict[str, LoggedWithdrawal]:
    """Record id → its withdrawal entry, as the log says (cached per application, read forward)."""
    index: _WithdrawalIndex = current_app.extensions.setdefault("ikrar.withdrawal_index", _WithdrawalIndex())
    return index.refresh()


def _problem(row: SignatureRecord, ring: KeyRing, logged: LoggedWithdrawal | None) -> tuple[str | None, Any]:
    """(None, record) when everything agrees, else (what failed, None)."""
    body = bytes(row.body)
    try:
        signed, _key = verify_record(body, row.signature, ring)
    except IkrarError as exc:
        return f"the seal does not verify: {exc}", None
    record = signed.record
    if (record["id"], record["code"], record["kid"]) != (row.id, row.code, row.kid):
        return "the stored id, code or key id differ from the signed record", None
    signer = record["signatory"]
    # Surfaces show the signed values, but a convenience column that disagrees with them is
    # itself evidence of tampering (other lookups, e.g. duplicate checks, read the columns).
    if (row.name, row.position, row.institution, row.category, row.public_display) != (
        signer["name"],
        signer["position"],
        signer["institution"],
        signer["category"],
        record["consent"]["public_display"],
    ) or row.signed_at != parse_instant(record["signed_at"]):
        return "the stored signatory, consent or time columns differ from the signed record", None
    if sha256_hex(bytes(row.strokes)) != record["handwriting"]["strokes_sha256"]:
        return "the stored handwriting does not hash to the signed strokes_sha256", None
    version = row.commitment_version
    try:
        check_version(version)
    except IntegrityFailure as exc:
        return str(exc), None
    bound = record["commitment"]
    if (bound["id"], bound["version"], bound["text_sha256"]) != (
        version.commitment.slug,
        version.version,
        version.text_sha256,
    ) or record["consent"]["text_sha256"] != version.consent_sha256:
        return "the record is stored under another commitment version than the one it seals", None
    withdrawal = row.withdrawal
    if logged is None and withdrawal is not None:
        return "a withdrawal is stored that the log does not hold", None
    if logged is not None:
        if withdrawal is None:
            return f"the log withdraws it at index {logged.index} but the withdrawal is missing", None
        if (
            withdrawal.log_index != logged.index
            or logged.record_sha256 != sha256_hex(body)
            or logged.reason_sha256 != sha256_hex(withdrawal.reason.encode("utf-8"))
            or withdrawal.withdrawn_at != parse_instant(logged.time)
        ):
            return f"the stored withdrawal differs from log entry {logged.index}", None
    return None, record


def _judge(row: SignatureRecord, ring: KeyRing, withdrawals: dict[str, LoggedWithdrawal]) -> Sealed:
    logged = withdrawals.get(row.id)
    problem, record = _problem(row, ring, logged)
    if problem is not None:
        logger.error("integrity error: signature %s (log index %s): %s", row.id, row.log_index, problem)
        return Sealed(row, "invalid", None, problem)
    return Sealed(row, "withdrawn" if logged is not None else "valid", record)


def check(row: SignatureRecord) -> Sealed:
    """Re-check one stored signature (recent key ring: the public verify path is hot)."""
    return _judge(row, keyring.recent_keyring(row.kid), logged_withdrawals())


def check_many(rows: Iterable[SignatureRecord]) -> list[Sealed]:
    """Re-check many stored signatures with one key ring and one read of the withdrawals."""
    ring = keyring.keyring()
    withdrawals = logged_withdrawals()
    return [_judge(row, ring, withdrawals) for row in rows]


def require(row: SignatureRecord) -> Sealed:
    """The re-checked signature, or IntegrityFailure (for surfaces that cannot show 'invalid')."""
    sealed = check(row)
    sealed.signed()
    return sealed
