"""Re-checks everything stored: every entry hash and link, every record seal, and that they agree."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field

from sqlalchemy import select

from registry.core import merkle
from registry.core.canonical import parse_canonical, parse_instant, sha256_hex
from registry.core.chain import ChainError, ChainVerifier
from registry.core.errors import IkrarError
from registry.core.keys import KeyRing
from registry.core.records import verify_record
from registry.core.version_entries import COMMITMENT_TYPES
from registry.extensions import db
from registry.models import Erasure, LogEntry, LogHead, MerkleNode, SignatureRecord, Withdrawal
from registry.services.keyring import keyring
from registry.services.version_integrity import BoundVersion, VersionEntries, check_versions

BATCH = 2000


@dataclass
class IntegrityReport:
    entries: int = 0
    records: int = 0
    types: Counter[str] = field(default_factory=Counter)
    head: str = ""
    root: bytes = b""
    withdrawn: int = 0
    frontier: merkle.Frontier = field(default_factory=merkle.Frontier.empty)
    withdrawals: dict[str, tuple[int, dict[str, object]]] = field(default_factory=dict)
    # record id → (index, payload) of its signature:erase entry
    erasures: dict[str, tuple[int, dict[str, object]]] = field(default_factory=dict)
    erased: int = 0
    versions: VersionEntries = field(default_factory=VersionEntries)
    published: int = 0


class IntegrityError_(ChainError):
    """Stored data disagree at log index ``index``."""


def _fail(index: int, reason: str) -> IntegrityError_:
    return IntegrityError_(index, reason)


def _check_entries(
    rows: Iterable[LogEntry],
    leaves: Iterator[tuple[int, bytes]],
    chain: ChainVerifier,
    report: IntegrityReport,
    record_entries: dict[str, tuple[int, str]],
) -> None:
    for row in rows:
        position = chain.size
        try:
            entry = chain.add(bytes(row.body))
        except ChainError as exc:
            if exc.kind == "link":
                # The previous entry matched its stored hash and its stored Merkle leaf, so it is
                # this entry's prev that was altered.
                raise _fail(position, "prev does not equal the hash of the previous entry") from exc
            raise _fail(exc.index, exc.reason) from exc
        if row.index != position:
            raise _fail(
                position,
                f"stored index {row.index} where {position} was expected (gap, deletion or reordering)",
            )
        if (row.hash, row.prev, row.type) != (
            entry.hash,
            entry.prev,
            entry.type,
        ) or row.time != parse_instant(entry.time):
            raise _fail(position, "stored hash, prev or type columns disagree with the entry bytes")
        leaf = merkle.leaf_hash(entry.canonical)
        if next(leaves, None) != (position, leaf):
            raise _fail(position, "the entry bytes do not match the Merkle leaf stored when it was appended")
        report.frontier, _ = report.frontier.append(leaf)
        report.types[entry.type] += 1
        if entry.type == "signature:create":
            rid = entry.payload.get("record_id")
            digest = entry.payload.get("record_sha256")
            if not isinstance(rid, str) or not isinstance(digest, str) or rid in record_entries:
                raise _fail(position, "signature entry without a unique record_id and record_sha256")
            record_entries[rid] = (position, digest)
            report.versions.signed(position, entry.payload, _fail)
        elif entry.type == "signature:withdraw":
            rid = entry.payload.get("record_id")
            if not isinstance(rid, str) or rid in report.withdrawals:
                raise _fail(position, "withdrawal entry without a unique record_id")
            report.withdrawals[rid] = (position, entry.payload)
        elif entry.type == "signature:erase":
            _erase_entry(position, entry.payload, report, record_entries)
        elif entry.type in COMMITMENT_TYPES:
            report.versions.add(position, entry.type, entry.payload, _fail)
        db.session.expunge(row)


def _erase_entry(
    position: int,
    payload: dict[str, object],
    report: IntegrityReport,
    record_entries: dict[str, tuple[int, str]],
) -> None:
    """An erasure names an earlier signature by the hash its signature:create committed to, once."""
    rid = payload.get("record_id")
    if not isinstance(rid, str) or rid in report.erasures:
        raise _fail(position, "erasure entry without a unique record_id")
    created = record_entries.get(rid)
    if created is None or created[1] != payload.get("record_sha256"):
        raise _fail(position, f"erasure of {rid} names no earlier signature with this record_sha256")
    if payload.get("ground") not in ("request", "retention"):
        raise _fail(position, f"erasure of {rid} has no valid ground")
    report.erasures[rid] = (position, payload)


def _check_erased(rec: SignatureRecord, index: int, digest: str, report: IntegrityReport) -> None:
    """An erased record: nothing personal left, and its erasure agrees with the log's entry."""
    erasure = rec.erasure
    assert erasure is not None
    logged = report.erasures.get(rec.id)
    if logged is None:
        raise _fail(erasure.log_index, f"erasure of {rec.id} has no log entry")
    at, payload = logged
    if (
        erasure.log_index != at
        or erasure.record_sha256 != digest
        or payload.get("record_sha256") != digest
        or payload.get("ground") != erasure.ground
        or erasure.erased_at != parse_instant(str(_entry_time(at)))
    ):
        raise _fail(at, f"erasure of {rec.id} disagrees with its log entry")
    if bytes(rec.body) or bytes(rec.strokes) or rec.name or rec.position or rec.institution or rec.category:
        raise _fail(at, f"record {rec.id}: personal data are still stored after its erasure")
    if rec.log_index != index:
        raise _fail(index, f"record {rec.id} claims log index {rec.log_index}")
    report.erased += 1


def _check_records(
    rows: Iterable[SignatureRecord],
    ring: KeyRing,
    report: IntegrityReport,
    record_entries: dict[str, tuple[int, str]],
    versions: dict[int, BoundVersion],
) -> None:
    for rec in rows:
        where = record_entries.pop(rec.id, None)
        if where is None:
            raise _fail(rec.log_index, f"record {rec.id} has no signature entry in the log")
        index, digest = where
        if rec.erasure is not None or rec.id in report.erasures:
            if rec.erasure is None:
                raise _fail(report.erasures[rec.id][0], f"the log erases {rec.id} but no erasure is stored")
            _check_erased(rec, index, digest, report)
            report.records += 1
            db.session.expunge(rec)
            continue
        body = bytes(rec.body)
        if rec.log_index != index:
            raise _fail(index, f"record {rec.id} claims log index {rec.log_index}")
        if sha256_hex(body) != digest:
            raise _fail(index, f"record {rec.id} bytes do not hash to what the log committed to")
        try:
            signed, _ = verify_record(body, rec.signature, ring)
        except IkrarError as exc:
            raise _fail(index, f"record {rec.id}: {exc}") from exc
        r = signed.record
        s = r["signatory"]
        if (
            (r["id"], r["code"], r["kid"]) != (rec.id, rec.code, rec.kid)
            or (s["name"], s["position"], s["institution"], s["category"])
            != (rec.name, rec.position, rec.institution, rec.category)
            or (r["consent"]["public_display"] != rec.public_display)
            or parse_instant(r["signed_at"]) != rec.signed_at
            or (None if r["claimed_at"] is None else parse_instant(r["claimed_at"])) != rec.claimed_at
        ):
            raise _fail(index, f"record {rec.id}: stored columns disagree with the signed bytes")
        if sha256_hex(bytes(rec.strokes)) != r["handwriting"]["strokes_sha256"]:
            raise _fail(index, f"record {rec.id}: stored strokes do not match the signed hash")
        version = versions.get(rec.commitment_version_id)
        if version is None or (
            r["commitment"]["id"],
            r["commitment"]["version"],
            r["commitment"]["text_sha256"],
            r["consent"]["text_sha256"],
        ) != (version.commitment, version.version, version.text_sha256, version.consent_sha256):
            raise _fail(
                index,
                f"record {rec.id}: it seals another commitment version than the one it is stored under",
            )
        report.records += 1
        db.session.expunge(rec)


def verify_database() -> IntegrityReport:
    """Stream the whole log and every record; raise IntegrityError_ naming the first bad index."""
    ring = keyring()
    report = IntegrityReport()
    chain = ChainVerifier()
    record_entries: dict[str, tuple[int, str]] = {}
    with (
        closing(
            db.session.execute(select(LogEntry).order_by(LogEntry.index).execution_options(yield_per=BATCH))
        ) as result,
        closing(
            db.session.execute(
                select(MerkleNode.index, MerkleNode.hash)
                .where(MerkleNode.level == 0)
                .order_by(MerkleNode.index)
                .execution_options(yield_per=BATCH)
            )
        ) as nodes,
    ):
        leaves = ((int(i), bytes(h)) for i, h in nodes)
        _check_entries(result.scalars(), leaves, chain, report, record_entries)
    report.entries = chain.size
    report.head = chain.head
    report.root = report.frontier.root()

    head = db.session.get(LogHead, 1)
    if head is None or head.size != chain.size or head.head_hash != chain.head:
        raise _fail(chain.size, "the log head row does not match the last entry (entries removed or added)")
    if merkle.Frontier.from_bytes(head.size, head.frontier).root() != report.root:
        raise _fail(chain.size, "the stored Merkle frontier does not match the entries")
    versions = check_versions(report.versions, chain.size, _fail)
    report.published = len(versions)

    with closing(
        db.session.execute(
            select(SignatureRecord).order_by(SignatureRecord.log_index).execution_options(yield_per=BATCH)
        )
    ) as result:
        _check_records(result.scalars(), ring, report, record_entries, versions)
    if record_entries:
        rid, (index, _) = min(record_entries.items(), key=lambda item: item[1][0])
        raise _fail(index, f"the log names record {rid} but no such record is stored (deleted?)")
    _check_withdrawals(report)
    stored = db.session.execute(select(Erasure.record_id, Erasure.log_index)).all()
    for rid, at in stored:
        if rid not in report.erasures:
            raise _fail(int(at), f"erasure of {rid} has no log entry")
    if len(stored) != len(report.erasures):
        rid, (index, _) = min(
            ((r, v) for r, v in report.erasures.items() if r not in {s[0] for s in stored}),
            key=lambda item: item[1][0],
        )
        raise _fail(index, f"the log erases {rid} but no erasure is stored (deleted?)")
    return report


def _check_withdrawals(report: IntegrityReport) -> None:
    """Every withdrawal row matches its log entry, and every withdrawal entry has its row."""
    expected = dict(report.withdrawals)
    for row in db.session.execute(select(Withdrawal)).scalars():
        found = expected.pop(row.record_id, None)
        if found is None:
            raise _fail(row.log_index, f"withdrawal of {row.record_id} has no log entry")
        index, payload = found
        record = db.session.get(SignatureRecord, row.record_id)
        erased = report.erasures.get(row.record_id)
        if erased is not None:
            # Its bytes and reason text were erased: the log's hashes are compared with the erasure's.
            digest, reason_ok = erased[1].get("record_sha256"), True
        else:
            digest = None if record is None else sha256_hex(bytes(record.body))
            reason_ok = payload.get("reason_sha256") == sha256_hex(row.reason.encode("utf-8"))
        if (
            row.log_index != index
            or record is None
            or payload.get("record_sha256") != digest
            or not reason_ok
            or row.withdrawn_at != parse_instant(str(_entry_time(index)))
        ):
            raise _fail(index, f"withdrawal of {row.record_id} disagrees with its log entry")
    if expected:
        rid, (index, _) = min(expected.items(), key=lambda item: item[1][0])
        raise _fail(index, f"the log withdraws {rid} but no withdrawal is stored (deleted?)")
    report.withdrawn = len(report.withdrawals)


def _entry_time(index: int) -> str:
    body = db.session.execute(select(LogEntry.body).where(LogEntry.index == index)).scalar_one()
    return str(parse_canonical(bytes(body))["time"])
