"""The one read path for signatures: a record is shown only after its seal and bindings are re-checked.

A signature whose personal data were erased (services/erasure.py) is ``erased``: its bytes are
gone, so its seal cannot be re-checked; instead the erasure row must agree with the log's
``signature:erase`` entry and both with the hash its ``signature:create`` entry committed to.

Every surface that displays a signature (verify page and JSON, signature API, public list, roll,
progress page, certificate PDFs and their ZIP) reads it through :func:`check` or
:func:`check_many`. The fields they show come from the signed bytes, never from the unsigned
convenience columns; a row whose bytes, seal, strokes, commitment version or withdrawal state no
longer agree with the log is reported as ``invalid`` (an integrity error), never as valid.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from registry.core.canonical import parse_canonical, parse_instant, sha256_hex
from registry.core.errors import N_, FormatError, IkrarError
from registry.core.keys import KeyRing
from registry.core.records import verify_record
from registry.extensions import db
from registry.models import Erasure, LogEntry, LogHead, SignatureRecord, Withdrawal
from registry.services import keyring, log_index
from registry.services.bound_versions import check_version, closed_at_index
from registry.services.erased import _NOT_YET, erasure_problem
from registry.services.errors import Erased, IntegrityFailure

logger = logging.getLogger("registry.integrity")


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
    status: str  # valid | withdrawn | erased | invalid
    record: dict[str, Any] | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.record is not None

    @property
    def erased(self) -> bool:
        return self.status == "erased"

    @property
    def erasure(self) -> Erasure | None:
        return self.row.erasure if self.erased else None

    def signed(self) -> dict[str, Any]:
        if self.erased:
            raise Erased(
                N_("the personal data of signature %(id)s were erased; the log keeps that it was made"),
                id=self.row.id,
            )
        if self.record is None:
            raise IntegrityFailure(
                N_("integrity error: signature %(id)s no longer verifies (%(problem)s)"),
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
        if self.status == "withdrawn" or (self.erased and self.row.withdrawal is not None):
            return self.row.withdrawal
        return None


def _named_record(entry: dict[str, Any]) -> str:
    return str(entry["payload"]["record_id"])


def _record_events() -> dict[Any, list[log_index.Entry]]:
    """Record id → its withdrawal and erasure entries in log order, as the log says: one index and
    one forward read per request for both (services/log_index.py)."""
    return log_index.index_for(
        "record-events", ("signature:withdraw", "signature:erase"), _named_record
    ).refresh()


def _of_kind(entries: list[log_index.Entry] | None, kind: str) -> list[log_index.Entry]:
    return [e for e in entries or () if e[1] == kind]


def _logged(entries: list[log_index.Entry] | None) -> LoggedWithdrawal | None:
    if not entries:
        return None
    position, _kind, entry = entries[0]
    payload = entry["payload"]
    return LoggedWithdrawal(
        position, str(payload.get("record_sha256")), str(payload.get("reason_sha256")), str(entry["time"])
    )


def logged_withdrawals() -> dict[str, LoggedWithdrawal]:
    """Record id → its withdrawal entry, as the log says (for exports and reports)."""
    found: dict[str, LoggedWithdrawal] = {}
    for record_id, entries in _record_events().items():
        logged = _logged(_of_kind(entries, "signature:withdraw"))
        if logged is not None:
            found[str(record_id)] = logged
    return found


def _creation_entries(indexes: list[int]) -> dict[int, bytes]:
    """The log entries at ``indexes`` (each record's signature:create), by index."""
    found: dict[int, bytes] = {}
    for start in range(0, len(indexes), 500):
        chunk = indexes[start : start + 500]
        for index, body in db.session.execute(
            select(LogEntry.index, LogEntry.body).where(LogEntry.index.in_(chunk))
        ).all():
            found[int(index)] = bytes(body)
    return found


def _creation_problem(row: SignatureRecord, body: bytes, entry_bytes: bytes | None) -> str | None:
    """The row's log_index must be its own signature:create entry, committing to its bytes."""
    if entry_bytes is None:
        return f"there is no log entry at its log index {row.log_index}"
    try:
        entry = parse_canonical(entry_bytes)
        payload = entry["payload"]
        same = (
            entry["type"] == "signature:create"
            and payload["record_id"] == row.id
            and payload["record_sha256"] == sha256_hex(body)
        )
    except (FormatError, KeyError, TypeError):
        same = False
    return None if same else f"log entry {row.log_index} is not this record's signature:create"


def _withdrawal_now(row: SignatureRecord, logged: LoggedWithdrawal) -> tuple[Withdrawal | None, bool]:
    """(the stored withdrawal re-read, whether the log entry is within this request's view).

    The index is shared by all requests and may hold an entry committed after this request read
    the row (read committed on PostgreSQL, an older WAL snapshot on SQLite): re-read both before
    calling a missing withdrawal an integrity error.
    """
    fresh = db.session.execute(
        select(Withdrawal).where(Withdrawal.record_id == row.id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    size = db.session.execute(select(LogHead.size).where(LogHead.id == 1)).scalar_one_or_none() or 0
    return fresh, logged.index < size


def _problem(
    row: SignatureRecord,
    ring: KeyRing,
    logged: LoggedWithdrawal | None,
    entry_bytes: bytes | None,
    versions: dict[int, str | None],
) -> tuple[str | None, Any, LoggedWithdrawal | None]:
    """(None, record, withdrawal entry) when everything agrees, else (what failed, None, None)."""
    body = bytes(row.body)
    failed = _checks(row, ring, body, entry_bytes, versions)
    if isinstance(failed, str):
        return failed, None, None
    record = failed
    withdrawal = row.withdrawal
    if logged is not None and withdrawal is None:
        withdrawal, visible = _withdrawal_now(row, logged)
        if not visible:
            logged = None  # withdrawn after this request's view of the log: not yet, for it
    if logged is None and withdrawal is not None:
        return "a withdrawal is stored that the log does not hold", None, None
    if logged is not None:
        if withdrawal is None:
            return f"the log withdraws it at index {logged.index} but the withdrawal is missing", None, None
        if (
            withdrawal.log_index != logged.index
            or logged.record_sha256 != sha256_hex(body)
            or logged.reason_sha256 != sha256_hex(withdrawal.reason.encode("utf-8"))
            or withdrawal.withdrawn_at != parse_instant(logged.time)
        ):
            return f"the stored withdrawal differs from log entry {logged.index}", None, None
    return None, record, logged


def _checks(
    row: SignatureRecord,
    ring: KeyRing,
    body: bytes,
    entry_bytes: bytes | None,
    versions: dict[int, str | None],
) -> str | dict[str, Any]:
    """The signed record if seal, columns, strokes, log entry and version agree; else what failed.

    ``versions``: each commitment version's check (None: it agrees with the log), made once per
    call of check/check_many, however many of its signatures are judged (a public list of 1,000)."""
    try:
        signed, _key = verify_record(body, row.signature, ring)
    except IkrarError as exc:
        return f"the seal does not verify: {exc}"
    record: dict[str, Any] = signed.record
    if (record["id"], record["code"], record["kid"]) != (row.id, row.code, row.kid):
        return "the stored id, code or key id differ from the signed record"
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
        return "the stored signatory, consent or time columns differ from the signed record"
    if sha256_hex(bytes(row.strokes)) != record["handwriting"]["strokes_sha256"]:
        return "the stored handwriting does not hash to the signed strokes_sha256"
    # The log index is shown, printed and used for the receipt: it must be the record's own entry.
    created = _creation_problem(row, body, entry_bytes)
    if created is not None:
        return created
    version = row.commitment_version
    if version.id not in versions:
        try:
            check_version(version)
            versions[version.id] = None
        except IntegrityFailure as exc:
            versions[version.id] = str(exc)
    version_problem = versions[version.id]
    if version_problem is not None:
        return version_problem
    if version.status == "draft":
        return "it is stored under a draft version, which nothing can be signed under"
    closing = closed_at_index(version.commitment.slug, version.version, row.log_index)
    if closing is not None:
        return "it was signed while its commitment version was not open" + (
            f" (closed by log entry {closing})" if closing >= 0 else ""
        )
    bound = record["commitment"]
    if (bound["id"], bound["version"], bound["text_sha256"]) != (
        version.commitment.slug,
        version.version,
        version.text_sha256,
    ) or record["consent"]["text_sha256"] != version.consent_sha256:
        return "the record is stored under another commitment version than the one it seals"
    return record


def _judge(
    row: SignatureRecord,
    ring: KeyRing,
    events: dict[Any, list[log_index.Entry]],
    entry_bytes: bytes | None,
    versions: dict[int, str | None],
) -> Sealed:
    withdrawals = _of_kind(events.get(row.id), "signature:withdraw")
    logged_erasure = _of_kind(events.get(row.id), "signature:erase")
    if logged_erasure or row.erasure is not None:
        erased_problem = erasure_problem(row, logged_erasure, withdrawals, entry_bytes)
        if erased_problem is None:
            return Sealed(row, "erased", None)
        if erased_problem != _NOT_YET:
            logger.error(
                "integrity error: signature %s (log index %s): %s", row.id, row.log_index, erased_problem
            )
            return Sealed(row, "invalid", None, erased_problem)
    problem, record, logged = _problem(row, ring, _logged(withdrawals), entry_bytes, versions)
    if problem is not None:
        logger.error("integrity error: signature %s (log index %s): %s", row.id, row.log_index, problem)
        return Sealed(row, "invalid", None, problem)
    return Sealed(row, "withdrawn" if logged is not None else "valid", record)


def check(row: SignatureRecord) -> Sealed:
    """Re-check one stored signature (recent key ring: the public verify path is hot)."""
    entries = _creation_entries([row.log_index])
    ring = keyring.recent_keyring(row.kid)
    return _judge(row, ring, _record_events(), entries.get(row.log_index), {})


def check_many(rows: Iterable[SignatureRecord]) -> list[Sealed]:
    """Re-check many stored signatures with one key ring, one read of the withdrawal and erasure
    entries and of the signature:create entries (in chunks)."""
    rows = list(rows)
    ring = keyring.keyring()
    events = _record_events()
    entries = _creation_entries([row.log_index for row in rows])
    versions: dict[int, str | None] = {}
    return [_judge(row, ring, events, entries.get(row.log_index), versions) for row in rows]


def require(row: SignatureRecord) -> Sealed:
    """The re-checked signature, or IntegrityFailure (for surfaces that cannot show 'invalid')."""
    sealed = check(row)
    sealed.signed()
    return sealed
