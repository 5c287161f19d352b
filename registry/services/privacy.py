"""A data subject's own data, for access and portability (UU 27/2022 Pasal 7, 13 and 32).

``export_subject`` gathers everything the registry holds about one signatory — each signature
exactly as sealed, its seal, its processing trail in the log, the stored handwriting, the
invitee row — as one JSON-ready mapping. Every signature goes through
:func:`registry.services.sealed.check`, the registry's one verified read path, and carries its
``status``: a row that no longer verifies is exported as ``invalid``, never as valid.

Handing the export over is the controller's act: check the requester's identity first, and
when a name matches more than one person (``ambiguous``) give each person only their own part
(Pasal 33: an export must not expose another person's data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from registry.core import codes, names
from registry.core.canonical import format_instant, parse_canonical, sha256_hex, strict_json_loads
from registry.core.errors import N_, FormatError
from registry.db import utcnow
from registry.extensions import db
from registry.models import Commitment, CommitmentVersion, Invitee, LogEntry, SignatureRecord
from registry.services import sealed
from registry.services.errors import InvalidInput, NotFound

EXPORT_FORMAT = "ikrar-subject-export/1"


def name_key(name: str) -> str:
    """How names are matched: the registry's one rule (core/names.py); "DÉDÉ" in NFD matches "Dédé"."""
    return names.name_key(name)


def _log_entry(index: int | None) -> dict[str, Any] | None:
    """One log entry as the log holds it: its canonical bytes (as text), parsed, and its hash."""
    if index is None:
        return None
    row = db.session.get(LogEntry, index)
    if row is None:
        return None
    body = bytes(row.body)
    try:
        entry: Any = parse_canonical(body)
    except FormatError:
        entry = None  # `ikrar log verify` reports a damaged entry; here it is shown as stored
    return {
        "index": index,
        "entry": entry,
        "entry_jcs": body.decode("utf-8", "replace"),
        "hash": sha256_hex(body),
    }


def _create_entry_problem(row: SignatureRecord, create: dict[str, Any] | None) -> str | None:
    """The log's signature:create entry must commit to exactly these bytes (sealed.check does not look)."""
    entry = None if create is None else create["entry"]
    if not isinstance(entry, dict) or entry.get("type") != "signature:create":
        return f"log entry {row.log_index} is not this record's signature:create entry"
    payload = entry.get("payload") or {}
    if payload.get("record_id") != row.id or payload.get("record_sha256") != sha256_hex(bytes(row.body)):
        return f"log entry {row.log_index} does not commit to this record's bytes"
    return None


def _invitee(invitee: Invitee | None) -> dict[str, Any] | None:
    if invitee is None:
        return None
    return {
        "id": invitee.id,
        "name": invitee.name,
        "position": invitee.position,
        "institution": invitee.institution,
        "category": invitee.category,
        "walk_in": invitee.walk_in,
        "created_at": format_instant(invitee.created_at),
    }


def _unsigned(invitee: Invitee) -> dict[str, Any]:
    slug = db.session.execute(
        select(Commitment.slug).where(Commitment.id == invitee.commitment_id)
    ).scalar_one()
    return {**(_invitee(invitee) or {}), "commitment": slug}


def _version(version: CommitmentVersion) -> dict[str, Any]:
    return {
        "id": version.commitment.slug,
        "version": version.version,
        "title": version.title,
        "text_sha256": version.text_sha256,
    }


def _strokes(blob: bytes) -> Any:
    try:
        return strict_json_loads(blob)
    except FormatError:
        return None  # the status says the stored handwriting no longer matches its hash


def _signature(row: SignatureRecord, withdrawals: dict[str, sealed.LoggedWithdrawal]) -> dict[str, Any]:
    checked = sealed.check(row)
    status, problem = checked.status, checked.problem
    create = _log_entry(row.log_index)
    if checked.ok:
        extra = _create_entry_problem(row, create)
        if extra is not None:
            status, problem = "invalid", extra
    logged = withdrawals.get(row.id)
    trail = [e for e in (create, _log_entry(logged.index if logged else None)) if e is not None]
    stored_withdrawal = row.withdrawal
    body = bytes(row.body)
    return {
        "record_id": row.id,
        "code": row.code,
        "status": status,
        "problem": problem,
        # The signed object, only when it verified; the stored bytes are given in every case.
        "record": checked.record if status != "invalid" else None,
        "record_jcs": body.decode("utf-8", "replace"),
        "record_sha256": sha256_hex(body),
        "signature": row.signature,
        "kid": row.kid,
        "log_index": row.log_index,
        "processing_trail": trail,
        "withdrawal": None
        if stored_withdrawal is None
        else {
            "at": format_instant(stored_withdrawal.withdrawn_at),
            "reason": stored_withdrawal.reason,
            "log_index": stored_withdrawal.log_index,
        },
        "handwriting": {
            "strokes": _strokes(bytes(row.strokes)),
            "strokes_sha256": sha256_hex(bytes(row.strokes)),
        },
        "invitee": _invitee(db.session.get(Invitee, row.invitee_id) if row.invitee_id is not None else None),
        "erasure": None
        if row.erasure is None
        else {
            "at": format_instant(row.erasure.erased_at),
            "ground": row.erasure.ground,
            "log_index": row.erasure.log_index,
            "record_sha256": row.erasure.record_sha256,
        },
        "commitment": _version(row.commitment_version),
    }


def _by_record(record_id: str) -> list[SignatureRecord]:
    row = db.session.get(SignatureRecord, record_id) if len(record_id) == 26 else None
    if row is None:
        raise NotFound(N_("there is no signature %(id).40r"), id=record_id)
    return [row]


def _by_code(code_text: str) -> list[SignatureRecord]:
    try:
        code = codes.normalise_code(code_text)
    except FormatError as exc:
        raise InvalidInput.wrap(exc, field="code") from exc
    row = db.session.execute(select(SignatureRecord).where(SignatureRecord.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("there is no signature with code %(code)s"), code=code)
    return [row]


def retention_of(slug: str) -> date | None:
    """The last day the signatories' personal data of ``slug`` are kept (None: not decided)."""
    found = db.session.execute(select(Commitment).where(Commitment.slug == slug)).scalar_one_or_none()
    if found is None:
        raise NotFound(N_("there is no commitment %(slug)r"), slug=slug)
    return found.retain_until


@dataclass(frozen=True)
class Retention:
    title: str
    until: date | None


def published_retention() -> list[Retention]:
    """Each published commitment's title (latest published version) and retention end, for /privasi."""
    rows = db.session.execute(
        select(Commitment.id, Commitment.retain_until, CommitmentVersion.title, CommitmentVersion.version)
        .join(CommitmentVersion)
        .where(CommitmentVersion.status != "draft")
        .order_by(Commitment.id, CommitmentVersion.version.desc())
    ).all()
    latest: dict[int, Retention] = {}
    for commitment_id, until, title, _version in rows:
        latest.setdefault(int(commitment_id), Retention(str(title), until))
    return list(latest.values())


def _commitment_id(slug: str) -> int:
    found = db.session.execute(select(Commitment.id).where(Commitment.slug == slug)).scalar_one_or_none()
    if found is None:
        raise NotFound(N_("there is no commitment %(slug)r"), slug=slug)
    return int(found)


def _by_name(name: str, commitment: str | None) -> tuple[list[SignatureRecord], list[Invitee]]:
    wanted = name_key(name)
    if not wanted:
        raise InvalidInput(N_("give the signatory's name"), field="signatory")
    # Case folding has no portable SQL form: compare ids and names in Python (a registry holds
    # thousands of rows, not millions), then load only the matches.
    records = select(SignatureRecord.id, SignatureRecord.name)
    people = select(Invitee.id, Invitee.name)
    if commitment is not None:
        commitment_id = _commitment_id(commitment)
        records = records.join(CommitmentVersion).where(CommitmentVersion.commitment_id == commitment_id)
        people = people.where(Invitee.commitment_id == commitment_id)
    record_ids = [rid for rid, stored in db.session.execute(records) if name_key(stored) == wanted]
    invitee_ids = [iid for iid, stored in db.session.execute(people) if name_key(stored) == wanted]
    rows = list(
        db.session.execute(
            select(SignatureRecord)
            .where(SignatureRecord.id.in_(record_ids))
            .order_by(SignatureRecord.signed_at, SignatureRecord.id)
        )
        .unique()
        .scalars()
    )
    invitees = list(
        db.session.execute(select(Invitee).where(Invitee.id.in_(invitee_ids)).order_by(Invitee.id)).scalars()
    )
    if not rows and not invitees:
        if commitment:
            raise NotFound(
                N_("no signature or invitee is named %(name).80r in commitment %(commitment)r"),
                name=name,
                commitment=commitment,
            )
        raise NotFound(N_("no signature or invitee is named %(name).80r"), name=name)
    return rows, invitees


def _people(signatures: Sequence[dict[str, Any]], unsigned: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The distinct persons the matches may belong to: name and institution, ignoring case."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for s in signatures:
        who = s["invitee"] or (s["record"] or {}).get("signatory") or {}
        if who:
            seen.setdefault(
                (name_key(who["name"]), name_key(who["institution"])),
                {"name": who["name"], "institution": who["institution"]},
            )
    for i in unsigned:
        seen.setdefault(
            (name_key(i["name"]), name_key(i["institution"])),
            {"name": i["name"], "institution": i["institution"]},
        )
    return list(seen.values())


def select_subject(
    *,
    record_id: str | None = None,
    code: str | None = None,
    signatory: str | None = None,
    commitment: str | None = None,
) -> tuple[list[SignatureRecord], list[Invitee]]:
    """The signatures and the unsigned invitee rows of one data subject, by record id, code or name.

    Raises NotFound when nothing matches and InvalidInput for a bad selector (exactly one is given).
    """
    given = [k for k, v in (("record", record_id), ("code", code), ("signatory", signatory)) if v is not None]
    if len(given) != 1:
        raise InvalidInput(N_("give exactly one of a record id, a code or a signatory's name"))
    if commitment is not None and signatory is None:
        raise InvalidInput(N_("a commitment narrows a search by name only"), field="commitment")
    if record_id is not None:
        return _by_record(record_id), []
    if code is not None:
        return _by_code(code), []
    assert signatory is not None
    rows, invitees = _by_name(signatory, commitment)
    # An invitee who signed appears inside their signature; the others are listed on their own.
    taken = set(
        db.session.execute(
            select(SignatureRecord.invitee_id).where(SignatureRecord.invitee_id.in_([i.id for i in invitees]))
        ).scalars()
    )
    return rows, [i for i in invitees if i.id not in taken]


def export_subject(
    *,
    record_id: str | None = None,
    code: str | None = None,
    signatory: str | None = None,
    commitment: str | None = None,
    controller: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything held about one data subject, found by record id, code or name (exactly one).

    Raises NotFound when nothing matches and InvalidInput for a bad selector. A name may match
    several people: all matches are exported and ``ambiguous`` is true, with ``people`` listing them.
    """
    rows, unsigned = select_subject(
        record_id=record_id, code=code, signatory=signatory, commitment=commitment
    )
    withdrawals = sealed.logged_withdrawals()
    signatures = [_signature(row, withdrawals) for row in rows]
    unsigned_rows = [_unsigned(i) for i in unsigned]
    people = _people(signatures, unsigned_rows)
    return {
        "format": EXPORT_FORMAT,
        "generated_at": format_instant(utcnow()),
        "controller": controller,
        "request": {
            "record": record_id,
            "code": code,
            "signatory": signatory,
            "commitment": commitment,
        },
        "ambiguous": len(people) > 1,
        "people": people,
        "signatures": signatures,
        "invitees_without_signature": unsigned_rows,
        "notes": [
            "record_jcs is the record exactly as signed: its UTF-8 bytes hash to record_sha256, which "
            "the signature:create entry in processing_trail commits to (docs/FORMATS.md §3, §7).",
            "status is the registry's re-check of the seal, the stored handwriting, the commitment "
            "version and the withdrawal state against the log: valid, withdrawn or invalid.",
        ],
    }
