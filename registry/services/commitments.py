"""Commitment use cases: create, edit a draft, publish (open), close, revise into a new version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from registry.core.canonical import parse_instant, sha256_hex
from registry.core.errors import N_
from registry.core.version_entries import MAX_REOPEN_REASON
from registry.core.versions import version_sha256
from registry.extensions import db
from registry.models import Commitment, CommitmentVersion, SignatureRecord, User
from registry.services import checkpoints, log
from registry.services.bound_versions import check_version, signed_document
from registry.services.bound_versions import status_history as status_history_entries
from registry.services.errors import Conflict, InvalidInput, NotFound
from registry.services.ranges import YEARS
from registry.services.text import clean_text

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
FIELD_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_TEXT = 50_000
# The two lists a commitment offers, named as a message's %(label)s (translated with it).
CHOICE_LABELS = (N_("dimensions"), N_("categories"))


@dataclass(frozen=True)
class CommitmentDraft:
    """What an organiser writes; every field is cleaned before it is stored."""

    title: str
    text: str
    place: str
    event_date: date
    dimensions: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    consent_text: str
    issuer: str | None = None  # printed above the title, e.g. "PEMERINTAH KABUPATEN PURBALINGGA"


def _choices(items: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(items, list) or not items or len(items) > 50:
        raise InvalidInput(N_("%(label)s must list between 1 and 50 entries"), field=field, label=field)
    result, seen = [], set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise InvalidInput(N_("each of %(label)s needs an id and a label"), field=field, label=field)
        ident = item["id"]
        if not FIELD_ID.fullmatch(ident):
            raise InvalidInput(
                N_("%(label)s id %(id).40r must be lowercase letters, digits, - or _"),
                field=field,
                label=field,
                id=ident,
            )
        if ident in seen:
            raise InvalidInput(N_("%(label)s id %(id)r appears twice"), field=field, label=field, id=ident)
        seen.add(ident)
        entry = {
            "id": ident,
            "label": clean_text(item.get("label"), f"{field} label", max_length=120, printed=True),
        }
        if item.get("description"):
            entry["description"] = clean_text(item["description"], f"{field} description", max_length=1000)
        result.append(entry)
    return result


def _clean(draft: CommitmentDraft) -> dict[str, Any]:
    if not isinstance(draft.event_date, date):
        raise InvalidInput(N_("event date must be a date"), field="event_date")
    if not YEARS[0] <= draft.event_date.year <= YEARS[1]:
        raise InvalidInput(
            N_("the event date must lie in the years %(first)d–%(last)d"),
            field="event_date",
            first=YEARS[0],
            last=YEARS[1],
        )
    text = clean_text(draft.text, "text", max_length=MAX_TEXT, multiline=True, printed=True)
    consent = clean_text(draft.consent_text, "consent text", max_length=MAX_TEXT, multiline=True)
    issuer = clean_text(draft.issuer, "issuer", max_length=200, optional=True, printed=True)
    return {
        "issuer": issuer or None,
        "title": clean_text(draft.title, "title", max_length=300, printed=True),
        "text": text,
        "text_sha256": sha256_hex(text.encode("utf-8")),
        "place": clean_text(draft.place, "place", max_length=300, printed=True),
        "event_date": draft.event_date,
        "dimensions": _choices(draft.dimensions, "dimensions"),
        "categories": _choices(draft.categories, "categories"),
        "consent_text": consent,
        "consent_sha256": sha256_hex(consent.encode("utf-8")),
    }


def _entry_payload(version: CommitmentVersion, slug: str) -> dict[str, Any]:
    # version_sha256 binds every field a signer reads; the two text hashes stay for the
    # verifiers that check a record's commitment.text_sha256 and consent.text_sha256 directly.
    return {
        "commitment": slug,
        "version": version.version,
        "text_sha256": version.text_sha256,
        "consent_sha256": version.consent_sha256,
        "version_sha256": version_sha256(signed_document(version, slug)),
    }


def entry_payload(version: CommitmentVersion, slug: str) -> dict[str, Any]:
    """What a ``commitment:*`` entry for ``version`` holds (services that edit a draft append one)."""
    return _entry_payload(version, slug)


def get_version(slug: str, version: int | None = None, *, published_only: bool = False) -> CommitmentVersion:
    """A version of a commitment (the latest one, or the latest published one) or NotFound."""
    query = select(CommitmentVersion).join(Commitment).where(Commitment.slug == slug)
    if version is not None:
        query = query.where(CommitmentVersion.version == version)
    if published_only:
        query = query.where(CommitmentVersion.status != "draft")
    found = db.session.execute(query.order_by(CommitmentVersion.version.desc()).limit(1)).scalar_one_or_none()
    if found is None:
        if version:
            raise NotFound(
                N_("there is no version %(version)s of commitment %(slug)r"), version=version, slug=slug
            )
        raise NotFound(N_("there is no commitment %(slug)r"), slug=slug)
    # A published version is shown, printed and signed only while it matches its log entry.
    return check_version(found)


def create(slug: str, draft: CommitmentDraft) -> CommitmentVersion:
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise InvalidInput(
            N_("commitment id must be 3–64 lowercase letters, digits or hyphens"), field="slug"
        )
    fields = _clean(draft)

    def work(writer: log.LogWriter) -> CommitmentVersion:
        if db.session.execute(select(Commitment.id).where(Commitment.slug == slug)).first():
            raise Conflict(N_("a commitment with id %(slug)s already exists"), field="slug", slug=repr(slug))
        moment = writer.now()
        commitment = Commitment(slug=slug, created_at=moment)
        version = CommitmentVersion(
            commitment=commitment, version=1, status="draft", created_at=moment, **fields
        )
        db.session.add_all([commitment, version])
        writer.append("commitment:create", _entry_payload(version, slug), moment)
        return version

    return log.append_transaction(checkpoints.sealer(), work)


def edit_draft(slug: str, version_number: int, draft: CommitmentDraft) -> CommitmentVersion:
    fields = _clean(draft)

    def work(writer: log.LogWriter) -> CommitmentVersion:
        version = get_version(slug, version_number)
        if version.status != "draft":
            raise Conflict(
                N_("version %(version)s is published and cannot change; revise it into a new version"),
                version=version_number,
            )
        for key, value in fields.items():
            setattr(version, key, value)
        writer.append("commitment:edit", _entry_payload(version, slug))
        return version

    return log.append_transaction(checkpoints.sealer(), work)


def revise(slug: str, draft: CommitmentDraft) -> CommitmentVersion:
    """A new draft version after the latest one; published versions stay as they were."""
    fields = _clean(draft)

    def work(writer: log.LogWriter) -> CommitmentVersion:
        latest = get_version(slug)
        if latest.status == "draft":
            raise Conflict(
                N_("version %(version)s is still a draft: edit it instead"), version=latest.version
            )
        moment = writer.now()
        version = CommitmentVersion(
            commitment_id=latest.commitment_id,
            version=latest.version + 1,
            status="draft",
            created_at=moment,
            emblem_sha256=latest.emblem_sha256,  # the issuer's emblem carries over; the form has no file
            **fields,
        )
        db.session.add(version)
        writer.append("commitment:revise", _entry_payload(version, slug), moment)
        return version

    return log.append_transaction(checkpoints.sealer(), work)


def publish(slug: str, version_number: int) -> CommitmentVersion:
    """Open a draft version for signing; an earlier open version of the same commitment closes."""

    def work(writer: log.LogWriter) -> CommitmentVersion:
        version = get_version(slug, version_number)
        if version.status != "draft":
            raise Conflict(
                N_("version %(version)s is already %(status)s"), version=version_number, status=version.status
            )
        for other in db.session.execute(
            select(CommitmentVersion).where(
                CommitmentVersion.commitment_id == version.commitment_id,
                CommitmentVersion.status == "open",
            )
        ).scalars():
            other.status, other.closed_at = "closed", writer.now()
            writer.append("commitment:close", _entry_payload(other, slug))
        version.status, version.opened_at = "open", writer.now()
        writer.append("commitment:publish", _entry_payload(version, slug))
        return version

    return log.append_transaction(checkpoints.sealer(), work)


def close(slug: str, version_number: int) -> CommitmentVersion:
    def work(writer: log.LogWriter) -> CommitmentVersion:
        version = get_version(slug, version_number)
        if version.status != "open":
            raise Conflict(
                N_("version %(version)s is %(status)s, not open"),
                version=version_number,
                status=version.status,
            )
        version.status, version.closed_at = "closed", writer.now()
        writer.append("commitment:close", _entry_payload(version, slug))
        return version

    return log.append_transaction(checkpoints.sealer(), work)


MIN_REOPEN_REASON = 10


def reopen(slug: str, version_number: int, reason: str, actor: str) -> CommitmentVersion:
    """Open a closed version for signing again; the reason and the admin are logged (public).

    Only the newest published version can reopen, and only while no other version is open: two
    open versions would leave a kiosk not knowing which text it offers.
    """
    reason = clean_text(reason, "reason", max_length=MAX_REOPEN_REASON, printed=True)
    if len(reason) < MIN_REOPEN_REASON:
        raise InvalidInput(
            N_("explain the reopening in at least %(n)d characters"), field="reason", n=MIN_REOPEN_REASON
        )
    actor = clean_text(actor, "actor", max_length=64)

    def work(writer: log.LogWriter) -> CommitmentVersion:
        version = get_version(slug, version_number)
        if version.status != "closed":
            raise Conflict(
                N_("version %(version)s is %(status)s, not closed"),
                version=version_number,
                status=version.status,
            )
        newer = (
            db.session.execute(
                select(CommitmentVersion.version).where(
                    CommitmentVersion.commitment_id == version.commitment_id,
                    CommitmentVersion.version != version.version,
                    CommitmentVersion.status == "open",
                )
            ).first()
            or db.session.execute(
                select(CommitmentVersion.version).where(
                    CommitmentVersion.commitment_id == version.commitment_id,
                    CommitmentVersion.version > version.version,
                    CommitmentVersion.status != "draft",
                )
            ).first()
        )
        if newer is not None:
            raise Conflict(
                N_("version %(newer)d was published after this one: only the newest version can reopen"),
                newer=newer[0],
            )
        version.status, version.closed_at = "open", None
        payload = _entry_payload(version, slug) | {"reason": reason, "user": actor}
        writer.append("commitment:reopen", payload)
        return version

    return log.append_transaction(checkpoints.sealer(), work)


@dataclass(frozen=True)
class VersionEvent:
    """One change of a published version's status, read from its log entry."""

    kind: str  # publish, close or reopen
    at: datetime
    log_index: int
    reason: str | None  # a reopening's (public) reason
    by: str | None  # the admin who reopened: display name, or the public user id if unknown


def status_history(slug: str, version_number: int) -> list[VersionEvent]:
    """When the version was published, closed and reopened (and why, by whom), in log order."""
    events = []
    for index, kind, entry in status_history_entries(slug, version_number):
        payload = entry["payload"]
        by = None
        if "user" in payload:
            user = db.session.execute(
                select(User.display_name).where(User.public_id == payload["user"])
            ).scalar_one_or_none()
            by = user or str(payload["user"])
        reason = payload.get("reason")
        events.append(
            VersionEvent(
                kind=kind.split(":", 1)[1],
                at=parse_instant(entry["time"]),
                log_index=index,
                reason=str(reason) if reason is not None else None,
                by=by,
            )
        )
    return events


def list_published() -> list[CommitmentVersion]:
    """The latest published version of every commitment that has one."""
    rows = db.session.execute(
        select(CommitmentVersion)
        .join(Commitment)
        .where(CommitmentVersion.status != "draft")
        .order_by(Commitment.slug, CommitmentVersion.version.desc())
    ).scalars()
    latest: dict[int, CommitmentVersion] = {}
    for row in rows:
        latest.setdefault(row.commitment_id, row)
    return [check_version(version) for version in latest.values()]


def list_latest() -> list[CommitmentVersion]:
    """The latest version of every commitment, drafts included (the admin's list), by slug."""
    rows = db.session.execute(
        select(CommitmentVersion).join(Commitment).order_by(Commitment.slug, CommitmentVersion.version.desc())
    ).scalars()
    latest: dict[int, CommitmentVersion] = {}
    for row in rows:
        latest.setdefault(row.commitment_id, row)
    return list(latest.values())


def signature_count(version: CommitmentVersion) -> int:
    """How many signatures were made under ``version`` (withdrawn and erased ones included)."""
    return int(
        db.session.execute(
            select(func.count())
            .select_from(SignatureRecord)
            .where(SignatureRecord.commitment_version_id == version.id)
        ).scalar_one()
    )
