"""The signing use case: validate, persist the record, seal it, append it to the log — all or nothing."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from registry.core import codes
from registry.core import strokes as strokes_core
from registry.core.canonical import canonical_bytes, format_instant, sha256_hex, truncate_to_millis
from registry.core.errors import N_, FormatError
from registry.core.keys import Signer
from registry.core.names import name_key
from registry.core.records import RECORD_TYPE, SignedRecord, sign_record
from registry.extensions import db
from registry.models import CommitmentVersion, Erasure, Invitee, SignatureRecord, SigningKey, Withdrawal
from registry.pdf.printable import find_unprintable
from registry.services import checkpoints, commitments, log, walk_in_fields, walk_ins
from registry.services.errors import (
    AlreadySigned,
    Erased,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    NotOpen,
)
from registry.services.keyring import ActiveSigners
from registry.services.ranges import MAX_ROW_ID, is_row_id
from registry.services.text import require_printable

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the time of a record not yet signed
# How the signatory's fields are named in messages a signer may read (translated with them).
FIELD_LABELS = (N_("name"), N_("position"), N_("institution"), N_("category"))


@dataclass(frozen=True)
class Signatory:
    name: str
    position: str
    institution: str
    category: str


@dataclass(frozen=True)
class SigningRequest:
    """One signing as a kiosk or an integration submits it."""

    commitment: str
    dimensions: list[str]
    consent_accepted: bool
    public_display: bool
    strokes: Any
    invitee_id: int | None = None
    signatory: Signatory | None = None
    version: int | None = None
    claimed_at: datetime | None = None
    operator: str | None = None
    device: str | None = None
    client_id: str | None = None
    idempotency_key: str | None = None
    # False when the signer told the kiosk the listed namesake is someone else (services/walk_ins.py).
    link_invitee: bool = True


@dataclass(frozen=True)
class SigningResult:
    record: SignatureRecord
    created: bool
    linked: bool = False  # a walk-in's signing counted for the listed invitee they are
    namesakes: tuple[int, ...] = ()  # listed invitees of a walk-in's name it was not linked to


def new_record_id() -> str:
    """128 random bits as 26 lowercase base32 characters."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def _clean_signatory(s: Signatory, version: CommitmentVersion) -> Signatory:
    # The desk takes the same fields from a walk-in; walk_in_fields holds the one set of rules.
    cleaned = walk_in_fields.clean(s.name, s.position, s.institution, s.category, version)
    return Signatory(
        name=cleaned.name,
        position=cleaned.position,
        institution=cleaned.institution,
        category=cleaned.category,
    )


def _clean_dimensions(dimensions: Any, version: CommitmentVersion) -> list[str]:
    if not isinstance(dimensions, list) or not dimensions:
        raise InvalidInput(N_("choose at least one dimension"), field="dimensions")
    if any(not isinstance(d, str) for d in dimensions):
        raise InvalidInput(N_("dimensions are given by their ids"), field="dimensions")
    unknown = [d for d in dimensions if d not in version.dimension_ids]
    if unknown:
        raise InvalidInput(N_("unknown dimension %(given)s"), field="dimensions", given=repr(unknown[0][:40]))
    if len(set(dimensions)) != len(dimensions):
        raise InvalidInput(N_("a dimension is chosen twice"), field="dimensions")
    # The commitment's own order, so the same choice always signs the same bytes.
    return [d for d in version.dimension_ids if d in dimensions]


def _request_fingerprint(
    req: SigningRequest,
    signatory: Signatory | None,
    dims: list[str],
    canonical_strokes: list[list[list[int]]],
) -> str:
    # Only a refused link is named, so the fingerprints of requests stored before it stay the same.
    declined = {} if req.link_invitee else {"link_invitee": False}
    return sha256_hex(
        canonical_bytes(
            declined
            | {
                "commitment": req.commitment,
                "version": req.version,
                "invitee_id": req.invitee_id,
                "signatory": None if signatory is None else signatory.__dict__,
                "dimensions": dims,
                "public_display": req.public_display,
                "strokes_sha256": strokes_core.strokes_sha256(canonical_strokes),
                "claimed_at": None if req.claimed_at is None else format_instant(req.claimed_at),
            }
        )
    )


@dataclass(frozen=True)
class _Checked:
    """A request's own fields, checked without the database."""

    canonical_strokes: list[list[list[int]]]
    strokes_blob: bytes
    claimed_at: datetime | None


@dataclass(frozen=True)
class _Prepared:
    """A request checked against its version and signed, before the log is locked.

    ``signed`` is None when the request cannot be signed as things stood (the version is not
    open, the invitee is not on the list): under the lock an idempotent replay still answers, and
    otherwise the locked step reports why, as it did when everything ran under the lock.
    """

    version_id: int
    signatory: Signatory | None
    dims: list[str]
    fingerprint: str
    who: Signatory | None
    signed: SignedRecord | None
    moment: datetime
    code: str


def sign(req: SigningRequest, signers: ActiveSigners) -> SigningResult:
    """Sign one commitment version for one signatory.

    A repeat with the same idempotency key returns the first record, never a second one. What does
    not need the log's head lock runs before it: checking the request, reading the version and
    the listed invitee, signing the record. Under the lock (:func:`_append`) only what the lock
    protects is checked again: an idempotent replay, a signature already standing, the version
    still open, the key and the names still those signed. A record signed with anything that
    changed meanwhile is signed again there.
    """
    checked = _check(req)
    sealer = checkpoints.sealer(signers).resolved()
    prepared = _prepare(req, checked, signers, sealer.clock)
    return log.append_transaction(sealer, lambda writer: _append(req, checked, prepared, signers, writer))


def _check(req: SigningRequest) -> _Checked:
    if req.consent_accepted is not True:
        raise InvalidInput(N_("consent must be given before signing"), field="consent")
    if (req.invitee_id is None) == (req.signatory is None):
        raise InvalidInput(N_("give either an invitee_id or the signatory's details"), field="signatory")
    if req.invitee_id is not None and not is_row_id(req.invitee_id):
        # Beyond a row id's range the database driver fails (and 2^53 cannot be signed as JSON).
        raise InvalidInput(
            N_("invitee_id must be an integer from 1 to %(max)d"), field="invitee_id", max=MAX_ROW_ID
        )
    try:
        canonical_strokes = strokes_core.canonicalise(req.strokes)
    except FormatError as exc:
        raise InvalidInput.wrap(exc, field="strokes") from exc
    if req.claimed_at is not None and req.claimed_at.tzinfo is None:
        raise InvalidInput(N_("claimed_time must carry a time zone offset"), field="claimed_time")
    claimed_at = truncate_to_millis(req.claimed_at.astimezone(UTC)) if req.claimed_at else None
    return _Checked(canonical_strokes, strokes_core.strokes_bytes(canonical_strokes), claimed_at)


def _prepare(
    req: SigningRequest, checked: _Checked, signers: ActiveSigners, clock: Callable[[], datetime]
) -> _Prepared:
    """Resolve the version, clean the fields and sign the record at the time ``clock`` tells."""
    version = commitments.get_version(req.commitment, req.version, published_only=req.version is None)
    signatory = _clean_signatory(req.signatory, version) if req.signatory else None
    dims = _clean_dimensions(req.dimensions, version)
    fingerprint = _request_fingerprint(req, signatory, dims, checked.canonical_strokes)
    who = signatory or _listed_as(req.invitee_id, version)
    signable = version.status == "open" and who is not None
    prepared = _Prepared(version.id, signatory, dims, fingerprint, who, None, EPOCH, _unused_code())
    if not signable:
        return prepared
    signer = signers.for_purpose("record")
    # The time is read last, after the key: a record key rotated meanwhile starts after it.
    return _signed(req, checked, prepared, version, signer, truncate_to_millis(clock()))


def _listed_as(invitee_id: int | None, version: CommitmentVersion) -> Signatory | None:
    """The listed invitee's details as the record names them; None if not on this list."""
    invitee = db.session.get(Invitee, invitee_id) if invitee_id is not None else None
    if invitee is None or invitee.commitment_id != version.commitment_id:
        return None
    if any(
        find_unprintable(text) is not None for text in (invitee.name, invitee.position, invitee.institution)
    ):
        return None  # refused under the lock, as it always was (services/text.py require_printable)
    return Signatory(invitee.name, invitee.position, invitee.institution, invitee.category)


def _signed(
    req: SigningRequest,
    checked: _Checked,
    prepared: _Prepared,
    version: CommitmentVersion,
    signer: Signer,
    moment: datetime,
) -> _Prepared:
    """``prepared`` with its record signed by ``signer`` at ``moment`` (the log entry's time)."""
    who = prepared.who
    assert who is not None
    record = {
        "type": RECORD_TYPE,
        "id": new_record_id(),
        "code": prepared.code,
        "commitment": {"id": req.commitment, "version": version.version, "text_sha256": version.text_sha256},
        "signatory": {
            "name": who.name,
            "position": who.position,
            "institution": who.institution,
            "category": who.category,
        },
        "dimensions": prepared.dims,
        "consent": {"text_sha256": version.consent_sha256, "public_display": req.public_display},
        "handwriting": {"strokes_sha256": sha256_hex(checked.strokes_blob)},
        "signed_at": format_instant(moment),
        "claimed_at": None if checked.claimed_at is None else format_instant(checked.claimed_at),
        "operator": req.operator,
        "device": req.device,
        "kid": signer.kid,
    }
    try:
        signed = sign_record(record, signer)
    except FormatError as exc:
        raise InvalidInput(N_("cannot sign: %(problem)s"), problem=str(exc)) from exc
    return replace(prepared, signed=signed, moment=moment)


def _append(
    req: SigningRequest, checked: _Checked, prepared: _Prepared, signers: ActiveSigners, writer: log.LogWriter
) -> SigningResult:
    """Under the head lock: replay, re-check what the lock protects, append and store the record."""
    if req.idempotency_key is not None:
        # Under the head lock, so a concurrent repeat sees the first one's commit.
        previous = _previous(req, prepared.fingerprint)
        if previous is not None:
            version = db.session.get(CommitmentVersion, prepared.version_id)
            assert version is not None
            return _replayed(previous, version, prepared.signatory)
    version = db.session.get(CommitmentVersion, prepared.version_id)
    if prepared.signed is None or version is None or version.status != "open" or _key_changed(prepared):
        # Something changed since it was prepared: prepare again, now under the lock.
        prepared = _prepare(req, checked, signers, writer.now)
        version = db.session.get(CommitmentVersion, prepared.version_id)
        assert version is not None
    if version.status != "open":
        raise NotOpen(
            N_("signing of %(commitment)s version %(version)d is %(status)s, not open"),
            commitment=repr(req.commitment),
            version=version.version,
            status=version.status,
        )
    invitee, linked, namesakes = _resolve_invitee(req, version, prepared.signatory)
    who = prepared.signatory or Signatory(
        invitee.name, invitee.position, invitee.institution, invitee.category
    )
    last = writer.last_time
    if who != prepared.who or (last is not None and prepared.moment < last):
        # An invitee corrected meanwhile, or a later entry appended first: sign again, now.
        signer = signers.for_purpose("record")
        prepared = _signed(req, checked, replace(prepared, who=who), version, signer, writer.now())
    return _store(req, checked, prepared, version, invitee, writer, linked, namesakes)


def _previous(req: SigningRequest, fingerprint: str) -> SignatureRecord | None:
    """The record made earlier with this request's Idempotency-Key, if the same request made it."""
    previous = db.session.execute(
        select(SignatureRecord).where(
            SignatureRecord.client_id == req.client_id,
            SignatureRecord.idempotency_key == req.idempotency_key,
        )
    ).scalar_one_or_none()
    if previous is None:
        return None
    if previous.erasure is not None:
        # A queued request replayed after its signer's data were erased must not bring them
        # back, and cannot return what is gone.
        raise Erased(
            N_(
                "the signature made with this Idempotency-Key was erased at its signer's "
                "request or at the end of its retention period"
            )
        )
    if previous.request_sha256 != fingerprint:
        raise IdempotencyMismatch(N_("this Idempotency-Key was already used for a different signing request"))
    return previous


def _key_changed(prepared: _Prepared) -> bool:
    """Whether the record key was rotated since the record was signed (its window would end)."""
    assert prepared.signed is not None
    active = db.session.execute(
        select(SigningKey.kid).where(SigningKey.purpose == "record", SigningKey.status == "active")
    ).scalar_one_or_none()
    return bool(active != prepared.signed.record["kid"])


def _store(
    req: SigningRequest,
    checked: _Checked,
    prepared: _Prepared,
    version: CommitmentVersion,
    invitee: Invitee,
    writer: log.LogWriter,
    linked: bool,
    namesakes: tuple[int, ...],
) -> SigningResult:
    """Append the signed record's entry and store the record beside it."""
    signed, who = prepared.signed, prepared.who
    assert signed is not None and who is not None
    record = signed.record
    entry = writer.append(
        "signature:create",
        {
            "record_id": record["id"],
            "record_sha256": signed.sha256,
            "commitment": req.commitment,
            "version": version.version,
            "kid": record["kid"],
        },
        prepared.moment,
    )
    row = SignatureRecord(
        id=record["id"],
        code=prepared.code,
        commitment_version_id=version.id,
        invitee_id=invitee.id,
        body=signed.canonical,
        signature=signed.signature,
        kid=record["kid"],
        log_index=entry.index,
        signed_at=prepared.moment,
        claimed_at=checked.claimed_at,
        public_display=req.public_display,
        name=who.name,
        position=who.position,
        institution=who.institution,
        category=who.category,
        strokes=checked.strokes_blob,
        client_id=req.client_id,
        idempotency_key=req.idempotency_key,
        request_sha256=prepared.fingerprint,
    )
    db.session.add(row)
    db.session.flush()
    return SigningResult(row, created=True, linked=linked, namesakes=namesakes)


def _standing(version: CommitmentVersion, invitee: Invitee) -> bool:
    """Whether the invitee has a signature of this version still standing: one withdrawn as made in
    error (or erased) lets them sign again. The head lock held by the caller makes check-then-insert safe."""
    return (
        db.session.execute(
            select(SignatureRecord.id)
            .outerjoin(Withdrawal, Withdrawal.record_id == SignatureRecord.id)
            .outerjoin(Erasure, Erasure.record_id == SignatureRecord.id)
            .where(
                SignatureRecord.commitment_version_id == version.id,
                SignatureRecord.invitee_id == invitee.id,
                Withdrawal.record_id.is_(None),
                Erasure.record_id.is_(None),
            )
        ).first()
        is not None
    )


def _resolve_invitee(
    req: SigningRequest, version: CommitmentVersion, signatory: Signatory | None
) -> tuple[Invitee, bool, tuple[int, ...]]:
    """Who signs: (the invitee row, whether a walk-in was linked to the list, listed namesakes)."""
    if req.invitee_id is not None:
        invitee = db.session.get(Invitee, req.invitee_id)
        if invitee is None or invitee.commitment_id != version.commitment_id:
            raise NotFound(
                N_("invitee %(id)d is not on the list of this commitment"),
                field="invitee_id",
                id=req.invitee_id,
            )
        if _standing(version, invitee):
            raise AlreadySigned(
                N_("%(name)s has already signed version %(version)d of this commitment"),
                name=invitee.name,
                version=version.version,
            )
        # A list imported before the printable check may hold what the certificate cannot print.
        for field in ("name", "position", "institution"):
            require_printable(getattr(invitee, field), field)
        return invitee, False, ()
    assert signatory is not None
    # A walk-in who already signed (same name and institution by name_key: Unicode case folding
    # and NFKC, the same on every database) is the same person.
    twin = db.session.execute(
        select(SignatureRecord.id)
        .join(Invitee, Invitee.id == SignatureRecord.invitee_id)
        .outerjoin(Withdrawal, Withdrawal.record_id == SignatureRecord.id)
        .where(
            SignatureRecord.commitment_version_id == version.id,
            Invitee.name_key == name_key(signatory.name),
            Invitee.institution_key == name_key(signatory.institution),
            Withdrawal.record_id.is_(None),  # a withdrawn signature (made in error) does not count
        )
    ).first()
    if twin is not None:
        raise AlreadySigned(
            N_("%(name)s of %(institution)s has already signed version %(version)d of this commitment"),
            name=signatory.name,
            institution=signatory.institution,
            version=version.version,
        )
    found = walk_ins.listed_match(version, signatory.name, signatory.institution, signatory.category)
    if found.invitee is not None and req.link_invitee:
        if _standing(version, found.invitee):
            raise AlreadySigned(
                N_("%(name)s is on the list of this commitment and has already signed version %(version)d"),
                name=found.invitee.name,
                version=version.version,
            )
        return found.invitee, True, ()
    invitee = Invitee(commitment_id=version.commitment_id, walk_in=True, **signatory.__dict__)
    db.session.add(invitee)
    db.session.flush()
    return invitee, False, tuple(found.namesakes)


def _replayed(row: SignatureRecord, version: CommitmentVersion, signatory: Signatory | None) -> SigningResult:
    """The first answer again: linked or not as then; the namesakes as the list stands now."""
    invitee = db.session.get(Invitee, row.invitee_id) if row.invitee_id is not None else None
    if signatory is None or invitee is None:
        return SigningResult(row, created=False)
    if not invitee.walk_in:
        return SigningResult(row, created=False, linked=True)
    found = walk_ins.listed_match(version, signatory.name, signatory.institution, signatory.category)
    return SigningResult(row, created=False, namesakes=tuple(found.namesakes))


def _unused_code() -> str:
    while True:
        code = codes.new_code()
        if db.session.execute(select(SignatureRecord.id).where(SignatureRecord.code == code)).first() is None:
            return code


def get(record_id: str) -> SignatureRecord:
    row = (
        db.session.get(SignatureRecord, record_id)
        if isinstance(record_id, str) and len(record_id) == 26
        else None
    )
    if row is None:
        raise NotFound(N_("there is no signature %(id).40r"), id=record_id)
    return row
